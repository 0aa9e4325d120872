use api::{OrgId, UserId};
use sea_orm::entity::prelude::*;

pub use api::Role;

pub use api::MemberStatus as Status;

/// A person who logs in to the console. Belongs to exactly one organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UserId,
    pub org_id: OrgId,
    /// Lower-cased, unique across Stagepad: log-in is by email alone.
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub status: Status,
    /// Part of every session token; bumping it ends all of the user's sessions.
    pub token_version: i32,
    pub created_at: TimeDateTimeWithTimeZone,
    /// The console language the user chose; none until they choose.
    pub language: Option<api::i18n::Locale>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrgId",
        to = "super::organization::Column::Id"
    )]
    Organization,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
