//! The Forge manifest (`manifest.yml`) as typed data, for an app whose backend is a Forge Remote.
//!
//! Only the keys our app uses are modelled (docs/FORGE.md §3). The file is written as JSON, which
//! is YAML 1.2 (the Forge CLI and `@forge/manifest` read it as such), so no YAML emitter is needed
//! for a file that is generated, never hand-edited; `.ci/run` validates both variants with
//! Atlassian's own validator.

use serde::Serialize;

/// Module, endpoint and remote keys: Forge allows `[A-Za-z0-9_-]`, at most 23 characters for
/// remotes and endpoints.
pub const MAX_KEY_LEN: usize = 23;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub app: App,
    pub remotes: Vec<Remote>,
    pub modules: Modules,
    pub resources: Vec<Resource>,
    pub permissions: Permissions,
    /// The migration variant only: Connect's lifecycle, so that `installed` payloads carry the
    /// Forge `installationId` beside the `clientKey`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_modules: Option<ConnectModules>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct App {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<AppConnect>,
    pub licensing: Licensing,
    pub runtime: Runtime,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppConnect {
    pub key: String,
    pub remote: String,
    pub authentication: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Licensing {
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Runtime {
    pub name: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remote {
    pub key: String,
    pub base_url: String,
    pub operations: Vec<&'static str>,
    pub storage: RemoteStorage,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteStorage {
    #[serde(rename = "inScopeEUD")]
    pub in_scope_eud: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Modules {
    #[serde(rename = "jira:globalPage", skip_serializing_if = "Vec::is_empty")]
    pub global_page: Vec<UiModule>,
    #[serde(rename = "jira:issueContext", skip_serializing_if = "Vec::is_empty")]
    pub issue_context: Vec<UiModule>,
    #[serde(rename = "jira:adminPage", skip_serializing_if = "Vec::is_empty")]
    pub admin_page: Vec<UiModule>,
    #[serde(rename = "jira:dashboardGadget", skip_serializing_if = "Vec::is_empty")]
    pub dashboard_gadget: Vec<UiModule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trigger: Vec<Trigger>,
    #[serde(rename = "scheduledTrigger", skip_serializing_if = "Vec::is_empty")]
    pub scheduled_trigger: Vec<ScheduledTrigger>,
    #[serde(
        rename = "connectToForgeMigration",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub connect_to_forge_migration: Vec<MigrationNote>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoint: Vec<Endpoint>,
    #[serde(rename = "jira:entityProperty", skip_serializing_if = "Vec::is_empty")]
    pub entity_property: Vec<EntityPropertyModule>,
    #[serde(rename = "jira:customFieldType", skip_serializing_if = "Vec::is_empty")]
    pub custom_field_type: Vec<CustomFieldType>,
}

/// `jira:customFieldType`: a field type a Jira admin adds to issues, with per-context settings
/// (`contextConfig`). A type rather than a fixed `jira:customField` because only a type has
/// contexts, and the Assets field's scope is set per context.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldType {
    pub key: String,
    pub name: String,
    pub description: String,
    /// The value's type: `string` for asset keys.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `list`: several values, each searchable in JQL.
    pub collection: &'static str,
    /// How Jira shows a value where the app does not render (lists, exports, the issue view):
    /// a Jira expression over `value`.
    pub view: FieldView,
    pub edit: FieldEdit,
    pub context_config: FieldContextConfig,
    pub resolver: Resolver,
}

/// How Jira shows a value: the Custom UI `resource` on the issue view, and the `formatter`'s
/// text wherever the app does not render (lists, exports, search).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub formatter: FieldFormatter,
    pub experience: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldFormatter {
    pub expression: String,
}

/// The Custom UI Jira shows to change a value; `view.submit(value)` saves it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldEdit {
    pub resource: String,
    pub experience: Vec<&'static str>,
}

/// The Custom UI a Jira admin sees in the field's context settings; `view.submit({configuration})`
/// saves it, and Jira hands it to the edit view and to the app's REST reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldContextConfig {
    pub resource: String,
}

/// `jira:entityProperty`: the issue property values Jira indexes for JQL. Jira indexes nothing an
/// app has not declared, in Forge as in Connect (`jiraEntityProperties`), so without this a Forge
/// install's `assetKeys = "IT-42"` finds no issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityPropertyModule {
    pub key: String,
    /// `issue`, `project` or `user`.
    pub entity_type: String,
    pub property_key: String,
    pub values: Vec<PropertyValue>,
}

/// One indexed value: `path` into the property's JSON (an array indexes each element).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyValue {
    pub path: String,
    /// `number`, `string`, `text`, `user` or `date`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_alias: Option<String>,
}

/// A Custom UI module: a static resource that reaches us through `invokeRemote`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiModule {
    pub key: String,
    pub resource: String,
    pub resolver: Resolver,
    pub title: String,
    /// `jira:issueContext` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `jira:adminPage` only: the app's Configure button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_as_config: Option<bool>,
    /// `jira:dashboardGadget` only: shown in the gadget directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `jira:dashboardGadget` only: the directory's picture, an absolute URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// `jira:dashboardGadget` only: the resource Jira shows for the gadget's Edit, with
    /// `extension.entryPoint` set to `"edit"`; `view.submit` saves its configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit: Option<GadgetEdit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GadgetEdit {
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolver {
    pub endpoint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    pub key: String,
    pub endpoint: String,
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledTrigger {
    pub key: String,
    pub endpoint: String,
    pub interval: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationNote {
    pub key: String,
    pub migration_guide_url: String,
    #[serde(rename = "willMigrateToForgeBeforeEOS")]
    pub will_migrate: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub key: String,
    pub remote: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    pub auth: EndpointAuth,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointAuth {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_user_token: Option<Enabled>,
    pub app_system_token: Enabled,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enabled {
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub key: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Permissions {
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectModules {
    #[serde(rename = "jira:lifecycle")]
    pub lifecycle: Vec<ConnectLifecycle>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectLifecycle {
    pub key: String,
    pub installed: String,
    pub uninstalled: String,
}

impl Manifest {
    /// The file's text: a comment saying where it came from, then the manifest.
    pub fn to_yaml(&self) -> Result<String, serde_json::Error> {
        Ok(format!(
            "# Generated by `amj forge manifest`; regenerate rather than edit.\n{}\n",
            serde_json::to_string_pretty(self)?
        ))
    }

    /// Every key Forge limits, with what holds it.
    pub fn keys(&self) -> Vec<(&'static str, &str)> {
        let m = &self.modules;
        let mut keys: Vec<(&'static str, &str)> = Vec::new();
        keys.extend(self.remotes.iter().map(|r| ("remote", r.key.as_str())));
        keys.extend(m.endpoint.iter().map(|e| ("endpoint", e.key.as_str())));
        for (kind, list) in [
            ("jira:globalPage", &m.global_page),
            ("jira:issueContext", &m.issue_context),
            ("jira:adminPage", &m.admin_page),
            ("jira:dashboardGadget", &m.dashboard_gadget),
        ] {
            keys.extend(list.iter().map(|u| (kind, u.key.as_str())));
        }
        keys.extend(m.trigger.iter().map(|t| ("trigger", t.key.as_str())));
        keys.extend(
            m.scheduled_trigger
                .iter()
                .map(|t| ("scheduledTrigger", t.key.as_str())),
        );
        keys.extend(
            m.connect_to_forge_migration
                .iter()
                .map(|n| ("connectToForgeMigration", n.key.as_str())),
        );
        keys.extend(
            m.entity_property
                .iter()
                .map(|e| ("jira:entityProperty", e.key.as_str())),
        );
        keys.extend(
            m.custom_field_type
                .iter()
                .map(|f| ("jira:customFieldType", f.key.as_str())),
        );
        keys.extend(self.resources.iter().map(|r| ("resource", r.key.as_str())));
        if let Some(connect) = &self.connect_modules {
            keys.extend(
                connect
                    .lifecycle
                    .iter()
                    .map(|l| ("jira:lifecycle", l.key.as_str())),
            );
        }
        keys
    }

    /// What Forge would refuse at deploy time, checked here first: key syntax and length, keys
    /// used twice, and references to endpoints, remotes and resources that are not declared.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (kind, key) in self.keys() {
            let syntax = !key.is_empty()
                && key.len() <= MAX_KEY_LEN
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
            if !syntax {
                problems.push(format!(
                    "{kind} key {key:?} must be 1 to {MAX_KEY_LEN} characters of [A-Za-z0-9_-]"
                ));
            }
            if kind != "resource" && !seen.insert(key) {
                problems.push(format!("module key {key:?} is used twice"));
            }
        }
        let endpoints: Vec<&str> = self
            .modules
            .endpoint
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        let remotes: Vec<&str> = self.remotes.iter().map(|r| r.key.as_str()).collect();
        let resources: Vec<&str> = self.resources.iter().map(|r| r.key.as_str()).collect();
        let m = &self.modules;
        let ui = m
            .global_page
            .iter()
            .chain(&m.issue_context)
            .chain(&m.admin_page)
            .chain(&m.dashboard_gadget);
        for module in ui {
            if let Some(edit) = &module.edit
                && !resources.contains(&edit.resource.as_str())
            {
                problems.push(format!("{} edits with an undeclared resource", module.key));
            }
            if !endpoints.contains(&module.resolver.endpoint.as_str()) {
                problems.push(format!(
                    "{} resolves through an undeclared endpoint",
                    module.key
                ));
            }
            if !resources.contains(&module.resource.as_str()) {
                problems.push(format!("{} uses an undeclared resource", module.key));
            }
        }
        for field in &m.custom_field_type {
            if !endpoints.contains(&field.resolver.endpoint.as_str()) {
                problems.push(format!(
                    "{} resolves through an undeclared endpoint",
                    field.key
                ));
            }
            for resource in [&field.edit.resource, &field.context_config.resource]
                .into_iter()
                .chain(field.view.resource.as_ref())
            {
                if !resources.contains(&resource.as_str()) {
                    problems.push(format!("{} uses an undeclared resource", field.key));
                }
            }
        }
        let triggers = m
            .trigger
            .iter()
            .map(|t| (&t.key, &t.endpoint))
            .chain(m.scheduled_trigger.iter().map(|t| (&t.key, &t.endpoint)));
        for (key, endpoint) in triggers {
            if !endpoints.contains(&endpoint.as_str()) {
                problems.push(format!("{key} sends to an undeclared endpoint"));
            }
        }
        for endpoint in &m.endpoint {
            if !remotes.contains(&endpoint.remote.as_str()) {
                problems.push(format!(
                    "endpoint {} names an undeclared remote",
                    endpoint.key
                ));
            }
        }
        if let Some(connect) = &self.app.connect
            && !remotes.contains(&connect.remote.as_str())
        {
            problems.push("app.connect names an undeclared remote".to_owned());
        }
        problems
    }
}
