//! The four-step Lever setup. The server is the source of truth for which steps are done; the
//! console only shows what `setup()` answers.

use api::{ErrorCode, OrgId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::InOrg;
use entity::{lever_integration, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set, TransactionTrait};
use time::OffsetDateTime;

use super::client::{LeverCredentials, LeverError, ProbeList};
use super::integration::{
    Integration, NEEDED, StoredStage, load_required, secret_context, webhook_key_hash,
};
use super::types::LeverUser;
use super::webhook;
use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AdminUser, ClientAddress, EnterpriseAdmin};
use crate::i18n::{Text, msg, request_locale, stored};
use crate::secrets::SecretString;
use crate::state::AppState;

pub const DEFAULT_TAG: &str = "coderpad";
const MAX_SECRET_CHARS: usize = 500;
/// An id no real opportunity has: probing a write with it tells a missing permission (403)
/// from a granted one (404 or 400) without touching real data. Reads are probed with lists
/// instead: Lever may answer 404 for an unknown id before it checks a read permission.
const PROBE_ID: &str = "stagepad-permission-probe";

pub async fn setup(state: &AppState, admin: &EnterpriseAdmin) -> ApiResult<api::LeverSetup> {
    let integration = super::integration::load(&state.db, admin.org_id).await?;
    let Some(integration) = integration else {
        return Ok(api::LeverSetup {
            credentials: api::CredentialsStep {
                done: false,
                environment: None,
                base_url: None,
                api_key_last4: None,
                permission_missing: None,
                confidential_access: None,
                optional_permissions_missing: vec![],
            },
            stages: api::StagesStep {
                done: false,
                selected: vec![],
            },
            webhook: api::WebhookStep {
                done: false,
                url: None,
                https_warning: https_warning(&state.settings.public_url),
            },
            token: api::TokenStep {
                done: false,
                pad_owner: None,
                lever_author: None,
                lever_author_deactivated: false,
            },
            connection: api::ConnectionState::NotConnected,
            tag: DEFAULT_TAG.into(),
            notes_enabled: true,
            results_notes_enabled: true,
            email_candidate_link: false,
            last_delivery_at: None,
            feedback_template: None,
            last_refused: None,
        });
    };
    let row = &integration.row;
    let known = integration.known_stage_ids();
    let selected: Vec<api::SelectedStage> = integration
        .selected_stages()
        .into_iter()
        .map(|stage| api::SelectedStage {
            missing: known.as_ref().is_some_and(|ids| !ids.contains(&stage.id)),
            id: stage.id,
            name: stage.name,
        })
        .collect();
    let pad_owner = match row.pad_owner_id {
        Some(id) => user::Entity::find_in_org(admin.org_id)
            .filter(user::Column::Id.eq(id))
            .one(&state.db)
            .await?
            .map(|u| api::PadOwner {
                id: u.id,
                name: u.name,
            }),
        None => None,
    };
    let token_done = row.signature_token_sealed.is_some() && pad_owner.is_some();
    let connection = match (
        row.signature_token_sealed.is_some(),
        row.verified_at,
        row.last_signature_failure_at,
    ) {
        (false, _, _) => api::ConnectionState::NotConnected,
        (true, verified, Some(failed)) if verified.is_none_or(|v| failed > v) => {
            api::ConnectionState::SignatureMismatch { at: failed }
        }
        (true, Some(at), _) => api::ConnectionState::Verified { at },
        (true, None, _) => api::ConnectionState::WaitingForVerify,
    };
    Ok(api::LeverSetup {
        credentials: api::CredentialsStep {
            done: row.api_key_sealed.is_some(),
            environment: Some(row.environment),
            base_url: (row.environment == lever_integration::Environment::Custom)
                .then(|| row.base_url.clone()),
            api_key_last4: row.api_key_last4.clone(),
            permission_missing: stored::in_request_language(
                row.permission_missing.clone(),
                row.permission_missing_message.as_deref(),
            ),
            confidential_access: row.confidential_access,
            optional_permissions_missing: (row.api_key_sealed.is_some() && !row.notes_readable)
                .then(|| msg(Text::LeverSetupReadNotesOptional).render(request_locale()))
                .into_iter()
                .collect(),
        },
        stages: api::StagesStep {
            done: !selected.is_empty(),
            selected,
        },
        webhook: api::WebhookStep {
            done: row.signature_token_sealed.is_some() || row.verified_at.is_some(),
            url: integration.webhook_url(state)?,
            https_warning: https_warning(&state.settings.public_url),
        },
        token: api::TokenStep {
            done: token_done,
            lever_author: pad_owner
                .is_some()
                .then(|| row.lever_author_name.clone())
                .flatten(),
            lever_author_deactivated: pad_owner.is_some() && row.lever_author_deactivated,
            pad_owner,
        },
        connection,
        tag: row.tag.clone(),
        notes_enabled: row.notes_enabled,
        results_notes_enabled: row.results_notes_enabled,
        email_candidate_link: row.email_candidate_link,
        last_delivery_at: row.last_delivery_at,
        feedback_template: super::feedback::chosen(row),
        last_refused: last_refused(state, row).await?,
    })
}

/// The newest refused request that says something about this connection, unless one was
/// accepted after it: since the integration was made (a reconnection starts afresh) and, once
/// a token is saved, only stage changes (other events may come from webhook entries the admin
/// added besides, each signing with a token of its own).
async fn last_refused(
    state: &AppState,
    integration: &lever_integration::Model,
) -> ApiResult<Option<api::RefusedRequest>> {
    use entity::lever_delivery;
    use sea_orm::QueryOrder;
    let mut refused = lever_delivery::Entity::find_in_org(integration.org_id)
        .filter(lever_delivery::Column::Status.eq(lever_delivery::Status::Rejected))
        .filter(lever_delivery::Column::ReceivedAt.gte(integration.created_at));
    if integration.signature_token_sealed.is_some() {
        refused = refused.filter(lever_delivery::Column::Event.eq(webhook::STAGE_CHANGE));
    }
    let newest = refused
        .order_by_desc(lever_delivery::Column::ReceivedAt)
        .one(&state.db)
        .await?;
    let last_accepted = integration.last_delivery_at;
    Ok(newest
        .filter(|refused| last_accepted.is_none_or(|accepted| refused.received_at > accepted))
        .and_then(|refused| {
            Some(api::RefusedRequest {
                at: refused.received_at,
                reason: refused.reason?,
            })
        }))
}

/// Lever delivers webhooks only to https URLs with a CA-signed certificate. An http public URL
/// is warned about, not refused: it still serves local tries with a simulator.
fn https_warning(public_url: &str) -> Option<String> {
    let https = public_url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    (!https).then(|| {
        crate::i18n::msg(crate::i18n::Text::LeverHttpsWarning)
            .with("url", public_url)
            .render(crate::i18n::request_locale())
    })
}

/// Lever's answer to a check, in words an admin can act on.
pub fn explain(error: &LeverError, base_url: &str) -> ApiError {
    match error {
        LeverError::Unauthorized => ApiError::unprocessable(
            ErrorCode::LeverKeyRejected,
            msg(Text::LeverAnswerKeyRejected),
        ),
        LeverError::Forbidden { endpoint } => ApiError::unprocessable(
            ErrorCode::LeverPermissionsMissing,
            msg(Text::LeverAnswerForbidden).with("endpoint", endpoint),
        ),
        LeverError::Timeout => ApiError::new(
            actix_web::http::StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::LeverTimeout,
            msg(Text::LeverAnswerTimeout),
        ),
        LeverError::Unreachable(detail) => ApiError::new(
            actix_web::http::StatusCode::BAD_GATEWAY,
            ErrorCode::LeverUnreachable,
            msg(Text::LeverAnswerUnreachable)
                .with("base_url", base_url)
                .with("detail", detail),
        ),
        LeverError::RateLimited => ApiError::new(
            actix_web::http::StatusCode::BAD_GATEWAY,
            ErrorCode::LeverRateLimited,
            msg(Text::LeverAnswerRateLimited),
        ),
        other => ApiError::new(
            actix_web::http::StatusCode::BAD_GATEWAY,
            ErrorCode::LeverError,
            msg(Text::LeverAnswerUnexpected).with_message("detail", other.message()),
        ),
    }
}

/// What step 1 learnt from Lever about a key that passed.
struct Access {
    stages: Vec<super::types::LeverStage>,
    /// Created with "Allow access to confidential data"; none when Lever's answer did not tell.
    confidential: Option<bool>,
    /// The optional "read notes" permission.
    notes_readable: bool,
}

/// Calls Lever with the key: a wrong key, each missing permission, or Lever being unreachable
/// come back as one clear error; a missing optional permission is only noted.
async fn check_access(state: &AppState, credentials: &LeverCredentials) -> ApiResult<Access> {
    let lever = &state.lever;
    let stages = match lever.stages(credentials).await {
        Ok(stages) => Some(stages),
        Err(LeverError::Forbidden { .. }) => None,
        Err(e) => return Err(explain(&e, &credentials.base_url)),
    };
    let first_opportunity = lever
        .probe_list(credentials, ProbeList::Opportunities)
        .await;
    let probes = [
        first_opportunity.as_ref().map(|_| ()).map_err(Clone::clone),
        lever
            .probe_list(credentials, ProbeList::Postings)
            .await
            .map(|_| ()),
        lever.add_links(credentials, PROBE_ID, &[], None).await,
        lever
            .create_note(credentials, PROBE_ID, "Stagepad permission check", None)
            .await
            .map(|_| ()),
    ];
    // A real candidate's notes: for a made-up one Lever may answer 404 before it looks at the
    // permission. Without any candidate yet, the made-up id is all there is to ask with.
    let notes_of = match &first_opportunity {
        Ok(Some(id)) if !id.is_empty() => id.as_str(),
        _ => PROBE_ID,
    };
    let notes_readable = match lever.probe_notes(credentials, notes_of).await {
        Ok(_) | Err(LeverError::NotFound { .. }) | Err(LeverError::Status { status: 400, .. }) => {
            true
        }
        Err(LeverError::Forbidden { .. }) => false,
        Err(e) => return Err(explain(&e, &credentials.base_url)),
    };
    let mut missing = Vec::new();
    if stages.is_none() {
        missing.push(NEEDED[0]);
    }
    for (result, needed) in probes.into_iter().zip(&NEEDED[1..]) {
        match result {
            Ok(()) | Err(LeverError::NotFound { .. }) => {}
            Err(LeverError::Forbidden { .. }) => missing.push(*needed),
            // Some endpoints validate the body before looking up the id.
            Err(LeverError::Status { status: 400, .. }) => {}
            Err(e) => return Err(explain(&e, &credentials.base_url)),
        }
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|(endpoint, name)| format!("{name} ({endpoint})"))
            .collect();
        return Err(ApiError::unprocessable(
            ErrorCode::LeverPermissionsMissing,
            msg(Text::LeverSetupPermissionsMissing).with("permissions", list.join(", ")),
        ));
    }
    Ok(Access {
        stages: stages.unwrap_or_default(),
        confidential: confidential_access(state, credentials).await,
        notes_readable,
    })
}

/// Whether the key may read confidential postings: only keys created with "Allow access to
/// confidential data" may ask for them (403 otherwise). One found proves access; an empty
/// answer proves nothing (no confidential job, or Lever hiding them), nor does Lever failing.
async fn confidential_access(state: &AppState, credentials: &LeverCredentials) -> Option<bool> {
    match state
        .lever
        .probe_list(credentials, ProbeList::ConfidentialPostings)
        .await
    {
        Ok(None) => None,
        Ok(Some(_)) => Some(true),
        Err(LeverError::Forbidden { .. }) => Some(false),
        Err(e) => {
            tracing::info!(error = %e, "cannot tell whether the Lever key sees confidential data");
            None
        }
    }
}

fn new_webhook_key() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

pub async fn save_credentials(
    state: &AppState,
    admin: &EnterpriseAdmin,
    request: api::LeverCredentialsRequest,
    client: &ClientAddress,
) -> ApiResult<api::LeverSetup> {
    let base_url = super::base_url(
        request.environment,
        request.base_url.as_deref(),
        state.settings.lever_allow_custom_base_url,
    )?;
    let api_key = SecretString::new(request.api_key.trim());
    if api_key.expose().is_empty() || api_key.expose().chars().count() > MAX_SECRET_CHARS {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            msg(Text::LeverSetupApiKeyInvalid),
        ));
    }
    let credentials = LeverCredentials {
        base_url: base_url.clone(),
        api_key,
    };
    let Access {
        stages,
        confidential,
        notes_readable,
    } = check_access(state, &credentials).await?;

    let org_id = admin.org_id;
    let now = OffsetDateTime::now_utc();
    let sealed_key = state.keyring.seal(
        credentials.api_key.expose(),
        &secret_context(org_id, "api_key"),
    );
    let known_ids =
        serde_json::to_string(&stages.iter().map(|s| &s.id).collect::<Vec<_>>()).expect("json");
    let txn = state.db.begin().await?;
    let existing = lever_integration::Entity::find_in_org(org_id)
        .one(&txn)
        .await?;
    let is_new = existing.is_none();
    let mut row: lever_integration::ActiveModel = match existing {
        Some(row) => row.into(),
        None => {
            let key = new_webhook_key();
            lever_integration::ActiveModel {
                org_id: Set(org_id),
                selected_stages: Set("[]".into()),
                webhook_key_hash: Set(Some(webhook_key_hash(&key))),
                webhook_key_sealed: Set(Some(
                    state
                        .keyring
                        .seal(&key, &secret_context(org_id, "webhook_key")),
                )),
                signature_token_sealed: Set(None),
                pad_owner_id: Set(Some(admin.user_id)),
                tag: Set(DEFAULT_TAG.into()),
                notes_enabled: Set(true),
                results_notes_enabled: Set(true),
                email_candidate_link: Set(false),
                verified_at: Set(None),
                last_signature_failure_at: Set(None),
                last_delivery_at: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
        }
    };
    row.environment = Set(request.environment);
    row.base_url = Set(base_url);
    row.api_key_sealed = Set(Some(sealed_key));
    row.api_key_last4 = Set(Some(credentials.api_key.last_four()));
    row.known_stage_ids = Set(Some(known_ids));
    // This key passed every check just now.
    row.permission_missing = Set(None);
    row.permission_missing_message = Set(None);
    row.confidential_access = Set(confidential);
    row.notes_readable = Set(notes_readable);
    row.updated_at = Set(now);
    if is_new {
        row.insert(&txn).await?;
    } else {
        row.update(&txn).await?;
    }
    audit::record(
        &txn,
        org_id,
        admin.user().into(),
        "lever_credentials_saved",
        msg(Text::AuditDetailLeverCredentialsSaved).with_text(
            "environment",
            audit::lever_environment_name(request.environment),
        ),
        client,
    )
    .await?;
    txn.commit().await?;
    state.webhooks.changed(&state.db, org_id).await;
    // Another key may reach another Lever account, with other users.
    find_lever_author(state, org_id).await;
    setup(state, admin).await
}

/// Finds the pad owner's Lever user by email, so that links and notes carry their name.
/// Best effort: it never undoes the step just saved. When the key may not read users, or Lever
/// has nobody with that email, they carry the key's own user, as the console says.
async fn find_lever_author(state: &AppState, org_id: OrgId) {
    if let Err(e) = look_up_lever_author(state, org_id).await {
        tracing::warn!(error = ?e, "cannot look up the pad owner's Lever user");
    }
}

async fn look_up_lever_author(state: &AppState, org_id: OrgId) -> ApiResult<()> {
    let Some(integration) = super::integration::load(&state.db, org_id).await? else {
        return Ok(());
    };
    let Some(owner_id) = integration.row.pad_owner_id else {
        return Ok(());
    };
    let Some(owner) = user::Entity::find_in_org(org_id)
        .filter(user::Column::Id.eq(owner_id))
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let credentials = integration.credentials(state)?;
    // Lever's filter matches the canonical form exactly.
    let email = owner.email.trim().to_lowercase();
    let active = |users: Vec<LeverUser>| {
        users
            .into_iter()
            .find(|u| u.deactivated_at.is_none() && u.has_email(&email))
    };
    let (author, deactivated) = match state
        .lever
        .users_by_email(&credentials, &email, false)
        .await
    {
        Ok(users) => match active(users) {
            Some(user) => (Some(user), false),
            // Asked again only to tell the admin why nobody can be used.
            None => {
                let deactivated = state
                    .lever
                    .users_by_email(&credentials, &email, true)
                    .await
                    .is_ok_and(|users| {
                        users
                            .iter()
                            .any(|u| u.deactivated_at.is_some() && u.has_email(&email))
                    });
                (None, deactivated)
            }
        },
        Err(LeverError::Forbidden { .. }) => (None, false),
        // Lever busy or down: keep what an earlier look found (a user Lever no longer takes
        // is caught when writing).
        Err(e) => {
            tracing::info!(error = %e, "cannot read Lever's users now");
            return Ok(());
        }
    };
    let (id, name) = author.map(|u| (u.id, u.name)).unzip();
    lever_integration::Entity::update_in_org(org_id)
        .col_expr(lever_integration::Column::LeverAuthorId, Expr::value(id))
        .col_expr(
            lever_integration::Column::LeverAuthorName,
            Expr::value(name),
        )
        .col_expr(
            lever_integration::Column::LeverAuthorDeactivated,
            Expr::value(deactivated),
        )
        // Only for the owner it was found for: another admin may have chosen another meanwhile.
        .filter(lever_integration::Column::PadOwnerId.eq(owner_id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Lever's stages, live, marked with the selected ones. Remembers which ids exist, so a
/// selected stage that Lever dropped is flagged.
pub async fn live_stages(
    state: &AppState,
    admin: &EnterpriseAdmin,
) -> ApiResult<api::LeverStagesResponse> {
    let integration = load_required(&state.db, admin.org_id).await?;
    let credentials = integration.credentials(state)?;
    let stages = state
        .lever
        .stages(&credentials)
        .await
        .map_err(|e| explain(&e, &credentials.base_url))?;
    remember_known_stages(state, &integration, &stages).await?;
    let selected: Vec<String> = integration
        .selected_stages()
        .into_iter()
        .map(|s| s.id)
        .collect();
    Ok(api::LeverStagesResponse {
        stages: stages
            .into_iter()
            .map(|s| api::LeverStageChoice {
                selected: selected.contains(&s.id),
                id: s.id,
                name: s.text,
            })
            .collect(),
    })
}

async fn remember_known_stages(
    state: &AppState,
    integration: &Integration,
    stages: &[super::types::LeverStage],
) -> ApiResult<()> {
    let ids =
        serde_json::to_string(&stages.iter().map(|s| &s.id).collect::<Vec<_>>()).expect("json");
    let mut row: lever_integration::ActiveModel = integration.row.clone().into();
    row.known_stage_ids = Set(Some(ids));
    row.update(&state.db).await?;
    Ok(())
}

/// Applies `change` to the stored integration and records it in the audit log, in one
/// transaction: every step's Update goes through here.
pub(super) async fn change_integration(
    state: &AppState,
    admin: &EnterpriseAdmin,
    client: &ClientAddress,
    integration: &Integration,
    action: &'static str,
    detail: crate::i18n::Message,
    change: impl FnOnce(&mut lever_integration::ActiveModel),
) -> ApiResult<()> {
    let txn = state.db.begin().await?;
    let mut row: lever_integration::ActiveModel = integration.row.clone().into();
    change(&mut row);
    row.updated_at = Set(OffsetDateTime::now_utc());
    row.update(&txn).await?;
    audit::record(
        &txn,
        admin.org_id,
        admin.user().into(),
        action,
        detail,
        client,
    )
    .await?;
    txn.commit().await?;
    state.webhooks.changed(&state.db, admin.org_id).await;
    Ok(())
}

pub async fn save_stages(
    state: &AppState,
    admin: &EnterpriseAdmin,
    request: api::LeverStagesRequest,
    client: &ClientAddress,
) -> ApiResult<api::LeverSetup> {
    if request.stage_ids.is_empty() {
        return Err(ApiError::unprocessable(
            ErrorCode::NoStages,
            msg(Text::LeverSetupNoStages),
        ));
    }
    let integration = load_required(&state.db, admin.org_id).await?;
    let credentials = integration.credentials(state)?;
    let live = state
        .lever
        .stages(&credentials)
        .await
        .map_err(|e| explain(&e, &credentials.base_url))?;
    let mut chosen = Vec::new();
    for id in &request.stage_ids {
        let stage = live.iter().find(|s| &s.id == id).ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::UnknownStage,
                msg(Text::LeverSetupUnknownStage).with("id", format!("{id:?}")),
            )
        })?;
        if !chosen.iter().any(|c: &StoredStage| c.id == stage.id) {
            chosen.push(StoredStage {
                id: stage.id.clone(),
                name: stage.text.clone(),
            });
        }
    }
    let names: Vec<&str> = chosen.iter().map(|s| s.name.as_str()).collect();
    let detail = msg(Text::AuditDetailLeverStagesSaved).with("stages", names.join(", "));
    let known_ids =
        serde_json::to_string(&live.iter().map(|s| &s.id).collect::<Vec<_>>()).expect("json");
    let selected = serde_json::to_string(&chosen).expect("json");
    change_integration(
        state,
        admin,
        client,
        &integration,
        "lever_stages_saved",
        detail,
        |row| {
            row.selected_stages = Set(selected);
            row.known_stage_ids = Set(Some(known_ids));
        },
    )
    .await?;
    setup(state, admin).await
}

pub async fn webhook(
    state: &AppState,
    admin: &EnterpriseAdmin,
) -> ApiResult<api::LeverWebhookResponse> {
    let integration = load_required(&state.db, admin.org_id).await?;
    let url = integration
        .webhook_url(state)?
        .ok_or_else(|| ApiError::conflict(ErrorCode::StepIncomplete, msg(Text::LeverKeyFirst)))?;
    Ok(api::LeverWebhookResponse { url })
}

/// A new webhook URL; the old one answers 404 from now on.
pub async fn rotate_webhook(
    state: &AppState,
    admin: &EnterpriseAdmin,
    client: &ClientAddress,
) -> ApiResult<api::LeverWebhookResponse> {
    let integration = load_required(&state.db, admin.org_id).await?;
    let key = new_webhook_key();
    let sealed = state
        .keyring
        .seal(&key, &secret_context(admin.org_id, "webhook_key"));
    let detail = msg(Text::AuditDetailLeverWebhookRotated);
    change_integration(
        state,
        admin,
        client,
        &integration,
        "lever_webhook_rotated",
        detail,
        |row| {
            row.webhook_key_hash = Set(Some(webhook_key_hash(&key)));
            row.webhook_key_sealed = Set(Some(sealed));
            row.verified_at = Set(None);
            row.last_signature_failure_at = Set(None);
        },
    )
    .await?;
    webhook(state, admin).await
}

pub async fn save_token(
    state: &AppState,
    admin: &EnterpriseAdmin,
    request: api::LeverTokenRequest,
    client: &ClientAddress,
) -> ApiResult<api::LeverSetup> {
    let token = request.signature_token.trim();
    if token.is_empty()
        || token.chars().count() > MAX_SECRET_CHARS
        || token.contains(char::is_whitespace)
    {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            msg(Text::LeverSetupSignatureTokenInvalid),
        ));
    }
    let owner = user::Entity::find_in_org(admin.org_id)
        .filter(user::Column::Id.eq(request.pad_owner_id))
        .filter(user::Column::Status.eq(user::Status::Active))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::InvalidPadOwner,
                msg(Text::LeverSetupPadOwnerInvalid),
            )
        })?;
    let integration = load_required(&state.db, admin.org_id).await?;
    let sealed = state
        .keyring
        .seal(token, &secret_context(admin.org_id, "signature_token"));
    let detail = msg(Text::AuditDetailLeverTokenSaved).with("owner", &owner.name);
    change_integration(
        state,
        admin,
        client,
        &integration,
        "lever_token_saved",
        detail,
        |row| {
            row.signature_token_sealed = Set(Some(sealed));
            row.pad_owner_id = Set(Some(owner.id));
            // A new token starts a new wait for Lever's Verify.
            row.verified_at = Set(None);
            row.last_signature_failure_at = Set(None);
        },
    )
    .await?;
    find_lever_author(state, admin.org_id).await;
    setup(state, admin).await
}

pub async fn save_options(
    state: &AppState,
    admin: &EnterpriseAdmin,
    request: api::LeverOptionsRequest,
    client: &ClientAddress,
) -> ApiResult<api::LeverSetup> {
    let tag = request.tag.trim();
    if tag.is_empty() || tag.chars().count() > 50 {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            msg(Text::LeverSetupTagInvalid),
        ));
    }
    let integration = load_required(&state.db, admin.org_id).await?;
    let on_off = |on: bool| {
        if on {
            Text::AuditDetailOn
        } else {
            Text::AuditDetailOff
        }
    };
    let detail = msg(Text::AuditDetailLeverOptionsSaved)
        .with("tag", format!("{tag:?}"))
        .with_text("notes", on_off(request.notes_enabled))
        .with_text("results", on_off(request.results_notes_enabled))
        .with_text("mail", on_off(request.email_candidate_link));
    change_integration(
        state,
        admin,
        client,
        &integration,
        "lever_options_saved",
        detail,
        |row| {
            row.tag = Set(tag.to_string());
            row.notes_enabled = Set(request.notes_enabled);
            row.results_notes_enabled = Set(request.results_notes_enabled);
            row.email_candidate_link = Set(request.email_candidate_link);
        },
    )
    .await?;
    setup(state, admin).await
}

/// Erases the key and the token and disables the webhook URL. Any admin may, whatever the
/// plan: an organization that left Enterprise must still be able to cut Lever off.
pub async fn disconnect(
    state: &AppState,
    admin: &AdminUser,
    client: &ClientAddress,
) -> ApiResult<()> {
    let txn = state.db.begin().await?;
    let deleted = lever_integration::Entity::delete_in_org(admin.org_id)
        .exec(&txn)
        .await?;
    if deleted.rows_affected > 0 {
        audit::record(
            &txn,
            admin.org_id,
            admin.user().into(),
            "lever_disconnected",
            msg(Text::AuditDetailLeverDisconnected),
            client,
        )
        .await?;
    }
    txn.commit().await?;
    state.webhooks.changed(&state.db, admin.org_id).await;
    Ok(())
}
