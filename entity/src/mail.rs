use api::i18n::Locale;
use api::{InvitationId, MailId, MailPurpose, MailStatus, OrgId, PadId, UserId};
use sea_orm::entity::prelude::*;

/// An e-mail to send, written in the same transaction as what asks for it (the outbox), then
/// sent once by a job. Its bodies carry single-use links, so they are sealed with the master
/// key and cleared once the mail server has answered for good.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: MailId,
    pub org_id: OrgId,
    pub purpose: MailPurpose,
    pub recipient: String,
    pub locale: Locale,
    pub subject: String,
    /// The plain-text and HTML bodies as JSON, sealed; none once sent or failed.
    pub body_sealed: Option<String>,
    /// The `Message-ID` header, chosen before the first attempt and kept for every retry.
    #[sea_orm(unique)]
    pub message_id: String,
    pub status: MailStatus,
    pub invitation_id: Option<InvitationId>,
    pub pad_id: Option<PadId>,
    pub requested_by_user_id: Option<UserId>,
    pub requested_by_name: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub sent_at: Option<TimeDateTimeWithTimeZone>,
    /// The mail server's last answer, or why sending failed (English, for the log).
    pub error: Option<String>,
    /// The failure as a catalog message (JSON), worded for each reader.
    pub error_message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::InOrg for Entity {
    fn org_column() -> Column {
        Column::OrgId
    }
}
