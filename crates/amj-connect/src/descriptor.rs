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
    pub jira_dashboard_items: Vec<DashboardItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jira_entity_properties: Vec<EntityProperty>,
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

/// A `jiraDashboardItems` module: a gadget people add to their Jira dashboards. Its URL carries
/// `{dashboard.id}` and `{dashboardItem.id}`, under which each placed gadget keeps its own
/// configuration (a dashboard item property).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardItem {
    pub key: String,
    pub name: I18n,
    pub description: I18n,
    pub url: String,
    pub thumbnail_url: String,
    /// Jira offers "Configure", which tells the frame to show its settings.
    #[serde(default)]
    pub configurable: bool,
    /// Jira offers "Refresh", which reloads the frame.
    #[serde(default)]
    pub refreshable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub event: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclude_body: bool,
}

/// A `jiraEntityProperties` module (docs/CONNECT.md §1.4): asks Jira to index values of an entity
/// property so that JQL can search them, as `issue.property[<propertyKey>].<objectName>` or by
/// alias. Jira indexes nothing an installed app has not declared here, so a property the app writes
/// but forgot to declare is silently unsearchable: declaring it is part of the contract.
///
/// `entityType` and each extraction's `type` stay strings, because Jira accepts them in either case
/// and `validate` should name a bad value rather than fail to parse the whole descriptor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityProperty {
    pub key: String,
    pub name: I18n,
    #[serde(default = "default_entity_type")]
    pub entity_type: String,
    #[serde(default)]
    pub key_configurations: Vec<KeyConfiguration>,
}

fn default_entity_type() -> String {
    EntityType::Issue.as_str().to_owned()
}

/// One entity property (by key) and the values Jira extracts from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyConfiguration {
    pub property_key: String,
    #[serde(default)]
    pub extractions: Vec<Extraction>,
}

/// One indexed value: `objectName` is a `.`-separated path into the property's JSON. When it names
/// an array, `type` is the type of its elements and a clause matches any element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extraction {
    pub object_name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// The entities whose properties Jira can index, spelled as the descriptor's `entityType`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::EnumIter,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum EntityType {
    Issue,
    User,
    Project,
}

impl EntityType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Case-insensitive, as Jira reads the descriptor (`issue` and `ISSUE` are both documented).
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// How Jira indexes an extracted value, which decides the JQL operators it supports: `text` is
/// searched with `~`, the others with `=`, `in` and comparisons.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::EnumIter,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum ExtractionType {
    Number,
    String,
    Text,
    Date,
    User,
}

impl ExtractionType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Case-insensitive, as Jira reads the descriptor.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl Extraction {
    /// The parsed `type`, or `None` when it is not one Jira knows (`validate` reports that).
    pub fn extraction_type(&self) -> Option<ExtractionType> {
        ExtractionType::parse(&self.kind)
    }
}

impl EntityProperty {
    /// A module with no key configurations yet; add them with [`EntityProperty::extract`].
    pub fn new(key: &str, name: &str, entity_type: EntityType) -> Self {
        Self {
            key: key.to_owned(),
            name: I18n::new(name),
            entity_type: entity_type.as_str().to_owned(),
            key_configurations: Vec::new(),
        }
    }

    /// Indexes `object_name` of property `property_key`, searchable in JQL as
    /// `<entity>.property[<property_key>].<object_name>` and, with an alias, as `<alias>`.
    /// Extractions of the same property share one key configuration, as Jira expects.
    pub fn extract(
        mut self,
        property_key: &str,
        object_name: &str,
        kind: ExtractionType,
        alias: Option<&str>,
    ) -> Self {
        let extraction = Extraction {
            object_name: object_name.to_owned(),
            kind: kind.as_str().to_owned(),
            alias: alias.map(str::to_owned),
        };
        match self
            .key_configurations
            .iter_mut()
            .find(|c| c.property_key == property_key)
        {
            Some(configuration) => configuration.extractions.push(extraction),
            None => self.key_configurations.push(KeyConfiguration {
                property_key: property_key.to_owned(),
                extractions: vec![extraction],
            }),
        }
        self
    }

    /// The parsed `entityType`, or `None` when it is not one Jira knows.
    pub fn parsed_entity_type(&self) -> Option<EntityType> {
        EntityType::parse(&self.entity_type)
    }
}

/// The most extractions one app may declare across all its `jiraEntityProperties` modules, per
/// the limit the team took from Atlassian's Connect documentation (Forge's successor module
/// allows 100). Jira refuses a descriptor over it, so we refuse it first.
pub const MAX_EXTRACTIONS: usize = 30;

/// The longest entity property key Jira stores.
pub const MAX_PROPERTY_KEY_LEN: usize = 255;

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

    /// A configurable, refreshable dashboard gadget.
    pub fn dashboard_item(
        mut self,
        key: &str,
        name: &str,
        description: &str,
        url: &str,
        thumbnail_url: &str,
    ) -> Self {
        self.descriptor
            .modules
            .jira_dashboard_items
            .push(DashboardItem {
                key: key.into(),
                name: I18n::new(name),
                description: I18n::new(description),
                url: url.into(),
                thumbnail_url: thumbnail_url.into(),
                configurable: true,
                refreshable: true,
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

    /// Adds a `jiraEntityProperties` module, so Jira indexes the declared property values for JQL.
    pub fn entity_property(mut self, module: EntityProperty) -> Self {
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
    /// The rules a host applies before installing (docs/CONNECT.md §1), each failure named
    /// precisely.
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
        let gadgets = modules
            .jira_dashboard_items
            .iter()
            .map(|g| ("jiraDashboardItems", &g.key, &g.url));
        let mut check_module_key = |module: &str, key: &String, problems: &mut Vec<String>| {
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
        };
        for (module, key, url) in pages.chain(admin).chain(glances).chain(gadgets) {
            check_module_key(module, key, &mut problems);
            if !url.starts_with('/') {
                problems.push(format!(
                    "{module} {key:?} url {url:?} must be relative to baseUrl"
                ));
            }
        }
        for module in &modules.jira_entity_properties {
            check_module_key("jiraEntityProperties", &module.key, &mut problems);
            validate_entity_property(module, &mut problems);
        }
        let extractions = modules
            .jira_entity_properties
            .iter()
            .flat_map(|m| &m.key_configurations)
            .flat_map(|c| &c.extractions);
        let mut aliases = std::collections::BTreeSet::new();
        for alias in extractions.clone().filter_map(|e| e.alias.as_ref()) {
            if !aliases.insert(alias) {
                problems.push(format!(
                    "jiraEntityProperties alias {alias:?} is used twice, so JQL could not tell which \
                     value it names"
                ));
            }
        }
        let count = extractions.count();
        if count > MAX_EXTRACTIONS {
            problems.push(format!(
                "jiraEntityProperties declare {count} extractions; an app may declare at most \
                 {MAX_EXTRACTIONS}"
            ));
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

/// The per-module rules of `jiraEntityProperties` (the module key is checked with the others).
fn validate_entity_property(module: &EntityProperty, problems: &mut Vec<String>) {
    let key = &module.key;
    if module.name.value.trim().is_empty() {
        problems.push(format!("jiraEntityProperties {key:?} needs a name"));
    }
    if module.parsed_entity_type().is_none() {
        problems.push(format!(
            "jiraEntityProperties {key:?} entityType {:?} must be issue, user or project",
            module.entity_type
        ));
    }
    if module.key_configurations.is_empty() {
        problems.push(format!(
            "jiraEntityProperties {key:?} needs at least one keyConfiguration"
        ));
    }
    for configuration in &module.key_configurations {
        let property = &configuration.property_key;
        if property.is_empty() || property.len() > MAX_PROPERTY_KEY_LEN {
            problems.push(format!(
                "jiraEntityProperties {key:?} propertyKey {property:?} must be 1 to \
                 {MAX_PROPERTY_KEY_LEN} characters"
            ));
        }
        if configuration.extractions.is_empty() {
            problems.push(format!(
                "jiraEntityProperties {key:?} propertyKey {property:?} needs at least one extraction"
            ));
        }
        for extraction in &configuration.extractions {
            if extraction.object_name.trim().is_empty() {
                problems.push(format!(
                    "jiraEntityProperties {key:?} propertyKey {property:?} has an extraction \
                     without an objectName"
                ));
            }
            if extraction.extraction_type().is_none() {
                problems.push(format!(
                    "jiraEntityProperties {key:?} extraction {:?} type {:?} must be number, \
                     string, text, date or user",
                    extraction.object_name, extraction.kind
                ));
            }
            if let Some(alias) = &extraction.alias {
                let alias_ok = !alias.is_empty()
                    && alias
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !alias_ok {
                    problems.push(format!(
                        "jiraEntityProperties {key:?} alias {alias:?} must match ^[a-zA-Z0-9_]+$"
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// The words are the descriptor's; Jira reads them in any case.
    #[test]
    fn entity_and_extraction_words() {
        let entities: Vec<_> = EntityType::iter().map(EntityType::as_str).collect();
        assert_eq!(entities, ["issue", "user", "project"]);
        let types: Vec<_> = ExtractionType::iter().map(ExtractionType::as_str).collect();
        assert_eq!(types, ["number", "string", "text", "date", "user"]);
        for t in EntityType::iter() {
            assert_eq!(EntityType::parse(t.as_str()), Some(t));
            assert_eq!(EntityType::parse(&t.as_str().to_uppercase()), Some(t));
        }
        for t in ExtractionType::iter() {
            assert_eq!(ExtractionType::parse(t.as_str()), Some(t));
            assert_eq!(ExtractionType::parse(&t.as_str().to_uppercase()), Some(t));
        }
        assert_eq!(
            ExtractionType::parse("Number"),
            Some(ExtractionType::Number)
        );
        assert_eq!(EntityType::parse("issues"), None);
        assert_eq!(ExtractionType::parse(""), None);
    }

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
        .entity_property(asset_links())
        .build()
    }

    fn asset_links() -> EntityProperty {
        EntityProperty::new("asset-links", "Asset links", EntityType::Issue).extract(
            "assets",
            "keys",
            ExtractionType::String,
            Some("assetKeys"),
        )
    }

    fn problems_of(module: EntityProperty) -> String {
        let mut d = sample();
        d.modules.jira_entity_properties = vec![module];
        d.validate().unwrap_err().join("\n")
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

    #[test]
    fn entity_properties_serialize_in_connect_shape() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(
            json["modules"]["jiraEntityProperties"],
            serde_json::json!([{
                "key": "asset-links",
                "name": {"value": "Asset links"},
                "entityType": "issue",
                "keyConfigurations": [{
                    "propertyKey": "assets",
                    "extractions": [{"objectName": "keys", "type": "string", "alias": "assetKeys"}]
                }]
            }])
        );
        let module = &sample().modules.jira_entity_properties[0];
        assert_eq!(module.parsed_entity_type(), Some(EntityType::Issue));
        assert_eq!(
            module.key_configurations[0].extractions[0].extraction_type(),
            Some(ExtractionType::String)
        );
    }

    #[test]
    fn entity_properties_read_as_jira_reads_them() {
        let module: EntityProperty = serde_json::from_value(serde_json::json!({
            "key": "sizes",
            "name": {"value": "Sizes"},
            "keyConfigurations": [{
                "propertyKey": "attachment",
                "extractions": [{"objectName": "size", "type": "NUMBER"}]
            }]
        }))
        .unwrap();
        assert_eq!(module.parsed_entity_type(), Some(EntityType::Issue));
        let mut d = sample();
        d.modules.jira_entity_properties.push(module);
        d.validate().unwrap();
    }

    #[test]
    fn extractions_of_one_property_share_a_key_configuration() {
        let module = asset_links()
            .extract("assets", "count", ExtractionType::Number, None)
            .extract("owner", "accountId", ExtractionType::User, None);
        let properties: Vec<_> = module
            .key_configurations
            .iter()
            .map(|c| (c.property_key.as_str(), c.extractions.len()))
            .collect();
        assert_eq!(properties, [("assets", 2), ("owner", 1)]);
    }

    #[test]
    fn entity_property_rules_name_each_problem() {
        let mut bad = EntityProperty::new("Asset Links", "", EntityType::Issue)
            .extract("", "", ExtractionType::String, Some("asset-keys"))
            .extract(&"p".repeat(256), "x", ExtractionType::Text, None);
        bad.entity_type = "comment".into();
        bad.key_configurations[0].extractions[0].kind = "boolean".into();
        bad.key_configurations.push(KeyConfiguration {
            property_key: "empty".into(),
            extractions: Vec::new(),
        });
        let text = problems_of(bad);
        for expected in [
            "jiraEntityProperties key \"Asset Links\"",
            "needs a name",
            "entityType \"comment\"",
            "propertyKey \"\" must be 1 to 255",
            "must be 1 to 255",
            "without an objectName",
            "type \"boolean\"",
            "alias \"asset-keys\" must match",
            "propertyKey \"empty\" needs at least one extraction",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in {text}");
        }
        let none = EntityProperty::new("nothing", "Nothing", EntityType::User);
        assert!(problems_of(none).contains("at least one keyConfiguration"));
    }

    #[test]
    fn entity_property_keys_and_aliases_are_unique_and_extractions_capped() {
        let mut d = sample();
        d.modules.jira_entity_properties.push(asset_links());
        let text = d.validate().unwrap_err().join("\n");
        assert!(
            text.contains("module key \"asset-links\" is used twice"),
            "{text}"
        );
        assert!(text.contains("alias \"assetKeys\" is used twice"), "{text}");

        let at_limit = (0..MAX_EXTRACTIONS).fold(
            EntityProperty::new("many", "Many", EntityType::Project),
            |m, i| m.extract("p", &format!("v{i}"), ExtractionType::String, None),
        );
        let mut d = sample();
        d.modules.jira_entity_properties = vec![at_limit.clone()];
        d.validate().unwrap();
        let over = at_limit.extract("p", "one-more", ExtractionType::String, None);
        assert!(problems_of(over).contains("31 extractions; an app may declare at most 30"));
    }
}
