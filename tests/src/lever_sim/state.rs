//! The simulator's memory: Lever's objects, API keys, webhooks, and what happened.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

pub const PERMISSIONS: [&str; 6] = [
    "read_stages",
    "read_opportunities",
    "read_postings",
    "read_users",
    "add_links",
    "create_notes",
];

#[derive(Clone, Serialize)]
pub struct Stage {
    pub id: String,
    pub text: String,
}

#[derive(Clone, Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Clone)]
pub struct Posting {
    pub id: String,
    pub text: String,
    pub tags: Vec<String>,
}

#[derive(Clone)]
pub struct Opportunity {
    pub id: String,
    pub name: String,
    pub email: String,
    pub contact: String,
    /// The opportunity's own tags plus the posting's tags as they were at creation.
    pub tags: Vec<String>,
    pub posting: Option<String>,
    pub application: String,
    pub stage: Option<String>,
    pub stage_changes: Vec<(String, i64)>,
    pub archived_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Clone, Serialize)]
pub struct Note {
    pub id: String,
    pub value: String,
    pub perform_as: Option<String>,
}

#[derive(Clone, Serialize)]
pub struct Webhook {
    pub id: String,
    pub event: String,
    pub url: String,
    #[serde(rename = "signatureToken")]
    pub token: String,
}

#[derive(Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub body: Value,
    /// Status of each attempt; 0 when no answer came.
    pub attempts: Vec<u16>,
    pub done: bool,
}

#[derive(Clone, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub key_last4: String,
    pub status: u16,
    pub at_ms: u64,
}

#[derive(Clone, Debug)]
pub enum FaultKind {
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    Hang {
        millis: u64,
    },
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub remaining: u32,
    pub kind: FaultKind,
    pub path_contains: Option<String>,
}

pub struct Bucket {
    pub tokens: f64,
    pub updated: Instant,
}

pub struct SimState {
    pub started: Instant,
    pub keys: HashMap<String, HashSet<String>>,
    pub stages: Vec<Stage>,
    pub users: Vec<User>,
    pub postings: HashMap<String, Posting>,
    pub opportunities: HashMap<String, Opportunity>,
    pub contact_links: HashMap<String, Vec<String>>,
    pub notes: HashMap<String, Vec<Note>>,
    pub webhooks: Vec<Webhook>,
    pub deliveries: Vec<Delivery>,
    pub requests: Vec<RequestRecord>,
    pub faults: VecDeque<Fault>,
    pub buckets: HashMap<String, Bucket>,
    /// Pagination tokens handed out, and the index each continues at.
    pub page_tokens: HashMap<String, usize>,
}

pub fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Lever-looking random strings (tokens, keys).
pub fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl SimState {
    pub fn new() -> Self {
        let mut state = SimState {
            started: Instant::now(),
            keys: HashMap::new(),
            stages: Vec::new(),
            users: Vec::new(),
            postings: HashMap::new(),
            opportunities: HashMap::new(),
            contact_links: HashMap::new(),
            notes: HashMap::new(),
            webhooks: Vec::new(),
            deliveries: Vec::new(),
            requests: Vec::new(),
            faults: VecDeque::new(),
            buckets: HashMap::new(),
            page_tokens: HashMap::new(),
        };
        // Lever's defaults: some ids are slugs, others uuids. Both are opaque.
        for (id, text) in [
            ("lead-new", "New lead"),
            ("lead-reached-out", "Reached out"),
            ("lead-responded", "Responded"),
            ("applicant-new", "New applicant"),
        ] {
            state.stages.push(Stage {
                id: id.into(),
                text: text.into(),
            });
        }
        for text in [
            "Recruiter screen",
            "Phone interview",
            "On-site interview",
            "Offer",
        ] {
            state.stages.push(Stage {
                id: random_id(),
                text: text.into(),
            });
        }
        state
    }

    pub fn stage_index(&self, id: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.id == id)
    }

    /// An opportunity as `GET /opportunities/:id` shows it.
    pub fn opportunity_json(&self, o: &Opportunity, expand_applications: bool) -> Value {
        let application = if expand_applications {
            json!({"id": o.application, "type": "posting", "posting": o.posting, "opportunityId": o.id})
        } else {
            json!(o.application)
        };
        json!({
            "id": o.id,
            "name": o.name,
            "contact": o.contact,
            "emails": [o.email],
            "stage": o.stage,
            "stageChanges": o.stage_changes.iter().map(|(stage, at)| json!({
                "toStageId": stage,
                "toStageIndex": self.stage_index(stage),
                "userId": self.users.first().map(|u| u.id.clone()),
                "updatedAt": at,
            })).collect::<Vec<_>>(),
            "tags": o.tags,
            "archived": o.archived_at.map(|at| json!({"archivedAt": at, "reason": "simulator"})),
            "links": self.contact_links.get(&o.contact).cloned().unwrap_or_default(),
            "urls": {"show": format!("https://hire.lever.co/candidates/{}", o.id)},
            "applications": [application],
            "createdAt": o.created_at,
        })
    }
}
