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
use sea_orm::sea_query::{Expr, OnConflict, Query, Values};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, Sqlite};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryResult, QueryTrait, RuntimeErr, Statement, TransactionTrait,
};
use sea_query_sqlx::SqlxValues;
use time::OffsetDateTime;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::webhook_cache::{StampTurn, WebhookCache};
use crate::jobs::queue;
use crate::pads::cluster::Topology;

/// Deliveries in one transaction at most (a few thousand bound parameters per statement).
const MAX_BATCH: usize = 256;
/// Deliveries waiting for a writer; past this, requests wait to hand theirs over.
const QUEUE_LENGTH: usize = 4 * MAX_BATCH;
const POSTGRES_WRITERS: usize = 4;
/// How long the SQLite writer keeps the connection while batches keep coming.
const HOLD_SQLITE_AT_MOST: std::time::Duration = std::time::Duration::from_millis(5);

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
        let failed = if db.get_database_backend() == DbBackend::Sqlite {
            write_holding_sqlite(&db, &cache, &waiting, std::mem::take(&mut batch)).await
        } else {
            write(&mut Target::Pool(&db), &cache, std::mem::take(&mut batch))
                .await
                .err()
        };
        if let Some(failed) = failed {
            failed.store_one_by_one(&db, &cache).await;
        }
    }
}

/// Writes the batch, and the batches that follow back to back, on SQLite's one connection:
/// the pool pings SQLite's thread each time it takes a connection back, and the next batch
/// would wait for that. Stops at a batch that failed and answers it: it is retried one by one
/// with the connection given back (others get their turns in between, and a connection whose
/// transaction could not be rolled back is closed).
async fn write_holding_sqlite(
    db: &DatabaseConnection,
    cache: &WebhookCache,
    waiting: &Mutex<mpsc::Receiver<Pending>>,
    mut batch: Vec<Pending>,
) -> Option<FailedBatch> {
    let mut connection = match db.get_sqlite_connection_pool().acquire().await {
        Ok(connection) => connection,
        Err(e) => {
            let e = query_error(e);
            for pending in batch {
                let _ = pending.stored.send(Err(e.clone()));
            }
            return None;
        }
    };
    let held_since = Instant::now();
    loop {
        let target = &mut Target::Sqlite(&mut connection);
        if let Err(failed) = write(target, cache, std::mem::take(&mut batch)).await {
            return Some(failed);
        }
        // Others wait for the connection meanwhile (jobs, pad edits, the console).
        if held_since.elapsed() >= HOLD_SQLITE_AT_MOST {
            return None;
        }
        let mut waiting = waiting.lock().await;
        while batch.len() < MAX_BATCH
            && let Ok(pending) = waiting.try_recv()
        {
            batch.push(pending);
        }
        if batch.is_empty() {
            return None;
        }
    }
}

/// Where a batch is written.
enum Target<'a> {
    /// A transaction from the pool (PostgreSQL).
    Pool(&'a DatabaseConnection),
    /// SQLite's one connection, held by the writer.
    Sqlite(&'a mut PoolConnection<Sqlite>),
}

impl Target<'_> {
    /// Stores the deliveries in one transaction; answers each one's status, in order.
    async fn store(
        &mut self,
        cache: &WebhookCache,
        deliveries: &[NewDelivery],
    ) -> Result<Vec<Status>, DbErr> {
        match self {
            Target::Pool(db) => store_batch_in_transaction(db, cache, deliveries).await,
            Target::Sqlite(connection) => {
                store_batch_on_sqlite(connection, cache, deliveries).await
            }
        }
    }
}

/// Stores the batch and answers its requests, unless it failed.
async fn write(
    target: &mut Target<'_>,
    cache: &WebhookCache,
    batch: Vec<Pending>,
) -> Result<(), FailedBatch> {
    let (deliveries, answers): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|p| (p.delivery, p.stored)).unzip();
    let started = Instant::now();
    match target.store(cache, &deliveries).await {
        Ok(statuses) => {
            tracing::debug!(
                deliveries = deliveries.len(),
                micros = started.elapsed().as_micros() as u64,
                "Lever deliveries stored"
            );
            for (answer, status) in answers.into_iter().zip(statuses) {
                let _ = answer.send(Ok(status));
            }
            Ok(())
        }
        Err(error) => Err(FailedBatch {
            deliveries,
            answers,
            error,
        }),
    }
}

/// A batch that failed as a whole (rolled back): one delivery's failure (its organization
/// deleted meanwhile, say) must not fail the others that happened to share its batch, so
/// each is tried once more alone, in a transaction of its own.
struct FailedBatch {
    deliveries: Vec<NewDelivery>,
    answers: Vec<oneshot::Sender<Result<Status, DbErr>>>,
    error: DbErr,
}

impl FailedBatch {
    async fn store_one_by_one(self, db: &DatabaseConnection, cache: &WebhookCache) {
        tracing::warn!(deliveries = self.deliveries.len(), error = %self.error, "a batch of Lever deliveries failed; storing them one by one");
        for (delivery, answer) in self.deliveries.iter().zip(self.answers) {
            let alone = std::slice::from_ref(delivery);
            let stored = if db.get_database_backend() == DbBackend::Sqlite {
                match db.get_sqlite_connection_pool().acquire().await {
                    Ok(mut connection) => {
                        store_batch_on_sqlite(&mut connection, cache, alone).await
                    }
                    Err(e) => Err(query_error(e)),
                }
            } else {
                store_batch_in_transaction(db, cache, alone).await
            };
            let _ = answer.send(stored.map(|mut statuses| statuses.remove(0)));
        }
    }
}

/// One statement at a time in a sea-orm transaction (PostgreSQL takes one statement a
/// round trip).
async fn store_batch_in_transaction(
    db: &DatabaseConnection,
    cache: &WebhookCache,
    deliveries: &[NewDelivery],
) -> Result<Vec<Status>, DbErr> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    let sightings = Sightings::of(deliveries);
    let fresh = match sightings.insert(backend, deliveries) {
        Some(insert) => fresh_tokens(txn.query_all_raw(insert).await?)?,
        None => HashSet::new(),
    };
    let writes = Writes::plan(backend, cache, deliveries, &sightings.duplicates(fresh));
    for insert in writes.inserts {
        txn.execute_raw(insert).await?;
    }
    let mut stamped = Vec::new();
    for update in writes.stamps {
        stamped.extend(txn.query_all_raw(update).await?);
    }
    txn.commit().await?;
    writes.turns.remember(cache, stamped);
    Ok(writes.statuses)
}

/// SQLite: the whole batch in at most two calls to SQLite's thread, `BEGIN` with the seen
/// tokens' insert, then the rest with `COMMIT`, instead of one call a statement: under load each
/// call waits about 0.1–0.2 ms for that thread to wake, longer than the inserts take. The
/// writer holds the one connection, so no other statement can land inside the transaction.
async fn store_batch_on_sqlite(
    connection: &mut PoolConnection<Sqlite>,
    cache: &WebhookCache,
    deliveries: &[NewDelivery],
) -> Result<Vec<Status>, DbErr> {
    let backend = DbBackend::Sqlite;
    let mut connection = HeldTransaction {
        connection,
        open: false,
    };
    let sightings = Sightings::of(deliveries);
    let result = async {
        let mut begun = false;
        let fresh = match sightings.insert(backend, deliveries) {
            Some(insert) => {
                connection.open = true;
                begun = true;
                fresh_tokens(
                    connection
                        .query(vec![raw(backend, "BEGIN"), insert])
                        .await?,
                )?
            }
            None => HashSet::new(),
        };
        let writes = Writes::plan(backend, cache, deliveries, &sightings.duplicates(fresh));
        let mut statements = Vec::with_capacity(writes.inserts.len() + writes.stamps.len() + 2);
        if !begun {
            connection.open = true;
            statements.push(raw(backend, "BEGIN"));
        }
        // The stamps first. Rows come back from them only (the inserts have no RETURNING),
        // and COMMIT closes the call.
        statements.extend(writes.stamps);
        statements.extend(writes.inserts);
        statements.push(raw(backend, "COMMIT"));
        let stamped = connection.query(statements).await?;
        connection.open = false;
        writes.turns.remember(cache, stamped);
        Ok(writes.statuses)
    }
    .await;
    if result.is_err() && connection.open {
        // Whatever the failed call left open: a failed COMMIT, or one before it.
        connection.open = connection
            .query(vec![raw(backend, "ROLLBACK")])
            .await
            .is_err();
    }
    result
}

/// A batch's transaction on SQLite's connection. Should the batch never finish (a panic), a
/// transaction it left open must not reach the next user: the connection is closed instead
/// of going back to the pool.
struct HeldTransaction<'a> {
    connection: &'a mut PoolConnection<Sqlite>,
    open: bool,
}

impl HeldTransaction<'_> {
    /// Runs the statements in one call; answers the rows they returned.
    async fn query(&mut self, statements: Vec<Statement>) -> Result<Vec<QueryResult>, DbErr> {
        let mut sql = String::new();
        let mut values = Vec::new();
        for statement in statements {
            if !sql.is_empty() {
                sql.push_str(";\n");
            }
            sql.push_str(&statement.sql);
            values.extend(statement.values.map(|v| v.0).unwrap_or_default());
        }
        // Not kept in the connection's statement cache: a batch's text seldom repeats, and
        // it would push out the statements the rest of the server does repeat.
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), SqlxValues(Values(values)))
            .persistent(false)
            .fetch_all(&mut **self.connection)
            .await
            .map_err(query_error)?;
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }
}

impl Drop for HeldTransaction<'_> {
    fn drop(&mut self) {
        if self.open {
            self.connection.close_on_drop();
        }
    }
}

fn query_error(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

fn raw(backend: DbBackend, sql: &str) -> Statement {
    Statement::from_string(backend, sql)
}

/// The statements of a batch once its duplicates are known, and what they answer.
struct Writes {
    statuses: Vec<Status>,
    /// The deliveries, and the jobs of those that ask for one.
    inserts: Vec<Statement>,
    /// One a stamped organization; each returns the organization's id if it wrote.
    stamps: Vec<Statement>,
    turns: StampTurns,
}

impl Writes {
    fn plan(
        backend: DbBackend,
        cache: &WebhookCache,
        deliveries: &[NewDelivery],
        duplicates: &HashSet<usize>,
    ) -> Self {
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
        let mut inserts = vec![
            lever_delivery::Entity::insert_many(
                rows.into_iter().map(IntoActiveModel::into_active_model),
            )
            .build(backend),
        ];
        if !jobs.is_empty() {
            inserts.push(job::Entity::insert_many(jobs).build(backend));
        }
        let now = Instant::now();
        let mut stamps = Vec::new();
        let mut turns = StampTurns {
            at: now,
            due: HashMap::new(),
        };
        for (org_id, (received_at, checked_against)) in stamped_orgs {
            let Some(turn) = cache.stamp_due(org_id, now) else {
                continue;
            };
            let mut update = lever_integration::Entity::update_in_org(org_id)
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
                .into_query();
            update.returning_col(lever_integration::Column::OrgId);
            stamps.push(backend.build(&update));
            turns.due.insert(org_id, turn);
        }
        Self {
            statuses,
            inserts,
            stamps,
            turns,
        }
    }
}

/// The stamps a batch was given turns for, remembered for the organizations whose update
/// wrote once the batch has committed.
struct StampTurns {
    at: Instant,
    due: HashMap<OrgId, StampTurn>,
}

impl StampTurns {
    /// After the commit: nothing here may fail the batch, which is stored.
    fn remember(mut self, cache: &WebhookCache, written: Vec<QueryResult>) {
        for row in written {
            match row.try_get::<OrgId>("", "org_id") {
                Ok(org_id) => {
                    if let Some(turn) = self.due.remove(&org_id) {
                        cache.stamped(org_id, self.at, turn);
                    }
                }
                // Left unremembered: the next delivery stamps again.
                Err(e) => {
                    tracing::warn!(error = %e, "a stamped integration's row could not be read")
                }
            }
        }
    }
}

/// Each organization's tokens in a batch, by their first delivery; later ones are duplicates.
struct Sightings<'a> {
    first: HashMap<(OrgId, &'a str), usize>,
    repeated: HashSet<usize>,
}

impl<'a> Sightings<'a> {
    fn of(deliveries: &'a [NewDelivery]) -> Self {
        let mut first = HashMap::new();
        let mut repeated = HashSet::new();
        for (index, delivery) in deliveries.iter().enumerate() {
            if let Some(token) = delivery.token.as_deref() {
                match first.entry((delivery.row.org_id, token)) {
                    Entry::Occupied(_) => {
                        repeated.insert(index);
                    }
                    Entry::Vacant(sighting) => {
                        sighting.insert(index);
                    }
                }
            }
        }
        Self { first, repeated }
    }

    /// Records the tokens as seen, in sorted order (two batches never wait on each other in a
    /// cycle); returns those that were not seen before. None when the batch has no token.
    fn insert(&self, backend: DbBackend, deliveries: &[NewDelivery]) -> Option<Statement> {
        if self.first.is_empty() {
            return None;
        }
        let mut sorted: Vec<_> = self.first.iter().collect();
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
        Some(backend.build(&insert))
    }

    /// The deliveries (by index) whose token the organization has seen: before (not among
    /// the `fresh` ones the insert returned), or earlier in this batch.
    fn duplicates(&self, fresh: HashSet<(OrgId, String)>) -> HashSet<usize> {
        let mut duplicates = self.repeated.clone();
        for ((org_id, token), index) in &self.first {
            if !fresh.contains(&(*org_id, token.to_string())) {
                duplicates.insert(*index);
            }
        }
        duplicates
    }
}

fn fresh_tokens(inserted: Vec<QueryResult>) -> Result<HashSet<(OrgId, String)>, DbErr> {
    inserted
        .into_iter()
        .map(|row| Ok((row.try_get("", "org_id")?, row.try_get("", "token")?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::DeliveryId;
    use entity::organization;
    use sea_orm::sqlx::sqlite::SqliteConnectOptions;
    use sea_orm::sqlx::{ConnectOptions as _, Connection as _, Executor as _};
    use sea_orm::{ActiveModelTrait, PaginatorTrait};
    use std::str::FromStr;

    /// Delivery `n`: a token unless `tokenless`, a job for every third.
    fn delivery(org_id: OrgId, n: usize, tokenless: bool) -> NewDelivery {
        let now = OffsetDateTime::now_utc();
        NewDelivery {
            row: lever_delivery::Model {
                id: DeliveryId::time_ordered(),
                org_id,
                received_at: now,
                event: "candidateStageChange".into(),
                triggered_at: Some(n as i64),
                opportunity_id: Some(format!("opportunity-{n}")),
                to_stage_id: Some(format!("stage-{n}")),
                status: Status::Ignored,
                reason: Some(DeliveryReason::StageNotSelected),
                detail: None,
                candidate_name: None,
                pad_id: None,
                attempts: 0,
                detail_message: None,
            },
            token: (!tokenless).then(|| format!("token-{n}")),
            job_payload: n.is_multiple_of(3).then(|| format!("{{\"n\":{n}}}")),
            stamps_integration: false,
            checked_against: now,
        }
    }

    /// A batch that fails on SQLite, in its first call (a seen token of an organization that
    /// does not exist) or its second (a token-less delivery of one), is rolled back and its
    /// deliveries are stored one by one: only the bad ones fail, every other one is stored
    /// once with its own values and its job, and no transaction is left open.
    #[tokio::test]
    async fn a_failing_batch_on_sqlite_fails_only_its_bad_deliveries() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/stagepad.db", folder.path().display());
        let db = crate::db::connect(&url).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let org_id = OrgId::random();
        organization::Model {
            id: org_id,
            name: "Acme".into(),
            plan: api::Plan::Enterprise,
            created_at: OffsetDateTime::now_utc(),
            disabled_at: None,
        }
        .into_active_model()
        .insert(&db)
        .await
        .unwrap();
        let writer = DeliveryWriter::start(
            db.clone(),
            Arc::new(WebhookCache::default()),
            Topology::Single,
        );

        // On this single-threaded runtime all are queued before the writer runs: they share
        // a batch with the bad ones.
        let (bad_token, bad_tokenless) = (20, 30);
        let mut sent = Vec::new();
        for n in 0..40 {
            let owner = if n == bad_token || n == bad_tokenless {
                OrgId::random()
            } else {
                org_id
            };
            let writer = writer.clone();
            sent.push(tokio::spawn(async move {
                writer.store(delivery(owner, n, n >= 25)).await
            }));
        }
        for (n, handle) in sent.into_iter().enumerate() {
            let stored = handle.await.unwrap();
            if n == bad_token || n == bad_tokenless {
                assert!(stored.is_err(), "delivery {n} has no organization");
            } else {
                assert_eq!(stored.unwrap(), Status::Ignored, "delivery {n}");
            }
        }
        // A rerun is a duplicate: the tokens of the stored ones were kept, once.
        assert_eq!(
            writer.store(delivery(org_id, 3, false)).await.unwrap(),
            Status::Duplicate
        );

        // Nothing is left open: another connection may write at once.
        let mut other = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .busy_timeout(std::time::Duration::ZERO)
            .connect()
            .await
            .unwrap();
        other.execute("BEGIN IMMEDIATE").await.unwrap();
        other.execute("ROLLBACK").await.unwrap();
        other.close().await.unwrap();

        assert_eq!(lever_delivery::Entity::find().count(&db).await.unwrap(), 39);
        assert_eq!(
            lever_seen_token::Entity::find().count(&db).await.unwrap(),
            24
        );
        // Jobs for every third, but not for the bad one (30) nor the duplicate.
        assert_eq!(job::Entity::find().count(&db).await.unwrap(), 13);
        for row in lever_delivery::Entity::find().all(&db).await.unwrap() {
            if row.status == Status::Duplicate {
                continue;
            }
            let n = row.triggered_at.unwrap();
            assert_eq!(row.opportunity_id, Some(format!("opportunity-{n}")));
            assert_eq!(row.to_stage_id, Some(format!("stage-{n}")));
        }
    }
}
