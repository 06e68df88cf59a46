//! The Jira dashboard gadget in headless Chromium, in both hosts, by keyboard: placed on the
//! simulated dashboard it asks for its settings, keeps them in Jira (Forge's `view.submit`,
//! Connect's dashboard item property through `AP.request`) across a reload, comes back to them
//! on Jira's Configure, and a bar opens the app's list at exactly the assets it counted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

/// Waits for the gadget's frame to show `state` (`edit` or `view`). The frame may reload on the
/// way (Forge shows the view again after a submit), so each look enters it afresh.
async fn gadget_in(browser: &Browser, state: &str) -> anyhow::Result<()> {
    amj_e2e::wait_until(&format!("the gadget to show its {state}"), WAIT, || async {
        browser.enter_frame().await.is_ok()
            && browser
                .driver
                .find(By::Css(format!("#amj-gadget[data-state='{state}']")))
                .await
                .is_ok()
    })
    .await
}

/// Saves the gadget's settings from the keyboard and waits for its view.
async fn save_settings(browser: &Browser) -> anyhow::Result<()> {
    let save = browser
        .driver
        .find(By::Css("#amj-gadget-form button[type=submit]"))
        .await?;
    browser.press_enter(&save).await?;
    gadget_in(browser, "view").await
}

#[tokio::test]
async fn a_gadget_keeps_its_settings_and_opens_the_list_at_a_bar() {
    amj_e2e::in_both_hosts("gadget", async |browser, stack, site, host| {
        stack.seeded_site(site, &SeedPlan::demo()).await?;
        host.put(stack, site)?;
        journey(browser, stack, site, host).await
    })
    .await;
}

async fn journey(browser: &Browser, stack: &Stack, site: &str, host: Host) -> anyhow::Result<()> {
    let dashboard = format!("/sites/{site}/dashboard");
    let src = browser.enter(stack, &dashboard).await?;
    anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");

    // A new gadget asks what to show.
    gadget_in(browser, "edit").await?;
    let violations = browser.axe_violations().await?;
    anyhow::ensure!(violations.is_empty(), "axe, settings: {violations:#?}");
    let chart = browser.driver.find(By::Id("amj-gadget-chart")).await?;
    browser.focus(&chart).await?;
    chart.send_keys("Assets by status").await?;
    save_settings(browser).await?;
    browser
        .wait_for_attribute("amj-chart-status", "data-chart", "drawn", WAIT)
        .await?;
    let violations = browser.axe_violations().await?;
    anyhow::ensure!(violations.is_empty(), "axe, the chart: {violations:#?}");

    // Jira kept the settings: a reload shows the chart at once.
    browser.enter(stack, &dashboard).await?;
    gadget_in(browser, "view").await?;
    let shown = browser
        .driver
        .find(By::Id("amj-gadget"))
        .await?
        .attr("data-chart")
        .await?;
    anyhow::ensure!(shown.as_deref() == Some("status"), "shows {shown:?}");

    // Jira's Configure brings the settings back with the choice made; saving keeps it.
    browser.driver.enter_default_frame().await?;
    let configure = browser
        .driver
        .find(By::Css("button[data-configure]"))
        .await?;
    browser.press_enter(&configure).await?;
    gadget_in(browser, "edit").await?;
    let chosen = browser
        .driver
        .find(By::Id("amj-gadget-chart"))
        .await?
        .prop("value")
        .await?;
    anyhow::ensure!(chosen.as_deref() == Some("status"), "chosen {chosen:?}");
    save_settings(browser).await?;
    browser
        .wait_for_attribute("amj-chart-status", "data-chart", "drawn", WAIT)
        .await?;

    // A bar opens the app's list, in place of the dashboard, at exactly its assets.
    let slice = browser
        .driver
        .find(By::Css("#amj-chart-status [data-aql]"))
        .await?;
    let aql = slice.attr("data-aql").await?.unwrap_or_default();
    let count: usize = slice
        .find(By::XPath("following-sibling::span[@class='amj-count']"))
        .await?
        .text()
        .await?
        .replace([',', '.', '\u{a0}', ' '], "")
        .parse()?;
    anyhow::ensure!(count > 0, "the first status has assets");
    browser.press_enter(&slice).await?;
    browser.driver.enter_default_frame().await?;
    amj_e2e::wait_until("Jira to show the app's list", WAIT, || async {
        browser
            .driver
            .current_url()
            .await
            .is_ok_and(|u| u.as_str().contains("/apps/assets"))
    })
    .await?;
    browser.enter_frame().await?;
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
        "the list runs the bar's query: {typed:?} vs {aql:?}"
    );
    let counted = browser.text_of("amj-count").await;
    // The demo's counts stay below 1,000, so no separator differs between the two texts.
    anyhow::ensure!(
        counted.ends_with(&format!("of {count}")),
        "the list counts what the bar counted ({count}): {counted:?}"
    );
    Ok(())
}
