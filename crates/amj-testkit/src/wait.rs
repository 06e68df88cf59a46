//! Bounded polling. Tests wait for a condition, never for a fixed time: a sleep is either too
//! short on a loaded CI machine or wasted everywhere else.

use std::future::Future;
use std::time::Duration;

/// How often a condition is polled.
const INTERVAL: Duration = Duration::from_millis(50);

/// The condition did not hold within the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut(pub Duration);

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the condition did not hold within {:?}", self.0)
    }
}

impl std::error::Error for TimedOut {}

/// Polls `probe` until it yields a value, or gives up after `bound`. The probe runs at least
/// once, even with a zero bound.
pub async fn wait_for<T, F, Fut>(bound: Duration, mut probe: F) -> Result<T, TimedOut>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        if let Some(value) = probe().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(TimedOut(bound));
        }
        tokio::time::sleep(INTERVAL).await;
    }
}

/// Polls `condition` until it holds, failing the test after `bound`.
pub async fn wait_until<F, Fut>(bound: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    if let Err(e) = wait_for(bound, || {
        let holds = condition();
        async move { holds.await.then_some(()) }
    })
    .await
    {
        panic!("{e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn returns_the_first_value_and_stops_polling() {
        let calls = AtomicU32::new(0);
        let value = wait_for(Duration::from_secs(5), || async {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            (n == 3).then_some(n * 10)
        })
        .await;
        assert_eq!(value, Ok(30));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_after_the_bound() {
        let bound = Duration::from_millis(120);
        let started = std::time::Instant::now();
        let result = wait_for(bound, || async { None::<()> }).await;
        assert_eq!(result, Err(TimedOut(bound)));
        assert!(started.elapsed() >= bound);
    }

    #[tokio::test]
    #[should_panic(expected = "did not hold within")]
    async fn wait_until_fails_the_test() {
        wait_until(Duration::from_millis(60), || async { false }).await;
    }
}
