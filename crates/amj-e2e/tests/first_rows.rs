//! A measurement, not an assertion: how long headless Chromium takes from navigation to the
//! Assets list's first rows on loopback (the `amj-rows` performance mark). docs/PERFORMANCE.md
//! records it; run with `cargo test --release -p amj-e2e --test first_rows -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_bench::seed::SeedPlan;
use amj_e2e::{Browser, Stack};
use std::time::Duration;

const LOADS: usize = 41;

#[tokio::test]
#[ignore = "a measurement for docs/PERFORMANCE.md; run with --ignored --nocapture"]
async fn time_to_first_rows_in_headless_chromium() {
    let browser = Browser::start()
        .await
        .unwrap()
        .expect("the measurement needs chromium and chromedriver");
    let stack = Stack::start().await.unwrap();
    let result = async {
        let (site, _) = stack.seeded_site("acme", &SeedPlan::demo()).await?;
        let mut times = Vec::new();
        for _ in 0..LOADS {
            // A fresh signed URL each time, as Jira gives each iframe load.
            let url = stack.sim.iframe_url(&site, &stack.app, "/pages/assets")?;
            browser.driver.goto(&url).await?;
            browser
                .wait_for_attribute("amj-assets", "data-state", "ready", Duration::from_secs(10))
                .await?;
            let mark = browser
                .driver
                .execute(
                    "var m = performance.getEntriesByName('amj-rows')[0]; return m ? m.startTime : null;",
                    Vec::new(),
                )
                .await?;
            let ms = mark
                .json()
                .as_f64()
                .ok_or_else(|| anyhow::anyhow!("no amj-rows mark"))?;
            times.push(ms);
        }
        times.sort_by(f64::total_cmp);
        // The first load warms the browser's cache of the scripts, as a user's second visit.
        println!(
            "first rows after navigation over {LOADS} loads: median {:.0} ms, p95 {:.0} ms, max {:.0} ms",
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
