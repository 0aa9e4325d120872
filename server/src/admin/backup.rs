//! `stagepad backup <file>`: a consistent copy of the SQLite database, taken while the server
//! runs (`VACUUM INTO` reads one snapshot: every transaction committed before it began, none
//! after). PostgreSQL has its own tools; the command says which line to run.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{ConnectOptions as _, Connection as _};

use crate::{Settings, db};

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub file: PathBuf,
    pub bytes: u64,
    pub migrations: usize,
}

pub async fn run(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let backup = backup(settings, file).await?;
    say!(
        "Backed up {} to {} ({} bytes, {} migrations applied).",
        db::describe(&settings.database_url),
        db::shown_path(&backup.file).display(),
        backup.bytes,
        backup.migrations
    );
    say!(
        "Keep the master key with it (STAGEPAD_MASTER_KEY, or data/master.key in the embedded \
         setup), apart from the backup: without it, the Lever secrets in the backup cannot be \
         decrypted."
    );
    Ok(())
}

/// Copies the SQLite database of `settings` to `file`, which must not exist.
pub async fn backup(settings: &Settings, file: &Path) -> anyhow::Result<Backup> {
    if !settings.uses_sqlite() {
        anyhow::bail!(
            "the database is PostgreSQL: back it up with PostgreSQL's own tool, e.g.\n  \
             pg_dump --format=custom --file={} '{}'\n(without the password: give it with \
             PGPASSWORD or ~/.pgpass), and keep STAGEPAD_MASTER_KEY apart from the dump",
            file.display(),
            super::remove_url_password(&settings.database_url)
        );
    }
    let database = db::sqlite_path(&settings.database_url)?;
    if !database.is_file() {
        anyhow::bail!(
            "there is no database at {} to back up (STAGEPAD_DATABASE_URL, STAGEPAD_DATA_DIR)",
            db::shown_path(&database).display()
        );
    }
    if file.exists() {
        anyhow::bail!(
            "{} exists already: a backup never overwrites a file; name a new one",
            file.display()
        );
    }
    // Written under a temporary name, then linked into place: a failed backup leaves nothing
    // that looks like a backup, and a file created meanwhile is not overwritten.
    let partial = sibling(file, ".partial")?;
    let written = async {
        let mut connection = open(&database).await?;
        sea_orm::sqlx::query("VACUUM INTO ?")
            .bind(partial.to_string_lossy().into_owned())
            .execute(&mut connection)
            .await
            .context("the copy failed")?;
        connection.close().await.ok();
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .context("cannot flush the copy to disk")?;
        let migrations = check(&partial, file).await?;
        std::fs::hard_link(&partial, file).with_context(|| {
            format!(
                "cannot create {} (it may have been created meanwhile)",
                file.display()
            )
        })?;
        sync_parent(file);
        Ok::<_, anyhow::Error>(migrations)
    }
    .await;
    remove_with_journals(&partial);
    let migrations = written?;
    Ok(Backup {
        file: file.to_path_buf(),
        bytes: std::fs::metadata(file)?.len(),
        migrations,
    })
}

/// A connection to an existing SQLite file (never creating one).
pub(super) async fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10));
    options
        .connect()
        .await
        .with_context(|| format!("cannot open {} as a SQLite database", path.display()))
}

/// Checks that `path` is a whole Stagepad database: SQLite's integrity check passes and it
/// has Stagepad's migrations, none unknown to this build. Answers how many were applied.
/// Messages name `shown` (the file the operator named, of which `path` is a copy).
pub(super) async fn check(path: &Path, shown: &Path) -> anyhow::Result<usize> {
    let mut header = [0u8; 16];
    let read = std::io::Read::read(
        &mut std::fs::File::open(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        &mut header,
    )?;
    if read < 16 || &header != b"SQLite format 3\0" {
        anyhow::bail!("{} is not a SQLite database", shown.display());
    }
    let mut connection = open(path)
        .await
        .with_context(|| format!("{} is not a readable SQLite database", shown.display()))?;
    let checked = async {
        let problems: Vec<String> = sea_orm::sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&mut connection)
            .await
            .context("SQLite's integrity check could not run")?;
        if problems != ["ok"] {
            anyhow::bail!(
                "{} is damaged: {}",
                shown.display(),
                problems
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        let applied: Vec<String> =
            sea_orm::sqlx::query_scalar("SELECT version FROM seaql_migrations")
                .fetch_all(&mut connection)
                .await
                .map_err(|_| {
                    anyhow::anyhow!(
                        "{} is a SQLite database but not Stagepad's (it has no migrations table)",
                        shown.display()
                    )
                })?;
        use migration::MigratorTrait;
        let known: Vec<String> = migration::Migrator::migrations()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        if applied.is_empty() {
            anyhow::bail!("{} has no Stagepad migrations applied", shown.display());
        }
        let unknown: Vec<&String> = applied.iter().filter(|v| !known.contains(v)).collect();
        if !unknown.is_empty() {
            anyhow::bail!(
                "{} was written by a newer Stagepad (migrations this one does not know: {}); \
                 use that version",
                shown.display(),
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(applied.len())
    }
    .await;
    connection.close().await.ok();
    checked
}

/// `<file><suffix>-<random>` in the same folder (a rename or link stays on one file system).
pub(super) fn sibling(file: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let name = file
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("{} is not a file name", file.display()))?;
    let mut name = name.to_owned();
    name.push(format!("{suffix}-{:08x}", rand::random::<u32>()));
    Ok(file.with_file_name(name))
}

/// Removes a SQLite file and its `-wal` and `-shm`, where they exist.
pub(super) fn remove_with_journals(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Makes a rename or a new name in `file`'s folder durable (best effort: not every system
/// lets a folder be synced).
pub(super) fn sync_parent(file: &Path) {
    let parent = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(folder) = std::fs::File::open(parent) {
        let _ = folder.sync_all();
    }
}
