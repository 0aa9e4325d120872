//! Live pads across several instances on one PostgreSQL: an instance that stores an edit (or
//! ends a pad, or changes its language) says so on a PostgreSQL channel; every instance with
//! that pad's room open catches up from the database and tells its participants. SQLite means
//! one instance, so there this is off.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::watch;

use super::live::PadHub;

const CHANNEL: &str = "stagepad_pads";

/// Tells the other instances that `pad_id` changed. Best effort: they also catch up when their
/// own participants edit.
pub async fn announce(db: &DatabaseConnection, pad_id: &str) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), pad_id.into()],
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
                    Ok(Some(notification)) => hub.catch_up(&db, notification.payload()).await,
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
