//! Members, invitations and plans. Changes that could leave an organization without an active
//! admin take a lock on the organization row first, so two admins demoting each other at the
//! same moment cannot both succeed.

use api::{ErrorCode, InvitationId, OrgId, UserId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::InOrg;
use entity::{invitation, organization, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::audit::{self, Actor, role_name};
use crate::auth::password::check_new_password;
use crate::auth::service::{SignedIn, label, new_user, on_unique_violation, too_many};
use crate::error::{ApiError, ApiResult};
use crate::extract::{AdminUser, AuthUser, ClientAddress};
use crate::i18n::{Text, msg, plan_name};
use crate::mail::{self, compose};
use crate::paging::{self, PageRequest};
use crate::secrets::token_hash;
use crate::state::AppState;
use crate::{validate, wire};

pub const INVITATION_DAYS: i64 = 7;

fn member_not_found() -> ApiError {
    ApiError::not_found(msg(Text::OrgsNoSuchMember))
}

fn invitation_not_found() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        ErrorCode::InvitationNotFound,
        msg(Text::OrgsInvitationNotValid),
    )
}

fn already_registered() -> ApiError {
    ApiError::conflict(ErrorCode::EmailTaken, msg(Text::OrgsAlreadyRegistered))
}

fn organization_gone() -> ApiError {
    ApiError::not_found(msg(Text::OrgsOrganizationGone))
}

pub async fn organization(state: &AppState, user: &AuthUser) -> ApiResult<organization::Model> {
    organization::Entity::find_by_id(user.org_id)
        .one(&state.db)
        .await?
        .ok_or_else(organization_gone)
}

/// Whether the organization's plan includes the Lever integration (Enterprise). Asked each
/// time Lever is used, not only at setup: a downgrade takes effect at once.
pub async fn plan_includes_lever(
    db: &impl ConnectionTrait,
    org_id: OrgId,
) -> Result<bool, sea_orm::DbErr> {
    Ok(organization::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .is_some_and(|org| org.plan == organization::Plan::Enterprise))
}

/// Whether an operator disabled the organization (`stagepad org disable`). Asked on every
/// request that a session, a pad link or the log-in form makes: enabling and disabling take
/// effect at once.
/// What a member of a disabled organization is told when they try to get in (log in, accept
/// an invitation, use a password reset link).
pub fn refused_while_disabled() -> ApiError {
    ApiError::forbidden(
        ErrorCode::OrganizationDisabled,
        msg(Text::AuthOrganizationDisabled),
    )
}

pub async fn is_disabled(db: &impl ConnectionTrait, org_id: OrgId) -> Result<bool, sea_orm::DbErr> {
    Ok(organization::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .is_some_and(|org| org.is_disabled()))
}

pub async fn change_plan(
    state: &AppState,
    admin: &AdminUser,
    plan: api::Plan,
    client: &ClientAddress,
) -> ApiResult<organization::Model> {
    let txn = state.db.begin().await?;
    let org = lock_organization(&txn, admin.org_id).await?;
    let before = wire::plan(org.plan);
    if before == plan {
        return Ok(org);
    }
    if let Some(limit) = plan.member_limit() {
        let active = active_members(&txn, admin.org_id).await?;
        if active > limit {
            return Err(ApiError::conflict(
                ErrorCode::PlanLimit,
                msg(Text::OrgsPlanLimitTooManyActive)
                    .with_text("plan", plan_name(plan))
                    .with("active", active),
            ));
        }
    }
    let mut changed: organization::ActiveModel = org.into();
    changed.plan = Set(wire::db_plan(plan));
    let org = changed.update(&txn).await?;
    audit::record(
        &txn,
        admin.org_id,
        admin.user().into(),
        "plan_changed",
        msg(Text::AuditDetailPlanChanged)
            .with_text("from", plan_name(before))
            .with_text("to", plan_name(plan)),
        client,
    )
    .await?;
    txn.commit().await?;
    state.webhooks.changed(&state.db, admin.org_id).await;
    Ok(org)
}

/// Renames the organization, with the same rule as its name at sign-up.
pub async fn rename_organization(
    state: &AppState,
    admin: &AdminUser,
    request: api::RenameOrganizationRequest,
    client: &ClientAddress,
) -> ApiResult<organization::Model> {
    let name = validate::name("name", &request.name)?;
    let txn = state.db.begin().await?;
    // Locked, so that the audit log's "from" is the name this rename replaced.
    let org = lock_organization(&txn, admin.org_id).await?;
    if org.name == name {
        return Ok(org);
    }
    let before = org.name.clone();
    let mut changed: organization::ActiveModel = org.into();
    changed.name = Set(name);
    let org = changed.update(&txn).await?;
    audit::record(
        &txn,
        admin.org_id,
        admin.user().into(),
        "organization_renamed",
        msg(Text::AuditDetailOrganizationRenamed)
            .with("old", format!("{before:?}"))
            .with("new", format!("{:?}", org.name)),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(org)
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Part of the name or the email, any case.
    pub q: Option<String>,
    /// Members per page: 1 to 200, 50 when absent.
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of the organization's members, oldest first, and every open invitation (they
/// expire after a week, so there are never many).
pub async fn members(
    state: &AppState,
    admin: &AdminUser,
    query: &MembersQuery,
) -> ApiResult<api::MembersResponse> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut select = user::Entity::find_in_org(admin.org_id);
    if let Some(pattern) = paging::search_pattern(query.q.as_deref())? {
        select = select.filter(
            Condition::any()
                .add(paging::contains(user::Column::Name, &pattern))
                .add(paging::contains(user::Column::Email, &pattern)),
        );
    }
    let (users, next_cursor) = paging::fetch(
        &state.db,
        select,
        (user::Column::CreatedAt, user::Column::Id),
        paging::Direction::OldestFirst,
        page.limit,
        page.after_id::<Uuid>()?,
        |u| paging::Key {
            at: u.created_at,
            id: u.id.to_string(),
        },
    )
    .await?;
    let now = OffsetDateTime::now_utc();
    let invitations = invitation::Entity::find_in_org(admin.org_id)
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .order_by_desc(invitation::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let open: Vec<&invitation::Model> = invitations.iter().filter(|i| i.is_open(now)).collect();
    let mails = entity::mail::Entity::find_in_org(admin.org_id)
        .filter(entity::mail::Column::InvitationId.is_in(open.iter().map(|i| i.id)))
        .order_by_desc(entity::mail::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let locale = crate::i18n::request_locale();
    Ok(api::MembersResponse {
        members: users.iter().map(wire::member).collect(),
        invitations: open
            .into_iter()
            .map(|i| api::PendingInvitation {
                // The newest first: the one its current link went out in.
                mail: mails
                    .iter()
                    .find(|m| m.invitation_id == Some(i.id))
                    .map(|m| mail::view(m, locale)),
                ..wire::pending_invitation(i)
            })
            .collect(),
        next_cursor,
    })
}

pub async fn update_member(
    state: &AppState,
    admin: &AdminUser,
    member_id: UserId,
    request: api::UpdateMemberRequest,
    client: &ClientAddress,
) -> ApiResult<api::Member> {
    let txn = state.db.begin().await?;
    let org = lock_organization(&txn, admin.org_id).await?;
    let member = find_member(&txn, admin.org_id, member_id).await?;
    let new_role = request.role.map(wire::db_role).unwrap_or(member.role);
    let new_status = request.status.map(wire::db_status).unwrap_or(member.status);
    if new_role == member.role && new_status == member.status {
        return Ok(wire::member(&member));
    }
    if new_status == user::Status::Active && member.status != user::Status::Active {
        ensure_room_for_a_member(&txn, &org, Asking::Admin).await?;
    }
    let stays_active_admin = new_role == user::Role::Admin && new_status == user::Status::Active;
    if !stays_active_admin {
        ensure_another_active_admin(&txn, &member).await?;
    }
    let mut changes = Vec::new();
    if new_role != member.role {
        changes.push((
            "member_role_changed",
            msg(Text::AuditDetailMemberRoleChanged)
                .with("member", label(&member))
                .with_text("from", role_name(wire::role(member.role)))
                .with_text("to", role_name(wire::role(new_role))),
        ));
    }
    if new_status != member.status {
        let (action, text) = match new_status {
            user::Status::Deactivated => ("member_deactivated", Text::AuditDetailMemberDeactivated),
            user::Status::Active => ("member_reactivated", Text::AuditDetailMemberReactivated),
        };
        changes.push((action, msg(text).with("member", label(&member))));
    }
    let mut changed: user::ActiveModel = member.clone().into();
    changed.role = Set(new_role);
    changed.status = Set(new_status);
    if new_status == user::Status::Deactivated {
        // Their open sessions end with the next request.
        changed.token_version = Set(member.token_version + 1);
    }
    let updated = changed.update(&txn).await?;
    for (action, detail) in changes {
        audit::record(
            &txn,
            admin.org_id,
            admin.user().into(),
            action,
            detail,
            client,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(wire::member(&updated))
}

pub async fn remove_member(
    state: &AppState,
    admin: &AdminUser,
    member_id: UserId,
    client: &ClientAddress,
) -> ApiResult<()> {
    let txn = state.db.begin().await?;
    lock_organization(&txn, admin.org_id).await?;
    let member = find_member(&txn, admin.org_id, member_id).await?;
    ensure_another_active_admin(&txn, &member).await?;
    user::Entity::delete_in_org(admin.org_id)
        .filter(user::Column::Id.eq(member.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        admin.org_id,
        admin.user().into(),
        "member_removed",
        msg(Text::AuditDetailMemberRemoved).with("member", label(&member)),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn find_member(
    txn: &DatabaseTransaction,
    org_id: OrgId,
    member_id: UserId,
) -> ApiResult<user::Model> {
    user::Entity::find_in_org(org_id)
        .filter(user::Column::Id.eq(member_id))
        .one(txn)
        .await?
        .ok_or_else(member_not_found)
}

/// Refuses a change that takes `member` out of the active admins when no other one is left.
async fn ensure_another_active_admin(
    txn: &DatabaseTransaction,
    member: &user::Model,
) -> ApiResult<()> {
    if member.role != user::Role::Admin || member.status != user::Status::Active {
        return Ok(());
    }
    let others = user::Entity::find_in_org(member.org_id)
        .filter(user::Column::Role.eq(user::Role::Admin))
        .filter(user::Column::Status.eq(user::Status::Active))
        .filter(user::Column::Id.ne(member.id))
        .count(txn)
        .await?;
    if others == 0 {
        return Err(ApiError::conflict(
            ErrorCode::LastAdmin,
            msg(Text::OrgsLastAdmin).with("name", &member.name),
        ));
    }
    Ok(())
}

async fn lock_organization(
    txn: &DatabaseTransaction,
    org_id: OrgId,
) -> ApiResult<organization::Model> {
    organization::Entity::find_by_id(org_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(organization_gone)
}

/// Active members of the organization: what a plan's member limit counts.
async fn active_members(db: &impl ConnectionTrait, org_id: OrgId) -> ApiResult<u64> {
    Ok(user::Entity::find_in_org(org_id)
        .filter(user::Column::Status.eq(user::Status::Active))
        .count(db)
        .await?)
}

/// Who meets a plan's member limit: the admin who would add someone, or the person invited.
#[derive(Clone, Copy)]
enum Asking {
    Admin,
    Invitee,
}

/// Refuses another active member when the organization's plan has no room for one.
async fn ensure_room_for_a_member(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    asking: Asking,
) -> ApiResult<()> {
    let plan = wire::plan(org.plan);
    match plan.member_limit() {
        Some(limit) if active_members(db, org.id).await? >= limit => {
            let message = match asking {
                Asking::Admin => msg(Text::OrgsPlanLimitNoRoom).with_text("plan", plan_name(plan)),
                Asking::Invitee => msg(Text::OrgsPlanLimitInvitee).with("organization", &org.name),
            };
            Err(ApiError::forbidden(ErrorCode::PlanLimit, message))
        }
        _ => Ok(()),
    }
}

/// The mail limits for one more mail to `email`, as a 429 when they are reached.
async fn mail_room(state: &AppState, org_id: OrgId, email: &str) -> ApiResult<()> {
    mail::deliverable(email)?;
    let limits = state.settings.mail_limits;
    let purpose = api::MailPurpose::Invitation;
    let now = OffsetDateTime::now_utc();
    mail::check_limits(&state.db, limits, org_id, email, purpose, now)
        .await?
        .map_err(|wait| too_many(Text::MailErrorTooMany, wait))
}

/// Queues the invitation's e-mail with its link, in the caller's transaction, when this
/// Stagepad sends e-mail.
async fn queue_invitation_mail(
    state: &AppState,
    txn: &DatabaseTransaction,
    admin: &AdminUser,
    org: &organization::Model,
    invitation: &invitation::Model,
    link: &str,
) -> ApiResult<()> {
    let Some(outbox) = state.outbox() else {
        return Ok(());
    };
    let locale = crate::i18n::request_locale();
    let composed = compose::invitation(
        locale,
        &org.name,
        &admin.name,
        role_name(wire::role(invitation.role)),
        link,
        invitation.expires_at,
    );
    let draft = mail::Draft {
        purpose: api::MailPurpose::Invitation,
        recipient: invitation.email.clone(),
        locale,
        subject: composed.subject,
        text: composed.text,
        html: composed.html,
        invitation_id: Some(invitation.id),
        pad_id: None,
        requested_by: Some(mail::RequestedBy {
            user_id: admin.user_id,
            name: admin.name.clone(),
        }),
    };
    mail::queue(txn, &outbox, org.id, draft, OffsetDateTime::now_utc())
        .await?
        .map(|_| ())
        .map_err(|wait| too_many(Text::MailErrorTooMany, wait))
}

fn invitation_link(state: &AppState, token: &str) -> String {
    format!("{}/invite/{token}", state.settings.public_url)
}

/// The invitation with its latest mail, as the answer to creating or resending it.
async fn invitation_created(
    state: &AppState,
    invitation: &invitation::Model,
    link: String,
) -> ApiResult<api::InvitationCreated> {
    let latest = entity::mail::Entity::find_in_org(invitation.org_id)
        .filter(entity::mail::Column::InvitationId.eq(invitation.id))
        .order_by_desc(entity::mail::Column::CreatedAt)
        .one(&state.db)
        .await?;
    Ok(api::InvitationCreated {
        invitation: api::PendingInvitation {
            mail: latest.map(|m| mail::view(&m, crate::i18n::request_locale())),
            ..wire::pending_invitation(invitation)
        },
        link,
    })
}

pub async fn create_invitation(
    state: &AppState,
    admin: &AdminUser,
    request: api::CreateInvitationRequest,
    client: &ClientAddress,
) -> ApiResult<api::InvitationCreated> {
    let email = validate::email(&request.email)?;
    let org = organization(state, admin.user()).await?;
    ensure_room_for_a_member(&state.db, &org, Asking::Admin).await?;
    if state.settings.mail.is_some() {
        mail_room(state, admin.org_id, &email).await?;
    }
    state
        .throttle
        .invitation(admin.org_id)
        .map_err(|wait| too_many(Text::OrgsTooManyInvitations, wait))?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .count(&state.db)
        .await?
        > 0
    {
        return Err(already_registered());
    }
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let now = OffsetDateTime::now_utc();
    let txn = state.db.begin().await?;
    mail::take_turn(&txn, admin.org_id).await?;
    // A new invitation replaces any earlier one to the same address, and stops its mail.
    let replaced = invitation::Entity::find_in_org(admin.org_id)
        .filter(invitation::Column::Email.eq(&email))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .all(&txn)
        .await?;
    for earlier in &replaced {
        mail::cancel_for_invitation(&txn, admin.org_id, earlier.id).await?;
    }
    invitation::Entity::update_in_org(admin.org_id)
        .col_expr(
            invitation::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(invitation::Column::Email.eq(&email))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let created = invitation::ActiveModel {
        id: Set(InvitationId::random()),
        org_id: Set(admin.org_id),
        email: Set(email.clone()),
        role: Set(wire::db_role(request.role)),
        token_hash: Set(token_hash(&token)),
        invited_by_user_id: Set(Some(admin.user_id)),
        invited_by_name: Set(admin.name.clone()),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(INVITATION_DAYS)),
        accepted_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let link = invitation_link(state, &token);
    queue_invitation_mail(state, &txn, admin, &org, &created, &link).await?;
    audit::record(
        &txn,
        admin.org_id,
        admin.user().into(),
        "invitation_created",
        msg(Text::AuditDetailInvitationCreated)
            .with("email", &email)
            .with_text("role", role_name(request.role)),
        client,
    )
    .await?;
    txn.commit().await?;
    state.job_signal.wake();
    invitation_created(state, &created, link).await
}

/// Sends an open invitation again with a new link (the old one stops working) and a new week.
pub async fn resend_invitation(
    state: &AppState,
    admin: &AdminUser,
    invitation_id: InvitationId,
    client: &ClientAddress,
) -> ApiResult<api::InvitationCreated> {
    let org = organization(state, admin.user()).await?;
    let now = OffsetDateTime::now_utc();
    let found = invitation::Entity::find_in_org(admin.org_id)
        .filter(invitation::Column::Id.eq(invitation_id))
        .one(&state.db)
        .await?
        .filter(|i| i.is_open(now))
        .ok_or_else(|| ApiError::not_found(msg(Text::OrgsNoSuchOpenInvitation)))?;
    if state.settings.mail.is_some() {
        mail_room(state, admin.org_id, &found.email).await?;
    }
    state
        .throttle
        .invitation(admin.org_id)
        .map_err(|wait| too_many(Text::OrgsTooManyInvitations, wait))?;
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let txn = state.db.begin().await?;
    mail::take_turn(&txn, admin.org_id).await?;
    mail::cancel_for_invitation(&txn, admin.org_id, found.id).await?;
    let renewed = invitation::Entity::update_in_org(admin.org_id)
        .col_expr(
            invitation::Column::TokenHash,
            sea_orm::sea_query::Expr::value(token_hash(&token)),
        )
        .col_expr(
            invitation::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(now + Duration::days(INVITATION_DAYS)),
        )
        .filter(invitation::Column::Id.eq(found.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if renewed.rows_affected != 1 {
        // Accepted or revoked since it was read.
        return Err(ApiError::not_found(msg(Text::OrgsNoSuchOpenInvitation)));
    }
    let renewed = invitation::Model {
        token_hash: token_hash(&token),
        expires_at: now + Duration::days(INVITATION_DAYS),
        ..found
    };
    let link = invitation_link(state, &token);
    queue_invitation_mail(state, &txn, admin, &org, &renewed, &link).await?;
    audit::record(
        &txn,
        admin.org_id,
        admin.user().into(),
        "invitation_resent",
        msg(Text::AuditDetailInvitationResent).with("email", &renewed.email),
        client,
    )
    .await?;
    txn.commit().await?;
    state.job_signal.wake();
    invitation_created(state, &renewed, link).await
}

pub async fn revoke_invitation(
    state: &AppState,
    admin: &AdminUser,
    invitation_id: InvitationId,
    client: &ClientAddress,
) -> ApiResult<()> {
    let txn = state.db.begin().await?;
    mail::take_turn(&txn, admin.org_id).await?;
    let found = invitation::Entity::find_in_org(admin.org_id)
        .filter(invitation::Column::Id.eq(invitation_id))
        .one(&txn)
        .await?
        .filter(|i| i.is_open(OffsetDateTime::now_utc()))
        .ok_or_else(|| ApiError::not_found(msg(Text::OrgsNoSuchOpenInvitation)))?;
    let email = found.email.clone();
    mail::cancel_for_invitation(&txn, admin.org_id, found.id).await?;
    let mut revoked: invitation::ActiveModel = found.into();
    revoked.revoked_at = Set(Some(OffsetDateTime::now_utc()));
    revoked.update(&txn).await?;
    audit::record(
        &txn,
        admin.org_id,
        admin.user().into(),
        "invitation_revoked",
        msg(Text::AuditDetailInvitationRevoked).with("email", &email),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An open invitation and its organization, found by the link's token.
async fn open_invitation(
    db: &impl ConnectionTrait,
    token: &str,
) -> ApiResult<(invitation::Model, organization::Model)> {
    let found = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(token_hash(token)))
        .find_also_related(organization::Entity)
        .one(db)
        .await?;
    match found {
        Some((invitation, Some(org))) if invitation.is_open(OffsetDateTime::now_utc()) => {
            Ok((invitation, org))
        }
        _ => Err(invitation_not_found()),
    }
}

pub async fn preview_invitation(
    state: &AppState,
    token: &str,
) -> ApiResult<api::InvitationPreview> {
    let (invitation, org) = open_invitation(&state.db, token).await?;
    // Said before the invitee picks a password, not after.
    ensure_room_for_a_member(&state.db, &org, Asking::Invitee).await?;
    Ok(api::InvitationPreview {
        organization_name: org.name,
        email: invitation.email,
        role: wire::role(invitation.role),
        invited_by: invitation.invited_by_name,
        expires_at: invitation.expires_at,
    })
}

pub async fn accept_invitation(
    state: &AppState,
    token: &str,
    request: api::AcceptInvitationRequest,
    client: &ClientAddress,
) -> ApiResult<SignedIn> {
    let name = validate::name("name", &request.name)?;
    let (invitation, org) = open_invitation(&state.db, token).await?;
    // Refused before the link is used up: it works again once the organization is enabled.
    if org.is_disabled() {
        return Err(refused_while_disabled());
    }
    check_new_password(&request.password, &invitation.email)?;
    let password_hash = state.passwords.hash(request.password).await?;
    let now = OffsetDateTime::now_utc();

    let txn = state.db.begin().await?;
    // The plan as it is now: the invitation may be older than a change to Personal.
    let org = lock_organization(&txn, invitation.org_id).await?;
    if org.is_disabled() {
        return Err(refused_while_disabled());
    }
    ensure_room_for_a_member(&txn, &org, Asking::Invitee).await?;
    // Single use: only the request that flips accepted_at from empty goes on.
    let claimed = invitation::Entity::update_in_org(invitation.org_id)
        .col_expr(
            invitation::Column::AcceptedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(invitation::Column::Id.eq(invitation.id))
        // The link as it is now: a resend since this link was opened makes it dead.
        .filter(invitation::Column::TokenHash.eq(token_hash(token)))
        .filter(invitation::Column::ExpiresAt.gt(now))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(invitation_not_found());
    }
    mail::cancel_for_invitation(&txn, invitation.org_id, invitation.id).await?;
    let user = new_user(
        invitation.org_id,
        invitation.email.clone(),
        name,
        password_hash,
        invitation.role,
        now,
    )
    .insert(&txn)
    .await
    .map_err(|e| on_unique_violation(e, already_registered))?;
    audit::record(
        &txn,
        invitation.org_id,
        Actor {
            user_id: Some(user.id),
            label: Some(label(&user)),
        },
        "member_joined",
        msg(Text::AuditDetailMemberJoined)
            .with_text("role", role_name(wire::role(user.role)))
            .with("inviter", &invitation.invited_by_name),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(SignedIn {
        user,
        organization: org,
    })
}
