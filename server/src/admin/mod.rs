//! The `stagepad` command line: serving (the default) and the operators' commands. Each
//! command has its file; `main` only parses and calls [`run`].
//!
//! Commands print what they did on standard output and fail with an error naming what to fix
//! (the binary prints it and exits non-zero). They never print a secret.

/// `println!` that never panics: output cut short (`stagepad org list | head`) is no error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod backup;
mod check_config;
mod migrate;
mod org;
mod restore;
mod rotate_master_key;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::Settings;

pub use backup::backup;
pub use check_config::{mask_url_password, remove_url_password};
pub use org::{OrgChange, set_disabled};
pub use restore::restore;
pub use rotate_master_key::{Rotated, rotate};

/// Stagepad: interview pads, with Lever. Settings come from `STAGEPAD_*` environment
/// variables (see the README); with none, it serves on 127.0.0.1:8080 from ./data.
#[derive(Debug, Parser)]
#[command(name = "stagepad", version, disable_help_subcommand = true)]
pub struct Cli {
    /// What to do; without one, `serve`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the console, the API and Lever's webhooks (what `stagepad` alone does).
    Serve,
    /// Apply the database migrations not applied yet, print them, and exit (the server applies
    /// them at start too).
    Migrate,
    /// Print the effective settings with secrets masked; exit non-zero naming any invalid one.
    CheckConfig,
    /// Re-encrypt every stored secret under STAGEPAD_MASTER_KEY, opening them with the keys in
    /// STAGEPAD_MASTER_KEY_PREVIOUS (safe to run again; servers keep working if they have both).
    /// In the embedded setup (no STAGEPAD_MASTER_KEY), with the server stopped: replaces
    /// data/master.key with a new key.
    RotateMasterKey,
    /// List, disable or enable organizations (recorded in each organization's audit log).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Copy the SQLite database to FILE, consistently, while the server runs. Refuses to
    /// overwrite FILE. (PostgreSQL: prints the pg_dump command to use.)
    Backup {
        /// Where to write the copy; must not exist.
        file: PathBuf,
    },
    /// Replace the SQLite database with the backup FILE, once checked. The server must be
    /// stopped; the replaced database is kept beside it.
    Restore {
        /// A file written by `stagepad backup`.
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum OrgCommand {
    /// Every organization: id, name, plan, members, whether disabled.
    List,
    /// Disable an organization: its members cannot log in or use their sessions, its pads'
    /// links stop working and its Lever webhook refuses deliveries. Nothing is deleted.
    Disable {
        /// The organization's id (from `stagepad org list`).
        id: String,
    },
    /// Enable a disabled organization again.
    Enable {
        /// The organization's id (from `stagepad org list`).
        id: String,
    },
}

/// Runs `command` to its end.
pub async fn run(command: Command) -> anyhow::Result<()> {
    if let Command::CheckConfig = command {
        // Reads the environment itself: an invalid setting is its answer, not its failure.
        return check_config::run();
    }
    let settings = Settings::from_env()?;
    match command {
        Command::Serve => serve::run(settings).await,
        Command::Migrate => migrate::run(&settings).await,
        Command::CheckConfig => unreachable!("handled above"),
        Command::RotateMasterKey => rotate_master_key::run(&settings).await,
        Command::Org { command } => org::run(&settings, command).await,
        Command::Backup { file } => backup::run(&settings, &file).await,
        Command::Restore { file } => restore::run(&settings, &file).await,
    }
}
