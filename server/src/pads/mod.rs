//! Interview pads. Lever's pipeline creates them; the next issue makes them live. Their id is
//! the secret part of their link: whoever holds the link may open the pad.

pub mod routes;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::{pad, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const SOURCE_LEVER: &str = "lever";
pub const NOT_STARTED: &str = "not_started";

/// 128 random bits, URL-safe: 22 characters.
pub fn new_pad_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// The link written on the candidate in Lever.
pub fn link(state: &AppState, pad_id: &str) -> String {
    format!("{}/pad/{pad_id}", state.settings.public_url)
}

fn looks_like_pad_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The organization's pads, newest first.
pub async fn list(state: &AppState, org_id: Uuid) -> ApiResult<api::PadsResponse> {
    let rows = pad::Entity::find_in_org(org_id)
        .order_by_desc(pad::Column::CreatedAt)
        .limit(500)
        .all(&state.db)
        .await?;
    let owner_ids: Vec<Uuid> = rows.iter().filter_map(|p| p.owner_id).collect();
    let owners: std::collections::HashMap<Uuid, String> = user::Entity::find_in_org(org_id)
        .filter(user::Column::Id.is_in(owner_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(api::PadsResponse {
        pads: rows
            .into_iter()
            .map(|p| api::PadSummary {
                link: link(state, &p.id),
                owner: p.owner_id.and_then(|id| {
                    owners.get(&id).map(|name| api::PadOwnerName {
                        id,
                        name: name.clone(),
                    })
                }),
                link_on_candidate: p.link_added_at.is_some(),
                note_on_candidate: p.note_id.is_some(),
                id: p.id,
                source: p.source,
                candidate_name: p.candidate_name,
                job_title: p.job_title,
                stage_name: p.stage_name,
                status: p.status,
                created_at: p.created_at,
            })
            .collect(),
    })
}

/// What the link shows to anyone holding it.
pub async fn view(state: &AppState, pad_id: &str) -> ApiResult<api::PadView> {
    let not_found = || ApiError::not_found("There is no pad at this link.");
    if !looks_like_pad_id(pad_id) {
        return Err(not_found());
    }
    let pad = pad::Entity::find_by_id(pad_id.to_string())
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    Ok(api::PadView {
        id: pad.id,
        candidate_name: pad.candidate_name,
        job_title: pad.job_title,
        status: pad.status,
        created_at: pad.created_at,
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
        assert!(looks_like_pad_id(&a), "{a}");
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 16);
        assert!(!looks_like_pad_id("../../etc/passwd-----"));
    }
}
