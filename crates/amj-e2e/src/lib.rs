//! The browser-test harness: Debian's Chromium and ChromeDriver (installed by `.ci/run`, never
//! downloaded), the app on a temporary SQLite database, and the Jira simulator.
//!
//! A test that cannot find Chromium skips with a printed reason, but only when `CI` is unset:
//! under `CI=true` a missing browser fails the test.

use amj_jira_sim::{AppTarget, Sim};
use amj_server::config::AppConfig;
use amj_server::web::AppState;
pub use amj_testkit::wait_for;
use amj_testkit::{Backend, TestApp, TestDb, random_tag};
use anyhow::{Context, bail};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;

/// Runs a journey once per host ([`Host::SITES`]) in one browser and one stack, which the
/// journey sets up per site (seeding, [`Host::put`]). A failure names the host, saves the
/// browser's artifacts under `artifacts`, and fails the test after the browser and the stack
/// are stopped. Without Chromium (and `CI` unset) it skips, as [`Browser::start`] does.
pub async fn in_both_hosts(
    artifacts: &str,
    journey: impl AsyncFn(&Browser, &Stack, &'static str, Host) -> anyhow::Result<()>,
) {
    let browser = match Browser::start().await {
        Ok(Some(browser)) => browser,
        Ok(None) => return,
        Err(e) => panic!("the browser could not start: {e:#}"),
    };
    let stack = match Stack::start().await {
        Ok(stack) => stack,
        Err(e) => {
            browser.quit().await;
            panic!("the stack could not start: {e:#}");
        }
    };
    let mut result = Ok(());
    for (site, host) in Host::SITES {
        result = journey(&browser, &stack, site, host)
            .await
            .map_err(|e| e.context(format!("{host:?}")));
        if result.is_err() {
            break;
        }
    }
    if let Err(e) = &result {
        browser.save_artifacts(artifacts).await;
        eprintln!("{e:#}");
    }
    browser.quit().await;
    stack.stop().await;
    if let Err(e) = result {
        panic!("{e:#}");
    }
}

/// Waits, bounded, for `check` to hold; the error says what never happened.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    wait_for(timeout, || {
        let holds = check();
        async move { holds.await.then_some(()) }
    })
    .await
    .map_err(|_| anyhow::anyhow!("timed out after {timeout:?} waiting for {what}"))
}

fn find_binary(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(env)
        && !path.is_empty()
    {
        return Some(PathBuf::from(path));
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A headless Chromium session driven over WebDriver, with its own ChromeDriver process and a
/// fresh profile folder.
///
/// Dropping it (a failed test unwinds without calling [`Browser::quit`]) still ends ChromeDriver
/// and every Chromium process it started: ChromeDriver runs in a process group of its own, and
/// the whole group is killed. Without that, a failed run left both running.
pub struct Browser {
    pub driver: WebDriver,
    processes: BrowserProcesses,
}

/// ChromeDriver (leader of its own process group, holding Chromium) and the profile folder.
struct BrowserProcesses {
    chromedriver: Child,
    profile: PathBuf,
}

impl Browser {
    /// Starts a browser, or returns `None` (after saying why) when Chromium is not installed and
    /// `CI` is unset.
    pub async fn start() -> anyhow::Result<Option<Browser>> {
        let chromium = find_binary("CHROME_BIN", &["chromium", "chromium-browser"]);
        let chromedriver = find_binary("CHROMEDRIVER", &["chromedriver"]);
        let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                bail!(
                    "CI=true but chromium or chromedriver is missing: run `apt-get install -y chromium chromium-driver`"
                );
            }
            eprintln!("skipping browser test: chromium/chromedriver not installed (CI is unset)");
            return Ok(None);
        };
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.local_addr()?.port()
        };
        let child = Command::new(&chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", chromedriver.display()))?;
        let listening = wait_for(Duration::from_secs(15), || async {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        })
        .await;
        if listening.is_err() {
            bail!("chromedriver did not listen on port {port}");
        }
        // Under load, Chromium can be slow to answer chromedriver's first session request, and
        // the request fails before any test code runs (seen once in CI). A second try, with a
        // fresh profile, is what a person would do; three tries at most.
        let mut tries = 0;
        let (driver, profile) = loop {
            tries += 1;
            let profile = std::env::temp_dir().join(format!("amj-e2e-profile-{}", random_tag()));
            let mut caps = DesiredCapabilities::chrome();
            caps.set_binary(&chromium.to_string_lossy())?;
            for arg in [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1280,900",
            ] {
                caps.add_arg(arg)?;
            }
            caps.add_arg(&format!("--user-data-dir={}", profile.display()))?;
            match WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await {
                Ok(driver) => break (driver, profile),
                Err(e) if tries < 3 => {
                    eprintln!("opening a Chromium session failed (try {tries} of 3): {e}");
                    let _ = std::fs::remove_dir_all(&profile);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e).context("cannot open a Chromium session"));
                }
            }
        };
        Ok(Some(Browser {
            driver,
            processes: BrowserProcesses {
                chromedriver: child,
                profile,
            },
        }))
    }

    /// Saves a screenshot and the page source under `target/e2e-artifacts/`, for a failed test.
    pub async fn save_artifacts(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-artifacts");
        let _ = std::fs::create_dir_all(&dir);
        let _ = self
            .driver
            .screenshot(&dir.join(format!("{name}.png")))
            .await;
        if let Ok(source) = self.driver.source().await {
            let _ = std::fs::write(dir.join(format!("{name}.html")), source);
        }
        eprintln!("browser artifacts saved in {}", dir.display());
    }

    /// Ends the WebDriver session politely; dropping the browser then ends the processes.
    pub async fn quit(self) {
        let _ = self.driver.clone().quit().await;
    }

    /// ChromeDriver's process id, which is also the id of the process group holding Chromium.
    pub fn process_group(&self) -> u32 {
        self.processes.chromedriver.id()
    }

    /// The browser's profile folder, which appears on the command line of every Chromium process.
    pub fn profile_dir(&self) -> &std::path::Path {
        &self.processes.profile
    }

    /// Whether the accessibility check really runs here (axe-core could be installed). A test's
    /// assertions that depend on the check, such as its negative control, are guarded by this.
    pub fn axe_available(&self) -> bool {
        axe_source().is_some()
    }

    /// Runs axe-core on the current page, in the dark theme and then the light one (where it
    /// leaves the page), and returns its serious and critical violations, one line each. The
    /// pinned package is installed on first use (`npm ci`), so a fresh clone's
    /// `cargo test --workspace` needs no other step. Without Node.js it fails under `CI=true` and
    /// otherwise skips, saying so.
    pub async fn axe_violations(&self) -> anyhow::Result<Vec<String>> {
        // Every check covers both themes: colour contrast differs between them.
        let mut all = Vec::new();
        for mode in ["dark", "light"] {
            self.set_color_scheme(mode).await?;
            all.extend(
                self.axe_run()
                    .await?
                    .into_iter()
                    .map(|v| format!("{mode}: {v}")),
            );
        }
        Ok(all)
    }

    /// One axe-core run on the current page, in whatever theme it shows.
    async fn axe_run(&self) -> anyhow::Result<Vec<String>> {
        let Some(source) = axe_source() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                bail!(
                    "CI=true but axe-core could not be installed: run `npm ci --prefix crates/amj-e2e`"
                );
            }
            return Ok(Vec::new());
        };
        let script = format!(
            "{source}\n;var done = arguments[arguments.length - 1];\
             axe.run(document, {{resultTypes: ['violations']}}).then(function (r) {{\
               done(r.violations.filter(function (v) {{ return v.impact === 'serious' || v.impact === 'critical'; }})\
                 .map(function (v) {{ return v.impact + ' ' + v.id + ': ' + v.help + ' at ' + v.nodes.map(function (n) {{ return n.target.join(' '); }}).join(', '); }}));\
             }}, function (e) {{ done(['axe failed: ' + e]); }});"
        );
        let result = self.driver.execute_async(&script, Vec::new()).await?;
        Ok(serde_json::from_value(result.json().clone())?)
    }

    /// Switches the person's colour scheme (`light` or `dark`) as the browser reports it, and
    /// applies it to the frame the driver is in as the host's theme would, then waits two
    /// animation frames so the new colours are painted.
    pub async fn set_color_scheme(&self, mode: &str) -> anyhow::Result<()> {
        self.driver
            .cdp()
            .send_raw(
                "Emulation.setEmulatedMedia",
                serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": mode}]}),
            )
            .await?;
        self.driver
            .execute(
                "document.documentElement.setAttribute('data-color-mode', arguments[0]);",
                vec![serde_json::json!(mode)],
            )
            .await?;
        self.driver
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                Vec::new(),
            )
            .await?;
        Ok(())
    }

    /// Shows a tab of the asset detail (`attributes`, `references`, `issues`, `history`) and
    /// waits for its panel. A script click, so focus stays where the journey put it.
    pub async fn show_tab(&self, name: &str) -> anyhow::Result<()> {
        let tab = format!("amj-tab-{name}");
        wait_for(Duration::from_secs(10), || async {
            self.driver.find(By::Id(&tab)).await.ok()
        })
        .await
        .map_err(|_| anyhow::anyhow!("no tab {name}"))?;
        self.driver
            .execute(
                "document.getElementById(arguments[0]).click();",
                vec![serde_json::json!(tab)],
            )
            .await?;
        let panel = format!("amj-panel-{name}");
        wait_for(Duration::from_secs(10), || async {
            let element = self.driver.find(By::Id(&panel)).await.ok()?;
            element.is_displayed().await.ok()?.then_some(())
        })
        .await
        .map_err(|_| anyhow::anyhow!("the {name} tab never showed its panel"))
    }

    /// Waits until the dashboard's four charts are drawn (Chart.js fetched and run) and its
    /// due-date figure has loaded.
    pub async fn wait_for_dashboard(&self, timeout: Duration) -> anyhow::Result<()> {
        for chart in [
            "amj-chart-type",
            "amj-chart-status",
            "amj-chart-location",
            "amj-chart-trend",
        ] {
            self.wait_for_attribute(chart, "data-chart", "drawn", timeout)
                .await?;
        }
        self.wait_for_attribute("amj-due", "data-state", "ready", timeout)
            .await?;
        Ok(())
    }

    /// Moves focus to `element` as a keyboard user's Tab would land on it.
    pub async fn focus(&self, element: &WebElement) -> anyhow::Result<()> {
        self.driver
            .execute("arguments[0].focus();", vec![element.to_json()?])
            .await?;
        Ok(())
    }

    /// An attribute of the focused element ("" when it has none): where a keyboard user is.
    /// Waits, up to `timeout`, for the element with `id` to have focus: where a keyboard user
    /// is after an action.
    pub async fn wait_for_focus(&self, id: &str, timeout: Duration) -> anyhow::Result<()> {
        wait_until(&format!("{id} to have focus"), timeout, || async {
            self.active_attribute("id").await.ok().as_deref() == Some(id)
        })
        .await
    }

    /// Fails, listing them, when axe finds violations in the frame; `what` names the view.
    pub async fn ensure_axe_clean(&self, what: &str) -> anyhow::Result<()> {
        let violations = self.axe_violations().await?;
        anyhow::ensure!(violations.is_empty(), "axe, {what}: {violations:#?}");
        Ok(())
    }

    pub async fn active_attribute(&self, name: &str) -> anyhow::Result<String> {
        let value = self
            .driver
            .execute(
                "const e = document.activeElement; \
                 return (e && e.getAttribute(arguments[0])) || '';",
                vec![serde_json::Value::String(name.to_owned())],
            )
            .await?;
        Ok(value.convert()?)
    }

    /// Finds `css` and presses `key` on it, finding it afresh when the page drew it again in
    /// between (a stale element): lists and trees redraw as their figures arrive, and a busy
    /// machine widens that window. Bounded by `timeout`; the last error says what failed.
    pub async fn press_css(&self, css: &str, key: Key, timeout: Duration) -> anyhow::Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let attempt = async {
                let element = self.driver.find(By::Css(css)).await?;
                self.focus(&element).await?;
                element.send_keys(key.clone()).await?;
                anyhow::Ok(())
            }
            .await;
            match attempt {
                Ok(()) => return Ok(()),
                Err(e) if std::time::Instant::now() >= deadline => {
                    return Err(e.context(format!("pressing {css}")));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Types into whatever has focus, as a person at the keyboard does.
    pub async fn type_keys(&self, keys: impl Into<TypingData>) -> anyhow::Result<()> {
        self.driver.active_element().await?.send_keys(keys).await?;
        Ok(())
    }

    /// Focuses `element` and presses Enter on it.
    pub async fn press_enter(&self, element: &WebElement) -> anyhow::Result<()> {
        self.focus(element).await?;
        element.send_keys(Key::Enter).await?;
        Ok(())
    }

    /// The rendered text of the element with `id`, or "" when there is none.
    pub async fn text_of(&self, id: &str) -> String {
        match self.driver.find(By::Id(id)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the element with `id` shows `wanted` in its rendered text (which CSS may have
    /// set in capitals: lozenges are).
    pub async fn wait_for_text(
        &self,
        id: &str,
        wanted: &str,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let found = wait_for(timeout, || async {
            self.text_of(id).await.contains(wanted).then_some(())
        })
        .await;
        if found.is_err() {
            bail!(
                "#{id} never contained {wanted:?} within {timeout:?}: {:?}",
                self.text_of(id).await
            );
        }
        Ok(())
    }

    /// Waits until the element with `id` has `attribute` = `value`.
    pub async fn wait_for_attribute(
        &self,
        id: &str,
        attribute: &str,
        value: &str,
        timeout: Duration,
    ) -> anyhow::Result<WebElement> {
        wait_for(timeout, || async {
            let element = self.driver.find(By::Id(id)).await.ok()?;
            let actual = element.attr(attribute).await.ok().flatten();
            (actual.as_deref() == Some(value)).then_some(element)
        })
        .await
        .map_err(|_| anyhow::anyhow!("#{id} never got {attribute}={value:?} within {timeout:?}"))
    }

    /// Opens `path` of the simulated Jira (`/sites/acme/apps/assets`) and enters the app's
    /// frame on it, whichever host framed it; answers the frame's `src`.
    pub async fn enter(&self, stack: &Stack, path: &str) -> anyhow::Result<String> {
        self.driver.enter_default_frame().await?;
        self.driver
            .goto(&format!("{}{path}", stack.sim.base_url()))
            .await?;
        self.enter_frame().await
    }

    /// Enters the app's frame of the Jira page the browser is on.
    pub async fn enter_frame(&self) -> anyhow::Result<String> {
        self.driver.enter_default_frame().await?;
        // The module's frame, not a custom field's view of its value.
        let frame = self
            .driver
            .find(By::Css("iframe[data-site]:not([data-field-view])"))
            .await?;
        let src = frame.attr("src").await?.unwrap_or_default();
        frame.enter_frame().await?;
        Ok(src)
    }
}

/// What a keyboard user does where a mouse user clicks: focus the element, then Space for a
/// checkbox or Enter for anything else (buttons and links both take Enter).
#[allow(async_fn_in_trait)]
pub trait Press {
    async fn press(&self) -> WebDriverResult<()>;
}

impl Press for WebElement {
    async fn press(&self) -> WebDriverResult<()> {
        self.focus().await?;
        let checkbox = self.tag_name().await?.eq_ignore_ascii_case("input")
            && self.attr("type").await?.as_deref() == Some("checkbox");
        self.send_keys(if checkbox { Key::Space } else { Key::Enter })
            .await
    }
}

/// The two ways Jira shows the app: every journey that should hold in both runs in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    Connect,
    Forge,
}

impl Host {
    /// A site per host, so one stack runs a journey in both: Connect on `acme`, Forge on
    /// `globex` (after its Connect install is upgraded; see [`Host::put`]).
    pub const SITES: [(&'static str, Host); 2] = [("acme", Host::Connect), ("globex", Host::Forge)];

    /// Puts the installed site `name` on this host (Forge: the Connect install is upgraded).
    pub fn put(self, stack: &Stack, name: &str) -> anyhow::Result<()> {
        if self == Host::Forge {
            stack.sim.forge_upgrade(name)?;
        }
        Ok(())
    }

    /// Whether a frame `src` is this host's.
    pub fn framed(self, src: &str) -> bool {
        src.starts_with("/_forge/") == (self == Host::Forge)
    }
}

/// The app on a fresh SQLite database, with the simulator as its Jira.
pub struct Stack {
    pub sim: Sim,
    pub app: AppTarget,
    pub state: AppState,
    running: TestApp,
    /// Removed when the stack is dropped, also by a failing test.
    _db: TestDb,
}

impl Stack {
    pub async fn start() -> anyhow::Result<Stack> {
        Self::start_with(|_| {}).await
    }

    /// Starts the stack with a configuration hook (e.g. a test-only fault).
    pub async fn start_with(configure: impl FnOnce(&mut AppConfig)) -> anyhow::Result<Stack> {
        let sim = Sim::start().await?;
        let db = TestDb::new(Backend::Sqlite).await;
        let ap_js_url = sim.ap_js_url();
        let running = TestApp::start_with(&db, &sim, |config| {
            config.ap_js_url = ap_js_url;
            configure(config);
        })
        .await;
        // Jira installs from the descriptor; so does the simulator. Forge learns what only its
        // manifest declares (the Assets field type) when the app is deployed.
        let app = sim
            .register_app(&format!("{}/atlassian-connect.json", running.base_url))
            .await?;
        let config = &running.state.config;
        let forge_app = config
            .forge_app
            .as_ref()
            .context("test apps are Forge remotes")?;
        sim.deploy_forge_manifest(&amj_server::descriptor::forge_manifest(
            &amj_server::descriptor::app_descriptor(config),
            config.base_url_str(),
            forge_app,
            &amj_server::descriptor::Listing::Forge,
        ));
        Ok(Stack {
            sim,
            app,
            state: running.state.clone(),
            running,
            _db: db,
        })
    }

    /// Adds the simulated site `name`, installs the app on it, and fills it with `plan` (the
    /// demo's schema of laptops, servers, monitors, licences and locations).
    pub async fn seeded_site(
        &self,
        name: &str,
        plan: &amj_bench::seed::SeedPlan,
    ) -> anyhow::Result<(amj_jira_sim::Site, amj_store::Tenant)> {
        self.sim.add_site(name);
        let status = self.sim.install(name, &self.app).await?;
        anyhow::ensure!(status == 204, "installing on {name} answered {status}");
        let site = self.sim.site(name)?;
        let tenant = self
            .state
            .store
            .tenant_by_client_key(&site.client_key)
            .await?
            .context("the installed site is not stored")?;
        // Owners are the site's own people, as in `amj demo`, so pages can name them.
        let mut plan = plan.clone();
        if plan.users.is_empty() {
            plan.users = self
                .sim
                .site_users(name)?
                .into_iter()
                .map(|u| u.account_id)
                .collect();
        }
        amj_bench::seed::seed_site(&self.state.store, tenant.id, &plan).await?;
        Ok((site, tenant))
    }

    /// Changes an asset's attributes through the API as someone else would, in another tab
    /// (with an API token of the site's): answers the status.
    pub async fn edit_elsewhere(
        &self,
        tenant: &amj_store::Tenant,
        key: &str,
        attributes: serde_json::Value,
    ) -> anyhow::Result<u16> {
        let token = self
            .state
            .store
            .create_api_token(tenant.id, "another tab", false, "e2e")
            .await?;
        let url = format!("{}/api/v1/assets/{key}", self.running.base_url);
        let http = reqwest::Client::new();
        let asset: serde_json::Value = http
            .get(&url)
            .bearer_auth(&token.secret)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let body = serde_json::json!({"version": asset["version"], "attributes": attributes});
        let response = http
            .patch(&url)
            .bearer_auth(&token.secret)
            .json(&body)
            .send()
            .await?;
        Ok(response.status().as_u16())
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // thirtyfour ends an unquit session synchronously when its last handle drops, which
        // blocked a failed test for over a minute; the whole process group is killed below
        // anyway, so that handle is kept (a few bytes, for the rest of the test process).
        std::mem::forget(self.driver.clone());
    }
}

impl Drop for BrowserProcesses {
    fn drop(&mut self) {
        // `kill -KILL -<pgid>` reaches Chromium and its helpers, which ChromeDriver alone would
        // leave orphaned.
        let group = format!("-{}", self.chromedriver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The ids of the live processes whose command line mentions `needle`.
pub fn processes_mentioning(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(needle))
        })
        .collect()
}

/// axe-core's script, installed from the lockfile on first use; `None` when it cannot be had.
fn axe_source() -> Option<&'static str> {
    static AXE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let path = dir.join("node_modules/axe-core/axe.min.js");
        if !path.exists() {
            eprintln!(
                "installing axe-core for the accessibility checks: npm ci in {}",
                dir.display()
            );
            let installed = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .status();
            match installed {
                Ok(status) if status.success() => {}
                Ok(status) => {
                    eprintln!("skipping the accessibility check: npm ci failed ({status})")
                }
                Err(e) => eprintln!("skipping the accessibility check: npm is not available ({e})"),
            }
        }
        std::fs::read_to_string(&path).ok()
    })
    .as_deref()
}
