//! Live pads across several instances on one PostgreSQL: an instance that stores an edit (or
//! ends a pad, or changes its language, or sees someone arrive or leave) says so on a
//! PostgreSQL channel; every instance with that pad's room open catches up from the database
//! and tells its participants. A notification names the instance it comes from, which skips
//! its own. SQLite means one instance, so there this is off.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::watch;

use super::live::PadHub;

const CHANNEL: &str = "stagepad_pads";

/// What changed, as notifications say it: `<kind>:<instance>:<pad id>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Edits, the language or the end: the pad's content.
    Content,
    /// Who is connected.
    Presence,
}

impl Change {
    fn kind(self) -> &'static str {
        match self {
            Change::Content => "content",
            Change::Presence => "presence",
        }
    }
}

/// Tells the other instances that `pad_id` changed. Best effort: they also catch up when their
/// own participants edit, and look at presence again every
/// [`super::presence::PRESENCE_REFRESH`]. Inside a transaction it is sent at commit, if any.
pub async fn announce(db: &impl ConnectionTrait, instance: &str, pad_id: &str, change: Change) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let (channel, payload) = notification(instance, pad_id, change);
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [channel.into(), payload.into()],
    );
    if let Err(e) = db.execute_raw(statement).await {
        tracing::warn!(error = %e, "cannot announce a pad change to other instances");
    }
}

/// The channel and payload that announce `change` (for statements that notify themselves).
pub fn notification(instance: &str, pad_id: &str, change: Change) -> (&'static str, String) {
    (CHANNEL, format!("{}:{instance}:{pad_id}", change.kind()))
}

/// Reads a notification's payload; None for one this instance sent (or cannot read).
fn parse<'a>(payload: &'a str, own_instance: &str) -> Option<(Change, &'a str)> {
    let mut parts = payload.splitn(3, ':');
    let change = match parts.next()? {
        "content" => Change::Content,
        "presence" => Change::Presence,
        _ => return None,
    };
    let instance = parts.next()?;
    let pad_id = parts.next()?;
    (instance != own_instance).then_some((change, pad_id))
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
                    Ok(Some(notification)) => {
                        if let Some((change, pad_id)) = parse(notification.payload(), hub.instance_id()) {
                            hub.catch_up(&db, pad_id, change).await;
                        }
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_name_their_instance_and_this_one_skips_its_own() {
        let payload = "content:inst-a:PAD_id-123";
        assert!(matches!(
            parse(payload, "inst-b"),
            Some((Change::Content, "PAD_id-123"))
        ));
        assert!(parse(payload, "inst-a").is_none());
        assert!(matches!(
            parse("presence:inst-a:p", "inst-b"),
            Some((Change::Presence, "p"))
        ));
        assert!(parse("gossip:inst-a:p", "inst-b").is_none());
        assert!(parse("content:inst-a", "inst-b").is_none());
    }
}
