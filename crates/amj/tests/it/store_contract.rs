//! The tenant store's contract, run on every backend.

use crate::support::each_backend;
use amj_connect::lifecycle::{LifecycleEvent, LifecyclePayload};
use amj_store::{InstallRequest, StoreError};

fn payload(client_key: &str, secret: &str, base_url: &str) -> LifecyclePayload {
    let body = serde_json::json!({
        "key": "amj", "clientKey": client_key, "sharedSecret": secret, "baseUrl": base_url,
        "productType": "jira", "description": "d", "serverVersion": "1", "pluginsVersion": "2",
        "oauthClientId": "oc", "installationId": "ari:x", "entitlementId": "e", "entitlementNumber": "E-1",
        "serviceEntitlementNumber": "SEN-1", "displayUrl": "https://custom.example.com", "eventType": "installed"
    });
    LifecyclePayload::parse(
        body.to_string().as_bytes(),
        LifecycleEvent::Installed,
        "amj",
    )
    .unwrap()
}

fn request<'a>(p: &'a LifecyclePayload, iat: i64, token: &'a str) -> InstallRequest<'a> {
    InstallRequest {
        payload: p,
        token_iat: iat,
        token,
        account_id: Some("557058:admin"),
    }
}

#[tokio::test]
async fn install_create_update_duplicate_and_stale() {
    each_backend(|db| async move {
        let store = db.store().await;
        let first = payload("c1", "S1", "https://a.atlassian.net");
        let created = store
            .apply_install(&request(&first, 100, "tok-1"))
            .await
            .unwrap();
        assert!(created.created && !created.secret_rotated && !created.duplicate);
        let tenant = store.tenant_by_client_key("c1").await.unwrap().unwrap();
        assert_eq!(tenant.shared_secret.expose(), "S1");
        assert_eq!(tenant.display_url(), "https://custom.example.com");
        assert_eq!(tenant.service_entitlement_number.as_deref(), Some("SEN-1"));
        assert_eq!(tenant.oauth_client_id.as_deref(), Some("oc"));
        assert_eq!(
            store.tenant(tenant.id).await.unwrap().unwrap().client_key,
            "c1"
        );

        let duplicate = store
            .apply_install(&request(&first, 100, "tok-1"))
            .await
            .unwrap();
        assert!(duplicate.duplicate && !duplicate.created);

        let second = payload("c1", "S2", "https://b.atlassian.net");
        let rotated = store
            .apply_install(&request(&second, 200, "tok-2"))
            .await
            .unwrap();
        assert!(rotated.secret_rotated && rotated.base_url_changed && !rotated.created);
        assert_eq!(rotated.tenant_id, tenant.id, "one row per clientKey");

        assert!(matches!(
            store.apply_install(&request(&first, 100, "tok-1")).await,
            Err(StoreError::StaleInstall)
        ));
        assert!(matches!(
            store.apply_install(&request(&first, 150, "tok-x")).await,
            Err(StoreError::StaleInstall)
        ));
        let now = store.tenant_by_client_key("c1").await.unwrap().unwrap();
        assert_eq!(now.shared_secret.expose(), "S2", "never rolled back");
        assert!(now.secret_rotated_at.is_some());

        let kinds: Vec<String> = store
            .lifecycle_events(tenant.id, None, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "base_url_changed",
                "secret_rotated",
                "installed",
                "installed",
                "installed"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn same_second_replay_of_an_applied_token_is_stale() {
    each_backend(|db| async move {
        let store = db.store().await;
        let first = payload("c1", "S1", "https://a.atlassian.net");
        let second = payload("c1", "S2", "https://a.atlassian.net");
        store
            .apply_install(&request(&first, 100, "tok-1"))
            .await
            .unwrap();
        store
            .apply_install(&request(&second, 100, "tok-2"))
            .await
            .unwrap();
        assert!(matches!(
            store.apply_install(&request(&first, 100, "tok-1")).await,
            Err(StoreError::StaleInstall)
        ));
        assert_eq!(
            store
                .tenant_by_client_key("c1")
                .await
                .unwrap()
                .unwrap()
                .shared_secret
                .expose(),
            "S2"
        );
    })
    .await;
}

#[tokio::test]
async fn each_lifecycle_token_is_applied_once() {
    each_backend(|db| async move {
        let store = db.store().await;
        let secret = |client_key: &str| {
            let store = store.clone();
            let client_key = client_key.to_owned();
            async move {
                store
                    .tenant_by_client_key(&client_key)
                    .await
                    .unwrap()
                    .unwrap()
                    .shared_secret
                    .expose()
                    .to_owned()
            }
        };
        let one = payload("c1", "S1", "https://a.atlassian.net");
        let two = payload("c1", "S2", "https://a.atlassian.net");
        let three = payload("c1", "S3", "https://a.atlassian.net");
        store
            .apply_install(&request(&one, 100, "tok-1"))
            .await
            .unwrap();
        store
            .apply_install(&request(&two, 100, "tok-2"))
            .await
            .unwrap();
        store
            .apply_install(&request(&three, 100, "tok-3"))
            .await
            .unwrap();
        for (p, token) in [(&one, "tok-1"), (&two, "tok-2")] {
            assert!(
                matches!(
                    store.apply_install(&request(p, 100, token)).await,
                    Err(StoreError::StaleInstall)
                ),
                "{token} was applied before: refused"
            );
        }
        assert_eq!(secret("c1").await, "S3");
        // The token applied last, with another body: not a re-delivery.
        assert!(matches!(
            store.apply_install(&request(&one, 100, "tok-3")).await,
            Err(StoreError::StaleInstall)
        ));
        assert_eq!(secret("c1").await, "S3");
        // Its exact re-delivery: idempotent, and it changes nothing.
        let before = store.tenant_by_client_key("c1").await.unwrap().unwrap();
        let again = store
            .apply_install(&request(&three, 100, "tok-3"))
            .await
            .unwrap();
        assert!(again.duplicate && !again.secret_rotated && !again.created);
        let after = store.tenant_by_client_key("c1").await.unwrap().unwrap();
        assert_eq!(after.updated_at, before.updated_at);
        assert_eq!(secret("c1").await, "S3");

        // Uninstall tokens too: after a same-second reinstall, the uninstall's replay is refused.
        let tenant = before.id;
        store
            .mark_uninstalled(tenant, 100, "u-1", None)
            .await
            .unwrap();
        store
            .mark_uninstalled(tenant, 100, "u-1", None)
            .await
            .expect("the uninstall's own re-delivery is idempotent");
        store
            .apply_install(&request(&two, 100, "tok-4"))
            .await
            .unwrap();
        assert!(matches!(
            store.mark_uninstalled(tenant, 100, "u-1", None).await,
            Err(StoreError::StaleInstall)
        ));
        assert!(matches!(
            store.mark_uninstalled(tenant, 100, "tok-3", None).await,
            Err(StoreError::StaleInstall)
        ));
        let now = store.tenant(tenant).await.unwrap().unwrap();
        assert!(now.installed);
        assert_eq!(now.shared_secret.expose(), "S2");
    })
    .await;
}

/// Concurrent deliveries of one token to a site not yet stored (PostgreSQL has no row to lock):
/// one is applied, and the others, now replays of an applied token, change nothing.
#[tokio::test]
async fn concurrent_first_installs_under_one_token_apply_once() {
    each_backend(|db| async move {
        let store = db.store().await;
        let attempts: Vec<_> = (0..4)
            .map(|i| {
                let store = store.clone();
                let p = payload("c1", &format!("S{i}"), "https://a.atlassian.net");
                tokio::spawn(async move { store.apply_install(&request(&p, 100, "tok-1")).await })
            })
            .collect();
        let mut results = Vec::new();
        for attempt in attempts {
            results.push(attempt.await.unwrap());
        }
        let applied: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_ok()).collect();
        assert_eq!(applied.len(), 1, "{results:?}");
        assert!(
            results
                .iter()
                .all(|r| r.is_ok() || matches!(r, Err(StoreError::StaleInstall)))
        );
        let stored = store.tenant_by_client_key("c1").await.unwrap().unwrap();
        assert_eq!(
            stored.shared_secret.expose(),
            format!("S{}", applied[0]),
            "the stored secret is the one applied"
        );
    })
    .await;
}

#[tokio::test]
async fn uninstall_enable_disable_and_isolation() {
    each_backend(|db| async move {
        let store = db.store().await;
        let one = payload("c1", "S1", "https://a.atlassian.net");
        let two = payload("c2", "T1", "https://b.atlassian.net");
        let a = store
            .apply_install(&request(&one, 100, "t1"))
            .await
            .unwrap()
            .tenant_id;
        let b = store
            .apply_install(&request(&two, 100, "t2"))
            .await
            .unwrap()
            .tenant_id;
        assert_eq!(store.count_installed_tenants().await.unwrap(), 2);

        assert!(
            matches!(
                store.mark_uninstalled(a, 50, "old", None).await,
                Err(StoreError::StaleInstall)
            ),
            "an older uninstall is a replay"
        );
        store.mark_uninstalled(a, 150, "u1", None).await.unwrap();
        let tenant = store.tenant(a).await.unwrap().unwrap();
        assert!(!tenant.installed && tenant.uninstalled_at.is_some());
        assert_eq!(tenant.shared_secret.expose(), "S1");
        assert!(
            store.tenant(b).await.unwrap().unwrap().installed,
            "the other site is untouched"
        );
        assert!(
            matches!(
                store.apply_install(&request(&one, 100, "t1")).await,
                Err(StoreError::StaleInstall)
            ),
            "no replay resurrects it"
        );

        store.set_enabled(b, false, Some("admin")).await.unwrap();
        assert!(!store.tenant(b).await.unwrap().unwrap().enabled);
        store.set_enabled(b, true, None).await.unwrap();
        assert!(store.tenant(b).await.unwrap().unwrap().enabled);
        assert_eq!(store.count_installed_tenants().await.unwrap(), 1);

        let b_events = store.lifecycle_events(b, None, 10).await.unwrap();
        assert_eq!(
            b_events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            ["enabled", "disabled", "installed"]
        );
        let a_events = store.lifecycle_events(a, None, 10).await.unwrap();
        assert!(
            a_events.iter().all(|e| e.kind != "enabled"),
            "events never leak across sites"
        );
        let page = store
            .lifecycle_events(b, Some(b_events[0].id), 1)
            .await
            .unwrap();
        assert_eq!(page, vec![b_events[1].clone()]);
    })
    .await;
}

#[tokio::test]
async fn secrets_are_encrypted_at_rest() {
    each_backend(|db| async move {
        let store = db.store().await;
        let p = payload("c1", "ATCO-super-secret-value", "https://a.atlassian.net");
        store.apply_install(&request(&p, 1, "t")).await.unwrap();
        let raw: String = match store.db() {
            amj_store::Db::Sqlite(pool) => {
                sqlx::query_scalar("SELECT shared_secret_enc FROM tenant")
                    .fetch_one(pool)
                    .await
                    .unwrap()
            }
            amj_store::Db::Postgres(pool) => {
                sqlx::query_scalar("SELECT shared_secret_enc FROM tenant")
                    .fetch_one(pool)
                    .await
                    .unwrap()
            }
        };
        assert!(!raw.contains("super-secret"));
        assert!(raw.starts_with("v1:"));
        // Another master key cannot read it.
        let other = amj_store::crypto::MasterKey::from_base64(
            &amj_store::crypto::MasterKey::generate_base64().unwrap(),
        )
        .unwrap();
        assert!(other.decrypt(&raw, "c1").is_err());
    })
    .await;
}
