//! Sessions are HS256 JWTs in an HttpOnly, SameSite=Strict cookie. The token names the user,
//! the organization and the user's token version; every request re-reads the user, so a bumped
//! version (log-out, password change, deactivation) or a role change applies at once.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use api::{OrgId, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secrets::MasterKey;

const ISSUER: &str = "stagepad";
const AUDIENCE: &str = "stagepad-console";
pub const SESSION_HOURS: i64 = 12;
/// Clock differences between instances, for sessions signed under a previous key.
const PREVIOUS_KEY_LEEWAY_SECS: i64 = 300;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    pub org: OrgId,
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

#[derive(Clone)]
pub struct Sessions {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Keys of earlier master keys (`STAGEPAD_MASTER_KEY_PREVIOUS`): sessions they signed stay
    /// valid while a rotation is under way.
    previous: Vec<DecodingKey>,
    /// The latest expiry (Unix seconds) a session signed under a previous key may have: one
    /// session lifetime after this process started (see [`Sessions::accepting`]).
    previous_expire_by: i64,
    validation: Validation,
    cookie_name: &'static str,
    secure: bool,
}

impl Sessions {
    pub fn new(master_key: &MasterKey, public_url: &str) -> Self {
        let signing_key = signing_key(master_key);
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        let secure = public_url.starts_with("https://");
        Self {
            encoding: EncodingKey::from_secret(&signing_key),
            decoding: DecodingKey::from_secret(&signing_key),
            previous: Vec::new(),
            previous_expire_by: 0,
            validation,
            // The __Host- prefix binds the cookie to this exact origin; browsers accept it only
            // on https with Secure and Path=/.
            cookie_name: if secure {
                "__Host-stagepad_session"
            } else {
                "stagepad_session"
            },
            secure,
        }
    }

    /// Also accepts sessions signed under these earlier master keys (new ones are signed
    /// under the current key only), but only those that expire within one session lifetime
    /// of now (the server's start): every genuine one does, as it was issued before the
    /// rotation; a token forged with a leaked old key to last longer does not.
    pub fn accepting(self, previous: &[MasterKey]) -> Self {
        self.accepting_at(previous, time::OffsetDateTime::now_utc().unix_timestamp())
    }

    fn accepting_at(mut self, previous: &[MasterKey], started: i64) -> Self {
        self.previous = previous
            .iter()
            .map(|key| DecodingKey::from_secret(&signing_key(key)))
            .collect();
        self.previous_expire_by = started + SESSION_HOURS * 3600 + PREVIOUS_KEY_LEEWAY_SECS;
        self
    }

    pub fn cookie_name(&self) -> &'static str {
        self.cookie_name
    }

    pub fn issue(
        &self,
        user_id: UserId,
        org_id: OrgId,
        token_version: i32,
    ) -> anyhow::Result<Cookie<'static>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            sub: user_id,
            org: org_id,
            ver: token_version,
            iat: now,
            exp: now + SESSION_HOURS * 3600,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(self.cookie(token, CookieDuration::hours(SESSION_HOURS)))
    }

    pub fn cleared(&self) -> Cookie<'static> {
        self.cookie(String::new(), CookieDuration::ZERO)
    }

    /// The claims of a genuine, unexpired token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let decode = |key| jsonwebtoken::decode::<Claims>(token, key, &self.validation).ok();
        if let Some(data) = decode(&self.decoding) {
            return Some(data.claims);
        }
        self.previous
            .iter()
            .find_map(decode)
            .map(|data| data.claims)
            .filter(|claims| claims.exp <= self.previous_expire_by)
    }

    fn cookie(&self, value: String, max_age: CookieDuration) -> Cookie<'static> {
        Cookie::build(self.cookie_name, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure)
            .max_age(max_age)
            .finish()
    }
}

/// A key of its own, derived from the master key, so a session secret is never reused for
/// encryption.
fn signing_key(master_key: &MasterKey) -> Vec<u8> {
    Sha256::new()
        .chain_update(b"stagepad session signing key v1\0")
        .chain_update(master_key.bytes())
        .finalize()
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_tampered_ones_do_not() {
        let sessions = Sessions::new(&MasterKey::generate(), "http://127.0.0.1:8080");
        let (user, org) = (UserId::random(), OrgId::random());
        let cookie = sessions.issue(user, org, 3).unwrap();
        assert_eq!(cookie.name(), "stagepad_session");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Strict));
        let claims = sessions.verify(cookie.value()).unwrap();
        assert_eq!((claims.sub, claims.org, claims.ver), (user, org, 3));

        let other = Sessions::new(&MasterKey::generate(), "http://127.0.0.1:8080");
        assert!(
            other.verify(cookie.value()).is_none(),
            "another key's token"
        );
        let mut tampered = cookie.value().to_string();
        tampered.insert(tampered.len() - 2, 'x');
        assert!(sessions.verify(&tampered).is_none());
    }

    #[test]
    fn sessions_of_a_previous_master_key_stay_valid_during_a_rotation() {
        let (old, new) = (MasterKey::generate(), MasterKey::generate());
        let before = Sessions::new(&old, "http://x");
        let cookie = before.issue(UserId::random(), OrgId::random(), 0).unwrap();
        assert!(
            Sessions::new(&new, "http://x")
                .verify(cookie.value())
                .is_none()
        );
        let rotating = Sessions::new(&new, "http://x").accepting(std::slice::from_ref(&old));
        assert!(rotating.verify(cookie.value()).is_some());
        let fresh = rotating
            .issue(UserId::random(), OrgId::random(), 0)
            .unwrap();
        assert!(
            Sessions::new(&new, "http://x")
                .verify(fresh.value())
                .is_some(),
            "new sessions are signed with the new key"
        );
    }

    #[test]
    fn a_previous_key_signs_no_session_longer_than_one_lifetime_from_the_start() {
        let (old, new) = (MasterKey::generate(), MasterKey::generate());
        let started = time::OffsetDateTime::now_utc().unix_timestamp();
        let rotating =
            Sessions::new(&new, "http://x").accepting_at(std::slice::from_ref(&old), started);
        let old_sessions = Sessions::new(&old, "http://x");
        let token = |exp: i64| {
            let claims = Claims {
                sub: UserId::random(),
                org: OrgId::random(),
                ver: 0,
                iat: started,
                exp,
                iss: ISSUER.into(),
                aud: AUDIENCE.into(),
            };
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &old_sessions.encoding,
            )
            .unwrap()
        };
        // Genuine: issued before the start, so it ends within one lifetime.
        let genuine = old_sessions
            .issue(UserId::random(), OrgId::random(), 0)
            .unwrap();
        assert!(rotating.verify(genuine.value()).is_some());
        assert!(rotating.verify(&token(started + 3600)).is_some());
        // Forged with the leaked old key to last for a month: refused.
        assert!(rotating.verify(&token(started + 30 * 24 * 3600)).is_none());
        assert!(
            rotating
                .verify(&token(started + SESSION_HOURS * 3600 + 3600))
                .is_none()
        );
        // The current key's sessions have no such bound but their own expiry.
        let fresh = rotating
            .issue(UserId::random(), OrgId::random(), 0)
            .unwrap();
        assert!(rotating.verify(fresh.value()).is_some());
    }

    #[test]
    fn https_sessions_use_a_host_prefixed_secure_cookie() {
        let sessions = Sessions::new(&MasterKey::generate(), "https://pads.example.com");
        let cookie = sessions
            .issue(UserId::random(), OrgId::random(), 0)
            .unwrap();
        assert_eq!(cookie.name(), "__Host-stagepad_session");
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.path(), Some("/"));
    }

    #[test]
    fn none_algorithm_and_expired_tokens_are_refused() {
        let sessions = Sessions::new(&MasterKey::generate(), "http://x");
        // {"alg":"none"} with valid-looking claims.
        let unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAifQ.";
        assert!(sessions.verify(unsigned).is_none());
        let expired = Claims {
            sub: UserId::random(),
            org: OrgId::random(),
            ver: 0,
            iat: 1,
            exp: 2,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &expired, &sessions.encoding)
                .unwrap();
        assert!(sessions.verify(&token).is_none());
    }
}
