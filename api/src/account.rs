use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

text_enum! {
    /// What an organization may use; no payment is processed. Lever needs `enterprise`.
    pub enum Plan {
        Personal = "personal",
        Team = "team",
        Enterprise = "enterprise",
    }
}

impl Plan {
    pub fn includes_lever(self) -> bool {
        self == Plan::Enterprise
    }

    /// How many active members the plan allows, if it limits them (Personal: one interviewer).
    pub fn member_limit(self) -> Option<u64> {
        match self {
            Plan::Personal => Some(1),
            Plan::Team | Plan::Enterprise => None,
        }
    }
}

text_enum! {
    /// `admin`: members, roles, plan, integrations, audit log. `member`: pads and playback.
    pub enum Role {
        Admin = "admin",
        Member = "member",
    }
}

/// `POST /api/signup`: creates the organization and its first admin, and logs them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    pub org_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub plan: Plan,
}

/// `POST /api/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `PUT /api/me/password`: other sessions of this user end; this one continues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// `PUT /api/me/name`: the name others see; answers the new [`MeResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeNameRequest {
    pub name: String,
}

/// `PUT /api/me/email`: the address to log in with, confirmed by the current password (failures
/// count with log-in's); answers the new [`MeResponse`]. The sessions stay open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeEmailRequest {
    pub current_password: String,
    pub new_email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: crate::UserId,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationSummary {
    pub id: crate::OrgId,
    pub name: String,
    pub plan: Plan,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `GET /api/me` (and the answer to sign-up, log-in and joining): who is logged in, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeResponse {
    pub user: UserSummary,
    pub organization: OrganizationSummary,
    pub role: Role,
    /// The console language the user chose, if they chose one (else the browser's is used).
    #[serde(default)]
    pub language: Option<crate::i18n::Locale>,
    /// Whether this Stagepad sends e-mail (invitations, pad links); when not, links are copied
    /// by hand.
    #[serde(default)]
    pub mail_configured: bool,
}

/// `PUT /api/me/language`: the console's language for this user, wherever they log in;
/// answers the new [`MeResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeLanguageRequest {
    pub language: crate::i18n::Locale,
}

/// `PUT /api/organization/plan` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePlanRequest {
    pub plan: Plan,
}

/// `PUT /api/organization/name` (admins): answers the renamed [`OrganizationSummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RenameOrganizationRequest {
    pub name: String,
}
