//! The front end as Forge Custom UI, in the simulated Jira after the site moved from Connect to
//! Forge: Jira frames the bundle from Forge's CDN, `@forge/bridge` reaches our server only
//! through `invokeRemote` (a fresh invocation token and system token per call, added by Forge),
//! and the panel works as it does under Connect.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_connect::RouteKind;
use amj_e2e::{Browser, Press, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn the_issue_panel_links_and_unlinks_as_forge_custom_ui() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        let mut plan = SeedPlan::demo();
        plan.link_every = 0;
        let (_, tenant) = stack.seeded_site("acme", &plan).await?;
        // Atlassian's upgrade: Connect goes without a callback, Forge starts under the id the
        // Connect install declared, and the site's data comes along.
        stack.sim.forge_upgrade("acme")?;
        let forge_calls_before = stack.state.counters.successes(RouteKind::ForgeApi);

        let src = enter(&browser, &stack, "/sites/acme/browse/AM-1").await?;
        assert!(
            src.starts_with("/_forge/cdn/acme/"),
            "a Custom UI frame: {src}"
        );
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;
        assert!(
            browser
                .text_of("amj-linked-empty")
                .await
                .contains("No assets are linked")
        );

        // Find by AQL, mistakes explained in place, then link.
        let search = browser.driver.find(By::Id("amj-link-search")).await?;
        search.send_keys("objectType = Laptp").await?;
        search.send_keys(Key::Enter).await?;
        browser
            .wait_for_text("amj-link-error", "Laptop", WAIT)
            .await?;
        search.clear().await?;
        search.send_keys("objectType = Laptop").await?;
        search.send_keys(Key::Enter).await?;
        let first = amj_e2e::wait_for(WAIT, || async {
            browser
                .driver
                .find(By::Css("#amj-link-results button"))
                .await
                .ok()
        })
        .await
        .map_err(|_| anyhow::anyhow!("no search results"))?;
        let key = first
            .attr("aria-label")
            .await?
            .unwrap_or_default()
            .trim_start_matches("Link ")
            .to_owned();
        first.press().await?;
        browser
            .wait_for_text("amj-glance-status", &format!("Linked {key}."), WAIT)
            .await?;
        assert!(browser.text_of("amj-linked").await.contains(&key));
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, Forge panel: {violations:#?}");

        // The link is the site's, and every call came in as a Forge invocation.
        let issue_id: i64 = stack
            .sim
            .with_data("acme", |d| d.issue("AM-1").map(|i| i.id.clone()))
            .flatten()
            .and_then(|id| id.parse().ok())
            .expect("AM-1");
        let linked = stack
            .state
            .store
            .assets_of_issue(tenant.id, issue_id)
            .await?;
        assert_eq!(
            linked.iter().map(|a| a.key()).collect::<Vec<_>>(),
            std::slice::from_ref(&key)
        );
        assert!(
            stack.state.counters.successes(RouteKind::ForgeApi) >= forge_calls_before + 4,
            "load, two searches and the link went through invokeRemote"
        );
        // Jira's badge was set with the site's system token (Connect is gone from this site).
        let badge = stack.sim.with_data("acme", |d| {
            d.issue_properties
                .get(&(
                    issue_id.to_string(),
                    "com.atlassian.jira.issue:asset-management-for-jira:issue-assets:status"
                        .to_owned(),
                ))
                .cloned()
        });
        assert_eq!(
            badge.flatten(),
            Some(serde_json::json!({"type": "badge", "value": {"label": "1"}}))
        );

        browser
            .driver
            .find(By::Css(format!(
                "#amj-linked button[aria-label='Unlink {key}']"
            )))
            .await?
            .press()
            .await?;
        browser
            .wait_for_text("amj-glance-status", &format!("Unlinked {key}."), WAIT)
            .await?;
        assert!(
            stack
                .state
                .store
                .assets_of_issue(tenant.id, issue_id)
                .await?
                .is_empty()
        );
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("forge_issue_panel").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

#[tokio::test]
async fn the_asset_list_searches_and_opens_an_asset_as_forge_custom_ui() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        // Without the stock items: the list counts the demo's round 60.
        let plan = SeedPlan {
            stock: false,
            ..SeedPlan::demo()
        };
        stack.seeded_site("acme", &plan).await?;
        stack.sim.forge_upgrade("acme")?;

        let src = enter(&browser, &stack, "/sites/acme/apps/assets").await?;
        assert!(src.starts_with("/_forge/cdn/acme/assets/"), "{src}");
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        assert!(browser.text_of("amj-count").await.contains("of 60"));
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, Forge list: {violations:#?}");

        // A mistake is explained under the query; a good query narrows the list.
        let aql = browser.driver.find(By::Id("amj-aql")).await?;
        aql.send_keys("objectType = Laptp").await?;
        aql.send_keys(Key::Enter).await?;
        browser
            .wait_for_text("amj-aql-error", "Laptop", WAIT)
            .await?;
        aql.clear().await?;
        aql.send_keys("objectType = Server").await?;
        aql.send_keys(Key::Enter).await?;
        let first = amj_e2e::wait_for(WAIT, || async {
            let error = browser.driver.find(By::Id("amj-aql-error")).await.ok()?;
            // Still shown: the previous query's error is not cleared yet.
            error.attr("hidden").await.ok()??;
            let cells = browser
                .driver
                .find_all(By::Css("#amj-rows tr td:nth-child(4)"))
                .await
                .ok()?;
            let mut types = Vec::new();
            for cell in &cells {
                types.push(cell.text().await.ok()?);
            }
            (!types.is_empty() && types.iter().all(|t| t == "Server")).then_some(())
        })
        .await;
        assert!(first.is_ok(), "the list shows only servers");

        // Open the first one, read it, and come back to its row.
        let open = browser
            .driver
            .find(By::Css("#amj-rows [data-open]"))
            .await?;
        let key = open.text().await?;
        open.press().await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        browser
            .wait_for_text("amj-detail-title", &key, WAIT)
            .await?;
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, Forge detail: {violations:#?}");
        browser
            .driver
            .find(By::Id("amj-back"))
            .await?
            .press()
            .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        let focused = browser.driver.active_element().await?;
        assert_eq!(
            focused.attr("data-key").await?.as_deref(),
            Some(key.as_str()),
            "focus returns to the asset's row"
        );

        // A new asset, then an edit of it, through Forge.
        browser
            .driver
            .find(By::Id("amj-new"))
            .await?
            .press()
            .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "form", WAIT)
            .await?;
        let kind = amj_e2e::wait_for(WAIT, || async {
            browser.driver.find(By::Id("amj-form-type")).await.ok()
        })
        .await
        .map_err(|_| anyhow::anyhow!("no type chooser"))?;
        thirtyfour::components::SelectElement::new(&kind)
            .await?
            .select_by_visible_text("Location")
            .await?;
        let name = browser.driver.find(By::Id("amj-field-0")).await?;
        name.send_keys("Lab 42").await?;
        browser
            .driver
            .find(By::Css("#amj-asset-form button[type=submit]"))
            .await?
            .press()
            .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        browser
            .wait_for_text("amj-detail-title", "Lab 42", WAIT)
            .await?;
        browser
            .driver
            .find(By::Id("amj-edit"))
            .await?
            .press()
            .await?;
        let name = amj_e2e::wait_for(WAIT, || async {
            browser.driver.find(By::Id("amj-field-0")).await.ok()
        })
        .await
        .map_err(|_| anyhow::anyhow!("no edit form"))?;
        name.clear().await?;
        name.send_keys("Lab 43").await?;
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, Forge form: {violations:#?}");
        browser
            .driver
            .find(By::Css("#amj-asset-form button[type=submit]"))
            .await?
            .press()
            .await?;
        browser
            .wait_for_text("amj-detail-title", "Lab 43", WAIT)
            .await?;

        // Two assets at once: select them and set their status.
        browser
            .driver
            .find(By::Id("amj-back"))
            .await?
            .press()
            .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        let boxes = browser
            .driver
            .find_all(By::Css("#amj-rows input[type=checkbox]"))
            .await?;
        anyhow::ensure!(boxes.len() >= 2, "two rows to select");
        boxes[0].press().await?;
        boxes[1].press().await?;
        let status = amj_e2e::wait_for(WAIT, || async {
            let select = browser.driver.find(By::Id("amj-bulk-status")).await.ok()?;
            let options = select.find_all(By::Tag("option")).await.ok()?;
            (options.len() > 1).then_some(select)
        })
        .await
        .map_err(|_| anyhow::anyhow!("no statuses to choose"))?;
        thirtyfour::components::SelectElement::new(&status)
            .await?
            .select_by_index(1)
            .await?;
        browser
            .driver
            .find(By::Id("amj-bulk-apply"))
            .await?
            .press()
            .await?;
        browser
            .wait_for_text("amj-bulk-result", "Changed the status of 2 assets", WAIT)
            .await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("forge_asset_list").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// A site that never had the Connect version: its admin sets it up from Forge's admin page.
#[tokio::test]
async fn a_forge_first_admin_creates_a_schema_and_sees_the_connection() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        stack.sim.add_site("newco");
        stack.sim.forge_install("newco", None)?;
        enter(&browser, &stack, "/sites/newco/admin/apps").await?;
        browser
            .wait_for_attribute("amj-admin", "data-state", "ready", WAIT)
            .await?;
        browser.wait_for_text("amj-platform", "Forge", WAIT).await?;

        let key = browser.driver.find(By::Id("amj-schema-key")).await?;
        key.send_keys("it").await?;
        browser
            .driver
            .find(By::Id("amj-schema-name"))
            .await?
            .send_keys("IT assets")
            .await?;
        browser
            .driver
            .find(By::Css("#amj-schema-form button[type=submit]"))
            .await?
            .press()
            .await?;
        // The server's rule, next to the field.
        let error = browser
            .wait_for_attribute("amj-schema-key", "aria-invalid", "true", WAIT)
            .await;
        assert!(error.is_ok(), "the key's error is shown in place");
        key.clear().await?;
        key.send_keys("IT").await?;
        browser
            .driver
            .find(By::Css("#amj-schema-form button[type=submit]"))
            .await?
            .press()
            .await?;
        browser
            .wait_for_text("amj-admin-status", "Created the schema IT.", WAIT)
            .await?;
        browser
            .driver
            .find(By::Id("amj-type-name"))
            .await?
            .send_keys("Laptop")
            .await?;
        browser
            .driver
            .find(By::Css("#amj-type-form button[type=submit]"))
            .await?
            .press()
            .await?;
        browser
            .wait_for_text("amj-admin-status", "Created the type Laptop.", WAIT)
            .await?;
        // Renamed in place, with the keyboard.
        browser
            .driver
            .find(By::Css("button[aria-label='Rename Laptop']"))
            .await?
            .press()
            .await?;
        let rename = browser
            .driver
            .find(By::Css("input[aria-label='New name for Laptop']"))
            .await?;
        rename.send_keys(Key::Control + "a").await?;
        rename.send_keys("Notebook").await?;
        rename.send_keys(Key::Enter).await?;
        browser
            .wait_for_text("amj-admin-status", "Renamed Laptop to Notebook.", WAIT)
            .await?;
        let violations = browser.axe_violations().await?;
        assert!(
            violations.is_empty(),
            "axe, Forge settings: {violations:#?}"
        );

        // The site now exists in the app, Forge-only, with what its admin created.
        let tenant = amj_e2e::wait_for(WAIT, || async {
            stack
                .state
                .store
                .tenant_by_client_key(&format!("forge:{}", stack.sim.cloud_id("newco").ok()?))
                .await
                .ok()
                .flatten()
        })
        .await
        .map_err(|_| anyhow::anyhow!("no tenant for the Forge-first site"))?;
        assert!(!tenant.connect);
        let schemas = stack.state.store.list_schemas(tenant.id).await?;
        assert_eq!(
            schemas.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(),
            ["IT"]
        );
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("forge_first_admin").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// Opens `site`'s issue view and waits for the panel; answers which platform framed it.
async fn open_panel(browser: &Browser, stack: &Stack, site: &str) -> anyhow::Result<&'static str> {
    let src = enter(browser, stack, &format!("/sites/{site}/browse/AM-1")).await?;
    browser
        .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
        .await
        .map_err(|e| anyhow::anyhow!("{site}'s panel ({src}) never became ready: {e}"))?;
    Ok(if src.starts_with("/_forge/") {
        "forge"
    } else {
        "connect"
    })
}

/// Atlassian moves every Connect site to Forge in batches over a day while people keep working:
/// every panel opened before, during and after the rollout works, each site ends on Forge, and
/// the app refused nothing.
#[tokio::test]
async fn the_panel_keeps_working_through_a_batched_move_to_forge() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        let sites = ["acme", "globex", "initech"];
        for site in sites {
            stack.sim.add_site(site);
            anyhow::ensure!(stack.sim.install(site, &stack.app).await? == 204);
            assert_eq!(open_panel(&browser, &stack, site).await?, "connect");
        }
        let sim = stack.sim.clone();
        let rollout =
            tokio::spawn(async move { sim.forge_rollout(Duration::from_secs(4), 3).await });
        let mut during = Vec::new();
        while !rollout.is_finished() {
            for site in sites {
                during.push(open_panel(&browser, &stack, site).await?);
            }
        }
        let (batches, upgraded) = rollout.await??;
        assert!(batches.len() > 1, "{batches:?}");
        assert_eq!(upgraded.len(), sites.len());
        assert!(
            during.len() >= sites.len(),
            "pages were opened during the rollout"
        );
        for site in sites {
            assert_eq!(open_panel(&browser, &stack, site).await?, "forge", "{site}");
        }
        let refused: u64 = amj_connect::AuthReason::ALL
            .iter()
            .map(|r| stack.state.counters.total_failures(*r))
            .sum();
        assert_eq!(refused, 0, "no request was refused during the move");
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("forge_rollout").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// The site's first issue that has linked assets, and their keys.
async fn an_issue_with_links(
    stack: &Stack,
    site: &str,
    tenant: &amj_store::Tenant,
) -> (String, Vec<String>) {
    let issues = stack
        .sim
        .with_data(site, |d| d.issues.clone())
        .unwrap_or_default();
    for issue in issues {
        let Ok(id) = issue.id.parse::<i64>() else {
            continue;
        };
        let linked = stack
            .state
            .store
            .assets_of_issue(tenant.id, id)
            .await
            .unwrap();
        if !linked.is_empty() {
            let mut keys: Vec<String> = linked.iter().map(|a| a.key()).collect();
            keys.sort();
            return (issue.key, keys);
        }
    }
    panic!("the seeded site has no linked issue");
}

/// The panel's linked asset keys, once it is ready.
async fn linked_keys(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let mut keys = Vec::new();
    for item in browser.driver.find_all(By::Css("#amj-linked li")).await? {
        if let Some(key) = item.attr("data-key").await? {
            keys.push(key);
        }
    }
    keys.sort();
    Ok(keys)
}

/// Opens `path` on the simulated site and enters the app's frame.
async fn enter(browser: &Browser, stack: &Stack, path: &str) -> anyhow::Result<String> {
    browser.enter(stack, path).await
}

/// Enters the app's frame of the page the browser is on.
async fn enter_frame(browser: &Browser) -> anyhow::Result<String> {
    browser.enter_frame().await
}

/// Waits until Jira's own page (not the app's frame) is at `path`.
async fn wait_for_jira_at(browser: &Browser, stack: &Stack, path: &str) -> anyhow::Result<()> {
    let want = format!("{}{path}", stack.sim.base_url());
    let reached = amj_e2e::wait_for(WAIT, || async {
        let url = browser.driver.current_url().await.ok()?;
        (url.as_str() == want).then_some(())
    })
    .await;
    if reached.is_err() {
        let now = browser.driver.current_url().await?;
        anyhow::bail!("Jira never reached {want}; it is at {now}");
    }
    Ok(())
}

/// Installs `site` and seeds the demo fleet, its links pointing at the site's real issues.
async fn seed_linked(stack: &Stack, site: &str) -> anyhow::Result<amj_store::Tenant> {
    stack.sim.add_site(site);
    anyhow::ensure!(stack.sim.install(site, &stack.app).await? == 204);
    let record = stack.sim.site(site)?;
    let tenant = stack
        .state
        .store
        .tenant_by_client_key(&record.client_key)
        .await?
        .expect("installed");
    let mut plan = SeedPlan::demo();
    plan.stock = false;
    plan.issues = stack
        .sim
        .with_data(site, |d| d.issues.clone())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| {
            Some(amj_store::links::IssueRef {
                id: i.id.parse().ok()?,
                key: i.key,
                summary: i.summary,
            })
        })
        .collect();
    amj_bench::seed::seed_site(&stack.state.store, tenant.id, &plan).await?;
    Ok(tenant)
}

/// Navigation through Forge's host (`router` and `view.createHistory()`): from an issue's panel
/// to the asset in the app's list, from the asset to a linked issue in Jira, and back with the
/// browser's own button. The opened asset is in Jira's URL, so going back to it (a fresh load)
/// lands on it, and closing it and going back reopens it in place.
#[tokio::test]
async fn forge_pages_navigate_through_the_host_and_keep_the_asset_in_the_url() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        let tenant = seed_linked(&stack, "acme").await?;
        let (issue, keys) = an_issue_with_links(&stack, "acme", &tenant).await;
        stack.sim.forge_upgrade("acme")?;
        let key = &keys[0];
        let asset_page = format!("/sites/acme/apps/assets/asset/{key}");

        enter(&browser, &stack, &format!("/sites/acme/browse/{issue}")).await?;
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;
        browser
            .driver
            .find(By::Css(format!("#amj-linked [data-open='{key}']")))
            .await?
            .press()
            .await?;
        wait_for_jira_at(&browser, &stack, &asset_page).await?;
        enter_frame(&browser).await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        browser.wait_for_text("amj-detail-title", key, WAIT).await?;

        // A linked issue opens in Jira itself.
        browser.show_tab("issues").await?;
        browser
            .driver
            .find(By::Css(format!(
                "#amj-detail-issues [data-issue='{issue}']"
            )))
            .await?
            .press()
            .await?;
        wait_for_jira_at(&browser, &stack, &format!("/sites/acme/browse/{issue}")).await?;

        // Back: the asset page loads afresh at the asset.
        browser.driver.enter_default_frame().await?;
        browser.driver.back().await?;
        wait_for_jira_at(&browser, &stack, &asset_page).await?;
        enter_frame(&browser).await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        browser.wait_for_text("amj-detail-title", key, WAIT).await?;

        // Closing the asset moves Jira's URL with it; the back button reopens it in place.
        browser
            .driver
            .find(By::Id("amj-back"))
            .await?
            .press()
            .await?;
        wait_for_jira_at(&browser, &stack, "/sites/acme/apps/assets?schema=IT").await?;
        enter_frame(&browser).await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        browser.driver.enter_default_frame().await?;
        browser.driver.back().await?;
        wait_for_jira_at(&browser, &stack, &asset_page).await?;
        enter_frame(&browser).await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        browser.wait_for_text("amj-detail-title", key, WAIT).await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("forge_navigation").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// The same link from the panel under Connect: `AP.navigator.go("addonmodule")` with the asset's
/// path as custom data, which Jira hands to the list page (`ac.path`), opens it at the asset.
#[tokio::test]
async fn the_connect_panel_opens_a_linked_asset_in_the_list() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        let tenant = seed_linked(&stack, "acme").await?;
        let (issue, keys) = an_issue_with_links(&stack, "acme", &tenant).await;
        let key = &keys[0];
        let src = enter(&browser, &stack, &format!("/sites/acme/browse/{issue}")).await?;
        assert!(!src.starts_with("/_forge/"), "Connect: {src}");
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;
        browser
            .driver
            .find(By::Css(format!("#amj-linked [data-open='{key}']")))
            .await?
            .press()
            .await?;
        let reached = amj_e2e::wait_for(WAIT, || async {
            let url = browser.driver.current_url().await.ok()?;
            url.path()
                .ends_with("/sites/acme/apps/assets")
                .then_some(url)
        })
        .await
        .map_err(|_| anyhow::anyhow!("the list page never opened"))?;
        let path: Vec<_> = reached
            .query_pairs()
            .filter(|(k, _)| k == "ac.path")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(path, [format!("/asset/{key}")]);
        enter_frame(&browser).await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        browser.wait_for_text("amj-detail-title", key, WAIT).await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("connect_panel_navigation").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// Issue 12's drill: a Connect site with assets and issue links is moved to Forge mid-session
/// by the simulated rollout. Reloaded, the issue panel, the asset list and the settings page
/// all show the site's data through Forge. A careful Forge key rotation and system tokens that
/// expire within seconds happen meanwhile, and no correctly signed request is refused.
#[tokio::test]
async fn a_connect_site_moved_to_forge_mid_session_keeps_everything() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        // The demo's fleet, linked to the site's real issues.
        let tenant = seed_linked(&stack, "acme").await?;
        let (issue, keys) = an_issue_with_links(&stack, "acme", &tenant).await;
        // Tokens that outlive the app's 30 s margin by only 5 s: the ones held go stale within
        // the session, and each call must work with the one it brings.
        stack.sim.set_system_token_ttl(35);

        let src = enter(&browser, &stack, &format!("/sites/acme/browse/{issue}")).await?;
        assert!(!src.starts_with("/_forge/"), "Connect first: {src}");
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;
        assert_eq!(linked_keys(&browser).await?, keys);

        let (_, moved) = stack
            .sim
            .forge_rollout(Duration::from_millis(200), 1)
            .await?;
        assert_eq!(moved.len(), 1);

        // Forge publishes a key ahead of use, then signs with it.
        let kid = stack.sim.forge().publish_next()?;
        let src = enter(&browser, &stack, &format!("/sites/acme/browse/{issue}")).await?;
        assert!(src.starts_with("/_forge/"), "Forge after the move: {src}");
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;
        assert_eq!(linked_keys(&browser).await?, keys, "the links came along");
        assert!(stack.sim.forge().activate(&kid));

        enter(&browser, &stack, "/sites/acme/apps/assets").await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        let count = browser.text_of("amj-count").await;
        assert!(
            count.contains("of 60"),
            "the list has the site's assets: {count}"
        );

        enter(&browser, &stack, "/sites/acme/admin/apps").await?;
        browser
            .wait_for_attribute("amj-admin", "data-state", "ready", WAIT)
            .await?;
        browser
            .wait_for_text("amj-platform", "Connect and Forge", WAIT)
            .await?;
        assert!(browser.text_of("amj-type-tree").await.contains("Laptop"));

        // Back to the panel, signed with the new key: still the same links.
        enter(&browser, &stack, &format!("/sites/acme/browse/{issue}")).await?;
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;
        assert_eq!(linked_keys(&browser).await?, keys);

        let refused: u64 = amj_connect::AuthReason::ALL
            .iter()
            .map(|r| stack.state.counters.total_failures(*r))
            .sum();
        assert_eq!(refused, 0, "no correctly signed request was refused");
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("forge_move_mid_session").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// The negative control in the browser: an app that never refetches Forge's keys. After Forge
/// signs with a new key, the panel says it could not load, with a retry, instead of spinning,
/// and the refusals are counted for the site.
#[tokio::test]
async fn a_never_refetched_jwks_shows_a_clear_error_in_the_panel() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start_with(|c| c.faults.set_never_refetch_jwks(true))
        .await
        .unwrap();
    let result = async {
        stack.seeded_site("acme", &SeedPlan::demo()).await?;
        stack.sim.forge_upgrade("acme")?;
        enter(&browser, &stack, "/sites/acme/browse/AM-1").await?;
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;

        stack.sim.forge().rotate_now()?;
        enter(&browser, &stack, "/sites/acme/browse/AM-1").await?;
        browser
            .wait_for_text("amj-error-text", "Could not load the linked assets", WAIT)
            .await?;
        assert!(browser.driver.find(By::Id("amj-retry")).await.is_ok());
        let refused: u64 = amj_connect::AuthReason::ALL
            .iter()
            .map(|r| stack.state.counters.total_failures(*r))
            .sum();
        assert!(refused > 0, "the refusals are counted");
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("forge_never_refetched").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// The other negative control in the browser: a store that drops the Connect↔Forge link. After
/// the move, the panel says the site's data is not linked, with what fixes it, instead of
/// showing an empty site; the same move without the fault shows the links (the drill above).
#[tokio::test]
async fn a_dropped_connect_forge_link_shows_a_clear_error_in_the_panel() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        stack.seeded_site("acme", &SeedPlan::demo()).await?;
        stack
            .state
            .store
            .faults()
            .drop_forge_links
            .store(true, std::sync::atomic::Ordering::Relaxed);
        stack.sim.forge_upgrade("acme")?;
        let src = enter(&browser, &stack, "/sites/acme/browse/AM-1").await?;
        assert!(src.starts_with("/_forge/"), "Forge after the move: {src}");
        browser
            .wait_for_text(
                "amj-error-text",
                "not linked to this Forge installation",
                WAIT,
            )
            .await?;
        let text = browser.text_of("amj-error-text").await;
        assert!(
            text.contains("Manage apps"),
            "it says what fixes it: {text}"
        );
        assert!(
            browser
                .driver
                .find(By::Css("#amj-linked li"))
                .await
                .is_err(),
            "no list, empty or not"
        );
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("forge_dropped_link").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}
