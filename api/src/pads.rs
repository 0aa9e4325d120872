use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A pad as the console lists it (`GET /api/pads`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PadSummary {
    pub id: String,
    /// `<public URL>/pad/<id>`: the link written on the candidate in Lever.
    pub link: String,
    /// `lever` or `manual`.
    pub source: String,
    pub candidate_name: String,
    pub job_title: Option<String>,
    pub stage_name: Option<String>,
    pub owner: Option<PadOwnerName>,
    /// `not_started`, `in_progress` or `ended`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Lever accepted the link on the candidate.
    pub link_on_candidate: bool,
    /// The "pad created" note is on the candidate.
    pub note_on_candidate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PadOwnerName {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PadsResponse {
    pub pads: Vec<PadSummary>,
}

/// What anyone holding a pad's link sees (`GET /api/pads/<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PadView {
    pub id: String,
    pub candidate_name: String,
    pub job_title: Option<String>,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `POST /api/lever/deliveries/<id>/retry` answers the delivery as it now stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryResponse {
    pub status: String,
}
