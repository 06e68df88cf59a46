//! Our Connect descriptor, built from configuration.

use crate::config::AppConfig;
use amj_connect::descriptor::{Descriptor, DescriptorBuilder};

pub fn app_descriptor(config: &AppConfig) -> Descriptor {
    DescriptorBuilder::new(&config.app_key, &config.app_name, config.base_url_str())
        .description(
            "Track hardware, software licences and other assets, and tie them to Jira issues.",
        )
        .vendor("Asset Management for Jira", "https://github.com/amj")
        .lifecycle("/installed", "/uninstalled", "/enabled", "/disabled")
        .scopes(&["READ", "WRITE"])
        .general_page(
            "assets",
            "Assets",
            "/pages/assets",
            Some("system.top.navigation.bar"),
        )
        .admin_page("assets-admin", "Asset settings", "/pages/admin")
        .issue_glance(
            "issue-assets",
            "Assets",
            "Assets",
            "/static/icon.svg",
            "/pages/issue-glance?issueKey={issue.key}&issueId={issue.id}",
        )
        .webhook("jira:issue_deleted", "/webhooks/issue-deleted")
        .webhook("jira:issue_updated", "/webhooks/issue-updated")
        .build()
}
