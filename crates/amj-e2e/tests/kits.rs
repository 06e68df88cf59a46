//! Kits in headless Chromium, in both hosts, by keyboard alone: from "Kits" hand the demo's
//! "New starter" kit to a person found by name, for a Jira issue, and read what it handed
//! out. No axe violations on the way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn hand_a_kit_to_a_new_starter() {
    amj_e2e::in_both_hosts("kits", async |browser, stack, site, host| {
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
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    browser
        .press_css("#amj-open-kits", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-kits", "data-state", "ready", WAIT)
        .await?;
    browser.wait_for_focus("amj-kits-title", WAIT).await?;
    let list = browser.text_of("amj-kit-list").await;
    anyhow::ensure!(list.contains("New starter"), "kits: {list}");
    browser.ensure_axe_clean("kits").await?;

    browser
        .press_css("[data-hand-out]", Key::Enter, WAIT)
        .await?;
    browser.wait_for_focus("amj-kit-person", WAIT).await?;
    browser.type_keys("Morgan").await?;
    amj_e2e::wait_until("Jira's people to be found", WAIT, || async {
        browser
            .driver
            .find(By::Css(
                "#amj-kit-form ul[aria-label='People found'] button",
            ))
            .await
            .is_ok()
    })
    .await?;
    browser.type_keys(Key::Tab).await?;
    browser.type_keys(Key::Enter).await?;
    amj_e2e::wait_until("the person to be chosen", WAIT, || async {
        browser.text_of("amj-kit-form").await.contains("Morgan Lee")
    })
    .await?;
    browser.wait_for_focus("amj-kit-person", WAIT).await?;
    browser.ensure_axe_clean("hand-out form").await?;
    browser.press_css("#amj-kit-issue", Key::End, WAIT).await?;
    browser.type_keys("am-1").await?;
    browser.type_keys(Key::Enter).await?;
    browser
        .wait_for_text("amj-kits-status", "Handed New starter to Morgan Lee", WAIT)
        .await?;
    let status = browser.text_of("amj-kits-status").await;
    anyhow::ensure!(status.contains("1 × "), "the charger too: {status}");
    amj_e2e::wait_until("focus back on Hand out", WAIT, || async {
        browser
            .active_attribute("data-hand-out")
            .await
            .is_ok_and(|v| !v.is_empty())
    })
    .await?;
    browser.ensure_axe_clean("after handing out").await?;
    Ok(())
}
