//! The schema's history: every migration can be undone and done again, on SQLite and (in CI)
//! PostgreSQL, so a release can be rolled back.

use migration::{Migrator, MigratorTrait};
use sea_orm::Database;

#[tokio::test]
async fn every_migration_can_be_undone_and_redone() {
    let data_dir = tempfile::tempdir().unwrap();
    let db = Database::connect(tests::app::fresh_database(&data_dir).await)
        .await
        .unwrap();
    Migrator::up(&db, None).await.unwrap();
    let applied = Migrator::get_applied_migrations(&db).await.unwrap().len();
    assert_eq!(applied, Migrator::migrations().len());
    Migrator::down(&db, None).await.unwrap();
    assert!(
        Migrator::get_applied_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(&db, None).await.unwrap();
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
}
