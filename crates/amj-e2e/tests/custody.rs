//! Custody in headless Chromium, in both hosts, by keyboard alone: check a laptop out to a
//! person found by name, for an issue; see it under "My assets"; check it in with a note; and
//! read both in its history. No axe violations on the way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn check_a_laptop_out_and_in_by_keyboard() {
    amj_e2e::in_both_hosts("custody", async |browser, stack, site, host| {
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

    // A laptop nobody holds, found by AQL.
    let search = browser.driver.find(By::Id("amj-aql")).await?;
    search.clear().await?;
    search
        .send_keys("objectType = Laptop AND holder IS EMPTY AND status = Available")
        .await?;
    search.send_keys(Key::Enter).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    browser.wait_for_text("amj-count", "of", WAIT).await?;
    let first = browser
        .driver
        .find(By::Css("#amj-rows [data-open]"))
        .await?;
    let key = first.attr("data-open").await?.unwrap_or_default();
    anyhow::ensure!(!key.is_empty(), "a laptop to lend");
    browser
        .press_css(&format!("#amj-rows [data-open='{key}']"), Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_text("amj-custody-state", "Not checked out", WAIT)
        .await?;

    // Check out to a person found by name, for an issue.
    browser.press_css("#amj-checkout", Key::Enter, WAIT).await?;
    amj_e2e::wait_until("the form to open on its first field", WAIT, || async {
        browser.active_attribute("id").await.ok().as_deref() == Some("amj-holder-kind-user")
    })
    .await?;
    browser.type_keys(Key::Tab).await?;
    browser.type_keys("Morgan").await?;
    amj_e2e::wait_until("Jira's people to be found", WAIT, || async {
        browser
            .driver
            .find(By::Css("ul[aria-label='People found'] button"))
            .await
            .is_ok()
    })
    .await?;
    browser.type_keys(Key::Tab).await?;
    browser.type_keys(Key::Enter).await?;
    amj_e2e::wait_until("the person to be chosen", WAIT, || async {
        browser
            .text_of("amj-checkout-form")
            .await
            .contains("Morgan Lee")
    })
    .await?;
    anyhow::ensure!(
        browser.active_attribute("id").await? == "amj-holder-person",
        "after a pick, focus is back in the search"
    );
    let violations = browser.axe_violations().await?;
    anyhow::ensure!(
        violations.is_empty(),
        "axe, check-out form: {violations:#?}"
    );
    // To the issue (the date field before it is a tab stop per segment); Enter submits.
    browser
        .press_css("#amj-checkout-issue", Key::End, WAIT)
        .await?;
    browser.type_keys("am-1").await?;
    browser.type_keys(Key::Enter).await?;
    browser
        .wait_for_text("amj-custody-state", "Morgan Lee", WAIT)
        .await?;
    browser
        .wait_for_text("amj-custody-state", "for AM-1", WAIT)
        .await?;
    let status = browser.text_of("amj-detail-title").await;
    // The lozenge is upper-cased by its style.
    anyhow::ensure!(
        status.to_lowercase().contains("in use"),
        "moved to In use: {status}"
    );
    let violations = browser.axe_violations().await?;
    anyhow::ensure!(violations.is_empty(), "axe, checked out: {violations:#?}");

    // "My assets" lists it.
    browser.press_css("#amj-back", Key::Enter, WAIT).await?;
    browser
        .press_css("#amj-open-mine", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-custody-list", "data-state", "ready", WAIT)
        .await?;
    let mine = browser.text_of("amj-custody-list").await;
    anyhow::ensure!(mine.contains(&key), "my assets list {key}: {mine}");
    anyhow::ensure!(mine.contains("AM-1"), "with its issue: {mine}");
    let violations = browser.axe_violations().await?;
    anyhow::ensure!(violations.is_empty(), "axe, my assets: {violations:#?}");

    // Check it in from there, with a note.
    browser
        .press_css(
            &format!("#amj-custody-table [data-open='{key}']"),
            Key::Enter,
            WAIT,
        )
        .await?;
    browser
        .wait_for_text("amj-custody-state", "Checked out to", WAIT)
        .await?;
    browser.press_css("#amj-checkin", Key::Enter, WAIT).await?;
    amj_e2e::wait_until("the condition to have focus", WAIT, || async {
        browser.active_attribute("id").await.ok().as_deref() == Some("amj-checkin-condition")
    })
    .await?;
    browser.type_keys(Key::Tab).await?;
    browser.type_keys("back from the offsite").await?;
    browser.type_keys(Key::Tab).await?;
    browser.type_keys(Key::Enter).await?;
    browser
        .wait_for_text("amj-custody-state", "Not checked out", WAIT)
        .await?;
    let status = browser.text_of("amj-detail-title").await;
    anyhow::ensure!(
        status.to_lowercase().contains("available"),
        "back to Available: {status}"
    );

    // Both are in the history, newest first.
    browser.show_tab("history").await?;
    let history = browser.text_of("amj-detail-history").await;
    let checked_in = history.find("Checked in from Morgan Lee, good.");
    let checked_out = history.find("Checked out to Morgan Lee, for AM-1.");
    anyhow::ensure!(
        matches!((checked_in, checked_out), (Some(i), Some(o)) if i < o),
        "history: {history}"
    );
    anyhow::ensure!(history.contains("back from the offsite"), "{history}");
    Ok(())
}
