//! Presence across server instances on one PostgreSQL. Each instance records who is connected
//! through it (a row per participant and instance), rewrites its rows every
//! [`PRESENCE_REFRESH`] from who is really connected, and deletes a row when its participant
//! leaves; rooms elsewhere read the fresh rows of other instances. A crashed instance stops
//! refreshing, so its participants go offline after [`PRESENCE_TTL`]. Times come from the
//! database's clock, so instances whose clocks disagree still agree on what is fresh. On SQLite
//! there is one instance and a room's own connection counts are the whole truth.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use entity::pad_presence;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    TransactionTrait,
};
use tokio::sync::watch;

use super::live::PadHub;

/// How often an instance rewrites its rows (and rooms look again at everyone else's).
pub const PRESENCE_REFRESH: Duration = Duration::from_secs(10);
/// A row older than this belongs to an instance that stopped without saying so.
pub const PRESENCE_TTL: Duration = Duration::from_secs(30);

/// Someone connected to a pad through this instance.
pub struct Connected {
    pub pad_id: String,
    pub client_id: String,
}

/// `client_id` is now connected to `pad_id` through `instance`.
pub async fn arrived(
    db: &DatabaseConnection,
    pad_id: &str,
    client_id: &str,
    instance: &str,
) -> Result<(), sea_orm::DbErr> {
    let connected = Connected {
        pad_id: pad_id.to_string(),
        client_id: client_id.to_string(),
    };
    write_fresh(db, instance, &[connected]).await
}

/// `client_id`'s last connection to `pad_id` through `instance` ended.
pub async fn departed(
    db: &DatabaseConnection,
    pad_id: &str,
    client_id: &str,
    instance: &str,
) -> Result<(), sea_orm::DbErr> {
    pad_presence::Entity::delete_many()
        .filter(pad_presence::Column::PadId.eq(pad_id))
        .filter(pad_presence::Column::ClientId.eq(client_id))
        .filter(pad_presence::Column::InstanceId.eq(instance))
        .exec(db)
        .await?;
    Ok(())
}

/// Who is connected to `pad_id` through instances other than `instance`, going by fresh rows.
pub async fn connected_elsewhere(
    db: &DatabaseConnection,
    pad_id: &str,
    instance: &str,
) -> Result<HashSet<String>, sea_orm::DbErr> {
    Ok(pad_presence::Entity::find()
        .filter(pad_presence::Column::PadId.eq(pad_id))
        .filter(pad_presence::Column::InstanceId.ne(instance))
        .filter(Expr::col(pad_presence::Column::SeenAt).gt(database_now_minus(PRESENCE_TTL)))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.client_id)
        .collect())
}

/// Replaces `instance`'s rows with `connected`, all fresh (in one transaction, so others never
/// see a gap), and deletes rows long abandoned by stopped instances. A row whose delete failed
/// at a departure is gone after this too.
pub async fn refresh(
    db: &DatabaseConnection,
    instance: &str,
    connected: &[Connected],
) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    pad_presence::Entity::delete_many()
        .filter(pad_presence::Column::InstanceId.eq(instance))
        .exec(&txn)
        .await?;
    write_fresh(&txn, instance, connected).await?;
    pad_presence::Entity::delete_many()
        .filter(Expr::col(pad_presence::Column::SeenAt).lt(database_now_minus(PRESENCE_TTL * 10)))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// `instance` is stopping: its rows go, and the pads they were on are returned to announce.
pub async fn depart_instance(
    db: &DatabaseConnection,
    instance: &str,
) -> Result<HashSet<String>, sea_orm::DbErr> {
    Ok(pad_presence::Entity::delete_many()
        .filter(pad_presence::Column::InstanceId.eq(instance))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(|row| row.pad_id)
        .collect())
}

/// Keeps this instance's rows true and fresh until `stop` turns true (PostgreSQL only). Runs
/// apart from the change channel, so presence stays fresh while that channel is down.
pub async fn keep_fresh(db: DatabaseConnection, hub: Arc<PadHub>, mut stop: watch::Receiver<bool>) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let mut refresh = tokio::time::interval(PRESENCE_REFRESH);
    loop {
        tokio::select! {
            _ = refresh.tick() => hub.refresh_presence(&db).await,
            _ = stop.changed() => return,
        }
    }
}

/// Upserts rows stamped with the database's own time.
async fn write_fresh(
    db: &impl ConnectionTrait,
    instance: &str,
    connected: &[Connected],
) -> Result<(), sea_orm::DbErr> {
    if connected.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert
        .into_table(pad_presence::Entity)
        .columns([
            pad_presence::Column::PadId,
            pad_presence::Column::ClientId,
            pad_presence::Column::InstanceId,
            pad_presence::Column::SeenAt,
        ])
        .on_conflict(
            OnConflict::columns([
                pad_presence::Column::PadId,
                pad_presence::Column::ClientId,
                pad_presence::Column::InstanceId,
            ])
            .update_column(pad_presence::Column::SeenAt)
            .to_owned(),
        );
    for row in connected {
        insert.values_panic([
            row.pad_id.clone().into(),
            row.client_id.clone().into(),
            instance.into(),
            Expr::current_timestamp(),
        ]);
    }
    db.execute(&insert).await?;
    Ok(())
}

fn database_now_minus(age: Duration) -> SimpleExpr {
    Expr::cust(format!(
        "CURRENT_TIMESTAMP - INTERVAL '{} seconds'",
        age.as_secs()
    ))
}
