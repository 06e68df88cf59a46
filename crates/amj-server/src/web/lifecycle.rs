//! Lifecycle callbacks, in the verification order of docs/CONNECT.md §3.4: body, host allow-list,
//! token, algorithm, key, signature and claims, and only then the store. `installed` answers 204
//! only after the new record has committed; a store failure answers 5xx so Jira marks the install
//! failed instead of signing with a secret we never saved.

use super::AppState;
use super::error::AppError;
use crate::auth::{AuthFailure, RequestTarget, unix_now};
use amj_connect::jwt::{Checks, ConnectClaims, QshCheck, Unverified, extract_token};
use amj_connect::lifecycle::{
    LifecycleAuthError, LifecycleEvent, LifecyclePayload, SignedLifecycleCheck,
    verify_signed_lifecycle,
};
use amj_connect::{AuthError, AuthReason, RouteKind};
use amj_store::InstallRequest;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, Uri};

/// Every lifecycle answer is counted, and a 5xx raises the lifecycle alert for the site: Jira
/// marks such an install failed, and the site is left with a secret we do not hold.
async fn observed(
    state: &AppState,
    event: LifecycleEvent,
    body: &[u8],
    result: Result<StatusCode, AppError>,
) -> Result<StatusCode, AppError> {
    let status = match &result {
        Ok(status) => status.as_u16(),
        Err(e) => e.status().as_u16(),
    };
    // Only a 5xx names its site (for the lifecycle alert), so only then is the body read again.
    // It may be what failed; the site is named from it when it can be read at all.
    let (tenant, base_url) = if status >= 500 {
        let identity = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                Some((
                    v.get("clientKey")?.as_str()?.to_owned(),
                    v.get("baseUrl")?.as_str()?.to_owned(),
                ))
            });
        match identity {
            Some((client_key, base_url)) => (
                state
                    .store
                    .tenant_by_client_key(&client_key)
                    .await
                    .ok()
                    .flatten(),
                base_url,
            ),
            None => (None, String::new()),
        }
    } else {
        (None, String::new())
    };
    state
        .monitor
        .lifecycle(event.as_str(), status, tenant.as_ref(), &base_url);
    result
}

macro_rules! observed_handler {
    ($name:ident, $inner:ident, $event:expr) => {
        pub async fn $name(
            State(state): State<AppState>,
            OriginalUri(uri): OriginalUri,
            headers: HeaderMap,
            body: Bytes,
        ) -> Result<StatusCode, AppError> {
            let result = $inner(
                State(state.clone()),
                OriginalUri(uri),
                headers,
                body.clone(),
            )
            .await;
            observed(&state, $event, &body, result).await
        }
    };
}

observed_handler!(installed, installed_inner, LifecycleEvent::Installed);
observed_handler!(uninstalled, uninstalled_inner, LifecycleEvent::Uninstalled);
observed_handler!(enabled, enabled_inner, LifecycleEvent::Enabled);
observed_handler!(disabled, disabled_inner, LifecycleEvent::Disabled);

struct LifecycleRequest {
    payload: LifecyclePayload,
    token: Option<String>,
}

/// Steps 1 to 3: parse the body, check the site against the allow-list, find the token.
fn read_request(
    state: &AppState,
    event: LifecycleEvent,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<LifecycleRequest, AppError> {
    let payload = LifecyclePayload::parse(body, event, &state.config.app_key)
        .map_err(|e| AppError::bad_request("invalid_lifecycle_payload", e.0))?;
    tracing::Span::current().record("tenant", payload.client_key.as_str());
    if let Err(why) = state.config.allowed_hosts.allows(&payload.base_url) {
        let error = AuthError::new(AuthReason::HostNotAllowed, format!("baseUrl {why}"));
        state
            .counters
            .record_failure(RouteKind::Lifecycle, error.reason, None);
        return Err(error.into());
    }
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = match extract_token(uri.query(), authorization, true) {
        Ok((token, _)) => Some(token),
        Err(e) if e.reason == AuthReason::MissingToken => None,
        Err(e) => return Err(e.into()),
    };
    Ok(LifecycleRequest { payload, token })
}

fn expected_qsh(state: &AppState, uri: &Uri) -> String {
    amj_connect::qsh::qsh("POST", uri.path(), uri.query(), &state.config.base_path())
}

/// Steps 4 to 6 for `installed`/`uninstalled`. Returns `None` only for the unsigned first install
/// that legacy mode accepts.
async fn verify_install_token(
    state: &AppState,
    request: &LifecycleRequest,
    uri: &Uri,
) -> Result<Option<ConnectClaims>, AppError> {
    let payload = &request.payload;
    let counted = |error: AuthError| {
        state.counters.record_failure(
            RouteKind::Lifecycle,
            error.reason,
            state.tenants.peek(Some(&payload.client_key)).as_deref(),
        );
        AppError::from(error)
    };
    let Some(token) = request.token.as_deref() else {
        if state.config.legacy_installs
            && state
                .store
                .tenant_by_client_key(&payload.client_key)
                .await?
                .is_none()
        {
            tracing::warn!("accepting an unsigned first install (legacy mode)");
            return Ok(None);
        }
        return Err(counted(AuthError::new(
            AuthReason::MissingToken,
            "lifecycle callbacks must be signed (Authorization: JWT)",
        )));
    };
    let unverified = Unverified::parse(token).map_err(counted)?;
    if unverified.alg == "HS256" && state.config.legacy_installs {
        return verify_legacy(state, &unverified, payload, uri)
            .await
            .map(Some)
            .map_err(|e| match e {
                LegacyError::Auth(a) => counted(a),
                LegacyError::App(app) => app,
            });
    }
    let check = SignedLifecycleCheck {
        app_base_url: state.config.base_url_str(),
        expected_qsh: expected_qsh(state, uri),
        now: unix_now(),
        leeway_secs: state.config.jwt_leeway_secs,
    };
    match verify_signed_lifecycle(token, payload, state.keys.as_ref(), &check).await {
        Ok(claims) => {
            state.counters.record_success(RouteKind::Lifecycle, None);
            Ok(Some(claims))
        }
        Err(LifecycleAuthError::Auth(e)) => Err(counted(e)),
        Err(LifecycleAuthError::ClientKeyMismatch) => Err(AppError::Forbidden {
            code: "client_key_mismatch",
            message: "clientKey in install payload did not match the token's issuer".into(),
        }),
    }
}

enum LegacyError {
    Auth(AuthError),
    App(AppError),
}

/// The pre-2021 scheme: a reinstall signed HS256 with the secret we already hold for the site.
async fn verify_legacy(
    state: &AppState,
    unverified: &Unverified<'_>,
    payload: &LifecyclePayload,
    uri: &Uri,
) -> Result<ConnectClaims, LegacyError> {
    let Some(tenant) = state
        .store
        .tenant_by_client_key(&payload.client_key)
        .await
        .map_err(|e| LegacyError::App(e.into()))?
    else {
        return Err(LegacyError::Auth(AuthError::new(
            AuthReason::UnknownIssuer,
            "an HS256 install needs a site we already know",
        )));
    };
    let checks = Checks {
        now: unix_now(),
        leeway_secs: state.config.jwt_leeway_secs,
        qsh: QshCheck::Exact(expected_qsh(state, uri)),
        audience: None,
    };
    let claims = unverified
        .verify_hs256(tenant.shared_secret.expose().as_bytes(), &checks)
        .map_err(LegacyError::Auth)?;
    if claims.iss != payload.client_key {
        return Err(LegacyError::App(AppError::Forbidden {
            code: "client_key_mismatch",
            message: "clientKey in install payload did not match the token's issuer".into(),
        }));
    }
    Ok(claims)
}

async fn installed_inner(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let request = read_request(&state, LifecycleEvent::Installed, &uri, &headers, &body)?;
    let claims = verify_install_token(&state, &request, &uri).await?;
    #[cfg(feature = "fault-injection")]
    let request = inject_ignored_rotation(&state, request).await?;
    let install = InstallRequest {
        payload: &request.payload,
        token_iat: claims.as_ref().map_or(0, |c| c.iat),
        token: request.token.as_deref().unwrap_or(""),
        account_id: claims.as_ref().and_then(ConnectClaims::account_id),
    };
    let outcome = state.store.apply_install(&install).await;
    // Evict whatever happened: even a failed commit must not leave a cached record in doubt.
    state.tenants.invalidate(&request.payload.client_key);
    if let Some(installation_id) = request.payload.installation_id.as_deref() {
        state.tenants.invalidate(&format!(
            "{}{installation_id}",
            amj_store::forge::FORGE_INSTALLATION_NOTICE
        ));
    }
    let outcome = outcome?;
    if outcome.secret_rotated
        && let Ok(Some(tenant)) = state
            .store
            .tenant_by_client_key(&request.payload.client_key)
            .await
    {
        state.monitor.secret_rotated(&tenant);
    }
    tracing::info!(
        created = outcome.created,
        secret_rotated = outcome.secret_rotated,
        base_url_changed = outcome.base_url_changed,
        reinstalled = outcome.reinstalled,
        duplicate = outcome.duplicate,
        "install applied"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// The March-2022 bug, on demand (`fault-injection` builds only): a rotation is acknowledged but the site
/// keeps its old secret, so every later request from Jira fails.
#[cfg(feature = "fault-injection")]
async fn inject_ignored_rotation(
    state: &AppState,
    mut request: LifecycleRequest,
) -> Result<LifecycleRequest, AppError> {
    if state.config.faults.ignore_rotated_secrets()
        && let Some(existing) = state
            .store
            .tenant_by_client_key(&request.payload.client_key)
            .await?
    {
        tracing::warn!("fault injection: ignoring the rotated secret");
        request.payload.shared_secret = Some(existing.shared_secret.expose().to_owned());
    }
    Ok(request)
}

async fn uninstalled_inner(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let request = read_request(&state, LifecycleEvent::Uninstalled, &uri, &headers, &body)?;
    if request.token.is_none() {
        state
            .counters
            .record_failure(RouteKind::Lifecycle, AuthReason::MissingToken, None);
        return Err(AuthError::new(
            AuthReason::MissingToken,
            "lifecycle callbacks must be signed (Authorization: JWT)",
        )
        .into());
    }
    let claims = verify_install_token(&state, &request, &uri).await?;
    let Some(tenant) = state
        .store
        .tenant_by_client_key(&request.payload.client_key)
        .await?
    else {
        // Nothing to forget: the site is gone from Jira anyway.
        return Ok(StatusCode::NO_CONTENT);
    };
    let iat = claims.as_ref().map_or(0, |c| c.iat);
    let account = claims.as_ref().and_then(ConnectClaims::account_id);
    let result = state
        .store
        .mark_uninstalled(
            tenant.id,
            iat,
            request.token.as_deref().unwrap_or(""),
            account,
        )
        .await;
    state.tenants.invalidate(&tenant.client_key);
    result?;
    tracing::info!("site uninstalled; its data is kept");
    Ok(StatusCode::NO_CONTENT)
}

async fn notification(
    state: AppState,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    event: LifecycleEvent,
) -> Result<StatusCode, AppError> {
    let request = read_request(&state, event, &uri, &headers, &body)?;
    let Some(token) = request.token.as_deref() else {
        // AC-2561: Jira sometimes sends `disabled` after an uninstall, without a token.
        if event == LifecycleEvent::Disabled
            && state
                .store
                .tenant_by_client_key(&request.payload.client_key)
                .await?
                .is_none_or(|t| !t.installed)
        {
            return Ok(StatusCode::NO_CONTENT);
        }
        state.counters.record_failure(
            RouteKind::LifecycleNotification,
            AuthReason::MissingToken,
            None,
        );
        return Err(AuthError::new(
            AuthReason::MissingToken,
            "lifecycle callbacks must be signed (Authorization: JWT)",
        )
        .into());
    };
    let target = RequestTarget {
        method: "POST",
        path: uri.path(),
        query: uri.query(),
    };
    let auth = state
        .auth
        .authenticate(RouteKind::LifecycleNotification, token, target)
        .await
        .map_err(|e: AuthFailure| AppError::from(e))?;
    if auth.tenant.client_key != request.payload.client_key {
        return Err(AppError::Forbidden {
            code: "client_key_mismatch",
            message: "clientKey in the payload did not match the token's issuer".into(),
        });
    }
    let result = state
        .store
        .set_enabled(
            auth.tenant.id,
            event == LifecycleEvent::Enabled,
            auth.account_id.as_deref(),
        )
        .await;
    state.tenants.invalidate(&auth.tenant.client_key);
    result?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enabled_inner(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    notification(state, uri, headers, body, LifecycleEvent::Enabled).await
}

async fn disabled_inner(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    notification(state, uri, headers, body, LifecycleEvent::Disabled).await
}
