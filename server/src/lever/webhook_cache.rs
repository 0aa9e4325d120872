//! What the webhook needs to know of an organization (its integration, opened signature token,
//! plan and selected stages), kept in memory for a second: a burst of deliveries reads the
//! database once per organization and second instead of twice per delivery.
//!
//! Every write to an integration or a plan on this instance forgets the organization at once.
//! Another instance (PostgreSQL) sees such a change within [`TTL`]; a signature that does not
//! match the cached token is checked against the database before it is refused, so a token
//! saved elsewhere is never the reason a delivery is lost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use api::OrgId;
use std::sync::Arc;

use super::integration::{self, Integration, IntegrationError};
use crate::orgs;
use crate::secrets::SecretString;
use crate::state::AppState;

/// How long an organization's entry is trusted; also the least time between two stamps of
/// `verified_at`/`last_delivery_at`.
pub const TTL: Duration = Duration::from_secs(1);
/// Past this many entries, expired ones are dropped on the next load.
const MAX_ENTRIES: usize = 10_000;

/// An organization's integration as the webhook uses it.
pub struct WebhookTarget {
    pub integration: Integration,
    pub signature_token: Option<SecretString>,
    pub plan_includes_lever: bool,
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

    fn is_fresh(&self, now: Instant) -> bool {
        now.duration_since(self.loaded_at) < TTL
    }
}

#[derive(Default)]
pub struct WebhookCache {
    /// By the webhook key's hash.
    targets: Mutex<HashMap<String, Arc<WebhookTarget>>>,
    /// When each organization's delivery stamps were last written.
    stamped: Mutex<HashMap<OrgId, Instant>>,
    /// Counts forgets: a load that began before one may hold what the change replaced, and
    /// is used but not kept.
    forgets: AtomicU64,
}

impl WebhookCache {
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
            Some(target) if target.is_fresh(Instant::now()) => Ok(Some(target)),
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
        let plan_includes_lever = orgs::service::plan_includes_lever(&state.db, org_id).await?;
        let target = Arc::new(WebhookTarget {
            signature_token: integration.signature_token(state),
            selected_stage_ids: integration
                .selected_stages()
                .into_iter()
                .map(|stage| stage.id)
                .collect(),
            integration,
            plan_includes_lever,
            loaded_at: Instant::now(),
        });
        let mut targets = self.targets.lock().expect("webhook cache");
        if self.forgets.load(Ordering::SeqCst) == forgets_before {
            if targets.len() >= MAX_ENTRIES {
                let now = Instant::now();
                targets.retain(|_, target| target.is_fresh(now));
            }
            targets.insert(key_hash, target.clone());
        }
        Ok(Some(target))
    }

    /// Drops what is known of the organization: called after every change to its integration
    /// or plan, so the next delivery reads them anew and stamps the integration again.
    pub fn forget(&self, org_id: OrgId) {
        self.forgets.fetch_add(1, Ordering::SeqCst);
        self.targets
            .lock()
            .expect("webhook cache")
            .retain(|_, target| target.org_id() != org_id);
        self.stamped.lock().expect("webhook cache").remove(&org_id);
    }

    /// Whether a delivery accepted now should write the organization's stamps: none was
    /// committed in the last [`TTL`] (or since the organization was forgotten).
    pub fn stamp_due(&self, org_id: OrgId, now: Instant) -> bool {
        let stamped = self.stamped.lock().expect("webhook cache");
        !matches!(stamped.get(&org_id), Some(last) if now.duration_since(*last) < TTL)
    }

    /// Notes that the organization's stamps were committed at `at` (only once committed: a
    /// batch that failed must leave the next delivery to stamp).
    pub fn stamped(&self, org_id: OrgId, at: Instant) {
        let mut stamped = self.stamped.lock().expect("webhook cache");
        if stamped.len() >= MAX_ENTRIES {
            stamped.retain(|_, last| at.duration_since(*last) < TTL);
        }
        stamped.insert(org_id, at);
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
        assert!(cache.stamp_due(org, start), "the first delivery stamps");
        assert!(
            cache.stamp_due(org, start),
            "until a stamp is committed, the next delivery stamps too"
        );
        cache.stamped(org, start);
        assert!(!cache.stamp_due(org, start + Duration::from_millis(500)));
        assert!(
            cache.stamp_due(other, start),
            "each organization has its own turn"
        );
        assert!(cache.stamp_due(org, start + TTL));
        // A new token clears verified_at: the next delivery must stamp again at once.
        cache.forget(org);
        assert!(cache.stamp_due(org, start + Duration::from_millis(1)));
    }
}
