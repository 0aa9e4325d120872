use api::{OrgId, UserId};
use sea_orm::entity::prelude::*;

/// One recorded action in an organization. `detail` is written for people and never holds a
/// secret; the actor is kept as text too, so the entry survives the user's removal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: OrgId,
    pub actor_user_id: Option<UserId>,
    pub actor_label: Option<String>,
    pub action: String,
    pub detail: String,
    /// The detail's catalog key (`audit.detail.*`), to word it in the reader's language; `None`
    /// in rows older than that, which have only the English `detail`.
    pub detail_key: Option<String>,
    /// The detail's placeholder values: JSON `[{"name", "value", "is_text"}]`, `is_text` when
    /// `value` is a catalog key (a plan's name) rather than words quoted as they are.
    pub detail_values: Option<String>,
    pub client_address: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
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
