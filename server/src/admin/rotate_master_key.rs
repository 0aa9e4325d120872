//! `stagepad rotate-master-key`: seals every stored secret again under the current master key.
//!
//! Sealed values name the key that sealed them, so the command skips those sealed under the
//! current key already (it is safe to run again) and opens the others with the previous keys.
//! Each row is rewritten in a transaction of its own, and only if it still holds what was read:
//! a secret a running server saves meanwhile (under the same current key) is left as it is.
//!
//! Two setups:
//! - `STAGEPAD_MASTER_KEY` set (always with PostgreSQL): it is the new key and
//!   `STAGEPAD_MASTER_KEY_PREVIOUS` holds the old ones; servers run meanwhile with the same two
//!   settings.
//! - The embedded setup (SQLite, the key in `data/master.key`): with the server stopped, a new
//!   key is made (`data/master.key.next` until it is in place, so an interrupted rotation
//!   resumes with the same key), and the old one is kept as `data/master.key.<id>.retired`
//!   for the backups made under it.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use api::{MailId, OrgId};
use entity::{InOrg, lever_integration, mail};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};

use crate::lever::integration::secret_context;
use crate::mail::seal_context;
use crate::secrets::{Keyring, MasterKey};
use crate::{Settings, db};

/// What a rotation did, by count; no secret and no key in it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// Lever API keys, webhook keys and signature tokens sealed anew.
    pub lever_secrets: u64,
    /// Bodies of mails not sent yet, sealed anew.
    pub mail_bodies: u64,
    /// Sealed under the current key already: left alone.
    pub already_current: u64,
    /// Rewritten by a server while the rotation ran (under the current key): left alone.
    pub changed_meanwhile: u64,
    /// What no configured key opens: where it is and why (never the value).
    pub unreadable: Vec<String>,
}

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    match &settings.master_key {
        Some(current) => {
            let keyring = Keyring::new(current.clone(), settings.previous_master_keys.clone());
            let db = connect(settings).await?;
            let rotated = rotate(&db, &keyring).await;
            db.close().await.ok();
            let rotated = report(rotated?)?;
            say!(
                "Every stored secret is sealed with master key {} (from STAGEPAD_MASTER_KEY).",
                current.id()
            );
            if rotated.lever_secrets + rotated.mail_bodies > 0
                || !settings.previous_master_keys.is_empty()
            {
                say!(
                    "Once every instance runs with this STAGEPAD_MASTER_KEY, remove \
                     STAGEPAD_MASTER_KEY_PREVIOUS and restart them; sessions signed under a \
                     previous key end then. Keep the old key as long as you keep backups made \
                     under it."
                );
            }
            Ok(())
        }
        None if !settings.uses_sqlite() => anyhow::bail!(
            "setting STAGEPAD_MASTER_KEY: is required with PostgreSQL; set it to the new key and \
             STAGEPAD_MASTER_KEY_PREVIOUS to the old one (see the README)"
        ),
        None => rotate_key_file(settings).await,
    }
}

/// The embedded setup: a new `data/master.key`, with the server stopped.
async fn rotate_key_file(settings: &Settings) -> anyhow::Result<()> {
    let database = db::sqlite_path(&settings.database_url)?;
    // The server reads the key file only at start: it must not run with the old key meanwhile.
    let _lock = db::DatabaseLock::take(&database).map_err(|e| match e {
        db::LockError::Held { .. } => anyhow::anyhow!(
            "{e}: in the embedded setup the master key file is replaced, which a running server \
             would not see (or set STAGEPAD_MASTER_KEY and STAGEPAD_MASTER_KEY_PREVIOUS instead)"
        ),
        other => other.into(),
    })?;
    let key_file = settings.data_dir.join("master.key");
    if !key_file.exists() {
        anyhow::bail!(
            "there is no master key at {} (STAGEPAD_DATA_DIR): nothing was sealed yet",
            key_file.display()
        );
    }
    let old = MasterKey::load_or_create(&key_file)
        .with_context(|| format!("cannot read the master key {}", key_file.display()))?;
    // Made once: a rotation interrupted and run again goes on with the same new key.
    let next_file = settings.data_dir.join("master.key.next");
    let new = MasterKey::load_or_create(&next_file)
        .with_context(|| format!("cannot write the new master key {}", next_file.display()))?;
    let mut previous = vec![old.clone()];
    previous.extend(settings.previous_master_keys.iter().cloned());
    let keyring = Keyring::new(new.clone(), previous);
    let db = connect(settings).await?;
    let rotated = rotate(&db, &keyring).await;
    db.close().await.ok();
    report(rotated?)?;
    let retired = settings
        .data_dir
        .join(format!("master.key.{}.retired", old.id()));
    if !retired.exists() {
        write_key_file(&retired, &old)
            .with_context(|| format!("cannot keep the old key as {}", retired.display()))?;
    }
    std::fs::rename(&next_file, &key_file).with_context(|| {
        format!(
            "cannot put the new key in place: move {} to {} by hand before starting the server",
            next_file.display(),
            key_file.display()
        )
    })?;
    super::backup::sync_parent(&key_file);
    say!(
        "{} now holds a new master key ({}); the old one ({}) is kept in {}: keep it with the \
         backups made before today, which need it. Start the server; everyone logs in again.",
        key_file.display(),
        new.id(),
        old.id(),
        retired.display()
    );
    Ok(())
}

async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(&settings.database_url)
        .await
        .context("cannot open the database (STAGEPAD_DATABASE_URL)")?;
    db::migrate(&db)
        .await
        .context("database migrations failed")?;
    Ok(db)
}

/// Prints the counts; an error when some secret could not be opened.
fn report(rotated: Rotated) -> anyhow::Result<Rotated> {
    say!(
        "Sealed anew: {} Lever secret(s), {} unsent mail body(ies); already under the current \
         key: {}; changed by a server meanwhile (left as saved): {}.",
        rotated.lever_secrets,
        rotated.mail_bodies,
        rotated.already_current,
        rotated.changed_meanwhile
    );
    if !rotated.unreadable.is_empty() {
        anyhow::bail!(
            "{} stored secret(s) could not be opened with STAGEPAD_MASTER_KEY or \
             STAGEPAD_MASTER_KEY_PREVIOUS and were left as they are; add the key that sealed \
             them to STAGEPAD_MASTER_KEY_PREVIOUS and run this again:\n  {}",
            rotated.unreadable.len(),
            rotated.unreadable.join("\n  ")
        );
    }
    Ok(rotated)
}

/// Seals every stored secret again under `keyring`'s current key.
pub async fn rotate(db: &DatabaseConnection, keyring: &Keyring) -> anyhow::Result<Rotated> {
    let mut rotated = Rotated::default();
    let orgs: Vec<OrgId> = lever_integration::Entity::find()
        .select_only()
        .column(lever_integration::Column::OrgId)
        .into_tuple()
        .all(db)
        .await?;
    for org_id in orgs {
        let txn = db.begin().await?;
        let Some(row) = lever_integration::Entity::find_in_org(org_id)
            .one(&txn)
            .await?
        else {
            continue;
        };
        for (field, column, stored) in [
            (
                "api_key",
                lever_integration::Column::ApiKeySealed,
                row.api_key_sealed,
            ),
            (
                "webhook_key",
                lever_integration::Column::WebhookKeySealed,
                row.webhook_key_sealed,
            ),
            (
                "signature_token",
                lever_integration::Column::SignatureTokenSealed,
                row.signature_token_sealed,
            ),
        ] {
            let Some(stored) = stored else { continue };
            let place = || format!("the Lever {field} of organization {org_id}");
            let Some(sealed) = reseal(
                keyring,
                &stored,
                &secret_context(org_id, field),
                place,
                &mut rotated,
            ) else {
                continue;
            };
            let written = lever_integration::Entity::update_in_org(org_id)
                .col_expr(column, Expr::value(sealed))
                .filter(column.eq(stored))
                .exec(&txn)
                .await?;
            if written.rows_affected == 1 {
                rotated.lever_secrets += 1;
            } else {
                rotated.changed_meanwhile += 1;
            }
        }
        txn.commit().await?;
    }
    let mails: Vec<(MailId, OrgId)> = mail::Entity::find()
        .select_only()
        .column(mail::Column::Id)
        .column(mail::Column::OrgId)
        .filter(mail::Column::BodySealed.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    for (mail_id, org_id) in mails {
        let txn = db.begin().await?;
        let stored = mail::Entity::find_in_org(org_id)
            .filter(mail::Column::Id.eq(mail_id))
            .one(&txn)
            .await?
            .and_then(|m| m.body_sealed);
        if let Some(stored) = stored
            && let Some(sealed) = reseal(
                keyring,
                &stored,
                &seal_context(mail_id),
                || format!("the body of mail {mail_id}"),
                &mut rotated,
            )
        {
            let written = mail::Entity::update_in_org(org_id)
                .col_expr(mail::Column::BodySealed, Expr::value(Some(sealed)))
                .filter(mail::Column::Id.eq(mail_id))
                .filter(mail::Column::BodySealed.eq(stored))
                .exec(&txn)
                .await?;
            if written.rows_affected == 1 {
                rotated.mail_bodies += 1;
            } else {
                rotated.changed_meanwhile += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(rotated)
}

/// The value sealed anew, or none when it needs nothing (under the current key already) or
/// cannot be opened (noted in `rotated`).
fn reseal(
    keyring: &Keyring,
    stored: &str,
    context: &str,
    place: impl Fn() -> String,
    rotated: &mut Rotated,
) -> Option<String> {
    if keyring.sealed_with_current(stored) {
        rotated.already_current += 1;
        return None;
    }
    match keyring.open(stored, context) {
        Ok(secret) => Some(keyring.seal(secret.expose(), context)),
        Err(e) => {
            rotated.unreadable.push(format!("{}: {e}", place()));
            None
        }
    }
}

/// Writes a key file readable by its owner only; never replaces one.
fn write_key_file(path: &Path, key: &MasterKey) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(key.to_base64().as_bytes())?;
    file.sync_all()
}
