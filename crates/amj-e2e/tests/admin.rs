//! The settings page as a site admin, in both hosts, by keyboard only: create a schema, a type
//! and its attributes (with an inline error on the way), a status, and an API token shown once;
//! reorder attributes and move a type in the designer; choose a type's icon.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_e2e::{Browser, Host, Stack};
use anyhow::Context as _;
use std::time::Duration;
use thirtyfour::prelude::*;

const WAIT: Duration = Duration::from_secs(10);

async fn type_into(browser: &Browser, id: &str, text: &str) -> anyhow::Result<()> {
    let input = browser.driver.find(By::Id(id)).await?;
    input.clear().await?;
    input.send_keys(text).await?;
    Ok(())
}

/// Activates a button or checkbox from the keyboard: focus it, press Space (which both take),
/// so the whole settings journey runs without a mouse.
async fn press(browser: &Browser, selector: &str) -> anyhow::Result<()> {
    let element = browser.driver.find(By::Css(selector)).await?;
    browser.focus(&element).await?;
    element.send_keys(Key::Space).await?;
    Ok(())
}

#[tokio::test]
async fn an_admin_creates_a_type_and_its_attributes() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        for (name, host) in Host::SITES {
            stack.sim.add_site(name);
            assert_eq!(stack.sim.install(name, &stack.app).await?, 204);
            host.put(&stack, name)?;
            settings_journey(&browser, &stack, name, host)
                .await
                .map_err(|e| e.context(format!("{host:?}")))?;
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("admin").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

async fn settings_journey(
    browser: &Browser,
    stack: &Stack,
    name: &str,
    host: Host,
) -> anyhow::Result<()> {
    let site = stack.sim.site(name)?;
    {
        let src = browser
            .enter(stack, &format!("/sites/{name}/admin/apps"))
            .await?;
        anyhow::ensure!(host.framed(&src), "{host:?} framed {src}");
        browser
            .wait_for_attribute("amj-admin", "data-state", "ready", WAIT)
            .await?;

        type_into(browser, "amj-schema-key", "HW").await?;
        type_into(browser, "amj-schema-name", "Hardware").await?;
        press(browser, "#amj-schema-form button[type=submit]").await?;
        browser
            .wait_for_text("amj-admin-status", "Created the schema HW.", WAIT)
            .await?;

        type_into(browser, "amj-type-name", "Phone").await?;
        press(browser, "#amj-type-form button[type=submit]").await?;
        browser
            .wait_for_text("amj-admin-status", "Created the type Phone.", WAIT)
            .await?;
        assert!(browser.text_of("amj-type-tree").await.contains("Phone"));
        browser
            .wait_for_text("attributes-heading", "Phone", WAIT)
            .await?;

        // A mistake first: an attribute without a name is refused next to the field.
        press(browser, "#amj-attr-form button[type=submit]").await?;
        browser
            .wait_for_attribute("amj-attr-name", "aria-invalid", "true", WAIT)
            .await
            .context("the nameless attribute was not marked invalid")?;
        assert!(!browser.text_of("amj-attr-name-error").await.is_empty());
        let violations = browser.axe_violations().await?;
        assert!(
            violations.is_empty(),
            "axe, admin with an error: {violations:#?}"
        );

        type_into(browser, "amj-attr-name", "IMEI").await?;
        press(browser, "#amj-attr-required").await?;
        press(browser, "#amj-attr-unique").await?;
        press(browser, "#amj-attr-form button[type=submit]").await?;
        browser
            .wait_for_text("amj-admin-status", "Added the attribute IMEI.", WAIT)
            .await?;
        type_into(browser, "amj-attr-name", "Carrier").await?;
        browser
            .driver
            .find(By::Id("amj-attr-kind"))
            .await?
            .send_keys("Select")
            .await?;
        type_into(browser, "amj-attr-options", "Vodafone\nOrange\nT-Mobile").await?;
        press(browser, "#amj-attr-form button[type=submit]").await?;
        browser
            .wait_for_text("amj-admin-status", "Added the attribute Carrier.", WAIT)
            .await?;
        let table = browser.text_of("amj-attr-rows").await;
        assert!(
            table.contains("IMEI") && table.contains("Carrier") && table.contains("Select"),
            "{table}"
        );

        type_into(browser, "amj-status-name", "Lost").await?;
        browser
            .driver
            .find(By::Id("amj-status-category"))
            .await?
            .send_keys("Retired")
            .await?;
        press(browser, "#amj-status-form button[type=submit]").await?;
        // Lozenges are set in capitals, and WebDriver reads rendered text.
        browser
            .wait_for_text("amj-status-list", "LOST", WAIT)
            .await?;

        type_into(browser, "amj-token-name", "inventory script").await?;
        press(browser, "#amj-token-form button[type=submit]").await?;
        browser
            .wait_for_text("amj-token-secret", "amj_", WAIT)
            .await?;
        assert!(
            browser
                .text_of("amj-token-list")
                .await
                .contains("inventory script")
        );
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, admin: {violations:#?}");

        // Rename an attribute in place, and delete a status (after confirming).
        press(browser, "button[aria-label='Rename Carrier']").await?;
        let rename = browser
            .driver
            .find(By::Css("input[aria-label='New name for Carrier']"))
            .await?;
        rename.clear().await?;
        rename.send_keys("Network").await?;
        rename.send_keys(Key::Enter).await?;
        browser
            .wait_for_text("amj-admin-status", "Renamed Carrier to Network.", WAIT)
            .await?;
        browser
            .wait_for_text("amj-attr-rows", "Network", WAIT)
            .await?;

        // The designer by keyboard: pick Network up by its handle, move it to the top, drop it.
        let handle = browser
            .driver
            .find(By::Css("[data-move='Network']"))
            .await?;
        browser
            .driver
            .execute("arguments[0].focus();", vec![handle.to_json()?])
            .await?;
        handle.send_keys(Key::Space).await?;
        handle.send_keys(Key::Up).await?;
        handle.send_keys(Key::Up).await?;
        browser
            .wait_for_text("amj-move-status", "position 1 of 3", WAIT)
            .await?;
        handle.send_keys(Key::Space).await?;
        browser
            .wait_for_text(
                "amj-admin-status",
                "Moved Network to position 1 of 3.",
                WAIT,
            )
            .await?;
        let first = browser
            .driver
            .find(By::Css("#amj-attr-rows tr:first-child th"))
            .await?
            .text()
            .await?;
        assert_eq!(first, "Network", "the table shows the new order");

        // The designer edits an attribute's rules: a reference's type (how it reads) and how many
        // it holds, and a select's options. The editor takes the keyboard and gives it back.
        type_into(browser, "amj-attr-name", "Paired with").await?;
        browser
            .driver
            .find(By::Id("amj-attr-kind"))
            .await?
            .send_keys("Reference")
            .await?;
        type_into(browser, "amj-attr-reftype", "paired with").await?;
        press(browser, "#amj-attr-form button[type=submit]").await?;
        browser
            .wait_for_text("amj-admin-status", "Added the attribute Paired with.", WAIT)
            .await?;
        press(browser, "button[aria-label='Edit Paired with']").await?;
        amj_e2e::wait_until("the editor to take the focus", WAIT, || async {
            browser
                .active_attribute("id")
                .await
                .is_ok_and(|id| id == "amj-edit-attr-name")
        })
        .await?;
        type_into(browser, "amj-edit-attr-reftype", "docked to").await?;
        type_into(browser, "amj-edit-attr-max", "one").await?;
        press(browser, "#amj-edit-attr-form button[type=submit]").await?;
        browser
            .wait_for_attribute("amj-edit-attr-max", "aria-invalid", "true", WAIT)
            .await
            .context("a count that is not a number is refused in place")?;
        type_into(browser, "amj-edit-attr-max", "1").await?;
        press(browser, "#amj-edit-attr-form button[type=submit]").await?;
        browser
            .wait_for_text("amj-admin-status", "Saved the attribute Paired with.", WAIT)
            .await?;
        press(browser, "button[aria-label='Edit Network']").await?;
        // One option per line: an option may hold a comma.
        type_into(browser, "amj-edit-attr-options", "Vodafone\nOrange, Spain").await?;
        press(browser, "#amj-edit-attr-form button[type=submit]").await?;
        browser
            .wait_for_text("amj-admin-status", "Saved the attribute Network.", WAIT)
            .await?;
        amj_e2e::wait_until("the focus to return to Network's Edit", WAIT, || async {
            browser
                .active_attribute("aria-label")
                .await
                .is_ok_and(|label| label == "Edit Network")
        })
        .await?;

        // A type moves under another with its Parent control, by keyboard. Two subtypes of
        // Phone (which inherit its Name), so one can move under the other.
        for name in ["Tablet", "Rugged"] {
            type_into(browser, "amj-type-name", name).await?;
            browser
                .driver
                .find(By::Id("amj-type-parent"))
                .await?
                .send_keys("Phone")
                .await?;
            press(browser, "#amj-type-form button[type=submit]").await?;
            browser
                .wait_for_text(
                    "amj-admin-status",
                    &format!("Created the type {name}."),
                    WAIT,
                )
                .await?;
        }
        let parent = browser
            .driver
            .find(By::Css("li[data-type='Rugged'] select[id^='amj-parent-']"))
            .await?;
        browser
            .driver
            .execute("arguments[0].focus();", vec![parent.to_json()?])
            .await?;
        parent.send_keys(Key::Down).await?;
        browser
            .wait_for_text("amj-admin-status", "Moved Rugged under Tablet.", WAIT)
            .await?;
        // And an icon, chosen by typing its name into the type's Icon control.
        let icon = browser
            .driver
            .find(By::Css("li[data-type='Phone'] select[id^='amj-icon-']"))
            .await?;
        browser
            .driver
            .execute("arguments[0].focus();", vec![icon.to_json()?])
            .await?;
        icon.send_keys("phone").await?;
        browser
            .wait_for_text("amj-admin-status", "Phone now shows the phone icon.", WAIT)
            .await?;
        let violations = browser.axe_violations().await?;
        assert!(violations.is_empty(), "axe, the designer: {violations:#?}");
        type_into(browser, "amj-status-name", "Scrapped").await?;
        press(browser, "#amj-status-form button[type=submit]").await?;
        browser
            .wait_for_text("amj-status-list", "SCRAPPED", WAIT)
            .await?;
        press(browser, "button[aria-label='Delete Scrapped']").await?;
        // Asked in place, not in a browser dialog.
        press(browser, "button[aria-label='Yes, delete Scrapped']").await?;
        browser
            .wait_for_text("amj-admin-status", "Deleted the status Scrapped.", WAIT)
            .await?;

        // What the page made is what the store holds.
        let tenant = stack
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await?
            .expect("installed");
        let schemas = stack.state.store.list_schemas(tenant.id).await?;
        assert_eq!(schemas.len(), 1);
        let model = stack
            .state
            .store
            .schema_model(tenant.id, schemas[0].id)
            .await?
            .expect("the schema");
        let names: Vec<&str> = model.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["Network", "Name", "IMEI", "Paired with"],
            "a new type starts with its Name; Network was moved to the top"
        );
        assert!(model.attributes[2].required && model.attributes[2].unique);
        let paired = serde_json::to_value(&model.attributes[3].kind)?;
        assert_eq!(
            (&paired["kind"], &paired["referenceType"], &paired["max"]),
            (&"reference".into(), &"docked to".into(), &1.into()),
            "{paired}"
        );
        let network = serde_json::to_value(&model.attributes[0].kind)?;
        assert_eq!(
            network["options"],
            serde_json::json!(["Vodafone", "Orange, Spain"]),
            "{network}"
        );
        let phone = model
            .types
            .types()
            .find(|t| t.name == "Phone")
            .expect("Phone");
        let tablet = model
            .types
            .types()
            .find(|t| t.name == "Tablet")
            .expect("Tablet");
        assert_eq!(tablet.parent_id, Some(phone.id), "Tablet moved under Phone");
        assert!(!model.statuses.iter().any(|s| s.name == "Scrapped"));
        assert!(model.statuses.iter().any(|s| s.name == "Lost"));
    }
    Ok(())
}
