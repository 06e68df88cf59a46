//! The asset list in headless Chromium: the first rows without a round trip, AQL errors shown
//! inline while typing and on search, suggestions chosen with the keyboard, sorting, and paging
//! by keyboard alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Stack};
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

#[tokio::test]
async fn search_with_aql_shows_errors_inline_and_pages_by_keyboard() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        let mut plan = SeedPlan::demo();
        plan.issues = vec![amj_store::links::IssueRef {
            id: 10001,
            key: "AM-1".into(),
            summary: "Laptop for the new designer".into(),
        }];
        let (site, tenant) = stack.seeded_site("acme", &plan).await?;
        let url = stack.sim.iframe_url(&site, &stack.app, "/pages/assets")?;
        browser.driver.goto(&url).await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        assert_eq!(
            row_count(&browser).await,
            50,
            "the first page renders from the HTML"
        );
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
        assert_eq!(row_count(&browser).await, 50);

        // Fix it with a suggestion, chosen by keyboard: the error goes, Laptops are listed.
        input.clear().await?;
        input.send_keys("objectType = Lap").await?;
        wait_until("suggestions", || async {
            browser.text_of("amj-completions")
                .await
                .contains("Laptop")
        })
        .await?;
        input.send_keys(Key::Down).await?;
        input.send_keys(Key::Enter).await?;
        let value = input.prop("value").await?.unwrap_or_default();
        assert!(value.starts_with("objectType = Laptop"), "{value:?}");
        input.send_keys(Key::Enter).await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        let types = browser
            .driver
            .find_all(By::Css("#amj-rows tr td:nth-child(4)"))
            .await?;
        assert!(!types.is_empty());
        for cell in types {
            assert_eq!(cell.text().await?, "Laptop");
        }
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

        // Keyboard only: clear the search, then Tab to the Key header, sort, and page forward.
        input.clear().await?;
        input.send_keys(Key::Enter).await?;
        wait_until("all assets again", || async {
            browser.text_of("amj-count").await.contains("of 60")
        })
        .await?;
        // The detail view: attributes, references both ways, linked issues and history.
        let linked = stack
            .state
            .store
            .assets_of_issue(tenant.id, 10001)
            .await?;
        let first_linked = linked.first().expect("the seed links assets");
        let key = format!("{}-{}", first_linked.schema_key, first_linked.number);
        let first = browser
            .driver
            .find(By::Css(format!("#amj-rows a[href='#{key}']")))
            .await?;
        first.click().await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        assert!(browser.text_of("amj-detail-title").await.starts_with(&key));
        assert!(!browser.text_of("amj-detail-attributes").await.is_empty());
        assert!(browser.text_of("amj-detail-history").await.contains("created the asset"));
        assert!(browser.text_of("amj-detail-references").await.contains("Refers to"));
        assert!(browser.text_of("amj-detail-issues").await.contains("AM-1"), "the seed links this laptop");
        assert_eq!(focused_id(&browser).await, "amj-detail-title", "focus moves to the asset");
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, detail view: {violations:#?}");
        browser.driver.find(By::Id("amj-back")).await?.click().await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
        assert_eq!(focused_id(&browser).await, key, "focus returns to the asset's row");

        // Bulk status change: select two assets, pick a status, apply; the list shows it.
        let boxes = browser
            .driver
            .find_all(By::Css("#amj-rows input[type=checkbox]"))
            .await?;
        boxes[0].click().await?;
        boxes[1].click().await?;
        assert_eq!(browser.text_of("amj-selected-count").await, "2 assets selected");
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, with a selection: {violations:#?}");
        // Choose by keyboard, as a user of the select would.
        let status = browser.driver.find(By::Id("amj-bulk-status")).await?;
        status.send_keys("In repair").await?;
        assert_eq!(status.prop("value").await?.as_deref(), Some("In repair"));
        browser.driver.find(By::Id("amj-bulk-apply")).await?.click().await?;
        wait_until("the bulk change", || async {
            browser.text_of("amj-bulk-result")
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
        assert!(browser.driver.find(By::Id("amj-bulk")).await?.attr("hidden").await?.is_some(), "the selection is cleared");

        // From the search box, as after typing a query.
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
            if focused_id(&browser).await.starts_with("Key") {
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
        // Past the sort buttons and each row's checkbox and link.
        let mut reached_next = false;
        for _ in 0..150 {
            browser
                .driver
                .action_chain()
                .send_keys(Key::Tab)
                .perform()
                .await?;
            if focused_id(&browser).await == "amj-next" {
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
        assert_eq!(row_count(&browser).await, 10);
        assert_eq!(
            focused_id(&browser).await,
            "amj-prev",
            "on the last page, focus moves from the disabled Next to Previous"
        );
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

/// The input of the form field labelled `name`.
async fn field(browser: &Browser, name: &str) -> anyhow::Result<WebElement> {
    let id = browser
        .driver
        .execute(
            "var labels = document.querySelectorAll('#amj-form label'); \
             for (var i = 0; i < labels.length; i++) { if (labels[i].firstChild.textContent === arguments[0]) { return labels[i].htmlFor; } } \
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
        let (site, _) = stack.seeded_site("acme", &SeedPlan::demo()).await?;
        let url = stack.sim.iframe_url(&site, &stack.app, "/pages/assets")?;
        browser.driver.goto(&url).await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;

        // Create: the form follows the type; the server's errors appear next to their fields.
        browser.driver.find(By::Id("amj-create")).await?.click().await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "form", WAIT)
            .await?;
        let type_select = browser.driver.find(By::Id("amj-form-type")).await?;
        type_select.send_keys("Laptop").await?;
        wait_until("the Laptop fields", || async {
            field(&browser, "RAM (GB)").await.is_ok()
        })
        .await?;
        field(&browser, "Serial number").await?.send_keys("bad serial").await?;
        browser.driver.find(By::Id("amj-form-save")).await?.click().await?;
        wait_until("inline errors", || async {
            match field(&browser, "Serial number").await {
                Ok(input) => input.attr("aria-invalid").await.ok().flatten().as_deref() == Some("true"),
                Err(_) => false,
            }
        })
        .await?;
        let manufacturer = field(&browser, "Manufacturer").await?;
        assert_eq!(
            manufacturer.attr("aria-invalid").await?.as_deref(),
            Some("true"),
            "a required field left empty is marked"
        );
        let serial_error = browser
            .driver
            .find(By::Id(format!("{}-error", field(&browser, "Serial number").await?.id().await?.unwrap_or_default())))
            .await?
            .text()
            .await?;
        assert!(serial_error.contains("Serial number"), "{serial_error}");
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, form with errors: {violations:#?}");

        let serial = field(&browser, "Serial number").await?;
        serial.clear().await?;
        serial.send_keys("AB-12345678").await?;
        manufacturer.send_keys("Dell").await?;
        field(&browser, "Name").await?.send_keys("Designer laptop").await?;
        field(&browser, "Model").await?.send_keys("Latitude 7450").await?;
        browser.driver.find(By::Id("amj-form-save")).await?.click().await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        let title = browser.text_of("amj-detail-title").await;
        let key = title.split_whitespace().next().unwrap_or_default().to_owned();
        assert!(key.starts_with("IT-"), "{title}");
        assert!(browser.text_of("amj-detail-attributes").await.contains("Latitude 7450"));

        // Edit, while someone else saves the same asset: the form says who and when, and
        // overwriting keeps this user's value.
        browser.driver.find(By::Id("amj-edit")).await?.click().await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "form", WAIT)
            .await?;
        let model = field(&browser, "Model").await?;
        model.clear().await?;
        model.send_keys("Latitude 9450").await?;
        let other = browser
            .driver
            .execute_async(
                "var done = arguments[arguments.length - 1]; var key = arguments[0];\
                 window.amj.call('/api/v1/assets/' + key).then(function (r) { return r.json(); }).then(function (a) {\
                   return window.amj.call('/api/v1/assets/' + key, {method: 'PATCH', headers: {'Content-Type': 'application/json'},\
                     body: JSON.stringify({version: a.version, attributes: {Model: 'Latitude 5450'}})});\
                 }).then(function (r) { done(r.status); }, function (e) { done(String(e)); });",
                vec![serde_json::json!(key)],
            )
            .await?;
        assert_eq!(other.json(), &serde_json::json!(200), "the other change is saved");
        browser.driver.find(By::Id("amj-form-save")).await?.click().await?;
        wait_until("the conflict", || async {
            browser.text_of("amj-conflict-text").await.contains("was changed by")
        })
        .await?;
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, conflict: {violations:#?}");
        browser
            .driver
            .find(By::Id("amj-conflict-overwrite"))
            .await?
            .click()
            .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "detail", WAIT)
            .await?;
        let attributes = browser.text_of("amj-detail-attributes").await;
        assert!(attributes.contains("Latitude 9450"), "{attributes}");
        let history = browser.text_of("amj-detail-history").await;
        assert!(history.contains("Latitude 5450"), "both changes are in the history: {history}");
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

/// The query lives in the host page's URL (AP.history), so reloading Jira's page, or sharing
/// its link, brings the same search back.
#[tokio::test]
async fn the_query_survives_a_reload_through_the_host_url() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        stack.seeded_site("acme", &SeedPlan::demo()).await?;
        let page = format!("{}/sites/acme/apps/assets", stack.sim.base_url());
        browser.driver.goto(&page).await?;
        browser
            .driver
            .find(By::Css("iframe[data-site='acme']"))
            .await?
            .enter_frame()
            .await?;
        browser
            .wait_for_attribute("amj-assets", "data-state", "ready", WAIT)
            .await?;
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
                .map(|u| u.as_str().contains("#!aql=objectType"))
                .unwrap_or(false)
        })
        .await?;

        browser.driver.refresh().await?;
        browser
            .driver
            .find(By::Css("iframe[data-site='acme']"))
            .await?
            .enter_frame()
            .await?;
        wait_until("the query restored in the box", || async {
            match browser.driver.find(By::Id("amj-aql")).await {
                Ok(input) => {
                    input.prop("value").await.ok().flatten().as_deref()
                        == Some("objectType = Monitor")
                }
                Err(_) => false,
            }
        })
        .await?;
        wait_until("only monitors listed", || async {
            let cells = browser
                .driver
                .find_all(By::Css("#amj-rows tr td:nth-child(4)"))
                .await
                .unwrap_or_default();
            let mut all = !cells.is_empty();
            for cell in &cells {
                all &= cell.text().await.unwrap_or_default() == "Monitor";
            }
            all
        })
        .await?;
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
