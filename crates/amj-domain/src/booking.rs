//! Bookings (issue 15): an asset, or a kit's assets, reserved for a person over a time range.
//! These are the rules that need no storage: what a booking must carry, how a range written in
//! a person's time zone becomes instants (a day in Berlin is 23 hours when summer time starts),
//! and what state a booking is in at a given moment. The store makes overlaps impossible (an
//! exclusion constraint on PostgreSQL, a trigger in SQLite's single writer); pickup and return
//! are check-out and check-in.
//!
//! Ranges are half-open, `[start, end)`: a booking that ends at 12:00 and one that starts at
//! 12:00 do not overlap, so back-to-back hand-overs need no gap.

use crate::custody::{NOTE_MAX, is_account_id, is_issue_key};
use crate::error::{ValidationErrors, rules};
use crate::schema::AssetKey;
use crate::value::{format_date, parse_date, parse_datetime};
use serde::{Deserialize, Serialize};

/// Most assets one booking reserves: a kit's worth, with room.
pub const ASSETS_MAX: usize = 20;

/// Longest booking: a year. Longer is a check-out, not a booking.
pub const SPAN_MAX_MILLIS: i64 = 366 * DAY_MILLIS;

/// How far back a booking may start: "from this morning" is a booking; last month is history,
/// which a booking must not rewrite.
pub const START_BACK_MILLIS: i64 = DAY_MILLIS;

/// How early a booking may be picked up: gear is often collected the day before. Never early
/// enough to take it from someone else's booking: that booking's check-out or its own booked
/// range refuses.
pub const PICKUP_EARLY_MILLIS: i64 = DAY_MILLIS;

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// The zone a booking is read in, when none is given.
pub const DEFAULT_ZONE: &str = "UTC";

/// An IANA time zone, such as `Europe/Berlin`, from the database compiled into the binary.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Zone {
    /// The zone named `name`, if the database knows it. Names are IANA's (`America/New_York`);
    /// `UTC` is one of them.
    pub fn parse(name: &str) -> Option<Zone> {
        if name.is_empty() || name.len() > 64 {
            return None;
        }
        let tz = jiff::tz::TimeZone::get(name).ok()?;
        Some(Zone {
            name: name.to_owned(),
            tz,
        })
    }

    pub fn utc() -> Zone {
        Zone {
            name: DEFAULT_ZONE.to_owned(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The instant `text` names: a time with an offset (RFC 3339, or forms it does not take
    /// such as `2030-03-03T09:00+05:00` or `…+05:30[Asia/Kolkata]`; the offset wins over the
    /// zone), a local `YYYY-MM-DDTHH:MM[:SS]` in this zone, or a date alone. A local time with
    /// an offset or zone that cannot be honoured is refused, never read as local. A date alone is the start of that
    /// day as the start of a range, and the end of that day (the next day's start) as its end,
    /// so "3–7 March" books all of the 7th. A local time that summer time skips (02:30 on the
    /// day clocks go forward) moves forward by the gap; one that occurs twice is the first.
    pub fn instant(&self, text: &str, end_of_range: bool) -> Option<i64> {
        let text = text.trim();
        if let Some(days) = parse_date(text) {
            return self.day_start(if end_of_range { days + 1 } else { days });
        }
        if let Some(millis) = parse_datetime(text) {
            return Some(millis);
        }
        // An offset RFC 3339 does not take (no seconds, `+05:00[Asia/Kolkata]`) still wins.
        if let Ok(at) = text.parse::<jiff::Timestamp>() {
            return Some(at.as_millisecond());
        }
        // jiff's civil parser would read and drop an offset it cannot honour (`Z` aside): a
        // time with any offset or zone left here is refused, never read as local.
        let (_, time) = text.split_once(['T', 't', ' '])?;
        if time.contains(['+', '-', 'Z', 'z', '[']) {
            return None;
        }
        let local: jiff::civil::DateTime = text.parse().ok()?;
        let zoned = local.to_zoned(self.tz.clone()).ok()?;
        Some(zoned.timestamp().as_millisecond())
    }

    /// When day `days` (days since 1970-01-01) starts in this zone. Usually local midnight;
    /// where a change of offset skips midnight, the first instant of that day.
    pub fn day_start(&self, days: i32) -> Option<i64> {
        let date: jiff::civil::Date = format_date(days)?.parse().ok()?;
        let zoned = date.to_zoned(self.tz.clone()).ok()?;
        Some(zoned.timestamp().as_millisecond())
    }

    /// The local day (days since 1970-01-01) that `millis` falls on in this zone.
    pub fn day_of(&self, millis: i64) -> Option<i32> {
        let at = jiff::Timestamp::from_millisecond(millis).ok()?;
        let date = at.to_zoned(self.tz.clone()).date();
        parse_date(&date.to_string())
    }

    /// The instant as this zone's wall-clock time with its offset (`2030-03-31T10:00:00+02:00`),
    /// for messages a person reads.
    pub fn describe(&self, millis: i64) -> String {
        match jiff::Timestamp::from_millisecond(millis) {
            Ok(at) => {
                let zoned = at.to_zoned(self.tz.clone());
                format!("{} {}", zoned.strftime("%Y-%m-%d %H:%M"), self.name)
            }
            Err(_) => millis.to_string(),
        }
    }
}

/// A booking as a client asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookingDraft {
    /// The person it is for, by Atlassian accountId.
    pub account_id: String,
    /// When it starts: RFC 3339 (`2030-03-03T09:00:00Z`), a local time in `timeZone`
    /// (`2030-03-03T09:00`), or a date (`2030-03-03`, the start of that day).
    #[cfg_attr(feature = "openapi", schema(example = "2030-03-03"))]
    pub start: String,
    /// When it ends, the same forms; a date alone means the end of that day.
    #[cfg_attr(feature = "openapi", schema(example = "2030-03-07"))]
    pub end: String,
    /// The assets to book (`IT-42`). Either these or `kit`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>, example = json!(["IT-42"])))]
    pub assets: Vec<AssetKey>,
    /// A kit of the schema: one available asset is booked for each of its asset parts.
    #[serde(default)]
    pub kit: Option<i64>,
    /// The IANA time zone local times and dates are read in (the person's, from their Jira
    /// profile); `UTC` when absent. Pickup takes the due day from it.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The Jira issue it is booked for (`HR-12`), if any.
    #[serde(default)]
    pub issue: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// What a booking draft resolves to once its times are read.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingPlan {
    pub account_id: String,
    pub start: i64,
    pub end: i64,
    pub zone: Zone,
    pub assets: Vec<AssetKey>,
    pub kit: Option<i64>,
    pub issue: Option<String>,
    pub note: String,
}

impl BookingDraft {
    /// Checks what needs no other rows and reads the times, at `now` (epoch milliseconds).
    /// Whether the assets exist, can be checked out and are free is the store's to say.
    pub fn plan(&self, now: i64) -> Result<BookingPlan, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if !is_account_id(&self.account_id) {
            errors.push(
                "accountId",
                rules::FORMAT,
                "Person: named by their Atlassian accountId",
            );
        }
        match (self.assets.is_empty(), self.kit.is_some()) {
            (true, false) => errors.push(
                "assets",
                rules::REQUIRED,
                "Assets: name at least one asset, or a kit",
            ),
            (false, true) => errors.push(
                "kit",
                rules::CARDINALITY,
                "Kit: book either assets or a kit, not both",
            ),
            _ => {}
        }
        if self.assets.len() > ASSETS_MAX {
            errors.push(
                "assets",
                rules::CARDINALITY,
                format!("Assets: at most {ASSETS_MAX} in one booking"),
            );
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = self.assets.iter().find(|k| !seen.insert(*k)) {
            errors.push(
                "assets",
                rules::DUPLICATE_VALUE,
                format!("Assets: {twice} is listed twice"),
            );
        }
        let zone = match self.time_zone.as_deref() {
            None => Some(Zone::utc()),
            Some(name) => {
                let zone = Zone::parse(name);
                if zone.is_none() {
                    errors.push(
                        "timeZone",
                        rules::OPTION,
                        format!(
                            "Time zone: {name:?} is not an IANA time zone such as Europe/Berlin"
                        ),
                    );
                }
                zone
            }
        };
        let mut span = (None, None);
        if let Some(zone) = &zone {
            span.0 = zone.instant(&self.start, false);
            span.1 = zone.instant(&self.end, true);
            if span.0.is_none() {
                errors.push(
                    "start",
                    rules::FORMAT,
                    format!("Start: {:?} is not a time", self.start),
                );
            }
            if span.1.is_none() {
                errors.push(
                    "end",
                    rules::FORMAT,
                    format!("End: {:?} is not a time", self.end),
                );
            }
        }
        if let (Some(start), Some(end)) = span {
            if end <= start {
                errors.push("end", rules::MIN, "End: must be after the start");
            } else if end - start > SPAN_MAX_MILLIS {
                errors.push("end", rules::MAX, "End: a booking lasts at most a year");
            } else if end <= now {
                errors.push("end", rules::MIN, "End: the booking would be over already");
            } else if start < now - START_BACK_MILLIS {
                errors.push("start", rules::MIN, "Start: at most a day in the past");
            }
        }
        if let Some(issue) = &self.issue
            && !is_issue_key(issue)
        {
            errors.push(
                "issue",
                rules::FORMAT,
                format!("Issue: {issue:?} is not an issue key such as HR-12"),
            );
        }
        if self.note.chars().count() > NOTE_MAX {
            errors.push(
                "note",
                rules::MAX_LENGTH,
                format!("Note: must be at most {NOTE_MAX} characters"),
            );
        }
        match (errors.is_empty(), zone, span) {
            (true, Some(zone), (Some(start), Some(end))) => Ok(BookingPlan {
                account_id: self.account_id.clone(),
                start,
                end,
                zone,
                assets: self.assets.clone(),
                kit: self.kit,
                issue: self.issue.clone(),
                note: self.note.trim().to_owned(),
            }),
            _ => Err(errors),
        }
    }
}

/// Where a booking is in its life, as stored. Whether it is missed or late is derived from the
/// clock ([`Phase`]), never stored, so nothing has to run at the booking's end to be right.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BookingState {
    /// Reserved, not yet picked up.
    Booked,
    /// Picked up: its assets are checked out to the person.
    PickedUp,
    /// Everything came back.
    Returned,
    /// Called off before pickup.
    Cancelled,
}

impl BookingState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A booking's state read against the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Booked; too early to pick up.
    Upcoming,
    /// Booked, and may be picked up now.
    Ready,
    /// Booked, and its end passed without a pickup.
    Missed,
    /// Picked up, and its end has not come.
    Out,
    /// Picked up, and not all back by its end.
    Late,
    Returned,
    Cancelled,
}

/// The phase of a booking in `state` over `[start, end)` at `now`.
pub fn phase(state: BookingState, start: i64, end: i64, now: i64) -> Phase {
    match state {
        BookingState::Booked if now >= end => Phase::Missed,
        BookingState::Booked if now >= start - PICKUP_EARLY_MILLIS => Phase::Ready,
        BookingState::Booked => Phase::Upcoming,
        BookingState::PickedUp if now >= end => Phase::Late,
        BookingState::PickedUp => Phase::Out,
        BookingState::Returned => Phase::Returned,
        BookingState::Cancelled => Phase::Cancelled,
    }
}

/// Whether `[a_start, a_end)` and `[b_start, b_end)` share an instant.
pub fn overlaps(a_start: i64, a_end: i64, b_start: i64, b_end: i64) -> bool {
    a_start < b_end && b_start < a_end
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: i64 = 60 * 60 * 1000;

    fn berlin() -> Zone {
        Zone::parse("Europe/Berlin").unwrap()
    }

    fn at(text: &str) -> i64 {
        parse_datetime(text).unwrap()
    }

    fn draft(start: &str, end: &str, zone: Option<&str>) -> BookingDraft {
        BookingDraft {
            account_id: "557058:0a1b2c3d-aaaa-bbbb-cccc-0123456789ab".into(),
            start: start.into(),
            end: end.into(),
            assets: vec![AssetKey::parse("IT-42").unwrap()],
            kit: None,
            time_zone: zone.map(str::to_owned),
            issue: None,
            note: String::new(),
        }
    }

    const NOW: &str = "2030-01-01T00:00:00Z";

    #[test]
    fn zones_are_iana_names() {
        assert!(Zone::parse("Europe/Berlin").is_some());
        assert!(Zone::parse("America/New_York").is_some());
        assert!(Zone::parse("UTC").is_some());
        for bad in [
            "",
            "Mars/Olympus",
            "+01:00",
            "Europe/Berlin/x",
            &"A".repeat(65),
        ] {
            assert!(Zone::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_day_summer_time_starts_has_23_hours_and_the_day_it_ends_25() {
        let zone = berlin();
        // 2030: summer time starts on Sunday 31 March and ends on Sunday 27 October.
        let march_31 = parse_date("2030-03-31").unwrap();
        let length = zone.day_start(march_31 + 1).unwrap() - zone.day_start(march_31).unwrap();
        assert_eq!(length, 23 * HOUR);
        let october_27 = parse_date("2030-10-27").unwrap();
        let length = zone.day_start(october_27 + 1).unwrap() - zone.day_start(october_27).unwrap();
        assert_eq!(length, 25 * HOUR);
        // An ordinary day, and UTC, have 24.
        let length = zone.day_start(march_31).unwrap() - zone.day_start(march_31 - 1).unwrap();
        assert_eq!(length, 24 * HOUR);
        let utc = Zone::utc();
        assert_eq!(
            utc.day_start(march_31 + 1).unwrap() - utc.day_start(march_31).unwrap(),
            24 * HOUR
        );
    }

    #[test]
    fn a_date_range_in_a_zone_covers_whole_local_days_across_a_change_of_offset() {
        // "30 March to 1 April" in Berlin: from local midnight on the 30th (UTC+1) to local
        // midnight after the 1st (UTC+2): three days of 24, 23 and 24 hours.
        let plan = draft("2030-03-30", "2030-04-01", Some("Europe/Berlin"))
            .plan(at(NOW))
            .unwrap();
        assert_eq!(plan.start, at("2030-03-29T23:00:00Z"));
        assert_eq!(plan.end, at("2030-04-01T22:00:00Z"));
        assert_eq!(plan.end - plan.start, 71 * HOUR);
        // The same dates in New York (its change is on 10 March) are three 24-hour days.
        let plan = draft("2030-03-30", "2030-04-01", Some("America/New_York"))
            .plan(at(NOW))
            .unwrap();
        assert_eq!(plan.end - plan.start, 72 * HOUR);
        // Autumn: 26 to 27 October in Berlin is 24 + 25 hours.
        let plan = draft("2030-10-26", "2030-10-27", Some("Europe/Berlin"))
            .plan(at(NOW))
            .unwrap();
        assert_eq!(plan.end - plan.start, 49 * HOUR);
    }

    #[test]
    fn local_times_across_a_change_keep_their_wall_clock_meaning() {
        let zone = berlin();
        // 09:00 before and after the spring change are 23 hours apart on the timeline, not 24.
        let before = zone.instant("2030-03-30T09:00", false).unwrap();
        let after = zone.instant("2030-03-31T09:00", false).unwrap();
        assert_eq!(after - before, 23 * HOUR);
        assert_eq!(before, at("2030-03-30T08:00:00Z"));
        assert_eq!(after, at("2030-03-31T07:00:00Z"));
        // 02:30 does not exist that night: it moves forward by the gap, to 03:30 summer time.
        let skipped = zone.instant("2030-03-31T02:30", false).unwrap();
        assert_eq!(skipped, at("2030-03-31T01:30:00Z"));
        // 02:30 on 27 October happens twice: the first (summer time) is meant.
        let twice = zone.instant("2030-10-27T02:30", false).unwrap();
        assert_eq!(twice, at("2030-10-27T00:30:00Z"));
        // An explicit offset wins over the zone, also in forms RFC 3339 does not take; an
        // offset that cannot be honoured is refused, never read as local time.
        assert_eq!(
            zone.instant("2030-03-31T09:00:00Z", false),
            Some(at("2030-03-31T09:00:00Z"))
        );
        assert_eq!(
            zone.instant("2030-03-31T09:00+05:00", false),
            Some(at("2030-03-31T04:00:00Z"))
        );
        assert_eq!(
            zone.instant("2030-03-31T09:00:00+05:30[Asia/Kolkata]", false),
            Some(at("2030-03-31T03:30:00Z"))
        );
        for odd in [
            "2030-03-31T09:00-",
            "2030-03-31T09:00[Europe/Paris]",
            "09:00",
            "2030-03-31T",
        ] {
            assert_eq!(zone.instant(odd, false), None, "{odd}");
        }
    }

    #[test]
    fn the_local_day_of_an_instant_follows_the_zone() {
        let zone = berlin();
        // 23:30 UTC on 30 March is already the 31st in Berlin (UTC+1 that night)...
        assert_eq!(
            zone.day_of(at("2030-03-30T23:30:00Z")),
            parse_date("2030-03-31")
        );
        // ...and 22:30 UTC on 31 March is 00:30 on 1 April in summer time (UTC+2).
        assert_eq!(
            zone.day_of(at("2030-03-31T22:30:00Z")),
            parse_date("2030-04-01")
        );
        assert_eq!(
            Zone::utc().day_of(at("2030-03-31T22:30:00Z")),
            parse_date("2030-03-31")
        );
        assert_eq!(
            zone.describe(at("2030-03-31T22:30:00Z")),
            "2030-04-01 00:30 Europe/Berlin"
        );
    }

    #[test]
    fn a_draft_names_what_is_wrong_with_it() {
        let now = at(NOW);
        let codes = |d: BookingDraft| {
            d.plan(now)
                .unwrap_err()
                .0
                .iter()
                .map(|e| (e.field.clone(), e.rule.to_owned()))
                .collect::<Vec<_>>()
        };
        let field = |f: &str, r: &str| (f.to_owned(), r.to_owned());
        assert_eq!(
            codes(draft("2030-03-07", "2030-03-03", None)),
            [field("end", rules::MIN)]
        );
        assert_eq!(
            codes(draft("2030-03-03", "2031-03-07", None)),
            [field("end", rules::MAX)]
        );
        assert_eq!(
            codes(draft("2029-12-01", "2029-12-02", None)),
            [field("end", rules::MIN)]
        );
        assert_eq!(
            codes(draft("2029-12-01", "2030-01-02", None)),
            [field("start", rules::MIN)]
        );
        assert_eq!(
            codes(draft("soon", "2030-01-02", None)),
            [field("start", rules::FORMAT)]
        );
        assert_eq!(
            codes(draft("2030-03-03", "2030-03-04", Some("Mars/Olympus"))),
            [field("timeZone", rules::OPTION)]
        );
        let mut both = draft("2030-03-03", "2030-03-04", None);
        both.kit = Some(1);
        assert_eq!(codes(both), [field("kit", rules::CARDINALITY)]);
        let mut none = draft("2030-03-03", "2030-03-04", None);
        none.assets.clear();
        assert_eq!(codes(none), [field("assets", rules::REQUIRED)]);
        let mut twice = draft("2030-03-03", "2030-03-04", None);
        twice.assets.push(AssetKey::parse("IT-42").unwrap());
        assert_eq!(codes(twice), [field("assets", rules::DUPLICATE_VALUE)]);
        let mut bad = draft("2030-03-03", "2030-03-04", None);
        bad.account_id = "Jane Doe".into();
        bad.issue = Some("not an issue".into());
        bad.note = "x".repeat(NOTE_MAX + 1);
        assert_eq!(
            codes(bad),
            [
                field("accountId", rules::FORMAT),
                field("issue", rules::FORMAT),
                field("note", rules::MAX_LENGTH)
            ]
        );
        // "From this morning" is fine.
        assert!(
            draft("2029-12-31T09:00:00Z", "2030-01-02", None)
                .plan(now)
                .is_ok()
        );
    }

    #[test]
    fn phases_follow_the_clock() {
        let (start, end) = (10 * DAY_MILLIS, 12 * DAY_MILLIS);
        let p = |state, now| phase(state, start, end, now);
        assert_eq!(
            p(BookingState::Booked, start - DAY_MILLIS - 1),
            Phase::Upcoming
        );
        assert_eq!(p(BookingState::Booked, start - DAY_MILLIS), Phase::Ready);
        assert_eq!(p(BookingState::Booked, end - 1), Phase::Ready);
        assert_eq!(p(BookingState::Booked, end), Phase::Missed);
        assert_eq!(p(BookingState::PickedUp, end - 1), Phase::Out);
        assert_eq!(p(BookingState::PickedUp, end), Phase::Late);
        assert_eq!(p(BookingState::Returned, end), Phase::Returned);
        assert_eq!(p(BookingState::Cancelled, start), Phase::Cancelled);
        assert_eq!(
            "picked_up".parse::<BookingState>().unwrap(),
            BookingState::PickedUp
        );
        assert_eq!(BookingState::PickedUp.as_str(), "picked_up");
    }

    proptest! {
        /// Half-open ranges: overlap is symmetric, and touching ranges never overlap.
        #[test]
        fn overlap_is_symmetric_and_touching_is_free(a in 0i64..1000, la in 1i64..100, b in 0i64..1000, lb in 1i64..100) {
            prop_assert_eq!(overlaps(a, a + la, b, b + lb), overlaps(b, b + lb, a, a + la));
            prop_assert!(!overlaps(a, a + la, a + la, a + la + lb));
            let shared = (a..a + la).any(|t| (b..b + lb).contains(&t));
            prop_assert_eq!(overlaps(a, a + la, b, b + lb), shared);
        }

        /// Every local day in Berlin is 23, 24 or 25 hours, and day_of inverts day_start.
        #[test]
        fn local_days_round_trip(days in 20_000i32..30_000) {
            let zone = berlin();
            let start = zone.day_start(days).unwrap();
            let next = zone.day_start(days + 1).unwrap();
            prop_assert!([23 * HOUR, 24 * HOUR, 25 * HOUR].contains(&(next - start)));
            prop_assert_eq!(zone.day_of(start), Some(days));
            prop_assert_eq!(zone.day_of(next - 1), Some(days));
        }
    }
}
