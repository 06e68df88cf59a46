//! Authentication outcome counters, by route kind and reason code, plus a bounded per-site view.
//!
//! The March-2022 outage went unnoticed because nothing counted 401s per site. These counters are
//! what the operations layer exposes and alerts on. Per-site data is a bounded map in memory (never
//! Prometheus labels), so 10⁵ sites cannot explode metric cardinality.

use crate::ops::monitor::Monitor;
use amj_connect::{AuthReason, RouteKind};
use amj_domain::ids::TenantId;
use amj_store::Tenant;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

const KINDS: usize = RouteKind::ALL.len();
const REASONS: usize = AuthReason::ALL.len();
const MAX_TRACKED_TENANTS: usize = 100_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantAuthHealth {
    pub successes: u64,
    pub failures_by_reason: [u64; REASONS],
    pub last_success_at: Option<i64>,
    pub last_failure_at: Option<i64>,
    pub last_failure_reason: Option<AuthReason>,
    /// Calls we made to this site's Jira that it answered 401: our secret is stale there.
    pub outbound_unauthorized: u64,
}

impl TenantAuthHealth {
    pub fn failures(&self) -> u64 {
        self.failures_by_reason.iter().sum()
    }
}

pub struct AuthCounters {
    successes: [AtomicU64; KINDS],
    failures: [[AtomicU64; REASONS]; KINDS],
    outbound_unauthorized: AtomicU64,
    per_tenant: Mutex<HashMap<TenantId, TenantAuthHealth>>,
    /// Metrics and alerting see every outcome too.
    monitor: Option<Arc<Monitor>>,
}

impl Default for AuthCounters {
    fn default() -> Self {
        Self {
            successes: std::array::from_fn(|_| AtomicU64::new(0)),
            failures: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            outbound_unauthorized: AtomicU64::new(0),
            per_tenant: Mutex::new(HashMap::new()),
            monitor: None,
        }
    }
}

impl AuthCounters {
    pub fn with_monitor(monitor: Arc<Monitor>) -> Self {
        Self {
            monitor: Some(monitor),
            ..Self::default()
        }
    }

    pub fn monitor(&self) -> Option<&Monitor> {
        self.monitor.as_deref()
    }

    pub fn record_success(&self, kind: RouteKind, tenant: Option<&Tenant>) {
        if let Some(monitor) = &self.monitor {
            monitor.auth(kind, None, tenant);
        }
        self.successes[kind.index()].fetch_add(1, Relaxed);
        if let Some(tenant) = tenant {
            self.with_tenant(tenant.id, |h| {
                h.successes += 1;
                h.last_success_at = Some(amj_store::now_millis());
            });
        }
    }

    pub fn record_failure(&self, kind: RouteKind, reason: AuthReason, tenant: Option<&Tenant>) {
        if let Some(monitor) = &self.monitor {
            monitor.auth(kind, Some(reason), tenant);
        }
        self.failures[kind.index()][reason.index()].fetch_add(1, Relaxed);
        if let Some(tenant) = tenant {
            tracing::warn!(tenant = %tenant.client_key, route_kind = kind.label(), reason = reason.code(), "request refused");
            self.with_tenant(tenant.id, |h| {
                h.failures_by_reason[reason.index()] += 1;
                h.last_failure_at = Some(amj_store::now_millis());
                h.last_failure_reason = Some(reason);
            });
        } else {
            tracing::info!(
                route_kind = kind.label(),
                reason = reason.code(),
                "request refused"
            );
        }
    }

    pub fn record_outbound_unauthorized(&self, tenant: &Tenant) {
        self.outbound_unauthorized.fetch_add(1, Relaxed);
        self.with_tenant(tenant.id, |h| h.outbound_unauthorized += 1);
    }

    fn with_tenant(&self, tenant: TenantId, update: impl FnOnce(&mut TenantAuthHealth)) {
        if let Ok(mut map) = self.per_tenant.lock() {
            if map.len() >= MAX_TRACKED_TENANTS && !map.contains_key(&tenant) {
                // Drop an arbitrary quiet entry rather than grow without bound.
                if let Some(victim) = map
                    .iter()
                    .min_by_key(|(_, h)| h.last_success_at.max(h.last_failure_at))
                    .map(|(k, _)| *k)
                {
                    map.remove(&victim);
                }
            }
            update(map.entry(tenant).or_default());
        }
    }

    pub fn successes(&self, kind: RouteKind) -> u64 {
        self.successes[kind.index()].load(Relaxed)
    }

    pub fn failures(&self, kind: RouteKind, reason: AuthReason) -> u64 {
        self.failures[kind.index()][reason.index()].load(Relaxed)
    }

    pub fn total_failures(&self, reason: AuthReason) -> u64 {
        RouteKind::ALL
            .iter()
            .map(|k| self.failures(*k, reason))
            .sum()
    }

    pub fn outbound_unauthorized(&self) -> u64 {
        self.outbound_unauthorized.load(Relaxed)
    }

    pub fn tenant(&self, tenant: TenantId) -> TenantAuthHealth {
        self.per_tenant
            .lock()
            .ok()
            .and_then(|m| m.get(&tenant).cloned())
            .unwrap_or_default()
    }
}
