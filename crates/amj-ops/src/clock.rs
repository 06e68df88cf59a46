//! The operations clock. Production reads the system clock; the incident drill replaces it with
//! a manual one, so minutes of alerting can be simulated in a second and every window edge is
//! exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// Epoch milliseconds, moved only by [`Clock::advance`].
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(start_millis: i64) -> Self {
        Clock::Manual(Arc::new(AtomicI64::new(start_millis)))
    }

    pub fn now_millis(&self) -> i64 {
        match self {
            Clock::System => now_millis(),
            Clock::Manual(now) => now.load(Ordering::Relaxed),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved, so this returns `false`.
    pub fn advance(&self, by: Duration) -> bool {
        match self {
            Clock::System => false,
            Clock::Manual(now) => {
                let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
                now.fetch_add(by, Ordering::Relaxed);
                true
            }
        }
    }
}

/// The system clock in epoch milliseconds: what every stored timestamp is. A clock before 1970
/// reads as 0 rather than failing a request.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = Clock::manual(1_000);
        assert_eq!(clock.now_millis(), 1_000);
        assert!(clock.advance(Duration::from_secs(60)));
        assert_eq!(clock.clone().now_millis(), 61_000);
        assert!(!Clock::System.advance(Duration::from_secs(1)));
        assert!(Clock::System.now_millis() > 1_700_000_000_000);
    }
}
