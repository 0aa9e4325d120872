//! The audit log: who did what, when, from where. Entries are written in the same transaction
//! as the change they describe, and never contain secrets.

pub mod routes;

use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::extract::{AuthUser, ClientAddress};

/// Who acted: a logged-in user, or someone identified only by the account they tried.
pub struct Actor {
    pub user_id: Option<Uuid>,
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
    org_id: Uuid,
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
        client_address: Set(client.0.clone()),
        created_at: Set(OffsetDateTime::now_utc()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 200;

/// One page of an organization's log, newest first, older than `before` when given.
pub async fn page(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    before: Option<i64>,
    limit: u64,
) -> Result<api::AuditPage, DbErr> {
    let limit = limit.clamp(1, MAX_PAGE);
    let mut query = audit_event::Entity::find_in_org(org_id);
    if let Some(before) = before {
        query = query.filter(audit_event::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(audit_event::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_before = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
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
        next_cursor: next_before.map(|id| id.to_string()),
    })
}
