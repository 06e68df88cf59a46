//! A person's day with the list, in headless Chromium and in both hosts, by keyboard: search,
//! save the search as a view, leave it, come back through the view picker, open an asset, and
//! edit one value in place while someone else saves the same asset: the conflict shows their
//! value, and "Overwrite with mine" keeps the person's.

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

async fn value_of(browser: &Browser, id: &str) -> String {
    match browser.driver.find(By::Id(id)).await {
        Ok(e) => e.prop("value").await.ok().flatten().unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[tokio::test]
async fn a_saved_view_leads_to_an_asset_edited_in_place_through_a_conflict() {
    amj_e2e::in_both_hosts("saved_views", async |browser, stack, site, host| {
        // Without the stock items: the list counts the demo's round 60.
        let plan = SeedPlan {
            stock: false,
            ..SeedPlan::demo()
        };
        let (_, tenant) = stack.seeded_site(site, &plan).await?;
        host.put(stack, site)?;
        journey(browser, stack, site, host, &tenant).await
    })
    .await;
}

async fn journey(
    browser: &Browser,
    stack: &Stack,
    site: &str,
    host: Host,
    tenant: &amj_store::Tenant,
) -> anyhow::Result<()> {
    let src = browser
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;

    // Search, then save the search as a view, all by keyboard.
    let aql = "objectType = Monitor";
    let input = browser.driver.find(By::Id("amj-aql")).await?;
    input.send_keys(aql).await?;
    input.send_keys(Key::Enter).await?;
    browser.wait_for_text("amj-rows", "Monitor", WAIT).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    let save = browser.driver.find(By::Id("amj-view-save")).await?;
    browser.focus(&save).await?;
    save.send_keys(Key::Enter).await?;
    let name = browser.driver.find(By::Id("amj-view-name")).await?;
    name.send_keys("Monitors").await?;
    name.send_keys(Key::Enter).await?;
    wait_until("the view saved and shown as current", || async {
        browser.driver.find(By::Id("amj-view-form")).await.is_err()
            && browser
                .driver
                .find(By::Css("#amj-view-picker option:checked"))
                .await
                .ok()
                .is_some()
    })
    .await?;
    let chosen = browser
        .driver
        .find(By::Css("#amj-view-picker option:checked"))
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        chosen == "Monitors",
        "the picker shows the saved view: {chosen:?}"
    );
    let violations = browser.axe_violations().await?;
    anyhow::ensure!(violations.is_empty(), "axe: {violations:#?}");

    // Leave the view for all assets, then come back through the picker.
    let all = browser
        .driver
        .find(By::Css(r#"button[data-type=""]"#))
        .await?;
    input.send_keys(Key::Control + "a").await?;
    input.send_keys(Key::Backspace).await?;
    browser.focus(&all).await?;
    all.send_keys(Key::Enter).await?;
    wait_until("the list of every asset", || async {
        browser.text_of("amj-count").await.ends_with("of 60")
    })
    .await?;
    let picker = browser.driver.find(By::Id("amj-view-picker")).await?;
    anyhow::ensure!(
        value_of(browser, "amj-view-picker").await.is_empty(),
        "no view matches every asset"
    );
    browser.focus(&picker).await?;
    // A select changes with the arrow keys, as a keyboard user picks an option.
    picker.send_keys(Key::Down).await?;
    wait_until("the view's query back in the box", || async {
        value_of(browser, "amj-aql").await == aql
    })
    .await?;
    wait_until("only monitors", || async {
        let cells = browser
            .driver
            .find_all(By::Css("#amj-rows tr td:nth-child(4)"))
            .await
            .unwrap_or_default();
        let mut all_monitors = !cells.is_empty();
        for cell in cells {
            all_monitors &= cell.text().await.unwrap_or_default() == "Monitor";
        }
        all_monitors
    })
    .await?;

    // Open the first monitor from the grid: its row is the tab stop, Enter opens it.
    let row = browser.driver.find(By::Css("#amj-rows tr")).await?;
    let key = row.attr("data-key").await?.unwrap_or_default();
    browser.focus(&row).await?;
    row.send_keys(Key::Enter).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
        .await?;
    let edit = wait_for_element(browser, r#"[data-edit-attribute="Model"]"#).await?;
    browser.focus(&edit).await?;
    edit.send_keys(Key::Enter).await?;
    let field = browser.driver.find(By::Id("amj-inline-field")).await?;

    // Someone else saves the same asset meanwhile.
    let status = stack
        .edit_elsewhere(tenant, &key, serde_json::json!({"Model": "Elsewhere 9000"}))
        .await?;
    anyhow::ensure!(status == 200, "the other save answered {status}");
    field.send_keys(Key::Control + "a").await?;
    field.send_keys("Mine 1000").await?;
    field.send_keys(Key::Enter).await?;
    browser
        .wait_for_text("amj-inline-conflict", "Elsewhere 9000", WAIT)
        .await?;
    let violations = browser.axe_violations().await?;
    anyhow::ensure!(
        violations.is_empty(),
        "axe on the conflict: {violations:#?}"
    );
    let overwrite = browser.driver.find(By::Id("amj-inline-overwrite")).await?;
    browser.focus(&overwrite).await?;
    overwrite.send_keys(Key::Enter).await?;
    wait_until("the value saved in place", || async {
        browser.driver.find(By::Id("amj-inline")).await.is_err()
            && browser
                .driver
                .find(By::Css(r#"[data-value="Model"]"#))
                .await
                .ok()
                .is_some()
    })
    .await?;
    let shown = browser
        .driver
        .find(By::Css(r#"[data-value="Model"]"#))
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        shown == "Mine 1000",
        "the detail shows the person's value: {shown:?}"
    );
    let focused: String = browser
        .driver
        .execute(
            "return document.activeElement.getAttribute('data-edit-attribute') || '';",
            vec![],
        )
        .await?
        .convert()?;
    anyhow::ensure!(
        focused == "Model",
        "focus is back on the attribute: {focused:?}"
    );
    browser.show_tab("history").await?;
    browser
        .wait_for_text("amj-detail-history", "Mine 1000", WAIT)
        .await?;
    Ok(())
}

async fn wait_for_element(browser: &Browser, css: &str) -> anyhow::Result<WebElement> {
    amj_e2e::wait_for(WAIT, || async {
        browser.driver.find(By::Css(css)).await.ok()
    })
    .await
    .map_err(|_| anyhow::anyhow!("no {css} within {WAIT:?}"))
}
