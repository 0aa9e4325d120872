//! Each Lever API key's request budget (Lever allows about 10 requests a second per key): a
//! token bucket per key, in memory for one instance, or in PostgreSQL when several instances
//! share a database and so one key's requests. Callers wait for their turn instead of being
//! refused.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sha2::{Digest, Sha256};

/// Where each key's bucket is kept.
pub struct RequestBudget {
    per_second: f64,
    local: KeyedRateLimiter,
    /// Several instances on one PostgreSQL share each key's bucket there.
    shared: Option<DatabaseConnection>,
}

impl RequestBudget {
    pub fn in_memory(per_second: f64) -> Self {
        Self {
            per_second,
            local: governor::RateLimiter::keyed(quota(per_second)),
            shared: None,
        }
    }

    /// Kept in `db` when it is PostgreSQL (shared with every other instance there); on SQLite
    /// (one instance) in memory.
    pub fn shared_through(per_second: f64, db: &DatabaseConnection) -> Self {
        let mut budget = Self::in_memory(per_second);
        if db.get_database_backend() == DbBackend::Postgres {
            budget.shared = Some(db.clone());
        }
        budget
    }

    /// Waits for this key's next turn. When the shared bucket cannot be reached, this
    /// instance's own bucket paces the call instead.
    pub async fn wait_for_turn(&self, key: &str) {
        if let Some(db) = &self.shared {
            match reserve_shared(db, key, self.per_second).await {
                Ok(wait) => return tokio::time::sleep(wait).await,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reach the shared Lever budget; using this instance's");
                }
            }
        }
        self.local.until_key_ready(&fingerprint(key)).await;
    }
}

/// Takes a token from the key's bucket in PostgreSQL (possibly one not yet refilled: the wait
/// says when it is due), in one statement on the database's clock, so instances agree whatever
/// their own clocks say.
async fn reserve_shared(
    db: &DatabaseConnection,
    key: &str,
    per_second: f64,
) -> Result<Duration, sea_orm::DbErr> {
    let key_hash = hex::encode(Sha256::digest(key.as_bytes()));
    let burst = per_second.max(1.0);
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO lever_request_budgets AS b (key_hash, tokens, updated_at) \
         VALUES ($1, $2 - 1, clock_timestamp()) \
         ON CONFLICT (key_hash) DO UPDATE SET \
           tokens = LEAST($2, b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at) * $3) - 1, \
           updated_at = clock_timestamp() \
         RETURNING tokens",
        [key_hash.into(), burst.into(), per_second.into()],
    );
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("the budget row".into()))?;
    let tokens: f64 = row.try_get("", "tokens")?;
    Ok(wait_for_token(tokens, per_second))
}

/// How long until a token taken from a bucket left at `tokens` is due: none while the bucket
/// had one, else as long as it takes to refill the shortfall.
fn wait_for_token(tokens: f64, per_second: f64) -> Duration {
    if tokens >= 0.0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(-tokens / per_second)
    }
}

/// The in-memory buckets: governor's keyed GCRA limiter, keyed by the key's SHA-256 (the key
/// itself is not kept), with a burst of one second's worth.
type KeyedRateLimiter = governor::RateLimiter<
    [u8; 32],
    governor::state::keyed::DefaultKeyedStateStore<[u8; 32]>,
    governor::clock::DefaultClock,
>;

fn quota(per_second: f64) -> Quota {
    let per_second = per_second.max(0.01);
    let burst = NonZeroU32::new(per_second.max(1.0) as u32).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(Duration::from_secs_f64(1.0 / per_second))
        .expect("a positive period")
        .allow_burst(burst)
}

fn fingerprint(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use governor::clock::{Clock, FakeRelativeClock};

    use super::*;

    #[test]
    fn the_budget_allows_a_burst_then_spaces_requests() {
        let clock = FakeRelativeClock::default();
        let limiter = governor::RateLimiter::dashmap_with_clock(quota(8.0), clock.clone());
        let (a, b) = (fingerprint("key-a"), fingerprint("key-b"));
        for _ in 0..8 {
            assert!(limiter.check_key(&a).is_ok(), "a burst of 8");
        }
        let refused = limiter.check_key(&a).expect_err("the 9th waits");
        assert_eq!(
            refused.wait_time_from(clock.now()),
            Duration::from_millis(125)
        );
        assert!(
            limiter.check_key(&b).is_ok(),
            "keys have budgets of their own"
        );
        // After a quiet while the bucket is full again, but never fuller than the burst.
        clock.advance(Duration::from_secs(10));
        for _ in 0..8 {
            assert!(limiter.check_key(&a).is_ok());
        }
        assert!(limiter.check_key(&a).is_err());
    }
}
