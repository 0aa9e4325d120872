//! The master key that encrypts stored secrets, and how the embedded setup gets one.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

pub const MASTER_KEY_LEN: usize = 32;

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

#[cfg(test)]
mod tests {
    use super::*;

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
