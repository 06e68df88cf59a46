//! Shared secrets at rest: AES-256-GCM under a master key from config.
//!
//! A database dump or backup alone must not let anyone sign requests as Jira. The ciphertext is
//! bound to the site's `clientKey` (as associated data), so copying one site's secret onto another
//! site's row does not decrypt.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::fmt;
use std::path::Path;

const KEY_LEN: usize = 32;
/// Ciphertexts carry a version so the scheme or the master key can be rotated later.
const FORMAT_V1: &str = "v1:";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be {KEY_LEN} bytes of base64; {0}")]
    BadMasterKey(String),
    #[error(
        "a stored secret could not be decrypted (wrong master key, or the row was tampered with)"
    )]
    Decrypt,
    #[error("the system random generator failed")]
    Random,
    #[error("could not read or write the master key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

pub struct MasterKey {
    key: LessSafeKey,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| CryptoError::BadMasterKey("it is not valid base64".into()))?;
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != KEY_LEN {
            return Err(CryptoError::BadMasterKey(format!(
                "it has {} bytes",
                bytes.len()
            )));
        }
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| CryptoError::BadMasterKey("rejected".into()))?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    /// A new random key, as base64 text (what `amj secret-key generate` prints).
    pub fn generate_base64() -> Result<String, CryptoError> {
        let mut bytes = [0u8; KEY_LEN];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| CryptoError::Random)?;
        Ok(STANDARD.encode(bytes))
    }

    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        let text = std::fs::read_to_string(path).map_err(|source| CryptoError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_base64(&text)
    }

    /// Loads the key file, or creates it (mode 0600) when it does not exist yet. Returns whether
    /// it was created, so the caller can say so in the log.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), CryptoError> {
        if path.exists() {
            return Ok((Self::load(path)?, false));
        }
        let io = |source| CryptoError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let text = Self::generate_base64()?;
        write_private(path, &format!("{text}\n")).map_err(io)?;
        Ok((Self::from_base64(&text)?, true))
    }

    pub fn encrypt(&self, plaintext: &str, bound_to: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let mut in_out = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(bound_to.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Random)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&in_out);
        Ok(format!("{FORMAT_V1}{}", STANDARD.encode(blob)))
    }

    pub fn decrypt(&self, stored: &str, bound_to: &str) -> Result<String, CryptoError> {
        let encoded = stored.strip_prefix(FORMAT_V1).ok_or(CryptoError::Decrypt)?;
        let blob = STANDARD.decode(encoded).map_err(|_| CryptoError::Decrypt)?;
        if blob.len() < NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Decrypt)?;
        let mut in_out = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(bound_to.as_bytes()), &mut in_out)
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain.to_vec()).map_err(|_| CryptoError::Decrypt)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// A short, non-reversible name for a secret, for the lifecycle log and for telling "the secret
/// changed" apart from "the same install arrived twice". Never the secret itself.
pub fn fingerprint(secret: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    hex::encode(&digest.as_ref()[..8])
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = MasterKey::from_base64(&MasterKey::generate_base64().unwrap()).unwrap();
        let sealed = key.encrypt("ATCO-secret", "client-1").unwrap();
        assert!(!sealed.contains("ATCO"));
        assert_eq!(key.decrypt(&sealed, "client-1").unwrap(), "ATCO-secret");
        assert!(
            key.decrypt(&sealed, "client-2").is_err(),
            "bound to its clientKey"
        );
        let other = MasterKey::from_base64(&MasterKey::generate_base64().unwrap()).unwrap();
        assert!(
            other.decrypt(&sealed, "client-1").is_err(),
            "wrong master key"
        );
        assert_ne!(
            key.encrypt("x", "c").unwrap(),
            key.encrypt("x", "c").unwrap(),
            "fresh nonce each time"
        );
    }

    #[test]
    fn digests_are_sha_256() {
        // FIPS 180-2's "abc" vector: API tokens stored before this used another SHA-256
        // implementation, and their hashes must still match.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(fingerprint("abc"), "ba7816bf8f01cfea");
    }

    #[test]
    fn bad_master_keys_are_explained() {
        assert!(matches!(
            MasterKey::from_base64("nope!"),
            Err(CryptoError::BadMasterKey(_))
        ));
        assert!(matches!(
            MasterKey::from_base64("AAAA"),
            Err(CryptoError::BadMasterKey(_))
        ));
    }
}
