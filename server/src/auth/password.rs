//! Password rules and Argon2id hashing. Hashing is slow on purpose (~30 ms), so it runs on the
//! blocking pool and at most one hash per core runs at a time: log-ins cannot starve the
//! workers that answer everything else.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use api::ErrorCode;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::ApiError;
use crate::i18n::{Text, msg};

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checked against unknown emails so that they take as long as a wrong password. The password
/// behind it is random and was thrown away.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3RhZ2VwYWQtZHVtbXktc2FsdA$yQ3wvB4u2a9Hh1m0zC4cHqgk3sT8rAf1P7w6b3eY2mE";

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// OWASP's Argon2id parameters: m=19456 KiB, t=2, p=1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a new password is refused, in words for the person choosing it.
pub fn check_new_password(password: &str, email: &str) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ApiError::unprocessable(
            ErrorCode::WeakPassword,
            msg(Text::AuthPasswordTooShort).with("min", MIN_PASSWORD_CHARS),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(ApiError::unprocessable(
            ErrorCode::WeakPassword,
            msg(Text::AuthPasswordTooLong).with("max", MAX_PASSWORD_CHARS),
        ));
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.contains(lowered.as_str()) || lowered == email.to_lowercase() {
        return Err(ApiError::unprocessable(
            ErrorCode::WeakPassword,
            msg(Text::AuthPasswordTooCommon),
        ));
    }
    Ok(())
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        crate::metrics::argon2_permits(cores);
        Self {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }
}

impl Passwords {
    /// A permit to hash, counted in the metrics while held.
    async fn permit(&self) -> Result<(SemaphorePermit<'_>, crate::metrics::Argon2InUse), ApiError> {
        let permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        Ok((permit, crate::metrics::Argon2InUse::taken()))
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let _permit = self.permit().await?;
        actix_web::web::block(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
        })
        .await?
        .map_err(ApiError::internal)
    }

    /// True when `password` matches `stored`. Without a stored hash (unknown email) it still
    /// does the work of a real check, then answers false.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ApiError> {
        let _permit = self.permit().await?;
        actix_web::web::block(move || {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
            let parsed = PasswordHash::new(&hash)
                .map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
            let matches = argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok::<_, anyhow::Error>(known && matches)
        })
        .await?
        .map_err(ApiError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_common_passwords_are_refused() {
        assert!(check_new_password("short", "a@b.co").is_err());
        assert!(check_new_password(&"x".repeat(257), "a@b.co").is_err());
        assert!(check_new_password("Password1234", "a@b.co").is_err());
        assert!(check_new_password("QWERTY123456", "a@b.co").is_err());
        assert!(check_new_password("ada@example.com", "Ada@Example.com").is_err());
        assert!(check_new_password("correct horse staple", "a@b.co").is_ok());
        assert!(
            check_new_password(&"é".repeat(12), "a@b.co").is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn the_dummy_hash_parses_with_owasp_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(DUMMY_HASH.contains("m=19456,t=2,p=1"));
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let passwords = Passwords::default();
        let hash = passwords.hash("a long enough secret".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            passwords
                .verify("a long enough secret".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("a wrong secret!!".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("anything at all".into(), None)
                .await
                .unwrap()
        );
    }
}
