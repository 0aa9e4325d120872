//! What a live pad keeps in the database: its edits, snapshots and participants. Every
//! statement of the live pad is here; the room decides what to store and when.

use api::PadId;
use std::collections::HashMap;

use api::RefusalCode;
use api::ot::Operation;
use entity::{pad, pad_operation, pad_participant, pad_snapshot};
use sea_orm::sea_query::{Expr, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use time::OffsetDateTime;

use super::group_commit::EditToStore;
use super::room::{HistoryEntry, RoomState};
use super::{MAX_REVISIONS_BEHIND, Refusal, SNAPSHOT_EVERY};
use crate::pads::PadStatus;

/// Whether an edit was stored.
pub enum Stored {
    /// With the pad's status and language as they stood, when others may have changed them.
    Yes(Option<(PadStatus, String)>),
    /// The pad has ended: nothing more is stored.
    Ended,
    /// Another instance stored an edit first (PostgreSQL): catch up and store under the lock.
    Behind,
    /// The author joined again, later, through another connection (PostgreSQL).
    Replaced,
}

/// SQLite (one server): stores the edit only if its pad has not ended, in one statement (in
/// the transaction of its batch, see `group_commit.rs`).
pub async fn insert_unless_ended(
    db: &impl ConnectionTrait,
    row: &pad_operation::Model,
) -> Result<Stored, sea_orm::DbErr> {
    let statement = sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO pad_operations (pad_id, revision, client_id, seq, at_ms, op) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS \
         (SELECT 1 FROM pads WHERE id = $1 AND status <> $7)",
        [
            row.pad_id.clone().into(),
            row.revision.into(),
            row.client_id.clone().into(),
            row.seq.into(),
            row.at_ms.into(),
            row.op.clone().into(),
            PadStatus::Ended.into(),
        ],
    );
    Ok(if db.execute_raw(statement).await?.rows_affected() == 1 {
        // The room is the only writer: what it holds is what is stored.
        Stored::Yes(None)
    } else {
        Stored::Ended
    })
}

/// PostgreSQL (several instances): stores the edits of several pads at once (at most one per
/// pad) in one statement, and so one transaction: one commit, and one turn at the lock that
/// PostgreSQL takes for the whole database while a transaction that notified commits, for the
/// whole batch. An edit stored under its pad's lock, after losing a race to another instance,
/// is a batch of one in that lock's transaction. Outcomes are in the order of `edits`.
///
/// For each edit, the statement locks the pad's row (so an end committed by any instance is
/// seen and edits to one pad are stored one at a time; `NO KEY` lets rows that merely refer to
/// the pad be written meanwhile), stores the edit if its revision is the next and the pad has
/// not ended, starts the pad with its first edit, and tells the other instances at commit.
/// `told` must stay in the final SELECT: an unreferenced CTE that only reads is never run. Pad
/// rows are locked in the order of their ids, in every batch of every instance: batches wait
/// for each other but never deadlock.
///
/// `connected_at` is when the author's connection joined: the edit is stored only while no
/// later connection of the author joined anywhere (their row is locked `FOR SHARE`, so a join
/// stamping a new time waits for this edit, and then sees it, or this edit sees the new time).
pub async fn store_batch_among_instances(
    db: &impl ConnectionTrait,
    edits: &[&EditToStore],
) -> Result<Vec<Stored>, sea_orm::DbErr> {
    let Some(channel) = edits
        .iter()
        .find_map(|edit| edit.notification.as_ref().map(|(channel, _)| *channel))
    else {
        return Err(sea_orm::DbErr::Custom(
            "edits among instances need their notification".into(),
        ));
    };
    let input: Vec<serde_json::Value> = edits
        .iter()
        .map(|edit| {
            serde_json::json!({
                "pad_id": edit.row.pad_id,
                "revision": edit.row.revision,
                "client_id": edit.row.client_id,
                "seq": edit.row.seq,
                "at_ms": edit.row.at_ms,
                "op": edit.row.op,
                "connected_us": edit.connected_at.map(|at| (at.unix_timestamp_nanos() / 1_000) as i64),
                "payload": edit.notification.as_ref().map(|(_, payload)| payload),
            })
        })
        .collect();
    let statement = sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "WITH input AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(pad_id text, \
           revision bigint, client_id text, seq bigint, at_ms bigint, op text, \
           connected_us bigint, payload text)), \
         pad AS (SELECT id, status, language FROM pads \
           WHERE id IN (SELECT pad_id FROM input) ORDER BY id FOR NO KEY UPDATE), \
         author AS (SELECT p.pad_id, p.client_id FROM pad_participants p \
           JOIN input i ON p.pad_id = i.pad_id AND p.client_id = i.client_id \
           AND (i.connected_us IS NULL \
             OR p.connected_at = 'epoch'::timestamptz + i.connected_us * interval '1 microsecond') \
           ORDER BY p.pad_id FOR SHARE OF p), \
         stored AS (\
           INSERT INTO pad_operations (pad_id, revision, client_id, seq, at_ms, op) \
           SELECT i.pad_id, i.revision, i.client_id, i.seq, i.at_ms, i.op \
           FROM input i JOIN pad ON pad.id = i.pad_id \
           WHERE pad.status <> $2 \
             AND EXISTS (SELECT 1 FROM author a WHERE a.pad_id = i.pad_id AND a.client_id = i.client_id) \
           ON CONFLICT DO NOTHING RETURNING pad_id), \
         started AS (\
           UPDATE pads SET status = $3, started_at = $4 FROM stored \
           WHERE pads.id = stored.pad_id AND pads.status = $5), \
         told AS (SELECT pg_notify($6, i.payload) FROM input i JOIN stored s ON s.pad_id = i.pad_id) \
         SELECT i.pad_id, pad.status, pad.language, \
           EXISTS (SELECT 1 FROM stored s WHERE s.pad_id = i.pad_id) AS stored, \
           EXISTS (SELECT 1 FROM author a WHERE a.pad_id = i.pad_id AND a.client_id = i.client_id) AS current, \
           (SELECT COUNT(*) FROM told) AS told \
         FROM input i LEFT JOIN pad ON pad.id = i.pad_id",
        [
            serde_json::Value::Array(input).into(),
            PadStatus::Ended.into(),
            PadStatus::InProgress.into(),
            OffsetDateTime::now_utc().into(),
            PadStatus::NotStarted.into(),
            channel.into(),
        ],
    );
    let mut outcomes: HashMap<String, Stored> = HashMap::with_capacity(edits.len());
    for answer in db.query_all_raw(statement).await? {
        let pad_id: String = answer.try_get("", "pad_id")?;
        let status: Option<String> = answer.try_get("", "status")?;
        // The pad is gone (deleted with its organization): nothing more is stored.
        let Some(status) = status else {
            outcomes.insert(pad_id, Stored::Ended);
            continue;
        };
        let status = PadStatus::from_code(&status).ok_or_else(|| {
            sea_orm::DbErr::Custom(format!("unknown pad status {status:?} stored"))
        })?;
        let language: String = answer.try_get("", "language")?;
        let stored: bool = answer.try_get("", "stored")?;
        let current: bool = answer.try_get("", "current")?;
        let outcome = if status == PadStatus::Ended {
            Stored::Ended
        } else if stored {
            Stored::Yes(Some((status, language)))
        } else if !current {
            Stored::Replaced
        } else {
            Stored::Behind
        };
        outcomes.insert(pad_id, outcome);
    }
    edits
        .iter()
        .map(|edit| {
            outcomes
                .remove(edit.row.pad_id.as_str())
                .ok_or_else(|| sea_orm::DbErr::Custom("an edit of the batch has no outcome".into()))
        })
        .collect()
}

/// A pad's text and its recent history: the text from its newest snapshot and the edits since;
/// the history also holds the edits before the snapshot that [`MAX_REVISIONS_BEHIND`] asks for,
/// decoded but not replayed.
pub async fn load(db: &DatabaseConnection, pad_id: &PadId) -> Result<RoomState, Refusal> {
    let pad = find_pad(db, pad_id)
        .await?
        .ok_or_else(|| Refusal::new(RefusalCode::NotFound, "There is no pad at this link."))?;
    let newest = newest_revision(db, pad_id).await?;
    let replayed = replay(db, pad_id, newest, None).await?;
    let keep_from = newest
        .saturating_sub(MAX_REVISIONS_BEHIND)
        .min(replayed.base);
    let earlier = edits_between(db, pad_id, keep_from, replayed.base).await?;
    let participants = stored_participants(db, pad_id).await?;
    let mut state = RoomState {
        text: replayed.text,
        base: keep_from,
        history: earlier,
        inserted_chars: replayed.base_inserted_chars,
        last_seq: replayed.base_last_seq,
        language: pad.language,
        status: pad.status,
        participants: Vec::new(),
    };
    for participant in participants {
        state.add(participant);
    }
    let replayed_edits = replayed.edits.len() as u64;
    for (row, op) in replayed.edits {
        state.record(HistoryEntry {
            op,
            client_id: row.client_id,
            seq: row.seq as u64,
        });
    }
    // A long replay means snapshots are missing (a pad older than them, a failed write):
    // one now keeps the next load short.
    if replayed_edits >= 2 * SNAPSHOT_EVERY {
        store_snapshot(db, &state, pad_id).await;
    }
    Ok(state)
}

/// Stores a snapshot of the room's text; a failure only means a longer replay later.
pub async fn store_snapshot(db: &DatabaseConnection, state: &RoomState, pad_id: &PadId) {
    let row = state.snapshot_row(pad_id);
    let stored = pad_snapshot::Entity::insert(pad_snapshot::ActiveModel::from(row))
        .on_conflict(
            OnConflict::columns([pad_snapshot::Column::PadId, pad_snapshot::Column::Revision])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await;
    if let Err(e) = stored {
        tracing::warn!(error = %e, "cannot store a pad snapshot");
    }
}

/// Stored edits replayed from a snapshot.
pub struct Replayed {
    /// The snapshot's revision (0: the empty pad), and what the room counted up to it.
    pub base: u64,
    base_inserted_chars: usize,
    base_last_seq: HashMap<String, u64>,
    /// Each edit after `base`, in order.
    pub edits: Vec<(pad_operation::Model, Operation)>,
    /// The text after the last of them.
    pub text: String,
}

/// Replays a pad's edits from its newest snapshot at or before revision `from` up to revision
/// `upto` (every edit when None). Decoding and applying them is CPU work: it runs off the
/// async workers, so a long pad does not stall other connections.
pub async fn replay(
    db: &DatabaseConnection,
    pad_id: &PadId,
    from: u64,
    upto: Option<u64>,
) -> Result<Replayed, Refusal> {
    let snapshot = pad_snapshot::Entity::find()
        .filter(pad_snapshot::Column::PadId.eq(pad_id))
        .filter(pad_snapshot::Column::Revision.lte(from.min(i64::MAX as u64) as i64))
        .order_by_desc(pad_snapshot::Column::Revision)
        .one(db)
        .await?;
    let base = snapshot.as_ref().map_or(0, |s| s.revision as u64);
    let rows = stored_edits(db, pad_id, base, upto).await?;
    off_the_workers(move || {
        let (base_text, base_inserted_chars, base_last_seq) = match snapshot {
            Some(snapshot) => (
                snapshot.text,
                snapshot.inserted_chars as usize,
                serde_json::from_str(&snapshot.last_seqs).map_err(Refusal::corrupt)?,
            ),
            None => Default::default(),
        };
        let mut text = base_text;
        let expected = rows.len() as u64;
        let mut edits = Vec::with_capacity(rows.len());
        let applied = apply_stored(&mut text, base, rows, |_, row, op| edits.push((row, op)))?;
        if applied != expected {
            return Err(Refusal::corrupt(format!(
                "revision {} is missing",
                base + applied + 1
            )));
        }
        Ok(Replayed {
            base,
            base_inserted_chars,
            base_last_seq,
            edits,
            text,
        })
    })
    .await
}

/// Applies stored edits in order to `text`, which stands at `revision`, and hands each on with
/// the revision it makes. Stops before a gap and returns how many it applied: a replay calls a
/// gap corruption, a catch-up gets the rest later. After an unreadable edit, `text` holds
/// what the edits before it made.
pub fn apply_stored(
    text: &mut String,
    revision: u64,
    rows: Vec<pad_operation::Model>,
    mut applied: impl FnMut(u64, pad_operation::Model, Operation),
) -> Result<u64, Refusal> {
    let mut count = 0;
    for row in rows {
        let next = revision + count + 1;
        if row.revision as u64 != next {
            break;
        }
        let op = stored_op(&row)?;
        *text = op.apply(text).map_err(Refusal::corrupt)?;
        applied(next, row, op);
        count += 1;
    }
    Ok(count)
}

/// The edits after `after` up to `upto`, decoded (they apply to the text as it stood then).
async fn edits_between(
    db: &DatabaseConnection,
    pad_id: &PadId,
    after: u64,
    upto: u64,
) -> Result<Vec<HistoryEntry>, Refusal> {
    if after >= upto {
        return Ok(Vec::new());
    }
    let rows = stored_edits(db, pad_id, after, Some(upto)).await?;
    if rows.len() as u64 != upto - after {
        return Err(Refusal::corrupt("an edit is missing"));
    }
    off_the_workers(move || {
        rows.into_iter()
            .map(|row| {
                Ok(HistoryEntry {
                    op: stored_op(&row)?,
                    client_id: row.client_id,
                    seq: row.seq as u64,
                })
            })
            .collect()
    })
    .await
}

/// Runs CPU-bound work on the blocking pool.
pub async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "replaying a pad failed");
        Err(Refusal::new(
            RefusalCode::StorageFailed,
            "The pad could not be read; try again.",
        ))
    })
}

/// An edit as stored, read back.
pub fn stored_op(row: &pad_operation::Model) -> Result<Operation, Refusal> {
    serde_json::from_str(&row.op).map_err(Refusal::corrupt)
}

/// Everyone who ever joined the pad, in the order they joined.
pub async fn stored_participants(
    db: &DatabaseConnection,
    pad_id: &PadId,
) -> Result<Vec<pad_participant::Model>, sea_orm::DbErr> {
    pad_participant::Entity::find()
        .filter(pad_participant::Column::PadId.eq(pad_id))
        .order_by_asc(pad_participant::Column::JoinedAt)
        .all(db)
        .await
}

/// Records that `client_id` joined now, on the database's clock; None if that failed (the
/// join stands, only a later join elsewhere will not replace it).
pub async fn mark_connected(
    db: &DatabaseConnection,
    pad_id: &PadId,
    client_id: &str,
) -> Option<OffsetDateTime> {
    let statement = sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "UPDATE pad_participants SET connected_at = clock_timestamp() \
         WHERE pad_id = $1 AND client_id = $2 RETURNING connected_at",
        [pad_id.into(), client_id.into()],
    );
    match db.query_one_raw(statement).await {
        Ok(Some(row)) => row.try_get("", "connected_at").ok(),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot record when a participant joined");
            None
        }
    }
}

/// How many edits the pad has stored.
pub async fn newest_revision(
    db: &DatabaseConnection,
    pad_id: &PadId,
) -> Result<u64, sea_orm::DbErr> {
    Ok(pad_operation::Entity::find()
        .filter(pad_operation::Column::PadId.eq(pad_id))
        .order_by_desc(pad_operation::Column::Revision)
        .one(db)
        .await?
        .map_or(0, |row| row.revision as u64))
}

/// The pad's text now, from its newest snapshot and the edits since (for the code note).
pub async fn final_text(db: &DatabaseConnection, pad_id: &PadId) -> Result<String, Refusal> {
    Ok(replay(db, pad_id, u64::MAX, None).await?.text)
}

/// The pad's row, if it still exists.
pub async fn find_pad(
    db: &impl ConnectionTrait,
    pad_id: &PadId,
) -> Result<Option<pad::Model>, sea_orm::DbErr> {
    pad::Entity::find_by_id(pad_id.clone()).one(db).await
}

/// Locks the pad's row until `txn` ends: edits to the pad are then stored one at a time.
pub async fn lock_pad(txn: &DatabaseTransaction, pad_id: &PadId) -> Result<(), sea_orm::DbErr> {
    pad::Entity::find_by_id(pad_id.clone())
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await?;
    Ok(())
}

/// Marks the pad started at `now`, unless it was already.
pub async fn mark_started(
    db: &DatabaseConnection,
    pad_id: &PadId,
    now: OffsetDateTime,
) -> Result<(), sea_orm::DbErr> {
    pad::Entity::update_many()
        .col_expr(pad::Column::Status, Expr::value(PadStatus::InProgress))
        .col_expr(pad::Column::StartedAt, Expr::value(Some(now)))
        .filter(pad::Column::Id.eq(pad_id))
        .filter(pad::Column::Status.eq(PadStatus::NotStarted))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the pad's language unless it has ended; false if it had.
pub async fn set_language(
    db: &DatabaseConnection,
    pad_id: &PadId,
    language: &str,
) -> Result<bool, sea_orm::DbErr> {
    Ok(pad::Entity::update_many()
        .col_expr(pad::Column::Language, Expr::value(language))
        .filter(pad::Column::Id.eq(pad_id))
        .filter(pad::Column::Status.ne(PadStatus::Ended))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The stored edits after revision `after` up to `upto` (all when None), in order.
pub async fn stored_edits(
    db: &impl ConnectionTrait,
    pad_id: &PadId,
    after: u64,
    upto: Option<u64>,
) -> Result<Vec<pad_operation::Model>, sea_orm::DbErr> {
    let mut query = pad_operation::Entity::find()
        .filter(pad_operation::Column::PadId.eq(pad_id))
        .filter(pad_operation::Column::Revision.gt(after as i64));
    if let Some(upto) = upto {
        query = query.filter(pad_operation::Column::Revision.lte(upto.min(i64::MAX as u64) as i64));
    }
    query
        .order_by_asc(pad_operation::Column::Revision)
        .all(db)
        .await
}

/// One participant of the pad, if they ever joined.
pub async fn find_participant(
    db: &DatabaseConnection,
    pad_id: &PadId,
    client_id: &str,
) -> Result<Option<pad_participant::Model>, sea_orm::DbErr> {
    pad_participant::Entity::find_by_id((pad_id.clone(), client_id.to_string()))
        .one(db)
        .await
}

/// Stores a new participant and returns them as stored: a member who joined through another
/// instance is in the database already, and keeps their row (and colour).
pub async fn insert_participant(
    db: &DatabaseConnection,
    row: pad_participant::Model,
) -> Result<pad_participant::Model, Refusal> {
    let (pad_id, client_id) = (row.pad_id.clone(), row.client_id.clone());
    pad_participant::Entity::insert(pad_participant::ActiveModel::from(row))
        .on_conflict(
            OnConflict::columns([
                pad_participant::Column::PadId,
                pad_participant::Column::ClientId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    find_participant(db, &pad_id, &client_id)
        .await?
        .ok_or_else(|| {
            Refusal::new(
                RefusalCode::StorageFailed,
                "The participant was not stored.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(revision: i64, op: &str) -> pad_operation::Model {
        pad_operation::Model {
            pad_id: PadId::new("pad"),
            revision,
            client_id: "g1".into(),
            seq: revision,
            at_ms: 0,
            op: op.into(),
        }
    }

    fn insert(at: usize, len: usize, s: &str) -> String {
        let op = Operation::new().retain(at).insert(s).retain(len - at);
        serde_json::to_string(&op).expect("json")
    }

    #[test]
    fn stored_edits_apply_in_order_up_to_a_gap() {
        let mut text = "ab".to_string();
        let mut seen = Vec::new();
        let rows = vec![
            row(3, &insert(2, 2, "c")),
            row(4, &insert(0, 3, "_")),
            row(6, &insert(0, 4, "lost")),
        ];
        let applied = apply_stored(&mut text, 2, rows, |revision, row, _| {
            seen.push((revision, row.revision))
        })
        .expect("readable");
        assert_eq!(applied, 2);
        assert_eq!(text, "_abc");
        assert_eq!(seen, [(3, 3), (4, 4)]);
    }

    #[test]
    fn an_unreadable_edit_stops_the_replay_after_the_ones_before_it() {
        let mut text = String::new();
        let rows = vec![row(1, &insert(0, 0, "x")), row(2, "not an edit")];
        let refusal = apply_stored(&mut text, 0, rows, |_, _, _| {}).expect_err("corrupt");
        assert_eq!(refusal.code, RefusalCode::CorruptHistory);
        assert_eq!(text, "x");
        // An edit that does not fit the text is as unreadable.
        let mut text = "x".to_string();
        let misfit = vec![row(2, &insert(5, 5, "y"))];
        assert!(apply_stored(&mut text, 1, misfit, |_, _, _| {}).is_err());
        assert_eq!(text, "x");
    }
}
