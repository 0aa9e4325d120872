//! Group commit of live edits: edits of different pads arriving together are stored by one
//! writer in one transaction, so they share one commit (and its fsync, and on PostgreSQL the
//! database-wide lock a transaction that notifies holds while committing). A batch is whatever
//! waits when the writer is free, up to [`MAX_BATCH`]: nothing waits for company, so a lone
//! edit is stored as soon as it would be alone. Each edit is answered once its batch
//! committed, and only then acknowledged to its author.
//!
//! A room holds its lock until its edit is answered, so a batch has at most one edit per pad
//! of this instance, and a pad's next edit is ordered only after this one is stored.

use entity::pad_operation;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use time::OffsetDateTime;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::store::{self, Stored};
use super::timings::EditTimings;
use crate::pads::cluster::Topology;
use std::sync::Arc;

/// Edits one transaction stores at most: bounds a batch's statement and how long its first
/// edit waits for its last.
pub const MAX_BATCH: usize = 256;

/// Batches written at once on PostgreSQL: one batch's statement runs while another's commit
/// waits for the disk. They never wait for each other's rows (a pad has one edit in flight
/// per instance), only for the commit lock that notifying transactions share. SQLite has one
/// connection, so one writer.
const POSTGRES_WRITERS: usize = 4;

/// An edit on its way to the database.
pub struct EditToStore {
    pub row: pad_operation::Model,
    /// PostgreSQL: when the author's connection joined (see [`store::store_batch_among_instances`]).
    pub connected_at: Option<OffsetDateTime>,
    /// PostgreSQL: the notification that tells other instances, sent at commit.
    pub notification: Option<(&'static str, String)>,
}

struct Queued {
    edit: EditToStore,
    answer: oneshot::Sender<Result<Stored, DbErr>>,
}

/// Hands edits to this instance's writer. Cheap to clone.
#[derive(Clone)]
pub struct EditWriter {
    // Unbounded, yet bounded by the rooms: each holds its lock until its edit is answered.
    queue: mpsc::UnboundedSender<Queued>,
}

impl EditWriter {
    /// Starts the writer on the current runtime; it stops when every handle is dropped.
    pub fn spawn(db: DatabaseConnection, topology: Topology, timings: Arc<EditTimings>) -> Self {
        let (queue, incoming) = mpsc::unbounded_channel();
        let writers = match topology {
            Topology::Several => POSTGRES_WRITERS,
            Topology::Single => 1,
        };
        let incoming = Arc::new(Mutex::new(incoming));
        for _ in 0..writers {
            let (db, incoming, timings) = (db.clone(), incoming.clone(), timings.clone());
            tokio::spawn(write_batches(db, topology, incoming, timings));
        }
        Self { queue }
    }

    /// Stores `edit` with whatever other edits are waiting; answers once they are committed.
    pub async fn store(&self, edit: EditToStore) -> Result<Stored, DbErr> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Queued { edit, answer })
            .map_err(|_| DbErr::Custom("the pad edit writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| DbErr::Custom("the pad edit writer stopped mid-batch".into()))?
    }
}

/// Takes whatever waits (at least one edit) while no other writer is taking, and writes it.
async fn write_batches(
    db: DatabaseConnection,
    topology: Topology,
    incoming: Arc<Mutex<mpsc::UnboundedReceiver<Queued>>>,
    timings: Arc<EditTimings>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while incoming.lock().await.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let edits: Vec<&EditToStore> = batch.iter().map(|queued| &queued.edit).collect();
        let writing = std::time::Instant::now();
        let outcomes = match store_batch(&db, topology, &edits).await {
            Ok(outcomes) => {
                timings.batch_writing.record_duration(writing.elapsed());
                timings.edits_per_commit.record(edits.len() as u64);
                outcomes.into_iter().map(Ok).collect()
            }
            // One edit's failure must not refuse the others: each is stored alone, and
            // answered with its own outcome.
            Err(e) => {
                if edits.len() > 1 {
                    tracing::warn!(error = %e, edits = edits.len(), "a batch of pad edits failed; storing each alone");
                }
                let mut outcomes = Vec::with_capacity(edits.len());
                for edit in &edits {
                    let outcome = store_batch(&db, topology, &[edit])
                        .await
                        .map(|mut one| one.remove(0));
                    timings.edits_per_commit.record(1);
                    outcomes.push(outcome);
                }
                outcomes
            }
        };
        for (queued, outcome) in batch.drain(..).zip(outcomes) {
            // The author's connection may have gone meanwhile: nobody to answer.
            let _ = queued.answer.send(outcome);
        }
    }
}

/// Stores `edits` in one transaction and returns each one's outcome, in their order.
async fn store_batch(
    db: &DatabaseConnection,
    topology: Topology,
    edits: &[&EditToStore],
) -> Result<Vec<Stored>, DbErr> {
    match topology {
        Topology::Several => store::store_batch_among_instances(db, edits).await,
        Topology::Single => {
            let txn = db.begin().await?;
            let mut outcomes = Vec::with_capacity(edits.len());
            for edit in edits {
                outcomes.push(store::insert_unless_ended(&txn, &edit.row).await?);
            }
            txn.commit().await?;
            Ok(outcomes)
        }
    }
}
