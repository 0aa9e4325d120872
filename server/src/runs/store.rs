//! The `pad_runs` table: a run is written when asked for, when it starts, at each heartbeat
//! while it goes (with its output so far) and when it ends, before the end is announced.

use api::{OrgId, PadId, RunId, RunOutput, RunStatus, RunView};
use entity::pad_run;
use std::time::Duration;

use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};
use time::OffsetDateTime;

/// Runs that have not ended.
const ACTIVE: [RunStatus; 2] = [RunStatus::Waiting, RunStatus::Running];

pub struct NewRun<'a> {
    pub id: RunId,
    pub org_id: OrgId,
    pub pad_id: &'a PadId,
    pub revision: u64,
    pub language: &'a str,
    pub started_by: &'a str,
}

pub async fn insert_waiting(
    db: &impl ConnectionTrait,
    run: &NewRun<'_>,
    now: OffsetDateTime,
) -> Result<pad_run::Model, DbErr> {
    pad_run::ActiveModel {
        id: Set(run.id),
        org_id: Set(run.org_id),
        pad_id: Set(run.pad_id.clone()),
        revision: Set(run.revision as i64),
        language: Set(run.language.to_string()),
        started_by: Set(run.started_by.to_string()),
        status: Set(RunStatus::Waiting),
        exit_code: Set(None),
        wall_ms: Set(None),
        stopped_by: Set(None),
        stop_requested_by: Set(None),
        message: Set(None),
        signal: Set(None),
        output: Set("[]".into()),
        truncated: Set(false),
        requested_at: Set(now),
        finished_at: Set(None),
        heartbeat_at: Set(now),
    }
    .insert(db)
    .await
}

/// What a heartbeat learns of the run's row.
pub struct Beat {
    /// The row still says the run is going (else the sweep took it for abandoned).
    pub active: bool,
    /// Someone pressed Stop through another instance.
    pub stop_requested_by: Option<String>,
}

/// Renews the run's heartbeat (and saves its output so far; `status` is `running` once it
/// started), and reads back what other instances wrote.
pub async fn beat(
    db: &impl ConnectionTrait,
    id: RunId,
    status: RunStatus,
    output: &[RunOutput],
    truncated: bool,
) -> Result<Beat, DbErr> {
    // One statement: a row no longer active (the sweep took it) comes back as none.
    let renewed = pad_run::Entity::update_many()
        .col_expr(pad_run::Column::Status, Expr::value(status))
        .col_expr(pad_run::Column::HeartbeatAt, clock(db, Duration::ZERO))
        .col_expr(pad_run::Column::Output, Expr::value(output_json(output)))
        .col_expr(pad_run::Column::Truncated, Expr::value(truncated))
        .filter(pad_run::Column::Id.eq(id))
        .filter(pad_run::Column::Status.is_in(ACTIVE))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next();
    Ok(Beat {
        active: renewed.is_some(),
        stop_requested_by: renewed.and_then(|r| r.stop_requested_by),
    })
}

/// How a run ended, as stored.
pub struct Finished<'a> {
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub wall_ms: Option<u64>,
    pub stopped_by: Option<&'a str>,
    pub signal: Option<i32>,
    pub output: &'a [RunOutput],
    pub truncated: bool,
}

impl Finished<'_> {
    /// How it ended beyond its status, in English, for whoever reads the database (the
    /// console words the status and signal itself).
    fn english(&self) -> Option<String> {
        match (self.status, self.signal) {
            (RunStatus::Failed, _) => {
                Some("The server could not start this run; it has been logged.".into())
            }
            (_, Some(signal)) => Some(format!("Ended by signal {signal}.")),
            _ => None,
        }
    }
}

/// Writes the run's end, unless it already has one (the sweep marked it interrupted).
pub async fn finish(
    db: &impl ConnectionTrait,
    id: RunId,
    finished: &Finished<'_>,
) -> Result<(), DbErr> {
    pad_run::Entity::update_many()
        .col_expr(pad_run::Column::Status, Expr::value(finished.status))
        .col_expr(pad_run::Column::ExitCode, Expr::value(finished.exit_code))
        .col_expr(
            pad_run::Column::WallMs,
            Expr::value(finished.wall_ms.map(|ms| ms as i64)),
        )
        .col_expr(
            pad_run::Column::StoppedBy,
            Expr::value(finished.stopped_by.map(str::to_string)),
        )
        .col_expr(pad_run::Column::Signal, Expr::value(finished.signal))
        .col_expr(pad_run::Column::Message, Expr::value(finished.english()))
        .col_expr(
            pad_run::Column::Output,
            Expr::value(output_json(finished.output)),
        )
        .col_expr(pad_run::Column::Truncated, Expr::value(finished.truncated))
        .col_expr(
            pad_run::Column::FinishedAt,
            Expr::value(Some(OffsetDateTime::now_utc())),
        )
        .filter(pad_run::Column::Id.eq(id))
        .filter(pad_run::Column::Status.is_in(ACTIVE))
        .exec(db)
        .await?;
    Ok(())
}

/// Asks whichever instance runs the pad's active run to stop it (seen at its next heartbeat).
pub async fn request_stop(
    db: &impl ConnectionTrait,
    pad_id: &PadId,
    by: &str,
) -> Result<u64, DbErr> {
    Ok(pad_run::Entity::update_many()
        .col_expr(
            pad_run::Column::StopRequestedBy,
            Expr::value(Some(by.to_string())),
        )
        .filter(pad_run::Column::PadId.eq(pad_id))
        .filter(pad_run::Column::Status.is_in(ACTIVE))
        .exec(db)
        .await?
        .rows_affected)
}

/// How many runs the pad has had.
pub async fn count(db: &impl ConnectionTrait, pad_id: &PadId) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    pad_run::Entity::find()
        .filter(pad_run::Column::PadId.eq(pad_id))
        .count(db)
        .await
}

/// The pad's newest run, if any.
pub async fn latest(db: &impl ConnectionTrait, pad_id: &PadId) -> Result<Option<RunView>, DbErr> {
    Ok(pad_run::Entity::find()
        .filter(pad_run::Column::PadId.eq(pad_id))
        .order_by_desc(pad_run::Column::RequestedAt)
        .order_by_desc(pad_run::Column::Id)
        .one(db)
        .await?
        .map(view))
}

/// Every run of the pad, oldest first.
pub async fn all(db: &impl ConnectionTrait, pad_id: &PadId) -> Result<Vec<RunView>, DbErr> {
    Ok(pad_run::Entity::find()
        .filter(pad_run::Column::PadId.eq(pad_id))
        .order_by_asc(pad_run::Column::RequestedAt)
        .order_by_asc(pad_run::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// Marks as interrupted the active runs whose instance stopped beating `silent_for` ago (it
/// crashed or restarted): no run stays "running" for ever. Answers the pads they were on.
pub async fn interrupt_abandoned(
    db: &impl ConnectionTrait,
    silent_for: Duration,
) -> Result<Vec<PadId>, DbErr> {
    Ok(pad_run::Entity::update_many()
        .col_expr(pad_run::Column::Status, Expr::value(RunStatus::Interrupted))
        .col_expr(
            pad_run::Column::FinishedAt,
            Expr::value(Some(OffsetDateTime::now_utc())),
        )
        .filter(pad_run::Column::Status.is_in(ACTIVE))
        .filter(Expr::col(pad_run::Column::HeartbeatAt).lt(clock(db, silent_for)))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(|run| run.pad_id)
        .collect())
}

/// `ago` before now, by the clock heartbeats are written and compared with: the database's on
/// PostgreSQL (instances may disagree), this process's on SQLite (one instance, and SQLite's
/// own clock writes another text format).
fn clock(db: &impl ConnectionTrait, ago: Duration) -> SimpleExpr {
    match db.get_database_backend() {
        DbBackend::Postgres => crate::pads::cluster::database_now_minus(ago),
        _ => Expr::value(OffsetDateTime::now_utc() - ago),
    }
}

fn output_json(output: &[RunOutput]) -> String {
    serde_json::to_string(output).expect("json")
}

pub fn view(row: pad_run::Model) -> RunView {
    RunView {
        id: row.id,
        revision: u64::try_from(row.revision).unwrap_or(0),
        language: row.language,
        started_by: row.started_by,
        status: row.status,
        exit_code: row.exit_code,
        wall_ms: row.wall_ms.map(|ms| u64::try_from(ms).unwrap_or(0)),
        stopped_by: row.stopped_by,
        signal: row.signal,
        // Written only by this module: unreadable output is shown as none rather than failing
        // the pad.
        output: serde_json::from_str(&row.output).unwrap_or_default(),
        truncated: row.truncated,
        requested_at: row.requested_at,
        finished_at: row.finished_at,
    }
}
