//! `stagepad check-config`: the settings the server would run with, secrets masked, or the
//! first invalid one named.

use crate::Settings;
use crate::secrets::MasterKey;

pub fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    // What the server refuses at start, refused here too.
    if settings.master_key.is_none() && !settings.uses_sqlite() {
        anyhow::bail!(
            "setting STAGEPAD_MASTER_KEY: is required with PostgreSQL: every instance must \
             decrypt the same secrets (generate one with `openssl rand -base64 32`)"
        );
    }
    let key_file = settings.data_dir.join("master.key");
    let master_key = match &settings.master_key {
        Some(key) => format!("from STAGEPAD_MASTER_KEY (key id {})", key.id()),
        None if key_file.exists() => {
            let content = std::fs::read_to_string(&key_file).map_err(|e| {
                anyhow::anyhow!(
                    "cannot read the master key file {}: {e}",
                    key_file.display()
                )
            })?;
            let key = MasterKey::from_base64(&content).map_err(|problem| {
                anyhow::anyhow!("master key file {}: {problem}", key_file.display())
            })?;
            format!("from {} (key id {})", key_file.display(), key.id())
        }
        None => format!(
            "none yet: the server generates {} at first start",
            key_file.display()
        ),
    };
    let previous: Vec<String> = settings
        .previous_master_keys
        .iter()
        .map(|key| key.id())
        .collect();
    let database = if settings.uses_sqlite() {
        format!(
            "SQLite file {}",
            crate::db::sqlite_path(&settings.database_url)?.display()
        )
    } else {
        format!("PostgreSQL {}", mask_url_password(&settings.database_url))
    };
    say!("Stagepad settings (from STAGEPAD_* variables and defaults; secrets masked)");
    say!("  database:             {database}");
    say!("  master key:           {master_key}");
    say!(
        "  previous master keys: {}",
        if previous.is_empty() {
            "none".to_string()
        } else {
            format!("key ids {}", previous.join(", "))
        }
    );
    say!("  listens on:           {}", settings.bind_address);
    say!("  public URL:           {}", settings.public_url);
    say!(
        "  e-mail:               {}",
        if settings.mail.is_some() {
            "configured"
        } else {
            "off (links are copied by hand)"
        }
    );
    // Everything, as the server holds it: keys, passwords and tokens print as redacted.
    let shown = Settings {
        database_url: mask_url_password(&settings.database_url),
        ..settings
    };
    say!("\nAll settings:\n{shown:#?}");
    say!("\nEvery setting is valid.");
    Ok(())
}

/// `scheme://user:****@host/...`: the password of a URL (and a `password=` in its query)
/// masked; the rest as it is.
pub fn mask_url_password(url: &str) -> String {
    replace_url_password(url, Some("****"))
}

/// The URL without its password (nor a `password=` in its query), for a command line to
/// copy: libpq takes a password in the URI over PGPASSWORD and ~/.pgpass, so a masked one
/// would be tried, and fail.
pub fn remove_url_password(url: &str) -> String {
    replace_url_password(url, None)
}

fn replace_url_password(url: &str, replacement: Option<&str>) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    // The user part ends at the last `@`: a password may hold `@` or `/` unescaped.
    let mut masked = match base.find("://").map(|at| at + 3) {
        Some(start) => {
            let rest = &base[start..];
            match rest
                .rfind('@')
                .and_then(|user_end| Some((user_end, rest[..user_end].find(':')?)))
            {
                Some((user_end, colon)) => format!(
                    "{}{}{}{}",
                    &base[..start],
                    &rest[..colon],
                    replacement.map(|r| format!(":{r}")).unwrap_or_default(),
                    &rest[user_end..]
                ),
                None => base.to_string(),
            }
        }
        None => base.to_string(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .filter_map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                    replacement.map(|r| format!("{name}={r}"))
                }
                _ => Some(pair.to_string()),
            })
            .collect();
        if !pairs.is_empty() {
            masked.push('?');
            masked.push_str(&pairs.join("&"));
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_masked() {
        assert_eq!(
            mask_url_password("postgres://stagepad:s3cr%40t@db.internal:5432/stagepad"),
            "postgres://stagepad:****@db.internal:5432/stagepad"
        );
        assert_eq!(
            mask_url_password("postgres://stagepad@db/stagepad?sslmode=require&password=hunter2"),
            "postgres://stagepad@db/stagepad?sslmode=require&password=****"
        );
        assert_eq!(
            mask_url_password("postgres://u:pa/s@s@h/d"),
            "postgres://u:****@h/d"
        );
        assert_eq!(
            mask_url_password("postgres://u:p:q@h/d"),
            "postgres://u:****@h/d"
        );
        assert_eq!(
            mask_url_password("sqlite://data/stagepad.db?mode=rwc"),
            "sqlite://data/stagepad.db?mode=rwc"
        );
    }

    #[test]
    fn passwords_are_removed_from_urls_given_to_pg_tools() {
        assert_eq!(
            remove_url_password("postgres://stagepad:s3cr%40t@db.internal:5432/stagepad"),
            "postgres://stagepad@db.internal:5432/stagepad"
        );
        assert_eq!(
            remove_url_password("postgres://u:pa/s@s@h/d?sslmode=require&password=hunter2"),
            "postgres://u@h/d?sslmode=require"
        );
        assert_eq!(
            remove_url_password("postgres://u@h/d?password=hunter2"),
            "postgres://u@h/d"
        );
        assert_eq!(remove_url_password("postgres://h/d"), "postgres://h/d");
    }
}
