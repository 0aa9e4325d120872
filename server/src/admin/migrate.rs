//! `stagepad migrate`: applies the migrations not applied yet and says which.

use anyhow::Context;
use migration::{Migrator, MigratorTrait};

use crate::{Settings, db};

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let db = db::connect(&settings.database_url)
        .await
        .context("cannot open the database (STAGEPAD_DATABASE_URL)")?;
    say!("Database: {}.", db::describe(&settings.database_url));
    let pending: Vec<String> = Migrator::get_pending_migrations(&db)
        .await
        .context("cannot read which migrations were applied")?
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    db::migrate(&db)
        .await
        .context("database migrations failed")?;
    db.close().await.ok();
    if pending.is_empty() {
        say!(
            "The database is up to date: all {} migrations were applied already.",
            Migrator::migrations().len()
        );
    } else {
        say!("Applied {} migration(s):", pending.len());
        for name in pending {
            say!("  {name}");
        }
    }
    Ok(())
}
