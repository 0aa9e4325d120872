use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One recorded action. `detail` is a sentence for people; it never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it (name and email), or none for an anonymous attempt.
    pub actor: Option<String>,
    /// A stable snake_case name, e.g. `login_failed`, `member_role_changed`.
    pub action: String,
    pub detail: String,
    pub client_address: Option<String>,
}

/// `GET /api/audit?cursor=<next_cursor>&limit=<n>` (admins): newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `cursor` to get the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}
