//! A durable job queue in the database. Jobs are written in the same transaction as what asks
//! for them (a Lever delivery), claimed with a lease, retried with backoff, and buried as dead
//! after the last attempt, where an admin can retry them.

pub mod queue;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use entity::job;
use tokio::sync::Notify;

use api::i18n::Locale;

use crate::i18n::{Message, Text, msg};
use crate::lever::client::LeverError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
pub struct JobSettings {
    /// Jobs running at once in one server instance.
    pub concurrency: usize,
    /// Jobs of one organization running at once: one tenant's burst leaves room for the others
    /// (its Lever key's request budget would not let more go faster anyway).
    pub per_org_concurrency: usize,
    /// Runs of a job before it is dead.
    pub max_attempts: i32,
    /// Wait before the first retry; doubled each time, with jitter, capped at `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long a claim lasts without a heartbeat: a job whose worker died runs again after it.
    pub lease: Duration,
    /// Jobs written by other instances (PostgreSQL) are noticed at least this often.
    pub poll_interval: Duration,
    /// On shutdown, how long running jobs may take to finish before they are left to their
    /// lease.
    pub shutdown_grace: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            concurrency: 8,
            per_org_concurrency: 2,
            max_attempts: 8,
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(15 * 60),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl JobSettings {
    /// Exponential backoff with jitter after the `attempts`-th run failed.
    pub fn retry_delay(&self, attempts: i32) -> Duration {
        let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
        let ceiling = self
            .retry_base
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.retry_max);
        ceiling.mul_f64(rand::random_range(0.5..=1.0))
    }
}

/// Wakes the worker when a job is written, so new work starts at once instead of at the next
/// poll.
#[derive(Clone, Default)]
pub struct JobSignal(Arc<Notify>);

impl JobSignal {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    pub async fn woken(&self) {
        self.0.notified().await
    }
}

/// The longest stored failure message, in bytes of JSON.
const MAX_STORED_MESSAGE: usize = 4_000;

/// Why a job's run failed, and whether trying again later can help. The message is shown where
/// people look (a delivery, a pad's note status), so it is worded in each reader's language.
#[derive(Debug, Clone)]
pub struct JobError {
    pub message: Message,
    pub kind: JobErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobErrorKind {
    /// Worth another run later: Lever or the database was busy, down or slow.
    Transient,
    /// Another run would fail the same way.
    Permanent,
    /// Another run owns the job now (this one's lease ran out): it records the outcome.
    LostLease,
}

impl JobError {
    pub fn permanent(message: impl Into<Message>) -> Self {
        Self {
            message: message.into(),
            kind: JobErrorKind::Permanent,
        }
    }

    pub fn transient(message: impl Into<Message>) -> Self {
        Self {
            message: message.into(),
            kind: JobErrorKind::Transient,
        }
    }

    pub fn lost_lease() -> Self {
        Self {
            message: msg(Text::JobsLostLease),
            kind: JobErrorKind::LostLease,
        }
    }

    pub fn is_transient(&self) -> bool {
        self.kind == JobErrorKind::Transient
    }

    /// The message as stored beside its English, to word it for each reader; none when it is
    /// too long to keep whole (Lever's own words can be long), and the cut English shows.
    pub fn stored_message(&self) -> Option<String> {
        self.message
            .stored_json()
            .filter(|json| json.len() <= MAX_STORED_MESSAGE)
    }

    /// The message in English, for the log and the job's row.
    pub fn english(&self) -> String {
        self.message.render(Locale::En)
    }
}

impl From<sea_orm::DbErr> for JobError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::transient(msg(Text::JobsDatabase).with("detail", e))
    }
}

impl From<LeverError> for JobError {
    fn from(e: LeverError) -> Self {
        Self {
            kind: if e.is_transient() {
                JobErrorKind::Transient
            } else {
                JobErrorKind::Permanent
            },
            message: e.message(),
        }
    }
}

/// Called before each write to Lever: renews the job's lease, so the write has a whole lease
/// to finish in, or stops the job when another run has claimed it since (this one's lease ran
/// out), so the same write is not made twice at once. When the database cannot say, the job
/// stops too: it cannot prove it still owns the work.
pub async fn hold_lease(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    if queue::extend_lease(&state.db, job, state.settings.jobs.lease).await? {
        Ok(())
    } else {
        Err(JobError::lost_lease())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_cap() {
        let settings = JobSettings {
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_millis(1_000),
            ..JobSettings::default()
        };
        for _ in 0..50 {
            let first = settings.retry_delay(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = settings.retry_delay(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(settings.retry_delay(30) <= Duration::from_millis(1_000));
        }
    }
}
