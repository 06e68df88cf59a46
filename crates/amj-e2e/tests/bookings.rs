//! Bookings in headless Chromium, in both hosts, by keyboard alone: from "Bookings" see what is
//! free this week and the demo's bookings on the timeline, book a free laptop for oneself, pick
//! up the booking that is ready, and return it. No axe violations on the way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn book_pick_up_and_return() {
    amj_e2e::in_both_hosts("bookings", async |browser, stack, site, host| {
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
        .press_css("#amj-open-bookings", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-bookings", "data-state", "ready", WAIT)
        .await?;
    browser.wait_for_focus("amj-bookings-title", WAIT).await?;
    // The demo's loaner is ready for pickup now, and on the week's timeline.
    let agenda = browser.text_of("amj-bookings").await;
    anyhow::ensure!(
        agenda.contains("Trip to the Berlin office"),
        "bookings: {agenda}"
    );
    let timeline = browser.text_of("amj-bookings-timeline").await;
    anyhow::ensure!(timeline.contains('#'), "timeline: {timeline}");
    browser.ensure_axe_clean("bookings").await?;

    // Book the first free laptop for oneself, over the days shown.
    browser
        .press_css("[id^='amj-bookings-book-IT-']", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_focus("amj-bookings-book-person", WAIT)
        .await?;
    browser.ensure_axe_clean("booking form").await?;
    browser
        .press_css("#amj-bookings-book-submit", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_text("amj-bookings-status", "Booked: #", WAIT)
        .await?;

    // Pick up the loaner that is ready, then take it back.
    browser
        .press_css("[id$='-pickup']", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_text("amj-bookings-status", "picked up", WAIT)
        .await?;
    browser
        .press_css("[id$='-return']", Key::Enter, WAIT)
        .await?;
    amj_e2e::wait_until("the return form", WAIT, || async {
        browser
            .active_attribute("id")
            .await
            .is_ok_and(|id| id.ends_with("-back-condition"))
    })
    .await?;
    browser.ensure_axe_clean("return form").await?;
    browser
        .press_css("[id$='-back-submit']", Key::Enter, WAIT)
        .await?;
    browser
        .wait_for_text("amj-bookings-status", "returned", WAIT)
        .await?;
    browser.ensure_axe_clean("after the return").await?;
    Ok(())
}
