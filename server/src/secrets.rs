//! Secrets: the master key and how the embedded setup gets one, encryption of stored secrets
//! (AES-256-GCM, tagged with the key's id so the master key can rotate), and a string type
//! that never shows its content in `Debug` or `Display`.

use secrecy::ExposeSecret;
use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

pub const MASTER_KEY_LEN: usize = 32;

/// How a single-use link's token is stored (invitations, password resets): its SHA-256 in
/// hex, so that the database never holds a usable link.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 bits that never appear in `Debug`, `Display` or a log line.
#[derive(Clone)]
pub struct MasterKey([u8; MASTER_KEY_LEN]);

impl MasterKey {
    pub fn generate() -> Self {
        Self(rand::random())
    }

    pub fn from_base64(encoded: &str) -> Result<Self, String> {
        let bytes = BASE64
            .decode(encoded.trim())
            .map_err(|_| "must be base64 (standard alphabet) of 32 random bytes".to_string())?;
        let key: [u8; MASTER_KEY_LEN] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| format!("must decode to 32 bytes, not {}", bytes.len()))?;
        Ok(Self(key))
    }

    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    pub fn bytes(&self) -> &[u8; MASTER_KEY_LEN] {
        &self.0
    }

    /// A short public name for this key, stored beside each ciphertext so that a rotated-out
    /// key can still be found for old rows. It reveals nothing usable about the key.
    pub fn id(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"stagepad master key id\0")
            .chain_update(self.0)
            .finalize();
        hex::encode(&digest[..4])
    }

    /// Reads the key file, or creates it (owner read/write only) with a fresh random key.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(content) => Self::from_base64(&content).map_err(|problem| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("master key file {}: {problem}", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path)?;
                file.write_all(key.to_base64().as_bytes())?;
                file.sync_all()?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(id {}, redacted)", self.id())
    }
}

/// A secret string (an API key, a signature token), held in `secrecy`'s box: wiped from
/// memory when dropped, and printing it shows only that it is hidden.
#[derive(Clone, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretString(secrecy::SecretString);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().into())
    }

    /// The only way to the content; call it where the secret is really used.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The last four characters, which the console may show to tell keys apart.
    pub fn last_four(&self) -> String {
        let chars: Vec<char> = self.expose().chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(redacted)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Encrypts secrets for storage with the current master key and decrypts with whichever key
/// (current or previous) sealed them. Stored form: `v1:<key id>:<base64(nonce ‖ ciphertext)>`.
/// The associated data binds a ciphertext to its place (organization and field), so a
/// ciphertext copied to another row does not decrypt.
#[derive(Clone, Debug)]
pub struct Keyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the stored secret is not in the v1 format")]
    Format,
    #[error("the stored secret was sealed with master key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the stored secret does not decrypt (wrong key or tampered)")]
    Decrypt,
}

impl Keyring {
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Self {
        Self { current, previous }
    }

    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// The earlier keys, which open what they sealed but seal nothing.
    pub fn previous(&self) -> &[MasterKey] {
        &self.previous
    }

    /// Whether `stored` was sealed with the current key (by the key id it names; nothing is
    /// decrypted): a rotation leaves such values alone.
    pub fn sealed_with_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix("v1:")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(key_id, _)| key_id == self.current.id())
    }

    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let cipher = cipher(&self.current);
        let nonce_bytes: [u8; 12] = rand::random();
        let nonce = aes_gcm::Nonce::from(nonce_bytes);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption cannot fail for in-memory input");
        let mut sealed = nonce_bytes.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("v1:{}:{}", self.current.id(), BASE64.encode(sealed))
    }

    pub fn open(&self, stored: &str, context: &str) -> Result<SecretString, SealError> {
        let mut parts = stored.splitn(3, ':');
        let (Some("v1"), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Format);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id() == key_id)
            .ok_or_else(|| SealError::UnknownKey(key_id.to_string()))?;
        let bytes = BASE64.decode(body).map_err(|_| SealError::Format)?;
        if bytes.len() < 12 {
            return Err(SealError::Format);
        }
        let (nonce_bytes, ciphertext) = bytes.split_at(12);
        let nonce_bytes: [u8; 12] = nonce_bytes.try_into().map_err(|_| SealError::Format)?;
        let plaintext = cipher(key)
            .decrypt(
                &aes_gcm::Nonce::from(nonce_bytes),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Decrypt)?;
        String::from_utf8(plaintext)
            .map(SecretString::new)
            .map_err(|_| SealError::Decrypt)
    }
}

fn cipher(key: &MasterKey) -> Aes256Gcm {
    // A key of its own for encryption, derived from the master key.
    let derived = Sha256::new()
        .chain_update(b"stagepad secret encryption key v1\0")
        .chain_update(key.bytes())
        .finalize();
    Aes256Gcm::new_from_slice(&derived).expect("32-byte key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_in_their_context_and_with_a_known_key() {
        let keyring = Keyring::new(MasterKey::generate(), vec![]);
        let sealed = keyring.seal("lever-api-key-1234", "org-1:api_key");
        assert!(!sealed.contains("lever-api-key"));
        assert!(sealed.starts_with(&format!("v1:{}:", keyring.current().id())));
        assert_eq!(
            keyring.open(&sealed, "org-1:api_key").unwrap().expose(),
            "lever-api-key-1234"
        );
        assert!(matches!(
            keyring.open(&sealed, "org-2:api_key"),
            Err(SealError::Decrypt)
        ));
        assert_ne!(
            sealed,
            keyring.seal("lever-api-key-1234", "org-1:api_key"),
            "fresh nonce each time"
        );

        let other = Keyring::new(MasterKey::generate(), vec![]);
        assert!(matches!(
            other.open(&sealed, "org-1:api_key"),
            Err(SealError::UnknownKey(_))
        ));
        assert!(matches!(keyring.open("plain", "x"), Err(SealError::Format)));
    }

    #[test]
    fn a_rotated_keyring_still_opens_old_secrets() {
        let old = MasterKey::generate();
        let sealed = Keyring::new(old.clone(), vec![]).seal("token", "ctx");
        let rotated = Keyring::new(MasterKey::generate(), vec![old]);
        assert_eq!(rotated.open(&sealed, "ctx").unwrap().expose(), "token");
    }

    #[test]
    fn secret_strings_never_print() {
        let secret = SecretString::new("canary-secret-9876");
        assert_eq!(
            format!("{secret:?} {secret}"),
            "SecretString(redacted) [redacted]"
        );
        assert_eq!(secret.last_four(), "9876");
        assert_eq!(SecretString::new("ab").last_four(), "ab");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = MasterKey::generate();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&key.to_base64()));
        assert!(shown.contains(&key.id()));
    }

    #[test]
    fn base64_round_trips_and_rejects_wrong_lengths() {
        let key = MasterKey::generate();
        let back = MasterKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(back.bytes(), key.bytes());
        assert!(MasterKey::from_base64(&BASE64.encode([0u8; 16])).is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }

    #[test]
    fn created_file_is_private_and_reloads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/master.key");
        let first = MasterKey::load_or_create(&path).unwrap();
        let again = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(first.bytes(), again.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
