//! Creating an asset from an issue, in headless Chromium and in both hosts, by keyboard: the
//! issue panel opens the asset form, the new asset is saved and linked to the issue, and the
//! panel lists it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn an_asset_created_from_the_issue_panel_is_linked_to_the_issue() {
    amj_e2e::in_both_hosts("create_from_issue", async |browser, stack, site, host| {
        let mut plan = SeedPlan::demo();
        plan.link_every = 0;
        stack.seeded_site(site, &plan).await?;
        host.put(stack, site)?;
        journey(browser, stack, site, host).await
    })
    .await;
}

async fn journey(browser: &Browser, stack: &Stack, site: &str, host: Host) -> anyhow::Result<()> {
    let src = browser
        .enter(stack, &format!("/sites/{site}/browse/AM-1"))
        .await?;
    anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");
    browser
        .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
        .await?;
    let create = browser.driver.find(By::Id("amj-create-asset")).await?;
    browser.press_enter(&create).await?;
    let kind = amj_e2e::wait_for(WAIT, || async {
        browser.driver.find(By::Id("amj-form-type")).await.ok()
    })
    .await
    .map_err(|_| anyhow::anyhow!("the form never opened"))?;
    SelectElement::new(&kind)
        .await?
        .select_by_visible_text("Location")
        .await?;
    let name = amj_e2e::wait_for(WAIT, || async {
        let field = browser.driver.find(By::Id("amj-field-0")).await.ok()?;
        let label = browser
            .driver
            .find(By::Css("label[for='amj-field-0']"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        label.starts_with("Name").then_some(field)
    })
    .await
    .map_err(|_| anyhow::anyhow!("the Location form has no Name first"))?;
    let violations = browser.axe_violations().await?;
    anyhow::ensure!(
        violations.is_empty(),
        "axe, the form in the panel: {violations:#?}"
    );
    name.send_keys("Depot 9").await?;
    name.send_keys(Key::Enter).await?;
    browser
        .wait_for_text("amj-glance-status", "and linked it", WAIT)
        .await?;
    browser.wait_for_text("amj-linked", "Depot 9", WAIT).await?;
    let status = browser.text_of("amj-glance-status").await;
    anyhow::ensure!(status.starts_with("Created IT-"), "{status}");
    Ok(())
}
