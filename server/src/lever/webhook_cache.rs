//! What the webhook needs to know of an organization (its integration, opened signature token,
//! plan and selected stages), kept in memory for a second: a burst of deliveries reads the
//! database once per organization and second instead of twice per delivery.
//!
//! Every write to an integration or a plan forgets the organization at once, here and (on
//! PostgreSQL) on the other instances, which hear of it on a channel; while an instance cannot
//! listen there it keeps nothing. A signature that does not match the cached token is checked
//! against the database before it is refused, so a token just saved elsewhere is never the
//! reason a delivery is lost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use api::OrgId;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait};
use std::sync::Arc;
use tokio::sync::watch;

use super::integration::{self, Integration, IntegrationError};
use crate::notify;
use crate::secrets::SecretString;
use crate::state::AppState;

/// How long an organization's entry is trusted, unless the settings say otherwise.
pub const TTL: Duration = Duration::from_secs(1);
/// The least time between two stamps of `verified_at`/`last_delivery_at`.
pub const STAMP_EVERY: Duration = Duration::from_secs(1);
/// Past this many entries, expired ones are dropped on the next load.
const MAX_ENTRIES: usize = 10_000;

/// An organization's integration as the webhook uses it.
pub struct WebhookTarget {
    pub integration: Integration,
    pub signature_token: Option<SecretString>,
    pub plan_includes_lever: bool,
    /// An operator disabled the organization: deliveries are refused.
    pub organization_disabled: bool,
    selected_stage_ids: Vec<String>,
    loaded_at: Instant,
}

impl WebhookTarget {
    pub fn org_id(&self) -> OrgId {
        self.integration.row.org_id
    }

    pub fn selects_stage(&self, stage_id: &str) -> bool {
        self.selected_stage_ids.iter().any(|id| id == stage_id)
    }

    fn is_fresh(&self, now: Instant, ttl: Duration) -> bool {
        now.duration_since(self.loaded_at) < ttl
    }
}

/// Where instances tell each other that an organization's integration or plan changed.
const CHANNEL: &str = "stagepad_lever_integrations";

/// A stamp found due, to be remembered once committed unless the organization was forgotten
/// meanwhile (see [`WebhookCache::stamp_due`]).
pub struct StampTurn {
    forgets: u64,
}

#[derive(Default)]
pub struct WebhookCache {
    /// How long an entry is trusted ([`TTL`] unless the settings say otherwise).
    ttl: Duration,
    /// Several instances share the database (PostgreSQL): each must hear the others' changes.
    shared: bool,
    /// Whether this instance hears the others now; when not (shared only), nothing is kept.
    hearing_others: AtomicBool,
    /// By the webhook key's hash.
    targets: Mutex<HashMap<String, Arc<WebhookTarget>>>,
    /// When each organization's delivery stamps were last written.
    stamped: Mutex<HashMap<OrgId, Instant>>,
    /// Counts forgets: a load that began before one may hold what the change replaced, and
    /// is used but not kept.
    forgets: AtomicU64,
}

impl WebhookCache {
    /// `shared`: other instances use the same database (PostgreSQL); call
    /// [`WebhookCache::spawn_listener`] to hear their changes.
    pub fn new(shared: bool, ttl: Duration) -> Self {
        Self {
            shared,
            ttl,
            ..Self::default()
        }
    }

    fn may_keep(&self) -> bool {
        !self.shared || self.hearing_others.load(Ordering::SeqCst)
    }

    /// The organization whose webhook key is `key`, from memory when fresh.
    pub async fn find(
        &self,
        state: &AppState,
        key: &str,
    ) -> Result<Option<Arc<WebhookTarget>>, IntegrationError> {
        let key_hash = integration::webhook_key_hash(key);
        let cached = self
            .targets
            .lock()
            .expect("webhook cache")
            .get(&key_hash)
            .cloned();
        match cached {
            Some(target) if target.is_fresh(Instant::now(), self.ttl) => Ok(Some(target)),
            _ => self.load(state, key_hash).await,
        }
    }

    /// Reads the organization from the database again, whatever memory holds.
    pub async fn reload(
        &self,
        state: &AppState,
        key: &str,
    ) -> Result<Option<Arc<WebhookTarget>>, IntegrationError> {
        self.load(state, integration::webhook_key_hash(key)).await
    }

    async fn load(
        &self,
        state: &AppState,
        key_hash: String,
    ) -> Result<Option<Arc<WebhookTarget>>, IntegrationError> {
        let forgets_before = self.forgets.load(Ordering::SeqCst);
        let Some(integration) = integration::by_webhook_key_hash(&state.db, &key_hash).await?
        else {
            self.targets
                .lock()
                .expect("webhook cache")
                .remove(&key_hash);
            return Ok(None);
        };
        let org_id = integration.row.org_id;
        let organization = entity::organization::Entity::find_by_id(org_id)
            .one(&state.db)
            .await?;
        let plan_includes_lever = organization
            .as_ref()
            .is_some_and(|org| org.plan == entity::organization::Plan::Enterprise);
        let organization_disabled = organization.as_ref().is_some_and(|org| org.is_disabled());
        let target = Arc::new(WebhookTarget {
            signature_token: integration.signature_token(state),
            selected_stage_ids: integration
                .selected_stages()
                .into_iter()
                .map(|stage| stage.id)
                .collect(),
            integration,
            plan_includes_lever,
            organization_disabled,
            loaded_at: Instant::now(),
        });
        let mut targets = self.targets.lock().expect("webhook cache");
        if self.forgets.load(Ordering::SeqCst) == forgets_before && self.may_keep() {
            if targets.len() >= MAX_ENTRIES {
                let now = Instant::now();
                targets.retain(|_, target| target.is_fresh(now, self.ttl));
            }
            targets.insert(key_hash, target.clone());
        }
        Ok(Some(target))
    }

    /// Call after every committed change to an organization's integration or plan: this
    /// instance and the others read them anew for the next delivery (and stamp again).
    pub async fn changed(&self, db: &DatabaseConnection, org_id: OrgId) {
        self.forget(org_id);
        if self.shared
            && let Err(e) = notify::tell(db, CHANNEL, org_id.to_string()).await
        {
            // They still read it anew within a second.
            tracing::warn!(%org_id, error = %e, "cannot tell other instances of a Lever integration change");
        }
    }

    /// For a process that is not a server (`stagepad org disable`): tells the running
    /// instances (PostgreSQL) that the organization changed, at the commit of `db` when it is
    /// a transaction. SQLite's single server reads it anew within [`TTL`].
    pub async fn tell_instances(db: &impl ConnectionTrait, org_id: OrgId) -> Result<(), DbErr> {
        if db.get_database_backend() == DbBackend::Postgres {
            notify::tell(db, CHANNEL, org_id.to_string()).await?;
        }
        Ok(())
    }

    /// Drops what is known of the organization, so the next delivery reads it anew and
    /// stamps the integration again.
    fn forget(&self, org_id: OrgId) {
        self.forgets.fetch_add(1, Ordering::SeqCst);
        self.targets
            .lock()
            .expect("webhook cache")
            .retain(|_, target| target.org_id() != org_id);
        self.stamped.lock().expect("webhook cache").remove(&org_id);
    }

    fn forget_all(&self) {
        self.forgets.fetch_add(1, Ordering::SeqCst);
        self.targets.lock().expect("webhook cache").clear();
        self.stamped.lock().expect("webhook cache").clear();
    }

    /// Shared only: hears the other instances' changes until `stop` turns true. While not
    /// listening (connecting, reconnecting), nothing is kept.
    pub fn spawn_listener(self: Arc<Self>, db: DatabaseConnection, stop: watch::Receiver<bool>) {
        if self.shared {
            tokio::spawn(async move { notify::listen(&db, CHANNEL, &*self, stop).await });
        }
    }

    /// Whether a delivery accepted now should write the organization's stamps: none was
    /// committed in the last [`STAMP_EVERY`] (or since the organization was forgotten).
    pub fn stamp_due(&self, org_id: OrgId, now: Instant) -> Option<StampTurn> {
        let forgets = self.forgets.load(Ordering::SeqCst);
        let stamped = self.stamped.lock().expect("webhook cache");
        match stamped.get(&org_id) {
            Some(last) if now.duration_since(*last) < STAMP_EVERY => None,
            _ => Some(StampTurn { forgets }),
        }
    }

    /// Notes that the organization's stamps were committed at `at` (only once committed: a
    /// batch that failed must leave the next delivery to stamp), unless a change was
    /// forgotten since the turn was given: the next delivery must stamp again.
    pub fn stamped(&self, org_id: OrgId, at: Instant, turn: StampTurn) {
        let mut stamped = self.stamped.lock().expect("webhook cache");
        if self.forgets.load(Ordering::SeqCst) != turn.forgets {
            return;
        }
        if stamped.len() >= MAX_ENTRIES {
            stamped.retain(|_, last| at.duration_since(*last) < STAMP_EVERY);
        }
        stamped.insert(org_id, at);
    }
}

impl notify::Hearing for WebhookCache {
    fn what(&self) -> &'static str {
        "Lever integration changes"
    }

    async fn connected(&self) {
        // Whatever changed while not listening.
        self.forget_all();
        self.hearing_others.store(true, Ordering::SeqCst);
    }

    async fn heard(&self, payload: &str) {
        match payload.parse() {
            Ok(org_id) => self.forget(OrgId::from_uuid(org_id)),
            Err(_) => self.forget_all(),
        }
    }

    async fn lost(&self) {
        self.hearing_others.store(false, Ordering::SeqCst);
        self.forget_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_written_at_most_once_a_second_and_again_after_a_change() {
        let cache = WebhookCache::default();
        let org = OrgId::random();
        let other = OrgId::random();
        let start = Instant::now();
        assert!(
            cache.stamp_due(org, start).is_some(),
            "the first delivery stamps"
        );
        let turn = cache
            .stamp_due(org, start)
            .expect("until one is committed, each stamps");
        cache.stamped(org, start, turn);
        assert!(
            cache
                .stamp_due(org, start + Duration::from_millis(500))
                .is_none()
        );
        assert!(
            cache.stamp_due(other, start).is_some(),
            "each organization has its own turn"
        );
        assert!(cache.stamp_due(org, start + STAMP_EVERY).is_some());
        // A new token clears verified_at: the next delivery must stamp again at once.
        cache.forget(org);
        assert!(
            cache
                .stamp_due(org, start + Duration::from_millis(1))
                .is_some()
        );
        // Nor may a stamp committed before that change, but remembered after it, hold it back.
        let turn = cache.stamp_due(other, start).expect("due");
        cache.forget(other);
        cache.stamped(other, start, turn);
        assert!(
            cache
                .stamp_due(other, start + Duration::from_millis(1))
                .is_some()
        );
    }
}
