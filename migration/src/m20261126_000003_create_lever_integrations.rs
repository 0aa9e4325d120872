use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_organizations::belongs_to_organization;
use crate::m20261126_000002_create_accounts::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeverIntegrations::Table)
                    .if_not_exists()
                    .col(uuid(LeverIntegrations::OrgId).primary_key())
                    .col(string_len(LeverIntegrations::Environment, 16))
                    .col(string_len(LeverIntegrations::BaseUrl, 500))
                    .col(text_null(LeverIntegrations::ApiKeySealed))
                    .col(string_len_null(LeverIntegrations::ApiKeyLast4, 8))
                    .col(text(LeverIntegrations::SelectedStages))
                    .col(text_null(LeverIntegrations::KnownStageIds))
                    .col(string_len_null(LeverIntegrations::WebhookKeyHash, 64).unique_key())
                    .col(text_null(LeverIntegrations::WebhookKeySealed))
                    .col(text_null(LeverIntegrations::SignatureTokenSealed))
                    .col(uuid_null(LeverIntegrations::PadOwnerId))
                    .col(string_len(LeverIntegrations::Tag, 100))
                    .col(boolean(LeverIntegrations::NotesEnabled))
                    .col(timestamp_with_time_zone_null(LeverIntegrations::VerifiedAt))
                    .col(timestamp_with_time_zone_null(
                        LeverIntegrations::LastSignatureFailureAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        LeverIntegrations::LastDeliveryAt,
                    ))
                    .col(timestamp_with_time_zone(LeverIntegrations::CreatedAt))
                    .col(timestamp_with_time_zone(LeverIntegrations::UpdatedAt))
                    .foreign_key(&mut belongs_to_organization(
                        LeverIntegrations::Table,
                        LeverIntegrations::OrgId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LeverIntegrations::Table, LeverIntegrations::PadOwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LeverIntegrations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LeverIntegrations {
    Table,
    OrgId,
    Environment,
    BaseUrl,
    ApiKeySealed,
    ApiKeyLast4,
    SelectedStages,
    KnownStageIds,
    WebhookKeyHash,
    WebhookKeySealed,
    SignatureTokenSealed,
    PadOwnerId,
    Tag,
    NotesEnabled,
    VerifiedAt,
    LastSignatureFailureAt,
    LastDeliveryAt,
    CreatedAt,
    UpdatedAt,
}
