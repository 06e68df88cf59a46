//! What the app shows and listens to in Jira, and the two documents that declare it: the Connect
//! descriptor and the Forge manifest. Both are built from the definitions below, so a page or an
//! event added for one platform is added for the other, and they cannot drift apart.

use crate::config::AppConfig;
use amj_connect::descriptor::{
    Descriptor, DescriptorBuilder, EntityProperty, EntityType, ExtractionType,
};
use amj_connect::forge::AppAri;
use amj_connect::forge::manifest::{
    App, AppConnect, ConnectLifecycle, ConnectModules, CustomFieldType, Enabled, Endpoint,
    EndpointAuth, EntityPropertyModule, FieldContextConfig, FieldEdit, FieldFormatter, FieldView,
    GadgetEdit, Licensing, Manifest, MigrationNote, Modules, Permissions, PropertyValue, Remote,
    RemoteStorage, Resolver, Resource, Route, Runtime, ScheduledTrigger, Trigger, UiModule,
};

/// The issue entity property the app writes an issue's linked asset keys to, as
/// `{"keys": ["IT-42", "IT-7"]}`.
pub const ASSET_LINKS_PROPERTY: &str = "assets";

/// The issue view module's key (Connect's glance, Forge's issue context); the glance's badge
/// property is named after it.
pub const ISSUE_GLANCE_KEY: &str = "issue-assets";

/// A page of the app inside Jira.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// The module key on both platforms.
    pub key: &'static str,
    pub title: &'static str,
    /// Where Connect frames it (with Connect's context parameters).
    pub connect_url: &'static str,
}

/// The app's own page in Jira's top navigation (Forge: `jira:globalPage`).
pub const GLOBAL_PAGE: Page = Page {
    key: "assets",
    title: "Assets",
    connect_url: "/pages/assets",
};

/// The site admin's settings page (Forge: `jira:adminPage`, as the Configure button).
pub const ADMIN_PAGE: Page = Page {
    key: "assets-admin",
    title: "Asset settings",
    connect_url: "/pages/admin",
};

/// The assets of an issue, beside the issue (Connect: a glance; Forge: `jira:issueContext`).
pub const ISSUE_VIEW: Page = Page {
    key: ISSUE_GLANCE_KEY,
    title: "Assets",
    connect_url: "/pages/issue-glance?issueKey={issue.key}&issueId={issue.id}",
};

/// The dashboard gadget (Connect: `jiraDashboardItems`; Forge: `jira:dashboardGadget`): one
/// chart of the app's dashboard, chosen per placed gadget. Connect's URL carries the dashboard
/// and the item, under which the gadget's configuration is kept as a dashboard item property.
pub const GADGET: Page = Page {
    key: "assets-gadget",
    title: "Assets",
    connect_url: "/pages/gadget?dashboardId={dashboard.id}&dashboardItemId={dashboardItem.id}",
};

/// The Assets field (Forge only: `jira:customFieldType`): asset keys on an issue, picked within
/// the AQL scope a Jira admin sets per field context. Connect has no equivalent for new work; its
/// sites keep the issue panel's picker and the `assets` issue property.
pub const ASSET_FIELD_KEY: &str = "asset-field";
pub const ASSET_FIELD_NAME: &str = "Assets";
pub const ASSET_FIELD_DESCRIPTION: &str =
    "Assets from Asset Management for Jira, picked by key within a scope an admin sets.";

/// What Jira's gadget directory shows people choosing a gadget.
pub const GADGET_DESCRIPTION: &str = "One chart of your assets: by type, status or location, what falls due, or data quality. \
     Each bar opens the matching assets.";

/// An issue event the app follows, under each platform's name.
#[derive(Debug, Clone, Copy)]
pub struct IssueEvent {
    pub connect_event: &'static str,
    pub connect_path: &'static str,
    pub forge_event: &'static str,
}

/// Links of deleted issues are dropped; moved issues are followed.
pub const ISSUE_EVENTS: [IssueEvent; 2] = [
    IssueEvent {
        connect_event: "jira:issue_deleted",
        connect_path: "/webhooks/issue-deleted",
        forge_event: "avi:jira:deleted:issue",
    },
    IssueEvent {
        connect_event: "jira:issue_updated",
        connect_path: "/webhooks/issue-updated",
        forge_event: "avi:jira:updated:issue",
    },
];

/// Issue events only the Forge version follows: a new issue may carry the Assets field (from the
/// create screen or the customer portal), which Connect has not.
pub const FORGE_ONLY_ISSUE_EVENTS: [&str; 1] = ["avi:jira:created:issue"];

/// Connect's lifecycle callbacks (also the migration listing's `connectModules`).
pub const INSTALLED_PATH: &str = "/installed";
pub const UNINSTALLED_PATH: &str = "/uninstalled";

const DESCRIPTION: &str =
    "Track hardware, software licences and other assets, and tie them to Jira issues.";

pub fn app_descriptor(config: &AppConfig) -> Descriptor {
    let mut builder =
        DescriptorBuilder::new(&config.app_key, &config.app_name, config.base_url_str())
            .description(DESCRIPTION)
            .vendor("Asset Management for Jira", "https://github.com/amj")
            .lifecycle(INSTALLED_PATH, UNINSTALLED_PATH, "/enabled", "/disabled")
            // READ covers searches, users, permission checks and webhooks (docs/CONNECT.md §5.2:
            // the scopes gate the app user; §1.2: webhooks need READ). WRITE is for
            // `PUT /rest/api/3/issue/{id}/properties/assets`: Atlassian's REST reference lists
            // "Connect app scope required: WRITE" for setting an issue property (not re-checked
            // against the live page). Deleting a property needs DELETE [unverified], which we do
            // not request, so unlinking an issue's last asset writes `{"keys": []}` rather than
            // deleting. A scope increase is a major update that every site admin must approve
            // (docs/CONNECT.md §1.5).
            .scopes(&["READ", "WRITE"])
            .general_page(
                GLOBAL_PAGE.key,
                GLOBAL_PAGE.title,
                GLOBAL_PAGE.connect_url,
                Some("system.top.navigation.bar"),
            )
            .admin_page(ADMIN_PAGE.key, ADMIN_PAGE.title, ADMIN_PAGE.connect_url)
            .dashboard_item(
                GADGET.key,
                GADGET.title,
                GADGET_DESCRIPTION,
                GADGET.connect_url,
                "/static/icon.svg",
            )
            .issue_glance(
                ISSUE_VIEW.key,
                ISSUE_VIEW.title,
                ISSUE_VIEW.title,
                "/static/icon.svg",
                ISSUE_VIEW.connect_url,
            )
            // Makes `issue.property[assets].keys = "IT-42"` (or `assetKeys = "IT-42"`) work in
            // JQL: Jira indexes only the property values an installed app declares. `handedOut`
            // lists the assets ever checked out for the issue (`assetsHandedOut = "IT-42"`).
            .entity_property(
                EntityProperty::new("asset-links", "Asset links", EntityType::Issue)
                    .extract(
                        ASSET_LINKS_PROPERTY,
                        "keys",
                        ExtractionType::String,
                        Some("assetKeys"),
                    )
                    .extract(
                        ASSET_LINKS_PROPERTY,
                        "handedOut",
                        ExtractionType::String,
                        Some("assetsHandedOut"),
                    ),
            );
    for event in ISSUE_EVENTS {
        builder = builder.webhook(event.connect_event, event.connect_path);
    }
    builder.build()
}

/// The Forge remote's key: our server.
pub const FORGE_REMOTE: &str = "amj";
/// The endpoint Custom UI calls through `invokeRemote` (the path comes from each call).
pub const FORGE_UI_ENDPOINT: &str = "amj-ui";
/// The endpoint events and triggers are posted to.
pub const FORGE_EVENTS_ENDPOINT: &str = "amj-events";
/// Where events and triggers arrive on our server.
pub const FORGE_EVENTS_PATH: &str = "/forge/events";
/// The Custom UI resource, laid out by `amj forge package`.
pub const FORGE_UI_RESOURCE: &str = "ui";
pub const FORGE_UI_RESOURCE_PATH: &str = "static/ui";

/// Which listing the manifest is for.
#[derive(Debug, Clone)]
pub enum Listing {
    /// A new Forge app: the default.
    Forge,
    /// The Forge version of the existing Connect app `connect_key`: keeps the key (licences, app
    /// properties, installs), and Connect's lifecycle, so `installed` payloads carry the Forge
    /// `installationId` beside the `clientKey` and the two are linked.
    Migration {
        connect_key: String,
        migration_guide_url: String,
    },
}

/// The Forge manifest for our server at `base_url` as the app `app`'s remote.
pub fn forge_manifest(
    descriptor: &Descriptor,
    base_url: &str,
    app: &AppAri,
    listing: &Listing,
) -> Manifest {
    let ui = |page: Page, label: Option<&str>, use_as_config: Option<bool>| UiModule {
        key: page.key.to_owned(),
        resource: FORGE_UI_RESOURCE.to_owned(),
        resolver: Resolver {
            endpoint: FORGE_UI_ENDPOINT.to_owned(),
        },
        title: page.title.to_owned(),
        label: label.map(str::to_owned),
        use_as_config,
        description: None,
        thumbnail: None,
        edit: None,
    };
    let gadget = UiModule {
        description: Some(GADGET_DESCRIPTION.to_owned()),
        thumbnail: Some(format!(
            "{}/static/icon.svg",
            base_url.trim_end_matches('/')
        )),
        // The same bundle shows the settings when the context says `entryPoint: "edit"`.
        edit: Some(GadgetEdit {
            resource: FORGE_UI_RESOURCE.to_owned(),
        }),
        ..ui(GADGET, None, None)
    };
    // Least privilege for what the app calls (docs/FORGE.md §3): issues and their properties
    // (read/write:jira-work), user search and permission checks (read:jira-user), and the tokens
    // Forge hands the remote. The Connect scope names are added for the migration listing only.
    let mut scopes: Vec<String> = [
        "read:app-system-token",
        "read:app-user-token",
        "read:jira-work",
        "write:jira-work",
        "read:jira-user",
        // The Assets field: correcting a value that left its scope (`PUT /app/field/{id}/value`)
        // and reading the scope an admin set per context.
        "write:app-data:jira",
        "read:custom-field-contextual-configuration:jira",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut connect = None;
    let mut connect_modules = None;
    let mut migration = Vec::new();
    if let Listing::Migration {
        connect_key,
        migration_guide_url,
    } = listing
    {
        connect = Some(AppConnect {
            key: connect_key.clone(),
            remote: FORGE_REMOTE.to_owned(),
            authentication: "jwt",
        });
        connect_modules = Some(ConnectModules {
            lifecycle: vec![ConnectLifecycle {
                key: "amj-connect-lifecycle".to_owned(),
                installed: INSTALLED_PATH.to_owned(),
                uninstalled: UNINSTALLED_PATH.to_owned(),
            }],
        });
        migration.push(MigrationNote {
            key: "amj-forge-migration".to_owned(),
            migration_guide_url: migration_guide_url.clone(),
            will_migrate: "YES",
        });
        scopes.extend(
            descriptor
                .scopes
                .iter()
                .map(|s| format!("{}:connect-jira", s.to_ascii_lowercase())),
        );
    }
    Manifest {
        app: App {
            id: app.as_str().to_owned(),
            connect,
            licensing: Licensing {
                enabled: descriptor.enable_licensing,
            },
            // Forge requires a runtime even for an app without Forge functions.
            runtime: Runtime { name: "nodejs22.x" },
        },
        remotes: vec![Remote {
            key: FORGE_REMOTE.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            operations: vec!["storage", "compute", "fetch"],
            storage: RemoteStorage { in_scope_eud: true },
        }],
        modules: Modules {
            global_page: vec![ui(GLOBAL_PAGE, None, None)],
            issue_context: vec![ui(ISSUE_VIEW, Some(ISSUE_VIEW.title), None)],
            admin_page: vec![ui(ADMIN_PAGE, None, Some(true))],
            dashboard_gadget: vec![gadget],
            trigger: vec![
                Trigger {
                    key: "amj-issue-events".to_owned(),
                    endpoint: FORGE_EVENTS_ENDPOINT.to_owned(),
                    events: ISSUE_EVENTS
                        .iter()
                        .map(|e| e.forge_event)
                        .chain(FORGE_ONLY_ISSUE_EVENTS)
                        .map(str::to_owned)
                        .collect(),
                },
                Trigger {
                    key: "amj-lifecycle".to_owned(),
                    endpoint: FORGE_EVENTS_ENDPOINT.to_owned(),
                    events: vec![
                        "avi:forge:installed:app".to_owned(),
                        "avi:forge:upgraded:app".to_owned(),
                    ],
                },
            ],
            // Hourly: a fresh system token for background work, and a sign of life (a site whose
            // triggers stop is marked dormant).
            scheduled_trigger: vec![ScheduledTrigger {
                key: "amj-hourly".to_owned(),
                endpoint: FORGE_EVENTS_ENDPOINT.to_owned(),
                interval: "hour",
            }],
            connect_to_forge_migration: migration,
            custom_field_type: vec![CustomFieldType {
                key: ASSET_FIELD_KEY.to_owned(),
                name: ASSET_FIELD_NAME.to_owned(),
                description: ASSET_FIELD_DESCRIPTION.to_owned(),
                kind: "string",
                collection: "list",
                view: FieldView {
                    resource: Some(FORGE_UI_RESOURCE.to_owned()),
                    formatter: FieldFormatter {
                        expression: "value != null ? value.join(', ') : ''".to_owned(),
                    },
                    experience: vec!["issue-view", "portal-view"],
                },
                edit: FieldEdit {
                    resource: FORGE_UI_RESOURCE.to_owned(),
                    experience: vec!["issue-view", "issue-create", "portal-request"],
                },
                context_config: FieldContextConfig {
                    resource: FORGE_UI_RESOURCE.to_owned(),
                },
                resolver: Resolver {
                    endpoint: FORGE_UI_ENDPOINT.to_owned(),
                },
            }],
            // The same indexed values as the Connect descriptor's `jiraEntityProperties`, one
            // module per property, so JQL works alike on both platforms.
            entity_property: descriptor
                .modules
                .jira_entity_properties
                .iter()
                .flat_map(|module| {
                    let many = module.key_configurations.len() > 1;
                    module
                        .key_configurations
                        .iter()
                        .enumerate()
                        .map(move |(i, config)| EntityPropertyModule {
                            key: if many {
                                format!("{}-{i}", module.key)
                            } else {
                                module.key.clone()
                            },
                            entity_type: module.entity_type.to_ascii_lowercase(),
                            property_key: config.property_key.clone(),
                            values: config
                                .extractions
                                .iter()
                                .map(|e| PropertyValue {
                                    path: e.object_name.clone(),
                                    kind: e.kind.to_ascii_lowercase(),
                                    search_alias: e.alias.clone(),
                                })
                                .collect(),
                        })
                })
                .collect(),
            endpoint: vec![
                Endpoint {
                    key: FORGE_UI_ENDPOINT.to_owned(),
                    remote: FORGE_REMOTE.to_owned(),
                    route: None,
                    auth: EndpointAuth {
                        app_user_token: Some(Enabled { enabled: true }),
                        app_system_token: Enabled { enabled: true },
                    },
                },
                Endpoint {
                    key: FORGE_EVENTS_ENDPOINT.to_owned(),
                    remote: FORGE_REMOTE.to_owned(),
                    route: Some(Route {
                        path: FORGE_EVENTS_PATH.to_owned(),
                    }),
                    auth: EndpointAuth {
                        app_user_token: None,
                        app_system_token: Enabled { enabled: true },
                    },
                },
            ],
        },
        resources: vec![Resource {
            key: FORGE_UI_RESOURCE.to_owned(),
            path: FORGE_UI_RESOURCE_PATH.to_owned(),
        }],
        // No `external.images` for people's avatars: Forge's validator calls Atlassian's avatar
        // host unnecessary (Custom UI may load it already) and image egress entries deprecated.
        permissions: Permissions { scopes },
        connect_modules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor() -> Descriptor {
        app_descriptor(&AppConfig::local(
            url::Url::parse("https://amj.example.com").unwrap_or_else(|_| unreachable!()),
        ))
    }

    fn app() -> AppAri {
        AppAri::parse("6f2d0c1e-4a7b-4c3d-9e8f-0a1b2c3d4e5f").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn both_variants_are_consistent_and_cover_the_descriptor() {
        let descriptor = descriptor();
        let migration = Listing::Migration {
            connect_key: descriptor.key.clone(),
            migration_guide_url: "https://amj.example.com/docs/forge".into(),
        };
        for listing in [Listing::Forge, migration] {
            let manifest =
                forge_manifest(&descriptor, "https://amj.example.com/", &app(), &listing);
            assert_eq!(manifest.problems(), Vec::<String>::new(), "{listing:?}");
            assert_eq!(manifest.remotes[0].base_url, "https://amj.example.com");
            assert_eq!(manifest.app.licensing.enabled, descriptor.enable_licensing);
            // Every Connect page is a Forge module under the same key, and every webhook an event.
            let modules = &descriptor.modules;
            let connect_keys: Vec<&str> = modules
                .general_pages
                .iter()
                .chain(&modules.admin_pages)
                .map(|p| p.key.as_str())
                .chain(modules.jira_issue_glances.iter().map(|g| g.key.as_str()))
                .chain(modules.jira_dashboard_items.iter().map(|g| g.key.as_str()))
                .collect();
            let gadget = &manifest.modules.dashboard_gadget[0];
            assert_eq!(gadget.key, modules.jira_dashboard_items[0].key);
            assert_eq!(
                gadget.thumbnail.as_deref(),
                Some("https://amj.example.com/static/icon.svg"),
                "Forge wants an absolute thumbnail"
            );
            let forge_keys: Vec<&str> = manifest.keys().iter().map(|(_, k)| *k).collect();
            for key in connect_keys {
                assert!(
                    forge_keys.contains(&key),
                    "{key} is missing from the manifest"
                );
            }
            // Every webhook has its Forge event, and Forge follows new issues too (the Assets
            // field, which Connect has not).
            let events = &manifest.modules.trigger[0].events;
            assert_eq!(
                events.len(),
                modules.webhooks.len() + FORGE_ONLY_ISSUE_EVENTS.len()
            );
            assert!(events.iter().any(|e| e == "avi:jira:created:issue"));
            let field = &manifest.modules.custom_field_type[0];
            assert_eq!((field.kind, field.collection), ("string", "list"));
            assert_eq!(field.resolver.endpoint, FORGE_UI_ENDPOINT);
            // JQL by assets works on Forge too: the same property values are indexed.
            let indexed: Vec<(&str, &str, &str, Option<&str>)> = manifest
                .modules
                .entity_property
                .iter()
                .flat_map(|m| {
                    m.values.iter().map(move |v| {
                        (
                            m.property_key.as_str(),
                            v.path.as_str(),
                            v.kind.as_str(),
                            v.search_alias.as_deref(),
                        )
                    })
                })
                .collect();
            assert_eq!(
                indexed,
                [
                    (ASSET_LINKS_PROPERTY, "keys", "string", Some("assetKeys")),
                    (
                        ASSET_LINKS_PROPERTY,
                        "handedOut",
                        "string",
                        Some("assetsHandedOut")
                    ),
                ]
            );
            assert_eq!(manifest.modules.entity_property[0].entity_type, "issue");
            match listing {
                Listing::Forge => {
                    assert!(manifest.app.connect.is_none());
                    assert!(manifest.connect_modules.is_none());
                    assert!(
                        !manifest
                            .permissions
                            .scopes
                            .iter()
                            .any(|s| s.contains("connect"))
                    );
                }
                Listing::Migration { .. } => {
                    assert_eq!(
                        manifest.app.connect.as_ref().map(|c| c.key.as_str()),
                        Some(descriptor.key.as_str())
                    );
                    let lifecycle = &manifest
                        .connect_modules
                        .as_ref()
                        .map(|c| c.lifecycle.clone())
                        .unwrap_or_default();
                    assert_eq!(lifecycle[0].installed, "/installed");
                    assert!(
                        manifest
                            .permissions
                            .scopes
                            .contains(&"read:connect-jira".to_owned())
                    );
                    assert!(
                        manifest
                            .permissions
                            .scopes
                            .contains(&"write:connect-jira".to_owned())
                    );
                    assert_eq!(manifest.modules.connect_to_forge_migration.len(), 1);
                }
            }
            let text = manifest.to_yaml().unwrap_or_default();
            assert!(text.starts_with("# Generated by `amj forge manifest`"));
            assert!(text.contains("\"jira:globalPage\""));
        }
    }

    #[test]
    fn the_consistency_check_catches_what_forge_would_refuse() {
        let mut manifest = forge_manifest(
            &descriptor(),
            "https://amj.example.com",
            &app(),
            &Listing::Forge,
        );
        manifest.modules.endpoint[0].remote = "elsewhere".into();
        manifest.modules.trigger[0].endpoint = "nowhere".into();
        manifest.modules.global_page[0].key = "a key that is far too long".into();
        manifest.modules.admin_page[0].key = ISSUE_GLANCE_KEY.into();
        let problems = manifest.problems();
        assert_eq!(problems.len(), 4, "{problems:#?}");
    }
}
