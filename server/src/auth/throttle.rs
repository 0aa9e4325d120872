//! Log-in throttling per account and per client address, in fixed windows. Kept in memory per
//! server instance: cheap, and enough to make online guessing hopeless.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub failures: u32,
    pub window: Duration,
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    pub per_account: Limit,
    pub per_address: Limit,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            per_account: Limit {
                failures: 5,
                window: Duration::from_secs(15 * 60),
            },
            per_address: Limit {
                failures: 30,
                window: Duration::from_secs(10 * 60),
            },
        }
    }
}

struct Window {
    started: Instant,
    failures: u32,
}

pub struct LoginThrottle {
    limits: ThrottleLimits,
    windows: Mutex<HashMap<String, Window>>,
}

impl LoginThrottle {
    pub fn new(limits: ThrottleLimits) -> Self {
        Self {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after)` when either the account or the address used up its failures.
    pub fn check(&self, email: &str, address: &str) -> Result<(), Duration> {
        self.check_at(email, address, Instant::now())
    }

    pub fn record_failure(&self, email: &str, address: &str) {
        let now = Instant::now();
        let mut windows = self.windows.lock().expect("throttle lock");
        if windows.len() > 100_000 {
            let longest = self
                .limits
                .per_account
                .window
                .max(self.limits.per_address.window);
            windows.retain(|_, w| now.duration_since(w.started) < longest);
        }
        for (key, limit) in self.keys(email, address) {
            let window = windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(window.started) >= limit.window {
                *window = Window {
                    started: now,
                    failures: 0,
                };
            }
            window.failures += 1;
        }
    }

    /// A successful log-in clears the account's failures (not the address's).
    pub fn record_success(&self, email: &str) {
        self.windows
            .lock()
            .expect("throttle lock")
            .remove(&account_key(email));
    }

    fn check_at(&self, email: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let windows = self.windows.lock().expect("throttle lock");
        let mut wait = Duration::ZERO;
        for (key, limit) in self.keys(email, address) {
            if let Some(window) = windows.get(&key) {
                let age = now.duration_since(window.started);
                if age < limit.window && window.failures >= limit.failures {
                    wait = wait.max(limit.window - age);
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    fn keys(&self, email: &str, address: &str) -> [(String, Limit); 2] {
        [
            (account_key(email), self.limits.per_account),
            (format!("address:{address}"), self.limits.per_address),
        ]
    }
}

fn account_key(email: &str) -> String {
    format!("account:{email}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(ThrottleLimits {
            per_account: Limit {
                failures: 3,
                window: Duration::from_secs(60),
            },
            per_address: Limit {
                failures: 5,
                window: Duration::from_secs(60),
            },
        })
    }

    #[test]
    fn an_account_locks_after_its_failures_until_the_window_ends() {
        let t = throttle();
        for _ in 0..3 {
            assert!(t.check("a@x.io", "1.1.1.1").is_ok());
            t.record_failure("a@x.io", "1.1.1.1");
        }
        let wait = t.check("a@x.io", "2.2.2.2").unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        assert!(
            t.check("b@x.io", "2.2.2.2").is_ok(),
            "other accounts are unaffected"
        );
        let later = Instant::now() + Duration::from_secs(61);
        assert!(t.check_at("a@x.io", "2.2.2.2", later).is_ok());
    }

    #[test]
    fn an_address_locks_across_accounts_and_success_clears_only_the_account() {
        let t = throttle();
        for i in 0..5 {
            t.record_failure(&format!("user{i}@x.io"), "9.9.9.9");
        }
        assert!(t.check("new@x.io", "9.9.9.9").is_err());
        assert!(t.check("new@x.io", "8.8.8.8").is_ok());
        t.record_failure("c@x.io", "7.7.7.7");
        t.record_failure("c@x.io", "7.7.7.7");
        t.record_success("c@x.io");
        t.record_failure("c@x.io", "7.7.7.7");
        assert!(t.check("c@x.io", "6.6.6.6").is_ok());
    }
}
