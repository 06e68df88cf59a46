//! The HTTP edge: router, shared state and cross-cutting layers. Handlers are thin: extractors
//! hand them the authenticated caller and the schema or asset their route names (`resource`),
//! and they call a service (`crate::assets`, `crate::issues`, `crate::query`) or the store.

pub mod api;
pub(crate) mod assets_api;
pub(crate) mod booking_api;
pub(crate) mod caller;
pub(crate) mod catalog_api;
pub mod connection_api;
pub(crate) mod custody_api;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod field_api;
pub(crate) mod forge_events;
pub(crate) mod health;
pub(crate) mod kit_api;
pub(crate) mod licence_api;
pub(crate) mod lifecycle;
pub mod openapi;
pub mod pages;
pub(crate) mod query_api;
pub mod reports_api;
pub(crate) mod request_api;
pub(crate) mod resource;
pub(crate) mod shared;
pub(crate) mod status;
pub(crate) mod stock_api;
pub mod ui;
pub mod views_api;
pub(crate) mod webhooks;

/// The query answer's body, for the page bench (it times what the list's first view gets).
pub use query_api::query_page_body;

use crate::auth::{AuthCounters, RequestAuthenticator, TenantDirectory};
use crate::config::AppConfig;
use crate::jira::JiraClient;
use crate::ops::monitor::Monitor;
use crate::ops::watch::Watch;
use amj_connect::install_keys::InstallKeyStore;
use amj_store::Store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

pub struct AppInner {
    pub config: AppConfig,
    pub store: Store,
    pub tenants: Arc<TenantDirectory>,
    pub auth: RequestAuthenticator,
    /// Forge Remote authentication; `None` unless `--forge-app-id` is set.
    pub forge: Option<crate::auth::forge::ForgeAuthenticator>,
    pub keys: Arc<dyn InstallKeyStore>,
    pub counters: Arc<AuthCounters>,
    pub jira: JiraClient,
    pub descriptor: Arc<amj_connect::descriptor::Descriptor>,
    pub admins: caller::AdminCache,
    pub monitor: Arc<Monitor>,
    pub watch: Arc<Watch>,
    /// Wakes the Forge event worker when an event is stored.
    pub forge_events: tokio::sync::Notify,
}

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        config: AppConfig,
        store: Store,
        keys: Arc<dyn InstallKeyStore>,
    ) -> anyhow::Result<Self> {
        let monitor = Arc::new(Monitor::new(
            config.alerts.clone(),
            config.clock.clone(),
            Arc::clone(&keys),
        ));
        let counters = Arc::new(AuthCounters::with_monitor(Arc::clone(&monitor)));
        let watch = Arc::new(Watch::new(
            store.clone(),
            Arc::clone(&monitor),
            config.alert_sinks.clone(),
            config.base_url_str().to_owned(),
            config.watch_every,
        )?);
        let tenants = Arc::new(TenantDirectory::new(store.clone(), config.tenant_cache_ttl));
        let auth = RequestAuthenticator {
            directory: Arc::clone(&tenants),
            counters: Arc::clone(&counters),
            app_base_path: config.base_path(),
            leeway_secs: config.jwt_leeway_secs,
        };
        let held_tokens = crate::auth::forge::held_tokens();
        let forge = match &config.forge_app {
            Some(app) => {
                let jwks = Arc::new(amj_connect::forge::HttpJwks::new(&config.forge_jwks_url)?);
                monitor.watch_jwks(Arc::clone(&jwks));
                #[allow(unused_mut)]
                let mut forge = crate::auth::forge::ForgeAuthenticator::new(
                    amj_connect::forge::FitConfig::new(app.clone()),
                    Arc::clone(&jwks) as Arc<dyn amj_connect::forge::FitKeys>,
                    Some(jwks),
                    Arc::clone(&tenants),
                    Arc::clone(&counters),
                    config.app_key.clone(),
                    held_tokens.clone(),
                );
                #[cfg(feature = "fault-injection")]
                {
                    forge.faults = Some(config.faults.clone());
                }
                Some(forge)
            }
            None => None,
        };
        let jira = JiraClient::new(
            config.app_key.clone(),
            Arc::clone(&counters),
            config.allowed_hosts.clone(),
        )?
        .with_forge_tokens(store.clone(), held_tokens);
        let descriptor = crate::descriptor::app_descriptor(&config);
        if let Err(problems) = descriptor.validate() {
            anyhow::bail!("the app descriptor is invalid: {}", problems.join("; "));
        }
        let descriptor = Arc::new(descriptor);
        Ok(Self(Arc::new(AppInner {
            config,
            store,
            tenants,
            auth,
            forge,
            keys,
            counters,
            jira,
            descriptor,
            admins: caller::AdminCache::default(),
            monitor,
            watch,
            forge_events: tokio::sync::Notify::new(),
        })))
    }
}

/// Request ids: a per-process random prefix and a counter, cheap and unique enough to grep logs.
#[derive(Clone)]
struct SequentialRequestId {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for SequentialRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.prefix)
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn build_app(state: AppState) -> Router {
    let mut prefix = [0u8; 4];
    let _ = aws_lc_rs::rand::fill(&mut prefix);
    let request_ids = SequentialRequestId {
        prefix: hex::encode(prefix).into(),
        next: Arc::new(AtomicU64::new(1)),
    };

    let lifecycle = Router::new()
        .route("/installed", post(lifecycle::installed))
        .route("/uninstalled", post(lifecycle::uninstalled))
        .route("/enabled", post(lifecycle::enabled))
        .route("/disabled", post(lifecycle::disabled))
        .layer(DefaultBodyLimit::max(64 * 1024));

    let realm = HeaderValue::from_str(&format!("JWT realm=\"{}\"", state.config.app_key))
        .unwrap_or_else(|_| HeaderValue::from_static(error::APP_REALM_HEADER));

    Router::new()
        .route("/atlassian-connect.json", get(pages::descriptor))
        .merge(lifecycle)
        .route("/pages/assets", get(pages::assets))
        .route("/pages/admin", get(pages::admin))
        .route("/pages/issue-glance", get(pages::issue_glance))
        .route("/pages/gadget", get(pages::gadget))
        .route("/static/{file}", get(pages::static_file))
        .route("/ui/{*path}", get(ui::bundle_file))
        .route("/webhooks/issue-deleted", post(webhooks::issue_deleted))
        .route("/webhooks/issue-updated", post(webhooks::issue_updated))
        .route(
            crate::descriptor::FORGE_EVENTS_PATH,
            post(forge_events::forge_event).layer(DefaultBodyLimit::max(256 * 1024)),
        )
        .merge(api_routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/status", get(status::status_page))
        .route("/status.json", get(status::status_json))
        .merge(ops_routes(state.config.ops_separate))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .with_state(state.clone())
        .layer(axum::middleware::map_response_with_state(realm, name_realm))
        .layer(axum::middleware::map_response_with_state(
            SecurityHeaders::for_base_url(state.config.base_url.scheme()),
            security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state.monitor),
            status::track_http,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                // Never the raw URI: it carries `?jwt=`.
                let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
                let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                tracing::info_span!("request", method = %request.method(), route, request_id, tenant = tracing::field::Empty)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, request_ids))
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
            HeaderName::from_static("x-forge-oauth-system"),
            HeaderName::from_static("x-forge-oauth-user"),
        ]))
}

/// The REST API: its router and its OpenAPI document (`GET /api/v1/openapi.json`), both built
/// from this one list. `routes!` takes each route's path and methods from the handler's
/// `#[utoipa::path]`, so a route cannot be served undocumented or documented unserved. Register
/// API routes only with `.routes(routes!(…))`, one path per call (the handlers of one call share
/// a method router). Every handler but `whoami` and `openapi_json` takes a `Caller` (Connect JWT or
/// API token) first, so no route can forget authentication or the tenant.
pub fn api_router() -> OpenApiRouter<AppState> {
    use assets_api as a;
    use catalog_api as c;
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(api::whoami))
        .routes(routes!(connection_api::connection))
        .routes(routes!(api::search_jira_users))
        .routes(routes!(api::jira_users_by_id))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(c::list_schemas, c::create_schema))
        .routes(routes!(c::get_schema, c::update_schema, c::delete_schema))
        .routes(routes!(c::list_statuses, c::create_status))
        .routes(routes!(c::update_status, c::delete_status))
        .routes(routes!(c::list_types, c::create_type))
        .routes(routes!(c::get_type, c::update_type, c::delete_type))
        .routes(routes!(c::list_attributes, c::create_attribute))
        .routes(routes!(c::update_attribute, c::delete_attribute))
        .routes(routes!(c::reorder_attributes))
        .routes(routes!(a::list_assets, a::create_asset))
        .routes(routes!(a::bulk_create, a::bulk_update))
        .routes(routes!(a::bulk_edit))
        .routes(routes!(
            a::get_asset,
            a::replace_asset,
            a::patch_asset,
            a::delete_asset
        ))
        .routes(routes!(a::archive_asset))
        .routes(routes!(a::restore_asset))
        .routes(routes!(a::asset_history))
        .routes(routes!(a::asset_references))
        .routes(routes!(a::asset_issues, a::link_issue))
        .routes(routes!(a::unlink_issue))
        .routes(routes!(a::issue_assets))
        .routes(routes!(custody_api::get_policy, custody_api::put_policy))
        .routes(routes!(custody_api::check_out))
        .routes(routes!(custody_api::check_in))
        .routes(routes!(custody_api::bulk_check_out))
        .routes(routes!(custody_api::bulk_check_in))
        .routes(routes!(custody_api::asset_custody))
        .routes(routes!(custody_api::my_assets))
        .routes(routes!(custody_api::overdue))
        .routes(routes!(custody_api::issue_hand_outs))
        .routes(routes!(custody_api::report))
        .routes(routes!(
            licence_api::get_licence_policy,
            licence_api::put_licence_policy
        ))
        .routes(routes!(licence_api::get_licence, licence_api::put_licence))
        .routes(routes!(licence_api::seats, licence_api::assign_seats))
        .routes(routes!(licence_api::release_seats))
        .routes(routes!(licence_api::licences))
        .routes(routes!(licence_api::compliance))
        .routes(routes!(licence_api::reclaimable))
        .routes(routes!(licence_api::reclaim))
        .routes(routes!(
            stock_api::get_stock_policy,
            stock_api::put_stock_policy
        ))
        .routes(routes!(stock_api::get_stock))
        .routes(routes!(stock_api::move_stock, stock_api::stock_movements))
        .routes(routes!(stock_api::put_stock_minimum))
        .routes(routes!(stock_api::below_minimum))
        .routes(routes!(kit_api::list_kits, kit_api::create_kit))
        .routes(routes!(
            kit_api::get_kit,
            kit_api::update_kit,
            kit_api::delete_kit
        ))
        .routes(routes!(kit_api::check_out_kit))
        .routes(routes!(
            booking_api::list_bookings,
            booking_api::create_booking
        ))
        .routes(routes!(booking_api::get_booking))
        .routes(routes!(booking_api::cancel_booking))
        .routes(routes!(booking_api::pick_up))
        .routes(routes!(booking_api::return_booking))
        .routes(routes!(booking_api::availability))
        .routes(routes!(
            request_api::get_request_policy,
            request_api::put_request_policy,
            request_api::delete_request_policy
        ))
        .routes(routes!(
            request_api::list_requests,
            request_api::create_request
        ))
        .routes(routes!(request_api::get_request))
        .routes(routes!(request_api::fulfil_request))
        .routes(routes!(request_api::cancel_request))
        .routes(routes!(request_api::recheck_request))
        .routes(routes!(request_api::issue_requests))
        .routes(routes!(query_api::query_assets))
        .routes(routes!(field_api::candidates))
        .routes(routes!(field_api::field_assets_of))
        .routes(routes!(query_api::validate_aql))
        .routes(routes!(views_api::list_views, views_api::create_view))
        .routes(routes!(views_api::update_view, views_api::delete_view))
        .routes(routes!(reports_api::counts))
        .routes(routes!(reports_api::trend))
        .routes(routes!(reports_api::due))
        .routes(routes!(reports_api::quality))
        .routes(routes!(
            reports_api::get_settings,
            reports_api::put_settings
        ))
        .routes(routes!(a::list_tokens, a::create_token))
        .routes(routes!(a::revoke_token))
}

/// `/metrics` on the app's own listener, unless the operator moved it to `--ops-bind`.
fn ops_routes(separate: bool) -> Router<AppState> {
    if separate {
        Router::new()
    } else {
        Router::new().route("/metrics", get(status::metrics))
    }
}

/// The router of `--ops-bind`: metrics and health only, for a port that is not public.
pub fn build_ops_app(state: AppState) -> Router {
    let policy = SecurityHeaders::for_base_url(state.config.base_url.scheme());
    Router::new()
        .route("/metrics", get(status::metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state)
        .layer(axum::middleware::map_response_with_state(
            policy,
            security_headers,
        ))
}

fn api_routes() -> Router<AppState> {
    api_router().split_for_parts().0
}

/// 401s name our app key as their realm (`WWW-Authenticate: JWT realm="<app key>"`), as Atlassian's
/// frameworks do. The key passed descriptor validation, so it is header-safe.
async fn name_realm(
    axum::extract::State(realm): axum::extract::State<HeaderValue>,
    mut response: Response,
) -> Response {
    if response.status() == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, realm);
    }
    response
}

/// What every answer carries, errors and fallbacks included.
#[derive(Clone, Copy)]
struct SecurityHeaders {
    /// Only over https: a browser that saw HSTS from a plain-http demo would refuse it later.
    hsts: bool,
}

impl SecurityHeaders {
    fn for_base_url(scheme: &str) -> Self {
        Self {
            hsts: scheme == "https",
        }
    }
}

/// `Cache-Control: no-store` unless a handler chose its own caching (static files, which hold
/// no data): every other answer is a site's data, an error about it, or a token-bearing page.
async fn security_headers(
    axum::extract::State(policy): axum::extract::State<SecurityHeaders>,
    mut response: Response,
) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if policy.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Serves the router on a bound listener until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

impl AppState {
    /// The state an app runs with, ready for traffic: built from its parts, and listening for
    /// other instances' tenant changes (PostgreSQL) so that a rotation through one instance is
    /// seen by all. `amj serve`, `amj demo`, the integration tests and the browser tests all
    /// start here, so the tests exercise what production runs.
    pub fn start(
        config: AppConfig,
        store: Store,
        keys: Arc<dyn InstallKeyStore>,
    ) -> anyhow::Result<Self> {
        let state = Self::new(config, store, keys)?;
        state.tenants.spawn_invalidation_listener();
        if let Some(jwks) = state.forge.as_ref().and_then(|f| f.jwks.as_ref()) {
            // Keys published ahead of use are held before the first FIT that needs them.
            jwks.spawn_refresh(amj_connect::forge::jwks::REFRESH_INTERVAL);
        }
        if state.forge.is_some() {
            forge_events::spawn_worker(state.clone());
        }
        // The backstop for issue events that never came: live requests are re-read hourly.
        crate::requests::spawn_sweeper(state.jira.clone(), state.store.clone());
        Ok(state)
    }
}

/// An app serving on a listener in a background task, until [`RunningApp::stop`] (the demo and
/// the tests) or [`RunningApp::run_until`] a signal (`amj serve`).
pub struct RunningApp {
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningApp {
    /// Serves `state` on `listener` in a background task.
    pub fn spawn(listener: tokio::net::TcpListener, state: AppState) -> Self {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let router = build_app(state.clone());
        let server = tokio::spawn(serve(listener, router, async move {
            let _ = rx.await;
        }));
        Self {
            state,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops accepting, lets requests in flight finish, and closes the pool: nothing of this
    /// instance survives in memory.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let served = match self.server.take() {
            Some(server) => server
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        };
        self.state.store.close().await;
        served
    }

    /// Waits until the server stops by itself (it fails) or `signal` resolves, then stops it.
    pub async fn run_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        let Some(server) = self.server.as_mut() else {
            return Ok(());
        };
        tokio::select! {
            served = server => {
                self.server = None;
                self.state.store.close().await;
                served.unwrap_or_else(|e| Err(std::io::Error::other(e)))
            }
            () = signal => self.stop().await,
        }
    }
}
