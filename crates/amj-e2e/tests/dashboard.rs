//! The dashboard in headless Chromium, in both hosts: reached from the list by keyboard, its
//! charts drawn from the reports API, no axe violations in light or dark, kept in Jira's URL,
//! and a slice opening the list filtered by that slice's AQL, listing exactly what it counted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

async fn wait_until<F, Fut>(what: &str, check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    amj_e2e::wait_until(what, WAIT, check).await
}

#[tokio::test]
async fn a_dashboard_slice_opens_the_list_of_exactly_its_assets() {
    amj_e2e::in_both_hosts("dashboard", async |browser, stack, site, host| {
        stack.seeded_site(site, &SeedPlan::demo()).await?;
        host.put(stack, site)?;
        journey(browser, stack, site, host).await
    })
    .await;
}

async fn journey(browser: &Browser, stack: &Stack, site: &str, host: Host) -> anyhow::Result<()> {
    let src = browser
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    // The type tree counts each type's assets.
    wait_until("the tree's counts", || async {
        browser
            .driver
            .find(By::Css(r#"button[data-type="Laptop"] .amj-count"#))
            .await
            .is_ok()
    })
    .await?;

    let open = browser.driver.find(By::Id("amj-open-dashboard")).await?;
    browser.press_enter(&open).await?;
    browser
        .wait_for_attribute("amj-by-type", "data-state", "ready", WAIT)
        .await?;
    browser.wait_for_dashboard(WAIT).await?;
    let violations = browser.axe_violations().await?;
    anyhow::ensure!(violations.is_empty(), "axe: {violations:#?}");
    // The demo marks warranty dates, so "falling due" has its table.
    if browser
        .driver
        .find(By::Css("#amj-due table"))
        .await
        .is_err()
    {
        anyhow::bail!("no due-date table: {}", browser.text_of("amj-due").await);
    }

    // The dashboard is a place in Jira's URL.
    browser.driver.enter_default_frame().await?;
    wait_until("the host URL to name the dashboard", || async {
        browser
            .driver
            .current_url()
            .await
            .map(|u| u.as_str().contains("dashboard"))
            .unwrap_or(false)
    })
    .await?;
    browser.enter_frame().await?;

    // The largest type's slice lists exactly the assets it counted.
    let slice = browser
        .driver
        .find(By::Css("#amj-chart-type [data-aql]"))
        .await?;
    let aql = slice.attr("data-aql").await?.unwrap_or_default();
    let name = slice.text().await?;
    let count: usize = slice
        .find(By::XPath("following-sibling::span[@class='amj-count']"))
        .await?
        .text()
        .await?
        .replace([',', '.', '\u{a0}', ' '], "")
        .parse()?;
    anyhow::ensure!(count > 0, "the largest type has assets");
    browser.press_enter(&slice).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    let typed = browser
        .driver
        .find(By::Id("amj-aql"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    anyhow::ensure!(
        typed == aql,
        "the list runs the slice's query: {typed:?} vs {aql:?}"
    );
    let counted = browser.text_of("amj-count").await;
    let shown = count.min(50);
    // The demo's counts stay below 1,000, so no separator differs between the two texts.
    anyhow::ensure!(
        counted.ends_with(&format!("of {count}")),
        "the list counts what the slice counted ({count}): {counted:?}"
    );
    let types = browser
        .driver
        .find_all(By::Css("#amj-rows tr td:nth-child(4)"))
        .await?;
    anyhow::ensure!(
        types.len() == shown,
        "{} rows for {count} assets",
        types.len()
    );
    for cell in types {
        anyhow::ensure!(cell.text().await? == name, "only {name} listed");
    }
    Ok(())
}
