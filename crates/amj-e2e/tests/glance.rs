//! The issue glance inside the simulated Jira issue view: link an asset found by AQL, see it on
//! the asset, see the glance's badge count, and unlink it again, all in place.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn link_an_asset_from_the_glance_and_see_it_on_the_asset() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        let mut plan = SeedPlan::demo();
        plan.link_every = 0;
        let (site, _) = stack.seeded_site("acme", &plan).await?;

        let issue_view = format!("{}/sites/acme/browse/AM-1", stack.sim.base_url());
        browser.driver.goto(&issue_view).await?;
        let frame = browser
            .driver
            .find(By::Css("iframe[data-site='acme']"))
            .await?;
        frame.enter_frame().await?;
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;
        assert!(
            browser
                .text_of("amj-linked-empty")
                .await
                .contains("No assets are linked")
        );

        // Find by AQL; a mistake is explained in place.
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
            let results = browser.driver.find(By::Css("#amj-link-results button"));
            results.await.ok()
        })
        .await
        .map_err(|_| anyhow::anyhow!("no search results"))?;
        let key = first
            .attr("aria-label")
            .await?
            .unwrap_or_default()
            .trim_start_matches("Link ")
            .to_owned();
        press(&browser, first.clone()).await?;
        browser
            .wait_for_text("amj-glance-status", &format!("Linked {key}."), WAIT)
            .await?;
        let linked = browser.text_of("amj-linked").await;
        assert!(linked.contains(&key), "{linked}");
        assert!(
            browser
                .driver
                .find(By::Css("#amj-linked .amj-lozenge"))
                .await
                .is_ok(),
            "a status lozenge"
        );
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, glance: {violations:#?}");

        // Jira's side: the glance badge counts the links, and JQL can find the issue.
        let issue_id = stack
            .sim
            .with_data("acme", |d| d.issue("AM-1").map(|i| i.id.clone()))
            .flatten()
            .expect("AM-1 exists");
        let badge = stack.sim.with_data("acme", |d| {
            d.issue_properties
                .get(&(
                    issue_id.clone(),
                    "com.atlassian.jira.issue:asset-management-for-jira:issue-assets:status"
                        .to_owned(),
                ))
                .cloned()
        });
        assert_eq!(
            badge.flatten(),
            Some(serde_json::json!({"type": "badge", "value": {"label": "1"}}))
        );

        // The asset shows the issue.
        browser.driver.enter_default_frame().await?;
        let url = stack.sim.iframe_url(
            &site,
            &stack.app,
            &format!("/pages/assets?aql=Key%20%3D%20{key}"),
        )?;
        browser.driver.goto(&url).await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        press(
            &browser,
            browser
                .driver
                .find(By::Css(format!("#amj-rows [data-open='{key}']")))
                .await?,
        )
        .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        browser.show_tab("issues").await?;
        browser
            .wait_for_text("amj-detail-issues", "AM-1", WAIT)
            .await?;

        // Unlink in place, back in the glance.
        browser.driver.goto(&issue_view).await?;
        let frame = browser
            .driver
            .find(By::Css("iframe[data-site='acme']"))
            .await?;
        frame.enter_frame().await?;
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;
        press(
            &browser,
            browser
                .driver
                .find(By::Css(format!(
                    "#amj-linked button[aria-label='Unlink {key}']"
                )))
                .await?,
        )
        .await?;
        browser
            .wait_for_text("amj-glance-status", &format!("Unlinked {key}."), WAIT)
            .await?;
        assert!(!browser.text_of("amj-linked-empty").await.is_empty());
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("glance_link").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// Activates a button from the keyboard (focus, Space): the journey needs no mouse.
async fn press(browser: &Browser, element: WebElement) -> anyhow::Result<()> {
    browser.focus(&element).await?;
    element.send_keys(Key::Space).await?;
    Ok(())
}
