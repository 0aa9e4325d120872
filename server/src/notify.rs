//! Instances telling each other on PostgreSQL: `NOTIFY` on a channel, and `LISTEN` on it, kept
//! up across lost connections. Whatever is sent while not listening is missed, so the listener
//! is told each time it (re)connects and catches up from the database.

use std::future::Future;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use tokio::sync::watch;

/// How long to wait before trying again to listen.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Sends `payload` on `channel` (inside a transaction: at its commit, if any).
pub async fn tell(db: &impl ConnectionTrait, channel: &str, payload: String) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [channel.into(), payload.into()],
    ))
    .await
    .map(|_| ())
}

/// What a listener does with what it hears.
pub trait Hearing: Send + Sync {
    /// What is listened for, in log lines ("pad changes").
    fn what(&self) -> &'static str;

    /// Listening (again): what was sent meanwhile is missed.
    fn connected(&self) -> impl Future<Output = ()> + Send;

    fn heard(&self, payload: &str) -> impl Future<Output = ()> + Send;

    /// No longer listening, until the next [`Hearing::connected`].
    fn lost(&self) -> impl Future<Output = ()> + Send;
}

/// Listens on `channel` until `stop` turns true.
pub async fn listen(
    db: &DatabaseConnection,
    channel: &str,
    hearing: &impl Hearing,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
            listener.listen(channel).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            connected = connected => match connected {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for {}; retrying", hearing.what());
                    tokio::select! {
                        _ = tokio::time::sleep(RETRY_AFTER) => continue,
                        _ = stop.changed() => return,
                    }
                }
            },
            _ = stop.changed() => return,
        };
        hearing.connected().await;
        loop {
            tokio::select! {
                heard = listener.try_recv() => match heard {
                    Ok(Some(notification)) => hearing.heard(notification.payload()).await,
                    // sqlx reconnected by itself: notifications may be missing.
                    Ok(None) => hearing.connected().await,
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the channel of {}; reconnecting", hearing.what());
                        break;
                    }
                },
                _ = stop.changed() => return,
            }
        }
        hearing.lost().await;
    }
}
