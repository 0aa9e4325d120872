//! Connecting to the database (SQLite file by default, PostgreSQL for scale-out) and migrating.

use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        create_parent_dir(url)?;
        // One connection: SQLite has a single writer anyway, and deferred transactions on
        // several connections fail with "database is locked" instead of waiting.
        // FULL: in WAL mode, NORMAL may roll back the last commits on power loss or an OS
        // crash, and an acknowledged edit or delivery must survive those.
        // The WAL is copied into the database by [`spawn_checkpointer`], off the commit path;
        // this connection checkpoints only if that falls far behind.
        // No ping before each use: the connection is to a file, and each ping is a round trip
        // to SQLite's thread on the path of every commit.
        options
            .max_connections(1)
            .test_before_acquire(false)
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    .pragma("wal_autocheckpoint", FALLBACK_CHECKPOINT_PAGES.to_string())
            });
    } else {
        options.max_connections(20).min_connections(1);
    }
    Ok(Database::connect(options).await?)
}

/// WAL pages after which the serving connection checkpoints by itself (SQLite's default is
/// 1,000, about 4 MB): only reached when the checkpointer cannot keep up.
const FALLBACK_CHECKPOINT_PAGES: u32 = 16_384;
/// How often the checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// SQLite: copies committed pages from the WAL into the database file on a connection of its
/// own, until `stopped`. Done by the committing connection (SQLite's default), a checkpoint
/// stalls whatever commit crosses the threshold, and every request waiting on that commit,
/// for as long as it takes to write and sync megabytes; a PASSIVE checkpoint here runs beside
/// the commits instead.
pub async fn spawn_checkpointer(
    url: &str,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    use sea_orm::sqlx::{ConnectOptions as _, Connection as _, Executor as _};
    let options = SqliteConnectOptions::from_str(url)?
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5));
    let mut connection = options.connect().await?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(CHECKPOINT_EVERY) => {}
                _ = stopped.changed() => break,
            }
            if let Err(e) = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                tracing::warn!(error = %e, "cannot checkpoint the SQLite WAL");
            }
        }
        connection.close().await.ok();
    });
    Ok(())
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

pub fn database_kind(db: &DatabaseConnection) -> api::DatabaseKind {
    match db.get_database_backend() {
        DbBackend::Sqlite => api::DatabaseKind::Sqlite,
        _ => api::DatabaseKind::Postgres,
    }
}

fn create_parent_dir(url: &str) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(url)?;
    if let Some(parent) = options.get_filename().parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    Ok(())
}
