//! Conversions between database models and wire types: a sea-orm `Model` never goes on the wire.

use entity::{invitation, organization, user};

pub fn role(role: user::Role) -> api::Role {
    match role {
        user::Role::Admin => api::Role::Admin,
        user::Role::Member => api::Role::Member,
    }
}

pub fn db_role(role: api::Role) -> user::Role {
    match role {
        api::Role::Admin => user::Role::Admin,
        api::Role::Member => user::Role::Member,
    }
}

pub fn plan(plan: organization::Plan) -> api::Plan {
    match plan {
        organization::Plan::Personal => api::Plan::Personal,
        organization::Plan::Team => api::Plan::Team,
        organization::Plan::Enterprise => api::Plan::Enterprise,
    }
}

pub fn db_plan(plan: api::Plan) -> organization::Plan {
    match plan {
        api::Plan::Personal => organization::Plan::Personal,
        api::Plan::Team => organization::Plan::Team,
        api::Plan::Enterprise => organization::Plan::Enterprise,
    }
}

pub fn status(status: user::Status) -> api::MemberStatus {
    match status {
        user::Status::Active => api::MemberStatus::Active,
        user::Status::Deactivated => api::MemberStatus::Deactivated,
    }
}

pub fn db_status(status: api::MemberStatus) -> user::Status {
    match status {
        api::MemberStatus::Active => user::Status::Active,
        api::MemberStatus::Deactivated => user::Status::Deactivated,
    }
}

pub fn organization(org: &organization::Model) -> api::OrganizationSummary {
    api::OrganizationSummary {
        id: org.id,
        name: org.name.clone(),
        plan: plan(org.plan),
        created_at: org.created_at,
    }
}

pub fn me(user: &user::Model, org: &organization::Model, mail_configured: bool) -> api::MeResponse {
    api::MeResponse {
        user: api::UserSummary {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
        },
        organization: organization(org),
        role: role(user.role),
        language: user.language,
        mail_configured,
    }
}

pub fn member(user: &user::Model) -> api::Member {
    api::Member {
        id: user.id,
        name: user.name.clone(),
        email: user.email.clone(),
        role: role(user.role),
        status: status(user.status),
        joined_at: user.created_at,
    }
}

pub fn pending_invitation(invitation: &invitation::Model) -> api::PendingInvitation {
    api::PendingInvitation {
        id: invitation.id,
        email: invitation.email.clone(),
        role: role(invitation.role),
        invited_by: invitation.invited_by_name.clone(),
        created_at: invitation.created_at,
        expires_at: invitation.expires_at,
        mail: None,
    }
}
