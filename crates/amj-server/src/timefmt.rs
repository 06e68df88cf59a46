//! UTC timestamps for people: the status page, incident timelines and the admin page.

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const UTC_FORMAT: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");

/// `2026-11-24 02:14:05 UTC` for Unix milliseconds. A time outside what `time` can represent (far
/// beyond any stored timestamp) is shown as the raw number rather than failing the page.
pub fn utc(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|at| at.format(UTC_FORMAT).ok())
        .unwrap_or_else(|| format!("{millis} ms since 1970 (UTC)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_646_647_200_000), "2022-03-07 10:00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(-1000), "1969-12-31 23:59:59 UTC");
        assert_eq!(utc(i64::MAX), format!("{} ms since 1970 (UTC)", i64::MAX));
    }
}
