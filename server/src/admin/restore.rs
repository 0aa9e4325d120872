//! `stagepad restore <file>` (SQLite): puts a backup in place of the database, once it is
//! checked, while no server uses the database (the server's lock says so). The replaced
//! database is kept beside it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sea_orm::sqlx::Connection as _;

use super::backup::{check, open, remove_with_journals, sibling, sync_parent};
use crate::{Settings, db};

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub database: PathBuf,
    /// Where the database it replaced was kept, if there was one.
    pub kept: Option<PathBuf>,
    pub migrations: usize,
}

pub async fn run(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let restored = restore(settings, file).await?;
    say!(
        "Restored {} into {} ({} migrations applied; the server applies newer ones at start).",
        file.display(),
        db::shown_path(&restored.database).display(),
        restored.migrations
    );
    if let Some(kept) = restored.kept {
        say!("The database it replaced is kept as {}.", kept.display());
    }
    say!(
        "Start the server with the master key the backup was made under (STAGEPAD_MASTER_KEY, \
         or data/master.key), or its Lever secrets cannot be decrypted."
    );
    Ok(())
}

/// Replaces the SQLite database of `settings` with the backup `file`.
pub async fn restore(settings: &Settings, file: &Path) -> anyhow::Result<Restored> {
    if !settings.uses_sqlite() {
        anyhow::bail!(
            "the database is PostgreSQL: restore a pg_dump with PostgreSQL's own tool, with every \
             instance stopped, e.g.\n  pg_restore --clean --if-exists --no-owner --dbname='{}' \
             {}\n(without the password: give it with PGPASSWORD or ~/.pgpass)",
            super::remove_url_password(&settings.database_url),
            file.display()
        );
    }
    if !file.is_file() {
        anyhow::bail!("{} is not a file", file.display());
    }
    let database = db::sqlite_path(&settings.database_url)?;
    // Held until the new file is in place: no server starts on a half-restored folder.
    let _lock = db::DatabaseLock::take(&database).map_err(|e| match e {
        db::LockError::Held { .. } => anyhow::anyhow!(
            "{e}: a running server's database is never replaced (the server holds its lock for \
             as long as it runs)"
        ),
        other => other.into(),
    })?;
    // Copied next to the database first, and checked there: what is checked is what goes in.
    let incoming = sibling(&database, ".restoring")?;
    let prepared = async {
        std::fs::copy(file, &incoming)
            .with_context(|| format!("cannot copy {} next to the database", file.display()))?;
        let migrations = check(&incoming, file).await?;
        std::fs::File::open(&incoming)
            .and_then(|f| f.sync_all())
            .context("cannot flush the copy to disk")?;
        Ok::<_, anyhow::Error>(migrations)
    }
    .await;
    let migrations = match prepared {
        Ok(migrations) => migrations,
        Err(e) => {
            remove_with_journals(&incoming);
            return Err(e);
        }
    };
    let kept = if database.exists() {
        // What the stopped server left in its WAL goes into the file first, so the kept copy
        // is whole and no stale WAL is left to be applied to the restored file.
        let mut connection = open(&database).await?;
        // (busy, frames in the WAL, frames checkpointed): busy means the WAL could not all be
        // copied, and then it still holds committed transactions; removing it would lose them.
        let checkpoint: Result<(i64, i64, i64), _> =
            sea_orm::sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&mut connection)
                .await;
        connection.close().await.ok();
        let (busy, _, _) = match checkpoint {
            Ok(row) => row,
            Err(e) => {
                remove_with_journals(&incoming);
                return Err(anyhow::Error::from(e).context(format!(
                    "cannot checkpoint {}",
                    db::shown_path(&database).display()
                )));
            }
        };
        if busy != 0 {
            remove_with_journals(&incoming);
            anyhow::bail!(
                "cannot copy the write-ahead log of {} into it (a process still reads or writes \
                 the database): nothing was replaced; stop every process using it and run this \
                 again",
                db::shown_path(&database).display()
            );
        }
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let kept = sibling(&database, &format!(".before-restore-{stamp}"))?;
        std::fs::hard_link(&database, &kept)
            .with_context(|| format!("cannot keep the current database as {}", kept.display()))?;
        Some(kept)
    } else {
        None
    };
    for suffix in ["-wal", "-shm"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(&name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                remove_with_journals(&incoming);
                return Err(anyhow::Error::from(e)
                    .context(format!("cannot remove {}", name.to_string_lossy())));
            }
        }
    }
    std::fs::rename(&incoming, &database).with_context(|| {
        format!(
            "cannot move the restored copy to {} (it is left as {})",
            database.display(),
            incoming.display()
        )
    })?;
    sync_parent(&database);
    Ok(Restored {
        database,
        kept,
        migrations,
    })
}
