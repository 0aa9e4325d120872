//! `stagepad org list | disable <id> | enable <id>`: what operators do to a tenant. Each
//! change is recorded in the organization's audit log, as Stagepad's own act.

use anyhow::Context;
use api::OrgId;
use entity::{organization, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::OrgCommand;
use crate::audit::{self, Actor};
use crate::extract::ClientAddress;
use crate::i18n::{Text, msg};
use crate::lever::webhook_cache::WebhookCache;
use crate::{Settings, db};

pub async fn run(settings: &Settings, command: OrgCommand) -> anyhow::Result<()> {
    let db = db::connect_existing(&settings.database_url)
        .await
        .context("cannot open the database (STAGEPAD_DATABASE_URL)")?;
    say!("In {}:", db::describe(&settings.database_url));
    let result = match command {
        OrgCommand::List => list(&db).await,
        OrgCommand::Disable { id } => change(&db, &id, OrgChange::Disable).await,
        OrgCommand::Enable { id } => change(&db, &id, OrgChange::Enable).await,
    };
    db.close().await.ok();
    result
}

async fn list(db: &DatabaseConnection) -> anyhow::Result<()> {
    let organizations = organization::Entity::find()
        .order_by_asc(organization::Column::CreatedAt)
        .all(db)
        .await?;
    // Active members, as a plan's limit counts them.
    let members: Vec<(OrgId, i64)> = user::Entity::find()
        .select_only()
        .column(user::Column::OrgId)
        .column_as(user::Column::Id.count(), "members")
        .filter(user::Column::Status.eq(user::Status::Active))
        .group_by(user::Column::OrgId)
        .into_tuple()
        .all(db)
        .await?;
    let rows: Vec<[String; 5]> = organizations
        .into_iter()
        .map(|org| {
            let count = members
                .iter()
                .find(|(id, _)| *id == org.id)
                .map_or(0, |(_, n)| *n);
            [
                org.id.to_string(),
                org.name.clone(),
                org.plan.as_str().to_string(),
                count.to_string(),
                match org.disabled_at {
                    Some(at) => format!("since {}", at.format(&Rfc3339).unwrap_or_default()),
                    None => "no".into(),
                },
            ]
        })
        .collect();
    say!(
        "{}",
        table(["ID", "NAME", "PLAN", "MEMBERS", "DISABLED"], &rows).trim_end()
    );
    if rows.is_empty() {
        say!("(no organizations yet)");
    }
    Ok(())
}

/// Columns padded to their widest cell (names may hold any character but a control one).
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let clean = |cell: &str| -> String {
        cell.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    let header: [String; N] = header.map(|h| h.to_string());
    let rows: Vec<[String; N]> = std::iter::once(&header)
        .chain(rows)
        .map(|row| row.clone().map(|cell| clean(&cell)))
        .collect();
    let widths: Vec<usize> = (0..N)
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgChange {
    Disable,
    Enable,
}

async fn change(db: &DatabaseConnection, id: &str, change: OrgChange) -> anyhow::Result<()> {
    let org_id: OrgId = id.trim().parse().map_err(|_| {
        anyhow::anyhow!("{id:?} is not an organization id (see `stagepad org list`)")
    })?;
    let (org, changed) = set_disabled(db, org_id, change).await?;
    let what = match change {
        OrgChange::Disable => "disabled",
        OrgChange::Enable => "enabled",
    };
    if changed {
        say!(
            "Organization {} ({}) is now {what}; the change is in its audit log.",
            org.name,
            org.id
        );
        if change == OrgChange::Disable {
            say!(
                "Its members cannot log in or use their sessions, its pads' links are refused \
                 and its Lever webhook answers 403 (Lever sees failed deliveries). Nothing is \
                 deleted: `stagepad org enable {}` undoes it.",
                org.id
            );
        }
    } else {
        say!(
            "Organization {} ({}) was {what} already; nothing changed.",
            org.name,
            org.id
        );
    }
    Ok(())
}

/// Disables or enables the organization and records it in its audit log, in one
/// transaction; answers the organization and whether anything changed. Running instances
/// hear of it at the commit (PostgreSQL; on SQLite the webhook reads it anew within a second,
/// sessions and links at their next request).
pub async fn set_disabled(
    db: &DatabaseConnection,
    org_id: OrgId,
    change: OrgChange,
) -> anyhow::Result<(organization::Model, bool)> {
    // Immediate on SQLite: a busy server makes it wait, not fail.
    let txn = db::begin_write(db).await?;
    let org = organization::Entity::find_by_id(org_id)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!("no organization has the id {org_id} (see `stagepad org list`)")
        })?;
    let wanted = change == OrgChange::Disable;
    if org.is_disabled() == wanted {
        txn.rollback().await.ok();
        return Ok((org, false));
    }
    let mut row: organization::ActiveModel = org.into();
    row.disabled_at = Set(wanted.then(OffsetDateTime::now_utc));
    let org = row.update(&txn).await?;
    let (action, detail) = match change {
        OrgChange::Disable => (
            "organization_disabled",
            Text::AuditDetailOrganizationDisabled,
        ),
        OrgChange::Enable => ("organization_enabled", Text::AuditDetailOrganizationEnabled),
    };
    audit::record(
        &txn,
        org_id,
        Actor::system(),
        action,
        msg(detail),
        &ClientAddress::unknown(),
    )
    .await?;
    // At the commit: the other instances drop what their webhooks keep of it.
    WebhookCache::tell_instances(&txn, org_id).await?;
    txn.commit().await?;
    Ok((org, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns_and_strip_control_characters() {
        let shown = table(
            ["ID", "NAME"],
            &[["1".into(), "Acme\nCorp".into()], ["22".into(), "B".into()]],
        );
        assert_eq!(shown, "ID  NAME\n1   Acme Corp\n22  B\n");
    }
}
