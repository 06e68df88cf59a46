//! What alert sinks receive: a generic JSON webhook, a Slack-compatible incoming webhook, the
//! PagerDuty Events v2 format, and the log. Payloads are built here, apart from delivery, so each
//! format is tested exactly.

use amj_ops::alerts::{Alert, Transition};
use serde_json::{Value, json};

/// RFC 3339 in UTC, or the raw milliseconds if out of range.
fn time(millis: i64) -> Value {
    amj_domain::value::format_datetime(millis).map_or_else(|| json!(millis), Value::String)
}

fn parts(transition: &Transition) -> (&'static str, &Alert, Option<i64>) {
    match transition {
        Transition::Fired(alert) => ("firing", alert, None),
        Transition::Resolved { alert, at } => ("resolved", alert, Some(*at)),
    }
}

/// The generic webhook body: everything, named plainly.
pub fn webhook_payload(transition: &Transition) -> Value {
    let (status, alert, resolved_at) = parts(transition);
    json!({
        "status": status,
        "alert": alert.key.rule.code(),
        "severity": alert.key.rule.severity(),
        "dedupKey": alert.key.dedup_key(),
        "site": alert.site_name,
        "summary": alert.summary,
        "startedAt": time(alert.started_at),
        "resolvedAt": resolved_at.map(time),
        "runbook": alert.runbook,
    })
}

/// A Slack-compatible incoming webhook message (`text` with mrkdwn links).
pub fn slack_payload(transition: &Transition) -> Value {
    let (status, alert, _) = parts(transition);
    let prefix = if status == "firing" {
        format!("[FIRING, {}]", alert.key.rule.severity())
    } else {
        "[RESOLVED]".to_owned()
    };
    json!({
        "text": format!(
            "{prefix} {}: {} (<{}|runbook>)",
            alert.key.rule.code(),
            alert.summary,
            alert.runbook
        ),
    })
}

/// A PagerDuty Events API v2 event. The dedup key ties the resolve to its trigger.
pub fn pagerduty_payload(transition: &Transition, routing_key: &str, source: &str) -> Value {
    let (status, alert, _) = parts(transition);
    let action = if status == "firing" {
        "trigger"
    } else {
        "resolve"
    };
    json!({
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": alert.key.dedup_key(),
        "payload": {
            "summary": alert.summary.chars().take(1024).collect::<String>(),
            "source": source,
            "severity": alert.key.rule.severity(),
            "timestamp": time(alert.started_at),
            "component": alert.site_name.as_deref().unwrap_or("amj"),
            "class": alert.key.rule.code(),
        },
        "links": [{"href": alert.runbook, "text": "Runbook"}],
    })
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
        let fired = webhook_payload(&Transition::Fired(alert()));
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
        let resolved = webhook_payload(&Transition::Resolved {
            alert: alert(),
            at: 1_795_516_500_000,
        });
        assert_eq!(resolved["status"], "resolved");
        assert_eq!(resolved["resolvedAt"], "2026-11-24T10:35:00Z");
    }

    #[test]
    fn slack() {
        assert_eq!(
            slack_payload(&Transition::Fired(alert()))["text"],
            "[FIRING, critical] site_auth_failures: https://acme.atlassian.net: 9 of 10 requests failed \
             (<https://ops.example.com/RUNBOOK.md#site_auth_failures|runbook>)"
        );
        let resolved = slack_payload(&Transition::Resolved {
            alert: alert(),
            at: 0,
        });
        assert!(
            resolved["text"]
                .as_str()
                .unwrap()
                .starts_with("[RESOLVED] ")
        );
    }

    #[test]
    fn pagerduty_trigger_and_resolve_share_a_dedup_key() {
        let trigger = pagerduty_payload(&Transition::Fired(alert()), "R0UTING", "amj.example.com");
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(trigger["routing_key"], "R0UTING");
        assert_eq!(trigger["payload"]["severity"], "critical");
        assert_eq!(trigger["payload"]["source"], "amj.example.com");
        assert_eq!(trigger["payload"]["timestamp"], "2026-11-24T10:30:00Z");
        assert_eq!(trigger["links"][0]["text"], "Runbook");
        let resolve = pagerduty_payload(
            &Transition::Resolved {
                alert: alert(),
                at: 1,
            },
            "R0UTING",
            "amj.example.com",
        );
        assert_eq!(resolve["event_action"], "resolve");
        assert_eq!(resolve["dedup_key"], trigger["dedup_key"]);
    }
}
