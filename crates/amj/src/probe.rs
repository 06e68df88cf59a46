//! The synthetic probe: the whole authentication flow against a running app, as Jira drives it.
//!
//! Against staging it plays Jira with the simulator library (the app's `--install-keys-url` must
//! point at the probe's key server): install, a page with `?jwt=`, an API call with the page's
//! context token, a secret rotation, both again, and uninstall. Against production, where only
//! Atlassian can install, it signs as a probe site that `amj tenant add-probe` registered, which
//! still exercises HS256 verification, the database and page rendering.

use amj_connect::ConnectClaims;
use amj_connect::jwt::sign_hs256;
use amj_jira_sim::{AppTarget, Sim};
use std::time::{Duration, Instant};

/// One step of a run.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: &'static str,
    pub ok: bool,
    pub elapsed: Duration,
    /// What went wrong, or the status seen.
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct ProbeRun {
    pub steps: Vec<Step>,
}

impl ProbeRun {
    pub fn ok(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.ok)
    }

    pub fn first_failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| !s.ok)
    }

    /// `ok in 85 ms: install 12 ms, page 9 ms, …` or `FAILED at rotate: …`.
    pub fn summary(&self) -> String {
        let total: Duration = self.steps.iter().map(|s| s.elapsed).sum();
        match self.first_failure() {
            None => format!(
                "ok in {} ms: {}",
                total.as_millis(),
                self.steps
                    .iter()
                    .map(|s| format!("{} {} ms", s.name, s.elapsed.as_millis()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(step) => format!("FAILED at {}: {}", step.name, step.detail),
        }
    }

    /// Runs `step` unless an earlier one failed: later steps mean nothing after a failure.
    async fn step<F>(&mut self, name: &'static str, step: F) -> Option<String>
    where
        F: std::future::Future<Output = Result<String, String>>,
    {
        if self.first_failure().is_some() {
            return None;
        }
        let started = Instant::now();
        let result = step.await;
        let elapsed = started.elapsed();
        let (ok, detail, value) = match result {
            Ok(value) => (true, String::new(), Some(value)),
            Err(detail) => (false, detail, None),
        };
        self.steps.push(Step {
            name,
            ok,
            elapsed,
            detail,
        });
        value
    }
}

fn http() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("amj-probe/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

fn expect_2xx(what: &str, status: u16) -> Result<String, String> {
    if (200..300).contains(&status) {
        Ok(status.to_string())
    } else {
        Err(format!("{what} answered HTTP {status}"))
    }
}

/// Loads a page from its signed URL; returns the context token it embeds for its API calls.
async fn load_page(http: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .map_err(|e| format!("the page could not be fetched: {}", e.without_url()))?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!(
            "the page answered HTTP {status}: {}",
            body.chars().take(200).collect::<String>()
        ));
    }
    const MARK: &str = "name=\"amj-context-token\" content=\"";
    let start = body
        .find(MARK)
        .map(|i| i + MARK.len())
        .ok_or("the page rendered without its context token")?;
    let token: String = body[start..].chars().take_while(|c| *c != '"').collect();
    if token.is_empty() {
        return Err("the page's context token is empty".into());
    }
    Ok(token)
}

/// An API call authenticated by a context token, as the page's own script makes.
async fn call_api(http: &reqwest::Client, app_url: &str, token: &str) -> Result<String, String> {
    let response = http
        .get(format!("{app_url}/api/v1/whoami"))
        .header(reqwest::header::AUTHORIZATION, format!("JWT {token}"))
        .send()
        .await
        .map_err(|e| format!("the API could not be reached: {}", e.without_url()))?;
    expect_2xx("GET /api/v1/whoami", response.status().as_u16())
}

/// The staging flow, with `sim` as Jira. Each run uses a fresh site, uninstalled at the end.
pub async fn probe_staging(sim: &Sim, app_url: &str, run: u64) -> ProbeRun {
    let mut report = ProbeRun::default();
    let Ok(http) = http() else {
        report.steps.push(Step {
            name: "setup",
            ok: false,
            elapsed: Duration::ZERO,
            detail: "no HTTP client".into(),
        });
        return report;
    };
    let app_url = app_url.trim_end_matches('/');
    let app: Option<AppTarget> = report
        .step("descriptor", async {
            sim.register_app(&format!("{app_url}/atlassian-connect.json"))
                .await
                .map(|app| app.key)
                .map_err(|e| e.to_string())
        })
        .await
        .and_then(|_| sim.app());
    let Some(app) = app else {
        return report;
    };
    let mut random = [0_u8; 4];
    let _ = aws_lc_rs::rand::fill(&mut random);
    let name = format!("probe-{run}-{}", hex::encode(random));
    sim.add_site(&name);
    report
        .step("install", async {
            expect_2xx(
                "installed",
                sim.install(&name, &app).await.map_err(|e| e.to_string())?,
            )
        })
        .await;
    for (page, api) in [
        ("page", "api"),
        ("page after rotation", "api after rotation"),
    ] {
        if page == "page after rotation" {
            report
                .step("rotate", async {
                    expect_2xx(
                        "installed (rotation)",
                        sim.rotate(&name, &app, false)
                            .await
                            .map_err(|e| e.to_string())?,
                    )
                })
                .await;
        }
        let token = report
            .step(page, async {
                let site = sim.site(&name).map_err(|e| e.to_string())?;
                let url = sim
                    .iframe_url(&site, &app, "/pages/assets")
                    .map_err(|e| e.to_string())?;
                load_page(&http, &url).await
            })
            .await;
        if let Some(token) = token {
            report.step(api, call_api(&http, app_url, &token)).await;
        }
    }
    // Uninstall even after a failure, so failed runs do not pile up installed probe sites.
    let failed_before = report.first_failure().is_some();
    let started = Instant::now();
    let uninstall = sim.uninstall(&name, &app).await;
    if !failed_before {
        let result = uninstall
            .map_err(|e| e.to_string())
            .and_then(|status| expect_2xx("uninstalled", status));
        report.steps.push(Step {
            name: "uninstall",
            ok: result.is_ok(),
            elapsed: started.elapsed(),
            detail: result.err().unwrap_or_default(),
        });
    }
    report
}

/// A probe site registered in production's database by `amj tenant add-probe`.
#[derive(Debug, Clone)]
pub struct ProbeTenant {
    pub client_key: String,
    pub shared_secret: String,
}

/// The production flow: a page signed as the probe site, then an API call with its token.
pub async fn probe_production(app_url: &str, tenant: &ProbeTenant) -> ProbeRun {
    let mut report = ProbeRun::default();
    let app_url = app_url.trim_end_matches('/');
    let Ok(http) = http() else {
        return report;
    };
    let token = report
        .step("page", async {
            let base_path = url::Url::parse(app_url)
                .map_err(|e| format!("--app-url: {e}"))?
                .path()
                .trim_end_matches('/')
                .to_owned();
            let path = "/pages/assets";
            let query = "lic=none&cp=&xdm_e=https%3A%2F%2Famj-probe.invalid";
            let now = amj_server::auth::unix_now();
            let claims = ConnectClaims {
                iss: tenant.client_key.clone(),
                sub: None,
                iat: now,
                exp: now + 180,
                nbf: None,
                qsh: Some(amj_connect::qsh::qsh(
                    "GET",
                    &format!("{base_path}{path}"),
                    Some(query),
                    &base_path,
                )),
                aud: None,
                context: None,
                jti: None,
            };
            let jwt = sign_hs256(&claims, tenant.shared_secret.as_bytes())
                .map_err(|e| format!("cannot sign: {e}"))?;
            load_page(&http, &format!("{app_url}{path}?{query}&jwt={jwt}")).await
        })
        .await;
    if let Some(token) = token {
        report.step("api", call_api(&http, app_url, &token)).await;
    }
    report
}

/// One call through Forge: a fresh FIT (and, with `system_token`, the token Forge adds).
async fn forge_call(
    http: &reqwest::Client,
    app_url: &str,
    path: &str,
    call: &amj_jira_sim::forge_host::ForgeCall,
    system_token: bool,
) -> Result<serde_json::Value, String> {
    let mut request = http.get(format!("{app_url}{path}")).header(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", call.fit),
    );
    if system_token {
        request = request.header("x-forge-oauth-system", &call.system_token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("the API could not be reached: {}", e.without_url()))?;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(format!("GET {path} answered HTTP {status}: {body}"))
    }
}

/// The Forge flow, with `sim` as Forge and Jira (the app runs with `--forge-app-id` set to the
/// simulator's app and `--forge-jwks-url` at its JWKS): an invocation from a new installation,
/// a Jira call with the system token it brought, a signing-key rotation, and an invocation
/// signed with the new key. Each run uses a fresh site.
pub async fn probe_forge(sim: &Sim, app_url: &str, run: u64) -> ProbeRun {
    let mut report = ProbeRun::default();
    let Ok(http) = http() else {
        return report;
    };
    let app_url = app_url.trim_end_matches('/');
    let mut random = [0_u8; 4];
    let _ = aws_lc_rs::rand::fill(&mut random);
    let name = format!("forge-probe-{run}-{}", hex::encode(random));
    let site = sim.add_site(&name);
    let invoke = || {
        sim.forge_invoke(&name, "amj-assets", Some(&site.admin_account_id))
            .map_err(|e| e.to_string())
    };
    report
        .step("forge install", async {
            sim.forge_install(&name, None).map_err(|e| e.to_string())
        })
        .await;
    report
        .step("forge api", async {
            let who = forge_call(&http, app_url, "/api/v1/whoami", &invoke()?, true).await?;
            if who["platform"] == "forge" {
                Ok(String::new())
            } else {
                Err(format!("whoami does not say forge: {who}"))
            }
        })
        .await;
    report
        .step("forge jira call", async {
            let call = invoke()?;
            forge_call(&http, app_url, "/api/v1/jira/users?query=a", &call, false)
                .await
                .map(|_| String::new())
        })
        .await;
    report
        .step("forge key rotation", async {
            sim.forge().rotate_now().map_err(|e| e.to_string())
        })
        .await;
    report
        .step("forge api after rotation", async {
            forge_call(&http, app_url, "/api/v1/whoami", &invoke()?, true)
                .await
                .map(|_| String::new())
        })
        .await;
    report
}
