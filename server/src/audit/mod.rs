//! The audit log: who did what, when, from where. Entries are written in the same transaction
//! as the change they describe, and never contain secrets.

pub mod routes;

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
use crate::paging::{Key, PageRequest};

/// Who acted: a logged-in user, or someone identified only by the account they tried.
pub struct Actor {
    pub user_id: Option<UserId>,
    pub label: Option<String>,
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
    detail: impl Into<String>,
    client: &ClientAddress,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        org_id: Set(org_id),
        actor_user_id: Set(actor.user_id),
        actor_label: Set(actor.label),
        action: Set(action.to_string()),
        detail: Set(detail.into()),
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
                actor: row.actor_label,
                action: row.action,
                detail: row.detail,
                client_address: row.client_address,
            })
            .collect(),
        next_cursor,
    })
}
