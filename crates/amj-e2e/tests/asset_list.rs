//! The asset list in headless Chromium, in both hosts (the same bundle under Connect and under
//! Forge): AQL errors shown inline while typing and on search, suggestions chosen with the
//! keyboard, the type tree, sorting, paging by keyboard alone, the detail, bulk changes, the
//! form through a conflict, and the query kept in Jira's URL across a reload.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(10);

async fn wait_until<F, Fut>(what: &str, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    amj_e2e::wait_for(WAIT, || {
        let holds = check();
        async move { holds.await.then_some(()) }
    })
    .await
    .map_err(|_| anyhow::anyhow!("timed out waiting for {what}"))
}

async fn row_count(browser: &Browser) -> usize {
    browser
        .driver
        .find_all(By::Css("#amj-rows tr"))
        .await
        .map(|rows| rows.len())
        .unwrap_or(0)
}

async fn focused_id(browser: &Browser) -> String {
    browser
        .driver
        .execute("return document.activeElement && (document.activeElement.id || document.activeElement.textContent);", vec![])
        .await
        .ok()
        .and_then(|r| r.json().as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The texts of the list's column `n` (1 is the selection box).
async fn column(browser: &Browser, n: usize) -> Vec<String> {
    let mut texts = Vec::new();
    let cells = browser
        .driver
        .find_all(By::Css(format!("#amj-rows tr td:nth-child({n})")))
        .await
        .unwrap_or_default();
    for cell in cells {
        texts.push(cell.text().await.unwrap_or_default());
    }
    texts
}

/// Activates a button, link or checkbox from the keyboard: focus it, press Space (which they
/// all take), so the list's journeys need no mouse.
async fn press(browser: &Browser, element: WebElement) -> anyhow::Result<()> {
    browser.focus(&element).await?;
    element.send_keys(Key::Space).await?;
    Ok(())
}

/// Empties a text box as a person would (WebDriver's clear() sends no `input` event).
async fn clear(input: &WebElement) -> anyhow::Result<()> {
    input.send_keys(Key::Control + "a").await?;
    input.send_keys(Key::Backspace).await?;
    Ok(())
}

/// A site on `host` with the demo's 60 assets (without its stock items, so that the counts are
/// round), AM-1 linked to some; answers its tenant.
async fn demo_site(stack: &Stack, name: &str, host: Host) -> anyhow::Result<amj_store::Tenant> {
    let mut plan = SeedPlan::demo();
    plan.stock = false;
    plan.issues = vec![amj_store::links::IssueRef {
        id: 10001,
        key: "AM-1".into(),
        summary: "Laptop for the new designer".into(),
    }];
    let (_, tenant) = stack.seeded_site(name, &plan).await?;
    host.put(stack, name)?;
    Ok(tenant)
}

/// Opens the site's Assets page in the simulated Jira and waits for its rows.
async fn open_list(browser: &Browser, stack: &Stack, site: &str, host: Host) -> anyhow::Result<()> {
    let src = browser
        .enter(stack, &format!("/sites/{site}/apps/assets"))
        .await?;
    anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    Ok(())
}

#[tokio::test]
async fn search_with_aql_shows_errors_inline_and_pages_by_keyboard() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        for (site, host) in Host::SITES {
            let tenant = demo_site(&stack, site, host).await?;
            search_journey(&browser, &stack, site, host, &tenant)
                .await
                .map_err(|e| e.context(format!("{host:?}")))?;
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("asset_list").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

async fn search_journey(
    browser: &Browser,
    stack: &Stack,
    site: &str,
    host: Host,
    tenant: &amj_store::Tenant,
) -> anyhow::Result<()> {
    open_list(browser, stack, site, host).await?;
    assert_eq!(row_count(browser).await, 50, "the first page");
    let violations = browser.axe_violations().await?;
    assert!(violations.is_empty(), "axe: {violations:#?}");
    assert!(browser.text_of("amj-count").await.contains("1–50 of 60"));

    // A mistake is shown next to the box while typing, with a suggestion.
    let input = browser.driver.find(By::Id("amj-aql")).await?;
    input.send_keys("objectType = Laptp").await?;
    wait_until("the inline error", || async {
        browser.text_of("amj-aql-error").await.contains("Laptop")
    })
    .await?;
    assert_eq!(input.attr("aria-invalid").await?.as_deref(), Some("true"));
    // Searching anyway keeps the rows and explains the error, never a blank page.
    input.send_keys(Key::Enter).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "invalid", WAIT)
        .await?;
    assert_eq!(row_count(browser).await, 50);

    // Fix it with a suggestion, chosen by keyboard: the error goes, Laptops are listed.
    clear(&input).await?;
    input.send_keys("objectType = Lap").await?;
    wait_until("suggestions", || async {
        browser.text_of("amj-completions").await.contains("Laptop")
    })
    .await?;
    input.send_keys(Key::Down).await?;
    input.send_keys(Key::Enter).await?;
    let value = input.prop("value").await?.unwrap_or_default();
    assert!(value.starts_with("objectType = Laptop"), "{value:?}");
    input.send_keys(Key::Enter).await?;
    wait_until("only laptops", || async {
        let types = column(browser, 4).await;
        !types.is_empty() && types.iter().all(|t| t == "Laptop")
    })
    .await?;
    assert!(browser.text_of("amj-aql-error").await.is_empty());
    let violations = browser.axe_violations().await?;
    assert!(
        violations.is_empty(),
        "axe, after a search: {violations:#?}"
    );
    // The check can fail: an image without alternative text is a critical violation. Only
    // where the check runs (a machine without Node.js skips it, and so this).
    if browser.axe_available() {
        browser
            .driver
            .execute(
                "var i = document.createElement('img'); i.src = 'data:,'; i.id = 'no-alt'; document.body.appendChild(i);",
                Vec::new(),
            )
            .await?;
        let violations = browser.axe_violations().await?;
        assert!(
            violations.iter().any(|v| v.contains("image-alt")),
            "{violations:?}"
        );
        browser
            .driver
            .execute("document.getElementById('no-alt').remove();", Vec::new())
            .await?;
    }

    // The type tree narrows the list the same way, and says where the person is.
    clear(&input).await?;
    browser
        .press_css("#amj-type-tree [data-type='Monitor']", Key::Space, WAIT)
        .await?;
    wait_until("only monitors", || async {
        let types = column(browser, 4).await;
        !types.is_empty() && types.iter().all(|t| t == "Monitor")
    })
    .await?;
    assert!(browser.text_of("amj-assets").await.contains("Monitor"));
    browser
        .press_css("#amj-type-tree [data-type='']", Key::Space, WAIT)
        .await?;
    wait_until("all assets again", || async {
        browser.text_of("amj-count").await.contains("of 60")
    })
    .await?;

    // The detail view: attributes, references, linked issues and history.
    let linked = stack.state.store.assets_of_issue(tenant.id, 10001).await?;
    let first_linked = linked.first().expect("the seed links assets");
    let key = format!("{}-{}", first_linked.schema_key, first_linked.number);
    let aql = browser.driver.find(By::Id("amj-aql")).await?;
    aql.send_keys(format!("Key = {key}")).await?;
    aql.send_keys(Key::Enter).await?;
    wait_until("only the asset searched for", || async {
        browser.text_of("amj-count").await.trim().ends_with(" of 1")
    })
    .await?;
    browser
        .press_css(&format!("#amj-rows [data-open='{key}']"), Key::Space, WAIT)
        .await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
        .await?;
    browser
        .wait_for_text("amj-detail-title", &key, WAIT)
        .await?;
    assert!(!browser.text_of("amj-detail-attributes").await.is_empty());
    browser.show_tab("history").await?;
    assert!(
        browser
            .text_of("amj-detail-history")
            .await
            .contains("Created")
    );
    browser.show_tab("references").await?;
    // The graph draws what refers to this place (two hops are unit-tested in graph.test.ts).
    wait_until("the reference graph", || async {
        browser
            .driver
            .find_all(By::Css("#amj-reference-graph a.amj-hop-1"))
            .await
            .map(|nodes| !nodes.is_empty())
            .unwrap_or(false)
    })
    .await?;
    let violations = browser.axe_violations().await?;
    assert!(violations.is_empty(), "axe, references: {violations:#?}");
    assert!(
        browser
            .text_of("amj-detail-references")
            .await
            .contains("Refers to")
    );
    browser.show_tab("issues").await?;
    assert!(
        browser.text_of("amj-detail-issues").await.contains("AM-1"),
        "the seed links this laptop"
    );
    wait_until("focus to move to the asset", || async {
        focused_id(browser).await == "amj-detail-title"
    })
    .await?;
    let violations = browser.axe_violations().await?;
    assert!(violations.is_empty(), "axe, detail view: {violations:#?}");
    press(browser, browser.driver.find(By::Id("amj-back")).await?).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    // Focus moves in an effect after the list is painted: wait for it, bounded.
    wait_until("focus to return to the asset's row", || async {
        focused_id(browser).await == key
    })
    .await?;
    let aql = browser.driver.find(By::Id("amj-aql")).await?;
    clear(&aql).await?;
    aql.send_keys(Key::Enter).await?;
    wait_until("all assets again", || async {
        browser.text_of("amj-count").await.contains("1–50 of 60")
    })
    .await?;

    // People are shown as Jira shows them: an owner by display name, with the avatar Jira
    // serves (loaded, so the frame's CSP allows it), never by accountId.
    let aql = browser.driver.find(By::Id("amj-aql")).await?;
    aql.send_keys("Owner IS NOT EMPTY").await?;
    aql.send_keys(Key::Enter).await?;
    wait_until("the assets with an owner", || async {
        let count = browser.text_of("amj-count").await;
        !count.is_empty() && !count.contains("of 60")
    })
    .await?;
    browser
        .press_css("#amj-rows [data-open]", Key::Space, WAIT)
        .await?;
    let names: Vec<String> = stack
        .sim
        .site_users(site)?
        .into_iter()
        .map(|u| u.display_name)
        .collect();
    wait_until("the owner's avatar to load", || async {
        let loaded = browser
            .driver
            .execute(
                "const img = document.querySelector(\"[data-value='Owner'] .amj-avatar\"); \
                 return !!img && img.complete && img.naturalWidth > 0;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.convert::<bool>().ok());
        loaded == Some(true)
    })
    .await?;
    let owner = browser
        .driver
        .find(By::Css("[data-value='Owner']"))
        .await?
        .text()
        .await?;
    assert!(names.contains(&owner), "{owner:?} is one of {names:?}");
    let violations = browser.axe_violations().await?;
    assert!(violations.is_empty(), "axe, a person: {violations:#?}");
    press(browser, browser.driver.find(By::Id("amj-back")).await?).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
        .await?;
    let aql = browser.driver.find(By::Id("amj-aql")).await?;
    clear(&aql).await?;
    aql.send_keys(Key::Enter).await?;
    wait_until("all assets again", || async {
        browser.text_of("amj-count").await.contains("1–50 of 60")
    })
    .await?;

    // Bulk status change: select two assets, pick a status, apply; the list shows it.
    let boxes = browser
        .driver
        .find_all(By::Css("#amj-rows input[type=checkbox]"))
        .await?;
    press(browser, boxes[0].clone()).await?;
    press(browser, boxes[1].clone()).await?;
    assert_eq!(
        browser.text_of("amj-selected-count").await,
        "2 assets selected"
    );
    let status = amj_e2e::wait_for(WAIT, || async {
        let select = browser.driver.find(By::Id("amj-bulk-status")).await.ok()?;
        let options = select.find_all(By::Tag("option")).await.ok()?;
        (options.len() > 1).then_some(select)
    })
    .await
    .map_err(|_| anyhow::anyhow!("no statuses to choose"))?;
    let violations = browser.axe_violations().await?;
    assert!(
        violations.is_empty(),
        "axe, with a selection: {violations:#?}"
    );
    // Choose by keyboard, as a user of the select would.
    status.send_keys("In repair").await?;
    press(
        browser,
        browser.driver.find(By::Id("amj-bulk-apply")).await?,
    )
    .await?;
    wait_until("the bulk change", || async {
        browser
            .text_of("amj-bulk-result")
            .await
            .contains("Changed the status of 2 assets to In repair.")
    })
    .await?;
    wait_until("the rows to show the new status", || async {
        let cells = browser
            .driver
            .find_all(By::Css("#amj-rows .amj-lozenge"))
            .await
            .unwrap_or_default();
        let mut repaired = 0;
        for cell in cells.iter().take(2) {
            // Lozenges are set in capitals, and WebDriver reads rendered text.
            let text = cell.text().await.unwrap_or_default();
            repaired += usize::from(text.eq_ignore_ascii_case("In repair"));
        }
        repaired == 2
    })
    .await?;
    assert!(
        browser.driver.find(By::Id("amj-bulk")).await.is_err(),
        "the selection is cleared"
    );

    // Select all means every match: the 60 assets, not the 50 on the page, in one change.
    press(
        browser,
        browser.driver.find(By::Id("amj-select-all")).await?,
    )
    .await?;
    press(
        browser,
        browser.driver.find(By::Id("amj-select-matches")).await?,
    )
    .await?;
    browser
        .wait_for_text("amj-selected-count", "All 60 assets that match", WAIT)
        .await?;
    let status = browser.driver.find(By::Id("amj-bulk-status")).await?;
    status.send_keys("In use").await?;
    press(
        browser,
        browser.driver.find(By::Id("amj-bulk-apply")).await?,
    )
    .await?;
    browser
        .wait_for_text(
            "amj-bulk-result",
            "Changed the status of 60 assets to In use.",
            WAIT,
        )
        .await?;
    let aql = browser.driver.find(By::Id("amj-aql")).await?;
    aql.send_keys("Status = \"In use\"").await?;
    aql.send_keys(Key::Enter).await?;
    wait_until("every match changed", || async {
        browser.text_of("amj-count").await.contains("of 60")
    })
    .await?;
    clear(&aql).await?;
    aql.send_keys(Key::Enter).await?;
    wait_until("all assets again", || async {
        browser.text_of("amj-count").await.contains("1–50 of 60")
    })
    .await?;

    // Keyboard only, from the search box: Tab to the Key header, sort, move through the rows,
    // and page forward.
    browser
        .driver
        .execute("document.getElementById('amj-aql').focus();", Vec::new())
        .await?;
    let mut reached_sort = false;
    for _ in 0..20 {
        browser
            .driver
            .action_chain()
            .send_keys(Key::Tab)
            .perform()
            .await?;
        if focused_id(browser).await == "Key-sort" {
            reached_sort = true;
            break;
        }
    }
    assert!(reached_sort, "Tab reaches the Key column's sort button");
    browser
        .driver
        .action_chain()
        .send_keys(Key::Enter)
        .perform()
        .await?;
    wait_until("the Key column sorted", || async {
        browser
            .driver
            .find(By::Css("th[aria-sort=ascending]"))
            .await
            .is_ok()
    })
    .await?;
    // The rows are one tab stop: the arrows move through them and Space selects.
    let mut reached_rows = false;
    let mut passed = Vec::new();
    for _ in 0..20 {
        browser
            .driver
            .action_chain()
            .send_keys(Key::Tab)
            .perform()
            .await?;
        let tag = browser
            .driver
            .execute("return document.activeElement.tagName;", vec![])
            .await?;
        if tag.json().as_str() == Some("TR") {
            reached_rows = true;
            break;
        }
        passed.push(focused_id(browser).await);
    }
    assert!(reached_rows, "Tab reaches the rows, not only {passed:?}");
    let first = focused_id(browser).await;
    for key in [Key::Down, Key::Down, Key::Up] {
        browser
            .driver
            .action_chain()
            .send_keys(key)
            .perform()
            .await?;
    }
    let second = focused_id(browser).await;
    assert_ne!(first, second, "the arrows move between rows");
    browser
        .driver
        .action_chain()
        .send_keys(" ")
        .perform()
        .await?;
    browser
        .wait_for_text("amj-selected-count", "1 asset selected", WAIT)
        .await?;
    browser
        .driver
        .action_chain()
        .send_keys(" ")
        .perform()
        .await?;
    wait_until("the selection cleared", || async {
        browser.driver.find(By::Id("amj-bulk")).await.is_err()
    })
    .await?;
    let mut reached_next = false;
    for _ in 0..150 {
        browser
            .driver
            .action_chain()
            .send_keys(Key::Tab)
            .perform()
            .await?;
        if focused_id(browser).await == "amj-next" {
            reached_next = true;
            break;
        }
    }
    assert!(reached_next, "Tab reaches Next");
    browser
        .driver
        .action_chain()
        .send_keys(Key::Enter)
        .perform()
        .await?;
    wait_until("the second page", || async {
        browser.text_of("amj-count").await.contains("51–60 of 60")
    })
    .await?;
    assert_eq!(row_count(browser).await, 10);
    wait_until("focus on Previous", || async {
        focused_id(browser).await == "amj-prev"
    })
    .await
    .map_err(|e| e.context("on the last page, focus moves from the disabled Next to Previous"))?;
    let focus_visible = browser
        .driver
        .execute(
            "return getComputedStyle(document.activeElement).outlineStyle;",
            vec![],
        )
        .await?;
    assert_ne!(
        focus_visible.json().as_str(),
        Some("none"),
        "focus is visible"
    );
    Ok(())
}

/// The input of the form field labelled `name`.
async fn field(browser: &Browser, name: &str) -> anyhow::Result<WebElement> {
    let id = browser
        .driver
        .execute(
            "var labels = document.querySelectorAll('#amj-asset-form label'); \
             for (var i = 0; i < labels.length; i++) { if (labels[i].textContent.replace(' (required)', '') === arguments[0]) { return labels[i].htmlFor; } } \
             return null;",
            vec![serde_json::json!(name)],
        )
        .await?;
    let id = id
        .json()
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no field {name:?}"))?
        .to_owned();
    Ok(browser.driver.find(By::Id(id)).await?)
}

#[tokio::test]
async fn create_with_inline_errors_then_edit_through_a_conflict() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        for (site, host) in Host::SITES {
            let tenant = demo_site(&stack, site, host).await?;
            form_journey(&browser, &stack, site, host, &tenant)
                .await
                .map_err(|e| e.context(format!("{host:?}")))?;
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("asset_form").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

async fn form_journey(
    browser: &Browser,
    stack: &Stack,
    site: &str,
    host: Host,
    tenant: &amj_store::Tenant,
) -> anyhow::Result<()> {
    open_list(browser, stack, site, host).await?;

    // Create: the form follows the type; the server's errors appear next to their fields.
    press(browser, browser.driver.find(By::Id("amj-new")).await?).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "form", WAIT)
        .await?;
    let type_select = amj_e2e::wait_for(WAIT, || async {
        browser.driver.find(By::Id("amj-form-type")).await.ok()
    })
    .await
    .map_err(|_| anyhow::anyhow!("no type chooser"))?;
    // A select takes typed letters as its choice, as a keyboard user picks an option.
    browser.focus(&type_select).await?;
    type_select.send_keys("Laptop").await?;
    wait_until("the Laptop fields", || async {
        field(browser, "RAM (GB)").await.is_ok()
    })
    .await?;
    field(browser, "Serial number")
        .await?
        .send_keys("bad serial")
        .await?;
    let save = "#amj-asset-form button[type=submit]";
    press(browser, browser.driver.find(By::Css(save)).await?).await?;
    wait_until("inline errors", || async {
        match field(browser, "Serial number").await {
            Ok(input) => input.attr("aria-invalid").await.ok().flatten().as_deref() == Some("true"),
            Err(_) => false,
        }
    })
    .await?;
    let manufacturer = field(browser, "Manufacturer").await?;
    assert_eq!(
        manufacturer.attr("aria-invalid").await?.as_deref(),
        Some("true"),
        "a required field left empty is marked"
    );
    let serial_id = field(browser, "Serial number")
        .await?
        .id()
        .await?
        .unwrap_or_default();
    let serial_error = browser.text_of(&format!("{serial_id}-error")).await;
    assert!(serial_error.contains("Serial number"), "{serial_error}");
    let violations = browser.axe_violations().await?;
    assert!(
        violations.is_empty(),
        "axe, form with errors: {violations:#?}"
    );

    let serial = field(browser, "Serial number").await?;
    clear(&serial).await?;
    serial.send_keys("AB-12345678").await?;
    manufacturer.send_keys("Dell").await?;
    field(browser, "Name")
        .await?
        .send_keys("Designer laptop")
        .await?;
    field(browser, "Model")
        .await?
        .send_keys("Latitude 7450")
        .await?;
    press(browser, browser.driver.find(By::Css(save)).await?).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
        .await?;
    browser
        .wait_for_text("amj-detail-attributes", "Latitude 7450", WAIT)
        .await?;
    let title = browser.text_of("amj-detail-title").await;
    let key = title
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(key.starts_with("IT-"), "{title}");

    // Edit, while someone else saves the same asset: the form says who and when, and
    // overwriting keeps this user's value.
    press(browser, browser.driver.find(By::Id("amj-edit")).await?).await?;
    let model = amj_e2e::wait_for(WAIT, || async { field(browser, "Model").await.ok() })
        .await
        .map_err(|_| anyhow::anyhow!("no edit form"))?;
    clear(&model).await?;
    model.send_keys("Latitude 9450").await?;
    let status = stack
        .edit_elsewhere(tenant, &key, serde_json::json!({"Model": "Latitude 5450"}))
        .await?;
    assert_eq!(status, 200, "the other change is saved");
    press(browser, browser.driver.find(By::Css(save)).await?).await?;
    wait_until("the conflict, naming who changed it", || async {
        browser
            .text_of("amj-conflict")
            .await
            .contains("changed by API token #")
    })
    .await?;
    let violations = browser.axe_violations().await?;
    assert!(violations.is_empty(), "axe, conflict: {violations:#?}");
    press(
        browser,
        browser
            .driver
            .find(By::Id("amj-conflict-overwrite"))
            .await?,
    )
    .await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
        .await?;
    browser
        .wait_for_text("amj-detail-attributes", "Latitude 9450", WAIT)
        .await?;
    browser.show_tab("history").await?;
    let history = browser.text_of("amj-detail-history").await;
    assert!(
        history.contains("Latitude 5450"),
        "both changes are in the history: {history}"
    );
    Ok(())
}

/// The query lives in Jira's URL (Connect's `AP.history` fragment, Forge's page history), so
/// reloading Jira's page, or sharing its link, brings the same search back.
#[tokio::test]
async fn the_query_survives_a_reload_through_the_host_url() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        for (site, host) in Host::SITES {
            demo_site(&stack, site, host).await?;
            open_list(&browser, &stack, site, host).await?;
            let input = browser.driver.find(By::Id("amj-aql")).await?;
            input.send_keys("objectType = Monitor").await?;
            input.send_keys(Key::Enter).await?;
            browser.wait_for_text("amj-rows", "Monitor", WAIT).await?;
            browser.driver.enter_default_frame().await?;
            wait_until("the host URL to hold the query", || async {
                browser
                    .driver
                    .current_url()
                    .await
                    .map(|u| u.as_str().contains("aql=objectType"))
                    .unwrap_or(false)
            })
            .await
            .map_err(|e| e.context(format!("{host:?}")))?;

            browser.driver.refresh().await?;
            browser.enter_frame().await?;
            wait_until("the query restored in the box", || async {
                match browser.driver.find(By::Id("amj-aql")).await {
                    Ok(input) => {
                        input.prop("value").await.ok().flatten().as_deref()
                            == Some("objectType = Monitor")
                    }
                    Err(_) => false,
                }
            })
            .await
            .map_err(|e| e.context(format!("{host:?}")))?;
            wait_until("only monitors listed", || async {
                let types = column(&browser, 4).await;
                !types.is_empty() && types.iter().all(|t| t == "Monitor")
            })
            .await
            .map_err(|e| e.context(format!("{host:?}")))?;
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("asset_list_history").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}
