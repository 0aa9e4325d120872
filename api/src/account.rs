use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// What an organization may use; no payment is processed. Lever needs `enterprise`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Personal,
    Team,
    Enterprise,
}

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Personal, Plan::Team, Plan::Enterprise];

    pub fn label(self) -> &'static str {
        match self {
            Plan::Personal => "Personal",
            Plan::Team => "Team",
            Plan::Enterprise => "Enterprise",
        }
    }

    pub fn includes_lever(self) -> bool {
        self == Plan::Enterprise
    }
}

/// `admin`: members, roles, plan, integrations, audit log. `member`: pads and playback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }
}

/// `POST /api/signup`: creates the organization and its first admin, and logs them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `PUT /api/me/password`: other sessions of this user end; this one continues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationSummary {
    pub id: Uuid,
    pub name: String,
    pub plan: Plan,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `GET /api/me` (and the answer to sign-up, log-in and joining): who is logged in, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeResponse {
    pub user: UserSummary,
    pub organization: OrganizationSummary,
    pub role: Role,
}

/// `PUT /api/organization/plan` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePlanRequest {
    pub plan: Plan,
}
