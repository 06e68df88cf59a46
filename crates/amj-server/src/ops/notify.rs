//! What alert sinks receive: a generic JSON webhook, a Slack-compatible incoming webhook, the
//! PagerDuty Events v2 format, and the log. Payloads are built here, apart from delivery, so each
//! format is tested exactly.

use amj_ops::alerts::{Alert, Transition};
use serde::Serialize;

/// RFC 3339 in UTC, or the raw milliseconds if out of range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Time {
    Rfc3339(String),
    Millis(i64),
}

fn time(millis: i64) -> Time {
    amj_domain::value::format_datetime(millis).map_or(Time::Millis(millis), Time::Rfc3339)
}

fn parts(transition: &Transition) -> (&'static str, &Alert, Option<i64>) {
    match transition {
        Transition::Fired(alert) => ("firing", alert, None),
        Transition::Resolved { alert, at } => ("resolved", alert, Some(*at)),
    }
}

/// What one sink is sent: each format's own shape.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Payload<'a> {
    Webhook(WebhookPayload<'a>),
    Slack(SlackPayload),
    PagerDuty(PagerDutyEvent<'a>),
}

/// The generic webhook body: everything, named plainly.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload<'a> {
    pub status: &'static str,
    pub alert: &'static str,
    pub severity: &'static str,
    pub dedup_key: String,
    /// Always present (null for a deployment-wide alert), so consumers need not guess.
    pub site: Option<&'a str>,
    pub summary: &'a str,
    pub started_at: Time,
    pub resolved_at: Option<Time>,
    pub runbook: &'a str,
}

/// A Slack-compatible incoming webhook message (`text` with mrkdwn links).
#[derive(Debug, Serialize)]
pub struct SlackPayload {
    pub text: String,
}

/// A PagerDuty Events API v2 event.
#[derive(Debug, Serialize)]
pub struct PagerDutyEvent<'a> {
    pub routing_key: &'a str,
    pub event_action: &'static str,
    pub dedup_key: String,
    pub payload: PagerDutyDetail<'a>,
    pub links: Vec<PagerDutyLink<'a>>,
}

#[derive(Debug, Serialize)]
pub struct PagerDutyDetail<'a> {
    /// PagerDuty rejects summaries over 1,024 characters.
    pub summary: String,
    pub source: &'a str,
    pub severity: &'static str,
    pub timestamp: Time,
    pub component: &'a str,
    pub class: &'static str,
}

#[derive(Debug, Serialize)]
pub struct PagerDutyLink<'a> {
    pub href: &'a str,
    pub text: &'static str,
}

pub fn webhook_payload(transition: &Transition) -> WebhookPayload<'_> {
    let (status, alert, resolved_at) = parts(transition);
    WebhookPayload {
        status,
        alert: alert.key.rule.code(),
        severity: alert.key.rule.severity(),
        dedup_key: alert.key.dedup_key(),
        site: alert.site_name.as_deref(),
        summary: &alert.summary,
        started_at: time(alert.started_at),
        resolved_at: resolved_at.map(time),
        runbook: &alert.runbook,
    }
}

pub fn slack_payload(transition: &Transition) -> SlackPayload {
    let (status, alert, _) = parts(transition);
    let prefix = if status == "firing" {
        format!("[FIRING, {}]", alert.key.rule.severity())
    } else {
        "[RESOLVED]".to_owned()
    };
    SlackPayload {
        text: format!(
            "{prefix} {}: {} (<{}|runbook>)",
            alert.key.rule.code(),
            alert.summary,
            alert.runbook
        ),
    }
}

/// The dedup key ties the resolve to its trigger.
pub fn pagerduty_payload<'a>(
    transition: &'a Transition,
    routing_key: &'a str,
    source: &'a str,
) -> PagerDutyEvent<'a> {
    let (status, alert, _) = parts(transition);
    let action = if status == "firing" {
        "trigger"
    } else {
        "resolve"
    };
    PagerDutyEvent {
        routing_key,
        event_action: action,
        dedup_key: alert.key.dedup_key(),
        payload: PagerDutyDetail {
            summary: alert.summary.chars().take(1024).collect(),
            source,
            severity: alert.key.rule.severity(),
            timestamp: time(alert.started_at),
            component: alert.site_name.as_deref().unwrap_or("amj"),
            class: alert.key.rule.code(),
        },
        links: vec![PagerDutyLink {
            href: &alert.runbook,
            text: "Runbook",
        }],
    }
}

/// The log sink: one line per transition, at error for firing, info for resolved.
pub fn log(transition: &Transition) {
    let (status, alert, _) = parts(transition);
    let site = alert.site_name.as_deref().unwrap_or("-");
    if status == "firing" {
        tracing::error!(alert = alert.key.rule.code(), site, runbook = %alert.runbook, "ALERT firing: {}", alert.summary);
    } else {
        tracing::info!(
            alert = alert.key.rule.code(),
            site,
            "ALERT resolved: {}",
            alert.summary
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use amj_domain::ids::TenantId;
    use serde_json::{Value, json};

    fn value(payload: impl Serialize) -> Value {
        serde_json::to_value(payload).unwrap()
    }
    use amj_ops::alerts::{AlertKey, Rule};

    fn alert() -> Alert {
        Alert {
            key: AlertKey {
                rule: Rule::SiteAuthFailures,
                site: Some(TenantId(7)),
            },
            site_name: Some("https://acme.atlassian.net".into()),
            summary: "https://acme.atlassian.net: 9 of 10 requests failed".into(),
            started_at: 1_795_516_200_000,
            runbook: "https://ops.example.com/RUNBOOK.md#site_auth_failures".into(),
        }
    }

    #[test]
    fn webhook() {
        let fired = value(webhook_payload(&Transition::Fired(alert())));
        assert_eq!(
            fired,
            json!({
                "status": "firing",
                "alert": "site_auth_failures",
                "severity": "critical",
                "dedupKey": "amj:site_auth_failures:site-7",
                "site": "https://acme.atlassian.net",
                "summary": "https://acme.atlassian.net: 9 of 10 requests failed",
                "startedAt": "2026-11-24T10:30:00Z",
                "resolvedAt": null,
                "runbook": "https://ops.example.com/RUNBOOK.md#site_auth_failures",
            })
        );
        let resolved_transition = Transition::Resolved {
            alert: alert(),
            at: 1_795_516_500_000,
        };
        let resolved = value(webhook_payload(&resolved_transition));
        assert_eq!(resolved["status"], "resolved");
        assert_eq!(resolved["resolvedAt"], "2026-11-24T10:35:00Z");
    }

    #[test]
    fn slack() {
        assert_eq!(
            value(slack_payload(&Transition::Fired(alert())))["text"],
            "[FIRING, critical] site_auth_failures: https://acme.atlassian.net: 9 of 10 requests failed \
             (<https://ops.example.com/RUNBOOK.md#site_auth_failures|runbook>)"
        );
        let resolved = value(slack_payload(&Transition::Resolved {
            alert: alert(),
            at: 0,
        }));
        assert!(
            resolved["text"]
                .as_str()
                .unwrap()
                .starts_with("[RESOLVED] ")
        );
    }

    #[test]
    fn pagerduty_trigger_and_resolve_share_a_dedup_key() {
        let fired = Transition::Fired(alert());
        let trigger = value(pagerduty_payload(&fired, "R0UTING", "amj.example.com"));
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(trigger["routing_key"], "R0UTING");
        assert_eq!(trigger["payload"]["severity"], "critical");
        assert_eq!(trigger["payload"]["source"], "amj.example.com");
        assert_eq!(trigger["payload"]["timestamp"], "2026-11-24T10:30:00Z");
        assert_eq!(trigger["links"][0]["text"], "Runbook");
        let resolved = Transition::Resolved {
            alert: alert(),
            at: 1,
        };
        let resolve = value(pagerduty_payload(&resolved, "R0UTING", "amj.example.com"));
        assert_eq!(resolve["event_action"], "resolve");
        assert_eq!(resolve["dedup_key"], trigger["dedup_key"]);
    }
}
