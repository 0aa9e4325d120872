use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Role;

text_enum! {
    /// Whether a member can log in.
    pub enum MemberStatus {
        Active = "active",
        /// Cannot log in; can be reactivated.
        Deactivated = "deactivated",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub id: crate::UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub status: MemberStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
}

/// An invitation not yet accepted. Its link is shown only once, when it is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingInvitation {
    pub id: crate::InvitationId,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The invitation's latest e-mail; none when it was not e-mailed (no mail server, or
    /// an older invitation).
    #[serde(default)]
    pub mail: Option<crate::MailView>,
}

/// `GET /api/members?q=&cursor=&limit=` (admins): one page of the organization's members,
/// oldest first, and every open invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembersResponse {
    pub members: Vec<Member>,
    pub invitations: Vec<PendingInvitation>,
    /// Pass as `cursor` for the next page of members; absent on the last page.
    pub next_cursor: Option<String>,
}

/// `PATCH /api/members/{id}` (admins): change the role, or deactivate/reactivate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MemberStatus>,
}

/// `POST /api/invitations` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInvitationRequest {
    pub email: String,
    pub role: Role,
}

/// The answer to creating (or resending, `POST /api/invitations/{id}/resend`) an invitation:
/// the single-use link to hand to the invitee, also e-mailed to them when this Stagepad sends
/// e-mail. A resend makes a new link; the old one stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationCreated {
    pub invitation: PendingInvitation,
    /// `<public URL>/invite/<token>`; valid once, for 7 days.
    pub link: String,
}

/// `GET /api/invitations/{token}` (no login): what the invitee is joining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationPreview {
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `POST /api/invitations/{token}/accept` (no login): joins and logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    pub name: String,
    pub password: String,
}
