//! Schema migrations. The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod columns;

mod m20261126_000001_create_organizations;
mod m20261126_000002_create_accounts;
mod m20261126_000003_create_lever_integrations;
mod m20261127_000004_create_deliveries_and_jobs;
mod m20261127_000005_create_pads;
mod m20261127_000006_pad_sessions;
mod m20261127_000007_job_attempt_limit;
mod m20261127_000008_pad_presence;
mod m20261127_000009_lever_author;
mod m20261127_000010_lever_request_budgets;
mod m20261202_000011_participant_secrets;
mod m20261202_000012_pad_snapshots;
mod m20261202_000013_lists_retention;
mod m20261202_000014_lever_author_deactivated;
mod m20261202_000015_lever_permission_missing;
mod m20261202_000016_lever_confidential_access;
mod m20261202_000017_lever_notes_readable;
mod m20261202_000018_lever_feedback;
mod m20261203_000019_pad_runs;
mod m20261203_000020_lever_write_sent;
mod m20261203_000021_user_language;
mod m20261203_000022_audit_detail_text;
mod m20261203_000023_stored_failure_text;
mod m20261204_000024_mail;
mod m20261204_000025_organization_disabled;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_organizations::Migration),
            Box::new(m20261126_000002_create_accounts::Migration),
            Box::new(m20261126_000003_create_lever_integrations::Migration),
            Box::new(m20261127_000004_create_deliveries_and_jobs::Migration),
            Box::new(m20261127_000005_create_pads::Migration),
            Box::new(m20261127_000006_pad_sessions::Migration),
            Box::new(m20261127_000007_job_attempt_limit::Migration),
            Box::new(m20261127_000008_pad_presence::Migration),
            Box::new(m20261127_000009_lever_author::Migration),
            Box::new(m20261127_000010_lever_request_budgets::Migration),
            Box::new(m20261202_000011_participant_secrets::Migration),
            Box::new(m20261202_000012_pad_snapshots::Migration),
            Box::new(m20261202_000013_lists_retention::Migration),
            Box::new(m20261202_000014_lever_author_deactivated::Migration),
            Box::new(m20261202_000015_lever_permission_missing::Migration),
            Box::new(m20261202_000016_lever_confidential_access::Migration),
            Box::new(m20261202_000017_lever_notes_readable::Migration),
            Box::new(m20261202_000018_lever_feedback::Migration),
            Box::new(m20261203_000019_pad_runs::Migration),
            Box::new(m20261203_000020_lever_write_sent::Migration),
            Box::new(m20261203_000021_user_language::Migration),
            Box::new(m20261203_000022_audit_detail_text::Migration),
            Box::new(m20261203_000023_stored_failure_text::Migration),
            Box::new(m20261204_000024_mail::Migration),
            Box::new(m20261204_000025_organization_disabled::Migration),
        ]
    }
}
