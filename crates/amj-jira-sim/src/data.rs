//! Each simulated site's content: users, projects and issues seeded with realistic fake data, the
//! issue and app entity properties the app writes, and the JQL subset the app's searches use.

use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub account_id: String,
    pub display_name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub id: String,
    pub key: String,
    pub summary: String,
    pub project_key: String,
    pub status: String,
    pub assignee: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SiteData {
    pub users: Vec<User>,
    pub issues: Vec<Issue>,
    /// (issue id, property key) → value.
    pub issue_properties: BTreeMap<(String, String), Value>,
    /// (app key, property key) → value.
    pub app_properties: BTreeMap<(String, String), Value>,
}

const PEOPLE: &[(&str, &str)] = &[
    ("Amara Okafor", "IT lead"),
    ("Jonas Becker", "service desk"),
    ("Lucía Fernández", "procurement"),
    ("Wei Chen", "infrastructure"),
    ("Priya Natarajan", "security"),
    ("Tomás Silva", "field support"),
    ("Hannah Müller", "finance"),
    ("Kofi Mensah", "design"),
];

const ISSUES: &[(&str, &str, &str)] = &[
    ("AM", "Laptop for the new designer", "To Do"),
    ("AM", "Replace the broken office printer", "In Progress"),
    ("AM", "Renew the Figma licences", "To Do"),
    ("AM", "Monitor flickers on desk 4.12", "Done"),
    ("AM", "Return equipment from a leaver", "In Progress"),
    (
        "AM",
        "Order docking stations for the Lisbon office",
        "To Do",
    ),
    (
        "OPS",
        "Server rack in Berlin needs a new UPS",
        "In Progress",
    ),
    ("OPS", "Audit the monitors in the Lisbon office", "To Do"),
    ("OPS", "Firewall licence expires next month", "To Do"),
    ("OPS", "Decommission the old build server", "Done"),
    ("OPS", "Spare SSDs for the NAS", "To Do"),
    (
        "OPS",
        "Wi-Fi access point in meeting room B keeps rebooting",
        "In Progress",
    ),
];

/// Deterministic per site, so a screenshot or a test sees the same names every run.
pub fn seed(site: &str) -> SiteData {
    let domain = format!("{site}.example.com");
    let users: Vec<User> = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, (name, _))| User {
            account_id: format!("557058:{site}-{i:04}"),
            display_name: (*name).to_owned(),
            email: format!(
                "{}@{domain}",
                name.split_whitespace()
                    .next()
                    .unwrap_or("user")
                    .to_lowercase()
            ),
        })
        .collect();
    let mut counters: BTreeMap<&str, u32> = BTreeMap::new();
    let issues = ISSUES
        .iter()
        .enumerate()
        .map(|(i, (project, summary, status))| {
            let n = counters.entry(project).or_insert(0);
            *n += 1;
            Issue {
                id: (10001 + i).to_string(),
                key: format!("{project}-{n}"),
                summary: (*summary).to_owned(),
                project_key: (*project).to_owned(),
                status: (*status).to_owned(),
                assignee: users.get(i % users.len()).map(|u| u.account_id.clone()),
            }
        })
        .collect();
    SiteData {
        users,
        issues,
        ..SiteData::default()
    }
}

impl SiteData {
    pub fn issue(&self, id_or_key: &str) -> Option<&Issue> {
        self.issues
            .iter()
            .find(|i| i.id == id_or_key || i.key.eq_ignore_ascii_case(id_or_key))
    }

    pub fn user(&self, account_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.account_id == account_id)
    }

    pub fn search_users(&self, query: &str) -> Vec<&User> {
        let q = query.to_lowercase();
        self.users
            .iter()
            .filter(|u| u.display_name.to_lowercase().contains(&q) || u.email.contains(&q))
            .collect()
    }

    pub fn issue_json(&self, issue: &Issue, base_url: &str) -> Value {
        json!({
            "id": issue.id,
            "key": issue.key,
            "self": format!("{base_url}/rest/api/3/issue/{}", issue.id),
            "fields": {
                "summary": issue.summary,
                "project": {"id": project_id(&issue.project_key), "key": issue.project_key},
                "status": {"name": issue.status},
                "assignee": issue.assignee.as_deref().and_then(|a| self.user(a)).map(user_json),
            }
        })
    }
}

pub fn project_id(key: &str) -> String {
    match key {
        "AM" => "10000".into(),
        "OPS" => "10001".into(),
        other => format!("1{}", other.len()),
    }
}

pub fn user_json(user: &User) -> Value {
    json!({"accountId": user.account_id, "accountType": "atlassian", "displayName": user.display_name, "emailAddress": user.email, "active": true})
}

/// The JQL subset the app uses: clauses joined by `AND`, each `key = X`, `issuekey = X`,
/// `project = X`, `issuekey in (A, B)`, `key in (…)` or `text ~ "words"`; `ORDER BY` is accepted
/// and ignored. Anything else is a 400 with a message, as Jira answers.
pub fn search<'a>(data: &'a SiteData, jql: &str) -> Result<Vec<&'a Issue>, String> {
    let jql = jql.trim();
    let body = match jql.to_lowercase().find(" order by ") {
        Some(i) => &jql[..i],
        None if jql.to_lowercase().starts_with("order by") => "",
        None => jql,
    };
    if body.trim().is_empty() {
        return Err("unbounded JQL queries are not allowed here; add a restriction".into());
    }
    let mut clauses = Vec::new();
    for clause in split_and(body) {
        clauses.push(parse_clause(clause.trim())?);
    }
    Ok(data
        .issues
        .iter()
        .filter(|issue| clauses.iter().all(|c| c.matches(issue)))
        .collect())
}

enum Clause {
    Key(Vec<String>),
    Project(String),
    Text(String),
}

impl Clause {
    fn matches(&self, issue: &Issue) -> bool {
        match self {
            Clause::Key(keys) => keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&issue.key) || *k == issue.id),
            Clause::Project(p) => p.eq_ignore_ascii_case(&issue.project_key),
            Clause::Text(words) => {
                let summary = issue.summary.to_lowercase();
                words
                    .to_lowercase()
                    .split_whitespace()
                    .all(|w| summary.contains(w))
            }
        }
    }
}

fn split_and(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    let mut start = 0;
    let mut in_quotes = false;
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && lower[i..].starts_with(" and ") {
            out.push(&text[start..i]);
            start = i + 5;
            i += 5;
            continue;
        }
        i += 1;
    }
    out.push(&text[start..]);
    out
}

fn unquote(value: &str) -> String {
    value.trim().trim_matches('"').to_owned()
}

fn parse_clause(clause: &str) -> Result<Clause, String> {
    let lower = clause.to_lowercase();
    let field_end = lower
        .find(|c: char| c.is_whitespace() || c == '=' || c == '~')
        .unwrap_or(lower.len());
    let field = &lower[..field_end];
    let rest = clause[field_end..].trim();
    let rest_lower = rest.to_lowercase();
    match field {
        "key" | "issuekey" | "issue" => {
            if let Some(value) = rest.strip_prefix('=') {
                Ok(Clause::Key(vec![unquote(value)]))
            } else if rest_lower.starts_with("in") {
                let list = rest[2..].trim();
                let inner = list
                    .strip_prefix('(')
                    .and_then(|l| l.strip_suffix(')'))
                    .ok_or("issuekey in needs a (list)")?;
                Ok(Clause::Key(
                    inner
                        .split(',')
                        .map(unquote)
                        .filter(|k| !k.is_empty())
                        .collect(),
                ))
            } else {
                Err(format!(
                    "the operator in {clause:?} is not supported for {field}"
                ))
            }
        }
        "project" => match rest.strip_prefix('=') {
            Some(value) => Ok(Clause::Project(unquote(value))),
            None => Err(format!(
                "the operator in {clause:?} is not supported for project"
            )),
        },
        "text" | "summary" => match rest.strip_prefix('~') {
            Some(value) => Ok(Clause::Text(unquote(value))),
            None => Err(format!("{field} supports only ~ in {clause:?}")),
        },
        _ => Err(format!(
            "Field '{field}' does not exist or you do not have permission to view it."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_is_deterministic_and_realistic() {
        let a = seed("acme");
        assert_eq!(a.users.len(), 8);
        assert_eq!(a.issues[0].key, "AM-1");
        assert_eq!(a.issues[6].key, "OPS-1");
        assert_eq!(seed("acme").issues, a.issues);
        assert_ne!(seed("globex").users[0].account_id, a.users[0].account_id);
        assert_eq!(a.issue("am-2").unwrap().id, "10002");
        assert_eq!(a.search_users("wei").len(), 1);
    }

    #[test]
    fn jql_subset() {
        let data = seed("acme");
        let keys = |jql: &str| {
            search(&data, jql)
                .unwrap()
                .iter()
                .map(|i| i.key.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys("key = AM-2"), ["AM-2"]);
        assert_eq!(keys("issuekey in (AM-1, \"OPS-2\")"), ["AM-1", "OPS-2"]);
        assert_eq!(keys("project = OPS AND text ~ \"licence\""), ["OPS-3"]);
        assert_eq!(keys("text ~ \"office printer\" ORDER BY key"), ["AM-2"]);
        assert!(
            search(&data, "assignee = me")
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(search(&data, "").unwrap_err().contains("unbounded"));
        assert!(search(&data, "order by key").is_err());
        assert!(search(&data, "project ~ AM").is_err());
    }
}
