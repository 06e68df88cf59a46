//! The install-key server: RSA key pairs served as PEM by `kid`, with rotation and failure modes.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::EncodingKey;
use std::collections::HashMap;
use std::sync::Mutex;

/// How the key server answers, so tests can play an Atlassian outage (scenario A3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyServerMode {
    Normal,
    NotFound,
    ServerError,
    /// Never answers: the app's fetch must time out.
    Hang,
}

pub struct InstallKeys {
    inner: Mutex<KeysInner>,
    requests: std::sync::atomic::AtomicU64,
}

struct KeysInner {
    current: String,
    keys: HashMap<String, (EncodingKey, String)>,
    mode: KeyServerMode,
    generation: u32,
    prefix: String,
}

#[derive(Debug, thiserror::Error)]
#[error("could not generate an RSA key pair")]
pub struct KeyGenError;

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn generate() -> Result<(EncodingKey, String), KeyGenError> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyGenError)?;
    let private = pair.as_der().map_err(|_| KeyGenError)?;
    let public = pair.public_key().as_der().map_err(|_| KeyGenError)?;
    let encoding = EncodingKey::from_rsa_pem(pem("PRIVATE KEY", private.as_ref()).as_bytes())
        .map_err(|_| KeyGenError)?;
    Ok((encoding, pem("PUBLIC KEY", public.as_ref())))
}

impl InstallKeys {
    /// A fresh key server with one key. `prefix` makes kids unique across simulators.
    pub fn new(prefix: &str) -> Result<Self, KeyGenError> {
        let kid = format!("{prefix}-key-1");
        let mut keys = HashMap::new();
        keys.insert(kid.clone(), generate()?);
        Ok(Self {
            inner: Mutex::new(KeysInner {
                current: kid,
                keys,
                mode: KeyServerMode::Normal,
                generation: 1,
                prefix: prefix.to_owned(),
            }),
            requests: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Adds a key under a new kid and signs with it from now on; old kids stay served.
    pub fn rotate(&self) -> Result<String, KeyGenError> {
        let pair = generate()?;
        let mut inner = self.inner.lock().map_err(|_| KeyGenError)?;
        inner.generation += 1;
        let kid = format!("{}-key-{}", inner.prefix, inner.generation);
        inner.keys.insert(kid.clone(), pair);
        inner.current = kid.clone();
        Ok(kid)
    }

    pub fn current(&self) -> Option<(String, EncodingKey)> {
        let inner = self.inner.lock().ok()?;
        inner
            .keys
            .get(&inner.current)
            .map(|(k, _)| (inner.current.clone(), k.clone()))
    }

    /// How many key requests the server has had: lets tests prove a forged install was refused
    /// before any key was fetched.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn count_request(&self) {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn public_pem(&self, kid: &str) -> Option<String> {
        self.inner
            .lock()
            .ok()?
            .keys
            .get(kid)
            .map(|(_, pem)| pem.clone())
    }

    pub fn set_mode(&self, mode: KeyServerMode) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.mode = mode;
        }
    }

    pub fn mode(&self) -> KeyServerMode {
        self.inner
            .lock()
            .map(|i| i.mode)
            .unwrap_or(KeyServerMode::Normal)
    }
}
