//! Group commit for Lever deliveries. Requests hand their verified delivery to a writer and wait;
//! the writer takes whatever has queued up meanwhile (at most [`MAX_BATCH`]) and stores it in one
//! transaction: one multi-row INSERT each for the seen tokens, the deliveries and the jobs. Each
//! request is answered once its batch has committed, so nothing is acknowledged before it is
//! durable, and a lone delivery is written at once (no batch waits to fill up).
//!
//! SQLite has one writer (it has one connection). PostgreSQL has [`POSTGRES_WRITERS`]: batches
//! are gathered while others commit, and PostgreSQL flushes their commits together. Tokens and
//! integration rows are written in a sorted order, so two batches never wait on each other in a
//! cycle.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use api::{DeliveryReason, OrgId};
use entity::lever_delivery::{self, Status};
use entity::{InOrg, job, lever_integration, lever_seen_token};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait,
};
use time::OffsetDateTime;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::webhook_cache::WebhookCache;
use crate::jobs::queue;
use crate::pads::cluster::Topology;

/// Deliveries in one transaction at most (a few thousand bound parameters per statement).
const MAX_BATCH: usize = 256;
/// Deliveries waiting for a writer; past this, requests wait to hand theirs over.
const QUEUE_LENGTH: usize = 4 * MAX_BATCH;
const POSTGRES_WRITERS: usize = 4;

/// A verified delivery, ready to be stored.
pub struct NewDelivery {
    pub row: lever_delivery::Model,
    /// The token Lever signed it with: when the organization has seen it already, the delivery
    /// is stored as a duplicate and its job is not queued.
    pub token: Option<String>,
    /// The payload of the job the delivery asks for, if any.
    pub job_payload: Option<String>,
    /// Whether it shows the integration works (`verified_at`, `last_delivery_at`).
    pub stamps_integration: bool,
    /// The integration's `updated_at` as it was when the delivery was checked: a delivery
    /// checked against an integration changed since (a new token) stamps nothing.
    pub checked_against: OffsetDateTime,
}

struct Pending {
    delivery: NewDelivery,
    stored: oneshot::Sender<Result<Status, DbErr>>,
}

#[derive(Clone)]
pub struct DeliveryWriter {
    queue: mpsc::Sender<Pending>,
}

impl DeliveryWriter {
    /// Starts the writing tasks on the current runtime (one for SQLite's one connection, more
    /// when several instances share PostgreSQL); they end when the last `DeliveryWriter` is
    /// dropped.
    pub fn start(db: DatabaseConnection, cache: Arc<WebhookCache>, topology: Topology) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE_LENGTH);
        let waiting = Arc::new(Mutex::new(waiting));
        let writers = match topology {
            Topology::Several => POSTGRES_WRITERS,
            Topology::Single => 1,
        };
        for _ in 0..writers {
            tokio::spawn(write_batches(db.clone(), cache.clone(), waiting.clone()));
        }
        Self { queue }
    }

    /// Stores the delivery (with its job, unless it turns out a duplicate) and answers its
    /// status once that is committed.
    pub async fn store(&self, delivery: NewDelivery) -> Result<Status, DbErr> {
        let (stored, answer) = oneshot::channel();
        let stopped = || DbErr::Custom("the delivery writer has stopped".into());
        self.queue
            .send(Pending { delivery, stored })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_batches(
    db: DatabaseConnection,
    cache: Arc<WebhookCache>,
    waiting: Arc<Mutex<mpsc::Receiver<Pending>>>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // At least one delivery, and whatever else waits, while no other writer is taking.
    while waiting.lock().await.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write(&db, &cache, std::mem::take(&mut batch)).await;
    }
}

async fn write(db: &DatabaseConnection, cache: &WebhookCache, batch: Vec<Pending>) {
    let (deliveries, answers): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|p| (p.delivery, p.stored)).unzip();
    let started = Instant::now();
    match store_batch(db, cache, &deliveries).await {
        Ok(statuses) => {
            tracing::debug!(
                deliveries = deliveries.len(),
                micros = started.elapsed().as_micros() as u64,
                "Lever deliveries stored"
            );
            for (answer, status) in answers.into_iter().zip(statuses) {
                let _ = answer.send(Ok(status));
            }
        }
        // One delivery's failure (its organization deleted meanwhile, say) must not fail the
        // others that happened to share its batch: each is tried alone.
        Err(e) if deliveries.len() > 1 => {
            tracing::warn!(deliveries = deliveries.len(), error = %e, "a batch of Lever deliveries failed; storing them one by one");
            for (delivery, answer) in deliveries.iter().zip(answers) {
                let alone = store_batch(db, cache, std::slice::from_ref(delivery)).await;
                let _ = answer.send(alone.map(|mut statuses| statuses.remove(0)));
            }
        }
        Err(e) => {
            for answer in answers {
                let _ = answer.send(Err(e.clone()));
            }
        }
    }
}

/// Stores the deliveries in one transaction; answers each one's status, in order.
async fn store_batch(
    db: &DatabaseConnection,
    cache: &WebhookCache,
    deliveries: &[NewDelivery],
) -> Result<Vec<Status>, DbErr> {
    let txn = db.begin().await?;
    let duplicates = find_duplicates(&txn, deliveries).await?;
    let mut rows = Vec::with_capacity(deliveries.len());
    let mut jobs = Vec::new();
    // Per organization: its earliest arrival in the batch and the newest integration checked.
    let mut stamped_orgs: BTreeMap<OrgId, (OffsetDateTime, OffsetDateTime)> = BTreeMap::new();
    for (index, delivery) in deliveries.iter().enumerate() {
        let mut row = delivery.row.clone();
        if duplicates.contains(&index) {
            row.status = Status::Duplicate;
            row.reason = Some(DeliveryReason::TokenAlreadySeen);
        } else {
            if let Some(payload) = &delivery.job_payload {
                jobs.push(queue::new_job(
                    row.org_id,
                    job::Kind::LeverStageChange,
                    Some(row.id),
                    payload.clone(),
                    row.received_at,
                ));
            }
            if delivery.stamps_integration {
                let stamp = stamped_orgs
                    .entry(row.org_id)
                    .or_insert((row.received_at, delivery.checked_against));
                stamp.0 = stamp.0.min(row.received_at);
                stamp.1 = stamp.1.max(delivery.checked_against);
            }
        }
        rows.push(row);
    }
    let statuses = rows.iter().map(|row| row.status).collect();
    lever_delivery::Entity::insert_many(rows.into_iter().map(IntoActiveModel::into_active_model))
        .exec_without_returning(&txn)
        .await?;
    if !jobs.is_empty() {
        job::Entity::insert_many(jobs)
            .exec_without_returning(&txn)
            .await?;
    }
    let now = Instant::now();
    let mut stamped = Vec::new();
    for (org_id, (received_at, checked_against)) in stamped_orgs {
        if let Some(turn) = cache.stamp_due(org_id, now) {
            let updated = lever_integration::Entity::update_in_org(org_id)
                .col_expr(
                    lever_integration::Column::VerifiedAt,
                    Expr::value(Some(received_at)),
                )
                .col_expr(
                    lever_integration::Column::LastDeliveryAt,
                    Expr::value(Some(received_at)),
                )
                // Not when the integration changed after the delivery was checked (a new
                // token clears verified_at; one signed with the old must not set it).
                .filter(lever_integration::Column::UpdatedAt.lte(checked_against))
                .exec(&txn)
                .await?;
            if updated.rows_affected == 1 {
                stamped.push((org_id, turn));
            }
        }
    }
    txn.commit().await?;
    for (org_id, turn) in stamped {
        cache.stamped(org_id, now, turn);
    }
    Ok(statuses)
}

/// The deliveries (by index) whose token the organization has seen: before, or earlier in
/// this batch. The others' tokens are recorded as seen.
async fn find_duplicates(
    txn: &DatabaseTransaction,
    deliveries: &[NewDelivery],
) -> Result<HashSet<usize>, DbErr> {
    let mut duplicates = HashSet::new();
    let mut first_sightings: HashMap<(OrgId, &str), usize> = HashMap::new();
    for (index, delivery) in deliveries.iter().enumerate() {
        if let Some(token) = delivery.token.as_deref() {
            match first_sightings.entry((delivery.row.org_id, token)) {
                Entry::Occupied(_) => {
                    duplicates.insert(index);
                }
                Entry::Vacant(first) => {
                    first.insert(index);
                }
            }
        }
    }
    if first_sightings.is_empty() {
        return Ok(duplicates);
    }
    let mut sorted: Vec<_> = first_sightings.iter().collect();
    sorted.sort();
    let mut insert = Query::insert();
    insert.into_table(lever_seen_token::Entity).columns([
        lever_seen_token::Column::OrgId,
        lever_seen_token::Column::Token,
        lever_seen_token::Column::SeenAt,
    ]);
    for ((org_id, token), index) in &sorted {
        insert.values_panic([
            (*org_id).into(),
            (*token).into(),
            deliveries[**index].row.received_at.into(),
        ]);
    }
    insert
        .on_conflict(
            OnConflict::columns([
                lever_seen_token::Column::OrgId,
                lever_seen_token::Column::Token,
            ])
            .do_nothing()
            .to_owned(),
        )
        .returning(Query::returning().columns([
            lever_seen_token::Column::OrgId,
            lever_seen_token::Column::Token,
        ]));
    let inserted = txn
        .query_all_raw(txn.get_database_backend().build(&insert))
        .await?;
    let mut fresh = HashSet::with_capacity(inserted.len());
    for row in inserted {
        let org_id: OrgId = row.try_get("", "org_id")?;
        let token: String = row.try_get("", "token")?;
        fresh.insert((org_id, token));
    }
    for ((org_id, token), index) in first_sightings {
        if !fresh.contains(&(org_id, token.to_string())) {
            duplicates.insert(index);
        }
    }
    Ok(duplicates)
}
