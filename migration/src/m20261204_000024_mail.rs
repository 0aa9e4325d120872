use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_columns, drop_columns};

use crate::m20261126_000001_create_organizations::belongs_to_organization;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The e-mail outbox (`mails`: one row an e-mail, sent by a job), password reset links, and
/// the Lever option that e-mails a new pad's link to the candidate.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Mails::Table)
                    .if_not_exists()
                    .col(uuid(Mails::Id).primary_key())
                    .col(uuid(Mails::OrgId))
                    .col(string_len(Mails::Purpose, 32))
                    .col(string_len(Mails::Recipient, 254))
                    .col(string_len(Mails::Locale, 8))
                    .col(text(Mails::Subject))
                    .col(text_null(Mails::BodySealed))
                    .col(string_len(Mails::MessageId, 200).unique_key())
                    .col(string_len(Mails::Status, 16))
                    .col(uuid_null(Mails::InvitationId))
                    .col(string_len_null(Mails::PadId, 32))
                    .col(uuid_null(Mails::RequestedByUserId))
                    .col(string_len_null(Mails::RequestedByName, 200))
                    .col(timestamp_with_time_zone(Mails::CreatedAt))
                    .col(timestamp_with_time_zone_null(Mails::SentAt))
                    .col(text_null(Mails::Error))
                    .col(text_null(Mails::ErrorMessage))
                    .foreign_key(&mut belongs_to_organization(Mails::Table, Mails::OrgId))
                    .to_owned(),
            )
            .await?;
        // The rate limits count an organization's and a recipient's recent mails.
        for (name, column) in [
            ("mails_org_id_created_at", Mails::OrgId),
            ("mails_recipient_created_at", Mails::Recipient),
            ("mails_invitation_id", Mails::InvitationId),
            ("mails_pad_id", Mails::PadId),
        ] {
            let mut index = Index::create();
            index.name(name).table(Mails::Table).col(column);
            if name.ends_with("created_at") {
                index.col(Mails::CreatedAt);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .if_not_exists()
                    .col(string_len(PasswordResets::TokenHash, 64).primary_key())
                    .col(uuid(PasswordResets::UserId))
                    .col(uuid(PasswordResets::OrgId))
                    .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                    .foreign_key(&mut belongs_to_organization(
                        PasswordResets::Table,
                        PasswordResets::OrgId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PasswordResets::Table, PasswordResets::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("password_resets_user_id")
                    .table(PasswordResets::Table)
                    .col(PasswordResets::UserId)
                    .to_owned(),
            )
            .await?;
        add_columns(
            manager,
            LeverIntegrations::Table,
            [boolean(LeverIntegrations::EmailCandidateLink)
                .default(false)
                .to_owned()],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            LeverIntegrations::Table,
            [LeverIntegrations::EmailCandidateLink],
        )
        .await?;
        for table in [
            PasswordResets::Table.into_table_ref(),
            Mails::Table.into_table_ref(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Mails {
    Table,
    Id,
    OrgId,
    Purpose,
    Recipient,
    Locale,
    Subject,
    BodySealed,
    MessageId,
    Status,
    InvitationId,
    PadId,
    RequestedByUserId,
    RequestedByName,
    CreatedAt,
    SentAt,
    Error,
    ErrorMessage,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    TokenHash,
    UserId,
    OrgId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LeverIntegrations {
    Table,
    EmailCandidateLink,
}
