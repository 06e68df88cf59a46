//! Fills a site with realistic IT asset data: the demo's content, and the data set the asset
//! benchmarks run on (`amj bench`).
//!
//! The data is deterministic (a seeded PRNG written here, so the same plan gives the same assets on
//! every machine and no dependency is needed), goes through the same store calls the API uses
//! (`create_assets` in batches, `link_issue`), and exercises every feature a list or a query has to
//! cope with: inheritance (Hardware → Laptop/Server/Monitor), an abstract type, a unique regex-
//! checked text, selects, integers, decimals, dates, Jira users, IP addresses, single and
//! multi-valued references, values missing on some assets, and statuses spread unevenly.

use amj_connect::lifecycle::{LifecycleEvent, LifecyclePayload};
use amj_domain::ids::{AttributeId, SchemaId, StatusId, TenantId, TypeId};
use amj_domain::report::ReportSettings;
use amj_domain::value::parse_date;
use amj_domain::{
    AssetKey, AssetTypeDraft, AttributeDraft, AttributeKind, AttributeValues, SchemaDraft,
    SchemaKey, StatusCategory, Value,
};
use amj_store::links::IssueRef;
use amj_store::{InstallRequest, Store, StoreError};
use anyhow::{Context, anyhow, bail};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use amj_store::assets::{AssetRecord, NewAsset};
use amj_store::catalog::SchemaModel;

/// The key of the seeded schema; asset keys read `IT-1`, `IT-2`, ….
pub const SCHEMA_KEY: &str = "IT";
/// The seeded schema's name.
pub const SCHEMA_NAME: &str = "IT assets";

/// What to do when the site already has assets in the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Add `assets` more, whatever is there: `amj bench seed` grows a data set step by step.
    Add,
    /// Add only what is missing for the schema to hold `assets` in total, so that running the
    /// demo or a benchmark twice reuses the data instead of doubling it.
    TopUp,
}

#[derive(Debug, Clone)]
pub struct SeedPlan {
    /// How many assets to add (or to reach, with [`Existing::TopUp`]).
    pub assets: u64,
    /// Link every n-th new asset to a Jira issue; 0 links none. Each link is its own transaction
    /// (as in the app), so large plans keep this sparse.
    pub link_every: u64,
    /// Assets per `create_assets` call. About 1,000 keeps each transaction short (other writers
    /// wait for SQLite's write lock) while amortising the per-transaction cost.
    pub batch: usize,
    /// The PRNG seed: the same seed and plan give the same data.
    pub seed: u64,
    pub existing: Existing,
    /// Atlassian accountIds for the Owner attribute; empty means synthetic ones.
    pub users: Vec<String>,
    /// Issues to link assets to; empty means synthetic ones (ids and keys in a plausible range).
    pub issues: Vec<IssueRef>,
    /// Recorded as the creator in history: "app" (the app itself, as people see demo data), or
    /// whoever a benchmark says.
    pub actor: String,
    /// Check out every n-th new laptop or monitor to one of `users` (some overdue, some for an
    /// issue); 0 checks out none.
    pub checkouts_every: u64,
    /// Make software licences licences: the schema's licence policy (installations counted
    /// from "Installed on"), each new licence's terms from its Seats and Expires, and a few of
    /// its seats given to `users`. One transaction per licence, so large plans leave it off.
    pub licences: bool,
    /// Stock on a new schema: Consumable and Accessory types counted as stock, a few items
    /// kept at the first locations with minimums (some below), and some accessories issued to
    /// `users`. A few dozen transactions, so large plans leave it off.
    pub stock: bool,
}

impl SeedPlan {
    /// The demo's site: enough assets to fill two list pages and show every attribute kind, with a
    /// quarter of them linked to the site's issues.
    pub fn demo() -> SeedPlan {
        SeedPlan {
            assets: 60,
            link_every: 4,
            batch: 1000,
            seed: 42,
            existing: Existing::TopUp,
            users: Vec::new(),
            issues: Vec::new(),
            actor: "app".to_owned(),
            checkouts_every: 0,
            licences: true,
            stock: true,
        }
    }

    /// A benchmark data set of `assets` assets, one in a thousand linked.
    pub fn large(assets: u64) -> SeedPlan {
        SeedPlan {
            assets,
            link_every: 1000,
            licences: false,
            stock: false,
            ..SeedPlan::demo()
        }
    }
}

#[derive(Debug, Clone)]
pub struct SeedReport {
    pub schema_id: SchemaId,
    /// Whether this run created the schema (otherwise it added to an existing one).
    pub schema_created: bool,
    pub assets_before: i64,
    pub assets_created: u64,
    pub links_created: u64,
    pub by_type: BTreeMap<&'static str, u64>,
    /// Wall time of each `create_assets` call, with its number of assets, for insert rates.
    pub batches: Vec<(usize, Duration)>,
    pub elapsed: Duration,
}

impl SeedReport {
    /// One line for logs and the CLI.
    pub fn summary(&self) -> String {
        let types = self
            .by_type
            .iter()
            .map(|(t, n)| format!("{n} {t}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rate = if self.elapsed.as_secs_f64() > 0.0 {
            self.assets_created as f64 / self.elapsed.as_secs_f64()
        } else {
            0.0
        };
        format!(
            "{} schema {SCHEMA_KEY}: {} assets added to {} ({}), {} issue links, in {:.1}s ({rate:.0} assets/s)",
            if self.schema_created {
                "created"
            } else {
                "reused"
            },
            self.assets_created,
            self.assets_before,
            if types.is_empty() { "none" } else { &types },
            self.links_created,
            self.elapsed.as_secs_f64(),
        )
    }
}

pub(crate) use crate::rng::Rng;

const CITIES: &[(&str, &str, &str)] = &[
    ("Berlin", "BER", "Germany"),
    ("Lisbon", "LIS", "Portugal"),
    ("London", "LON", "United Kingdom"),
    ("Toronto", "YYZ", "Canada"),
    ("Austin", "AUS", "United States"),
    ("Singapore", "SIN", "Singapore"),
    ("Sydney", "SYD", "Australia"),
    ("Nairobi", "NBO", "Kenya"),
    ("São Paulo", "GRU", "Brazil"),
    ("Warsaw", "WAW", "Poland"),
];
const COUNTRIES: &[&str] = &[
    "Australia",
    "Brazil",
    "Canada",
    "Germany",
    "Kenya",
    "Poland",
    "Portugal",
    "Singapore",
    "United Kingdom",
    "United States",
];
const STREETS: &[&str] = &[
    "Market Street",
    "Harbour Road",
    "Station Square",
    "Mill Lane",
    "Park Avenue",
    "Canal Walk",
];
const MANUFACTURERS: &[&str] = &[
    "Apple",
    "Dell",
    "Lenovo",
    "HP",
    "Microsoft",
    "Samsung",
    "LG",
    "Supermicro",
    "Cisco",
];
/// (manufacturer, model, low price, high price) per hardware kind.
const LAPTOPS: &[(&str, &str, i64, i64)] = &[
    ("Apple", "MacBook Pro 14", 1999, 3499),
    ("Apple", "MacBook Air 13", 1099, 1799),
    ("Dell", "Latitude 7440", 1299, 2199),
    ("Lenovo", "ThinkPad X1 Carbon", 1499, 2599),
    ("Lenovo", "ThinkPad T14", 999, 1799),
    ("HP", "EliteBook 840", 1099, 1999),
    ("Microsoft", "Surface Laptop 6", 1199, 2399),
];
const SERVERS: &[(&str, &str, i64, i64)] = &[
    ("Dell", "PowerEdge R760", 6500, 24000),
    ("Dell", "PowerEdge R660", 4800, 16000),
    ("HP", "ProLiant DL380 Gen11", 6200, 22000),
    ("Lenovo", "ThinkSystem SR650 V3", 5900, 21000),
    ("Supermicro", "SuperServer 1029P", 2500, 9000),
    ("Cisco", "UCS C240 M7", 7000, 25000),
];
const MONITORS: &[(&str, &str, i64, i64, f64, &str)] = &[
    ("Dell", "UltraSharp U2723QE", 480, 690, 27.0, "3840×2160"),
    ("Dell", "P2422H", 170, 260, 23.8, "1920×1080"),
    ("LG", "27UK850-W", 350, 520, 27.0, "3840×2160"),
    ("Samsung", "ViewFinity S9", 1100, 1600, 27.0, "5120×2880"),
    ("Apple", "Studio Display", 1599, 2299, 27.0, "5120×2880"),
    ("HP", "E24 G5", 160, 240, 23.8, "1920×1080"),
    ("LG", "34WN80C-B", 420, 600, 34.0, "3440×1440"),
];
const RESOLUTIONS: &[&str] = &[
    "1920×1080",
    "2560×1440",
    "3440×1440",
    "3840×2160",
    "5120×2880",
];
const OPERATING_SYSTEMS: &[&str] = &["macOS", "Windows 11", "Ubuntu 24.04"];
/// (product, vendor, low seats, high seats).
const LICENCES: &[(&str, &str, i64, i64)] = &[
    ("Microsoft 365 E3", "Microsoft", 50, 2000),
    ("Windows Server 2022 Datacenter", "Microsoft", 2, 16),
    ("Adobe Creative Cloud", "Adobe", 5, 120),
    ("Figma Professional", "Figma", 5, 80),
    ("JetBrains All Products Pack", "JetBrains", 5, 200),
    ("Slack Business+", "Slack", 50, 1500),
    ("Zoom Business", "Zoom", 10, 500),
    ("1Password Business", "1Password", 25, 1000),
    ("Red Hat Enterprise Linux", "Red Hat", 1, 64),
    ("VMware vSphere Foundation", "Broadcom", 2, 32),
];
const VENDORS: &[&str] = &[
    "1Password",
    "Adobe",
    "Broadcom",
    "Figma",
    "JetBrains",
    "Microsoft",
    "Red Hat",
    "Slack",
    "Zoom",
];
const ISSUE_TEMPLATES: &[&str] = &[
    "Hardware request:",
    "Repair:",
    "Return from a leaver:",
    "Warranty claim for",
    "Audit finding on",
    "Renewal due for",
];
const ISSUE_PROJECTS: &[&str] = &["ITSM", "OPS", "HELP"];

struct TypeSpec {
    name: &'static str,
    parent: Option<&'static str>,
    icon: &'static str,
    description: &'static str,
    is_abstract: bool,
}

const TYPES: &[TypeSpec] = &[
    TypeSpec {
        name: "Hardware",
        parent: None,
        icon: "box",
        description: "Physical equipment: anything with a serial number.",
        is_abstract: true,
    },
    TypeSpec {
        name: "Laptop",
        parent: Some("Hardware"),
        icon: "laptop",
        description: "Portable computers issued to people.",
        is_abstract: false,
    },
    TypeSpec {
        name: "Server",
        parent: Some("Hardware"),
        icon: "server",
        description: "Rack servers in our server rooms and data centres.",
        is_abstract: false,
    },
    TypeSpec {
        name: "Monitor",
        parent: Some("Hardware"),
        icon: "monitor",
        description: "Displays on desks and in meeting rooms.",
        is_abstract: false,
    },
    TypeSpec {
        name: "Software licence",
        parent: None,
        icon: "license",
        description: "Subscriptions and licences, and the machines they are installed on.",
        is_abstract: false,
    },
    TypeSpec {
        name: "Location",
        parent: None,
        icon: "building",
        description: "Offices, floors and server rooms.",
        is_abstract: false,
    },
];

fn select(options: &[&str]) -> AttributeKind {
    AttributeKind::Select {
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        multiple: false,
    }
}

fn draft(
    name: &str,
    kind: AttributeKind,
    required: bool,
    unique: bool,
    description: &str,
) -> AttributeDraft {
    AttributeDraft {
        name: name.to_owned(),
        kind,
        required,
        unique,
        description: description.to_owned(),
    }
}

/// The attributes the seed needs, by declaring type. References need the target types' ids.
fn attribute_specs(hardware: TypeId, location: TypeId) -> Vec<(&'static str, AttributeDraft)> {
    let int = |min: i64, max: i64| AttributeKind::Integer {
        min: Some(min),
        max: Some(max),
    };
    let money = AttributeKind::Decimal {
        min: Some(0.0),
        max: None,
    };
    vec![
        (
            "Hardware",
            draft(
                "Serial number",
                AttributeKind::Text {
                    regex: Some(SERIAL_PATTERN.to_owned()),
                },
                true,
                true,
                "The manufacturer's serial number, as printed on the device.",
            ),
        ),
        (
            "Hardware",
            draft("Manufacturer", select(MANUFACTURERS), true, false, ""),
        ),
        (
            "Hardware",
            draft(
                "Model",
                AttributeKind::Text { regex: None },
                false,
                false,
                "",
            ),
        ),
        (
            "Hardware",
            draft(
                "Purchase price",
                money.clone(),
                false,
                false,
                "In EUR, before tax.",
            ),
        ),
        (
            "Hardware",
            draft("Purchased", AttributeKind::Date, false, false, ""),
        ),
        (
            "Hardware",
            draft("Warranty until", AttributeKind::Date, false, false, ""),
        ),
        (
            "Hardware",
            draft(
                "Owner",
                AttributeKind::JiraUser { multiple: false },
                false,
                false,
                "The person responsible for the device.",
            ),
        ),
        (
            "Hardware",
            draft(
                "Located in",
                AttributeKind::Reference {
                    target_type: location,
                    reference_type: "located in".to_owned(),
                    min: 0,
                    max: Some(1),
                },
                false,
                false,
                "",
            ),
        ),
        ("Laptop", draft("RAM (GB)", int(1, 4096), false, false, "")),
        (
            "Laptop",
            draft(
                "Operating system",
                select(OPERATING_SYSTEMS),
                false,
                false,
                "",
            ),
        ),
        ("Server", draft("RAM (GB)", int(1, 65536), false, false, "")),
        ("Server", draft("CPU cores", int(1, 1024), false, false, "")),
        (
            "Server",
            draft("IP address", AttributeKind::IpAddress, false, false, ""),
        ),
        (
            "Monitor",
            draft(
                "Screen size (in)",
                AttributeKind::Decimal {
                    min: Some(5.0),
                    max: Some(120.0),
                },
                false,
                false,
                "",
            ),
        ),
        (
            "Monitor",
            draft("Resolution", select(RESOLUTIONS), false, false, ""),
        ),
        (
            "Software licence",
            draft("Vendor", select(VENDORS), true, false, ""),
        ),
        (
            "Software licence",
            draft("Seats", int(1, 1_000_000), true, false, ""),
        ),
        (
            "Software licence",
            draft("Expires", AttributeKind::Date, false, false, ""),
        ),
        (
            "Software licence",
            draft(
                "Installed on",
                AttributeKind::Reference {
                    target_type: hardware,
                    reference_type: "installed on".to_owned(),
                    min: 0,
                    max: None,
                },
                false,
                false,
                "The machines that use a seat of this licence.",
            ),
        ),
        (
            "Location",
            draft(
                "Address",
                AttributeKind::Text { regex: None },
                false,
                false,
                "",
            ),
        ),
        (
            "Location",
            draft("Country", select(COUNTRIES), false, false, ""),
        ),
    ]
}

/// The seeded schema's ids, resolved by name so the seed can extend a schema it made before.
#[derive(Debug)]
pub(crate) struct Catalog {
    pub(crate) model: Arc<SchemaModel>,
    laptop: TypeId,
    server: TypeId,
    monitor: TypeId,
    licence: TypeId,
    location: TypeId,
    /// The label ("Name") attribute of each root type, which holds the label's text.
    hardware_name: AttributeId,
    licence_name: AttributeId,
    location_name: AttributeId,
    pub(crate) serial: AttributeId,
    manufacturer: AttributeId,
    model_name: AttributeId,
    pub(crate) price: AttributeId,
    pub(crate) purchased: AttributeId,
    warranty: AttributeId,
    owner: AttributeId,
    located_in: AttributeId,
    laptop_ram: AttributeId,
    laptop_os: AttributeId,
    server_ram: AttributeId,
    server_cores: AttributeId,
    server_ip: AttributeId,
    monitor_size: AttributeId,
    monitor_resolution: AttributeId,
    vendor: AttributeId,
    seats: AttributeId,
    expires: AttributeId,
    installed_on: AttributeId,
    address: AttributeId,
    country: AttributeId,
    /// Statuses with how often new assets get them (most in use, few in repair).
    statuses: Vec<(StatusId, u64)>,
}

fn find_type(model: &SchemaModel, name: &str) -> Option<TypeId> {
    model
        .types
        .types()
        .find(|t| t.name.eq_ignore_ascii_case(name))
        .map(|t| t.id)
}

fn find_attribute(model: &SchemaModel, type_id: TypeId, name: &str) -> anyhow::Result<AttributeId> {
    model
        .attributes
        .iter()
        .find(|a| a.type_id == type_id && a.name.eq_ignore_ascii_case(name))
        .map(|a| a.id)
        .ok_or_else(|| anyhow!("schema {SCHEMA_KEY} has no attribute {name:?} on type {type_id}"))
}

fn label_attribute(model: &SchemaModel, type_id: TypeId) -> anyhow::Result<AttributeId> {
    model
        .types
        .label_attribute(type_id)
        .ok_or_else(|| anyhow!("type {type_id} of schema {SCHEMA_KEY} has no label attribute"))
}

impl Catalog {
    fn resolve(model: Arc<SchemaModel>) -> anyhow::Result<Catalog> {
        let m = &*model;
        let ty = |name: &str| {
            find_type(m, name).ok_or_else(|| anyhow!("schema {SCHEMA_KEY} has no type {name:?}"))
        };
        let (hardware, laptop, server, monitor, licence, location) = (
            ty("Hardware")?,
            ty("Laptop")?,
            ty("Server")?,
            ty("Monitor")?,
            ty("Software licence")?,
            ty("Location")?,
        );
        let statuses = m
            .statuses
            .iter()
            .map(|s| {
                let weight = match s.category {
                    StatusCategory::Available => 25,
                    StatusCategory::InUse => 55,
                    StatusCategory::Maintenance => 8,
                    StatusCategory::Retired => 12,
                };
                (s.id, weight)
            })
            .collect::<Vec<_>>();
        if statuses.is_empty() {
            bail!("schema {SCHEMA_KEY} has no statuses");
        }
        Ok(Catalog {
            hardware_name: label_attribute(m, hardware)?,
            licence_name: label_attribute(m, licence)?,
            location_name: label_attribute(m, location)?,
            serial: find_attribute(m, hardware, "Serial number")?,
            manufacturer: find_attribute(m, hardware, "Manufacturer")?,
            model_name: find_attribute(m, hardware, "Model")?,
            price: find_attribute(m, hardware, "Purchase price")?,
            purchased: find_attribute(m, hardware, "Purchased")?,
            warranty: find_attribute(m, hardware, "Warranty until")?,
            owner: find_attribute(m, hardware, "Owner")?,
            located_in: find_attribute(m, hardware, "Located in")?,
            laptop_ram: find_attribute(m, laptop, "RAM (GB)")?,
            laptop_os: find_attribute(m, laptop, "Operating system")?,
            server_ram: find_attribute(m, server, "RAM (GB)")?,
            server_cores: find_attribute(m, server, "CPU cores")?,
            server_ip: find_attribute(m, server, "IP address")?,
            monitor_size: find_attribute(m, monitor, "Screen size (in)")?,
            monitor_resolution: find_attribute(m, monitor, "Resolution")?,
            vendor: find_attribute(m, licence, "Vendor")?,
            seats: find_attribute(m, licence, "Seats")?,
            expires: find_attribute(m, licence, "Expires")?,
            installed_on: find_attribute(m, licence, "Installed on")?,
            address: find_attribute(m, location, "Address")?,
            country: find_attribute(m, location, "Country")?,
            laptop,
            server,
            monitor,
            licence,
            location,
            statuses,
            model,
        })
    }

    fn status(&self, rng: &mut Rng) -> StatusId {
        let total: u64 = self.statuses.iter().map(|(_, w)| w).sum();
        let mut roll = rng.below(total);
        for (id, weight) in &self.statuses {
            if roll < *weight {
                return *id;
            }
            roll -= weight;
        }
        self.statuses.first().map_or(StatusId(0), |(id, _)| *id)
    }
}

/// Creates the schema, its types and attributes, whichever of them are missing, and resolves
/// them. A piece that exists with another kind is an error: the seed's values would not fit it.
pub(crate) async fn ensure_catalog(
    store: &Store,
    tenant: TenantId,
) -> anyhow::Result<(Catalog, bool)> {
    let key = SchemaKey::parse(SCHEMA_KEY).map_err(|e| anyhow!("{e}"))?;
    let (schema, created) = match store.schema_by_key(tenant, &key).await? {
        Some(schema) => (schema, false),
        None => {
            let draft = SchemaDraft {
                key: SCHEMA_KEY.to_owned(),
                name: SCHEMA_NAME.to_owned(),
                description: "Laptops, servers, monitors, software licences and where they are."
                    .to_owned(),
                users_can_edit: true,
            };
            draft.validate().map_err(|e| anyhow!("{e}"))?;
            match store.create_schema(tenant, &key, &draft.normalized()).await {
                Ok(schema) => (schema, true),
                // Another seed created it meanwhile: use theirs.
                Err(StoreError::Conflict { .. }) => (
                    store
                        .schema_by_key(tenant, &key)
                        .await?
                        .context("the schema vanished after a key conflict")?,
                    false,
                ),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let model = |store: &Store| {
        let schema = schema.id;
        let store = store.clone();
        async move {
            store
                .schema_model(tenant, schema)
                .await?
                .context("the seeded schema vanished")
        }
    };
    let mut current = model(store).await?;
    for spec in TYPES {
        if find_type(&current, spec.name).is_some() {
            continue;
        }
        let parent_id = match spec.parent {
            Some(parent) => Some(
                find_type(&current, parent)
                    .with_context(|| format!("type {parent:?} is missing"))?,
            ),
            None => None,
        };
        let draft = AssetTypeDraft {
            name: spec.name.to_owned(),
            parent_id,
            icon: spec.icon.to_owned(),
            description: spec.description.to_owned(),
            is_abstract: spec.is_abstract,
        };
        draft
            .validate()
            .map_err(|e| anyhow!("type {}: {e}", spec.name))?;
        store
            .create_type(tenant, schema.id, &draft.normalized())
            .await?;
        current = model(store).await?;
    }
    let hardware = find_type(&current, "Hardware").context("type Hardware is missing")?;
    let location = find_type(&current, "Location").context("type Location is missing")?;
    for (type_name, draft) in attribute_specs(hardware, location) {
        let type_id = find_type(&current, type_name)
            .with_context(|| format!("type {type_name:?} is missing"))?;
        let existing = current
            .attributes
            .iter()
            .find(|a| a.type_id == type_id && a.name.eq_ignore_ascii_case(&draft.name));
        match existing {
            Some(def) if def.kind.name() == draft.kind.name() => continue,
            Some(def) => bail!(
                "schema {SCHEMA_KEY}: attribute {:?} of {type_name} is a {}, but the seed writes {} values",
                def.name,
                def.kind.name(),
                draft.kind.name()
            ),
            None => {}
        }
        draft
            .validate()
            .map_err(|e| anyhow!("attribute {}: {e}", draft.name))?;
        current
            .types
            .check_attribute_name(type_id, &draft.name, &current.attributes, None)
            .map_err(|e| anyhow!("attribute {}: {e}", draft.name))?;
        store
            .create_attribute(tenant, schema.id, type_id, &draft.normalized())
            .await?;
        current = model(store).await?;
    }
    let catalog = Catalog::resolve(current)?;
    if created {
        // A new schema gets the dashboard an admin would set up: places, and what falls due.
        let settings = ReportSettings {
            location_attribute: Some(catalog.located_in),
            lifecycle_dates: vec![catalog.warranty, catalog.expires],
        };
        settings
            .validate(&catalog.model.attributes)
            .map_err(|e| anyhow!("report settings: {e}"))?;
        store
            .set_report_settings(tenant, schema.id, &settings)
            .await?;
    }
    Ok((catalog, created))
}

/// What each new asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Location,
    Laptop,
    Server,
    Monitor,
    Licence,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Location => "Location",
            Kind::Laptop => "Laptop",
            Kind::Server => "Server",
            Kind::Monitor => "Monitor",
            Kind::Licence => "Software licence",
        }
    }
}

/// A bijection on 40-bit numbers, so that sequential indexes give unique serial numbers that look
/// (and sort) random, as real ones do.
fn scramble(index: u64) -> u64 {
    const MASK: u64 = (1 << 40) - 1;
    let mut x = index & MASK;
    x = x.wrapping_mul(0x00B5_AD4E_CEDA_1CE3 | 1) & MASK;
    x ^= x >> 17;
    x = x.wrapping_mul(0x0000_00F1_357A_EA2F | 1) & MASK;
    x ^ (x >> 19)
}

fn base36(mut n: u64, width: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The seeded "Serial number" pattern: a maker's prefix, a dash, eight letters or digits.
pub const SERIAL_PATTERN: &str = "[A-Z0-9]{2,4}-[A-Z0-9]{8}";

fn serial_prefix(manufacturer: &str) -> &'static str {
    match manufacturer {
        "Apple" => "C02",
        "Dell" => "DL",
        "Lenovo" => "PF",
        "HP" => "5CG",
        "Microsoft" => "MS",
        "Samsung" => "SMS",
        "LG" => "LGE",
        "Supermicro" => "SM",
        _ => "CSC",
    }
}

/// Generates assets. Holds only bounded state (at most a few thousand asset numbers to point
/// references at), so a seed of millions runs in constant memory.
struct Generator<'a> {
    catalog: &'a Catalog,
    rng: Rng,
    users: Vec<String>,
    /// Numbers of the locations created by this run: hardware is located in one of them.
    locations: Vec<i64>,
    /// A bounded sample of hardware numbers created by earlier batches, for "Installed on".
    /// Earlier batches only: the store resolves references against committed assets.
    hardware: Vec<i64>,
    first_date: i32,
}

const HARDWARE_SAMPLE: usize = 4096;

impl Generator<'_> {
    fn kind(&mut self) -> Kind {
        match self.rng.below(100) {
            0..45 => Kind::Laptop,
            45..70 => Kind::Monitor,
            70..85 => Kind::Server,
            _ => Kind::Licence,
        }
    }

    fn date(&mut self, from: i32, span_days: i64) -> i32 {
        from + i32::try_from(self.rng.below(u64::try_from(span_days).unwrap_or(1))).unwrap_or(0)
    }

    fn money(&mut self, low: i64, high: i64) -> f64 {
        self.rng.range(low * 100, high * 100) as f64 / 100.0
    }

    /// One new asset; `index` is unique across every seed of the schema (serials derive from it).
    fn asset(&mut self, kind: Kind, index: u64) -> NewAsset {
        let c = self.catalog;
        let mut values = AttributeValues::default();
        let status_id = c.status(&mut self.rng);
        let (type_id, label) = match kind {
            Kind::Location => {
                let slot = usize::try_from(index).unwrap_or(0);
                let (city, _, country) = CITIES[slot % CITIES.len()];
                let floor = slot / CITIES.len() + 1;
                let label = format!("{city} office, floor {floor}");
                let street = self.rng.pick(STREETS).copied().unwrap_or("Main Street");
                let number = self.rng.range(1, 240);
                values.set(
                    c.address,
                    vec![Value::Text(format!("{number} {street}, {city}"))],
                );
                values.set(c.country, vec![Value::Text(country.to_owned())]);
                values.set(c.location_name, vec![Value::Text(label.clone())]);
                (c.location, label)
            }
            Kind::Licence => {
                let &(product, vendor, low, high) = self.rng.pick(LICENCES).unwrap_or(&LICENCES[0]);
                let seats = self.rng.range(low, high);
                let label = format!("{product} ({seats} seats) #{index}");
                values.set(c.vendor, vec![Value::Text(vendor.to_owned())]);
                values.set(c.seats, vec![Value::Integer(seats)]);
                if self.rng.percent(90) {
                    let expires = self.date(self.first_date + 8 * 365, 4 * 365);
                    values.set(c.expires, vec![Value::Date(expires)]);
                }
                let installs = self.rng.below(4);
                let mut on: Vec<i64> = Vec::new();
                for _ in 0..installs {
                    if let Some(&n) = self.rng.pick(&self.hardware)
                        && !on.contains(&n)
                    {
                        on.push(n);
                    }
                }
                values.set(
                    c.installed_on,
                    on.into_iter()
                        .map(|n| {
                            Value::Reference(amj_domain::AssetKey::new(
                                c.model.schema.key.clone(),
                                n,
                            ))
                        })
                        .collect(),
                );
                values.set(c.licence_name, vec![Value::Text(label.clone())]);
                (c.licence, label)
            }
            Kind::Laptop | Kind::Server | Kind::Monitor => {
                let (type_id, manufacturer, model, low, high) = match kind {
                    Kind::Laptop => {
                        let &(m, model, low, high) = self.rng.pick(LAPTOPS).unwrap_or(&LAPTOPS[0]);
                        values.set(
                            c.laptop_ram,
                            vec![Value::Integer(
                                *self.rng.pick(&[8, 16, 16, 32, 32, 64]).unwrap_or(&16),
                            )],
                        );
                        let os = if m == "Apple" {
                            "macOS"
                        } else if self.rng.percent(85) {
                            "Windows 11"
                        } else {
                            "Ubuntu 24.04"
                        };
                        values.set(c.laptop_os, vec![Value::Text(os.to_owned())]);
                        (c.laptop, m, model, low, high)
                    }
                    Kind::Server => {
                        let &(m, model, low, high) = self.rng.pick(SERVERS).unwrap_or(&SERVERS[0]);
                        values.set(
                            c.server_ram,
                            vec![Value::Integer(
                                *self.rng.pick(&[64, 128, 256, 512, 1024]).unwrap_or(&128),
                            )],
                        );
                        values.set(
                            c.server_cores,
                            vec![Value::Integer(
                                *self.rng.pick(&[16, 24, 32, 48, 64, 96]).unwrap_or(&32),
                            )],
                        );
                        let ip = format!(
                            "10.{}.{}.{}",
                            (index >> 16) & 0xff,
                            (index >> 8) & 0xff,
                            index & 0xff
                        );
                        values.set(c.server_ip, vec![Value::Text(ip)]);
                        (c.server, m, model, low, high)
                    }
                    _ => {
                        let &(m, model, low, high, size, resolution) =
                            self.rng.pick(MONITORS).unwrap_or(&MONITORS[0]);
                        values.set(c.monitor_size, vec![Value::Decimal(size)]);
                        values.set(
                            c.monitor_resolution,
                            vec![Value::Text(resolution.to_owned())],
                        );
                        (c.monitor, m, model, low, high)
                    }
                };
                let serial = format!(
                    "{}-{}",
                    serial_prefix(manufacturer),
                    base36(scramble(index), 8)
                );
                let location = self.rng.pick(&self.locations).copied();
                let label = match (kind, location) {
                    (Kind::Laptop, _) => {
                        let code = CITIES[usize::try_from(index).unwrap_or(0) % CITIES.len()].1;
                        format!("LT-{code}-{index:06}")
                    }
                    (Kind::Server, _) => {
                        let code = CITIES[usize::try_from(index).unwrap_or(0) % CITIES.len()].1;
                        format!("srv-{}-{index:05}", code.to_lowercase())
                    }
                    _ => format!("{manufacturer} {model} #{index}"),
                };
                values.set(c.hardware_name, vec![Value::Text(label.clone())]);
                values.set(c.serial, vec![Value::Text(serial)]);
                values.set(c.manufacturer, vec![Value::Text(manufacturer.to_owned())]);
                values.set(c.model_name, vec![Value::Text(model.to_owned())]);
                if self.rng.percent(95) {
                    let price = self.money(low, high);
                    values.set(c.price, vec![Value::Decimal(price)]);
                }
                if self.rng.percent(92) {
                    let purchased = self.date(self.first_date, 10 * 365);
                    values.set(c.purchased, vec![Value::Date(purchased)]);
                    let years = i32::try_from(self.rng.range(1, 5)).unwrap_or(3);
                    values.set(c.warranty, vec![Value::Date(purchased + 365 * years)]);
                }
                let owned = match kind {
                    Kind::Laptop => 90,
                    Kind::Monitor => 50,
                    _ => 0,
                };
                if self.rng.percent(owned)
                    && let Some(user) = self.rng.pick(&self.users)
                {
                    values.set(c.owner, vec![Value::User(user.clone())]);
                }
                if let Some(number) = location.filter(|_| self.rng.percent(95)) {
                    values.set(
                        c.located_in,
                        vec![Value::Reference(amj_domain::AssetKey::new(
                            c.model.schema.key.clone(),
                            number,
                        ))],
                    );
                }
                (type_id, label)
            }
        };
        NewAsset {
            type_id,
            status_id,
            label,
            values,
        }
    }

    /// Remembers created assets that later ones may reference.
    fn remember(&mut self, records: &[AssetRecord]) {
        let c = self.catalog;
        for record in records {
            let number = record.key.number;
            if record.type_id == c.location {
                self.locations.push(number);
            } else if [c.laptop, c.server, c.monitor].contains(&record.type_id) {
                if self.hardware.len() < HARDWARE_SAMPLE {
                    self.hardware.push(number);
                } else {
                    let slot = usize::try_from(self.rng.below(HARDWARE_SAMPLE as u64)).unwrap_or(0);
                    self.hardware[slot] = number;
                }
            }
        }
    }

    fn issue(&mut self, plan: &SeedPlan, label: &str) -> IssueRef {
        if let Some(issue) = self.rng.pick(&plan.issues) {
            return issue.clone();
        }
        let id = 10_000 + self.rng.range(0, 89_999);
        let project = self.rng.pick(ISSUE_PROJECTS).copied().unwrap_or("ITSM");
        let template = self.rng.pick(ISSUE_TEMPLATES).copied().unwrap_or("About");
        IssueRef {
            id,
            key: format!("{project}-{}", id - 9_999),
            summary: format!("{template} {label}"),
        }
    }
}

/// Synthetic accountIds in Atlassian's format, for sites whose users the seed does not know.
fn synthetic_users() -> Vec<String> {
    (0..40).map(|i| format!("557058:seed-{i:04}")).collect()
}

/// How many of `count` new assets are locations: a few for a small site, one per 2,000 assets
/// (capped at 1,000) for a large one.
fn location_count(count: u64) -> u64 {
    (count / 2000).clamp(count.min(5), 1000).min(count)
}

/// Fills the site `tenant` with IT assets following `plan`, creating the schema "IT" and its
/// types and attributes when missing. See the module documentation.
pub async fn seed_site(
    store: &Store,
    tenant: TenantId,
    plan: &SeedPlan,
) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let (catalog, schema_created) = ensure_catalog(store, tenant).await?;
    let schema_id = catalog.model.schema.id;
    let before = store.count_assets(tenant, schema_id).await?;
    let before_u = u64::try_from(before).unwrap_or(0);
    let to_create = match plan.existing {
        Existing::Add => plan.assets,
        Existing::TopUp => plan.assets.saturating_sub(before_u),
    };
    let first_date = parse_date("2016-01-01").context("the seed's base date")?;
    let mut generator = Generator {
        catalog: &catalog,
        rng: Rng::new(plan.seed ^ before_u.wrapping_mul(0x2545_F491_4F6C_DD1D)),
        users: if plan.users.is_empty() {
            synthetic_users()
        } else {
            plan.users.clone()
        },
        locations: Vec::new(),
        hardware: Vec::new(),
        first_date,
    };
    let mut report = SeedReport {
        schema_id,
        schema_created,
        assets_before: before,
        assets_created: 0,
        links_created: 0,
        by_type: BTreeMap::new(),
        batches: Vec::new(),
        elapsed: Duration::ZERO,
    };
    if schema_created {
        // Laptops and monitors are lent out; servers and licences are not.
        let policy = amj_domain::custody::CustodyPolicy {
            checkoutable_types: vec![catalog.laptop, catalog.monitor],
            checked_out_status: None,
            available_status: None,
        };
        store.set_custody_policy(tenant, schema_id, &policy).await?;
        if plan.licences {
            let policy = amj_domain::licence::LicencePolicy {
                licensed_types: vec![catalog.licence],
                installed_attribute: Some(catalog.installed_on),
            };
            store.set_licence_policy(tenant, schema_id, &policy).await?;
        }
    }
    let model = store
        .schema_model(tenant, schema_id)
        .await?
        .context("the seeded schema vanished")?;
    let today = i32::try_from(amj_store::now_millis().div_euclid(86_400_000))
        .context("today is out of range")?;
    let mut lendable = 0_u64;
    let locations = location_count(to_create);
    let batch = plan.batch.max(1) as u64;
    let mut done = 0_u64;
    let mut next_log = Instant::now() + Duration::from_secs(10);
    while done < to_create {
        // Locations get batches of their own: hardware can only reference committed ones.
        let size = if done < locations {
            batch.min(locations - done)
        } else {
            batch.min(to_create - done)
        };
        let mut kinds = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let mut assets = Vec::with_capacity(kinds.capacity());
        for i in 0..size {
            let ordinal = done + i;
            let kind = if ordinal < locations {
                Kind::Location
            } else {
                generator.kind()
            };
            kinds.push(kind);
            assets.push(generator.asset(kind, before_u + ordinal + 1));
        }
        let call = Instant::now();
        let records = store
            .create_assets(tenant, &catalog.model, &assets, &plan.actor)
            .await
            .map_err(|e| match e {
                StoreError::InvalidRows(rows) => {
                    let first = rows
                        .first()
                        .map(|(row, e)| format!("row {row}: {e}"))
                        .unwrap_or_default();
                    anyhow!(
                        "the store refused {} seeded asset(s), e.g. {first}",
                        rows.len()
                    )
                }
                other => other.into(),
            })?;
        report.batches.push((records.len(), call.elapsed()));
        generator.remember(&records);
        if plan.checkouts_every > 0 && !generator.users.is_empty() {
            let mut lent = Vec::new();
            for record in &records {
                let live = !record.archived && record.retired_at.is_none();
                if !live || ![catalog.laptop, catalog.monitor].contains(&record.type_id) {
                    continue;
                }
                lendable += 1;
                if !lendable.is_multiple_of(plan.checkouts_every) {
                    continue;
                }
                let n = lendable / plan.checkouts_every;
                let slot = usize::try_from(n).unwrap_or(0);
                let holder = amj_domain::custody::Holder::User {
                    account_id: generator.users[slot % generator.users.len()].clone(),
                };
                // Due from two days ago to four days ahead: the overdue list has something in it.
                let due = i32::try_from(n % 7).map(|d| today + d - 2).ok();
                let issue = n
                    .is_multiple_of(3)
                    .then(|| plan.issues.get(slot % plan.issues.len().max(1)))
                    .flatten()
                    .map(|i| i.key.clone());
                lent.push((
                    record.id,
                    amj_domain::custody::CheckoutDraft {
                        holder,
                        due,
                        issue,
                        note: String::new(),
                    },
                ));
            }
            if !lent.is_empty() {
                store
                    .check_out(tenant, &model, &lent, &plan.actor, None)
                    .await?;
            }
        }
        if plan.licences {
            seed_licences(store, tenant, &model, &catalog, &records, plan).await?;
        }
        for kind in &kinds {
            *report.by_type.entry(kind.name()).or_default() += 1;
        }
        if plan.link_every > 0 {
            for (i, record) in records.iter().enumerate() {
                let ordinal = done + i as u64 + 1;
                if ordinal.is_multiple_of(plan.link_every) {
                    let issue = generator.issue(plan, &record.label);
                    if store
                        .link_issue(tenant, record.id, &issue, &plan.actor)
                        .await?
                    {
                        report.links_created += 1;
                    }
                }
            }
        }
        done += size;
        report.assets_created = done;
        if Instant::now() >= next_log {
            next_log = Instant::now() + Duration::from_secs(10);
            tracing::info!(
                done,
                total = to_create,
                rate = done as f64 / started.elapsed().as_secs_f64(),
                "seeding"
            );
        }
    }
    if plan.stock && schema_created {
        let users = if plan.users.is_empty() {
            synthetic_users()
        } else {
            plan.users.clone()
        };
        let charger =
            seed_stock(store, tenant, schema_id, &generator.locations, &users, plan).await?;
        // A kit for new starters: a laptop and a monitor picked by rule, and a charger.
        if let (Some(charger), Some(first)) = (charger, generator.locations.first()) {
            let key = |n: i64| AssetKey::new(catalog.model.schema.key.clone(), n);
            let draft = amj_domain::kit::KitDraft {
                name: "New starter".to_owned(),
                description: "A laptop, a monitor and a charger for a new colleague's first day"
                    .to_owned(),
                parts: vec![
                    amj_domain::kit::KitPart::Asset {
                        type_id: catalog.laptop,
                    },
                    amj_domain::kit::KitPart::Asset {
                        type_id: catalog.monitor,
                    },
                    amj_domain::kit::KitPart::Stock {
                        item: key(charger),
                        location: key(*first),
                        quantity: 1,
                    },
                ],
            };
            let kit = store.create_kit(tenant, schema_id, &draft).await?;
            seed_bookings(store, tenant, schema_id, catalog.laptop, kit.id, &users).await?;
        }
        // Requests asked on the simulator's AM issues are approved by its workflow.
        let policy = amj_domain::request::ApprovalPolicy {
            project: "AM".to_owned(),
            approve_category: None,
            approve_statuses: vec!["Approved".to_owned()],
            reject_statuses: vec!["Declined".to_owned()],
        };
        store
            .set_request_policy(tenant, schema_id, Some(&policy))
            .await?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The demo's bookings, so that "Bookings" and a laptop's page have something in them: a loaner
/// laptop ready for pickup now and one booked for next week, on laptops free then. No kit is
/// booked: a kit picks the lowest-numbered laptop, and a booking ahead refuses a check-out with
/// no due day, which would greet the demo's first check-out.
async fn seed_bookings(
    store: &Store,
    tenant: TenantId,
    schema_id: SchemaId,
    laptop: TypeId,
    kit: i64,
    users: &[String],
) -> anyhow::Result<()> {
    const HOUR: i64 = 60 * 60 * 1000;
    let model = store
        .schema_model(tenant, schema_id)
        .await?
        .context("the seeded schema vanished")?;
    let now = amj_store::now_millis() / HOUR * HOUR;
    let person = |n: usize| users.get(n % users.len().max(1)).cloned();
    let plans = [
        (
            now - HOUR,
            now + 2 * 24 * HOUR,
            false,
            "Trip to the Berlin office",
        ),
        (
            now + 7 * 24 * HOUR,
            now + 9 * 24 * HOUR,
            false,
            "Conference",
        ),
    ];
    for (n, (start, end, as_kit, note)) in plans.into_iter().enumerate() {
        let Some(account_id) = person(n) else {
            return Ok(());
        };
        // The last of the first fifty: the lowest-numbered free laptops stay unbooked, so "the
        // first available" (a kit, a demo's first check-out) is not refused for a booking.
        let free = store
            .available(
                tenant,
                &model,
                &amj_store::booking::AvailabilityQuery {
                    start,
                    end,
                    zone: amj_domain::booking::Zone::utc(),
                    types: vec![laptop],
                    filter: None,
                    limit: 50,
                },
            )
            .await?;
        let Some(asset) = free.last() else {
            continue;
        };
        let plan = amj_domain::booking::BookingPlan {
            account_id,
            start,
            end,
            zone: amj_domain::booking::Zone::utc(),
            assets: if as_kit {
                Vec::new()
            } else {
                vec![asset.key.clone()]
            },
            kit: as_kit.then_some(kit),
            issue: None,
            note: note.to_owned(),
        };
        match store
            .create_booking(tenant, &model, &plan, "app", None)
            .await
        {
            // A kit's other parts may be taken then: the demo goes without that booking.
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Stock items and what the demo shows of them: (type, name, received at each of the first
/// two locations, minimum at the first).
const STOCK_ITEMS: &[(&str, &str, i64, i64)] = &[
    ("Consumable", "Toner HP 305A black", 6, 4),
    ("Consumable", "AA batteries, pack of 4", 20, 10),
    ("Consumable", "A4 paper, ream", 3, 10),
    ("Accessory", "Jabra Evolve2 65 headset", 8, 3),
    ("Accessory", "USB-C charger 65 W", 5, 4),
    ("Accessory", "USB-C to HDMI adapter", 12, 2),
];

/// The demo's stock: Consumable and Accessory types (created when missing) named in the
/// schema's stock policy, the items of [`STOCK_ITEMS`] received at the first two locations
/// with a minimum at the first, some consumables issued (used up) and some accessories lent
/// to people, so that the restock list and an item's "out" have something in them. Answers
/// the number of the charger, which the demo's kit hands out.
async fn seed_stock(
    store: &Store,
    tenant: TenantId,
    schema: SchemaId,
    locations: &[i64],
    users: &[String],
    plan: &SeedPlan,
) -> anyhow::Result<Option<i64>> {
    use amj_domain::stock::{MinimumDraft, Movement, StockPolicy};
    let (Some(first), Some(second)) = (locations.first(), locations.get(1)) else {
        return Ok(None);
    };
    let mut model = store
        .schema_model(tenant, schema)
        .await?
        .context("the seeded schema vanished")?;
    for (name, description) in [
        (
            "Consumable",
            "Supplies that are used up: toner, batteries, paper.",
        ),
        (
            "Accessory",
            "Small gear lent to people and returned: headsets, chargers.",
        ),
    ] {
        if find_type(&model, name).is_none() {
            let draft = AssetTypeDraft {
                name: name.to_owned(),
                parent_id: None,
                icon: "box".to_owned(),
                description: description.to_owned(),
                is_abstract: false,
            };
            store
                .create_type(tenant, schema, &draft.normalized())
                .await?;
        }
    }
    model = store
        .schema_model(tenant, schema)
        .await?
        .context("the seeded schema vanished")?;
    let consumable = find_type(&model, "Consumable").context("type Consumable is missing")?;
    let accessory = find_type(&model, "Accessory").context("type Accessory is missing")?;
    let policy = StockPolicy {
        consumable_types: vec![consumable],
        accessory_types: vec![accessory],
        component_types: Vec::new(),
    };
    store.set_stock_policy(tenant, schema, &policy).await?;
    let model = store
        .schema_model(tenant, schema)
        .await?
        .context("the seeded schema vanished")?;
    let status = model
        .statuses
        .iter()
        .find(|s| s.category == StatusCategory::InUse)
        .or(model.statuses.first())
        .context("the schema has no statuses")?
        .id;
    let news: Vec<NewAsset> = STOCK_ITEMS
        .iter()
        .map(|(type_name, name, _, _)| {
            let type_id = if *type_name == "Consumable" {
                consumable
            } else {
                accessory
            };
            let mut values = AttributeValues::default();
            values.set(
                label_attribute(&model, type_id)?,
                vec![Value::Text((*name).to_owned())],
            );
            Ok(NewAsset {
                type_id,
                status_id: status,
                label: (*name).to_owned(),
                values,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let items = store
        .create_assets(tenant, &model, &news, &plan.actor)
        .await?;
    let key = |number: i64| AssetKey::new(model.schema.key.clone(), number);
    for (n, (item, &(_, _, received, minimum))) in items.iter().zip(STOCK_ITEMS).enumerate() {
        let mut moves = vec![
            Movement::Receive {
                location: key(*first),
                quantity: received,
                issue: None,
                note: "Opening stock".to_owned(),
            },
            Movement::Receive {
                location: key(*second),
                quantity: received / 2 + 1,
                issue: None,
                note: "Opening stock".to_owned(),
            },
        ];
        // Every other item hands some out from the first location, which may leave it below
        // its minimum.
        if n % 2 == 0 && !users.is_empty() {
            moves.push(Movement::Issue {
                location: key(*first),
                quantity: (received / 3).max(1),
                to: amj_domain::licence::Assignee::User {
                    account_id: users[n % users.len()].clone(),
                },
                issue: None,
                note: String::new(),
            });
        }
        for movement in &moves {
            store
                .move_stock(tenant, &model, item.id, movement, &plan.actor, None)
                .await?;
        }
        let draft = MinimumDraft {
            location: key(*first),
            minimum,
        };
        store
            .set_stock_minimum(tenant, &model, item.id, &draft, &plan.actor)
            .await?;
    }
    Ok(items
        .iter()
        .find(|i| i.label == "USB-C charger 65 W")
        .map(|i| i.key.number))
}

/// Terms for each new licence (its product, entitled seats from Seats, expiry from Expires; the
/// second of every five a little over, with overuse allowed, so compliance shows a breach) and
/// seats for some of the plan's people.
async fn seed_licences(
    store: &Store,
    tenant: TenantId,
    model: &amj_store::catalog::SchemaModel,
    catalog: &Catalog,
    records: &[amj_store::assets::AssetRecord],
    plan: &SeedPlan,
) -> anyhow::Result<()> {
    if !model.licences.is_licensed(&model.types, catalog.licence) {
        return Ok(());
    }
    for (n, record) in records
        .iter()
        .filter(|r| r.type_id == catalog.licence && !r.archived)
        .enumerate()
    {
        let entitled = match record.values.get(catalog.seats).first() {
            Some(Value::Integer(seats)) => *seats,
            _ => continue,
        };
        let expires = match record.values.get(catalog.expires).first() {
            Some(Value::Date(day)) => Some(*day),
            _ => None,
        };
        let product = record
            .label
            .split(" (")
            .next()
            .unwrap_or(&record.label)
            .to_owned();
        let over = n % 5 == 1 && !plan.users.is_empty();
        // An over-used licence is bought one seat short of the people who hold one.
        let people = if over {
            plan.users.len()
        } else {
            (n % 4).min(plan.users.len())
        };
        let terms = amj_domain::licence::LicenceTerms {
            product,
            entitled: if over {
                i64::try_from(people).unwrap_or(1) - 1
            } else {
                entitled
            },
            allow_overuse: over,
            expires,
            renews: None,
            cost_per_seat: Some(12.5 + (n % 4) as f64 * 10.0),
            currency: Some("EUR".to_owned()),
        };
        store
            .set_licence_terms(tenant, model, record.id, &terms, &plan.actor)
            .await?;
        // A retired licence keeps its terms, but its seats cannot be given.
        if people > 0 && record.retired_at.is_none() {
            let draft = amj_domain::licence::SeatDraft {
                assignees: plan.users[..people]
                    .iter()
                    .map(|u| amj_domain::licence::Assignee::User {
                        account_id: u.clone(),
                    })
                    .collect(),
                issue: None,
                note: String::new(),
            };
            store
                .assign_seats(tenant, model, record.id, &draft, &plan.actor, None)
                .await?;
        }
    }
    Ok(())
}

/// The tenant row of a benchmark site, created by a synthetic install when absent.
///
/// Benchmarks need a site without a Jira to install from. This writes the install directly
/// through the store (never through the HTTP endpoint, which only accepts signed installs), with a
/// random secret nobody knows and a `.invalid` base URL, so the site can never authenticate a
/// request. Only `amj bench` calls it.
pub async fn ensure_bench_tenant(
    store: &Store,
    client_key: &str,
    app_key: &str,
) -> anyhow::Result<TenantId> {
    if let Some(tenant) = store.tenant_by_client_key(client_key).await? {
        return Ok(tenant.id);
    }
    let mut secret = [0_u8; 32];
    aws_lc_rs::rand::fill(&mut secret).map_err(|_| anyhow!("no randomness for a bench secret"))?;
    let body = serde_json::json!({
        "key": app_key,
        "clientKey": client_key,
        "sharedSecret": hex::encode(secret),
        "baseUrl": "https://bench-site.invalid",
        "productType": "jira",
        "description": "synthetic site created by amj bench",
        "eventType": "installed",
    });
    let payload = LifecyclePayload::parse(
        body.to_string().as_bytes(),
        LifecycleEvent::Installed,
        app_key,
    )
    .map_err(|e| anyhow!("--tenant {client_key:?}: {e}"))?;
    let outcome = store
        .apply_install(&InstallRequest {
            payload: &payload,
            token_iat: 0,
            token: "amj-bench-synthetic-install",
            account_id: None,
        })
        .await?;
    Ok(outcome.tenant_id)
}

/// The production probe's site: written through the store like a bench site, but with a secret
/// the probe is given, so it can sign requests as Jira would. Its `.invalid` base URL means the
/// app never calls out to it. Returns the secret.
pub async fn add_probe_tenant(
    store: &Store,
    client_key: &str,
    app_key: &str,
) -> anyhow::Result<String> {
    let mut secret = [0_u8; 32];
    aws_lc_rs::rand::fill(&mut secret).map_err(|_| anyhow!("no randomness for a probe secret"))?;
    let secret = hex::encode(secret);
    let body = serde_json::json!({
        "key": app_key,
        "clientKey": client_key,
        "sharedSecret": secret,
        "baseUrl": "https://amj-probe.invalid",
        "productType": "jira",
        "description": "synthetic probe site created by amj tenant add-probe",
        "eventType": "installed",
    });
    let payload = LifecyclePayload::parse(
        body.to_string().as_bytes(),
        LifecycleEvent::Installed,
        app_key,
    )
    .map_err(|e| anyhow!("probe site {client_key:?}: {e}"))?;
    store
        .apply_install(&InstallRequest {
            payload: &payload,
            token_iat: 0,
            token: "amj-probe-synthetic-install",
            account_id: None,
        })
        .await?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prng_is_deterministic_and_spreads() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..100).map(|_| a.below(10)).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.below(10)).collect();
        assert_eq!(xs, ys);
        for digit in 0..10 {
            assert!(xs.contains(&digit), "{digit} never drawn in {xs:?}");
        }
        assert_eq!(Rng::new(1).below(0), 0);
    }

    #[test]
    fn serials_are_unique_and_fit_the_regex() {
        let mut seen = std::collections::HashSet::new();
        let regex = regex_lite_check;
        for i in 0..200_000_u64 {
            let serial = format!("DL-{}", base36(scramble(i), 8));
            assert!(regex(&serial), "{serial}");
            assert!(seen.insert(serial), "index {i} repeats a serial");
        }
        // Far indexes too: the scramble is a bijection on 40 bits.
        assert_ne!(scramble(1 << 39), scramble(0));
    }

    /// `[A-Z0-9]{2,4}-[A-Z0-9]{8}` without pulling a regex engine into a unit test.
    fn regex_lite_check(s: &str) -> bool {
        let Some((prefix, rest)) = s.split_once('-') else {
            return false;
        };
        let ok = |p: &str| {
            p.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        (2..=4).contains(&prefix.len()) && ok(prefix) && rest.len() == 8 && ok(rest)
    }

    #[test]
    fn location_share() {
        assert_eq!(location_count(0), 0);
        assert_eq!(location_count(3), 3);
        assert_eq!(location_count(60), 5);
        assert_eq!(location_count(1_000_000), 500);
        assert_eq!(location_count(100_000_000), 1000);
    }
}
