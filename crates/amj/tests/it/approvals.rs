//! The schema's request approval policy on both backends: unset at first, validated, admins
//! only, stored normalised, applied by every instance through the catalog, and cleared.

use crate::support::{codes, each_backend};
use amj_testkit::api::Api;
use serde_json::json;

#[tokio::test]
async fn the_approval_policy_is_validated_stored_and_cleared() {
    each_backend(|db| async move {
        let api = Api::start(&db).await;
        api.it_schema().await;
        let path = "/api/v1/schemas/IT/request-policy";
        assert_eq!(api.ok("GET", path, None).await, json!({"policy": null}));

        let (status, body) = api
            .call("PUT", path, &api.admin, Some(json!({"project": "am", "approveCategory": "new", "rejectStatuses": ["Declined"]})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            codes(&body),
            [
                ("project".into(), "format".into()),
                ("approveCategory".into(), "reference_target".into()),
            ]
        );
        let (status, body) = api
            .call("PUT", path, &api.admin, Some(json!({"project": "AM", "rejectStatuses": ["Declined"]})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("approveStatuses".into(), "required".into())]));
        let (status, body) = api
            .call("PUT", path, &api.admin, Some(json!({"project": "AM", "approveStatuses": ["Approved"], "rejectStatuses": ["approved"]})))
            .await;
        assert_eq!((status, codes(&body)), (400, vec![("rejectStatuses".into(), "duplicate_value".into())]));
        let good = json!({"project": "AM", "approveStatuses": [" Approved ", "approved"], "rejectStatuses": ["Declined"]});
        let (status, _) = api.call("PUT", path, &api.user, Some(good.clone())).await;
        assert_eq!(status, 403, "only admins set it");

        let stored = api.ok("PUT", path, Some(good)).await;
        let expected = json!({"policy": {"project": "AM", "approveCategory": null, "approveStatuses": ["Approved"], "rejectStatuses": ["Declined"]}});
        assert_eq!(stored, expected);
        assert_eq!(api.ok("GET", path, None).await, expected, "read back through the catalog");

        let (status, _) = api.call("DELETE", path, &api.user, None).await;
        assert_eq!(status, 403);
        let (status, _) = api.call("DELETE", path, &api.admin, None).await;
        assert_eq!(status, 204);
        assert_eq!(api.ok("GET", path, None).await, json!({"policy": null}));
        api.stop().await;
    })
    .await;
}
