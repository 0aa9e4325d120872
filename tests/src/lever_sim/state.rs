//! The simulator's memory: the Lever account (stages, users, postings, contacts,
//! opportunities with their notes and feedback forms, feedback templates), API keys with their rate buckets, webhooks, deliveries, faults, and the log
//! of API calls.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::feedback::{FeedbackForm, FeedbackTemplate};
use super::{Fault, SimDelivery, SimNote, SimRequest};

/// The permissions a key may carry, one per endpoint (or pair of endpoints) Stagepad uses.
pub const PERMISSIONS: [&str; 10] = [
    "read_stages",
    "read_opportunities",
    "read_postings",
    "read_users",
    "add_links",
    "create_notes",
    "read_notes",
    "read_feedback_templates",
    "create_feedback",
    "read_feedback",
];

/// The events a webhook entry may be registered for.
pub const EVENTS: [&str; 10] = [
    "applicationCreated",
    "candidateHired",
    "candidateStageChange",
    "candidateArchiveChange",
    "candidateDeleted",
    "interviewCreated",
    "interviewUpdated",
    "interviewDeleted",
    "contactCreated",
    "contactUpdated",
];

/// Lever's default stages: slug ids for the lead and applicant stages, uuids for the rest.
/// Stage ids are opaque either way.
const DEFAULT_STAGES: [(Option<&str>, &str); 8] = [
    (Some("lead-new"), "New lead"),
    (Some("lead-reached-out"), "Reached out"),
    (Some("lead-responded"), "Responded"),
    (Some("applicant-new"), "New applicant"),
    (None, "Recruiter screen"),
    (None, "Phone interview"),
    (None, "On-site interview"),
    (None, "Offer"),
];

/// Archive reasons are ids in Lever, not words.
pub const ARCHIVE_REASON_ID: &str = "63dd55b2-a99f-4e7b-985f-22c7bf80ab42";

pub struct ApiKey {
    pub permissions: BTreeSet<String>,
    /// "Allow access to confidential data", chosen when the key is created and never changed
    /// after: without it confidential postings and their opportunities answer 403.
    pub confidential: bool,
    pub bucket: Bucket,
}

/// Lever's rate limit: a token bucket per key, 10 per second, bursts of 20.
pub struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    pub const CAPACITY: f64 = 20.0;
    pub const PER_SECOND: f64 = 10.0;

    pub fn full(now: Instant) -> Self {
        Bucket {
            tokens: Self::CAPACITY,
            updated: now,
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * Self::PER_SECOND).min(Self::CAPACITY);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / Self::PER_SECOND,
            ))
        }
    }
}

#[derive(Clone)]
pub struct Stage {
    pub id: String,
    pub text: String,
}

#[derive(Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub access_role: String,
    pub created_at: i64,
    /// Set once deactivated: hidden from `GET /users` unless `includeDeactivated=true`, and
    /// no longer usable as `perform_as`.
    pub deactivated_at: Option<i64>,
}

impl User {
    /// The form `GET /users?email=` matches exactly: trimmed and lowercase.
    pub fn canonical_email(&self) -> String {
        self.email.trim().to_lowercase()
    }
}

#[derive(Clone)]
pub struct Posting {
    pub id: String,
    pub text: String,
    pub tags: Vec<String>,
    pub team: Option<String>,
    pub location: Option<String>,
    /// A confidential job: it and its candidates need a key with confidential access.
    pub confidential: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A person. Links live here, so every opportunity of the person shows them.
pub struct Contact {
    pub id: String,
    pub name: String,
    pub emails: Vec<String>,
    pub links: Vec<String>,
}

pub struct StageChange {
    pub to_stage_id: String,
    pub to_stage_index: Option<usize>,
    pub user_id: Option<String>,
    pub updated_at: i64,
}

pub struct Archived {
    pub archived_at: i64,
    pub reason: String,
}

pub struct Opportunity {
    pub id: String,
    pub contact: String,
    /// Own tags plus the posting's tags (and team, location) as they were at creation.
    pub tags: Vec<String>,
    pub posting: Option<String>,
    pub application: Option<String>,
    pub stage: String,
    pub stage_changes: Vec<StageChange>,
    pub archived: Option<Archived>,
    pub notes: Vec<SimNote>,
    /// Feedback forms, oldest first.
    pub feedback: Vec<FeedbackForm>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Lever's anonymised record: no name, e-mails or links.
    pub anonymized: bool,
    /// Fields answered as `null` (a partial record).
    pub null_fields: Vec<String>,
}

#[derive(Clone)]
pub struct Webhook {
    pub id: String,
    pub event: String,
    pub url: String,
    /// None until a signing token is generated: Lever then sends bodies without `signature`
    /// and `token`.
    pub token: Option<String>,
}

/// Where a pagination token continues.
#[derive(Clone)]
pub struct PageToken {
    pub list: &'static str,
    pub index: usize,
}

pub struct SimState {
    pub started: Instant,
    pub keys: HashMap<String, ApiKey>,
    pub stages: Vec<Stage>,
    pub users: Vec<User>,
    pub postings: HashMap<String, Posting>,
    pub contacts: HashMap<String, Contact>,
    pub opportunities: HashMap<String, Opportunity>,
    /// Feedback templates, oldest first.
    pub feedback_templates: Vec<FeedbackTemplate>,
    pub webhooks: Vec<Webhook>,
    pub deliveries: Vec<SimDelivery>,
    pub requests: Vec<SimRequest>,
    pub next_request_seq: u64,
    pub faults: Vec<Fault>,
    /// Every token handed out, under both its exact and its percent-decoded form.
    pub page_tokens: HashMap<String, PageToken>,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Random letters and digits, like Lever's keys and tokens.
pub fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The last four characters (of a key), for logs that must not hold whole secrets.
pub fn last4(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

impl SimState {
    pub fn new() -> Self {
        let stages = DEFAULT_STAGES
            .iter()
            .map(|(id, text)| Stage {
                id: id.map(String::from).unwrap_or_else(random_id),
                text: text.to_string(),
            })
            .collect();
        SimState {
            started: Instant::now(),
            keys: HashMap::new(),
            stages,
            users: Vec::new(),
            postings: HashMap::new(),
            contacts: HashMap::new(),
            opportunities: HashMap::new(),
            feedback_templates: Vec::new(),
            webhooks: Vec::new(),
            deliveries: Vec::new(),
            requests: Vec::new(),
            next_request_seq: 0,
            faults: Vec::new(),
            page_tokens: HashMap::new(),
        }
    }

    /// Milliseconds since the simulator started (monotonic), for logs.
    pub fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// An opportunity is confidential when its job is.
    pub fn opportunity_confidential(&self, o: &Opportunity) -> bool {
        o.posting
            .as_ref()
            .and_then(|id| self.postings.get(id))
            .is_some_and(|p| p.confidential)
    }

    pub fn stage_index(&self, id: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.id == id)
    }

    /// An active user (a deactivated one cannot act).
    pub fn user_exists(&self, id: &str) -> bool {
        self.users
            .iter()
            .any(|u| u.id == id && u.deactivated_at.is_none())
    }

    pub fn stage_json(&self, id: &str) -> Value {
        match self.stages.iter().find(|s| s.id == id) {
            Some(stage) => json!({"id": stage.id, "text": stage.text}),
            // A stage deleted since: Lever still names the id.
            None => json!({"id": id, "text": null}),
        }
    }

    pub fn user_json(user: &User) -> Value {
        json!({
            "id": user.id,
            "name": user.name,
            "username": user.email.split('@').next().unwrap_or_default(),
            "email": user.email,
            "accessRole": user.access_role,
            "photo": null,
            "createdAt": user.created_at,
            "deactivatedAt": user.deactivated_at,
            "externalDirectoryId": null,
            "linkedContactIds": null,
            "jobTitle": null,
            "managerId": null,
        })
    }

    pub fn posting_json(&self, posting: &Posting, root_url: &str) -> Value {
        let owner = self.users.first().map(|u| u.id.clone());
        json!({
            "id": posting.id,
            "text": posting.text,
            "createdAt": posting.created_at,
            "updatedAt": posting.updated_at,
            "user": owner,
            "owner": owner,
            "hiringManager": null,
            "confidentiality": if posting.confidential { "confidential" } else { "non-confidential" },
            "categories": {
                "team": posting.team,
                "department": null,
                "location": posting.location,
                "allLocations": posting.location.iter().collect::<Vec<_>>(),
                "commitment": "Full-time",
                "level": null,
            },
            "tags": posting.tags,
            "state": "published",
            "distributionChannels": ["public"],
            "reqCode": null,
            "requisitionCodes": [],
            "followers": [],
            "workplaceType": "onsite",
            "urls": {
                "list": format!("{root_url}/_sim/postings"),
                "show": format!("https://jobs.lever.co/simulator/{}", posting.id),
                "apply": format!("https://jobs.lever.co/simulator/{}/apply", posting.id),
            },
        })
    }

    /// An opportunity as `GET /opportunities/:id` shows it, with the given expansions.
    pub fn opportunity_json(&self, o: &Opportunity, expand: &[&str], root_url: &str) -> Value {
        let contact = &self.contacts[&o.contact];
        let expanded = |name: &str| expand.contains(&name);
        let applications: Vec<Value> = match &o.application {
            None => vec![],
            Some(id) if expanded("applications") => vec![json!({
                "id": id,
                "type": "posting",
                "candidateId": o.id,
                "opportunityId": o.id,
                "posting": o.posting,
                "postingHiringManager": null,
                "postingOwner": self.users.first().map(|u| u.id.clone()),
                "name": contact.name,
                "company": null,
                "phone": null,
                "email": contact.emails.first(),
                "links": [],
                "comments": null,
                "user": null,
                "customQuestions": [],
                "createdAt": o.created_at,
                "archived": null,
                "requisitionForHire": null,
            })],
            Some(id) => vec![json!(id)],
        };
        let contact_value = if expanded("contact") {
            json!({
                "id": contact.id,
                "name": contact.name,
                "headline": "",
                "isAnonymized": false,
                "location": null,
                "emails": contact.emails,
                "phones": [],
            })
        } else {
            json!(contact.id)
        };
        let stage = if expanded("stage") {
            self.stage_json(&o.stage)
        } else {
            json!(o.stage)
        };
        let last_advanced = o.stage_changes.last().map(|c| c.updated_at);
        let mut view = json!({
            "id": o.id,
            "name": contact.name,
            "headline": "",
            "contact": contact_value,
            "emails": contact.emails,
            "phones": [],
            "confidentiality": "non-confidential",
            "location": null,
            "links": contact.links,
            "createdAt": o.created_at,
            "updatedAt": o.updated_at,
            "lastInteractionAt": o.updated_at,
            "lastAdvancedAt": last_advanced,
            "snoozedUntil": null,
            "archived": o.archived.as_ref().map(|a| json!({
                "archivedAt": a.archived_at,
                "reason": a.reason,
            })),
            "stage": stage,
            "stageChanges": o.stage_changes.iter().map(|c| json!({
                "toStageId": c.to_stage_id,
                "toStageIndex": c.to_stage_index,
                "userId": c.user_id,
                "updatedAt": c.updated_at,
            })).collect::<Vec<_>>(),
            "owner": null,
            "followers": [],
            "sources": [],
            "sourcedBy": null,
            "origin": if o.posting.is_some() { "applied" } else { "sourced" },
            "tags": o.tags,
            "applications": applications,
            "isAnonymized": false,
            "dataProtection": null,
            "urls": {
                "list": format!("{root_url}/_sim/opportunities"),
                "show": format!("{root_url}/_sim/opportunities/{}", o.id),
            },
        });
        let personal: &[&str] = if o.anonymized {
            &["name", "emails", "links"]
        } else {
            &[]
        };
        view["isAnonymized"] = json!(o.anonymized);
        for field in personal
            .iter()
            .copied()
            .chain(o.null_fields.iter().map(String::as_str))
        {
            view[field] = Value::Null;
        }
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_twenty_then_ten_per_second() {
        let start = Instant::now();
        let mut bucket = Bucket::full(start);
        for _ in 0..20 {
            assert!(bucket.take(start).is_ok());
        }
        let wait = bucket.take(start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        let later = start + Duration::from_millis(250);
        assert!(bucket.take(later).is_ok());
        assert!(bucket.take(later).is_ok());
        assert!(bucket.take(later).is_err(), "2.5 tokens refilled, not 3");
        // Never fuller than the burst, however long the quiet.
        let much_later = start + Duration::from_secs(60);
        for _ in 0..20 {
            assert!(bucket.take(much_later).is_ok());
        }
        assert!(bucket.take(much_later).is_err());
    }

    #[test]
    fn last4_never_shows_more() {
        assert_eq!(last4("abcdefgh"), "efgh");
        assert_eq!(last4("ab"), "ab");
    }
}
