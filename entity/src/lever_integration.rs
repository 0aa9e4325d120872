use api::{OrgId, UserId};
use sea_orm::entity::prelude::*;

pub use api::LeverEnvironment as Environment;

/// An organization's Lever connection (at most one). Secrets are stored sealed by the server's
/// keyring; the webhook key is looked up by its SHA-256 and kept sealed for display.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lever_integrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    pub environment: Environment,
    pub base_url: String,
    pub api_key_sealed: Option<String>,
    pub api_key_last4: Option<String>,
    /// JSON: `[{"id": "...", "name": "..."}]`, the stages that create pads.
    pub selected_stages: String,
    /// JSON: the stage ids Lever had when last asked; a selected id not among them is flagged.
    pub known_stage_ids: Option<String>,
    #[sea_orm(unique)]
    pub webhook_key_hash: Option<String>,
    pub webhook_key_sealed: Option<String>,
    pub signature_token_sealed: Option<String>,
    pub pad_owner_id: Option<UserId>,
    /// The pad owner's Lever user (matched by email), whom links and notes are made as; none
    /// when Lever has no such user or the key cannot read users.
    pub lever_author_id: Option<String>,
    pub lever_author_name: Option<String>,
    /// Lever has the owner's email only on a deactivated user (step 4 explains it).
    pub lever_author_deactivated: bool,
    /// Why Lever refused a write (403) after the key passed step 1; cleared when a key is
    /// saved again and passes.
    pub permission_missing: Option<String>,
    /// Whether the key was created with "Allow access to confidential data", as step 1 found;
    /// none when Lever's answer did not tell.
    pub confidential_access: Option<bool>,
    /// The key may read an opportunity's notes (an optional permission): a retried note is
    /// looked for in Lever before it is posted again.
    pub notes_readable: bool,
    /// The Lever feedback template "Send as feedback" files, as Lever named it when chosen;
    /// none until an admin picks one. Its questions are found again at each filing.
    pub feedback_template_id: Option<String>,
    pub feedback_template_name: Option<String>,
    pub tag: String,
    pub notes_enabled: bool,
    /// Post a results note (duration, language, participants, playback link) when a pad ends.
    pub results_notes_enabled: bool,
    /// E-mail the pad's link to the candidate when Lever makes a pad (needs e-mail configured).
    pub email_candidate_link: bool,
    pub verified_at: Option<TimeDateTimeWithTimeZone>,
    pub last_signature_failure_at: Option<TimeDateTimeWithTimeZone>,
    pub last_delivery_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    /// `permission_missing` as a catalog message (JSON), worded in each reader's language.
    pub permission_missing_message: Option<String>,
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
