//! Regenerates docs/screenshots: every page in light and dark. Not part of the normal run (the
//! images are documentation, not assertions about pixels); run it with
//! `cargo test -p amj-e2e --test screenshots -- --ignored` after changing a page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::path::PathBuf;
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(10);

async fn shoot(browser: &Browser, name: &str) -> anyhow::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir)?;
    for mode in ["light", "dark"] {
        // The simulated Jira and the theme it hands the app's frame both follow the scheme.
        browser.set_color_scheme(mode).await?;
        let path = dir.join(format!("{name}-{mode}.png"));
        browser.driver.screenshot(&path).await?;
        let size = std::fs::metadata(&path)?.len();
        anyhow::ensure!(
            size > 5_000,
            "{} is suspiciously small ({size} bytes)",
            path.display()
        );
    }
    Ok(())
}

#[tokio::test]
#[ignore = "regenerates docs/screenshots; run with --ignored"]
async fn screenshots_of_every_page_in_light_and_dark() {
    let browser = Browser::start()
        .await
        .unwrap()
        .expect("screenshots need chromium and chromedriver");
    let stack = Stack::start().await.unwrap();
    let result = async {
        for (site, host) in Host::SITES {
            let prefix = match host {
                Host::Connect => "connect",
                Host::Forge => "forge",
            };
            let mut plan = SeedPlan::demo();
            plan.issues = vec![amj_store::links::IssueRef {
                id: 10001,
                key: "AM-1".into(),
                summary: "Laptop for the new designer".into(),
            }];
            stack.seeded_site(site, &plan).await?;
            host.put(&stack, site)?;
            pages(&browser, &stack, site, prefix).await?;
        }

        stack.state.watch.tick().await;
        browser.driver.enter_default_frame().await?;
        browser
            .driver
            .goto(&format!("{}/status", stack.state.config.base_url_str()))
            .await?;
        shoot(&browser, "status-page").await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("screenshots").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// Every page of one site, as Jira shows it: the simulated Jira's own page with the app's frame
/// in it. WebDriver screenshots the whole window, chrome included, whichever frame it is in.
async fn pages(browser: &Browser, stack: &Stack, site: &str, prefix: &str) -> anyhow::Result<()> {
    browser
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    // A query in the box shows its highlighting.
    let input = browser.driver.find(By::Id("amj-aql")).await?;
    input
        .send_keys(
            r#"objectType = Laptop AND "Located in".Country IN (Germany, Canada) ORDER BY label"#,
        )
        .await?;
    input.send_keys(Key::Enter).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    shoot(browser, &format!("{prefix}-assets-list")).await?;
    input.send_keys(Key::Control + "a").await?;
    input.send_keys(Key::Backspace).await?;
    input.send_keys(Key::Enter).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;

    browser
        .driver
        .find(By::Id("amj-open-dashboard"))
        .await?
        .click()
        .await?;
    browser.wait_for_dashboard(WAIT).await?;
    shoot(browser, &format!("{prefix}-dashboard")).await?;
    browser
        .driver
        .find(By::Css(r#"button[data-type=""]"#))
        .await?
        .click()
        .await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;

    // A laptop with an owner, so the detail shows a person as Jira does (name and avatar).
    let input = browser.driver.find(By::Id("amj-aql")).await?;
    input
        .send_keys("objectType = Laptop AND Owner IS NOT EMPTY")
        .await?;
    input.send_keys(Key::Enter).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    browser
        .driver
        .find(By::Css("#amj-rows [data-open]"))
        .await?
        .click()
        .await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
        .await?;
    amj_e2e::wait_for(WAIT, || async {
        let avatar = browser
            .driver
            .find(By::Css("[data-value='Owner'] .amj-avatar"))
            .await
            .ok()?;
        let loaded = browser
            .driver
            .execute(
                "return arguments[0].complete && arguments[0].naturalWidth > 0;",
                vec![avatar.to_json().ok()?],
            )
            .await
            .ok()?
            .convert::<bool>()
            .ok()?;
        loaded.then_some(())
    })
    .await
    .map_err(|_| anyhow::anyhow!("no owner with an avatar"))?;
    shoot(browser, &format!("{prefix}-asset-detail")).await?;

    browser
        .driver
        .find(By::Id("amj-edit"))
        .await?
        .click()
        .await?;
    amj_e2e::wait_for(WAIT, || async {
        browser.driver.find(By::Id("amj-field-0")).await.ok()
    })
    .await
    .map_err(|_| anyhow::anyhow!("no edit form"))?;
    shoot(browser, &format!("{prefix}-asset-edit")).await?;

    browser
        .enter(stack, &format!("/sites/{site}/browse/AM-1"))
        .await?;
    browser
        .wait_for_attribute("amj-glance", "data-state", "ready", WAIT)
        .await?;
    shoot(browser, &format!("{prefix}-issue-glance")).await?;

    browser
        .enter(stack, &format!("/sites/{site}/admin/apps"))
        .await?;
    browser
        .wait_for_attribute("amj-admin", "data-state", "ready", WAIT)
        .await?;
    shoot(browser, &format!("{prefix}-settings")).await?;

    // The dashboard gadget: its settings as a new gadget shows them, then its chart.
    browser
        .enter(stack, &format!("/sites/{site}/dashboard"))
        .await?;
    browser
        .wait_for_attribute("amj-gadget", "data-state", "edit", WAIT)
        .await?;
    shoot(browser, &format!("{prefix}-gadget-settings")).await?;
    browser
        .driver
        .find(By::Id("amj-gadget-chart"))
        .await?
        .send_keys("Assets by status")
        .await?;
    browser
        .driver
        .find(By::Css("#amj-gadget-form button[type=submit]"))
        .await?
        .click()
        .await?;
    amj_e2e::wait_until("the gadget's chart", WAIT, || async {
        browser.enter_frame().await.is_ok()
            && browser
                .driver
                .find(By::Css("#amj-chart-status[data-chart='drawn']"))
                .await
                .is_ok()
    })
    .await?;
    shoot(browser, &format!("{prefix}-gadget")).await?;
    Ok(())
}

/// The IT asset workflows for the README: a lent laptop, "Overdue", a licence over its
/// entitlement, the compliance view, stock, and a request approved in Jira (the issue's side
/// and the queue), in Forge (light and dark). Kept apart from the pages
/// above so that regenerating them leaves the other images alone:
/// `cargo test -p amj-e2e --test screenshots workflows -- --ignored`.
#[tokio::test]
#[ignore = "regenerates docs/screenshots; run with --ignored"]
async fn screenshots_of_the_it_asset_workflows() {
    let browser = Browser::start()
        .await
        .unwrap()
        .expect("screenshots need chromium and chromedriver");
    let stack = Stack::start().await.unwrap();
    let result = async {
        let (site, host) = Host::SITES
            .into_iter()
            .find(|(_, host)| *host == Host::Forge)
            .expect("a Forge site");
        let mut plan = SeedPlan::demo();
        plan.checkouts_every = 3;
        stack.seeded_site(site, &plan).await?;
        host.put(&stack, site)?;
        workflows(&browser, &stack, site).await
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("screenshots-workflows").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

async fn workflows(browser: &Browser, stack: &Stack, site: &str) -> anyhow::Result<()> {
    browser
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    let open = |id: &'static str| async move {
        browser.driver.find(By::Id(id)).await?.click().await?;
        anyhow::Ok(())
    };

    open("amj-open-overdue").await?;
    browser
        .wait_for_attribute("amj-custody-list", "data-state", "ready", WAIT)
        .await?;
    shoot(browser, "forge-overdue").await?;

    open("amj-open-licences").await?;
    browser
        .wait_for_attribute("amj-licences", "data-state", "ready", WAIT)
        .await?;
    amj_e2e::wait_for(WAIT, || async {
        let chart = browser
            .driver
            .find(By::Id("amj-compliance-chart"))
            .await
            .ok()?;
        (chart.attr("data-chart").await.ok()??.as_str() == "drawn").then_some(())
    })
    .await
    .map_err(|_| anyhow::anyhow!("the compliance chart was not drawn"))?;
    shoot(browser, "forge-licences").await?;

    // A licence over its entitlement (the demo makes every fifth one so).
    let mut over = None;
    for row in browser
        .driver
        .find_all(By::Css("#amj-compliance-table [data-product]"))
        .await?
    {
        if row.text().await?.to_lowercase().contains("over by") {
            over = Some(row);
            break;
        }
    }
    let over = over.ok_or_else(|| anyhow::anyhow!("no product over its entitlement"))?;
    over.find(By::Css("button")).await?.click().await?;
    let licence = amj_e2e::wait_for(WAIT, || async {
        browser
            .driver
            .find(By::Css("#amj-compliance-table [data-licence] button"))
            .await
            .ok()
    })
    .await
    .map_err(|_| anyhow::anyhow!("no licence listed"))?;
    licence.click().await?;
    browser
        .wait_for_text("amj-licence-summary", "seats assigned", WAIT)
        .await?;
    shoot(browser, "forge-licence").await?;

    // Stock: what to restock, and an accessory with some out (the demo lends chargers).
    browser
        .driver
        .find(By::Id("amj-back"))
        .await?
        .click()
        .await?;
    open("amj-open-restock").await?;
    browser
        .wait_for_attribute("amj-restock", "data-state", "ready", WAIT)
        .await?;
    shoot(browser, "forge-restock").await?;
    browser
        .driver
        .find(By::Css("#amj-restock-table [data-open]"))
        .await?
        .click()
        .await?;
    browser
        .wait_for_text("amj-stock-summary", "on the shelves", WAIT)
        .await?;
    shoot(browser, "forge-stock").await?;

    // Bookings: what is free this week, the demo's bookings on the timeline and the agenda.
    browser
        .driver
        .find(By::Id("amj-back"))
        .await?
        .click()
        .await?;
    open("amj-open-bookings").await?;
    browser
        .wait_for_attribute("amj-bookings", "data-state", "ready", WAIT)
        .await?;
    browser
        .wait_for_text("amj-bookings", "Trip to the Berlin office", WAIT)
        .await?;
    shoot(browser, "forge-bookings").await?;

    // A request for a laptop on AM-1, approved by the issue's workflow: the issue's side, and
    // the admins' queue.
    browser
        .enter(stack, &format!("/sites/{site}/browse/AM-1"))
        .await?;
    browser
        .wait_for_attribute("amj-requests", "data-state", "ready", WAIT)
        .await?;
    open("amj-request-open").await?;
    let what = amj_e2e::wait_for(WAIT, || async {
        browser.driver.find(By::Id("amj-request-what")).await.ok()
    })
    .await
    .map_err(|_| anyhow::anyhow!("the request form never opened"))?;
    thirtyfour::components::SelectElement::new(&what)
        .await?
        .select_by_visible_text("Laptop")
        .await?;
    browser
        .driver
        .find(By::Id("amj-request-note"))
        .await?
        .send_keys("For the new designer, from Monday")
        .await?;
    open("amj-request-submit").await?;
    browser
        .wait_for_text("amj-requests-status", "Requested a Laptop", WAIT)
        .await?;
    stack.sim.transition_issue(site, "AM-1", "Approved").await?;
    amj_e2e::wait_until("the request to be approved", WAIT, || async {
        if browser
            .enter(stack, &format!("/sites/{site}/browse/AM-1"))
            .await
            .is_err()
        {
            return false;
        }
        browser
            .wait_for_attribute("amj-requests", "data-state", "ready", WAIT)
            .await
            .is_ok()
            && browser
                .driver
                .find(By::Css("#amj-request-list li[data-state='approved']"))
                .await
                .is_ok()
    })
    .await?;
    shoot(browser, "forge-request").await?;
    browser
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    open("amj-open-requests").await?;
    browser
        .wait_for_attribute("amj-request-queue", "data-state", "ready", WAIT)
        .await?;
    shoot(browser, "forge-requests").await?;

    // The Assets field on AM-2, scoped to laptops, while an agent picks one.
    let field = stack
        .sim
        .forge_fields()
        .first()
        .map(|f| f.id.clone())
        .ok_or_else(|| anyhow::anyhow!("the manifest's field type is deployed"))?;
    stack.sim.set_field_configuration(
        site,
        &field,
        &serde_json::json!({"configuration": {"schema": "IT", "aql": "objectType = Laptop"}}),
    )?;
    browser.driver.enter_default_frame().await?;
    browser
        .driver
        .goto(&format!(
            "{}/sites/{site}/browse/AM-2?edit={field}",
            stack.sim.base_url()
        ))
        .await?;
    let frame = amj_e2e::wait_for(WAIT, || async {
        browser
            .driver
            .find(By::Css(format!("#sim-field-{field} iframe")))
            .await
            .ok()
    })
    .await
    .map_err(|_| anyhow::anyhow!("the field's edit view never showed"))?;
    frame.enter_frame().await?;
    browser
        .wait_for_attribute("amj-field-edit", "data-state", "ready", WAIT)
        .await?;
    let add = amj_e2e::wait_for(WAIT, || async {
        browser
            .driver
            .find(By::Css("#amj-field-offers li button"))
            .await
            .ok()
    })
    .await
    .map_err(|_| anyhow::anyhow!("no laptop was offered"))?;
    add.click().await?;
    browser.driver.enter_default_frame().await?;
    shoot(browser, "forge-asset-field").await?;
    Ok(())
}
