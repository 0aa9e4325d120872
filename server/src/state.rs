use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::password::Passwords;
use crate::auth::session::Sessions;
use crate::auth::throttle::Throttle;
use crate::config::Settings;
use crate::jobs::JobSignal;
use crate::lever::client::LeverApi;
use crate::pads::live::PadHub;
use crate::secrets::Keyring;

/// What every handler may reach. Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub keyring: Keyring,
    pub lever: Arc<dyn LeverApi>,
    pub sessions: Sessions,
    pub passwords: Passwords,
    /// Log-in, sign-up and invitation limits.
    pub throttle: Arc<Throttle>,
    /// Wakes the job worker when a job is written.
    pub job_signal: JobSignal,
    /// The live pads open on this instance.
    pub pad_hub: Arc<PadHub>,
    /// Runs of pads' code on this instance.
    pub runs: Arc<crate::runs::Runs>,
    /// What Lever's webhook needs of each organization, briefly kept; forget an organization
    /// after changing its integration or plan.
    pub webhooks: Arc<crate::lever::webhook_cache::WebhookCache>,
    /// The mail server, when e-mail is configured (`settings.mail`).
    pub mailer: Option<Arc<dyn crate::mail::Mailer>>,
    /// Stores Lever deliveries in batches (group commit).
    pub deliveries: crate::lever::delivery_writer::DeliveryWriter,
}

impl AppState {
    /// Where mail is queued, when this Stagepad sends e-mail.
    pub fn outbox(&self) -> Option<crate::mail::Outbox<'_>> {
        self.settings.mail.as_ref().map(|mail| crate::mail::Outbox {
            keyring: &self.keyring,
            limits: self.settings.mail_limits,
            host: &mail.host,
        })
    }

    /// Where runs announce themselves: the pads' rooms here and the other instances.
    pub fn run_audience(&self) -> crate::runs::service::Audience {
        crate::runs::service::Audience {
            db: self.db.clone(),
            hub: self.pad_hub.clone(),
        }
    }
}
