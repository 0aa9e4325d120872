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
        options.max_connections(1).map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    } else {
        options.max_connections(20).min_connections(1);
    }
    Ok(Database::connect(options).await?)
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
