//! Throttling in fixed windows: log-in failures per account and per client address, sign-ups per
//! address, invitations per organization. Kept in memory per server instance: cheap, and enough
//! to make online guessing and floods hopeless.
//!
//! The table holds truncated SHA-256 hashes, never an e-mail or an address, and only of
//! validated input; it is capped, evicting the oldest window first, so rotating keys cannot grow
//! memory without bound.

use api::OrgId;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::extract::ClientAddress;
use crate::validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed in one window.
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Failed log-ins to one account.
    pub login_per_account: Limit,
    /// Failed log-ins from one client address, across accounts.
    pub login_per_address: Limit,
    /// Sign-up attempts (well-formed ones) from one client address.
    pub sign_ups_per_address: Limit,
    /// Invitations one organization sends.
    pub invitations_per_organization: Limit,
    /// E-mail changes one user asks for (each one tells whether the new address is taken).
    pub email_changes_per_user: Limit,
    /// Password reset requests from one client address (each may send an e-mail).
    pub password_resets_per_address: Limit,
    /// Windows kept at most; beyond it the oldest is forgotten.
    pub capacity: usize,
}

const MINUTE: Duration = Duration::from_secs(60);

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            login_per_account: Limit::new(5, 15 * MINUTE),
            login_per_address: Limit::new(30, 10 * MINUTE),
            sign_ups_per_address: Limit::new(10, 60 * MINUTE),
            invitations_per_organization: Limit::new(100, 60 * MINUTE),
            email_changes_per_user: Limit::new(5, 60 * MINUTE),
            password_resets_per_address: Limit::new(10, 60 * MINUTE),
            capacity: 100_000,
        }
    }
}

/// What is counted. Part of the hashed key, so equal values of two kinds never share a window.
#[derive(Debug, Clone, Copy)]
enum Kind {
    LoginAccount,
    LoginAddress,
    SignUpAddress,
    Invitations,
    EmailChanges,
    PasswordResets,
}

impl Kind {
    fn tag(self) -> u8 {
        match self {
            Kind::LoginAccount => 1,
            Kind::LoginAddress => 2,
            Kind::SignUpAddress => 3,
            Kind::Invitations => 4,
            Kind::EmailChanges => 5,
            Kind::PasswordResets => 6,
        }
    }
}

/// 128 bits of SHA-256: no collisions in practice, and nothing readable in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key([u8; 16]);

impl Key {
    fn new(kind: Kind, value: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update([kind.tag()]);
        hasher.update(value);
        let digest = hasher.finalize();
        let mut key = [0; 16];
        key.copy_from_slice(&digest[..16]);
        Key(key)
    }
}

/// The bytes an address is counted by. An IPv6 host usually owns a whole /64, so its
/// addresses count together.
fn address_bytes(client: &ClientAddress) -> Vec<u8> {
    match client.ip() {
        Some(IpAddr::V4(ip)) => ip.octets().to_vec(),
        Some(IpAddr::V6(ip)) => ip.octets()[..8].to_vec(),
        None => b"unknown".to_vec(),
    }
}

/// One log-in attempt's keys. The account is keyed only when the e-mail is well-formed: a
/// malformed one can match no account and is not worth a table entry.
pub struct LogInAttempt {
    email: Option<String>,
    account: Option<Key>,
    address: Key,
}

impl LogInAttempt {
    pub fn new(raw_email: &str, client: &ClientAddress) -> Self {
        let email = validate::email(raw_email).ok();
        Self {
            account: email
                .as_deref()
                .map(|e| Key::new(Kind::LoginAccount, e.as_bytes())),
            email,
            address: Key::new(Kind::LoginAddress, &address_bytes(client)),
        }
    }

    /// The normalized e-mail, when well-formed.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }
}

pub struct Throttle {
    limits: ThrottleLimits,
    table: Mutex<Table>,
}

impl Throttle {
    pub fn new(limits: ThrottleLimits) -> Self {
        Self {
            limits,
            table: Mutex::new(Table::new(limits.capacity)),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        // A panic while holding the lock leaves counters, not broken invariants worth a 500.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn login_keys(&self, attempt: &LogInAttempt) -> impl Iterator<Item = (Key, Limit)> {
        let account = attempt
            .account
            .map(|key| (key, self.limits.login_per_account));
        account
            .into_iter()
            .chain([(attempt.address, self.limits.login_per_address)])
    }

    /// `Err(retry_after)` when the account or the address used up its failures.
    pub fn check_log_in(&self, attempt: &LogInAttempt) -> Result<(), Duration> {
        let now = Instant::now();
        let table = self.table();
        let wait = self
            .login_keys(attempt)
            .filter_map(|(key, limit)| table.wait(key, limit, now))
            .max();
        wait.map_or(Ok(()), Err)
    }

    pub fn log_in_failed(&self, attempt: &LogInAttempt) {
        let now = Instant::now();
        let mut table = self.table();
        for (key, limit) in self.login_keys(attempt) {
            table.add(key, limit, now);
        }
    }

    /// A successful log-in clears the account's failures (not the address's).
    pub fn log_in_succeeded(&self, attempt: &LogInAttempt) {
        if let Some(key) = attempt.account {
            self.table().remove(key);
        }
    }

    /// Counts a sign-up from `client`, or `Err(retry_after)` when its address used them up.
    pub fn sign_up(&self, client: &ClientAddress) -> Result<(), Duration> {
        let key = Key::new(Kind::SignUpAddress, &address_bytes(client));
        self.take(key, self.limits.sign_ups_per_address)
    }

    /// Counts an invitation of the organization, or `Err(retry_after)` when it used them up.
    pub fn invitation(&self, org_id: OrgId) -> Result<(), Duration> {
        let key = Key::new(Kind::Invitations, org_id.as_uuid().as_bytes());
        self.take(key, self.limits.invitations_per_organization)
    }

    /// Counts an e-mail change of the user, or `Err(retry_after)` when they used them up: each
    /// answer says whether an address has an account, so a session with its own password must
    /// not be able to ask it at will.
    pub fn email_change(&self, user_id: api::UserId) -> Result<(), Duration> {
        let key = Key::new(Kind::EmailChanges, user_id.as_uuid().as_bytes());
        self.take(key, self.limits.email_changes_per_user)
    }

    /// Counts a password reset request from `client`, or `Err(retry_after)` when its address
    /// used them up. Counted by address, never by account: the answer must not tell whether
    /// an account exists.
    pub fn password_reset(&self, client: &ClientAddress) -> Result<(), Duration> {
        let key = Key::new(Kind::PasswordResets, &address_bytes(client));
        self.take(key, self.limits.password_resets_per_address)
    }

    /// Check and count under one lock, so concurrent requests cannot all slip under the limit.
    fn take(&self, key: Key, limit: Limit) -> Result<(), Duration> {
        let now = Instant::now();
        let mut table = self.table();
        if let Some(wait) = table.wait(key, limit, now) {
            return Err(wait);
        }
        table.add(key, limit, now);
        Ok(())
    }
}

struct Window {
    started: Instant,
    /// Tells apart windows that started at the same instant in `by_start`.
    serial: u64,
    count: u32,
}

/// Windows by key, and the same windows by start, oldest first, for eviction.
struct Table {
    windows: HashMap<Key, Window>,
    by_start: BTreeMap<(Instant, u64), Key>,
    next_serial: u64,
    capacity: usize,
}

impl Table {
    fn new(capacity: usize) -> Self {
        Self {
            windows: HashMap::new(),
            by_start: BTreeMap::new(),
            next_serial: 0,
            capacity: capacity.max(1),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.windows.len()
    }

    /// How long until `key` may act again, when its current window is full.
    fn wait(&self, key: Key, limit: Limit, now: Instant) -> Option<Duration> {
        let window = self.windows.get(&key)?;
        let age = now.saturating_duration_since(window.started);
        (age < limit.window && window.count >= limit.max).then(|| limit.window - age)
    }

    fn add(&mut self, key: Key, limit: Limit, now: Instant) {
        if let Some(window) = self.windows.get_mut(&key) {
            if now.saturating_duration_since(window.started) < limit.window {
                window.count = window.count.saturating_add(1);
                return;
            }
            // Expired: start a new window (it moves to the young end).
            self.remove(key);
        }
        while self.windows.len() >= self.capacity {
            match self.by_start.pop_first() {
                Some((_, oldest)) => {
                    self.windows.remove(&oldest);
                }
                None => break,
            }
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        self.windows.insert(
            key,
            Window {
                started: now,
                serial,
                count: 1,
            },
        );
        self.by_start.insert((now, serial), key);
    }

    fn remove(&mut self, key: Key) {
        if let Some(window) = self.windows.remove(&key) {
            self.by_start.remove(&(window.started, window.serial));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ThrottleLimits {
        ThrottleLimits {
            login_per_account: Limit::new(3, MINUTE),
            login_per_address: Limit::new(5, MINUTE),
            sign_ups_per_address: Limit::new(2, MINUTE),
            invitations_per_organization: Limit::new(2, MINUTE),
            email_changes_per_user: Limit::new(2, MINUTE),
            password_resets_per_address: Limit::new(2, MINUTE),
            capacity: 1000,
        }
    }

    fn from(ip: &str) -> ClientAddress {
        ClientAddress::from_ip(ip.parse().unwrap())
    }

    fn attempt(email: &str, ip: &str) -> LogInAttempt {
        LogInAttempt::new(email, &from(ip))
    }

    #[test]
    fn an_account_locks_after_its_failures_until_the_window_ends() {
        let t = Throttle::new(limits());
        for _ in 0..3 {
            assert!(t.check_log_in(&attempt("a@x.io", "1.1.1.1")).is_ok());
            t.log_in_failed(&attempt("a@x.io", "1.1.1.1"));
        }
        // The same account however it is typed, from anywhere.
        let wait = t.check_log_in(&attempt(" A@X.io", "2.2.2.2")).unwrap_err();
        assert!(wait <= MINUTE && wait > Duration::from_secs(50));
        assert!(
            t.check_log_in(&attempt("b@x.io", "2.2.2.2")).is_ok(),
            "other accounts are unaffected"
        );
        let key = attempt("a@x.io", "2.2.2.2").account.unwrap();
        let later = Instant::now() + Duration::from_secs(61);
        assert!(
            t.table()
                .wait(key, limits().login_per_account, later)
                .is_none()
        );
    }

    #[test]
    fn an_address_locks_across_accounts_and_success_clears_only_the_account() {
        let t = Throttle::new(limits());
        for i in 0..5 {
            t.log_in_failed(&attempt(&format!("user{i}@x.io"), "9.9.9.9"));
        }
        assert!(t.check_log_in(&attempt("new@x.io", "9.9.9.9")).is_err());
        assert!(t.check_log_in(&attempt("new@x.io", "8.8.8.8")).is_ok());
        t.log_in_failed(&attempt("c@x.io", "7.7.7.7"));
        t.log_in_failed(&attempt("c@x.io", "7.7.7.7"));
        t.log_in_succeeded(&attempt("c@x.io", "7.7.7.7"));
        t.log_in_failed(&attempt("c@x.io", "7.7.7.7"));
        assert!(t.check_log_in(&attempt("c@x.io", "6.6.6.6")).is_ok());
    }

    #[test]
    fn a_malformed_email_is_no_key_but_still_counts_for_the_address() {
        let t = Throttle::new(limits());
        for junk in ["nope", "", "a@b", "x@@y.io"] {
            let a = attempt(junk, "5.5.5.5");
            assert!(a.email().is_none() && a.account.is_none());
            t.log_in_failed(&a);
        }
        assert_eq!(t.table().len(), 1, "only the address is recorded");
        assert_eq!(
            attempt(" Ada@Example.COM ", "5.5.5.5").email(),
            Some("ada@example.com")
        );
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_prefix() {
        let a = attempt("a@x.io", "2001:db8:1:2::1");
        let b = attempt("a@x.io", "2001:db8:1:2:ffff::9");
        let c = attempt("a@x.io", "2001:db8:1:3::1");
        assert_eq!(a.address, b.address);
        assert_ne!(a.address, c.address);
    }

    #[test]
    fn sign_ups_and_invitations_are_counted_per_address_and_per_organization() {
        let t = Throttle::new(limits());
        assert!(t.sign_up(&from("1.2.3.4")).is_ok());
        assert!(t.sign_up(&from("1.2.3.4")).is_ok());
        let wait = t.sign_up(&from("1.2.3.4")).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= MINUTE);
        assert!(t.sign_up(&from("1.2.3.5")).is_ok());
        // Log-in failures from the address are a separate count.
        assert!(t.check_log_in(&attempt("a@x.io", "1.2.3.4")).is_ok());

        let (org, other) = (OrgId::random(), OrgId::random());
        assert!(t.invitation(org).is_ok() && t.invitation(org).is_ok());
        assert!(t.invitation(org).is_err());
        assert!(t.invitation(other).is_ok());
    }

    #[test]
    fn the_table_is_capped_and_forgets_the_oldest_window_first() {
        let limit = Limit::new(1, MINUTE);
        let mut table = Table::new(3);
        let start = Instant::now();
        let keys: Vec<Key> = (0u8..5)
            .map(|i| Key::new(Kind::LoginAddress, &[i]))
            .collect();
        for (i, key) in keys.iter().enumerate() {
            table.add(*key, limit, start + Duration::from_secs(i as u64));
            assert!(table.len() <= 3);
        }
        let now = start + Duration::from_secs(5);
        assert_eq!(table.len(), 3);
        assert_eq!(table.by_start.len(), 3);
        assert!(table.wait(keys[0], limit, now).is_none(), "evicted");
        assert!(table.wait(keys[1], limit, now).is_none(), "evicted");
        for key in &keys[2..] {
            assert!(table.wait(*key, limit, now).is_some(), "kept");
        }
        // A restarted window moves to the young end and is not the next to go.
        let later = start + MINUTE + Duration::from_secs(2);
        table.add(keys[2], limit, later);
        table.add(keys[0], limit, later);
        assert!(table.wait(keys[2], limit, later).is_some());
        assert!(
            table.wait(keys[3], limit, later).is_none(),
            "the oldest went"
        );
        assert!(table.wait(keys[4], limit, later).is_some());
        assert_eq!(table.len(), 3);
        assert_eq!(table.by_start.len(), 3);
    }

    #[test]
    fn a_flood_of_new_keys_stays_within_the_cap() {
        let t = Throttle::new(ThrottleLimits {
            capacity: 100,
            ..limits()
        });
        for i in 0..10_000u32 {
            let ip = std::net::Ipv4Addr::from(i);
            t.log_in_failed(&LogInAttempt::new(
                &format!("u{i}@x.io"),
                &ClientAddress::from_ip(IpAddr::V4(ip)),
            ));
        }
        assert_eq!(t.table().len(), 100);
        assert_eq!(t.table().by_start.len(), 100);
    }
}
