//! The app descriptor (`atlassian-connect.json`): typed, built in code, and validated by the same
//! rules the simulator applies when it installs the app.
//!
//! The served descriptor is a versioned artifact: any change to it makes Atlassian roll out a new
//! app version, with a fleet-wide wave of `installed` callbacks over a day. Building it from types
//! (and snapshot-testing it in the server) keeps such changes deliberate.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub key: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Vendor>,
    pub base_url: String,
    pub authentication: Authentication,
    #[serde(default = "one")]
    pub api_version: u32,
    #[serde(default)]
    pub enable_licensing: bool,
    #[serde(default)]
    pub lifecycle: Lifecycle,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub api_migrations: BTreeMap<String, bool>,
    #[serde(default)]
    pub modules: Modules,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vendor {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authentication {
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uninstalled: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Modules {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub general_pages: Vec<Page>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admin_pages: Vec<Page>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jira_issue_glances: Vec<IssueGlance>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jira_entity_properties: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<Webhook>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct I18n {
    pub value: String,
}

impl I18n {
    pub fn new(value: &str) -> Self {
        Self {
            value: value.to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub key: String,
    pub name: I18n,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Icon {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlanceContent {
    #[serde(rename = "type")]
    pub kind: String,
    pub label: I18n,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlanceTarget {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueGlance {
    pub key: String,
    pub name: I18n,
    pub icon: Icon,
    pub content: GlanceContent,
    pub target: GlanceTarget,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub event: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclude_body: bool,
}

/// Builds our descriptor. `signed-install` and `context-qsh` are always on: they are what makes
/// forged installs and context-token replays impossible, and there is no reason to build a
/// descriptor without them.
#[derive(Debug, Clone)]
pub struct DescriptorBuilder {
    descriptor: Descriptor,
}

impl DescriptorBuilder {
    pub fn new(key: &str, name: &str, base_url: &str) -> Self {
        let mut api_migrations = BTreeMap::new();
        api_migrations.insert("signed-install".to_owned(), true);
        api_migrations.insert("context-qsh".to_owned(), true);
        api_migrations.insert("gdpr".to_owned(), true);
        Self {
            descriptor: Descriptor {
                key: key.to_owned(),
                name: name.to_owned(),
                description: None,
                vendor: None,
                base_url: base_url.trim_end_matches('/').to_owned(),
                authentication: Authentication { kind: "jwt".into() },
                api_version: 1,
                enable_licensing: false,
                lifecycle: Lifecycle::default(),
                scopes: Vec::new(),
                api_migrations,
                modules: Modules::default(),
            },
        }
    }

    pub fn description(mut self, text: &str) -> Self {
        self.descriptor.description = Some(text.to_owned());
        self
    }

    pub fn vendor(mut self, name: &str, url: &str) -> Self {
        self.descriptor.vendor = Some(Vendor {
            name: name.into(),
            url: url.into(),
        });
        self
    }

    pub fn lifecycle(
        mut self,
        installed: &str,
        uninstalled: &str,
        enabled: &str,
        disabled: &str,
    ) -> Self {
        self.descriptor.lifecycle = Lifecycle {
            installed: Some(installed.into()),
            uninstalled: Some(uninstalled.into()),
            enabled: Some(enabled.into()),
            disabled: Some(disabled.into()),
        };
        self
    }

    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.descriptor.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub fn general_page(
        mut self,
        key: &str,
        name: &str,
        url: &str,
        location: Option<&str>,
    ) -> Self {
        self.descriptor.modules.general_pages.push(Page {
            key: key.into(),
            name: I18n::new(name),
            url: url.into(),
            location: location.map(str::to_owned),
        });
        self
    }

    pub fn admin_page(mut self, key: &str, name: &str, url: &str) -> Self {
        self.descriptor.modules.admin_pages.push(Page {
            key: key.into(),
            name: I18n::new(name),
            url: url.into(),
            location: None,
        });
        self
    }

    pub fn issue_glance(
        mut self,
        key: &str,
        name: &str,
        label: &str,
        icon_url: &str,
        url: &str,
    ) -> Self {
        self.descriptor
            .modules
            .jira_issue_glances
            .push(IssueGlance {
                key: key.into(),
                name: I18n::new(name),
                icon: Icon {
                    url: icon_url.into(),
                    width: 24,
                    height: 24,
                },
                content: GlanceContent {
                    kind: "label".into(),
                    label: I18n::new(label),
                },
                target: GlanceTarget {
                    kind: "web_panel".into(),
                    url: url.into(),
                },
            });
        self
    }

    pub fn entity_property(mut self, module: serde_json::Value) -> Self {
        self.descriptor.modules.jira_entity_properties.push(module);
        self
    }

    pub fn webhook(mut self, event: &str, url: &str) -> Self {
        self.descriptor.modules.webhooks.push(Webhook {
            event: event.into(),
            url: url.into(),
            exclude_body: false,
        });
        self
    }

    pub fn build(self) -> Descriptor {
        self.descriptor
    }
}

impl Descriptor {
    /// The rules a host applies before installing (PROTOCOL.md §1), each failure named precisely.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 80
            && self
                .key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !key_ok {
            problems.push(format!(
                "key {:?} must match ^[a-zA-Z0-9-._]+$ and be at most 80 characters",
                self.key
            ));
        }
        if self.base_url.len() > 200
            || !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://"))
        {
            problems.push("baseUrl must be an http(s) URL of at most 200 characters".to_owned());
        }
        if !self.authentication.kind.eq_ignore_ascii_case("jwt")
            && !self.authentication.kind.eq_ignore_ascii_case("none")
        {
            problems.push(format!(
                "authentication.type {:?} must be jwt or none",
                self.authentication.kind
            ));
        }
        if self.authentication.kind.eq_ignore_ascii_case("jwt")
            && self.lifecycle.installed.is_none()
        {
            problems.push("lifecycle.installed is required for a jwt app".to_owned());
        }
        for (name, url) in [
            ("lifecycle.installed", &self.lifecycle.installed),
            ("lifecycle.uninstalled", &self.lifecycle.uninstalled),
            ("lifecycle.enabled", &self.lifecycle.enabled),
            ("lifecycle.disabled", &self.lifecycle.disabled),
        ] {
            if let Some(url) = url
                && !url.starts_with('/')
            {
                problems.push(format!("{name} {url:?} must be a path relative to baseUrl"));
            }
        }
        const SCOPES: [&str; 9] = [
            "NONE",
            "READ",
            "WRITE",
            "DELETE",
            "PROJECT_ADMIN",
            "SPACE_ADMIN",
            "ADMIN",
            "ACT_AS_USER",
            "ACCESS_EMAIL_ADDRESSES",
        ];
        for scope in &self.scopes {
            if !SCOPES.iter().any(|s| s.eq_ignore_ascii_case(scope)) {
                problems.push(format!("scope {scope:?} is not a Connect scope"));
            }
        }
        let mut keys = std::collections::BTreeSet::new();
        let modules = &self.modules;
        let pages = modules
            .general_pages
            .iter()
            .map(|p| ("generalPages", &p.key, &p.url));
        let admin = modules
            .admin_pages
            .iter()
            .map(|p| ("adminPages", &p.key, &p.url));
        let glances = modules
            .jira_issue_glances
            .iter()
            .map(|g| ("jiraIssueGlances", &g.key, &g.target.url));
        for (module, key, url) in pages.chain(admin).chain(glances) {
            let key_valid = !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !key_valid {
                problems.push(format!(
                    "{module} key {key:?} must be lower-case letters, digits and dashes"
                ));
            }
            if !keys.insert(key.clone()) {
                problems.push(format!("module key {key:?} is used twice"));
            }
            if !url.starts_with('/') {
                problems.push(format!(
                    "{module} {key:?} url {url:?} must be relative to baseUrl"
                ));
            }
        }
        for hook in &modules.webhooks {
            if hook.event.is_empty() {
                problems.push("a webhook has no event".to_owned());
            }
            if !hook.url.starts_with('/') {
                problems.push(format!(
                    "webhook {} url {:?} must be relative to baseUrl",
                    hook.event, hook.url
                ));
            }
        }
        if !modules.webhooks.is_empty()
            && !self.scopes.iter().any(|s| s.eq_ignore_ascii_case("READ"))
        {
            problems.push("webhooks need the READ scope".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Descriptor {
        DescriptorBuilder::new(
            "amj",
            "Asset Management for Jira",
            "https://amj.example.com/",
        )
        .lifecycle("/installed", "/uninstalled", "/enabled", "/disabled")
        .scopes(&["READ", "WRITE"])
        .general_page(
            "assets",
            "Assets",
            "/pages/assets",
            Some("system.top.navigation.bar"),
        )
        .webhook("jira:issue_deleted", "/webhooks/issue-deleted")
        .build()
    }

    #[test]
    fn builder_output_is_valid_and_signed_install() {
        let d = sample();
        assert_eq!(d.base_url, "https://amj.example.com");
        d.validate().unwrap();
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["apiMigrations"]["signed-install"], true);
        assert_eq!(json["apiMigrations"]["context-qsh"], true);
        assert_eq!(
            json["modules"]["generalPages"][0]["name"]["value"],
            "Assets"
        );
        let back: Descriptor = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn validation_names_each_problem() {
        let mut d = sample();
        d.key = "bad key!".into();
        d.lifecycle.installed = Some("installed".into());
        d.scopes.push("ROOT".into());
        d.modules
            .general_pages
            .push(d.modules.general_pages[0].clone());
        let problems = d.validate().unwrap_err();
        let text = problems.join("\n");
        for expected in [
            "key \"bad key!\"",
            "lifecycle.installed",
            "scope \"ROOT\"",
            "used twice",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in {text}");
        }
    }
}
