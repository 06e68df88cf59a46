//! The asset store's contract, run on every backend: every repository function does its job for
//! its tenant and nothing for another tenant holding the first one's ids.

use crate::support::each_backend;
use amj_connect::lifecycle::{LifecycleEvent, LifecyclePayload};
use amj_domain::ids::{AttributeId, TenantId, TypeId};
use amj_domain::{
    AssetTypeDraft, AttributeDraft, AttributeKind, AttributeValues, HistoryEvent, SchemaDraft,
    SchemaKey, StatusCategory, StatusDraft, Value,
};
use amj_store::assets::{AssetChange, ListRequest, NewAsset, Sort};
use amj_store::catalog::TypeUpdate;
use amj_store::links::{DeliveryOutcome, IssueRef};
use amj_store::{InstallRequest, Store, StoreError};

async fn tenant(store: &Store, client_key: &str) -> TenantId {
    let body = serde_json::json!({
        "key": "amj", "clientKey": client_key, "sharedSecret": "s".repeat(32),
        "baseUrl": format!("https://{client_key}.example.net"), "productType": "jira",
        "description": "d", "eventType": "installed"
    });
    let payload = LifecyclePayload::parse(
        body.to_string().as_bytes(),
        LifecycleEvent::Installed,
        "amj",
    )
    .unwrap();
    store
        .apply_install(&InstallRequest {
            payload: &payload,
            token_iat: 1,
            token: client_key,
            account_id: None,
        })
        .await
        .unwrap();
    store
        .tenant_by_client_key(client_key)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn named(values: &mut AttributeValues, attribute: AttributeId, name: &str) {
    values.set(attribute, vec![Value::Text(name.to_owned())]);
}

#[tokio::test]
async fn every_repository_function_is_scoped_to_its_tenant() {
    each_backend(|db| async move {
        let store = db.store().await;
        let one = tenant(&store, "one").await;
        let two = tenant(&store, "two").await;
        let key = SchemaKey::parse("IT").unwrap();
        let draft = SchemaDraft {
            key: "IT".into(),
            name: "IT".into(),
            description: String::new(),
            users_can_edit: false,
        };

        // Schemas.
        let schema = store.create_schema(one, &key, &draft).await.unwrap();
        assert!(matches!(
            store.create_schema(one, &key, &draft).await,
            Err(StoreError::Conflict {
                code: "schema_key_taken",
                ..
            })
        ));
        assert_eq!(store.list_schemas(one).await.unwrap().len(), 1);
        assert!(store.list_schemas(two).await.unwrap().is_empty());
        assert!(store.schema(two, schema.id).await.unwrap().is_none());
        assert!(store.schema_by_key(two, &key).await.unwrap().is_none());
        assert!(store.schema_model(two, schema.id).await.unwrap().is_none());
        assert!(
            store
                .update_schema(two, schema.id, "x", "", true)
                .await
                .unwrap()
                .is_none()
        );
        assert!(!store.delete_schema(two, schema.id).await.unwrap());
        let renamed = store
            .update_schema(one, schema.id, "IT assets", "d", true)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (renamed.name.as_str(), renamed.users_can_edit),
            ("IT assets", true)
        );

        // Statuses.
        let status_draft = StatusDraft {
            name: "Lost".into(),
            category: StatusCategory::Retired,
        };
        assert!(matches!(
            store.create_status(two, schema.id, &status_draft).await,
            Err(StoreError::NotFound { .. })
        ));
        let lost = store
            .create_status(one, schema.id, &status_draft)
            .await
            .unwrap();
        assert!(
            store
                .update_status(two, schema.id, lost.id, &status_draft)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            !store
                .delete_status(two, schema.id, lost.id, &[])
                .await
                .unwrap_or(false)
        );
        let stolen = StatusDraft {
            name: "Stolen".into(),
            category: StatusCategory::Retired,
        };
        assert_eq!(
            store
                .update_status(one, schema.id, lost.id, &stolen)
                .await
                .unwrap()
                .unwrap()
                .name,
            "Stolen"
        );
        assert!(
            store
                .delete_status(one, schema.id, lost.id, &[])
                .await
                .unwrap()
        );

        // Types and attributes.
        let type_draft = AssetTypeDraft {
            name: "Laptop".into(),
            parent_id: None,
            icon: "laptop".into(),
            description: String::new(),
            is_abstract: false,
        };
        assert!(matches!(
            store.create_type(two, schema.id, &type_draft).await,
            Err(StoreError::NotFound { .. })
        ));
        let laptop = store
            .create_type(one, schema.id, &type_draft)
            .await
            .unwrap();
        let name_attribute = laptop.label_attribute.unwrap();
        let orphan = AssetTypeDraft {
            parent_id: Some(TypeId(laptop.id.0 + 1000)),
            name: "Orphan".into(),
            ..type_draft.clone()
        };
        assert!(
            store.create_type(one, schema.id, &orphan).await.is_err(),
            "a parent must exist on the site"
        );
        assert_eq!(
            store.schema_of_type(one, laptop.id).await.unwrap(),
            Some(schema.id)
        );
        assert_eq!(store.schema_of_type(two, laptop.id).await.unwrap(), None);
        let serial = AttributeDraft {
            name: "Serial".into(),
            kind: AttributeKind::Text { regex: None },
            required: false,
            unique: true,
            description: String::new(),
        };
        assert!(
            store
                .create_attribute(two, schema.id, laptop.id, &serial)
                .await
                .is_err()
        );
        let serial_def = store
            .create_attribute(one, schema.id, laptop.id, &serial)
            .await
            .unwrap();
        assert_eq!(
            store.schema_of_attribute(one, serial_def.id).await.unwrap(),
            Some(schema.id)
        );
        assert_eq!(
            store.schema_of_attribute(two, serial_def.id).await.unwrap(),
            None
        );
        assert!(
            store
                .update_attribute(two, schema.id, serial_def.id, &serial)
                .await
                .unwrap()
                .is_none()
        );
        let update = TypeUpdate {
            name: "Notebook".into(),
            icon: "laptop".into(),
            description: String::new(),
            is_abstract: false,
            parent_id: None,
            label_attribute: Some(name_attribute),
        };
        assert!(
            store
                .update_type(two, schema.id, laptop.id, &update)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store
                .update_type(one, schema.id, laptop.id, &update)
                .await
                .unwrap()
                .unwrap()
                .name,
            "Notebook"
        );
        let model = store.schema_model(one, schema.id).await.unwrap().unwrap();
        assert_eq!(
            model.types.get(laptop.id).unwrap().name,
            "Notebook",
            "the cached model follows changes"
        );

        // Assets.
        let new_asset = |name: &str, serial: &str| {
            let mut values = AttributeValues::default();
            named(&mut values, name_attribute, name);
            values.set(serial_def.id, vec![Value::Text(serial.to_owned())]);
            NewAsset {
                type_id: laptop.id,
                status_id: model.default_status().unwrap(),
                label: name.to_owned(),
                values,
            }
        };
        assert!(matches!(
            store
                .create_assets(two, &model, &[new_asset("x", "X")], "t")
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let created = store
            .create_assets(
                one,
                &model,
                &[new_asset("a", "A"), new_asset("b", "B")],
                "u1",
            )
            .await
            .unwrap();
        assert_eq!(
            created
                .iter()
                .map(|a| a.key.to_string())
                .collect::<Vec<_>>(),
            ["IT-1", "IT-2"]
        );
        assert!(matches!(
            store.create_assets(one, &model, &[new_asset("c", "A")], "u1").await,
            Err(StoreError::InvalidRows(rows)) if rows[0].0 == 0
        ));
        assert_eq!(store.count_assets(one, schema.id).await.unwrap(), 2);
        assert_eq!(store.count_assets(two, schema.id).await.unwrap(), 0);
        assert!(store.asset_by_key(two, &model, 1).await.unwrap().is_none());
        assert!(
            store
                .assets_by_numbers(two, &model, &[1, 2])
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .assets_by_numbers(one, &model, &[1, 2, 3])
                .await
                .unwrap()
                .len(),
            2
        );
        let everything = ListRequest {
            limit: 50,
            sort: Sort::Label,
            ..ListRequest::default()
        };
        assert!(
            store
                .list_assets(two, &model, &everything)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert_eq!(
            store
                .list_assets(one, &model, &everything)
                .await
                .unwrap()
                .items
                .len(),
            2
        );

        let first = &created[0];
        let mut values = first.values.clone();
        named(&mut values, name_attribute, "a2");
        let change = AssetChange {
            id: first.id,
            expected_version: 1,
            status_id: first.status_id,
            label: "a2".into(),
            values,
            events: vec![HistoryEvent::Restored],
        };
        assert!(
            store
                .update_assets(two, &model, std::slice::from_ref(&change), "t")
                .await
                .is_err()
        );
        let updated = store
            .update_assets(one, &model, std::slice::from_ref(&change), "u1")
            .await
            .unwrap();
        assert_eq!((updated[0].version, updated[0].label.as_str()), (2, "a2"));
        assert!(matches!(
            store.update_assets(one, &model, &[change], "u1").await,
            Err(StoreError::StaleVersion { current: 2, .. })
        ));
        assert!(
            store
                .set_archived(two, &model, first.id, 2, true, "t")
                .await
                .is_err()
        );
        assert!(
            store
                .set_archived(one, &model, first.id, 2, true, "u1")
                .await
                .unwrap()
                .archived
        );

        let (history, _) = store.asset_history(one, first.id, None, 10).await.unwrap();
        assert_eq!(history.len(), 3);
        assert!(
            store
                .asset_history(two, first.id, None, 10)
                .await
                .unwrap()
                .0
                .is_empty()
        );
        assert!(
            store
                .inbound_references(two, &model, first.id, None, 10)
                .await
                .unwrap()
                .0
                .is_empty()
        );

        // Links and webhooks.
        let issue = IssueRef {
            id: 10001,
            key: "AM-1".into(),
            summary: "s".into(),
        };
        assert!(
            !store.link_issue(two, first.id, &issue, "t").await.unwrap(),
            "cannot link another site's asset"
        );
        assert!(store.link_issue(one, first.id, &issue, "u1").await.unwrap());
        assert!(
            store
                .issues_of_asset(two, first.id)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.assets_of_issue(two, 10001).await.unwrap().is_empty());
        assert!(!store.unlink_issue(two, first.id, 10001, "t").await.unwrap());
        assert_eq!(
            store.apply_issue_deleted(two, "d-1", 10001).await.unwrap(),
            DeliveryOutcome::Applied { assets: vec![] }
        );
        let moved = IssueRef {
            id: 10001,
            key: "OPS-1".into(),
            summary: "s".into(),
        };
        assert_eq!(
            store.apply_issue_updated(two, "d-2", &moved).await.unwrap(),
            DeliveryOutcome::Applied { assets: vec![] }
        );
        assert_eq!(
            store.issues_of_asset(one, first.id).await.unwrap()[0].issue_key,
            "AM-1"
        );
        assert_eq!(
            store.apply_issue_updated(one, "d-2", &moved).await.unwrap(),
            DeliveryOutcome::Applied {
                assets: vec![first.id]
            },
            "delivery ids are per site"
        );
        assert_eq!(
            store.apply_issue_updated(one, "d-2", &moved).await.unwrap(),
            DeliveryOutcome::Duplicate
        );
        assert_eq!(
            store.assets_of_issue(one, 10001).await.unwrap()[0].key(),
            "IT-1"
        );
        assert!(
            store
                .unlink_issue(one, first.id, 10001, "u1")
                .await
                .unwrap()
        );

        // API tokens.
        let issued = store
            .create_api_token(one, "script", false, "u1")
            .await
            .unwrap();
        assert!(store.list_api_tokens(two).await.unwrap().is_empty());
        assert!(!store.revoke_api_token(two, issued.token.id).await.unwrap());
        let found = store.find_api_token(&issued.secret).await.unwrap().unwrap();
        assert_eq!(found.tenant_id, one.0);
        assert!(store.find_api_token("amj_wrong").await.unwrap().is_none());
        assert!(store.revoke_api_token(one, issued.token.id).await.unwrap());
        assert!(
            store
                .find_api_token(&issued.secret)
                .await
                .unwrap()
                .is_none()
        );

        // Deleting: refused while in use, allowed when empty.
        assert!(matches!(
            store.delete_type(one, schema.id, laptop.id).await,
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            store.delete_schema(one, schema.id).await,
            Err(StoreError::Conflict { .. })
        ));
        assert!(
            !store
                .delete_type(two, schema.id, laptop.id)
                .await
                .unwrap_or(false)
        );
        assert!(matches!(
            store.delete_attribute(one, schema.id, name_attribute).await,
            Err(StoreError::Conflict {
                code: "label_attribute",
                ..
            })
        ));
        assert!(
            store
                .delete_attribute(one, schema.id, serial_def.id)
                .await
                .unwrap()
        );
        store.close().await;
    })
    .await;
}
