//! Interview pads. Lever's pipeline creates them (or a member, by hand); their id is the secret
//! part of their link: whoever holds the link may join the live pad. Members of the pad's
//! organization may end it, play it back and send its code to Lever.

pub mod cluster;
pub mod feedback;
pub mod live;
pub mod mail;
pub mod member;
pub mod notes;
pub mod routes;
pub mod socket;

use api::{ErrorCode, OrgId, PadId, UserId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::InOrg;
use entity::{pad, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use time::OffsetDateTime;

use crate::error::{ApiError, ApiResult};
use crate::extract::AuthUser;
use crate::i18n::{Text, msg, stored};
use crate::jobs::queue;
use crate::paging;
use crate::state::AppState;
use member::MemberPad;

pub use entity::pad::{Source as PadSource, Status as PadStatus};
pub const DEFAULT_LANGUAGE: &str = "python";

/// 128 random bits, URL-safe: 22 characters.
pub fn new_pad_id() -> PadId {
    PadId::new(URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()))
}

/// The link written on the candidate in Lever.
pub fn link(state: &AppState, pad_id: &PadId) -> String {
    format!("{}/pad/{pad_id}", state.settings.public_url)
}

/// How logs name a pad: its id is the secret part of its link, so they get a fingerprint.
pub fn log_ref(pad_id: &PadId) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(pad_id.as_str().as_bytes())[..6])
}

fn looks_like_pad_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn no_pad() -> ApiError {
    ApiError::not_found(msg(Text::PadsNotFound))
}

/// Any pad by its link's id, whether or not its organization is disabled.
async fn find_any(state: &AppState, pad_id: &PadId) -> ApiResult<pad::Model> {
    if !looks_like_pad_id(pad_id.as_str()) {
        return Err(no_pad());
    }
    pad::Entity::find_by_id(pad_id.clone())
        .one(&state.db)
        .await?
        .ok_or_else(no_pad)
}

/// Any pad by its link's id.
pub async fn find(state: &AppState, pad_id: &PadId) -> ApiResult<pad::Model> {
    let pad = find_any(state, pad_id).await?;
    // Every use of a link (view, socket) comes through here: a disabled organization's links
    // stop working at once, and start again when it is enabled.
    if crate::orgs::service::is_disabled(&state.db, pad.org_id).await? {
        return Err(ApiError::forbidden(
            ErrorCode::OrganizationDisabled,
            msg(Text::PadsOrganizationDisabled),
        ));
    }
    Ok(pad)
}

/// A pad of the member's organization; another organization's pad does not exist for them
/// (404, even when that organization is disabled: a 403 would tell that the pad exists). The
/// member's own organization is not disabled: `AuthUser` made sure of it.
pub async fn find_for_member(
    state: &AppState,
    user: &AuthUser,
    pad_id: &PadId,
) -> ApiResult<pad::Model> {
    let pad = find_any(state, pad_id).await?;
    if pad.org_id != user.org_id {
        return Err(no_pad());
    }
    Ok(pad)
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PadFilter {
    /// Only pads with this status (a `PadStatus`).
    pub status: Option<String>,
    /// Part of the candidate's name or of the job title, any case.
    pub q: Option<String>,
    /// Pads per page: 1 to 200, 50 when absent.
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of the organization's pads, newest first; filter and search run in the database.
pub async fn list(
    state: &AppState,
    org_id: OrgId,
    filter: &PadFilter,
) -> ApiResult<api::PadsResponse> {
    let page = paging::PageRequest::new(filter.limit, filter.cursor.as_deref())?;
    let mut select = pad::Entity::find_in_org(org_id);
    if let Some(code) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        let status = PadStatus::from_code(code).ok_or_else(|| {
            ApiError::bad_request(ErrorCode::InvalidStatus, msg(Text::PadsInvalidStatus))
        })?;
        select = select.filter(pad::Column::Status.eq(status));
    }
    if let Some(pattern) = paging::search_pattern(filter.q.as_deref())? {
        select = select.filter(
            Condition::any()
                .add(paging::contains(pad::Column::CandidateName, &pattern))
                .add(paging::contains(pad::Column::JobTitle, &pattern)),
        );
    }
    let (rows, next_cursor) = paging::fetch(
        &state.db,
        select,
        (pad::Column::CreatedAt, pad::Column::Id),
        paging::Direction::NewestFirst,
        page.limit,
        page.after_id::<String>()?,
        |p| paging::Key {
            at: p.created_at,
            id: p.id.to_string(),
        },
    )
    .await?;
    let owner_ids: Vec<UserId> = rows.iter().filter_map(|p| p.owner_id).collect();
    let owners: std::collections::HashMap<UserId, String> = user::Entity::find_in_org(org_id)
        .filter(user::Column::Id.is_in(owner_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(api::PadsResponse {
        pads: rows
            .into_iter()
            .map(|p| {
                let owner = p.owner_id.and_then(|id| owners.get(&id).cloned());
                summary(state, p, owner)
            })
            .collect(),
        next_cursor,
    })
}

fn summary(state: &AppState, p: pad::Model, owner_name: Option<String>) -> api::PadSummary {
    api::PadSummary {
        link: link(state, &p.id),
        owner: p
            .owner_id
            .zip(owner_name)
            .map(|(id, name)| api::PadOwner { id, name }),
        link_on_candidate: p.link_added_at.is_some(),
        note_on_candidate: p.note_id.is_some(),
        id: p.id,
        source: p.source,
        candidate_name: p.candidate_name,
        job_title: p.job_title,
        stage_name: p.stage_name,
        status: p.status,
        created_at: p.created_at,
        ended_at: p.ended_at,
    }
}

/// What the link shows: everything to members and, while the interview runs, enough for the
/// candidate to join; after it ended, outsiders learn only that.
pub async fn view(
    state: &AppState,
    pad_id: &PadId,
    viewer: Option<&AuthUser>,
) -> ApiResult<api::PadView> {
    let pad = find(state, pad_id).await?;
    let member = viewer.filter(|user| user.org_id == pad.org_id);
    let open = member.is_some() || pad.status != PadStatus::Ended;
    let from_lever = member.is_some() && pad.source == PadSource::Lever;
    let feedback_available = from_lever
        && crate::lever::integration::load(&state.db, pad.org_id)
            .await?
            .is_some_and(|i| i.row.feedback_template_id.is_some());
    let organization_name = if open {
        entity::organization::Entity::find_by_id(pad.org_id)
            .one(&state.db)
            .await?
            .map(|org| org.name)
    } else {
        None
    };
    let (code_note_sent, feedback_sent) = match member {
        Some(_) => (
            lever_write_sent(state, &pad, pad.code_note_sent_at, pad.code_note_sent_by).await?,
            lever_write_sent(state, &pad, pad.feedback_sent_at, pad.feedback_sent_by).await?,
        ),
        None => (None, None),
    };
    Ok(api::PadView {
        id: pad.id,
        status: pad.status,
        candidate_name: open.then_some(pad.candidate_name),
        job_title: pad.job_title.filter(|_| open),
        language: open.then_some(pad.language),
        created_at: open.then_some(pad.created_at),
        ended_at: pad.ended_at.filter(|_| open),
        member: member.is_some(),
        organization_name,
        member_name: member.map(|user| user.name.clone()),
        from_lever,
        code_note_status: pad.code_note_status.filter(|_| member.is_some()),
        code_note_error: stored::in_request_language(
            pad.code_note_error,
            pad.code_note_error_message.as_deref(),
        )
        .filter(|_| member.is_some()),
        feedback_available,
        feedback_status: pad.feedback_status.filter(|_| member.is_some()),
        feedback_error: stored::in_request_language(
            pad.feedback_error,
            pad.feedback_error_message.as_deref(),
        )
        .filter(|_| member.is_some()),
        code_note_sent,
        feedback_sent,
    })
}

/// When a write of the pad's code reached Lever, with the name of the member who asked.
async fn lever_write_sent(
    state: &AppState,
    pad: &pad::Model,
    at: Option<OffsetDateTime>,
    by: Option<UserId>,
) -> ApiResult<Option<api::LeverWriteSent>> {
    let Some(at) = at else { return Ok(None) };
    let by = match by {
        Some(id) => user::Entity::find_in_org(pad.org_id)
            .filter(user::Column::Id.eq(id))
            .one(&state.db)
            .await?
            .map(|u| u.name),
        None => None,
    };
    Ok(Some(api::LeverWriteSent { at, by }))
}

/// `POST /api/pads`: a pad for an interview that does not come from Lever.
pub async fn create(
    state: &AppState,
    user: &AuthUser,
    request: api::NewPadRequest,
) -> ApiResult<api::PadSummary> {
    let candidate_name = request.candidate_name.trim().to_string();
    // Control characters (NUL above all, which PostgreSQL refuses) have no place in a name.
    if candidate_name.is_empty()
        || candidate_name.chars().count() > 200
        || candidate_name.chars().any(char::is_control)
    {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            msg(Text::PadsCandidateNameInvalid),
        ));
    }
    let job_title = request
        .job_title
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if job_title
        .as_ref()
        .is_some_and(|t| t.chars().count() > 300 || t.chars().any(char::is_control))
    {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            msg(Text::PadsJobTitleInvalid),
        ));
    }
    let language = request.language.unwrap_or_else(|| DEFAULT_LANGUAGE.into());
    if api::language_label(&language).is_none() {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidLanguage,
            msg(Text::PadsUnknownLanguage).with("language", format!("{language:?}")),
        ));
    }
    let pad = new_pad(
        user.org_id,
        PadSource::Manual,
        candidate_name,
        Some(user.user_id),
    )
    .job_title(job_title)
    .language(language)
    .insert(&state.db)
    .await?;
    Ok(summary(state, pad, Some(user.name.clone())))
}

/// A new pad's row with everything a fresh pad has.
pub fn new_pad(
    org_id: OrgId,
    source: PadSource,
    candidate_name: String,
    owner_id: Option<UserId>,
) -> NewPad {
    NewPad(pad::ActiveModel {
        id: Set(new_pad_id()),
        org_id: Set(org_id),
        source: Set(source),
        opportunity_id: Set(None),
        delivery_id: Set(None),
        candidate_name: Set(candidate_name.chars().take(200).collect()),
        job_title: Set(None),
        stage_id: Set(None),
        stage_name: Set(None),
        owner_id: Set(owner_id),
        status: Set(PadStatus::NotStarted),
        link_added_at: Set(None),
        note_id: Set(None),
        created_at: Set(OffsetDateTime::now_utc()),
        language: Set(DEFAULT_LANGUAGE.into()),
        started_at: Set(None),
        ended_at: Set(None),
        code_note_status: Set(None),
        code_note_error: Set(None),
        code_note_error_message: Set(None),
        feedback_status: Set(None),
        feedback_error: Set(None),
        feedback_error_message: Set(None),
        code_note_sent_by: Set(None),
        code_note_sent_at: Set(None),
        feedback_sent_by: Set(None),
        feedback_sent_at: Set(None),
        results_note_id: Set(None),
    })
}

pub struct NewPad(pub pad::ActiveModel);

impl NewPad {
    pub fn job_title(mut self, title: Option<String>) -> Self {
        self.0.job_title = Set(title.map(|t| t.chars().take(300).collect()));
        self
    }

    pub fn language(mut self, language: String) -> Self {
        self.0.language = Set(language);
        self
    }

    pub async fn insert(
        self,
        db: &impl sea_orm::ConnectionTrait,
    ) -> Result<pad::Model, sea_orm::DbErr> {
        self.0.insert(db).await
    }
}

/// `POST /api/pads/<id>/end`: the pad turns read-only for everyone. Ending twice is harmless.
pub async fn end(state: &AppState, member: &MemberPad) -> ApiResult<api::PadView> {
    let (user, pad) = (member.user(), member.pad().clone());
    if pad.status != PadStatus::Ended {
        // Read before the transaction: SQLite has one connection, which the transaction holds.
        let wants_results_note = notes::wants_results_note(state, &pad).await?;
        // Edits wait while the pad ends, so none is stored after the end.
        let room = state.pad_hub.open_room(&pad.id);
        let guard = match &room {
            Some(room) => Some(room.begin_end().await),
            None => None,
        };
        let txn = state.db.begin().await?;
        let now = OffsetDateTime::now_utc();
        let ended = pad::Entity::update_in_org(pad.org_id)
            .col_expr(pad::Column::Status, Expr::value(PadStatus::Ended))
            .col_expr(pad::Column::EndedAt, Expr::value(Some(now)))
            .filter(pad::Column::Id.eq(&pad.id))
            .filter(pad::Column::Status.ne(PadStatus::Ended))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        let results_note = ended && wants_results_note;
        if results_note {
            queue::new_job(
                pad.org_id,
                entity::job::Kind::ResultsNote,
                None,
                serde_json::json!({ "pad_id": pad.id }).to_string(),
                now,
            )
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        if results_note {
            state.job_signal.wake();
        }
        if let Some(guard) = guard {
            guard.ended();
        }
        // A room opened here while the end was being written may have loaded the pad as it
        // stood before (and this instance skips its own notification).
        state
            .pad_hub
            .catch_up(&state.db, &pad.id, cluster::Change::Content)
            .await;
        state
            .pad_hub
            .cluster()
            .announce(&state.db, &pad.id, cluster::Change::Content)
            .await;
        // A run still going ends with the interview.
        if let Err(refusal) = state.runs.stop(&state.db, &pad.id, &user.name).await
            && refusal.code != api::RefusalCode::NoRun
        {
            tracing::warn!(pad = %log_ref(&pad.id), code = %refusal.code, "cannot stop the run of an ended pad");
        }
        tracing::info!(pad = %log_ref(&pad.id), org_id = %pad.org_id, "interview ended");
    }
    view(state, &pad.id, Some(user)).await
}

/// Edits in one page of a pad's history.
pub const HISTORY_PAGE: u64 = 5_000;

/// `?after=<revision>&limit=<edits>` of `GET /api/pads/<id>/history`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryPage {
    /// The edits after this revision (0, the start, when absent).
    #[serde(default)]
    after: u64,
    /// Edits in the page: at most 5,000.
    limit: Option<u64>,
}

/// `GET /api/pads/<id>/history`: a page of edits with their time and author, for playback;
/// `next_after` asks for the next. Replayed from the nearest snapshot, off the async workers.
pub async fn history(
    state: &AppState,
    member: &MemberPad,
    page: &HistoryPage,
) -> ApiResult<api::PadHistory> {
    let limit = page.limit.unwrap_or(HISTORY_PAGE);
    if !(1..=HISTORY_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidLimit,
            msg(Text::PadsHistoryLimit).with("max", HISTORY_PAGE),
        ));
    }
    let pad = member.pad();
    let newest = live::newest_revision(&state.db, &pad.id).await?;
    let upto = page.after.saturating_add(limit).min(newest);
    let replayed = live::replay(&state.db, &pad.id, page.after, Some(upto))
        .await
        .map_err(|r| ApiError::internal(anyhow::anyhow!(r.message)))?;
    let operations = replayed
        .edits
        .into_iter()
        .filter(|(row, _)| row.revision as u64 > page.after)
        .map(|(row, op)| api::HistoryOperation {
            revision: row.revision as u64,
            at_ms: row.at_ms,
            client_id: row.client_id,
            op,
        })
        .collect();
    let participants = live::stored_participants(&state.db, &pad.id)
        .await?
        .into_iter()
        .map(|p| api::Participant {
            client_id: p.client_id,
            name: p.name,
            color: p.color,
            online: false,
        })
        .collect();
    // The runs come with the first page: playback places them on its timeline.
    let runs = if page.after == 0 {
        crate::runs::store::all(&state.db, &pad.id).await?
    } else {
        Vec::new()
    };
    Ok(api::PadHistory {
        language: pad.language.clone(),
        participants,
        operations,
        final_text: replayed.text,
        next_after: (upto < newest).then_some(upto),
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_ids_carry_128_random_bits_in_22_url_safe_characters() {
        let a = new_pad_id();
        let b = new_pad_id();
        assert_ne!(a, b);
        assert!(looks_like_pad_id(a.as_str()), "{a}");
        assert_eq!(URL_SAFE_NO_PAD.decode(a.as_str()).unwrap().len(), 16);
        assert!(!looks_like_pad_id("../../etc/passwd-----"));
    }
}
