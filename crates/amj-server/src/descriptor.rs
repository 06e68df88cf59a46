//! Our Connect descriptor, built from configuration.

use crate::config::AppConfig;
use amj_connect::descriptor::{
    Descriptor, DescriptorBuilder, EntityProperty, EntityType, ExtractionType,
};

/// The issue entity property the app writes an issue's linked asset keys to, as
/// `{"keys": ["IT-42", "IT-7"]}`.
pub const ASSET_LINKS_PROPERTY: &str = "assets";

/// The issue glance's module key; its badge property is named after it.
pub const ISSUE_GLANCE_KEY: &str = "issue-assets";

pub fn app_descriptor(config: &AppConfig) -> Descriptor {
    DescriptorBuilder::new(&config.app_key, &config.app_name, config.base_url_str())
        .description(
            "Track hardware, software licences and other assets, and tie them to Jira issues.",
        )
        .vendor("Asset Management for Jira", "https://github.com/amj")
        .lifecycle("/installed", "/uninstalled", "/enabled", "/disabled")
        // READ covers searches, users, permission checks and webhooks (docs/CONNECT.md §5.2: the
        // scopes gate the app user; §1.2: webhooks need READ). WRITE is for
        // `PUT /rest/api/3/issue/{id}/properties/assets`: Atlassian's REST reference lists
        // "Connect app scope required: WRITE" for setting an issue property (docs/CONNECT.md does
        // not map endpoints to scopes; not re-checked against the live page). Deleting a property
        // needs DELETE [unverified], which we do not request, so unlinking an issue's last asset
        // should write `{"keys": []}` rather than delete. A scope increase is a major update that
        // every site admin must approve (docs/CONNECT.md §1.5).
        .scopes(&["READ", "WRITE"])
        .general_page(
            "assets",
            "Assets",
            "/pages/assets",
            Some("system.top.navigation.bar"),
        )
        .admin_page("assets-admin", "Asset settings", "/pages/admin")
        .issue_glance(
            ISSUE_GLANCE_KEY,
            "Assets",
            "Assets",
            "/static/icon.svg",
            "/pages/issue-glance?issueKey={issue.key}&issueId={issue.id}",
        )
        // Makes `issue.property[assets].keys = "IT-42"` (or `assetKeys = "IT-42"`) work in JQL:
        // Jira indexes only the property values an installed app declares.
        .entity_property(
            EntityProperty::new("asset-links", "Asset links", EntityType::Issue).extract(
                ASSET_LINKS_PROPERTY,
                "keys",
                ExtractionType::String,
                Some("assetKeys"),
            ),
        )
        .webhook("jira:issue_deleted", "/webhooks/issue-deleted")
        .webhook("jira:issue_updated", "/webhooks/issue-updated")
        .build()
}
