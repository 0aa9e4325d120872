//! The loop that runs jobs: fills free slots round-robin across organizations, sleeps until
//! woken (a new job), a slot frees up, or the next job falls due, and stops with the server.

use api::OrgId;
use std::collections::HashMap;
use std::time::Duration;

use entity::job;
use sea_orm::{ConnectionTrait, TransactionTrait};
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{JobError, JobErrorKind, queue};
use crate::i18n::{Text, msg};
use crate::state::AppState;
use crate::{lever, mail, pads};

/// Runs until `stop` turns true, then gives running jobs `shutdown_grace` to finish.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let settings = state.settings.jobs;
    let db = &state.db;
    if state.settings.uses_sqlite() {
        match queue::requeue_orphans(db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "jobs interrupted by the last stop run again"),
            Err(e) => tracing::error!(error = %e, "cannot requeue interrupted jobs"),
        }
    }
    let mut tasks = JoinSet::new();
    // Which organization each running job belongs to: the per-organization limit counts these.
    let mut org_of_task: HashMap<tokio::task::Id, OrgId> = HashMap::new();
    let mut cursor = None;
    let mut next_prune = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= next_prune {
            if let Err(e) = queue::prune(db).await {
                tracing::error!(error = %e, "pruning old jobs and Lever tokens failed");
            }
            let retention = &state.settings.retention;
            match crate::retention::sweep(db, retention, OffsetDateTime::now_utc()).await {
                Ok(swept) if swept != Default::default() => {
                    tracing::info!(?swept, "deleted deliveries and audit events past retention")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "the retention sweep failed"),
            }
            next_prune += Duration::from_secs(3_600);
        }
        let mut trouble = false;
        if tasks.len() < settings.concurrency {
            let mut running_per_org: HashMap<OrgId, usize> = HashMap::new();
            for org_id in org_of_task.values() {
                *running_per_org.entry(*org_id).or_default() += 1;
            }
            match queue::claim_batch(
                db,
                &running_per_org,
                settings.per_org_concurrency,
                settings.concurrency - tasks.len(),
                &mut cursor,
                settings.lease,
                skipped_kinds(&state),
            )
            .await
            {
                Ok(claimed) => {
                    for job in claimed {
                        let org_id = job.org_id;
                        let handle = tasks.spawn(run_one(state.clone(), job));
                        org_of_task.insert(handle.id(), org_id);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot claim jobs");
                    trouble = true;
                }
            }
        }
        let wait = if trouble {
            Duration::from_secs(1)
        } else {
            time_until_due(&state).await
        };
        tokio::select! {
            _ = state.job_signal.woken() => {}
            Some(finished) = tasks.join_next_with_id() => {
                let id = match &finished {
                    Ok((id, ())) => *id,
                    Err(e) => e.id(),
                };
                org_of_task.remove(&id);
            }
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => break,
        }
    }
    let drained = tokio::time::timeout(settings.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            jobs = tasks.len(),
            "jobs still running at shutdown are left to their lease"
        );
        tasks.shutdown().await;
    }
}

/// The kinds of job this instance leaves to the instances that can run them: mail, without a
/// mail server, on a shared PostgreSQL (another instance may have one). On SQLite this is the
/// only instance: its mail fails and says why.
fn skipped_kinds(state: &AppState) -> &'static [job::Kind] {
    if state.mailer.is_some() || state.settings.uses_sqlite() {
        &[]
    } else {
        &[job::Kind::Mail]
    }
}

async fn time_until_due(state: &AppState) -> Duration {
    let poll = state.settings.jobs.poll_interval;
    match queue::next_due_at(&state.db, skipped_kinds(state)).await {
        Ok(Some(at)) => {
            let until = at - OffsetDateTime::now_utc();
            // A job already due but not claimable (its organization is at its limit) waits
            // for a slot to free up, which wakes the loop anyway.
            Duration::try_from(until)
                .unwrap_or(poll)
                .clamp(Duration::from_millis(5), poll)
        }
        Ok(None) => poll,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the job queue");
            Duration::from_secs(1)
        }
    }
}

/// Runs one claimed job while renewing its lease, then records the outcome.
async fn run_one(state: AppState, job: job::Model) {
    let settings = state.settings.jobs;
    let limit = job.attempt_limit.unwrap_or(settings.max_attempts);
    // A claim counts a run before it starts, and a failed last run buries the job, so a claim
    // past the limit means the last run never finished: the process died with it (or lost
    // it). A job that does that every time must not run again at every start.
    if job.attempts > limit {
        let error = JobError::permanent(msg(Text::JobsOutOfAttempts).with("limit", limit));
        tracing::error!(job_id = %job.id, org_id = %job.org_id, kind = %job.kind, "job buried: its runs never finished");
        // The delivery shows the runs made, not this claim.
        let shown = job::Model {
            attempts: limit,
            ..job.clone()
        };
        crate::metrics::job_attempt(job.kind, "dead");
        record_failure(&state, &job, &shown, &error, None).await;
        return;
    }
    let lease = settings.lease;
    let heartbeat = async {
        // The claim took the lease just now.
        let mut held_until = Instant::now() + lease;
        loop {
            tokio::time::sleep(lease / 3).await;
            let asked_at = Instant::now();
            match queue::extend_lease(&state.db, &job, lease).await {
                Ok(true) => held_until = asked_at + lease,
                Ok(false) => return,
                // Stop before the lease can run out unrenewed: after that another instance
                // may claim the job and make the same writes.
                Err(e) if Instant::now() + lease / 3 >= held_until => {
                    tracing::warn!(job_id = %job.id, error = %e, "cannot renew a lease before it runs out; the job stops");
                    return;
                }
                Err(e) => tracing::warn!(job_id = %job.id, error = %e, "cannot renew a lease"),
            }
        }
    };
    let outcome = tokio::select! {
        outcome = perform(&state, &job) => outcome,
        _ = heartbeat => Err(JobError::lost_lease()),
    };
    match outcome {
        Ok(()) => match queue::finish(&state.db, &job).await {
            Ok(true) => crate::metrics::job_attempt(job.kind, "done"),
            Ok(false) => lost_claim(&job),
            Err(e) => {
                tracing::error!(job_id = %job.id, error = %e, "cannot record a job's outcome; it runs again when its lease ends");
            }
        },
        Err(error) if error.kind == JobErrorKind::LostLease => lost_claim(&job),
        Err(error) => {
            let retry = (error.is_transient() && job.attempts < limit)
                .then(|| settings.retry_delay(job.attempts));
            tracing::warn!(
                job_id = %job.id,
                org_id = %job.org_id,
                kind = %job.kind,
                attempts = job.attempts,
                error = %error.english(),
                retry_in_ms = retry.map(|d| d.as_millis() as u64),
                "job failed"
            );
            crate::metrics::job_attempt(job.kind, if retry.is_some() { "retry" } else { "dead" });
            record_failure(&state, &job, &job, &error, retry).await;
        }
    }
}

fn lost_claim(job: &job::Model) {
    tracing::warn!(job_id = %job.id, "job lost its claim; another run owns it and records its outcome");
}

/// Queues the job again after `retry` (or buries it) and shows the failure where people look
/// (`shown` is the job as they should see it), in one transaction fenced by the claim: a run
/// that lost its claim records nothing.
async fn record_failure(
    state: &AppState,
    job: &job::Model,
    shown: &job::Model,
    error: &JobError,
    retry: Option<Duration>,
) {
    let recorded = async {
        let txn = state.db.begin().await?;
        if queue::fail(&txn, job, &error.english(), retry).await? {
            after_failure(&txn, shown, error, retry.is_some()).await?;
        } else {
            lost_claim(job);
        }
        txn.commit().await
    };
    if let Err(e) = recorded.await {
        tracing::error!(job_id = %job.id, error = %e, "cannot record a job's outcome; it runs again when its lease ends");
    }
}

async fn perform(state: &AppState, job: &job::Model) -> Result<(), JobError> {
    match job.kind {
        job::Kind::LeverStageChange => lever::pipeline::process(state, job).await,
        job::Kind::CodeNote => pads::notes::send_code_note(state, job).await,
        job::Kind::ResultsNote => pads::notes::send_results_note(state, job).await,
        job::Kind::Feedback => pads::feedback::send_feedback(state, job).await,
        job::Kind::Mail => mail::send::send_mail(state, job).await,
    }
}

async fn after_failure(
    db: &impl ConnectionTrait,
    job: &job::Model,
    error: &JobError,
    will_retry: bool,
) -> Result<(), sea_orm::DbErr> {
    match job.kind {
        job::Kind::LeverStageChange => {
            lever::pipeline::record_failure(db, job, error, will_retry).await
        }
        job::Kind::CodeNote | job::Kind::Feedback => {
            pads::notes::record_failure(db, job, error, will_retry).await
        }
        // Automatic: the failure shows on the job (and in the log), not on the pad.
        job::Kind::ResultsNote => Ok(()),
        job::Kind::Mail => mail::send::record_failure(db, job, error, will_retry).await,
    }
}
