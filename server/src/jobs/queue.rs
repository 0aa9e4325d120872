//! The queue's SQL. Every state change of a running job is fenced by its attempt number, so a
//! worker whose lease expired (and whose job was claimed again) cannot overwrite the new run.

use api::{DeliveryId, JobId, OrgId};
use std::collections::HashMap;
use std::time::Duration;

use entity::{job, organization};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait,
};
use time::OffsetDateTime;

use job::Status::{Dead, Done, Queued, Running};

/// A new job, to be inserted in the caller's transaction.
pub fn new_job(
    org_id: OrgId,
    kind: job::Kind,
    delivery_id: Option<DeliveryId>,
    payload: String,
    now: OffsetDateTime,
) -> job::ActiveModel {
    job::ActiveModel {
        id: Set(JobId::random()),
        org_id: Set(org_id),
        kind: Set(kind),
        delivery_id: Set(delivery_id),
        payload: Set(payload),
        status: Set(Queued),
        attempts: Set(0),
        run_at: Set(now),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        attempt_limit: Set(None),
    }
}

fn after(now: OffsetDateTime, wait: Duration) -> OffsetDateTime {
    now + time::Duration::try_from(wait).unwrap_or(time::Duration::DAY)
}

/// Jobs of organizations that are not disabled. A disabled organization's jobs (Lever stage
/// changes, notes, feedback, mail) wait, neither run nor buried, and run once it is enabled;
/// left out of every claim and of [`next_due_at`], they never keep a worker busy.
fn of_enabled_organization() -> Condition {
    Condition::all().add(
        job::Column::OrgId.in_subquery(
            Query::select()
                .column(organization::Column::Id)
                .from(organization::Entity)
                .and_where(organization::Column::DisabledAt.is_null())
                .to_owned(),
        ),
    )
}

/// Queued and due, or claimed by a worker whose lease ran out; of a kind this instance runs
/// (`skip`: kinds it cannot, such as mail without a mail server, left to other instances); of
/// an organization that is not disabled.
fn due(now: OffsetDateTime, skip: &[job::Kind]) -> Condition {
    let due = Condition::any()
        .add(
            Condition::all()
                .add(job::Column::Status.eq(Queued))
                .add(job::Column::RunAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(job::Column::Status.eq(Running))
                .add(job::Column::LeaseUntil.lt(now)),
        );
    Condition::all()
        .add(due)
        .add(of_enabled_organization())
        .add_option((!skip.is_empty()).then(|| job::Column::Kind.is_not_in(skip.iter().copied())))
}

/// Claims the oldest due job of the organization after `cursor` (round-robin), skipping
/// organizations that already run `per_org_limit` jobs here. Fair to small tenants: each
/// organization with due work gets a turn before any gets a second.
pub async fn claim_next(
    db: &DatabaseConnection,
    running_per_org: &HashMap<OrgId, usize>,
    per_org_limit: usize,
    cursor: &mut Option<OrgId>,
    lease: Duration,
) -> Result<Option<job::Model>, sea_orm::DbErr> {
    let claimed = claim_batch(db, running_per_org, per_org_limit, 1, cursor, lease, &[]).await?;
    Ok(claimed.into_iter().next())
}

/// Claims up to `slots` due jobs, in the order [`claim_next`] would one at a time (one job per
/// organization a pass, starting after `cursor`), reading which organizations have due work
/// once for the whole batch instead of once a job.
pub async fn claim_batch(
    db: &DatabaseConnection,
    running_per_org: &HashMap<OrgId, usize>,
    per_org_limit: usize,
    slots: usize,
    cursor: &mut Option<OrgId>,
    lease: Duration,
    skip: &[job::Kind],
) -> Result<Vec<job::Model>, sea_orm::DbErr> {
    let now = OffsetDateTime::now_utc();
    let mut orgs: Vec<OrgId> = job::Entity::find()
        .select_only()
        .column(job::Column::OrgId)
        .distinct()
        .filter(due(now, skip))
        .into_tuple()
        .all(db)
        .await?;
    orgs.sort();
    // Start with the first organization after the one served last, wrapping around.
    let start = cursor
        .and_then(|last| orgs.iter().position(|org| *org > last))
        .unwrap_or(0);
    orgs.rotate_left(start);
    let mut running = running_per_org.clone();
    let mut claimed = Vec::new();
    while claimed.len() < slots && !orgs.is_empty() {
        let mut still_due = Vec::with_capacity(orgs.len());
        for org in orgs {
            if claimed.len() == slots {
                break;
            }
            let running_here = running.entry(org).or_default();
            if *running_here >= per_org_limit {
                continue;
            }
            match claim_in_org(db, org, now, lease, skip).await {
                Ok(Some(job)) => {
                    *running_here += 1;
                    *cursor = Some(org);
                    claimed.push(job);
                    still_due.push(org);
                }
                Ok(None) => {}
                // The jobs claimed so far are the caller's to run: dropped here, they would
                // wait out their lease with a run counted.
                Err(e) if !claimed.is_empty() => {
                    tracing::warn!(error = %e, "cannot claim more jobs now");
                    return Ok(claimed);
                }
                Err(e) => return Err(e),
            }
        }
        orgs = still_due;
    }
    Ok(claimed)
}

async fn claim_in_org(
    db: &DatabaseConnection,
    org_id: OrgId,
    now: OffsetDateTime,
    lease: Duration,
    skip: &[job::Kind],
) -> Result<Option<job::Model>, sea_orm::DbErr> {
    // PostgreSQL: SKIP LOCKED lets several instances claim side by side without waiting on
    // each other. SQLite ignores the lock clause; there one worker is the only claimer.
    // `id = (subquery)`, not `id IN (subquery)`: PostgreSQL may run an IN subquery again for
    // every row it scans, and with SKIP LOCKED each run picks another job, so one claim would
    // mark many jobs running and hand back one. A scalar subquery runs once: one job at most.
    let oldest_due = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::OrgId.eq(org_id))
        .filter(due(now, skip))
        .order_by_asc(job::Column::RunAt)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_query();
    let claimed = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(Running))
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        )
        .col_expr(job::Column::LeaseUntil, Expr::value(after(now, lease)))
        .filter(Expr::col(job::Column::Id).eq(Expr::from(oldest_due)))
        .filter(due(now, skip))
        .exec_with_returning(db)
        .await?;
    Ok(claimed.into_iter().next())
}

/// The claim of `job` (as claimed) as a filter: only that run may change it.
pub fn this_run(job: &job::Model) -> Condition {
    Condition::all()
        .add(job::Column::Id.eq(job.id))
        .add(job::Column::Status.eq(Running))
        .add(job::Column::Attempts.eq(job.attempts))
}

/// Keeps the claim alive while the job runs. False when the claim was lost.
pub async fn extend_lease(
    db: &DatabaseConnection,
    job: &job::Model,
    lease: Duration,
) -> Result<bool, sea_orm::DbErr> {
    let result = job::Entity::update_many()
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(after(OffsetDateTime::now_utc(), lease)),
        )
        .filter(this_run(job))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// False when the claim was lost (another run owns the job now).
pub async fn finish(db: &impl ConnectionTrait, job: &job::Model) -> Result<bool, sea_orm::DbErr> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(Done))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        )
        .col_expr(job::Column::LastError, Expr::value(Option::<String>::None))
        .filter(this_run(job))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Queues the job again after `wait`, or buries it as dead when `wait` is `None`. False when
/// the claim was lost (another run owns the job now).
pub async fn fail(
    db: &impl ConnectionTrait,
    job: &job::Model,
    error: &str,
    wait: Option<Duration>,
) -> Result<bool, sea_orm::DbErr> {
    let (status, run_at) = match wait {
        Some(wait) => (Queued, after(OffsetDateTime::now_utc(), wait)),
        None => (Dead, job.run_at),
    };
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(status))
        .col_expr(job::Column::RunAt, Expr::value(run_at))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        )
        .col_expr(
            job::Column::LastError,
            Expr::value(Some(error.chars().take(2_000).collect::<String>())),
        )
        .filter(this_run(job))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// An admin's retry: a failed or dead job runs again now, with `more_attempts` more runs.
/// Its attempt count keeps growing (it fences each run's updates). False when the job is
/// running or done.
pub async fn retry_now(
    db: &impl ConnectionTrait,
    org_id: OrgId,
    job_id: JobId,
    more_attempts: i32,
) -> Result<bool, sea_orm::DbErr> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(Queued))
        .col_expr(
            job::Column::AttemptLimit,
            Expr::col(job::Column::Attempts).add(more_attempts),
        )
        .col_expr(job::Column::RunAt, Expr::value(OffsetDateTime::now_utc()))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::OrgId.eq(org_id))
        .filter(job::Column::Status.is_in([Queued, Dead]))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// With SQLite only one server runs, so whatever was running when it stopped is orphaned:
/// queue it again now instead of waiting for its lease.
pub async fn requeue_orphans(db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(Queued))
        .col_expr(job::Column::RunAt, Expr::value(OffsetDateTime::now_utc()))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        )
        .filter(job::Column::Status.eq(Running))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// When the next queued job or expiring lease falls due, if any.
pub async fn next_due_at(
    db: &DatabaseConnection,
    skip: &[job::Kind],
) -> Result<Option<OffsetDateTime>, sea_orm::DbErr> {
    let runnable = || {
        Condition::all().add(of_enabled_organization()).add_option(
            (!skip.is_empty()).then(|| job::Column::Kind.is_not_in(skip.iter().copied())),
        )
    };
    let queued = job::Entity::find()
        .filter(job::Column::Status.eq(Queued))
        .filter(runnable())
        .order_by_asc(job::Column::RunAt)
        .one(db)
        .await?
        .map(|job| job.run_at);
    let lease = job::Entity::find()
        .filter(job::Column::Status.eq(Running))
        .filter(runnable())
        .order_by_asc(job::Column::LeaseUntil)
        .one(db)
        .await?
        .and_then(|job| job.lease_until);
    Ok(match (queued, lease) {
        (Some(a), Some(b)) => Some(Ord::min(a, b)),
        (a, b) => a.or(b),
    })
}

/// Finished jobs are history after two weeks; seen Lever tokens are kept 16 days (Lever
/// reruns deliveries up to two weeks old, so a replay must still be recognised); password reset
/// links a day after they expired.
pub async fn prune(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let cutoff = OffsetDateTime::now_utc() - time::Duration::days(16);
    let txn = db.begin().await?;
    entity::lever_seen_token::Entity::delete_many()
        .filter(entity::lever_seen_token::Column::SeenAt.lt(cutoff))
        .exec(&txn)
        .await?;
    job::Entity::delete_many()
        .filter(job::Column::Status.eq(Done))
        .filter(job::Column::CreatedAt.lt(cutoff))
        .exec(&txn)
        .await?;
    // A reset link is of no use a day after it expired.
    entity::password_reset::Entity::delete_many()
        .filter(
            entity::password_reset::Column::ExpiresAt
                .lt(OffsetDateTime::now_utc() - time::Duration::DAY),
        )
        .exec(&txn)
        .await?;
    txn.commit().await
}
