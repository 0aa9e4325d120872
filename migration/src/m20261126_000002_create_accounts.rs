use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_organizations::belongs_to_organization;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(uuid(Users::Id).primary_key())
                    .col(uuid(Users::OrgId))
                    .col(string_len(Users::Email, 254).unique_key())
                    .col(string_len(Users::Name, 200))
                    .col(string(Users::PasswordHash))
                    .col(string_len(Users::Role, 16))
                    .col(string_len(Users::Status, 16))
                    .col(integer(Users::TokenVersion).default(0))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .foreign_key(&mut belongs_to_organization(Users::Table, Users::OrgId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("users_org_id")
                    .table(Users::Table)
                    .col(Users::OrgId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .if_not_exists()
                    .col(uuid(Invitations::Id).primary_key())
                    .col(uuid(Invitations::OrgId))
                    .col(string_len(Invitations::Email, 254))
                    .col(string_len(Invitations::Role, 16))
                    .col(string_len(Invitations::TokenHash, 64).unique_key())
                    .col(uuid_null(Invitations::InvitedByUserId))
                    .col(string_len(Invitations::InvitedByName, 200))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
                    .foreign_key(&mut belongs_to_organization(
                        Invitations::Table,
                        Invitations::OrgId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitations::Table, Invitations::InvitedByUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invitations_org_id")
                    .table(Invitations::Table)
                    .col(Invitations::OrgId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(uuid(AuditEvents::OrgId))
                    .col(uuid_null(AuditEvents::ActorUserId))
                    .col(string_len_null(AuditEvents::ActorLabel, 500))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(text(AuditEvents::Detail))
                    .col(string_len_null(AuditEvents::ClientAddress, 64))
                    .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                    .foreign_key(&mut belongs_to_organization(
                        AuditEvents::Table,
                        AuditEvents::OrgId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditEvents::Table, AuditEvents::ActorUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_org_id_id")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::OrgId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_table_ref(),
            Invitations::Table.into_table_ref(),
            Users::Table.into_table_ref(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    OrgId,
    Email,
    Name,
    PasswordHash,
    Role,
    Status,
    TokenVersion,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    OrgId,
    Email,
    Role,
    TokenHash,
    InvitedByUserId,
    InvitedByName,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OrgId,
    ActorUserId,
    ActorLabel,
    Action,
    Detail,
    ClientAddress,
    CreatedAt,
}
