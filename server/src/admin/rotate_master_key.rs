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
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

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
    /// Rewritten by a server while the rotation ran, and found under the current key when read
    /// again: left alone.
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
            let rotated = rotated?;
            report(&rotated);
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
    report(&rotated?);
    let retired = settings
        .data_dir
        .join(format!("master.key.{}.retired", old.id()));
    keep_retired(&retired, &old)?;
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
    let db = db::connect_existing(&settings.database_url)
        .await
        .context("cannot open the database (STAGEPAD_DATABASE_URL)")?;
    say!("Rotating in {}.", db::describe(&settings.database_url));
    Ok(db)
}

/// Prints the counts.
fn report(rotated: &Rotated) {
    say!(
        "Sealed anew: {} Lever secret(s), {} unsent mail body(ies); already under the current \
         key: {}; changed by a server meanwhile (read again): {}.",
        rotated.lever_secrets,
        rotated.mail_bodies,
        rotated.already_current,
        rotated.changed_meanwhile
    );
}

/// How many times a row is read again when a server changed it between the read and the
/// rewrite, and how many passes over everything are made before giving up on values that a
/// server keeps sealing under an old key.
const ROW_TRIES: usize = 5;
const PASSES: usize = 3;

/// Seals every stored secret again under `keyring`'s current key, then checks every sealed
/// column: an error names each value still not under the current key (one no configured key
/// opens, or one a server sealed under an old key meanwhile, over and over), so success means
/// that nothing is left under an old key.
pub async fn rotate(db: &DatabaseConnection, keyring: &Keyring) -> anyhow::Result<Rotated> {
    let mut rotated = Rotated::default();
    let mut left = Vec::new();
    for pass in 0..PASSES {
        // What no key opens is found again at each pass: the last pass's list is the answer.
        rotated.unreadable.clear();
        let first = pass == 0;
        rotate_lever_secrets(db, keyring, first, &mut rotated).await?;
        rotate_mail_bodies(db, keyring, first, &mut rotated).await?;
        // Rows written after the listings above, and rows a server wrote under an old key
        // after they were sealed anew, are found here.
        left = not_under_current_key(db, keyring).await?;
        if left.is_empty() {
            return Ok(rotated);
        }
        if left.len() == rotated.unreadable.len() {
            // Nothing another pass could do.
            break;
        }
    }
    let mut problem = format!(
        "{} stored secret(s) are still not sealed with master key {} after the rotation \
         (sealed anew: {} Lever secret(s), {} mail body(ies)):\n  {}",
        left.len(),
        keyring.current().id(),
        rotated.lever_secrets,
        rotated.mail_bodies,
        left.join("\n  ")
    );
    if !rotated.unreadable.is_empty() {
        problem.push_str(&format!(
            "\n{} could not be opened with STAGEPAD_MASTER_KEY or STAGEPAD_MASTER_KEY_PREVIOUS: \
             add the key that sealed them to STAGEPAD_MASTER_KEY_PREVIOUS and run this \
             again:\n  {}",
            rotated.unreadable.len(),
            rotated.unreadable.join("\n  ")
        ));
    }
    if left.len() > rotated.unreadable.len() {
        problem.push_str(
            "\nSome were sealed anew and then written again under an old key: a server still \
             runs with an old STAGEPAD_MASTER_KEY. Give every instance the new key (the old one \
             in STAGEPAD_MASTER_KEY_PREVIOUS), restart them, and run this again.",
        );
    }
    anyhow::bail!(problem)
}

/// The Lever fields that hold a sealed secret: name (in the sealing context) and column.
const LEVER_FIELDS: [(&str, lever_integration::Column); 3] = [
    ("api_key", lever_integration::Column::ApiKeySealed),
    ("webhook_key", lever_integration::Column::WebhookKeySealed),
    (
        "signature_token",
        lever_integration::Column::SignatureTokenSealed,
    ),
];

fn lever_field(row: &lever_integration::Model, column: lever_integration::Column) -> Option<&str> {
    match column {
        lever_integration::Column::ApiKeySealed => row.api_key_sealed.as_deref(),
        lever_integration::Column::WebhookKeySealed => row.webhook_key_sealed.as_deref(),
        lever_integration::Column::SignatureTokenSealed => row.signature_token_sealed.as_deref(),
        _ => None,
    }
}

async fn rotate_lever_secrets(
    db: &DatabaseConnection,
    keyring: &Keyring,
    first: bool,
    rotated: &mut Rotated,
) -> anyhow::Result<()> {
    let orgs: Vec<OrgId> = lever_integration::Entity::find()
        .select_only()
        .column(lever_integration::Column::OrgId)
        .into_tuple()
        .all(db)
        .await?;
    for org_id in orgs {
        for (field, column) in LEVER_FIELDS {
            let place = || format!("the Lever {field} of organization {org_id}");
            let context = secret_context(org_id, field);
            for attempt in 0..ROW_TRIES {
                // Immediate on SQLite: the row cannot change between this read and the write.
                let txn = db::begin_write(db).await?;
                let row = lever_integration::Entity::find_in_org(org_id)
                    .one(&txn)
                    .await?;
                let Some(stored) = row.as_ref().and_then(|row| lever_field(row, column)) else {
                    break;
                };
                let step = reseal(keyring, stored, &context, place, first && attempt == 0);
                let Reseal::Sealed(sealed) = step else {
                    step.count(rotated, attempt > 0);
                    break;
                };
                let written = lever_integration::Entity::update_in_org(org_id)
                    .col_expr(column, Expr::value(sealed))
                    .filter(column.eq(stored))
                    .exec(&txn)
                    .await?;
                txn.commit().await?;
                if written.rows_affected == 1 {
                    rotated.lever_secrets += 1;
                    break;
                }
                // A server saved it meanwhile: read it again (under which key was it saved?).
            }
        }
    }
    Ok(())
}

async fn rotate_mail_bodies(
    db: &DatabaseConnection,
    keyring: &Keyring,
    first: bool,
    rotated: &mut Rotated,
) -> anyhow::Result<()> {
    let mails: Vec<(MailId, OrgId)> = mail::Entity::find()
        .select_only()
        .column(mail::Column::Id)
        .column(mail::Column::OrgId)
        .filter(mail::Column::BodySealed.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    for (mail_id, org_id) in mails {
        let place = || format!("the body of mail {mail_id}");
        let context = seal_context(mail_id);
        for attempt in 0..ROW_TRIES {
            let txn = db::begin_write(db).await?;
            let stored = mail::Entity::find_in_org(org_id)
                .filter(mail::Column::Id.eq(mail_id))
                .one(&txn)
                .await?
                .and_then(|m| m.body_sealed);
            // Sent (and its body dropped) meanwhile: nothing left to seal.
            let Some(stored) = stored else { break };
            let step = reseal(keyring, &stored, &context, place, first && attempt == 0);
            let Reseal::Sealed(sealed) = step else {
                step.count(rotated, attempt > 0);
                break;
            };
            let written = mail::Entity::update_in_org(org_id)
                .col_expr(mail::Column::BodySealed, Expr::value(Some(sealed)))
                .filter(mail::Column::Id.eq(mail_id))
                .filter(mail::Column::BodySealed.eq(stored))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            if written.rows_affected == 1 {
                rotated.mail_bodies += 1;
                break;
            }
        }
    }
    Ok(())
}

/// Every stored sealed value whose key is not `keyring`'s current one, by place and key.
pub async fn not_under_current_key(
    db: &DatabaseConnection,
    keyring: &Keyring,
) -> anyhow::Result<Vec<String>> {
    // Key ids are hex: nothing in the pattern is a LIKE wildcard.
    let current = format!("v1:{}:%", keyring.current().id());
    let other_key = |column: lever_integration::Column| {
        Condition::all()
            .add(column.is_not_null())
            .add(column.not_like(current.as_str()))
    };
    let mut left = Vec::new();
    let rows = lever_integration::Entity::find()
        .filter(
            LEVER_FIELDS
                .iter()
                .fold(Condition::any(), |any, (_, column)| {
                    any.add(other_key(*column))
                }),
        )
        .all(db)
        .await?;
    for row in &rows {
        for (field, column) in LEVER_FIELDS {
            if let Some(stored) = lever_field(row, column)
                && !keyring.sealed_with_current(stored)
            {
                left.push(format!(
                    "the Lever {field} of organization {} (sealed with key {})",
                    row.org_id,
                    key_id_of(stored)
                ));
            }
        }
    }
    let mails: Vec<(MailId, Option<String>)> = mail::Entity::find()
        .select_only()
        .column(mail::Column::Id)
        .column(mail::Column::BodySealed)
        .filter(
            Condition::all()
                .add(mail::Column::BodySealed.is_not_null())
                .add(mail::Column::BodySealed.not_like(current.as_str())),
        )
        .into_tuple()
        .all(db)
        .await?;
    for (mail_id, stored) in mails {
        left.push(format!(
            "the body of mail {mail_id} (sealed with key {})",
            key_id_of(stored.as_deref().unwrap_or_default())
        ));
    }
    Ok(left)
}

/// The key id a sealed value names (never any of its content), or "unknown".
fn key_id_of(stored: &str) -> String {
    stored
        .strip_prefix("v1:")
        .and_then(|rest| rest.split_once(':'))
        .map(|(id, _)| id)
        .filter(|id| id.len() <= 16 && id.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or("unknown")
        .to_string()
}

/// What to do with one stored value.
enum Reseal {
    /// Sealed anew under the current key: to be written.
    Sealed(String),
    /// Under the current key already (`counted`: at the first read of the first pass).
    Current { counted: bool },
    /// No configured key opens it: where and why.
    Unreadable(String),
}

impl Reseal {
    /// Counts what was not written in `rotated`; `reread`: the value was read again after a
    /// server changed it.
    fn count(self, rotated: &mut Rotated, reread: bool) {
        match self {
            Reseal::Sealed(_) => {}
            Reseal::Current { .. } if reread => rotated.changed_meanwhile += 1,
            Reseal::Current { counted: true } => rotated.already_current += 1,
            Reseal::Current { counted: false } => {}
            Reseal::Unreadable(place) => rotated.unreadable.push(place),
        }
    }
}

fn reseal(
    keyring: &Keyring,
    stored: &str,
    context: &str,
    place: impl Fn() -> String,
    count_current: bool,
) -> Reseal {
    if keyring.sealed_with_current(stored) {
        return Reseal::Current {
            counted: count_current,
        };
    }
    match keyring.open(stored, context) {
        Ok(secret) => Reseal::Sealed(keyring.seal(secret.expose(), context)),
        Err(e) => Reseal::Unreadable(format!("{}: {e}", place())),
    }
}

/// Keeps `old` in `retired`: written under a temporary name, flushed, then renamed, so the
/// file is whole or absent. One there already (a rotation run again) must hold that key.
fn keep_retired(retired: &Path, old: &MasterKey) -> anyhow::Result<()> {
    match std::fs::read_to_string(retired) {
        Ok(content) => {
            let kept = MasterKey::from_base64(&content).ok();
            if kept.is_some_and(|kept| kept.bytes() == old.bytes()) {
                return Ok(());
            }
            anyhow::bail!(
                "{} exists but does not hold the current master key {}: move it away (it may be \
                 the only copy of a key that old backups need) and run this again",
                retired.display(),
                old.id()
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(
                anyhow::Error::from(e).context(format!("cannot read {}", retired.display()))
            );
        }
    }
    let partial = super::backup::sibling(retired, ".partial")?;
    let written = write_key_file(&partial, old)
        .and_then(|()| std::fs::rename(&partial, retired))
        .with_context(|| format!("cannot keep the old key as {}", retired.display()));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written?;
    super::backup::sync_parent(retired);
    Ok(())
}

/// Writes a key file readable by its owner only, flushed to disk; never replaces one.
fn write_key_file(path: &Path, key: &MasterKey) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(key.to_base64().as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retired_key_is_written_whole_and_checked_when_there_already() {
        let dir = tempfile::tempdir().unwrap();
        let (old, other) = (MasterKey::generate(), MasterKey::generate());
        let retired = dir.path().join(format!("master.key.{}.retired", old.id()));
        keep_retired(&retired, &old).unwrap();
        assert_eq!(std::fs::read_to_string(&retired).unwrap(), old.to_base64());
        // Run again: the same key is fine, nothing else is left beside it.
        keep_retired(&retired, &old).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A file cut short by a crash, or another key, is not taken for the old key.
        std::fs::write(&retired, &old.to_base64()[..10]).unwrap();
        let error = keep_retired(&retired, &old).unwrap_err().to_string();
        assert!(
            error.contains("does not hold the current master key"),
            "{error}"
        );
        std::fs::write(&retired, other.to_base64()).unwrap();
        assert!(keep_retired(&retired, &old).is_err());
    }
}
