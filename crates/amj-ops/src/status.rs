//! The public status page's model: components, their state, and incidents in the format people
//! know from hosted status pages (title, impact, a timeline of updates, times in UTC).
//!
//! The page is public, so nothing on it names a site: a per-site alert shows as "some sites".

use super::alerts::{Alert, Rule};
use serde::Serialize;

/// A closed set of words that the CLI reads, the store keeps and the page shows. Each word is the
/// variant's name in snake_case unless the variant says otherwise with `#[strum(serialize = ..)]`;
/// strum derives the words, the parser and `Display` from the enum, and serde writes the word.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            strum::IntoStaticStr,
            strum::EnumString,
            strum::VariantNames,
            strum::Display,
        )]
        #[strum(serialize_all = "snake_case", ascii_case_insensitive)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// Parses the word, in any case and with spaces around, or explains which words are
            /// accepted.
            pub fn parse(text: &str) -> Result<Self, String> {
                text.trim().parse().map_err(|_| {
                    format!(
                        "{text:?} is not one of: {}",
                        <Self as strum::VariantNames>::VARIANTS.join(", ")
                    )
                })
            }
        }
    };
}

word_enum!(
    /// How bad an incident is, on Statuspage's scale.
    Impact { None, Minor, Major, Critical }
);
word_enum!(
    /// The parts of the service the page reports on.
    Component { Auth, App, Database, Jobs }
);
word_enum!(
    /// Where an incident stands; its latest update's status.
    IncidentStatus {
        Investigating,
        Identified,
        Monitoring,
        Resolved,
    }
);
word_enum!(
    /// A component's state, worst last.
    ComponentState {
        Operational,
        /// Statuspage's word for it.
        #[strum(serialize = "degraded_performance")]
        Degraded,
        PartialOutage,
        MajorOutage,
    }
);

impl Component {
    pub fn title(self) -> &'static str {
        match self {
            Component::Auth => "Jira integration (authentication)",
            Component::App => "App UI and API",
            Component::Database => "Database",
            Component::Jobs => "Background jobs",
        }
    }
}

impl ComponentState {
    pub fn title(self) -> &'static str {
        match self {
            ComponentState::Operational => "Operational",
            ComponentState::Degraded => "Degraded performance",
            ComponentState::PartialOutage => "Partial outage",
            ComponentState::MajorOutage => "Major outage",
        }
    }

    fn for_impact(impact: Impact) -> Self {
        match impact {
            Impact::None => ComponentState::Operational,
            Impact::Minor => ComponentState::Degraded,
            Impact::Major => ComponentState::PartialOutage,
            Impact::Critical => ComponentState::MajorOutage,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentUpdate {
    pub at: i64,
    pub status: IncidentStatus,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub impact: Impact,
    pub component: Component,
    pub status: IncidentStatus,
    /// The rule that opened it, for incidents the alerts manage.
    pub alert_rule: Option<String>,
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
    pub postmortem: Option<String>,
    /// Newest first, as status pages show them.
    pub updates: Vec<IncidentUpdate>,
}

/// What an alert rule's incident says in public.
pub struct AlertIncident {
    pub title: &'static str,
    pub impact: Impact,
    pub component: Component,
}

pub fn alert_incident(rule: Rule) -> AlertIncident {
    let (title, impact, component) = match rule {
        Rule::SiteAuthFailures => (
            "Requests from some Jira sites are failing authentication",
            Impact::Major,
            Component::Auth,
        ),
        Rule::SiteSilentAfterRotation => (
            "Some Jira sites cannot reach the app after a secret rotation",
            Impact::Major,
            Component::Auth,
        ),
        Rule::GlobalAuthFailureSpike => (
            "Elevated authentication failures from Jira",
            Impact::Critical,
            Component::Auth,
        ),
        Rule::InstallKeyFetchFailures => (
            "App installs and updates cannot be verified",
            Impact::Minor,
            Component::Auth,
        ),
        Rule::DatabaseNotReady => (
            "The database is unavailable",
            Impact::Critical,
            Component::Database,
        ),
        Rule::SyntheticProbeFailing => (
            "Synthetic checks of the Jira connection are failing",
            Impact::Major,
            Component::Auth,
        ),
        Rule::LifecycleServerError => (
            "App installs and updates are failing for some sites",
            Impact::Minor,
            Component::Auth,
        ),
        Rule::ForgeJwksFetchFailing => (
            "The app cannot refresh Forge's signing keys",
            Impact::Minor,
            Component::Auth,
        ),
        Rule::ForgeTokenMissing => (
            "Background work cannot reach Jira for some Forge sites",
            Impact::Minor,
            Component::Jobs,
        ),
        Rule::ForgeTriggerSilent => (
            "Scheduled work from Forge has stopped for some sites",
            Impact::Minor,
            Component::Jobs,
        ),
        Rule::ForgeLinkMissing => (
            "Some sites moved to Forge do not show their data",
            Impact::Major,
            Component::App,
        ),
    };
    AlertIncident {
        title,
        impact,
        component,
    }
}

/// The public timeline entry for an alert change. Sites are counted, never named.
pub fn alert_update_message(rule: Rule, firing_sites: usize, fired: bool) -> String {
    let per_site = matches!(
        rule,
        Rule::SiteAuthFailures
            | Rule::SiteSilentAfterRotation
            | Rule::LifecycleServerError
            | Rule::ForgeTokenMissing
            | Rule::ForgeTriggerSilent
            | Rule::ForgeLinkMissing
    );
    match (fired, per_site) {
        (true, true) => format!(
            "Automated monitoring detected the problem. Sites affected now: {firing_sites}. We are investigating."
        ),
        (true, false) => {
            "Automated monitoring detected the problem. We are investigating.".to_owned()
        }
        (false, true) if firing_sites > 0 => {
            format!("One site recovered. Sites still affected: {firing_sites}.")
        }
        (false, _) => "Automated monitoring reports the problem has cleared.".to_owned(),
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentStatus {
    pub component: Component,
    pub name: &'static str,
    pub state: ComponentState,
    pub state_title: &'static str,
}

/// The whole page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusPage {
    /// The worst component state.
    pub overall: ComponentState,
    pub overall_title: &'static str,
    pub components: Vec<ComponentStatus>,
    pub open_incidents: Vec<Incident>,
    pub recent_incidents: Vec<Incident>,
    pub generated_at: i64,
}

/// Facts the page is computed from.
pub struct Facts<'a> {
    pub now: i64,
    pub alerts: &'a [Alert],
    /// The last readiness check's result.
    pub database_ready: bool,
    /// When the background jobs last completed a tick, and how often they should.
    pub last_tick_at: Option<i64>,
    pub tick_every_millis: i64,
    pub incidents: Vec<Incident>,
}

/// Each component takes the worst of: its firing alerts, the open incidents naming it, and its
/// own check (database readiness, background-job liveness).
pub fn status_page(facts: Facts<'_>) -> StatusPage {
    let mut states: Vec<(Component, ComponentState)> = Component::ALL
        .iter()
        .map(|c| (*c, ComponentState::Operational))
        .collect();
    let mut worsen = |component: Component, state: ComponentState| {
        if let Some((_, current)) = states.iter_mut().find(|(c, _)| *c == component) {
            *current = (*current).max(state);
        }
    };
    for alert in facts.alerts {
        let public = alert_incident(alert.key.rule);
        worsen(public.component, ComponentState::for_impact(public.impact));
    }
    if !facts.database_ready {
        worsen(Component::Database, ComponentState::MajorOutage);
    }
    let jobs_late = facts
        .last_tick_at
        .is_none_or(|at| facts.now - at > 3 * facts.tick_every_millis);
    if jobs_late {
        worsen(Component::Jobs, ComponentState::Degraded);
    }
    let (open, recent): (Vec<Incident>, Vec<Incident>) = facts
        .incidents
        .into_iter()
        .partition(|i| i.resolved_at.is_none());
    for incident in &open {
        worsen(
            incident.component,
            ComponentState::for_impact(incident.impact),
        );
    }
    let components: Vec<ComponentStatus> = states
        .into_iter()
        .map(|(component, state)| ComponentStatus {
            component,
            name: component.title(),
            state,
            state_title: state.title(),
        })
        .collect();
    let overall = components
        .iter()
        .map(|c| c.state)
        .max()
        .unwrap_or(ComponentState::Operational);
    StatusPage {
        overall,
        overall_title: match overall {
            ComponentState::Operational => "All systems operational",
            ComponentState::Degraded => "Degraded performance",
            ComponentState::PartialOutage => "Partial outage",
            ComponentState::MajorOutage => "Major outage",
        },
        components,
        open_incidents: open,
        recent_incidents: recent,
        generated_at: facts.now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::AlertKey;
    use amj_domain::ids::TenantId;

    fn alert(rule: Rule) -> Alert {
        Alert {
            key: AlertKey {
                rule,
                site: Some(TenantId(7)),
            },
            site_name: Some("https://secret-customer.atlassian.net".into()),
            summary: "x".into(),
            started_at: 0,
            runbook: String::new(),
        }
    }

    fn facts(alerts: &[Alert]) -> Facts<'_> {
        Facts {
            now: 600_000,
            alerts,
            database_ready: true,
            last_tick_at: Some(590_000),
            tick_every_millis: 15_000,
            incidents: Vec::new(),
        }
    }

    #[test]
    fn all_quiet_is_operational() {
        let page = status_page(facts(&[]));
        assert_eq!(page.overall, ComponentState::Operational);
        assert_eq!(page.components.len(), 4);
        assert_eq!(page.overall_title, "All systems operational");
    }

    #[test]
    fn alerts_incidents_and_checks_worsen_their_component_only() {
        let alerts = [alert(Rule::SiteAuthFailures)];
        let mut f = facts(&alerts);
        f.database_ready = false;
        f.last_tick_at = Some(0);
        f.incidents.push(Incident {
            id: 1,
            title: "Slow pages".into(),
            impact: Impact::Minor,
            component: Component::App,
            status: IncidentStatus::Identified,
            alert_rule: None,
            opened_at: 1,
            resolved_at: None,
            postmortem: None,
            updates: Vec::new(),
        });
        let page = status_page(f);
        let state = |c: Component| {
            page.components
                .iter()
                .find(|s| s.component == c)
                .map(|s| s.state)
        };
        assert_eq!(state(Component::Auth), Some(ComponentState::PartialOutage));
        assert_eq!(
            state(Component::Database),
            Some(ComponentState::MajorOutage)
        );
        assert_eq!(state(Component::Jobs), Some(ComponentState::Degraded));
        assert_eq!(state(Component::App), Some(ComponentState::Degraded));
        assert_eq!(page.overall, ComponentState::MajorOutage);
        assert_eq!(page.open_incidents.len(), 1);
        let json = serde_json::to_string(&page).unwrap();
        assert!(
            !json.contains("secret-customer"),
            "a public page must not name a site"
        );
    }

    #[test]
    fn words_parse_case_insensitively_and_explain_mistakes() {
        assert_eq!(Impact::parse("Major"), Ok(Impact::Major));
        assert_eq!(
            IncidentStatus::parse(" resolved "),
            Ok(IncidentStatus::Resolved)
        );
        let error = Component::parse("web").unwrap_err();
        assert_eq!(error, r#""web" is not one of: auth, app, database, jobs"#);
        let error = ComponentState::parse("degraded").unwrap_err();
        assert!(
            error.ends_with("degraded_performance, partial_outage, major_outage"),
            "{error}"
        );
    }

    /// The words are stored and published: renaming a variant must not change one unnoticed.
    #[test]
    fn words_are_pinned_and_serde_agrees() {
        fn words<T>(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str) -> Result<T, String>,
        ) -> Vec<&'static str>
        where
            T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + Serialize,
        {
            all.iter()
                .map(|&v| {
                    let word = as_str(v);
                    assert_eq!(serde_json::to_value(v).unwrap(), word);
                    assert_eq!(v.to_string(), word);
                    assert_eq!(parse(word), Ok(v));
                    assert_eq!(parse(&word.to_uppercase()), Ok(v));
                    word
                })
                .collect()
        }
        assert_eq!(
            words(Impact::ALL, Impact::as_str, Impact::parse),
            ["none", "minor", "major", "critical"]
        );
        assert_eq!(
            words(Component::ALL, Component::as_str, Component::parse),
            ["auth", "app", "database", "jobs"]
        );
        assert_eq!(
            words(
                IncidentStatus::ALL,
                IncidentStatus::as_str,
                IncidentStatus::parse
            ),
            ["investigating", "identified", "monitoring", "resolved"]
        );
        assert_eq!(
            words(
                ComponentState::ALL,
                ComponentState::as_str,
                ComponentState::parse
            ),
            [
                "operational",
                "degraded_performance",
                "partial_outage",
                "major_outage"
            ]
        );
    }

    #[test]
    fn public_messages_count_sites_without_naming_them() {
        assert!(
            alert_update_message(Rule::SiteAuthFailures, 3, true).contains("Sites affected now: 3")
        );
        assert!(
            alert_update_message(Rule::SiteAuthFailures, 2, false).contains("still affected: 2")
        );
        assert!(alert_update_message(Rule::SiteAuthFailures, 0, false).contains("cleared"));
        assert!(alert_update_message(Rule::DatabaseNotReady, 0, true).contains("investigating"));
    }
}
