//! Requests approved in Jira, in headless Chromium and in both hosts, by keyboard: on issue
//! AM-1 ask for a laptop, approve it by transitioning the issue in the simulated Jira (the
//! app hears it as a Connect webhook or a Forge event and reserves a laptop), hand it out from
//! the admins' "Requests" queue with one action, check it in from "My assets", and read the
//! whole path on both sides: the asset's history and the issue's request. No axe violations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn request_a_laptop_approve_it_in_jira_and_hand_it_out() {
    amj_e2e::in_both_hosts("requests", async |browser, stack, site, host| {
        let mut plan = SeedPlan::demo();
        plan.link_every = 0;
        stack.seeded_site(site, &plan).await?;
        host.put(stack, site)?;
        journey(browser, stack, site, host).await
    })
    .await;
}

/// Opens the issue view of AM-1 and waits for the panel's requests.
async fn issue_panel(browser: &Browser, stack: &Stack, site: &str) -> anyhow::Result<String> {
    let src = browser
        .enter(stack, &format!("/sites/{site}/browse/AM-1"))
        .await?;
    browser
        .wait_for_attribute("amj-requests", "data-state", "ready", WAIT)
        .await?;
    Ok(src)
}

async fn journey(browser: &Browser, stack: &Stack, site: &str, host: Host) -> anyhow::Result<()> {
    // Ask, from the issue, for any laptop, for oneself.
    let src = issue_panel(browser, stack, site).await?;
    anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");
    browser
        .press_css("#amj-request-open", Key::Enter, WAIT)
        .await?;
    browser.wait_for_focus("amj-request-what", WAIT).await?;
    browser.type_keys("Laptop").await?;
    amj_e2e::wait_until("Laptop to be chosen", WAIT, || async {
        let Ok(select) = browser.driver.find(By::Id("amj-request-what")).await else {
            return false;
        };
        select
            .prop("value")
            .await
            .ok()
            .flatten()
            .is_some_and(|v| v.starts_with("type:"))
    })
    .await?;
    let form = browser.text_of("amj-request-form").await;
    anyhow::ensure!(form.contains("Morgan Lee"), "for the viewer: {form}");
    browser.ensure_axe_clean("the request form").await?;
    browser
        .press_css("#amj-request-note", Key::End, WAIT)
        .await?;
    browser.type_keys("for the offsite").await?;
    browser.type_keys(Key::Enter).await?;
    browser
        .wait_for_text("amj-requests-status", "Requested a Laptop", WAIT)
        .await?;
    browser.wait_for_focus("amj-request-open", WAIT).await?;
    browser
        .driver
        .find(By::Css("#amj-request-list li[data-state='pending']"))
        .await
        .map_err(|_| anyhow::anyhow!("the request waits for approval"))?;
    browser.ensure_axe_clean("the pending request").await?;

    // An agent approves the issue in Jira: a laptop is reserved for the request.
    browser.driver.enter_default_frame().await?;
    let status = browser.driver.find(By::Id("sim-status")).await?;
    browser.focus(&status).await?;
    browser.type_keys("Approved").await?;
    browser
        .press_css("#sim-transition-submit", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_text("sim-issue-status", "Approved", WAIT)
        .await?;
    // The app hears it as it can: at once (a Connect webhook) or from its event queue
    // (Forge), so the panel is read again until it shows.
    let mut reserved = String::new();
    amj_e2e::wait_until("the request to be approved", WAIT, || async {
        if issue_panel(browser, stack, site).await.is_err() {
            return false;
        }
        let Ok(item) = browser
            .driver
            .find(By::Css("#amj-request-list li[data-state='approved']"))
            .await
        else {
            return false;
        };
        item.text().await.is_ok_and(|t| t.contains("reserved IT-"))
    })
    .await?;
    let list = browser.text_of("amj-request-list").await;
    if let Some(at) = list.find("reserved IT-") {
        reserved = list[at + "reserved ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
    }
    anyhow::ensure!(reserved.starts_with("IT-"), "a laptop is reserved: {list}");
    anyhow::ensure!(
        list.contains("Approved: the issue moved to Approved."),
        "{list}"
    );

    // An admin hands it out from the queue with one action.
    browser
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    browser
        .press_css("#amj-open-requests", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-request-queue", "data-state", "ready", WAIT)
        .await?;
    browser
        .wait_for_focus("amj-request-queue-title", WAIT)
        .await?;
    let queue = browser.text_of("amj-request-table").await;
    anyhow::ensure!(
        queue.contains("AM-1") && queue.contains(&reserved),
        "queue: {queue}"
    );
    browser.ensure_axe_clean("the request queue").await?;
    browser.press_css("[data-fulfil]", Key::Enter, WAIT).await?;
    browser
        .wait_for_text(
            "amj-request-queue-status",
            &format!("to Morgan Lee: {reserved}."),
            WAIT,
        )
        .await?;
    browser
        .wait_for_focus("amj-request-queue-title", WAIT)
        .await?;

    // Morgan has it; it comes back through "My assets".
    browser
        .press_css("#amj-open-mine", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-custody-list", "data-state", "ready", WAIT)
        .await?;
    let mine = browser.text_of("amj-custody-list").await;
    anyhow::ensure!(
        mine.contains(&reserved) && mine.contains("AM-1"),
        "my assets: {mine}"
    );
    browser
        .press_css(
            &format!("#amj-custody-table [data-open='{reserved}']"),
            Key::Enter,
            WAIT,
        )
        .await?;
    browser
        .wait_for_text("amj-custody-state", "Checked out to", WAIT)
        .await?;
    browser.press_css("#amj-checkin", Key::Enter, WAIT).await?;
    browser
        .wait_for_focus("amj-checkin-condition", WAIT)
        .await?;
    browser.type_keys(Key::Tab).await?;
    browser.type_keys(Key::Tab).await?;
    browser.type_keys(Key::Enter).await?;
    browser
        .wait_for_text("amj-custody-state", "Not checked out", WAIT)
        .await?;

    // The asset's side: reserved for the request, handed out for the issue, back.
    browser.show_tab("history").await?;
    let history = browser.text_of("amj-detail-history").await;
    let back = history.find("Checked in from Morgan Lee");
    let out = history.find("Checked out to Morgan Lee, for AM-1.");
    let set_aside = history.find("Reserved for Morgan Lee: request #");
    anyhow::ensure!(
        matches!((back, out, set_aside), (Some(b), Some(o), Some(r)) if b < o && o < r),
        "the asset's history, newest first: {history}"
    );
    browser.ensure_axe_clean("the asset's history").await?;

    // The issue's side: the request's whole path, and the hand-out back.
    issue_panel(browser, stack, site).await?;
    let list = browser.text_of("amj-request-list").await;
    for step in [
        "Morgan Lee asked for a Laptop for Morgan Lee. “for the offsite”",
        "Approved: the issue moved to Approved.",
        &format!("Reserved {reserved}."),
        &format!("Handed out {reserved} by Morgan Lee."),
    ] {
        anyhow::ensure!(
            list.contains(step),
            "the issue's request lacks {step:?}: {list}"
        );
    }
    browser
        .driver
        .find(By::Css("#amj-request-list li[data-state='fulfilled']"))
        .await
        .map_err(|_| anyhow::anyhow!("the request is fulfilled: {list}"))?;
    let handed = browser.text_of("amj-handed-out").await;
    anyhow::ensure!(
        handed.contains(&reserved) && handed.contains("back"),
        "handed out for AM-1, and back: {handed}"
    );
    browser.ensure_axe_clean("the fulfilled request").await?;
    Ok(())
}
