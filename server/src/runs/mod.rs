//! Running the pad's code: which languages this server can run ([`languages`]), the
//! bubblewrap sandbox that runs one program under limits ([`sandbox`]), the instance's fair
//! pool of places ([`pool`]), the runs themselves, one at a time per pad ([`service`]), their
//! rows ([`store`]) and their few lines in Lever notes ([`summary`]).

pub mod languages;
pub mod pool;
pub mod sandbox;
pub mod service;
pub mod store;
pub mod summary;

pub use service::Runs;

use crate::config::Settings;

impl Runs {
    /// The languages installed here, and the sandbox when bubblewrap is (else nothing runs and
    /// the pad says why).
    pub fn for_settings(settings: &Settings) -> Self {
        let limits = sandbox::Limits::from(settings);
        let languages = languages::Languages::detect();
        let sandbox = if std::path::Path::new(sandbox::BWRAP).exists() {
            Some(sandbox::Sandbox::new(limits, languages.clone()))
        } else {
            tracing::warn!(
                "{} is missing: code cannot run (install bubblewrap)",
                sandbox::BWRAP
            );
            None
        };
        Runs::new(sandbox, languages, &limits, settings.runs.concurrency)
    }
}
