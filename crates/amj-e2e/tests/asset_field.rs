//! The Assets field, in headless Chromium, by keyboard. On Forge: a Jira admin scopes the field
//! to laptops in its context settings (the app's configuration view, whose query is run before
//! it is saved); an agent edits the field on AM-1, finds only laptops, picks one and saves;
//! Jira shows the key, the app links the laptop to the issue, and JQL finds the issue by the
//! field; a customer raises a request on the portal with their laptop in the field, and the
//! new issue has it, linked. On Connect there is no such field: the issue panel and its issue property stay the
//! way (issue 14, item 9). No axe violations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn scope_the_field_then_pick_a_laptop_on_an_issue() {
    amj_e2e::in_both_hosts("asset-field", async |browser, stack, site, host| {
        let mut plan = SeedPlan::demo();
        plan.link_every = 0;
        let (_, tenant) = stack.seeded_site(site, &plan).await?;
        host.put(stack, site)?;
        journey(browser, stack, site, host, &tenant).await
    })
    .await;
}

/// Opens `path` of the simulated Jira and enters the frame under `container`.
async fn enter_field_frame(
    browser: &Browser,
    stack: &Stack,
    path: &str,
    container: &str,
) -> anyhow::Result<()> {
    browser.driver.enter_default_frame().await?;
    browser
        .driver
        .goto(&format!("{}{path}", stack.sim.base_url()))
        .await?;
    let frame = browser
        .driver
        .query(By::Css(format!("#{container} iframe")))
        .wait(WAIT, Duration::from_millis(50))
        .first()
        .await?;
    frame.enter_frame().await?;
    Ok(())
}

async fn journey(
    browser: &Browser,
    stack: &Stack,
    site: &str,
    host: Host,
    tenant: &amj_store::Tenant,
) -> anyhow::Result<()> {
    let field = stack
        .sim
        .forge_fields()
        .first()
        .map(|f| f.id.clone())
        .ok_or_else(|| anyhow::anyhow!("the manifest's field type is deployed"))?;
    if host == Host::Connect {
        // Connect has no Assets field; the issue view shows none.
        browser.driver.enter_default_frame().await?;
        browser
            .driver
            .goto(&format!(
                "{}/sites/{site}/browse/AM-1",
                stack.sim.base_url()
            ))
            .await?;
        anyhow::ensure!(
            browser.driver.find(By::Id("sim-fields")).await.is_err(),
            "a Connect site shows no Assets field"
        );
        return Ok(());
    }

    // A Jira admin scopes the field to laptops; a query that does not run is refused first.
    let container = format!("sim-field-config-{field}");
    enter_field_frame(
        browser,
        stack,
        &format!("/sites/{site}/admin/apps?edit={field}"),
        &container,
    )
    .await?;
    browser
        .driver
        .query(By::Id("amj-field-config"))
        .wait(WAIT, Duration::from_millis(50))
        .first()
        .await?;
    browser
        .ensure_axe_clean("the field's context settings")
        .await?;
    browser.press_css("#amj-field-aql", Key::End, WAIT).await?;
    browser.type_keys("objectType = Nothing").await?;
    browser.type_keys(Key::Enter).await?;
    browser
        .wait_for_attribute("amj-field-aql", "aria-invalid", "true", WAIT)
        .await?;
    let said = browser.text_of("amj-field-aql-error").await;
    anyhow::ensure!(!said.is_empty(), "the bad query is named");
    let aql = browser.driver.find(By::Id("amj-field-aql")).await?;
    aql.clear().await?;
    browser.focus(&aql).await?;
    browser.type_keys("objectType = Laptop").await?;
    browser.type_keys(Key::Enter).await?;
    // Jira keeps it and shows the settings again.
    browser.driver.enter_default_frame().await?;
    amj_e2e::wait_until("the scope to be kept", WAIT, || async {
        browser.driver.find(By::Id(&container)).await.is_ok()
            && stack
                .sim
                .with_data(site, |d| d.field_configurations.get(&field).cloned())
                .flatten()
                .is_some_and(|c| c["aql"] == "objectType = Laptop" && c["schema"] == "IT")
    })
    .await?;

    // An agent edits the field on AM-1: only laptops are offered.
    let container = format!("sim-field-{field}");
    enter_field_frame(
        browser,
        stack,
        &format!("/sites/{site}/browse/AM-1?edit={field}"),
        &container,
    )
    .await?;
    browser
        .wait_for_attribute("amj-field-edit", "data-state", "ready", WAIT)
        .await?;
    browser
        .driver
        .query(By::Css("#amj-field-offers li"))
        .wait(WAIT, Duration::from_millis(50))
        .first()
        .await?;
    browser.ensure_axe_clean("the field's edit view").await?;
    let offers = browser.text_of("amj-field-offers").await;
    anyhow::ensure!(
        !offers.contains("Rack") && !offers.contains("Monitor"),
        "only laptops are offered: {offers}"
    );
    let first = browser.driver.find(By::Css("#amj-field-offers li")).await?;
    let key = first.attr("data-key").await?.unwrap_or_default();
    let offered = first.text().await?;
    let label = offered
        .split_once(key.as_str())
        .map(|(_, label)| label.trim().to_owned())
        .unwrap_or_default();
    anyhow::ensure!(key.starts_with("IT-"), "an asset is offered: {offers}");
    browser
        .press_css(
            &format!("#amj-field-offers li[data-key='{key}'] button"),
            Key::Enter,
            WAIT,
        )
        .await?;
    browser.wait_for_focus("amj-field-search", WAIT).await?;
    let chosen = browser.text_of("amj-field-chosen").await;
    anyhow::ensure!(chosen.contains(&key), "chosen: {chosen}");
    browser
        .press_css("#amj-field-save", Key::Enter, WAIT)
        .await?;

    // Jira keeps the value and shows it with the app's view: the laptop's status and name.
    browser.driver.enter_default_frame().await?;
    amj_e2e::wait_until("Jira to show the value", WAIT, || async {
        stack
            .sim
            .with_data(site, |d| {
                d.field_values
                    .get(&("10001".to_owned(), field.clone()))
                    .cloned()
            })
            .flatten()
            == Some(serde_json::json!([key]))
    })
    .await?;
    let view = browser
        .driver
        .query(By::Css(format!("#{container} iframe[data-field-view]")))
        .wait(WAIT, Duration::from_millis(50))
        .first()
        .await?;
    view.enter_frame().await?;
    browser
        .wait_for_attribute("amj-field-view", "data-state", "ready", WAIT)
        .await?;
    let shown = browser.text_of("amj-field-view").await;
    anyhow::ensure!(
        !label.is_empty() && shown.contains(&key) && shown.contains(&label),
        "the view names {key} as the offer did ({label:?}): {shown}"
    );
    browser.ensure_axe_clean("the field's view").await?;
    browser.driver.enter_default_frame().await?;
    amj_e2e::wait_until("the laptop to be linked to AM-1", WAIT, || async {
        stack
            .state
            .store
            .assets_of_issue(tenant.id, 10001)
            .await
            .is_ok_and(|assets| assets.iter().any(|a| a.key() == key))
    })
    .await?;
    let index = stack.sim.issue_property_index();
    let fields = stack.sim.forge_fields();
    let found = stack
        .sim
        .with_data(site, |d| {
            amj_jira_sim::data::search(d, &format!("Assets = \"{key}\""), &index, &fields)
                .map(|issues| issues.iter().map(|i| i.key.clone()).collect::<Vec<_>>())
        })
        .unwrap()
        .map_err(|e| anyhow::anyhow!(e))?;
    anyhow::ensure!(found == ["AM-1"], "JQL by the field: {found:?}");

    // A customer raises a request on the portal and names their laptop on the form.
    let container = format!("sim-portal-field-{field}");
    enter_field_frame(
        browser,
        stack,
        &format!("/sites/{site}/portal/AM"),
        &container,
    )
    .await?;
    browser
        .wait_for_attribute("amj-field-edit", "data-state", "ready", WAIT)
        .await?;
    let first = browser
        .driver
        .query(By::Css("#amj-field-offers li"))
        .wait(WAIT, Duration::from_millis(50))
        .first()
        .await?;
    let mine = first.attr("data-key").await?.unwrap_or_default();
    browser.ensure_axe_clean("the field on the portal").await?;
    browser
        .press_css(
            &format!("#amj-field-offers li[data-key='{mine}'] button"),
            Key::Enter,
            WAIT,
        )
        .await?;
    browser
        .press_css("#amj-field-save", Key::Enter, WAIT)
        .await?;
    browser.driver.enter_default_frame().await?;
    amj_e2e::wait_until("the form to hold the laptop", WAIT, || async {
        browser.text_of(&container).await.contains(&mine)
    })
    .await?;
    browser
        .press_css("#sim-portal-summary", Key::End, WAIT)
        .await?;
    browser.type_keys("My laptop will not start").await?;
    browser.type_keys(Key::Enter).await?;
    let created = amj_e2e::wait_for(WAIT, || async {
        let url = browser.driver.current_url().await.ok()?;
        let key = url.path().rsplit('/').next()?.to_owned();
        (url.path().contains("/browse/") && key != "AM-1").then_some(key)
    })
    .await
    .map_err(|_| anyhow::anyhow!("the portal request was never raised"))?;
    let id = stack
        .sim
        .with_data(site, |d| d.issue(&created).map(|i| i.id.clone()))
        .flatten()
        .ok_or_else(|| anyhow::anyhow!("{created} exists"))?;
    anyhow::ensure!(
        stack
            .sim
            .with_data(site, |d| d
                .field_values
                .get(&(id.clone(), field.clone()))
                .cloned())
            .flatten()
            == Some(serde_json::json!([mine])),
        "the new issue holds the customer's laptop"
    );
    let id: i64 = id.parse()?;
    amj_e2e::wait_until("the laptop to be linked to the new issue", WAIT, || async {
        stack
            .state
            .store
            .assets_of_issue(tenant.id, id)
            .await
            .is_ok_and(|assets| assets.iter().any(|a| a.key() == mine))
    })
    .await?;
    Ok(())
}
