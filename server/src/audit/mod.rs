//! The audit log: who did what, when, from where. Entries are written in the same transaction
//! as the change they describe, and never contain secrets.
//!
//! A detail is a catalog [`Message`]: its English wording goes in `detail` (for older readers and
//! whoever reads the database), its catalog key in `detail_key` and its values in
//! `detail_values`, a JSON list of [`StoredValue`], so that `GET /api/audit` can word it in the
//! reader's language. Rows without a key (older ones, [`Message::Verbatim`] details), or whose key
//! the catalog no longer knows, are shown with their stored English `detail`.

pub mod routes;

use api::i18n::{Locale, fill};
use api::{OrgId, UserId};
use entity::InOrg;
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::ApiResult;
use crate::extract::{AuthUser, ClientAddress};
use crate::i18n::{Message, Text};
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
    detail: Message,
    client: &ClientAddress,
) -> Result<(), DbErr> {
    let (detail_key, detail_values) = match stored(&detail) {
        Some((key, values)) => (
            Some(key.to_string()),
            Some(serde_json::to_string(&values).expect("json")),
        ),
        None => (None, None),
    };
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

/// One placeholder's value in `detail_values`: `{"name": "plan", "value": "plan.team",
/// "is_text": true}` is a catalog text (its key), worded in the reader's language;
/// `is_text: false` is words quoted as they are (names, addresses, ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValue {
    pub name: String,
    pub value: String,
    pub is_text: bool,
}

/// A detail's key and values as stored; `None` for words with no catalog text (verbatim), or
/// whose values cannot be stored as such (a catalog text that has values of its own).
fn stored(detail: &Message) -> Option<(&'static str, Vec<StoredValue>)> {
    let Message::Text(text, values) = detail else {
        return None;
    };
    let values = values
        .iter()
        .map(|(name, value)| match value {
            Message::Verbatim(words) => Some(StoredValue {
                name: name.to_string(),
                value: words.clone(),
                is_text: false,
            }),
            Message::Text(inner, inner_values) if inner_values.is_empty() => Some(StoredValue {
                name: name.to_string(),
                value: inner.key().to_string(),
                is_text: true,
            }),
            Message::Text(..) => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((text.key(), values))
}

fn text_of(key: &str) -> Option<Text> {
    Text::ALL.iter().copied().find(|text| text.key() == key)
}

/// A row's detail in `locale`, when its key and every text value are still in the catalog and
/// every placeholder has a value.
fn worded(row: &audit_event::Model, locale: Locale) -> Option<String> {
    let text = text_of(row.detail_key.as_deref()?)?;
    let values: Vec<StoredValue> = match row.detail_values.as_deref() {
        Some(json) => serde_json::from_str(json).ok()?,
        None => Vec::new(),
    };
    let words = values
        .iter()
        .map(|v| {
            let words = if v.is_text {
                text_of(&v.value)?.get(locale).to_string()
            } else {
                v.value.clone()
            };
            Some((v.name.as_str(), words))
        })
        .collect::<Option<Vec<_>>>()?;
    let template = text.get(locale);
    // The catalog may have changed its placeholders since: then the English stays.
    let names = placeholders(template);
    if !names
        .iter()
        .all(|name| words.iter().any(|(n, _)| n == name))
    {
        return None;
    }
    let words: Vec<(&str, &str)> = words.iter().map(|(n, w)| (*n, w.as_str())).collect();
    Some(fill(template, &words))
}

/// The `{name}`s of a catalog text.
fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{msg, plan_name};

    fn row(detail: &Message) -> audit_event::Model {
        let (key, values) = stored(detail).unwrap();
        audit_event::Model {
            id: 1,
            org_id: OrgId::random(),
            actor_user_id: None,
            actor_label: None,
            action: "plan_changed".into(),
            detail: detail.render(Locale::En),
            detail_key: Some(key.into()),
            detail_values: Some(serde_json::to_string(&values).unwrap()),
            client_address: None,
            created_at: OffsetDateTime::now_utc(),
        }
    }

    #[test]
    fn a_stored_detail_is_worded_in_each_language() {
        let detail = msg(Text::AuditDetailPlanChanged)
            .with_text("from", plan_name(api::Plan::Team))
            .with_text("to", plan_name(api::Plan::Enterprise));
        let row = row(&detail);
        assert_eq!(row.detail, "Changed the plan from Team to Enterprise");
        assert_eq!(worded(&row, Locale::En).unwrap(), row.detail);
        assert_eq!(
            worded(&row, Locale::Fr).unwrap(),
            "Passage de l'offre Équipe à l'offre Entreprise"
        );
    }

    #[test]
    fn unknown_keys_and_missing_values_fall_back_to_the_english() {
        let detail = msg(Text::AuditDetailMemberRemoved).with("member", "Ada");
        let mut gone = row(&detail);
        gone.detail_key = Some("audit.detail.no_longer_here".into());
        assert_eq!(worded(&gone, Locale::Fr), None);
        let mut missing = row(&detail);
        missing.detail_values = Some("[]".into());
        assert_eq!(worded(&missing, Locale::Fr), None);
        let mut unreadable = row(&detail);
        unreadable.detail_values = Some("not json".into());
        assert_eq!(worded(&unreadable, Locale::Fr), None);
        assert_eq!(stored(&Message::Verbatim("as is".into())), None);
    }
}
