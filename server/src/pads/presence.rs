//! Presence across server instances on one PostgreSQL. Each instance records who is connected
//! through it (a row per participant and instance), refreshes its rows while they stay, and
//! deletes them when they leave; rooms elsewhere read the fresh rows of other instances. A
//! crashed instance stops refreshing, so its participants go offline after [`PRESENCE_TTL`].
//! On SQLite there is one instance and a room's own connection counts are the whole truth.

use std::collections::HashSet;
use std::time::Duration;

use entity::pad_presence;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;

/// How often an instance refreshes its rows (and rooms look again at everyone else's).
pub const PRESENCE_REFRESH: Duration = Duration::from_secs(10);
/// A row older than this belongs to an instance that stopped without saying so.
pub const PRESENCE_TTL: Duration = Duration::from_secs(30);

/// `client_id` is now connected to `pad_id` through `instance`.
pub async fn arrived(
    db: &DatabaseConnection,
    pad_id: &str,
    client_id: &str,
    instance: &str,
) -> Result<(), sea_orm::DbErr> {
    pad_presence::Entity::insert(pad_presence::ActiveModel {
        pad_id: Set(pad_id.to_string()),
        client_id: Set(client_id.to_string()),
        instance_id: Set(instance.to_string()),
        seen_at: Set(OffsetDateTime::now_utc()),
    })
    .on_conflict(
        OnConflict::columns([
            pad_presence::Column::PadId,
            pad_presence::Column::ClientId,
            pad_presence::Column::InstanceId,
        ])
        .update_column(pad_presence::Column::SeenAt)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
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
    let fresh_since = OffsetDateTime::now_utc() - PRESENCE_TTL;
    Ok(pad_presence::Entity::find()
        .filter(pad_presence::Column::PadId.eq(pad_id))
        .filter(pad_presence::Column::InstanceId.ne(instance))
        .filter(pad_presence::Column::SeenAt.gt(fresh_since))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.client_id)
        .collect())
}

/// Keeps `instance`'s rows fresh and deletes rows long abandoned by stopped instances.
pub async fn refresh(db: &DatabaseConnection, instance: &str) -> Result<(), sea_orm::DbErr> {
    let now = OffsetDateTime::now_utc();
    pad_presence::Entity::update_many()
        .col_expr(
            pad_presence::Column::SeenAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(pad_presence::Column::InstanceId.eq(instance))
        .exec(db)
        .await?;
    pad_presence::Entity::delete_many()
        .filter(pad_presence::Column::SeenAt.lt(now - PRESENCE_TTL * 10))
        .exec(db)
        .await?;
    Ok(())
}

/// `instance` is stopping: its rows go, and the pads they were on are returned to announce.
pub async fn depart_instance(
    db: &DatabaseConnection,
    instance: &str,
) -> Result<HashSet<String>, sea_orm::DbErr> {
    let pads = pad_presence::Entity::find()
        .filter(pad_presence::Column::InstanceId.eq(instance))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.pad_id)
        .collect();
    pad_presence::Entity::delete_many()
        .filter(pad_presence::Column::InstanceId.eq(instance))
        .exec(db)
        .await?;
    Ok(pads)
}
