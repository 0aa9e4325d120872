//! Each Lever API key's request budget (Lever allows about 10 requests a second per key): a
//! token bucket per key, in memory for one instance, or in PostgreSQL when several instances
//! share a database and so one key's requests. Callers wait for their turn instead of being
//! refused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
            local: KeyedRateLimiter::new(per_second),
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
        self.local.acquire(key).await;
    }
}

/// Takes a token from the key's bucket in PostgreSQL, as [`KeyedRateLimiter::reserve`] does in
/// memory (possibly one not yet refilled: the wait says when it is due), in one statement on
/// the database's clock, so instances agree whatever their own clocks say.
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

/// A token bucket per API key (burst = one second's worth), shared by every task in the
/// process. Callers wait for their turn instead of being refused.
struct KeyedRateLimiter {
    per_second: f64,
    buckets: Mutex<HashMap<[u8; 32], Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl KeyedRateLimiter {
    fn new(per_second: f64) -> Self {
        Self {
            per_second,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    async fn acquire(&self, key: &str) {
        let wait = self.reserve(key, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a token (possibly one not yet refilled) and says how long until it is due.
    fn reserve(&self, key: &str, now: Instant) -> Duration {
        let fingerprint: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        let burst = self.per_second.max(1.0);
        let bucket = buckets.entry(fingerprint).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(burst);
        bucket.updated = now;
        bucket.tokens -= 1.0;
        wait_for_token(bucket.tokens, self.per_second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_allows_a_burst_then_spaces_requests() {
        let limiter = KeyedRateLimiter::new(8.0);
        let now = Instant::now();
        let waits: Vec<Duration> = (0..12).map(|_| limiter.reserve("key-a", now)).collect();
        assert!(waits[..8].iter().all(Duration::is_zero));
        assert_eq!(waits[8], Duration::from_millis(125));
        assert_eq!(waits[11], Duration::from_millis(500));
        assert!(
            limiter.reserve("key-b", now).is_zero(),
            "keys have budgets of their own"
        );
        // After a quiet second the bucket is full again, but never fuller than the burst.
        let later = now + Duration::from_secs(10);
        let waits: Vec<Duration> = (0..9).map(|_| limiter.reserve("key-a", later)).collect();
        assert!(waits[..8].iter().all(Duration::is_zero));
        assert!(!waits[8].is_zero());
    }
}
