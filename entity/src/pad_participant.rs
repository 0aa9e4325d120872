use api::{PadId, UserId};
use sea_orm::entity::prelude::*;

/// Someone who joined a pad: a browser tab with a display name and a colour.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pad_participants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pad_id: PadId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub name: String,
    pub color: String,
    /// Set when a logged-in member joined.
    pub user_id: Option<UserId>,
    pub joined_at: TimeDateTimeWithTimeZone,
    /// SHA-256 (hex) of the secret a guest was given at their first join; rejoining under
    /// `client_id` needs it. None for members, whose session proves them.
    pub secret_hash: Option<String>,
    /// When the participant last joined, on the database's clock (several instances).
    pub connected_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
