//! An organization's stored Lever connection: loading it, opening its sealed secrets, the
//! webhook key's hash and the stored stages. The setup wizard writes it; the webhook, the
//! pipeline, deliveries and pad notes read it from here.

use api::i18n::Locale;
use api::{ErrorCode, OrgId};
use entity::InOrg;
use entity::lever_integration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::client::{LeverCredentials, LeverError};
use crate::error::ApiError;
use crate::i18n::{Text, msg};
use crate::jobs::JobError;
use crate::secrets::{SealError, SecretString};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredStage {
    pub id: String,
    pub name: String,
}

/// Why the stored connection cannot be used. Converts into the HTTP answer and into a job
/// failure, keeping its cause.
#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("Lever is not connected: save a Lever API key first (step 1)")]
    NotConnected,
    #[error(
        "this Stagepad no longer allows the custom Lever base URL saved in step 1, so Lever is \
         not called; save the API key again for production, sandbox or EU"
    )]
    CustomBaseUrlDisabled,
    #[error("the stored Lever base URL is not usable: {0}")]
    BaseUrl(String),
    #[error("cannot open the stored Lever {field}")]
    Sealed {
        field: &'static str,
        #[source]
        cause: SealError,
    },
    #[error("reading the Lever connection")]
    Database(#[from] sea_orm::DbErr),
}

impl From<IntegrationError> for ApiError {
    fn from(e: IntegrationError) -> Self {
        match e {
            IntegrationError::NotConnected => {
                ApiError::conflict(ErrorCode::StepIncomplete, msg(Text::LeverKeyFirst))
            }
            IntegrationError::CustomBaseUrlDisabled => ApiError::unprocessable(
                ErrorCode::CustomBaseUrlDisabled,
                msg(Text::LeverCustomBaseUrlNoLongerAllowed),
            ),
            other => ApiError::internal(other),
        }
    }
}

impl From<IntegrationError> for JobError {
    fn from(e: IntegrationError) -> Self {
        match e {
            // The database may answer on the next run; nothing else changes by itself.
            IntegrationError::Database(cause) => cause.into(),
            IntegrationError::NotConnected => JobError::permanent(Text::LeverErrorNotConnected),
            IntegrationError::CustomBaseUrlDisabled => {
                JobError::permanent(Text::LeverErrorCustomBaseUrlDisabled)
            }
            IntegrationError::BaseUrl(detail) => {
                JobError::permanent(msg(Text::LeverErrorBaseUrl).with("detail", detail))
            }
            IntegrationError::Sealed { field, cause } => JobError::permanent(
                msg(Text::LeverErrorSealed)
                    .with("field", field)
                    .with("detail", crate::error::with_causes(&cause)),
            ),
        }
    }
}

/// An organization's stored connection; its secrets are opened on demand.
pub struct Integration {
    pub row: lever_integration::Model,
}

impl Integration {
    pub fn selected_stages(&self) -> Vec<StoredStage> {
        serde_json::from_str(&self.row.selected_stages).unwrap_or_default()
    }

    /// The stage ids Lever had when last asked.
    pub fn known_stage_ids(&self) -> Option<Vec<String>> {
        self.row
            .known_stage_ids
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
    }

    /// The Lever user links and notes are made as (`perform_as`); none means the key's own.
    pub fn author(&self) -> Option<&str> {
        self.row.lever_author_id.as_deref()
    }

    pub fn environment(&self) -> api::LeverEnvironment {
        self.row.environment
    }

    pub fn credentials(&self, state: &AppState) -> Result<LeverCredentials, IntegrationError> {
        let sealed = self
            .row
            .api_key_sealed
            .as_deref()
            .ok_or(IntegrationError::NotConnected)?;
        Ok(LeverCredentials {
            base_url: self.base_url(state)?,
            api_key: self.open(state, sealed, "api_key")?,
        })
    }

    /// Where to call Lever, under the server's settings as they are now: a custom base URL
    /// saved while `STAGEPAD_LEVER_ALLOW_CUSTOM_BASE_URL` was on is refused once it is off
    /// (not swapped for Lever's production host: the key may belong to another environment).
    fn base_url(&self, state: &AppState) -> Result<String, IntegrationError> {
        let environment = self.environment();
        let allow_custom = state.settings.lever_allow_custom_base_url;
        if environment == api::LeverEnvironment::Custom && !allow_custom {
            return Err(IntegrationError::CustomBaseUrlDisabled);
        }
        super::base_url(environment, Some(&self.row.base_url), allow_custom)
            .map_err(|e| IntegrationError::BaseUrl(e.to_string()))
    }

    /// The token Lever signs deliveries with; none when not saved (or, logged, unreadable).
    pub fn signature_token(&self, state: &AppState) -> Option<SecretString> {
        let sealed = self.row.signature_token_sealed.as_deref()?;
        match self.open(state, sealed, "signature_token") {
            Ok(token) => Some(token),
            Err(e) => {
                tracing::error!(org_id = %self.row.org_id, error = %crate::error::with_causes(&e), "cannot use the stored signature token");
                None
            }
        }
    }

    /// The organization's webhook URL, once step 1 made its key.
    pub fn webhook_url(&self, state: &AppState) -> Result<Option<String>, IntegrationError> {
        let Some(sealed) = self.row.webhook_key_sealed.as_deref() else {
            return Ok(None);
        };
        let key = self.open(state, sealed, "webhook_key")?;
        Ok(Some(format!(
            "{}/webhooks/lever/{}",
            state.settings.public_url,
            key.expose()
        )))
    }

    fn open(
        &self,
        state: &AppState,
        sealed: &str,
        field: &'static str,
    ) -> Result<SecretString, IntegrationError> {
        state
            .keyring
            .open(sealed, &secret_context(self.row.org_id, field))
            .map_err(|cause| IntegrationError::Sealed { field, cause })
    }
}

/// Binds a sealed secret to its organization and field.
pub fn secret_context(org_id: OrgId, field: &str) -> String {
    format!("lever_integrations/{org_id}/{field}")
}

/// Webhook keys are looked up by this hash; the key itself is kept sealed, for display.
pub fn webhook_key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

pub async fn load(
    db: &DatabaseConnection,
    org_id: OrgId,
) -> Result<Option<Integration>, IntegrationError> {
    Ok(lever_integration::Entity::find_in_org(org_id)
        .one(db)
        .await?
        .map(|row| Integration { row }))
}

/// The connection, or [`IntegrationError::NotConnected`].
pub async fn load_required(
    db: &DatabaseConnection,
    org_id: OrgId,
) -> Result<Integration, IntegrationError> {
    load(db, org_id)
        .await?
        .ok_or(IntegrationError::NotConnected)
}

/// The connection whose webhook key hashes to `key_hash` (see [`webhook_key_hash`]).
pub async fn by_webhook_key_hash(
    db: &DatabaseConnection,
    key_hash: &str,
) -> Result<Option<Integration>, IntegrationError> {
    Ok(lever_integration::Entity::find()
        .filter(lever_integration::Column::WebhookKeyHash.eq(key_hash))
        .one(db)
        .await?
        .map(|row| Integration { row }))
}

/// For background jobs: the connection with its credentials, if any.
pub async fn load_for_job(
    state: &AppState,
    org_id: OrgId,
) -> Result<Option<(Integration, LeverCredentials)>, JobError> {
    let Some(integration) = load(&state.db, org_id).await? else {
        return Ok(None);
    };
    let credentials = integration.credentials(state)?;
    Ok(Some((integration, credentials)))
}

/// The permissions Stagepad needs, by endpoint, as Lever's key settings name them.
pub const NEEDED: [(&str, &str); 5] = [
    ("GET /stages", "Read stages"),
    ("GET /opportunities", "Read opportunities"),
    ("GET /postings", "Read postings"),
    (
        "POST /opportunities/:id/addLinks",
        "Add links to opportunities",
    ),
    ("POST /opportunities/:id/notes", "Create notes"),
];

/// Passes a write's result through; a 403 to addLinks or notes (which step 1 saw granted)
/// means a permission was taken from the key since, and is kept on the integration for the
/// setup page to show.
pub async fn watch_write<T>(
    state: &AppState,
    org_id: OrgId,
    result: Result<T, LeverError>,
) -> Result<T, LeverError> {
    if let Err(LeverError::Forbidden { endpoint }) = &result
        && let Some((_, name)) = NEEDED.iter().find(|(needed, _)| needed == endpoint)
    {
        let message = msg(Text::LeverPermissionRevoked)
            .with("endpoint", endpoint)
            .with("permission", name);
        let saved = lever_integration::Entity::update_in_org(org_id)
            .col_expr(
                lever_integration::Column::PermissionMissing,
                Expr::value(Some(message.render(Locale::En))),
            )
            .col_expr(
                lever_integration::Column::PermissionMissingMessage,
                Expr::value(message.stored_json()),
            )
            .exec(&state.db)
            .await;
        if let Err(e) = saved {
            tracing::warn!(%org_id, error = %e, "cannot record the refused Lever write");
        }
    }
    result
}
