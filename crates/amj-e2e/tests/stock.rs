//! Stock in headless Chromium, in both hosts, by keyboard alone: from "Restock" open the item
//! below its minimum, see an issue of more than the shelf holds refused in words, receive
//! enough to pass the minimum, see it in the levels and the history, and the restock list
//! empty. No axe violations on the way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn restock_an_item_below_its_minimum() {
    amj_e2e::in_both_hosts("stock", async |browser, stack, site, host| {
        let mut plan = SeedPlan::demo();
        plan.link_every = 0;
        stack.seeded_site(site, &plan).await?;
        host.put(stack, site)?;
        journey(browser, stack, site, host).await
    })
    .await;
}

/// Replaces the focused field's text.
async fn retype(browser: &Browser, text: &str) -> anyhow::Result<()> {
    browser.type_keys(Key::End).await?;
    for _ in 0..12 {
        browser.type_keys(Key::Backspace).await?;
    }
    browser.type_keys(text).await
}

async fn journey(browser: &Browser, stack: &Stack, site: &str, host: Host) -> anyhow::Result<()> {
    let src = browser
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;

    // What to restock: the demo's paper is under its minimum.
    browser
        .press_css("#amj-open-restock", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-restock", "data-state", "ready", WAIT)
        .await?;
    browser.wait_for_focus("amj-restock-title", WAIT).await?;
    let table = browser.text_of("amj-restock-table").await;
    anyhow::ensure!(table.contains("A4 paper"), "restock: {table}");
    browser.ensure_axe_clean("restock list").await?;
    browser
        .press_css("#amj-restock-table [data-open]", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_text("amj-stock-summary", "on the shelves", WAIT)
        .await?;
    let levels = browser.text_of("amj-levels").await;
    anyhow::ensure!(
        levels.to_lowercase().contains("below minimum"),
        "levels: {levels}"
    );
    let schema = browser
        .text_of("amj-detail-title")
        .await
        .split_whitespace()
        .find_map(|w| w.split_once('-').map(|(s, _)| s.to_owned()))
        .unwrap_or_default();
    anyhow::ensure!(!schema.is_empty(), "the item's key");
    browser.ensure_axe_clean("stock item").await?;

    // Issuing more than the shelf holds is refused, in words.
    browser
        .press_css("#amj-move-stock", Key::Enter, WAIT)
        .await?;
    browser.wait_for_focus("amj-stock-verb-issue", WAIT).await?;
    browser.type_keys(Key::Tab).await?;
    browser.wait_for_focus("amj-stock-location", WAIT).await?;
    browser.type_keys(Key::Tab).await?;
    browser.wait_for_focus("amj-stock-quantity", WAIT).await?;
    retype(browser, "999").await?;
    browser.type_keys(Key::Tab).await?;
    browser.wait_for_focus("amj-stock-party-user", WAIT).await?;
    // Arrow keys move between radio buttons, and choose as they go.
    browser.type_keys(Key::Down).await?;
    browser
        .wait_for_focus("amj-stock-party-asset", WAIT)
        .await?;
    browser.type_keys(Key::Tab).await?;
    browser.wait_for_focus("amj-stock-asset", WAIT).await?;
    browser.type_keys(format!("{schema}-1")).await?;
    browser.type_keys(Key::Enter).await?;
    browser
        .wait_for_text("amj-stock-error", "999 asked", WAIT)
        .await?;
    browser.ensure_axe_clean("refused issue").await?;
    browser.type_keys(Key::Escape).await?;
    browser.wait_for_focus("amj-move-stock", WAIT).await?;

    // Receiving enough clears the minimum.
    browser
        .press_css("#amj-move-stock", Key::Enter, WAIT)
        .await?;
    browser.wait_for_focus("amj-stock-verb-issue", WAIT).await?;
    browser.type_keys(Key::Up).await?;
    browser
        .wait_for_focus("amj-stock-verb-receive", WAIT)
        .await?;
    browser.type_keys(Key::Tab).await?;
    browser.wait_for_focus("amj-stock-location", WAIT).await?;
    browser.type_keys(Key::Tab).await?;
    retype(browser, "40").await?;
    browser.type_keys(Key::Enter).await?;
    amj_e2e::wait_until("the level to pass its minimum", WAIT, || async {
        let levels = browser.text_of("amj-levels").await;
        !levels.is_empty() && !levels.to_lowercase().contains("below minimum")
    })
    .await?;
    browser.wait_for_focus("amj-move-stock", WAIT).await?;
    browser.ensure_axe_clean("restocked item").await?;
    browser.show_tab("history").await?;
    let history = browser.text_of("amj-detail-history").await;
    anyhow::ensure!(history.contains("Received 40 at"), "history: {history}");

    // Nothing is left to restock.
    browser.press_css("#amj-back", Key::Enter, WAIT).await?;
    browser
        .press_css("#amj-open-restock", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-restock", "data-state", "ready", WAIT)
        .await?;
    browser
        .wait_for_text("amj-restock-empty", "Nothing is below", WAIT)
        .await?;
    browser.ensure_axe_clean("empty restock list").await?;
    Ok(())
}
