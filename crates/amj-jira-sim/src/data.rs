//! Each simulated site's content: users, projects and issues seeded with realistic fake data, the
//! site's admins, the issue and app entity properties the app writes, and the JQL subset the app's
//! searches use.

use amj_connect::descriptor::{Descriptor, EntityType, ExtractionType};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub account_id: String,
    pub display_name: String,
    pub email: String,
    /// False once the person is deactivated in Atlassian Admin (they left): Jira keeps the
    /// account, so its accountId still resolves.
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub id: String,
    pub key: String,
    pub summary: String,
    pub project_key: String,
    pub status: String,
    pub assignee: Option<String>,
    /// When it last changed, in ms since 1970: Jira's `updated`, which apps read to order
    /// what they learn about an issue.
    pub updated: i64,
}

/// When the seeded issues last changed: 2026-12-01 09:00 UTC, so every run sees the same.
pub const SEEDED_AT: i64 = 1_796_115_600_000;

/// Now, in ms since 1970.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A time as Jira writes one in issue fields: `2026-12-01T09:00:00.000+0000`.
pub fn jira_time(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let ms = millis.rem_euclid(86_400_000);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}+0000",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// A status of the simulated workflow, as Jira's REST API describes one: its id, its name, and
/// its category, which is what apps key on (names are each site's own; categories are Jira's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkflowStatus {
    pub id: &'static str,
    pub name: &'static str,
    /// `new`, `indeterminate` or `done`.
    pub category: &'static str,
}

/// Every project's workflow here: a service-request flow with approval and rejection, any
/// status reachable from any other (Jira's default "all transitions" workflow).
pub const WORKFLOW: &[WorkflowStatus] = &[
    WorkflowStatus {
        id: "10000",
        name: "To Do",
        category: "new",
    },
    WorkflowStatus {
        id: "3",
        name: "In Progress",
        category: "indeterminate",
    },
    WorkflowStatus {
        id: "10002",
        name: "Approved",
        category: "indeterminate",
    },
    WorkflowStatus {
        id: "10001",
        name: "Done",
        category: "done",
    },
    WorkflowStatus {
        id: "10003",
        name: "Declined",
        category: "done",
    },
];

/// The changelog of a move from status `from` to `to`, as Jira sends it with "issue updated":
/// one `status` item with both ids and names.
pub fn status_change(from: &str, to: &WorkflowStatus) -> Value {
    json!({"items": [{
        "field": "status", "fieldtype": "jira", "fieldId": "status",
        "from": workflow_status(from).map(|s| s.id), "fromString": from,
        "to": to.id, "toString": to.name,
    }]})
}

/// The workflow status named `name` (any case).
pub fn workflow_status(name: &str) -> Option<&'static WorkflowStatus> {
    WORKFLOW.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// A status as Jira's REST API returns it, with its category (id, key and name as Jira has
/// them: 2 `new` "To Do", 4 `indeterminate` "In Progress", 3 `done` "Done").
pub fn status_json(name: &str, base_url: &str) -> Value {
    let Some(status) = workflow_status(name) else {
        return json!({"name": name});
    };
    let (category_id, category_name, colour) = match status.category {
        "new" => (2, "To Do", "blue-gray"),
        "indeterminate" => (4, "In Progress", "yellow"),
        _ => (3, "Done", "green"),
    };
    json!({
        "self": format!("{base_url}/rest/api/3/status/{}", status.id),
        "id": status.id,
        "name": status.name,
        "statusCategory": {
            "self": format!("{base_url}/rest/api/3/statuscategory/{category_id}"),
            "id": category_id,
            "key": status.category,
            "name": category_name,
            "colorName": colour,
        },
    })
}

#[derive(Debug, Clone, Default)]
pub struct SiteData {
    pub users: Vec<User>,
    pub issues: Vec<Issue>,
    /// (issue id, property key) → value.
    pub issue_properties: BTreeMap<(String, String), Value>,
    /// (app key, property key) → value.
    pub app_properties: BTreeMap<(String, String), Value>,
    /// (dashboard id, item id, property key) → value: where a placed gadget keeps its settings.
    pub dashboard_item_properties: BTreeMap<(String, String, String), Value>,
    /// (issue id, field id) → value of a custom field of the app's Forge field types.
    pub field_values: BTreeMap<(String, String), Value>,
    /// Field id → the configuration of the field's one context (`contextConfig`'s submit).
    pub field_configurations: BTreeMap<String, Value>,
    /// (project, field id) → the value chosen on the customer portal's request form, until the
    /// request is raised.
    pub portal_drafts: BTreeMap<(String, String), Value>,
    /// Account ids holding the ADMINISTER global permission: the site admin who installed the app,
    /// unless a test changes it. Seeded users are ordinary users.
    pub site_admins: BTreeSet<String>,
    /// Projects only some people may browse: project key → their account ids. Every other
    /// project is open to every user of the site. The app itself sees everything.
    pub restricted_projects: BTreeMap<String, BTreeSet<String>>,
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
            active: true,
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
                updated: SEEDED_AT,
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
    /// Whether `account_id` may see `issue` (BROWSE_PROJECTS on its project).
    pub fn can_browse(&self, account_id: &str, issue: &Issue) -> bool {
        self.restricted_projects
            .get(&issue.project_key)
            .is_none_or(|allowed| allowed.contains(account_id))
    }

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
        let mut json = json!({
            "id": issue.id,
            "key": issue.key,
            "self": format!("{base_url}/rest/api/3/issue/{}", issue.id),
            "fields": {
                "summary": issue.summary,
                "project": {"id": project_id(&issue.project_key), "key": issue.project_key},
                "status": status_json(&issue.status, base_url),
                "updated": jira_time(issue.updated),
                "assignee": issue.assignee.as_deref().and_then(|a| self.user(a)).map(|u| user_json(u, base_url)),
            }
        });
        for ((of, field), value) in &self.field_values {
            if *of == issue.id {
                json["fields"][field] = value.clone();
            }
        }
        json
    }
}

pub fn project_id(key: &str) -> String {
    match key {
        "AM" => "10000".into(),
        "OPS" => "10001".into(),
        other => format!("1{}", other.len()),
    }
}

/// A user as Jira's REST API returns one, with its avatars at each size Jira lists (all one
/// SVG here, served by the site: `crate::host::avatar`).
pub fn user_json(user: &User, base_url: &str) -> Value {
    let avatar = format!(
        "{base_url}/_sim/avatar/{}",
        url::form_urlencoded::byte_serialize(user.account_id.as_bytes()).collect::<String>()
    );
    json!({
        "accountId": user.account_id, "accountType": "atlassian",
        "displayName": user.display_name, "emailAddress": user.email, "active": user.active,
        "avatarUrls": {"48x48": avatar, "32x32": avatar, "24x24": avatar, "16x16": avatar},
    })
}

/// A custom field of one of the app's Forge field types (`jira:customFieldType`). In Jira an admin
/// creates fields of the type; the simulator creates one per type, named after it, when the
/// manifest is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeField {
    /// The module key of its type in the manifest.
    pub module_key: String,
    pub name: String,
    /// `customfield_10100`: what REST and the extension context call it.
    pub id: String,
    /// `10100`: JQL's `cf[10100]`.
    pub number: u32,
    /// Whether the type is a `collection: list`.
    pub list: bool,
    /// Whether the type shows values with its own Custom UI (`view.resource`) on the issue
    /// view, rather than its formatter's text.
    pub view_resource: bool,
}

/// One issue-property value Jira indexes because the installed app declared it in
/// `jiraEntityProperties`. Jira indexes nothing else, so JQL can reach nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedValue {
    pub property_key: String,
    pub object_name: String,
    pub kind: ExtractionType,
    pub alias: Option<String>,
}

/// The issue-property values `descriptor` asks Jira to index. Modules with an unknown entity type
/// or extraction type index nothing; `validate` has refused such a descriptor already.
pub fn issue_index(descriptor: &Descriptor) -> Vec<IndexedValue> {
    descriptor
        .modules
        .jira_entity_properties
        .iter()
        .filter(|m| m.parsed_entity_type() == Some(EntityType::Issue))
        .flat_map(|m| &m.key_configurations)
        .flat_map(|c| {
            c.extractions.iter().filter_map(|e| {
                Some(IndexedValue {
                    property_key: c.property_key.clone(),
                    object_name: e.object_name.clone(),
                    kind: e.extraction_type()?,
                    alias: e.alias.clone(),
                })
            })
        })
        .collect()
}

/// The JQL subset the app uses: clauses joined by `AND`, each `key = X`, `issuekey = X`,
/// `project = X`, `issuekey in (A, B)`, `key in (…)`, `text ~ "words"`,
/// `issue.property[<key>].<path> = X` or `… in (A, B)`, or an indexed value's alias with `=` or
/// `in`; `ORDER BY` is accepted and ignored. Property clauses reach only the values in `index`, as
/// in Jira. Anything else is a 400 with a message, as Jira answers.
///
/// The app's Forge custom fields are searchable by `cf[N]` or by name (quoted when it has
/// spaces), with `=` and `in`: a list field matches when any of its values does, as Jira's
/// exact-match searcher for string fields does.
pub fn search<'a>(
    data: &'a SiteData,
    jql: &str,
    index: &[IndexedValue],
    fields: &[ForgeField],
) -> Result<Vec<&'a Issue>, String> {
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
        clauses.push(parse_clause(clause.trim(), index, fields)?);
    }
    Ok(data
        .issues
        .iter()
        .filter(|issue| clauses.iter().all(|c| c.matches(data, issue)))
        .collect())
}

enum Clause {
    Key(Vec<String>),
    Project(String),
    Text(String),
    Property {
        indexed: IndexedValue,
        values: Vec<String>,
    },
    Field {
        id: String,
        values: Vec<String>,
    },
}

impl Clause {
    fn matches(&self, data: &SiteData, issue: &Issue) -> bool {
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
            Clause::Property { indexed, values } => {
                let key = (issue.id.clone(), indexed.property_key.clone());
                let Some(property) = data.issue_properties.get(&key) else {
                    return false;
                };
                let mut found = Vec::new();
                let path: Vec<&str> = indexed.object_name.split('.').collect();
                collect_at(property, &path, &mut found);
                found
                    .iter()
                    .any(|v| values.iter().any(|w| value_equals(indexed.kind, v, w)))
            }
            Clause::Field { id, values } => {
                let Some(value) = data.field_values.get(&(issue.id.clone(), id.clone())) else {
                    return false;
                };
                let mut found = Vec::new();
                collect_at(value, &[], &mut found);
                found.iter().any(|v| {
                    values
                        .iter()
                        .any(|w| value_equals(ExtractionType::String, v, w))
                })
            }
        }
    }
}

/// The values at `path` in `value`, Jira's flattened-object view: an array anywhere on the path
/// contributes each of its elements, so `keys` matches any element of `{"keys": [...]}`.
fn collect_at<'v>(value: &'v Value, path: &[&str], out: &mut Vec<&'v Value>) {
    match (value, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|i| collect_at(i, path, out)),
        (_, None) => out.push(value),
        (Value::Object(map), Some((first, rest))) => {
            if let Some(next) = map.get(*first) {
                collect_at(next, rest, out);
            }
        }
        _ => {}
    }
}

/// Whether an indexed value equals a JQL operand. Strings (and users, dates) compare exactly;
/// numbers compare as numbers, so `3` matches `3.0`.
fn value_equals(kind: ExtractionType, stored: &Value, wanted: &str) -> bool {
    match (kind, stored) {
        (ExtractionType::Number, Value::Number(n)) => wanted
            .parse::<f64>()
            .is_ok_and(|w| n.as_f64().is_some_and(|n| n == w)),
        (_, Value::String(s)) => s == wanted,
        (_, Value::Number(n)) => n.to_string() == wanted,
        (_, Value::Bool(b)) => b.to_string() == wanted,
        _ => false,
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
    value.trim().trim_matches(['"', '\'']).to_owned()
}

/// The operands of `= X` or `in (A, B)`; `None` for any other operator.
fn equality_operands(rest: &str) -> Option<Result<Vec<String>, String>> {
    if let Some(value) = rest.strip_prefix('=') {
        return Some(Ok(vec![unquote(value)]));
    }
    let list = rest
        .get(..2)
        .filter(|op| op.eq_ignore_ascii_case("in"))
        .and_then(|_| rest.get(2..))?
        .trim();
    Some(
        list.strip_prefix('(')
            .and_then(|l| l.strip_suffix(')'))
            .map(|inner| {
                inner
                    .split(',')
                    .map(unquote)
                    .filter(|k| !k.is_empty())
                    .collect()
            })
            .ok_or_else(|| "the operator 'in' needs a (list) of values".to_owned()),
    )
}

/// `issue.property[<key>].<path>` → (key, path). The key may be quoted, and its case is kept.
fn property_field(field: &str) -> Option<(String, String)> {
    let prefix = "issue.property[";
    let rest = field
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .and_then(|_| field.get(prefix.len()..))?;
    let (key, path) = rest.split_once(']')?;
    Some((
        unquote(key),
        path.strip_prefix('.').unwrap_or(path).to_owned(),
    ))
}

fn no_such_field(field: &str) -> String {
    format!("Field '{field}' does not exist or you do not have permission to view it.")
}

/// The app field a clause names: `cf[10100]`, `customfield_10100`, or its name.
fn forge_field<'f>(raw: &str, fields: &'f [ForgeField]) -> Option<&'f ForgeField> {
    let raw = unquote(raw);
    let number = raw
        .strip_prefix("cf[")
        .and_then(|r| r.strip_suffix(']'))
        .or_else(|| raw.strip_prefix("customfield_"))
        .and_then(|n| n.parse::<u32>().ok());
    fields.iter().find(|f| match number {
        Some(n) => f.number == n,
        None => f.name.eq_ignore_ascii_case(&raw),
    })
}

fn parse_clause(
    clause: &str,
    index: &[IndexedValue],
    fields: &[ForgeField],
) -> Result<Clause, String> {
    // A quoted field name ends at its closing quote.
    let field_end = if let Some(rest) = clause.strip_prefix('"') {
        rest.find('"').map_or(clause.len(), |at| at + 2)
    } else {
        clause
            .find(|c: char| c.is_whitespace() || c == '=' || c == '~' || c == '!')
            .unwrap_or(clause.len())
    };
    let raw_field = &clause[..field_end];
    if let Some(field) = forge_field(raw_field, fields) {
        let rest = clause[field_end..].trim();
        return match equality_operands(rest) {
            Some(values) => Ok(Clause::Field {
                id: field.id.clone(),
                values: values?,
            }),
            None => Err(format!(
                "The operator in {clause:?} is not supported by the simulator for '{}'; use = or in.",
                field.name
            )),
        };
    }
    let field = raw_field.to_lowercase();
    let field = field.as_str();
    let rest = clause[field_end..].trim();
    let indexed = match property_field(raw_field) {
        Some((key, path)) => Some(
            index
                .iter()
                .find(|v| v.property_key == key && v.object_name == path)
                .ok_or_else(|| no_such_field(raw_field))?,
        ),
        None => index.iter().find(|v| {
            v.alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(raw_field))
        }),
    };
    if let Some(indexed) = indexed {
        if indexed.kind == ExtractionType::Text {
            return Err(format!(
                "The simulator supports only = and in on property values, and '{raw_field}' is \
                 indexed as text, which Jira searches with ~."
            ));
        }
        return match equality_operands(rest) {
            Some(values) => Ok(Clause::Property {
                indexed: indexed.clone(),
                values: values?,
            }),
            None => Err(format!(
                "The operator in {clause:?} is not supported by the simulator for '{raw_field}'; \
                 use = or in."
            )),
        };
    }
    match field {
        "key" | "issuekey" | "issue" => match equality_operands(rest) {
            Some(keys) => Ok(Clause::Key(keys?)),
            None => Err(format!(
                "the operator in {clause:?} is not supported for {field}"
            )),
        },
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
        _ => Err(no_such_field(field)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_jira_writes_them() {
        assert_eq!(jira_time(SEEDED_AT), "2026-12-01T09:00:00.000+0000");
        assert_eq!(jira_time(0), "1970-01-01T00:00:00.000+0000");
        assert_eq!(jira_time(951_782_400_123), "2000-02-29T00:00:00.123+0000");
        assert_eq!(jira_time(-1), "1969-12-31T23:59:59.999+0000");
    }

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
    fn statuses_carry_their_category_and_changes_their_ids() {
        let todo = status_json("To Do", "https://acme.example.com");
        assert_eq!(todo["statusCategory"]["key"], "new");
        assert_eq!(todo["statusCategory"]["id"], 2);
        assert_eq!(
            status_json("approved", "x")["statusCategory"]["key"],
            "indeterminate"
        );
        assert_eq!(
            status_json("Declined", "x")["statusCategory"]["key"],
            "done"
        );
        assert_eq!(status_json("Limbo", "x"), json!({"name": "Limbo"}));
        let done = workflow_status("done").unwrap();
        assert_eq!(
            status_change("In Progress", done)["items"][0],
            json!({"field": "status", "fieldtype": "jira", "fieldId": "status",
                   "from": "3", "fromString": "In Progress", "to": "10001", "toString": "Done"})
        );
        let data = seed("acme");
        let issue = data.issue("AM-1").unwrap();
        assert_eq!(
            data.issue_json(issue, "x")["fields"]["status"]["statusCategory"]["key"],
            "new"
        );
    }

    #[test]
    fn jql_subset() {
        let data = seed("acme");
        let keys = |jql: &str| {
            search(&data, jql, &[], &[])
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
            search(&data, "assignee = me", &[], &[])
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(
            search(&data, "", &[], &[])
                .unwrap_err()
                .contains("unbounded")
        );
        assert!(search(&data, "order by key", &[], &[]).is_err());
        assert!(search(&data, "project ~ AM", &[], &[]).is_err());
    }

    #[test]
    fn jql_finds_issues_by_the_apps_custom_fields() {
        let mut data = seed("acme");
        let field = ForgeField {
            module_key: "asset-field".into(),
            name: "Assets".into(),
            id: "customfield_10100".into(),
            number: 10_100,
            list: true,
            view_resource: false,
        };
        let fields = [field.clone()];
        data.field_values
            .insert(("10001".into(), field.id.clone()), json!(["IT-1", "IT-2"]));
        data.field_values
            .insert(("10002".into(), field.id.clone()), json!(["IT-3"]));
        let keys = |jql: &str| -> Vec<String> {
            search(&data, jql, &[], &fields)
                .unwrap()
                .iter()
                .map(|i| i.key.clone())
                .collect()
        };
        assert_eq!(keys("cf[10100] = IT-2"), ["AM-1"]);
        assert_eq!(keys("customfield_10100 = \"IT-3\""), ["AM-2"]);
        assert_eq!(keys("Assets in (IT-1, IT-3)"), ["AM-1", "AM-2"]);
        assert_eq!(keys("\"Assets\" = IT-1 AND project = AM"), ["AM-1"]);
        assert!(keys("cf[10100] = IT-9").is_empty());
        assert!(search(&data, "cf[10100] ~ IT", &[], &fields).is_err());
        // Without the deployed type the field does not exist.
        assert!(search(&data, "cf[10100] = IT-1", &[], &[]).is_err());
        assert_eq!(
            data.issue_json(&data.issues[0].clone(), "http://x")["fields"]["customfield_10100"],
            json!(["IT-1", "IT-2"])
        );
    }

    fn asset_index() -> Vec<IndexedValue> {
        vec![
            IndexedValue {
                property_key: "assets".into(),
                object_name: "keys".into(),
                kind: ExtractionType::String,
                alias: Some("assetKeys".into()),
            },
            IndexedValue {
                property_key: "assets".into(),
                object_name: "owner.count".into(),
                kind: ExtractionType::Number,
                alias: None,
            },
            IndexedValue {
                property_key: "notes".into(),
                object_name: "body".into(),
                kind: ExtractionType::Text,
                alias: None,
            },
        ]
    }

    #[test]
    fn jql_reaches_declared_issue_properties_only() {
        let mut data = seed("acme");
        let mut set = |issue: &str, key: &str, value: Value| {
            data.issue_properties
                .insert((issue.to_owned(), key.to_owned()), value);
        };
        set("10001", "assets", json!({"keys": ["IT-42", "IT-7"]}));
        set(
            "10002",
            "assets",
            json!({"keys": "IT-42", "owner": {"count": 3}}),
        );
        set("10003", "assets", json!({"keys": []}));
        set("10007", "other", json!({"keys": ["IT-42"]}));
        set("10008", "assets", json!({"keys": ["it-42"]}));
        let index = asset_index();
        let keys = |jql: &str| {
            search(&data, jql, &index, &[])
                .unwrap()
                .iter()
                .map(|i| i.key.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys("issue.property[assets].keys = \"IT-42\""),
            ["AM-1", "AM-2"]
        );
        assert_eq!(keys("ISSUE.PROPERTY[\"assets\"].keys = IT-7"), ["AM-1"]);
        assert_eq!(
            keys("issue.property[assets].keys in (\"IT-7\", \"it-42\")"),
            ["AM-1", "OPS-2"]
        );
        assert_eq!(
            keys("assetKeys = \"IT-42\" AND project = AM"),
            ["AM-1", "AM-2"]
        );
        assert_eq!(keys("assetkeys in (IT-7)"), ["AM-1"]);
        assert_eq!(keys("issue.property[assets].owner.count = 3.0"), ["AM-2"]);
        assert!(keys("issue.property[assets].keys = \"IT-99\"").is_empty());

        let error = |jql: &str| search(&data, jql, &index, &[]).unwrap_err();
        assert_eq!(
            error("issue.property[other].keys = \"IT-42\""),
            "Field 'issue.property[other].keys' does not exist or you do not have permission to \
             view it."
        );
        assert!(error("issue.property[assets].count = 1").contains("does not exist"));
        assert!(error("issue.property[Assets].keys = IT-42").contains("does not exist"));
        assert!(error("issue.property[assets].keys ~ IT-42").contains("use = or in"));
        assert!(error("assetKeys != IT-42").contains("use = or in"));
        assert!(error("issue.property[notes].body = x").contains("indexed as text"));
        let undeclared = search(&data, "issue.property[assets].keys = \"IT-42\"", &[], &[]);
        assert!(undeclared.unwrap_err().contains("does not exist"));
        assert!(
            search(&data, "assetKeys = IT-42", &[], &[])
                .unwrap_err()
                .contains("does not exist")
        );
    }

    #[test]
    fn the_index_follows_the_descriptor() {
        use amj_connect::descriptor::{DescriptorBuilder, EntityProperty};
        let descriptor = DescriptorBuilder::new("amj", "AMJ", "https://amj.example.com")
            .entity_property(
                EntityProperty::new("asset-links", "Asset links", EntityType::Issue).extract(
                    "assets",
                    "keys",
                    ExtractionType::String,
                    Some("assetKeys"),
                ),
            )
            .entity_property(
                EntityProperty::new("people", "People", EntityType::User).extract(
                    "assets",
                    "owned",
                    ExtractionType::String,
                    None,
                ),
            )
            .build();
        assert_eq!(issue_index(&descriptor), asset_index()[..1]);
    }
}
