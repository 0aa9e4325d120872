//! The audit log: who did what, when, from where. Entries are written in the same transaction
//! as the change they describe, and never contain secrets.
//!
//! A detail is a catalog [`Message`]: its English wording goes in `detail` (for older readers and
//! whoever reads the database), its catalog key in `detail_key` and its values in
//! `detail_values`, a JSON list of [`stored::StoredValue`], so that `GET /api/audit` can word it in the
//! reader's language. Rows without a key (older ones, [`Message::Verbatim`] details), or whose key
//! the catalog no longer knows, are shown with their stored English `detail`.

pub mod routes;

use api::i18n::Locale;
use api::{OrgId, UserId};
use entity::InOrg;
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use time::OffsetDateTime;

use crate::error::ApiResult;
use crate::extract::{AuthUser, ClientAddress};
use crate::i18n::{Message, Text, stored};
use crate::paging::{Key, PageRequest};

/// Who acted: a logged-in user, or someone identified only by the account they tried.
pub struct Actor {
    pub user_id: Option<UserId>,
    pub label: Option<String>,
}

impl Actor {
    /// Stagepad itself, for work no one asked for then (a job's outcome, an automatic mail).
    pub fn system() -> Self {
        Actor {
            user_id: None,
            label: None,
        }
    }
}

impl From<&AuthUser> for Actor {
    fn from(user: &AuthUser) -> Self {
        Actor {
            user_id: Some(user.user_id),
            label: Some(user.label()),
        }
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    org_id: OrgId,
    actor: Actor,
    action: &'static str,
    detail: Message,
    client: &ClientAddress,
) -> Result<(), DbErr> {
    let stored = detail.stored();
    let detail_key = stored.as_ref().map(|stored| stored.key.clone());
    let detail_values =
        stored.map(|stored| serde_json::to_string(&stored.values).expect("stored values are JSON"));
    audit_event::ActiveModel {
        org_id: Set(org_id),
        actor_user_id: Set(actor.user_id),
        actor_label: Set(actor.label),
        action: Set(action.to_string()),
        detail: Set(detail.render(Locale::En)),
        detail_key: Set(detail_key),
        detail_values: Set(detail_values),
        client_address: Set(client.ip().map(|ip| ip.to_string())),
        created_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// One page of an organization's log, newest first (by id: the order they were written in).
pub async fn page(
    db: &impl ConnectionTrait,
    org_id: OrgId,
    page: &PageRequest,
    locale: Locale,
) -> ApiResult<api::AuditPage> {
    let mut query = audit_event::Entity::find_in_org(org_id);
    if let Some((_, before)) = page.after_id::<i64>()? {
        query = query.filter(audit_event::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(audit_event::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    let next_cursor = rows
        .last()
        .filter(|_| more)
        .map(|r| Key::encode(r.created_at, &r.id.to_string()));
    Ok(api::AuditPage {
        events: rows
            .into_iter()
            .map(|row| api::AuditEvent {
                id: row.id,
                at: row.created_at,
                detail: worded(&row, locale).unwrap_or(row.detail),
                actor: row.actor_label,
                action: row.action,
                client_address: row.client_address,
            })
            .collect(),
        next_cursor,
    })
}

/// A role's name in audit details: `msg(..).with_text("role", role_name(role))`.
pub fn role_name(role: api::Role) -> Text {
    match role {
        api::Role::Admin => Text::RoleAdmin,
        api::Role::Member => Text::RoleMember,
    }
}

/// A Lever environment's name in audit details.
pub fn lever_environment_name(environment: api::LeverEnvironment) -> Text {
    match environment {
        api::LeverEnvironment::Production => Text::LeverEnvironmentProduction,
        api::LeverEnvironment::Sandbox => Text::LeverEnvironmentSandbox,
        api::LeverEnvironment::Eu => Text::LeverEnvironmentEu,
        api::LeverEnvironment::Custom => Text::LeverEnvironmentCustom,
    }
}

/// A row's detail in `locale`, when its key and values can still be worded.
fn worded(row: &audit_event::Model, locale: Locale) -> Option<String> {
    stored::word_parts(
        row.detail_key.as_deref()?,
        row.detail_values.as_deref(),
        locale,
    )
}
