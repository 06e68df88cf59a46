//! An API client for one simulated site: it calls as the site's admin, as an ordinary user, with
//! an API token or with no credentials, and returns the status and the JSON body, so a test reads
//! as the requests it makes.

use crate::app::TestApp;
use crate::db::TestDb;
use amj_jira_sim::{Sim, Site};
use serde_json::{Value, json};

#[derive(Clone)]
pub enum Auth {
    Jwt(String),
    Bearer(String),
    /// Through Forge: a FIT, and the system token Forge puts beside it (if any).
    Forge {
        fit: String,
        system_token: Option<String>,
    },
    /// Through Forge from a person's page: also their own token (`x-forge-oauth-user`).
    ForgeUser {
        fit: String,
        system_token: String,
        user_token: String,
    },
    None,
}

impl Auth {
    /// A fresh invocation of the global page by `account_id`, carrying their user token as
    /// Forge does for the UI endpoint.
    pub fn forge_person(sim: &Sim, site: &str, account_id: &str) -> Auth {
        let call = sim
            .forge_invoke(site, "amj-assets", Some(account_id))
            .unwrap();
        Auth::ForgeUser {
            fit: call.fit,
            system_token: call.system_token,
            user_token: sim.mint_user_token(site, account_id, 600).unwrap(),
        }
    }

    /// A fresh invocation of the site's global page by `principal` (the site admin if `None`).
    pub fn forge_page(sim: &Sim, site: &str, principal: Option<&str>) -> Auth {
        let admin = sim.site(site).unwrap().admin_account_id;
        let call = sim
            .forge_invoke(site, "amj-assets", Some(principal.unwrap_or(&admin)))
            .unwrap();
        Auth::Forge {
            fit: call.fit,
            system_token: Some(call.system_token),
        }
    }
}

pub struct Api {
    pub sim: Sim,
    pub app: TestApp,
    pub site: Site,
    /// A site admin's context token.
    pub admin: Auth,
    /// An ordinary Jira user's context token.
    pub user: Auth,
}

impl Api {
    pub async fn start(db: &TestDb) -> Api {
        let sim = Sim::start().await.unwrap();
        let app = TestApp::start(db, &sim).await;
        sim.register_app(&format!("{}/atlassian-connect.json", app.base_url))
            .await
            .unwrap();
        Self::on(sim, app, "acme").await
    }

    /// Installs the app on one more site of the same simulator and app.
    pub async fn on(sim: Sim, app: TestApp, name: &str) -> Api {
        sim.add_site(name);
        assert_eq!(sim.install(name, &app.target).await.unwrap(), 204);
        Self::on_existing(sim, app, name)
    }

    /// Calls as the admin and a user of a site where the app is already installed.
    pub fn on_existing(sim: Sim, app: TestApp, name: &str) -> Api {
        let site = sim.site(name).unwrap();
        let admin = Auth::Jwt(
            sim.context_token(&site, Some(&site.admin_account_id))
                .unwrap(),
        );
        let someone = sim
            .site_users(name)
            .unwrap()
            .into_iter()
            .find(|u| u.account_id != site.admin_account_id)
            .unwrap();
        let user = Auth::Jwt(sim.context_token(&site, Some(&someone.account_id)).unwrap());
        Api {
            sim,
            app,
            site,
            admin,
            user,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.app.call(method, path, auth, body).await
    }

    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, json) = self.call(method, path, &self.admin, body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path} answered {status}: {json}"
        );
        json
    }

    /// A schema "IT" with an abstract Hardware root, Laptop under it, and a Location type.
    pub async fn it_schema(&self) -> Catalog {
        self.ok(
            "POST",
            "/api/v1/schemas",
            Some(json!({"key": "IT", "name": "IT assets"})),
        )
        .await;
        let hardware = self
            .ok(
                "POST",
                "/api/v1/schemas/IT/types",
                Some(json!({"name": "Hardware", "isAbstract": true, "icon": "box"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let laptop = self
            .ok(
                "POST",
                "/api/v1/schemas/IT/types",
                Some(json!({"name": "Laptop", "parentId": hardware, "icon": "laptop"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let location = self
            .ok(
                "POST",
                "/api/v1/schemas/IT/types",
                Some(json!({"name": "Location", "icon": "building"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let attr = |type_id: i64, body: Value| async move {
            self.ok(
                "POST",
                &format!("/api/v1/schemas/IT/types/{type_id}/attributes"),
                Some(body),
            )
            .await
        };
        attr(hardware, json!({"name": "Serial number", "kind": "text", "regex": "^[A-Z0-9-]+$", "unique": true})).await;
        attr(hardware, json!({"name": "Located in", "kind": "reference", "targetType": location, "referenceType": "located in", "max": 1})).await;
        attr(
            laptop,
            json!({"name": "RAM (GB)", "kind": "integer", "min": 1, "max": 1024}),
        )
        .await;
        attr(laptop, json!({"name": "Purchased", "kind": "date"})).await;
        attr(laptop, json!({"name": "Tags", "kind": "select", "options": ["Loaner", "VIP", "Spare"], "multiple": true})).await;
        attr(laptop, json!({"name": "Owner", "kind": "jira_user"})).await;
        attr(
            laptop,
            json!({"name": "Price", "kind": "decimal", "min": 0}),
        )
        .await;
        attr(laptop, json!({"name": "Encrypted", "kind": "boolean"})).await;
        attr(laptop, json!({"name": "Last seen", "kind": "datetime"})).await;
        attr(laptop, json!({"name": "Vendor page", "kind": "url"})).await;
        attr(laptop, json!({"name": "Support email", "kind": "email"})).await;
        attr(laptop, json!({"name": "IP", "kind": "ip_address"})).await;
        attr(laptop, json!({"name": "Notes", "kind": "textarea"})).await;
        attr(laptop, json!({"name": "Project", "kind": "jira_project"})).await;
        Catalog {
            hardware,
            laptop,
            location,
        }
    }

    pub async fn laptop(&self, name: &str, serial: &str) -> Value {
        self.ok(
            "POST",
            "/api/v1/schemas/IT/assets",
            Some(json!({"type": "Laptop", "attributes": {"Name": name, "Serial number": serial}})),
        )
        .await
    }

    pub async fn stop(self) {
        self.app.stop().await;
    }
}

/// The ids of the types [`Api::it_schema`] makes.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    pub hardware: i64,
    pub laptop: i64,
    pub location: i64,
}
