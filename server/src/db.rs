//! Connecting to the database (SQLite file by default, PostgreSQL for scale-out) and migrating.

use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Whether [`connect`] may create a SQLite database that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The server (and `stagepad migrate`): a first start makes the database.
    Create,
    /// The other commands: a database that is not there is an error, not a new empty file.
    Refuse,
}

pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, Missing::Create).await
}

/// The operators' commands (but `migrate`): the database of `url`, which must exist and be
/// migrated already; fails naming it otherwise.
pub async fn connect_existing(url: &str) -> anyhow::Result<DatabaseConnection> {
    if url.starts_with("sqlite:") {
        let path = sqlite_path(url)?;
        if !path.is_file() {
            anyhow::bail!(
                "there is no database at {} (STAGEPAD_DATABASE_URL, STAGEPAD_DATA_DIR): start the \
                 server once or run `stagepad migrate` to create it",
                shown_path(&path).display()
            );
        }
    }
    let db = connect_with(url, Missing::Refuse).await?;
    let pending = Migrator::get_pending_migrations_read_only(&db)
        .await
        .map(|pending| pending.len());
    match pending {
        Ok(0) => Ok(db),
        Ok(n) => {
            db.close().await.ok();
            anyhow::bail!(
                "the database has {n} migration(s) not applied yet: run `stagepad migrate` first \
                 (or start the server once with this version)"
            )
        }
        Err(e) => {
            db.close().await.ok();
            Err(anyhow::Error::from(e).context(
                "cannot read which migrations the database has (is it Stagepad's? run \
                 `stagepad migrate`)",
            ))
        }
    }
}

/// `path` made absolute (against the working folder), for messages.
pub fn shown_path(path: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// What the operators' commands say they act on: the absolute SQLite file, or the PostgreSQL
/// server and database (no password).
pub fn describe(url: &str) -> String {
    match sqlite_path(url) {
        Ok(path) if url.starts_with("sqlite:") => {
            format!("the SQLite database {}", shown_path(&path).display())
        }
        _ => format!(
            "the PostgreSQL database {}",
            crate::admin::remove_url_password(url)
        ),
    }
}

/// A transaction that writes: on SQLite it takes the write lock at BEGIN (IMMEDIATE), so it
/// waits (busy timeout) for a busy server instead of failing at its first write with
/// SQLITE_BUSY_SNAPSHOT because its snapshot is out of date. Other databases: a plain BEGIN.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

async fn connect_with(url: &str, missing: Missing) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        if missing == Missing::Create {
            create_parent_dir(url)?;
        }
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
            .map_sqlx_sqlite_opts(move |sqlite| {
                sqlite
                    // `mode=rwc` in the URL would say the same; this wins over it.
                    .create_if_missing(missing == Missing::Create)
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

/// The SQLite file of a `sqlite:` URL.
pub fn sqlite_path(url: &str) -> anyhow::Result<std::path::PathBuf> {
    Ok(SqliteConnectOptions::from_str(url)?
        .get_filename()
        .to_path_buf())
}

/// An exclusive lock on `<database>.lock` beside a SQLite database, held by a server for its
/// whole life and by `stagepad restore` (and the embedded key rotation) while they work: one
/// cannot replace the file under the other. Released when dropped (or when the process dies:
/// the operating system drops it, so a crash leaves no stale lock).
#[derive(Debug)]
pub struct DatabaseLock {
    _file: std::fs::File,
    path: std::path::PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another Stagepad process is using the database {database} (it holds {lock}); stop it \
         first"
    )]
    Held {
        database: std::path::PathBuf,
        lock: std::path::PathBuf,
    },
    #[error("cannot open the lock file {lock}")]
    Io {
        lock: std::path::PathBuf,
        #[source]
        cause: std::io::Error,
    },
}

impl DatabaseLock {
    /// Takes the lock of the SQLite database at `database`, without waiting.
    pub fn take(database: &std::path::Path) -> Result<Self, LockError> {
        let mut name = database.as_os_str().to_owned();
        name.push(".lock");
        let path = std::path::PathBuf::from(name);
        let io = |cause| LockError::Io {
            lock: path.clone(),
            cause,
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file, path }),
            Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Held {
                database: database.to_path_buf(),
                lock: path,
            }),
            Err(std::fs::TryLockError::Error(cause)) => Err(io(cause)),
        }
    }

    /// The lock file, for messages.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_lock_is_exclusive_and_released_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("stagepad.db");
        let held = DatabaseLock::take(&database).unwrap();
        assert_eq!(held.path(), dir.path().join("stagepad.db.lock"));
        assert!(matches!(
            DatabaseLock::take(&database),
            Err(LockError::Held { .. })
        ));
        drop(held);
        DatabaseLock::take(&database).expect("free again once dropped");
    }
}
