//! Live pads across several instances on one PostgreSQL: an instance that stores an edit (or
//! ends a pad, or changes its language, or sees someone arrive or leave) says so on a
//! PostgreSQL channel; every instance with that pad's room open catches up from the database
//! and tells its participants. SQLite means one instance, so there this is off.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::watch;

use super::live::PadHub;

const CHANNEL: &str = "stagepad_pads";
/// Marks a notification about who is connected rather than about the pad's content.
const PRESENCE: &str = "presence:";

/// Tells the other instances that `pad_id` changed. Best effort: they also catch up when their
/// own participants edit.
pub async fn announce(db: &DatabaseConnection, pad_id: &str) {
    notify(db, pad_id.to_string()).await;
}

/// Tells the other instances that someone arrived at `pad_id` or left it through this one.
/// Best effort: they also look again every [`super::presence::PRESENCE_REFRESH`].
pub async fn announce_presence(db: &DatabaseConnection, pad_id: &str) {
    notify(db, format!("{PRESENCE}{pad_id}")).await;
}

async fn notify(db: &DatabaseConnection, payload: String) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    );
    if let Err(e) = db.execute_raw(statement).await {
        tracing::warn!(error = %e, "cannot announce a pad change to other instances");
    }
}

/// Listens for other instances' pad changes until `stop` turns true.
pub async fn listen(db: DatabaseConnection, hub: Arc<PadHub>, mut stop: watch::Receiver<bool>) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    loop {
        let listener = async {
            let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            listener = listener => match listener {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for other instances' pad changes; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                        _ = stop.changed() => return,
                    }
                }
            },
            _ = stop.changed() => return,
        };
        // Whatever happened while not listening.
        hub.catch_up_all(&db).await;
        loop {
            tokio::select! {
                notification = listener.try_recv() => match notification {
                    Ok(Some(notification)) => match notification.payload().strip_prefix(PRESENCE) {
                        Some(pad_id) => hub.catch_up_presence(&db, pad_id).await,
                        None => hub.catch_up(&db, notification.payload()).await,
                    },
                    // The connection was lost and re-established: notifications may be missing.
                    Ok(None) => hub.catch_up_all(&db).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the pad change channel; reconnecting");
                        break;
                    }
                },
                _ = stop.changed() => return,
            }
        }
    }
}
