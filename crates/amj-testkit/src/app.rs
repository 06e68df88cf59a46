//! The real app on a loopback port, started through the same bootstrap as `amj serve`
//! (`AppState::start` and `RunningApp::spawn`), with the Jira simulator as its key server.

use crate::db::TestDb;
use amj_connect::install_keys::{HttpInstallKeyStore, KeyServers};
use amj_jira_sim::{AppTarget, Sim};
use amj_server::config::AppConfig;
use amj_server::web::{AppState, RunningApp};
use std::sync::Arc;

/// A running app instance.
pub struct TestApp {
    pub base_url: String,
    /// The running app's state: its store, monitor and configuration, for tests that look
    /// behind the API.
    pub state: AppState,
    /// What the simulator needs to install this app on a site.
    pub target: AppTarget,
    pub http: reqwest::Client,
    running: RunningApp,
}

impl TestApp {
    pub async fn start(db: &TestDb, sim: &Sim) -> TestApp {
        Self::start_with(db, sim, |_| {}).await
    }

    /// Starts the app with a configuration hook (a fault, a sink, a shorter interval).
    pub async fn start_with(
        db: &TestDb,
        sim: &Sim,
        configure: impl FnOnce(&mut AppConfig),
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let mut config = AppConfig::local(url::Url::parse(&base_url).unwrap());
        // Every test app is also the simulator's Forge remote, as the demo is.
        config.forge_app = Some(
            amj_connect::forge::AppAri::parse(amj_jira_sim::forge_host::SIM_FORGE_APP).unwrap(),
        );
        config.forge_jwks_url = sim.forge_jwks_url();
        configure(&mut config);
        let store = db.store().await;
        let keys = HttpInstallKeyStore::new(KeyServers::Fixed(sim.key_server_url())).unwrap();
        let state = AppState::start(config, store, Arc::new(keys)).unwrap();
        let running = RunningApp::spawn(listener, state.clone());
        let target = AppTarget {
            base_url: base_url.clone(),
            key: state.config.app_key.clone(),
        };
        TestApp {
            base_url,
            state,
            target,
            http: reqwest::Client::new(),
            running,
        }
    }

    /// Stops the instance and closes its pool: nothing in memory survives.
    pub async fn stop(self) {
        let _ = self.running.stop().await;
    }

    /// One request with `auth`'s credentials; the status and the JSON body (`Null` when empty,
    /// the text as a JSON string when it is not JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        auth: &crate::api::Auth,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let (status, json, _) = self.call_with(method, path, auth, body, &[]).await;
        (status, json)
    }

    /// The same, with extra request headers (an `Idempotency-Key`), answering the response's
    /// headers too.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        auth: &crate::api::Auth,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
        use crate::api::Auth;
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        request = match auth {
            Auth::Jwt(token) => request.header("Authorization", format!("JWT {token}")),
            Auth::Bearer(token) => request.header("Authorization", format!("Bearer {token}")),
            Auth::Forge { fit, system_token } => {
                let request = request.header("Authorization", format!("Bearer {fit}"));
                match system_token {
                    Some(token) => request.header("x-forge-oauth-system", token),
                    None => request,
                }
            }
            Auth::ForgeUser {
                fit,
                system_token,
                user_token,
            } => request
                .header("Authorization", format!("Bearer {fit}"))
                .header("x-forge-oauth-system", system_token)
                .header("x-forge-oauth-user", user_token),
            Auth::None => request,
        };
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let response_headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let json = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        (status, json, response_headers)
    }

    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path_and_query}", self.base_url))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_with_jwt(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base_url))
            .header("Authorization", format!("JWT {token}"))
            .send()
            .await
            .unwrap()
    }

    pub async fn post_with_jwt(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base_url))
            .header("Authorization", format!("JWT {token}"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

/// The error code of a JSON problem body.
pub async fn error_code(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
