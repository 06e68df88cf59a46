//! Licence seats in headless Chromium, in both hosts, by keyboard alone: from the Licences
//! view open a licence, cut its entitlement to the seats in use, see a further seat refused in
//! words, allow overuse, assign it, and see the breach on the licence and in the compliance
//! view, and the seat in the history. No axe violations on the way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn assign_past_the_entitlement_and_see_the_breach() {
    amj_e2e::in_both_hosts("licences", async |browser, stack, site, host| {
        let mut plan = SeedPlan::demo();
        plan.link_every = 0;
        stack.seeded_site(site, &plan).await?;
        host.put(stack, site)?;
        journey(browser, stack, site, host).await
    })
    .await;
}

/// "A of E seats assigned" in the licence's summary, as numbers.
async fn seats(browser: &Browser) -> anyhow::Result<(u64, u64)> {
    let text = browser.text_of("amj-licence-summary").await;
    let counts = text
        .split_once(": ")
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split_once(" seats assigned"))
        .and_then(|(counts, _)| counts.split_once(" of "))
        .and_then(|(a, e)| Some((a.trim().parse().ok()?, e.trim().parse().ok()?)));
    counts.ok_or_else(|| anyhow::anyhow!("no seat counts in {text:?}"))
}

/// Opens the terms form and sets the entitled seats, and "Allow overuse" to `overuse`.
async fn set_entitled(browser: &Browser, seats: u64, overuse: bool) -> anyhow::Result<()> {
    browser
        .press_css("#amj-edit-licence", Key::Enter, WAIT)
        .await?;
    browser.wait_for_focus("amj-licence-product", WAIT).await?;
    browser.type_keys(Key::Tab).await?;
    browser.wait_for_focus("amj-licence-entitled", WAIT).await?;
    browser.type_keys(Key::End).await?;
    for _ in 0..12 {
        browser.type_keys(Key::Backspace).await?;
    }
    browser.type_keys(seats.to_string()).await?;
    browser.type_keys(Key::Tab).await?;
    browser.wait_for_focus("amj-licence-overuse", WAIT).await?;
    let ticked = browser
        .driver
        .find(By::Id("amj-licence-overuse"))
        .await?
        .is_selected()
        .await?;
    if ticked != overuse {
        browser.type_keys(Key::Space).await?;
    }
    browser.type_keys(Key::Shift + Key::Tab).await?;
    // Enter in a field submits the form.
    browser.type_keys(Key::Enter).await?;
    browser
        .wait_for_text(
            "amj-licence-summary",
            &format!("of {seats} seats assigned"),
            WAIT,
        )
        .await
}

/// Opens "Assign a seat", picks "An asset", types `key` and submits.
async fn assign_asset(browser: &Browser, key: &str) -> anyhow::Result<()> {
    browser
        .press_css("#amj-assign-seat", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_focus("amj-assignee-kind-user", WAIT)
        .await?;
    // Arrow keys move between radio buttons, and choose as they go.
    browser.type_keys(Key::Down).await?;
    browser
        .wait_for_focus("amj-assignee-kind-asset", WAIT)
        .await?;
    browser.type_keys(Key::Tab).await?;
    browser.wait_for_focus("amj-assignee-key", WAIT).await?;
    browser.type_keys(key).await?;
    browser.type_keys(Key::Enter).await
}

async fn journey(browser: &Browser, stack: &Stack, site: &str, host: Host) -> anyhow::Result<()> {
    let src = browser
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;

    // The compliance view, per product; a product's licences open on demand.
    browser
        .press_css("#amj-open-licences", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-licences", "data-state", "ready", WAIT)
        .await?;
    browser.wait_for_focus("amj-licences-title", WAIT).await?;
    let table = browser.text_of("amj-compliance-table").await;
    anyhow::ensure!(table.contains("seats assigned"), "compliance: {table}");
    browser.ensure_axe_clean("compliance view").await?;
    browser
        .press_css(
            "#amj-compliance-table [data-product] button",
            Key::Enter,
            WAIT,
        )
        .await?;
    browser
        .press_css(
            "#amj-compliance-table [data-licence] button",
            Key::Enter,
            WAIT,
        )
        .await?;
    browser
        .wait_for_text("amj-licence-summary", "seats assigned", WAIT)
        .await?;
    let licence = browser
        .text_of("amj-detail-title")
        .await
        .split_whitespace()
        .find(|w| w.contains('-'))
        .map(str::to_owned)
        .unwrap_or_default();
    let schema = licence.split('-').next().unwrap_or_default().to_owned();
    anyhow::ensure!(!schema.is_empty(), "the licence's key: {licence}");
    browser.ensure_axe_clean("licence").await?;

    // Cut the entitlement to the seats in use: one more is refused, in words.
    let (assigned, _) = seats(browser).await?;
    set_entitled(browser, assigned, false).await?;
    let seat_for = format!("{schema}-1");
    assign_asset(browser, &seat_for).await?;
    browser
        .wait_for_text("amj-seat-error", "0 free seats", WAIT)
        .await?;
    browser.ensure_axe_clean("refused seat").await?;
    browser.type_keys(Key::Escape).await?;
    browser.wait_for_focus("amj-assign-seat", WAIT).await?;

    // Allow overuse: the seat is given, and the licence shows the breach.
    set_entitled(browser, assigned, true).await?;
    assign_asset(browser, &seat_for).await?;
    browser
        .wait_for_text(
            "amj-licence-summary",
            &format!("{} of {assigned} seats assigned", assigned + 1),
            WAIT,
        )
        .await?;
    let breach = browser
        .driver
        .find(By::Css("#amj-licence-summary [data-breach]"))
        .await?;
    anyhow::ensure!(
        breach.attr("data-breach").await?.as_deref() == Some("true")
            && breach.text().await?.to_lowercase() == "over by 1",
        "the breach is shown: {}",
        breach.text().await?
    );
    amj_e2e::wait_until("the seat to be listed", WAIT, || async {
        browser
            .driver
            .find(By::Css(format!("#amj-seats [data-seat='{seat_for}']")))
            .await
            .is_ok()
    })
    .await?;
    browser.ensure_axe_clean("over-used licence").await?;
    browser.show_tab("history").await?;
    let history = browser.text_of("amj-detail-history").await;
    anyhow::ensure!(
        history.contains(&format!("Seat assigned to {seat_for}.")),
        "history: {history}"
    );

    // The compliance view shows it too.
    browser.press_css("#amj-back", Key::Enter, WAIT).await?;
    browser
        .press_css("#amj-open-licences", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-licences", "data-state", "ready", WAIT)
        .await?;
    browser
        .press_css(
            "#amj-compliance-table [data-product] button",
            Key::Enter,
            WAIT,
        )
        .await?;
    let row = format!("#amj-compliance-table [data-licence='{licence}']");
    amj_e2e::wait_until(
        "the licence to be listed under its product",
        WAIT,
        || async {
            match browser.driver.find(By::Css(&row)).await {
                Ok(item) => item.text().await.is_ok_and(|t| t.contains("0 free")),
                Err(_) => false,
            }
        },
    )
    .await?;
    browser.ensure_axe_clean("compliance view after").await?;
    Ok(())
}
