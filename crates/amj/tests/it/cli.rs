//! The `amj` binary's contract: master-key rules and clear errors for bad flags.

use std::process::Command;

fn amj() -> Command {
    Command::new(env!("CARGO_BIN_EXE_amj"))
}

#[test]
fn secret_key_generate_prints_a_fresh_32_byte_key() {
    let first = amj().args(["secret-key", "generate"]).output().unwrap();
    assert!(first.status.success());
    let key = String::from_utf8(first.stdout).unwrap();
    amj_store::crypto::MasterKey::from_base64(key.trim()).expect("a usable master key");
    let second = amj().args(["secret-key", "generate"]).output().unwrap();
    assert_ne!(key, String::from_utf8(second.stdout).unwrap());
}

#[test]
fn postgres_without_a_master_key_refuses_to_start() {
    let out = amj()
        .args([
            "serve",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "--bind",
            "127.0.0.1:0",
        ])
        .env_remove("AMJ_SECRET_KEY_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--secret-key-file"), "{stderr}");
}

#[test]
fn bad_flags_get_clear_messages_and_a_non_zero_exit() {
    let cases: [(&[&str], &str); 6] = [
        (&["serve", "--database-url", "mysql://x"], "--database-url"),
        (&["serve", "--database-url", "sqlite::memory:"], "in-memory"),
        (
            &["serve", "--allowed-hosts", "https://x.example/"],
            "--allowed-hosts",
        ),
        (&["serve", "--base-url", "not a url"], "--base-url"),
        (&["serve", "--forge-app-id", "my app"], "--forge-app-id"),
        (
            &["serve", "--forge-jwks-url", "ftp://x/jwks"],
            "--forge-jwks-url",
        ),
    ];
    for (args, expected) in cases {
        let out = amj()
            .args(args)
            .env_remove("AMJ_SECRET_KEY_FILE")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let leeway = amj()
        .args(["serve", "--jwt-leeway-secs", "9999"])
        .output()
        .unwrap();
    assert!(!leeway.status.success());
}

#[test]
fn sqlite_without_a_key_creates_one_next_to_the_database() {
    let dir = std::env::temp_dir().join(format!("amj-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("amj.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let args = amj::cli::ServeArgs {
        base_url: None,
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", db.display()),
        install_keys_url: amj_connect::install_keys::ATLASSIAN_KEY_SERVER.into(),
        app_key: "amj".into(),
        secret_key_file: None,
        allowed_hosts: "*.atlassian.net".into(),
        jwt_leeway_secs: 30,
        legacy_installs: false,
        ap_js_url: "https://connect-cdn.atl-paas.net/all.js".into(),
        forge_app_id: None,
        forge_jwks_url: amj_connect::forge::JWKS_PRODUCTION.into(),
        ops: amj::cli::OpsArgs::default(),
    };
    let prepared = runtime.block_on(amj::cli::prepare(&args)).unwrap();
    let key_file = dir.join("master.key");
    assert!(key_file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    runtime.block_on(prepared.state.store.close());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn jira_sim_explains_an_unreachable_descriptor_and_demo_rejects_bad_intervals() {
    let out = amj()
        .args([
            "jira-sim",
            "--bind",
            "127.0.0.1:0",
            "--app-descriptor-url",
            "http://127.0.0.1:1/atlassian-connect.json",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("descriptor was refused"), "{stderr}");
    let out = amj()
        .args(["demo", "--rotate-every", "soon"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a duration"));
}

#[test]
fn bench_commands_refuse_bad_input_clearly() {
    let cases: [(&[&str], &str); 10] = [
        (&["bench", "fit", "--installations", "1000,10"], "ascending"),
        (&["bench", "fit", "--rounds", "0"], "--rounds"),
        (
            &[
                "bench",
                "seed",
                "--database-url",
                "sqlite:///tmp/x.db",
                "--assets",
                "10",
            ],
            "--tenant",
        ),
        (
            &[
                "bench",
                "seed",
                "--database-url",
                "mysql://x",
                "--tenant",
                "t",
                "--assets",
                "10",
            ],
            "--database-url",
        ),
        (
            &[
                "bench",
                "seed",
                "--database-url",
                "sqlite:///tmp/x.db",
                "--tenant",
                "t",
                "--assets",
                "0",
            ],
            "--assets",
        ),
        (
            &[
                "bench",
                "seed",
                "--database-url",
                "sqlite:///tmp/x.db",
                "--tenant",
                " ",
                "--assets",
                "5",
            ],
            "clientKey",
        ),
        (
            &[
                "bench",
                "assets",
                "--database-url",
                "sqlite::memory:",
                "--assets",
                "10",
            ],
            "in-memory",
        ),
        (
            &[
                "bench",
                "assets",
                "--database-url",
                "postgres://nobody@127.0.0.1:1/none",
                "--assets",
                "10",
            ],
            "--secret-key-file",
        ),
        (
            &[
                "bench",
                "assets",
                "--database-url",
                "sqlite:///tmp/x.db",
                "--assets",
                "ten",
            ],
            "--assets",
        ),
        (
            &[
                "bench",
                "assets",
                "--database-url",
                "sqlite:///tmp/x.db",
                "--assets",
                "10",
                "--samples",
                "0",
            ],
            "--samples",
        ),
    ];
    for (args, expected) in cases {
        let out = amj()
            .args(args)
            .env_remove("AMJ_SECRET_KEY_FILE")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn bench_seed_then_measure_a_small_site() {
    let dir = std::env::temp_dir().join(format!("amj-cli-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = format!("sqlite://{}", dir.join("amj.db").display());
    let seed = amj()
        .args([
            "bench",
            "seed",
            "--database-url",
            &url,
            "--tenant",
            "bench-cli",
            "--assets",
            "40",
        ])
        .output()
        .unwrap();
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    let stdout = String::from_utf8_lossy(&seed.stdout);
    assert!(
        stdout.contains("created schema IT: 40 assets added to 0"),
        "{stdout}"
    );
    let bench = amj()
        .args([
            "bench",
            "assets",
            "--database-url",
            &url,
            "--tenant",
            "bench-cli",
            "--assets",
            "60",
            "--samples",
            "3",
            "--insert-batches",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        bench.status.success(),
        "{}",
        String::from_utf8_lossy(&bench.stderr)
    );
    let stdout = String::from_utf8_lossy(&bench.stdout);
    assert!(
        stdout.contains("reused schema IT: 20 assets added to 40"),
        "{stdout}"
    );
    for row in [
        "| get by key (random keys) | 3 |",
        "| update one asset",
        "| list page 1 by Purchased",
        "| bulk insert at 60",
        "| process RSS",
    ] {
        assert!(stdout.contains(row), "{row} missing from:\n{stdout}");
    }
    let page = amj()
        .args([
            "bench",
            "page",
            "--database-url",
            &url,
            "--tenant",
            "bench-cli",
            "--samples",
            "3",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&page.stdout);
    assert!(
        page.status.success(),
        "{}",
        String::from_utf8_lossy(&page.stderr)
    );
    for row in [
        "| the list as opened (no query) | (none) |",
        "| a type | `objectType = Laptop` |",
    ] {
        assert!(stdout.contains(row), "{row} missing from:\n{stdout}");
    }
    let missing = amj()
        .args([
            "bench",
            "page",
            "--database-url",
            &url,
            "--tenant",
            "nobody",
        ])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("seed it with `amj bench seed` first")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn forge_manifest_writes_both_listings_and_refuses_bad_input() {
    let dir = std::env::temp_dir().join(format!("amj-forge-{}", amj_testkit::random_tag()));
    std::fs::create_dir_all(&dir).unwrap();
    let app_id = "6f2d0c1e-4a7b-4c3d-9e8f-0a1b2c3d4e5f";
    let read = |file: &std::path::Path| -> serde_json::Value {
        let text = std::fs::read_to_string(file).unwrap();
        // The file is YAML whose document is JSON, after one comment line.
        let (comment, document) = text.split_once('\n').unwrap();
        assert!(comment.starts_with('#'), "{comment}");
        serde_json::from_str(document).unwrap()
    };
    let forge = dir.join("forge.yml");
    let out = amj()
        .args([
            "forge",
            "manifest",
            "--base-url",
            "https://amj.example.com",
            "--app-id",
            app_id,
        ])
        .arg("--out")
        .arg(&forge)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = read(&forge);
    assert_eq!(
        manifest["app"]["id"],
        format!("ari:cloud:ecosystem::app/{app_id}")
    );
    assert_eq!(manifest["remotes"][0]["baseUrl"], "https://amj.example.com");
    assert!(manifest["app"].get("connect").is_none());
    assert!(manifest.get("connectModules").is_none());
    assert_eq!(manifest["modules"]["jira:globalPage"][0]["key"], "assets");

    let migration = dir.join("migration.yml");
    let out = amj()
        .args([
            "forge",
            "manifest",
            "--base-url",
            "https://amj.example.com/",
            "--app-id",
        ])
        .arg(format!("ari:cloud:ecosystem::app/{app_id}"))
        .args(["--connect-key", "asset-management-for-jira", "--out"])
        .arg(&migration)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = read(&migration);
    assert_eq!(
        manifest["app"]["connect"]["key"],
        "asset-management-for-jira"
    );
    assert_eq!(
        manifest["connectModules"]["jira:lifecycle"][0]["installed"],
        "/installed"
    );

    for (args, wanted) in [
        (
            vec!["--base-url", "http://amj.example.com", "--app-id", app_id],
            "https",
        ),
        (
            vec!["--base-url", "not a url", "--app-id", app_id],
            "not a URL",
        ),
        (
            vec![
                "--base-url",
                "https://amj.example.com",
                "--app-id",
                "my-app",
            ],
            "--app-id",
        ),
    ] {
        let out = amj()
            .args(["forge", "manifest", "--out", "-"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(wanted), "{args:?}: {stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn forge_package_lays_out_the_manifest_and_the_custom_ui() {
    let dir = std::env::temp_dir().join(format!("amj-package-{}", amj_testkit::random_tag()));
    let app = dir.join("app");
    std::fs::create_dir_all(app.join("static/ui/stale")).unwrap();
    std::fs::write(app.join("static/ui/stale/old.js"), "old").unwrap();
    std::fs::write(app.join("README.md"), "ours").unwrap();
    let package = |out: &std::path::Path| {
        amj()
            .args([
                "forge",
                "package",
                "--base-url",
                "https://amj.example.com",
                "--app-id",
                "6f2d0c1e-4a7b-4c3d-9e8f-0a1b2c3d4e5f",
                "--out",
            ])
            .arg(out)
            .output()
            .unwrap()
    };
    let out = package(&app);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("forge deploy"),
        "says what is next: {stderr}"
    );

    let manifest = std::fs::read_to_string(app.join("manifest.yml")).unwrap();
    let (_, document) = manifest.split_once('\n').unwrap();
    let manifest: serde_json::Value = serde_json::from_str(document).unwrap();
    assert_eq!(manifest["resources"][0]["path"], "static/ui");
    // The resource is the bundle: its page and every file the page names.
    let index = std::fs::read_to_string(app.join("static/ui/index.html")).unwrap();
    let named: Vec<&str> = index
        .split('"')
        .filter(|part| part.starts_with("./assets/"))
        .collect();
    assert!(named.iter().any(|n| n.ends_with(".js")), "{index}");
    for file in named {
        assert!(app.join("static/ui").join(&file[2..]).is_file(), "{file}");
    }
    assert!(
        !app.join("static/ui/stale").exists(),
        "the previous build is replaced"
    );
    assert_eq!(
        std::fs::read_to_string(app.join("README.md")).unwrap(),
        "ours"
    );

    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = package(&file);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a file"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn jira_sim_installs_sites_on_forge_and_prints_the_apps_forge_flags() {
    use std::io::BufRead as _;
    let db = crate::support::TestDb::new(crate::support::Backend::Sqlite).await;
    let sim = amj_jira_sim::Sim::start().await.unwrap();
    let app = crate::support::TestApp::start(&db, &sim).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_amj"))
        .args([
            "jira-sim",
            "--bind",
            "127.0.0.1:0",
            "--sites",
            "newco",
            "--forge",
        ])
        .arg("--app-descriptor-url")
        .arg(format!("{}/atlassian-connect.json", app.base_url))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Read until the simulator says it is ready (bounded: the process is killed after).
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let done = line.contains("Press Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let lines = tokio::time::timeout(std::time::Duration::from_secs(30), lines)
        .await
        .map(|joined| joined.unwrap())
        .unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    let text = lines.join("\n");
    assert!(
        text.contains(&format!(
            "--forge-app-id {}",
            amj_jira_sim::forge_host::SIM_FORGE_APP
        )),
        "{text}"
    );
    assert!(
        text.contains("Forge installation ari:cloud:ecosystem::installation/"),
        "{text}"
    );
    assert!(text.contains("/sites/newco"), "{text}");
    assert!(!text.contains("installed on"), "no Connect install: {text}");
    app.stop().await;
    db.cleanup().await;
}
