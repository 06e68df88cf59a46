//! The app's page in a real headless Chromium: it renders for a signed iframe URL and its own API
//! call, made with the context token the page embeds, authenticates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_e2e::{Browser, Stack};
use std::time::Duration;
use thirtyfour::prelude::*;

/// Opens the list page of a site without assets: its first API call (the schemas) must be
/// answered for the page to say what to do next. Answers its heading.
async fn empty_list_heading(browser: &Browser, url: &str) -> anyhow::Result<String> {
    browser.driver.goto(url).await?;
    browser
        .wait_for_attribute("amj-assets", "data-state", "empty", Duration::from_secs(10))
        .await?;
    Ok(browser.text_of("amj-empty-heading").await)
}

#[tokio::test]
async fn page_authenticates_its_api_calls_before_and_after_a_secret_rotation() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        stack.sim.add_site("acme");
        assert_eq!(stack.sim.install("acme", &stack.app).await?, 204);
        let site = stack.sim.site("acme")?;
        let url = stack.sim.iframe_url(&site, &stack.app, "/pages/assets")?;
        assert_eq!(empty_list_heading(&browser, &url).await?, "No assets yet");

        // Atlassian rotates the secret; Jira's next iframe URL is signed with the new one.
        assert_eq!(stack.sim.rotate("acme", &stack.app, false).await?, 204);
        let site = stack.sim.site("acme")?;
        let url = stack.sim.iframe_url(&site, &stack.app, "/pages/assets")?;
        assert_eq!(empty_list_heading(&browser, &url).await?, "No assets yet");
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("page_after_rotation").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

#[tokio::test]
async fn a_refused_page_token_shows_a_readable_error_not_a_blank_page() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        stack.sim.add_site("acme");
        stack.sim.install("acme", &stack.app).await?;
        let site = stack.sim.site("acme")?;
        let url = stack.sim.iframe_url(&site, &stack.app, "/pages/assets")?;
        // The page renders, then its embedded token stops working: the site was uninstalled.
        stack.sim.uninstall("acme", &stack.app).await?;
        browser.driver.goto(&url).await?;
        let body = browser.driver.find(By::Tag("body")).await?.text().await?;
        assert!(
            body.contains("tenant_uninstalled"),
            "the 401 explains itself: {body}"
        );
        assert!(
            body.contains("could not verify its connection to Jira"),
            "in words, not JSON: {body}"
        );
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("refused_page").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// The glance inside the simulated Jira issue view: framed from the descriptor, authenticated,
/// and still working after a rotation without a reload. Its stale embedded token is refused, and
/// the page gets a fresh one through `AP.context.getToken()` over the postMessage bridge.
#[tokio::test]
async fn glance_in_the_issue_view_recovers_from_a_rotation_through_the_bridge() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        let mut plan = amj_bench::seed::SeedPlan::demo();
        plan.link_every = 0;
        stack.seeded_site("acme", &plan).await?;
        let issue_view = format!("{}/sites/acme/browse/AM-1", stack.sim.base_url());
        browser.driver.goto(&issue_view).await?;
        let frame = browser
            .driver
            .find(By::Css("iframe[data-site='acme']"))
            .await?;
        frame.enter_frame().await?;
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", Duration::from_secs(10))
            .await?;

        // The page holds a context token signed with the old secret. Its next call is refused,
        // and it recovers with a fresh token from the bridge: the user sees only the answer.
        assert_eq!(stack.sim.rotate("acme", &stack.app, false).await?, 204);
        let search = browser.driver.find(By::Id("amj-link-search")).await?;
        search.send_keys("objectType = Laptop").await?;
        search.send_keys(Key::Enter).await?;
        amj_e2e::wait_for(Duration::from_secs(10), || async {
            browser
                .driver
                .find(By::Css("#amj-link-results button"))
                .await
                .ok()
        })
        .await
        .map_err(|_| anyhow::anyhow!("the search after the rotation found nothing"))?;
        assert!(
            browser.driver.find(By::Id("amj-error")).await.is_err(),
            "no error was shown"
        );
        assert!(browser.text_of("amj-link-error").await.is_empty());

        browser.driver.enter_default_frame().await?;
        browser.driver.refresh().await?;
        let frame = browser
            .driver
            .find(By::Css("iframe[data-site='acme']"))
            .await?;
        frame.enter_frame().await?;
        browser
            .wait_for_attribute("amj-glance", "data-state", "ready", Duration::from_secs(10))
            .await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("glance_after_rotation").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

async fn open_glance(
    browser: &Browser,
    sim_base: &str,
    site: &str,
    issue: &str,
) -> anyhow::Result<String> {
    browser.driver.enter_default_frame().await?;
    browser
        .driver
        .goto(&format!("{sim_base}/sites/{site}/browse/{issue}"))
        .await?;
    let frame = browser
        .driver
        .find(By::Css(format!("iframe[data-site='{site}']")))
        .await?;
    frame.enter_frame().await?;
    amj_e2e::wait_for(Duration::from_secs(10), || async {
        if let Ok(element) = browser.driver.find(By::Id("amj-glance")).await
            && element.attr("data-state").await.ok().flatten().as_deref() == Some("ready")
        {
            return Some("connected".to_owned());
        }
        let error = browser
            .driver
            .find(By::Css("[data-error-code]"))
            .await
            .ok()?;
        let code = error.attr("data-error-code").await.ok().flatten();
        Some(format!("error:{}", code.unwrap_or_default()))
    })
    .await
    .map_err(|_| {
        anyhow::anyhow!("the glance for {site}/{issue} neither connected nor showed an error")
    })
}

/// A batched rollout rotates every site's secret: afterwards every reload and every navigation
/// still works, every site is on its new secret, and the app refused nothing.
#[tokio::test]
async fn browsing_before_and_after_a_batched_rollout_never_fails() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        let sites = ["acme", "globex", "initech"];
        for site in sites {
            stack.sim.add_site(site);
            assert_eq!(stack.sim.install(site, &stack.app).await?, 204);
        }
        let plan = amj_jira_sim::RolloutPlan {
            day: Duration::from_secs(3),
            batches: 3,
            switch_regardless: false,
        };
        for (i, site) in sites.iter().enumerate() {
            let issue = ["AM-1", "OPS-2", "AM-3"][i];
            assert_eq!(
                open_glance(&browser, stack.sim.base_url(), site, issue).await?,
                "connected",
                "before: {site}"
            );
        }
        // Pages are only loaded between batches here: a page whose iframe URL was signed just
        // before its site's switch is the in-flight window noted on the simulator issue, and
        // traffic during the rollout is B2's (non-browser) test.
        let report = stack.sim.rollout(&stack.app, &plan).await;
        let report = report?;
        assert!(report.statuses.iter().all(|(_, s)| *s == 204));
        for site in sites {
            assert_eq!(
                open_glance(&browser, stack.sim.base_url(), site, "AM-2").await?,
                "connected",
                "after the rollout: {site}"
            );
        }
        let refused: u64 = amj_connect::AuthReason::ALL
            .iter()
            .map(|r| stack.state.counters.total_failures(*r))
            .sum();
        assert_eq!(refused, 0, "no request was refused during the rollout");
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("browsing_through_rollout").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// The March-2022 bug, injected (debug builds only): the app acknowledges the rotation but keeps
/// the old secret. The glance then shows a readable error, not a blank loading screen, and the
/// per-site failure counters rise.
#[tokio::test]
async fn a_lost_secret_shows_a_clear_error_and_is_counted() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start_with(|c| c.faults.set_ignore_rotated_secrets(true))
        .await
        .unwrap();
    let result = async {
        stack.sim.add_site("acme");
        stack.sim.install("acme", &stack.app).await?;
        assert_eq!(
            open_glance(&browser, stack.sim.base_url(), "acme", "AM-1").await?,
            "connected"
        );
        assert_eq!(stack.sim.rotate("acme", &stack.app, false).await?, 204);
        assert_eq!(
            open_glance(&browser, stack.sim.base_url(), "acme", "AM-1").await?,
            "error:bad_signature"
        );
        let text = browser.driver.find(By::Tag("main")).await?.text().await?;
        assert!(
            text.contains("could not verify its connection to Jira"),
            "{text}"
        );
        assert!(
            text.contains("reinstall"),
            "the page says what to do: {text}"
        );
        let site = stack.sim.site("acme")?;
        let tenant = stack
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await?
            .expect("installed");
        let health = stack.state.counters.tenant(tenant.id);
        assert!(health.failures_by_reason[amj_connect::AuthReason::BadSignature.index()] >= 1);
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("lost_secret").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// The host side of the AP bridge: `AP.resize` sizes the iframe, `AP.flag.create` shows a flag,
/// and `AP.navigator.go` opens an issue.
#[tokio::test]
async fn the_ap_bridge_resizes_flags_and_navigates() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    let stack = Stack::start().await.unwrap();
    let result = async {
        stack.sim.add_site("acme");
        stack.sim.install("acme", &stack.app).await?;
        assert_eq!(open_glance(&browser, stack.sim.base_url(), "acme", "AM-1").await?, "connected");
        browser
            .driver
            .execute(
                "document.body.appendChild(Object.assign(document.createElement('div'), {style: 'height: 900px'})); \
                 AP.resize(); AP.flag.create({title: 'Linked', body: 'IT-42 is linked to AM-1'});",
                Vec::new(),
            )
            .await?;
        browser.driver.enter_default_frame().await?;
        let flag = amj_e2e::wait_for(Duration::from_secs(5), || async {
            let height = browser.driver.execute("return document.querySelector('iframe').getBoundingClientRect().height;", Vec::new()).await.ok()?;
            if height.json().as_f64().unwrap_or(0.0) <= 900.0 {
                return None;
            }
            browser.driver.find(By::Css(".flag")).await.ok()
        })
        .await
        .map_err(|_| anyhow::anyhow!("the iframe was not resized or no flag appeared"))?;
        let text = flag.text().await?;
        assert!(text.contains("IT-42 is linked"), "{text}");
        let frame = browser.driver.find(By::Css("iframe[data-site='acme']")).await?;
        frame.enter_frame().await?;
        browser.driver.execute("AP.navigator.go('issue', {issueKey: 'OPS-2'});", Vec::new()).await?;
        browser.driver.enter_default_frame().await?;
        amj_e2e::wait_for(Duration::from_secs(5), || async {
            let url = browser.driver.current_url().await.ok()?;
            url.as_str().ends_with("/sites/acme/browse/OPS-2").then_some(())
        })
        .await
        .map_err(|_| anyhow::anyhow!("AP.navigator.go did not open OPS-2"))?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        browser.save_artifacts("ap_bridge").await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}

/// A test that fails unwinds past `quit`; its browser must still leave no process behind.
#[tokio::test]
async fn a_browser_dropped_without_quit_leaves_no_process_behind() {
    let Some(browser) = Browser::start().await.unwrap() else {
        return;
    };
    browser.driver.goto("about:blank").await.unwrap();
    let profile = browser.profile_dir().display().to_string();
    let chromedriver = browser.process_group();
    assert!(
        !amj_e2e::processes_mentioning(&profile).is_empty(),
        "the control: Chromium runs with its profile on the command line"
    );
    drop(browser);
    // Killed processes are reaped by their parent; allow a moment for that, with a bound.
    let gone = amj_e2e::wait_for(Duration::from_secs(10), || async {
        let left = amj_e2e::processes_mentioning(&profile);
        let driver_alive = std::path::Path::new(&format!("/proc/{chromedriver}")).exists();
        (left.is_empty() && !driver_alive).then_some(())
    })
    .await;
    assert!(
        gone.is_ok(),
        "still running after drop: chromedriver {}, chromium {:?}",
        std::path::Path::new(&format!("/proc/{chromedriver}")).exists(),
        amj_e2e::processes_mentioning(&profile)
    );
}
