//! Regenerates docs/screenshots: every page in light and dark. Not part of the normal run (the
//! images are documentation, not assertions about pixels); run it with
//! `cargo test -p amj-e2e --test screenshots -- --ignored` after changing a page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::{SeedPlan, seed_site};
use amj_e2e::{Browser, Stack};
use std::path::PathBuf;
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(10);

async fn shoot(browser: &Browser, name: &str) -> anyhow::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir)?;
    for mode in ["light", "dark"] {
        // The simulated Jira and the theme it hands the app's frame both follow the scheme.
        browser.set_color_scheme(mode).await?;
        let path = dir.join(format!("{name}-{mode}.png"));
        browser.driver.screenshot(&path).await?;
        let size = std::fs::metadata(&path)?.len();
        anyhow::ensure!(
            size > 5_000,
            "{} is suspiciously small ({size} bytes)",
            path.display()
        );
    }
    Ok(())
}

#[tokio::test]
#[ignore = "regenerates docs/screenshots; run with --ignored"]
async fn screenshots_of_every_page_in_light_and_dark() {
    let browser = Browser::start()
        .await
        .unwrap()
        .expect("screenshots need chromium and chromedriver");
    let stack = Stack::start().await.unwrap();
    let result = async {
        stack.sim.add_site("acme");
        assert_eq!(stack.sim.install("acme", &stack.app).await?, 204);
        let site = stack.sim.site("acme")?;
        let tenant = stack
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await?
            .expect("installed");
        let mut plan = SeedPlan::demo();
        let issue_id: i64 = stack
            .sim
            .with_data("acme", |d| d.issue("AM-1").map(|i| i.id.clone()))
            .flatten()
            .and_then(|id| id.parse().ok())
            .expect("AM-1");
        plan.issues = vec![amj_store::links::IssueRef {
            id: issue_id,
            key: "AM-1".into(),
            summary: "Laptop for the new designer".into(),
        }];
        seed_site(&stack.state.store, tenant.id, &plan).await?;

        browser
            .driver
            .goto(&stack.sim.iframe_url(&site, &stack.app, "/pages/assets")?)
            .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        shoot(&browser, "assets-list").await?;

        browser
            .driver
            .find(By::Id("amj-open-dashboard"))
            .await?
            .click()
            .await?;
        for chart in [
            "amj-chart-type",
            "amj-chart-status",
            "amj-chart-location",
            "amj-chart-trend",
        ] {
            browser
                .wait_for_attribute(chart, "data-chart", "drawn", WAIT)
                .await?;
        }
        browser
            .wait_for_attribute("amj-due", "data-state", "ready", WAIT)
            .await?;
        shoot(&browser, "dashboard").await?;
        browser
            .driver
            .find(By::Css(r#"button[data-type=""]"#))
            .await?
            .click()
            .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;

        browser
            .driver
            .find(By::Css("#amj-rows [data-open]"))
            .await?
            .click()
            .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        shoot(&browser, "asset-detail").await?;

        browser
            .driver
            .find(By::Id("amj-edit"))
            .await?
            .click()
            .await?;
        amj_e2e::wait_for(WAIT, || async {
            browser.driver.find(By::Id("amj-field-0")).await.ok()
        })
        .await
        .map_err(|_| anyhow::anyhow!("no edit form"))?;
        shoot(&browser, "asset-edit").await?;

        browser
            .driver
            .goto(&format!("{}/sites/acme/browse/AM-1", stack.sim.base_url()))
            .await?;
        browser
            .driver
            .find(By::Css("iframe[data-site='acme']"))
            .await?
            .enter_frame()
            .await?;
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
            .await?;
        shoot(&browser, "issue-glance").await?;
        browser.driver.enter_default_frame().await?;

        browser
            .driver
            .goto(&stack.sim.iframe_url(&site, &stack.app, "/pages/admin")?)
            .await?;
        browser
            .wait_for_attribute("amj-admin", "data-state", "ready", WAIT)
            .await?;
        shoot(&browser, "settings").await?;

        stack.state.watch.tick().await;
        browser
            .driver
            .goto(&format!("{}/status", stack.state.config.base_url_str()))
            .await?;
        shoot(&browser, "status-page").await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}
