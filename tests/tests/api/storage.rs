//! How the server opens its database.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

async fn pragma(db: &sea_orm::DatabaseConnection, name: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("PRAGMA {name}"),
        ))
        .await
        .unwrap()
        .expect("a pragma answers one row");
    row.try_get::<i64>("", name)
        .map(|n| n.to_string())
        .or_else(|_| row.try_get::<String>("", name))
        .unwrap()
}

/// With WAL and `synchronous=NORMAL`, the last commits may roll back after a power loss or an
/// OS crash; the README promises that nothing acknowledged is lost, so every commit is synced.
#[tokio::test]
async fn sqlite_syncs_every_commit_before_it_is_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("stagepad.db").display()
    );
    let db = server::db::connect(&url).await.unwrap();
    assert_eq!(pragma(&db, "journal_mode").await, "wal");
    // 2 is FULL (NORMAL is 1).
    assert_eq!(pragma(&db, "synchronous").await, "2");
    db.close().await.ok();
}
