//! A measurement, not an assertion: how long headless Chromium takes from the app frame's
//! navigation to the Assets list's first rows (the `amj-rows` performance mark), inside the
//! simulated Jira, on loopback. docs/PERFORMANCE.md records it; run with
//!
//! ```sh
//! AMJ_FIRST_ROWS_ASSETS=1000000 AMJ_FIRST_ROWS_HOST=forge \
//!     cargo test --release -p amj-e2e --test first_rows -- --ignored --nocapture
//! ```
//!
//! `AMJ_FIRST_ROWS_ASSETS` (default 60, the demo) sizes the site; `AMJ_FIRST_ROWS_HOST` is
//! `forge` (default: the page is Custom UI and every call goes through `invokeRemote`, the
//! simulated Forge minting a FIT for each) or `connect`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Host, Stack};
use std::time::{Duration, Instant};

const LOADS: usize = 41;

#[tokio::test]
#[ignore = "a measurement for docs/PERFORMANCE.md; run with --ignored --nocapture"]
async fn time_to_first_rows_in_headless_chromium() {
    let assets: u64 = std::env::var("AMJ_FIRST_ROWS_ASSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let host = match std::env::var("AMJ_FIRST_ROWS_HOST").as_deref() {
        Ok("connect") => Host::Connect,
        _ => Host::Forge,
    };
    let browser = Browser::start()
        .await
        .unwrap()
        .expect("the measurement needs chromium and chromedriver");
    let stack = Stack::start().await.unwrap();
    let result = async {
        let plan = if assets <= 60 {
            SeedPlan::demo()
        } else {
            SeedPlan::large(assets)
        };
        let seeding = Instant::now();
        stack.seeded_site("globex", &plan).await?;
        host.put(&stack, "globex")?;
        println!(
            "seeded {assets} assets in {:.0} s; {host:?} host",
            seeding.elapsed().as_secs_f64()
        );
        let mut times = Vec::new();
        for _ in 0..LOADS {
            // A new page load each time, as a person opening the app in Jira: the frame gets a
            // fresh URL (Connect: a signed one; Forge: the static bundle, then FITs per call).
            browser.enter(&stack, "/sites/globex/apps/assets").await?;
            browser
                .wait_for_attribute("amj-assets", "data-state", "ready", Duration::from_secs(30))
                .await?;
            // The mark is set in an effect after the rows are painted: wait for it, bounded.
            let ms = amj_e2e::wait_for(Duration::from_secs(10), || async {
                browser
                    .driver
                    .execute(
                        "var m = performance.getEntriesByName('amj-rows')[0]; return m ? m.startTime : null;",
                        Vec::new(),
                    )
                    .await
                    .ok()?
                    .json()
                    .as_f64()
            })
            .await
            .map_err(|_| anyhow::anyhow!("no amj-rows mark"))?;
            times.push(ms);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "first rows after the frame's navigation over {LOADS} loads: median {:.0} ms, p95 {:.0} ms, max {:.0} ms",
            times[LOADS / 2],
            times[LOADS * 95 / 100],
            times[LOADS - 1]
        );
        anyhow::Ok(())
    }
    .await;
    browser.quit().await;
    stack.stop().await;
    result.unwrap();
}
