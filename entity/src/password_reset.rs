use api::{OrgId, UserId};
use sea_orm::entity::prelude::*;

/// A password reset link: single-use, short-lived, its token stored only as its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "password_resets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub created_at: TimeDateTimeWithTimeZone,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub used_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Neither used, replaced nor expired (a replaced link is marked used).
    pub fn is_open(&self, now: TimeDateTimeWithTimeZone) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
