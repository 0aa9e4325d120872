//! The control API under `/_sim`: what a test (or a person trying Stagepad) does on Lever's
//! side, and read-backs of what Stagepad did to Lever. No auth: it listens where the simulator
//! listens (loopback unless told otherwise). JSON in and out; errors are `{"code", "message"}`.
//! `GET /_sim` lists the routes.

use std::collections::BTreeSet;
use std::time::Instant;

use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::lever_error;
use super::feedback::FeedbackTemplate;
use super::state::{
    ARCHIVE_REASON_ID, ApiKey, Archived, Bucket, Contact, EVENTS, Opportunity, PERMISSIONS,
    Posting, SimState, Stage, StageChange, User, Webhook, now_ms, random_id, random_token,
};
use super::{DeliveryKind, Fault, FaultKind, Shared, webhooks};

const ROUTES: &[(&str, &str)] = &[
    ("GET /_sim", "this list"),
    (
        "POST /_sim/api-keys",
        "{permissions?: [..], key?, confidential?} -> {key, permissions}; all permissions when \
         omitted; confidential access only when asked (it cannot be added later)",
    ),
    (
        "PUT /_sim/api-keys/{key}/permissions",
        "{permissions}: an admin edits the key's permissions in Lever",
    ),
    ("GET /_sim/users", "every user"),
    ("POST /_sim/users", "{name, email, access_role?} -> {id}"),
    (
        "POST /_sim/users/{id}/deactivate",
        "deactivates a user (hidden from GET /users unless includeDeactivated=true; perform_as \
         naming them is then 400)",
    ),
    (
        "DELETE /_sim/users/{id}",
        "removes a user (perform_as naming them is then 400)",
    ),
    (
        "GET /_sim/stages",
        "every stage, in pipeline order: [{id, text}]",
    ),
    ("POST /_sim/stages", "{text, id?} -> {id}"),
    ("DELETE /_sim/stages/{id}", "removes a stage"),
    ("GET /_sim/postings", "every posting, as the API shows it"),
    (
        "POST /_sim/postings",
        "{text, tags?, team?, location?, confidential?} -> {id}",
    ),
    (
        "PUT /_sim/postings/{id}/tags",
        "{tags}: existing opportunities keep the tags they inherited",
    ),
    ("GET /_sim/opportunities", "every opportunity, expanded"),
    (
        "POST /_sim/opportunities",
        "{name, email?, tags?, posting_id?, stage_id?, archived?, anonymized?, null_fields?} \
         -> {id, contact_id}",
    ),
    (
        "GET /_sim/opportunities/{id}",
        "as GET /v1/opportunities/{id}?expand=applications shows it, plus notes",
    ),
    ("GET /_sim/opportunities/{id}/links", "the contact's links"),
    ("GET /_sim/opportunities/{id}/notes", "the notes"),
    (
        "GET /_sim/opportunities/{id}/feedback",
        "the feedback forms, oldest first, as GET /v1/opportunities/{id}/feedback shows them",
    ),
    (
        "PUT /_sim/opportunities/{id}/tags",
        "{tags}: replaces all tags",
    ),
    (
        "POST /_sim/opportunities/{id}/move",
        "{stage_id, user_id?} -> {deliveries}: sends candidateStageChange in the background",
    ),
    (
        "POST /_sim/opportunities/{id}/archive",
        "{archived?: true, reason?} -> {deliveries}: sends candidateArchiveChange",
    ),
    ("GET /_sim/feedback-templates", "every feedback template"),
    (
        "POST /_sim/feedback-templates",
        "{text, instructions?, id?, fields: [{type, text, description?, required?, id?, \
         language?, options?: [{text}], scores?: [{text, description?}]}]} -> the template as \
         stored (ids and timestamps filled in)",
    ),
    (
        "DELETE /_sim/feedback-templates/{id}",
        "removes a template (forms based on it keep their fields; new ones are then 400)",
    ),
    (
        "GET /_sim/webhooks",
        "every webhook entry, with its signature token",
    ),
    (
        "POST /_sim/webhooks",
        "{event, url, signature_token?, signed?: true} -> {id, event, url, signature_token}; \
         signed false: no signing token (bodies without signature and token)",
    ),
    ("DELETE /_sim/webhooks/{id}", "removes an entry"),
    (
        "POST /_sim/webhooks/{id}/regenerate",
        "-> {signature_token}: a new (or a first) signing token for the entry",
    ),
    (
        "POST /_sim/webhooks/{id}/verify",
        "-> {status, delivery}: Lever's Verify (signed candidateHired sample, sent once)",
    ),
    (
        "POST /_sim/events",
        "{event, data} -> {deliveries}: any event to the entries registered for it",
    ),
    ("GET /_sim/deliveries", "every delivery with its attempts"),
    ("GET /_sim/deliveries/{id}", "one delivery"),
    (
        "POST /_sim/deliveries/{id}/replay",
        "-> {status, delivery}: Lever's Rerun (the same body, once)",
    ),
    (
        "POST /_sim/raw-webhooks",
        "{url, body} -> {status, delivery}: the body as is, once, with Lever's headers",
    ),
    (
        "POST /_sim/faults",
        "{count, type: status, status, retry_after?, path_contains?}, \
         {count, type: hang, millis, path_contains?}, \
         {count, type: oversized, bytes, path_contains?} or \
         {count, type: redirect, status?: 301, location, path_contains?}",
    ),
    ("GET /_sim/faults", "faults not used up yet"),
    ("DELETE /_sim/faults", "forgets all faults"),
    ("GET /_sim/requests", "every Lever API call so far"),
    ("DELETE /_sim/requests", "forgets the log"),
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_sim")
            .route("", web::get().to(index))
            .route("/", web::get().to(index))
            .route("/api-keys", web::post().to(create_api_key))
            .route(
                "/api-keys/{key}/permissions",
                web::put().to(set_key_permissions),
            )
            .route("/users", web::get().to(list_users))
            .route("/users", web::post().to(create_user))
            .route("/users/{id}", web::delete().to(delete_user))
            .route("/users/{id}/deactivate", web::post().to(deactivate_user))
            .route("/stages", web::get().to(list_stages))
            .route("/stages", web::post().to(create_stage))
            .route("/stages/{id}", web::delete().to(delete_stage))
            .route("/postings", web::get().to(list_postings))
            .route("/postings", web::post().to(create_posting))
            .route("/postings/{id}/tags", web::put().to(set_posting_tags))
            .route("/opportunities", web::get().to(list_opportunities))
            .route("/opportunities", web::post().to(create_opportunity))
            .route("/opportunities/{id}", web::get().to(get_opportunity))
            .route("/opportunities/{id}/links", web::get().to(get_links))
            .route("/opportunities/{id}/notes", web::get().to(get_notes))
            .route("/opportunities/{id}/feedback", web::get().to(get_feedback))
            .route(
                "/feedback-templates",
                web::get().to(list_feedback_templates),
            )
            .route("/feedback-templates", web::post().to(add_feedback_template))
            .route(
                "/feedback-templates/{id}",
                web::delete().to(delete_feedback_template),
            )
            .route(
                "/opportunities/{id}/tags",
                web::put().to(set_opportunity_tags),
            )
            .route("/opportunities/{id}/move", web::post().to(move_opportunity))
            .route(
                "/opportunities/{id}/archive",
                web::post().to(archive_opportunity),
            )
            .route("/webhooks", web::get().to(list_webhooks))
            .route("/webhooks", web::post().to(register_webhook))
            .route("/webhooks/{id}", web::delete().to(delete_webhook))
            .route(
                "/webhooks/{id}/regenerate",
                web::post().to(regenerate_token),
            )
            .route("/webhooks/{id}/verify", web::post().to(verify_webhook))
            .route("/events", web::post().to(trigger_event))
            .route("/deliveries", web::get().to(list_deliveries))
            .route("/deliveries/{id}", web::get().to(get_delivery))
            .route("/deliveries/{id}/replay", web::post().to(replay_delivery))
            .route("/raw-webhooks", web::post().to(send_raw_webhook))
            .route("/faults", web::get().to(list_faults))
            .route("/faults", web::post().to(inject_fault))
            .route("/faults", web::delete().to(clear_faults))
            .route("/requests", web::get().to(list_requests))
            .route("/requests", web::delete().to(clear_requests))
            .default_service(web::to(|| async {
                lever_error(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFound",
                    "No such control route: GET /_sim lists them",
                )
            })),
    );
}

/// Malformed control bodies answer 400 with the usual error body.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1024 * 1024)
        .error_handler(|error, _request| {
            let response = bad_request(&format!("Malformed JSON body: {error}"));
            InternalError::from_response(error, response).into()
        })
}

fn bad_request(message: &str) -> HttpResponse {
    lever_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn not_found(what: &str) -> HttpResponse {
    lever_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!("No such {what}"),
    )
}

fn conflict(message: &str) -> HttpResponse {
    lever_error(StatusCode::CONFLICT, "Conflict", message)
}

async fn index(shared: web::Data<Shared>) -> HttpResponse {
    let routes: Vec<Value> = ROUTES
        .iter()
        .map(|(route, what)| json!({"route": route, "does": what}))
        .collect();
    HttpResponse::Ok().json(json!({
        "lever_api_base_url": format!("{}/v1", shared.root_url),
        "permissions": PERMISSIONS,
        "events": EVENTS,
        "routes": routes,
    }))
}

// ---- keys, users, stages, postings ----

/// The permissions in a control request, or why not.
fn known_permissions(list: &[String]) -> Result<BTreeSet<String>, Box<HttpResponse>> {
    let permissions: BTreeSet<String> = list.iter().cloned().collect();
    match permissions
        .iter()
        .find(|p| !PERMISSIONS.contains(&p.as_str()))
    {
        Some(unknown) => Err(Box::new(bad_request(&format!(
            "Unknown permission {unknown:?}; known: {}",
            PERMISSIONS.join(", ")
        )))),
        None => Ok(permissions),
    }
}

#[derive(Deserialize)]
struct KeyPermissions {
    permissions: Vec<String>,
}

async fn set_key_permissions(
    shared: web::Data<Shared>,
    key: web::Path<String>,
    body: web::Json<KeyPermissions>,
) -> HttpResponse {
    let permissions = match known_permissions(&body.permissions) {
        Ok(permissions) => permissions,
        Err(refusal) => return *refusal,
    };
    let mut state = shared.lock();
    let Some(api_key) = state.keys.get_mut(key.as_str()) else {
        return not_found("API key");
    };
    api_key.permissions = permissions.clone();
    HttpResponse::Ok().json(json!({"permissions": permissions}))
}

#[derive(Deserialize)]
struct NewKey {
    permissions: Option<Vec<String>>,
    key: Option<String>,
    /// "Allow access to confidential data" (off unless asked, as in Lever).
    #[serde(default)]
    confidential: bool,
}

async fn create_api_key(shared: web::Data<Shared>, body: web::Json<NewKey>) -> HttpResponse {
    let permissions: BTreeSet<String> = match &body.permissions {
        Some(list) => list.iter().cloned().collect(),
        None => PERMISSIONS.iter().map(|p| p.to_string()).collect(),
    };
    if let Some(unknown) = permissions
        .iter()
        .find(|p| !PERMISSIONS.contains(&p.as_str()))
    {
        return bad_request(&format!(
            "Unknown permission {unknown:?}; known: {}",
            PERMISSIONS.join(", ")
        ));
    }
    let key = match &body.key {
        Some(key)
            if key.is_empty() || key.contains(':') || key.chars().any(char::is_whitespace) =>
        {
            return bad_request("A chosen key must be non-empty, without ':' or spaces");
        }
        Some(key) => key.clone(),
        None => random_token(48),
    };
    let mut state = shared.lock();
    if state.keys.contains_key(&key) {
        return conflict("That key exists already");
    }
    state.keys.insert(
        key.clone(),
        ApiKey {
            permissions: permissions.clone(),
            confidential: body.confidential,
            bucket: Bucket::full(Instant::now()),
        },
    );
    HttpResponse::Created().json(json!({"key": key, "permissions": permissions}))
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    email: String,
    access_role: Option<String>,
}

async fn create_user(shared: web::Data<Shared>, body: web::Json<NewUser>) -> HttpResponse {
    let user = User {
        id: random_id(),
        name: body.name.clone(),
        email: body.email.clone(),
        access_role: body
            .access_role
            .clone()
            .unwrap_or_else(|| "interviewer".into()),
        created_at: now_ms(),
        deactivated_at: None,
    };
    let id = user.id.clone();
    shared.lock().users.push(user);
    HttpResponse::Created().json(json!({"id": id}))
}

async fn list_users(shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.lock();
    let users: Vec<Value> = state.users.iter().map(SimState::user_json).collect();
    HttpResponse::Ok().json(users)
}

async fn list_stages(shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.lock();
    let stages: Vec<Value> = state
        .stages
        .iter()
        .map(|s| json!({"id": s.id, "text": s.text}))
        .collect();
    HttpResponse::Ok().json(stages)
}

#[derive(Deserialize)]
struct NewStage {
    text: String,
    id: Option<String>,
}

async fn create_stage(shared: web::Data<Shared>, body: web::Json<NewStage>) -> HttpResponse {
    let id = match &body.id {
        Some(id) if id.trim().is_empty() => return bad_request("A chosen id must be non-empty"),
        Some(id) => id.clone(),
        None => random_id(),
    };
    let mut state = shared.lock();
    if state.stage_index(&id).is_some() {
        return conflict("A stage with that id exists already");
    }
    state.stages.push(Stage {
        id: id.clone(),
        text: body.text.clone(),
    });
    HttpResponse::Created().json(json!({"id": id}))
}

async fn delete_stage(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let mut state = shared.lock();
    let before = state.stages.len();
    state.stages.retain(|s| s.id != *id);
    removed(state.stages.len() < before, "stage")
}

async fn delete_user(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let mut state = shared.lock();
    let before = state.users.len();
    state.users.retain(|u| u.id != *id);
    removed(state.users.len() < before, "user")
}

async fn deactivate_user(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let mut state = shared.lock();
    match state.users.iter_mut().find(|u| u.id == *id) {
        Some(user) => {
            user.deactivated_at.get_or_insert_with(now_ms);
            HttpResponse::NoContent().finish()
        }
        None => not_found("user"),
    }
}

fn removed(anything: bool, what: &str) -> HttpResponse {
    if anything {
        HttpResponse::NoContent().finish()
    } else {
        not_found(what)
    }
}

async fn list_postings(shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.lock();
    let mut postings: Vec<&Posting> = state.postings.values().collect();
    postings.sort_by_key(|p| p.created_at);
    let postings: Vec<Value> = postings
        .into_iter()
        .map(|p| state.posting_json(p, &shared.root_url))
        .collect();
    HttpResponse::Ok().json(postings)
}

#[derive(Deserialize)]
struct NewPosting {
    text: String,
    #[serde(default)]
    tags: Vec<String>,
    team: Option<String>,
    location: Option<String>,
    #[serde(default)]
    confidential: bool,
}

async fn create_posting(shared: web::Data<Shared>, body: web::Json<NewPosting>) -> HttpResponse {
    let now = now_ms();
    let posting = Posting {
        id: random_id(),
        text: body.text.clone(),
        tags: body.tags.clone(),
        team: body.team.clone(),
        location: body.location.clone(),
        confidential: body.confidential,
        created_at: now,
        updated_at: now,
    };
    let id = posting.id.clone();
    shared.lock().postings.insert(id.clone(), posting);
    HttpResponse::Created().json(json!({"id": id}))
}

#[derive(Deserialize)]
struct Tags {
    tags: Vec<String>,
}

/// Changes a job's tags. As in Lever, existing opportunities keep the tags they inherited.
async fn set_posting_tags(
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Json<Tags>,
) -> HttpResponse {
    let mut state = shared.lock();
    match state.postings.get_mut(id.as_str()) {
        Some(posting) => {
            posting.tags = body.tags.clone();
            posting.updated_at = now_ms();
            HttpResponse::NoContent().finish()
        }
        None => not_found("posting"),
    }
}

// ---- opportunities ----

#[derive(Deserialize)]
struct NewOpportunity {
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    posting_id: Option<String>,
    stage_id: Option<String>,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    anonymized: bool,
    #[serde(default)]
    null_fields: Vec<String>,
}

async fn create_opportunity(
    shared: web::Data<Shared>,
    body: web::Json<NewOpportunity>,
) -> HttpResponse {
    if let Some(unknown) = body
        .null_fields
        .iter()
        .find(|f| !NULLABLE_FIELDS.contains(&f.as_str()))
    {
        return bad_request(&format!(
            "null_fields: {unknown:?} is not one of {}",
            NULLABLE_FIELDS.join(", ")
        ));
    }
    let mut state = shared.lock();
    let now = now_ms();
    // Own tags, then the posting's tags, team and location as they are now.
    let mut tags: Vec<String> = Vec::new();
    let mut add_tag = |tag: &String| {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    };
    body.tags.iter().for_each(&mut add_tag);
    if let Some(posting_id) = &body.posting_id {
        let Some(posting) = state.postings.get(posting_id) else {
            return not_found("posting");
        };
        posting.tags.iter().for_each(&mut add_tag);
        posting.team.iter().for_each(&mut add_tag);
        posting.location.iter().for_each(&mut add_tag);
    }
    let stage = match &body.stage_id {
        Some(stage) if state.stage_index(stage).is_none() => return not_found("stage"),
        Some(stage) => stage.clone(),
        None => {
            let preferred = if body.posting_id.is_some() {
                "applicant-new"
            } else {
                "lead-new"
            };
            let index = state
                .stage_index(preferred)
                .or((!state.stages.is_empty()).then_some(0));
            match index {
                Some(index) => state.stages[index].id.clone(),
                None => return conflict("The pipeline has no stages"),
            }
        }
    };
    let email = body
        .email
        .clone()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| format!("{}@candidates.example", random_token(10).to_lowercase()));
    // Lever deduplicates people by email: same email, same contact.
    let existing = state
        .contacts
        .values()
        .find(|c| c.emails.iter().any(|e| e.eq_ignore_ascii_case(&email)))
        .map(|c| c.id.clone());
    let contact = match existing {
        Some(id) => id,
        None => {
            let id = random_id();
            state.contacts.insert(
                id.clone(),
                Contact {
                    id: id.clone(),
                    name: body.name.clone(),
                    emails: vec![email],
                    links: vec![],
                },
            );
            id
        }
    };
    let first_change = StageChange {
        to_stage_index: state.stage_index(&stage),
        to_stage_id: stage.clone(),
        user_id: state.users.first().map(|u| u.id.clone()),
        updated_at: now,
    };
    let opportunity = Opportunity {
        id: random_id(),
        contact: contact.clone(),
        tags,
        posting: body.posting_id.clone(),
        application: body.posting_id.as_ref().map(|_| random_id()),
        stage,
        stage_changes: vec![first_change],
        archived: body.archived.then(|| Archived {
            archived_at: now,
            reason: ARCHIVE_REASON_ID.into(),
        }),
        notes: vec![],
        feedback: vec![],
        created_at: now,
        updated_at: now,
        anonymized: body.anonymized,
        null_fields: body.null_fields.clone(),
    };
    let id = opportunity.id.clone();
    state.opportunities.insert(id.clone(), opportunity);
    HttpResponse::Created().json(json!({"id": id, "contact_id": contact}))
}

/// What `null_fields` may name: the fields real records were seen to answer `null`.
const NULLABLE_FIELDS: [&str; 6] = [
    "name",
    "tags",
    "links",
    "stageChanges",
    "applications",
    "emails",
];

async fn list_opportunities(shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.lock();
    let mut all: Vec<&Opportunity> = state.opportunities.values().collect();
    all.sort_by_key(|o| o.created_at);
    let views: Vec<Value> = all
        .into_iter()
        .map(|o| state.opportunity_json(o, &["applications"], &shared.root_url))
        .collect();
    HttpResponse::Ok().json(views)
}

async fn get_opportunity(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let state = shared.lock();
    let Some(o) = state.opportunities.get(id.as_str()) else {
        return not_found("opportunity");
    };
    let mut view = state.opportunity_json(o, &["applications"], &shared.root_url);
    view["notes"] = json!(o.notes);
    HttpResponse::Ok().json(view)
}

async fn get_links(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let state = shared.lock();
    match state.opportunities.get(id.as_str()) {
        Some(o) => HttpResponse::Ok().json(&state.contacts[&o.contact].links),
        None => not_found("opportunity"),
    }
}

async fn get_notes(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let state = shared.lock();
    match state.opportunities.get(id.as_str()) {
        Some(o) => HttpResponse::Ok().json(&o.notes),
        None => not_found("opportunity"),
    }
}

async fn get_feedback(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let state = shared.lock();
    match state.opportunities.get(id.as_str()) {
        Some(o) => HttpResponse::Ok().json(&o.feedback),
        None => not_found("opportunity"),
    }
}

async fn set_opportunity_tags(
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Json<Tags>,
) -> HttpResponse {
    let mut state = shared.lock();
    match state.opportunities.get_mut(id.as_str()) {
        Some(o) => {
            o.tags = body.tags.clone();
            o.updated_at = now_ms();
            HttpResponse::NoContent().finish()
        }
        None => not_found("opportunity"),
    }
}

#[derive(Deserialize)]
struct Move {
    stage_id: String,
    user_id: Option<String>,
}

/// Records the stage change, then queues the signed candidateStageChange to every webhook
/// registered for it; answers at once (202) with the delivery ids.
async fn move_opportunity(
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Json<Move>,
) -> HttpResponse {
    let data = {
        let mut state = shared.lock();
        let Some(index) = state.stage_index(&body.stage_id) else {
            return not_found("stage");
        };
        if let Some(user) = &body.user_id
            && !state.user_exists(user)
        {
            return not_found("user");
        }
        let user_id = body
            .user_id
            .clone()
            .or_else(|| state.users.first().map(|u| u.id.clone()));
        let now = now_ms();
        let Some(o) = state.opportunities.get_mut(id.as_str()) else {
            return not_found("opportunity");
        };
        let from = std::mem::replace(&mut o.stage, body.stage_id.clone());
        o.stage_changes.push(StageChange {
            to_stage_id: body.stage_id.clone(),
            to_stage_index: Some(index),
            user_id,
            updated_at: now,
        });
        o.updated_at = now;
        json!({
            "opportunityId": o.id,
            "candidateId": o.id,
            "contactId": o.contact,
            "toStageId": body.stage_id,
            "fromStageId": from,
        })
    };
    let deliveries = webhooks::queue_event(&shared, "candidateStageChange", &data);
    HttpResponse::Accepted().json(json!({"deliveries": deliveries}))
}

#[derive(Deserialize)]
struct Archive {
    #[serde(default = "yes")]
    archived: bool,
    reason: Option<String>,
}

fn yes() -> bool {
    true
}

/// Archives (or restores) the opportunity and queues candidateArchiveChange.
async fn archive_opportunity(
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Json<Archive>,
) -> HttpResponse {
    let data = {
        let mut state = shared.lock();
        let Some(o) = state.opportunities.get_mut(id.as_str()) else {
            return not_found("opportunity");
        };
        let now = now_ms();
        let view = |a: &Option<Archived>| {
            a.as_ref()
                .map(|a| json!({"archivedAt": a.archived_at, "reason": a.reason}))
        };
        let before = view(&o.archived);
        o.archived = body.archived.then(|| Archived {
            archived_at: now,
            reason: body
                .reason
                .clone()
                .unwrap_or_else(|| ARCHIVE_REASON_ID.into()),
        });
        o.updated_at = now;
        json!({
            "opportunityId": o.id,
            "candidateId": o.id,
            "contactId": o.contact,
            "fromArchived": before,
            "toArchived": view(&o.archived),
        })
    };
    let deliveries = webhooks::queue_event(&shared, "candidateArchiveChange", &data);
    HttpResponse::Ok().json(json!({"deliveries": deliveries}))
}

// ---- feedback templates ----

async fn list_feedback_templates(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(&shared.lock().feedback_templates)
}

/// Stores a template, filling in its id, its fields' ids and its timestamps where left out;
/// answers it as stored.
async fn add_feedback_template(
    shared: web::Data<Shared>,
    body: web::Json<FeedbackTemplate>,
) -> HttpResponse {
    let mut template = body.into_inner();
    let mut state = shared.lock();
    let taken = |id: &str| state.feedback_templates.iter().any(|t| t.id == id);
    if let Err(why) = template.prepare(now_ms(), taken) {
        return bad_request(&why);
    }
    state.feedback_templates.push(template.clone());
    HttpResponse::Created().json(template)
}

async fn delete_feedback_template(
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> HttpResponse {
    let mut state = shared.lock();
    let before = state.feedback_templates.len();
    state.feedback_templates.retain(|t| t.id != *id);
    removed(state.feedback_templates.len() < before, "feedback template")
}

// ---- webhooks ----

fn webhook_json(webhook: &Webhook) -> Value {
    json!({
        "id": webhook.id,
        "event": webhook.event,
        "url": webhook.url,
        "signature_token": webhook.token,
    })
}

/// Lever's signature tokens: 48 or more random letters and digits.
fn new_signature_token() -> String {
    random_token(48 + rand::random_range(0..=16))
}

async fn list_webhooks(shared: web::Data<Shared>) -> HttpResponse {
    let state = shared.lock();
    let all: Vec<Value> = state.webhooks.iter().map(webhook_json).collect();
    HttpResponse::Ok().json(all)
}

#[derive(Deserialize)]
struct NewWebhook {
    event: String,
    url: String,
    /// Lever makes one up; a test may choose it.
    signature_token: Option<String>,
    /// False: no signing token generated yet.
    #[serde(default = "yes")]
    signed: bool,
}

async fn register_webhook(shared: web::Data<Shared>, body: web::Json<NewWebhook>) -> HttpResponse {
    if !EVENTS.contains(&body.event.as_str()) {
        return bad_request(&format!(
            "Unknown event {:?}; Lever's events: {}",
            body.event,
            EVENTS.join(", ")
        ));
    }
    let valid_url = reqwest::Url::parse(&body.url)
        .ok()
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !valid_url {
        return bad_request("url must be an absolute http(s) URL");
    }
    let token = match (&body.signature_token, body.signed) {
        (Some(_), false) => return bad_request("an unsigned entry has no signature_token"),
        (_, false) => None,
        (Some(token), true) if token.is_empty() => {
            return bad_request("signature_token is empty");
        }
        (Some(token), true) => Some(token.clone()),
        (None, true) => Some(new_signature_token()),
    };
    let webhook = Webhook {
        id: random_id(),
        event: body.event.clone(),
        url: body.url.clone(),
        token,
    };
    let answer = webhook_json(&webhook);
    shared.lock().webhooks.push(webhook);
    HttpResponse::Created().json(answer)
}

async fn delete_webhook(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let mut state = shared.lock();
    let before = state.webhooks.len();
    state.webhooks.retain(|w| w.id != *id);
    if state.webhooks.len() == before {
        not_found("webhook")
    } else {
        HttpResponse::NoContent().finish()
    }
}

async fn regenerate_token(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let mut state = shared.lock();
    match state.webhooks.iter_mut().find(|w| w.id == *id) {
        Some(webhook) => {
            let token = new_signature_token();
            webhook.token = Some(token.clone());
            HttpResponse::Ok().json(json!({"signature_token": token}))
        }
        None => not_found("webhook"),
    }
}

/// Lever's Verify: the sample body (`candidateHired`, `data: {}`), signed with the entry's
/// token when it has one, sent once; answers with the status the receiver gave (0: none).
async fn verify_webhook(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let webhook = shared.lock().webhooks.iter().find(|w| w.id == *id).cloned();
    let Some(webhook) = webhook else {
        return not_found("webhook");
    };
    let body = webhooks::body_text(webhook.token.as_deref(), "candidateHired", &json!({}));
    let (delivery, status) = webhooks::send_once(
        &shared,
        DeliveryKind::Verify,
        Some(webhook.id.clone()),
        &webhook.url,
        body,
    )
    .await;
    HttpResponse::Ok().json(json!({"status": status, "delivery": delivery}))
}

#[derive(Deserialize)]
struct NewEvent {
    event: String,
    #[serde(default)]
    data: Value,
}

async fn trigger_event(shared: web::Data<Shared>, body: web::Json<NewEvent>) -> HttpResponse {
    if !EVENTS.contains(&body.event.as_str()) {
        return bad_request(&format!("Unknown event {:?}", body.event));
    }
    let data = if body.data.is_null() {
        json!({})
    } else {
        body.data.clone()
    };
    let deliveries = webhooks::queue_event(&shared, &body.event, &data);
    HttpResponse::Accepted().json(json!({"deliveries": deliveries}))
}

async fn list_deliveries(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(&shared.lock().deliveries)
}

async fn get_delivery(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let state = shared.lock();
    match state.deliveries.iter().find(|d| d.id == *id) {
        Some(delivery) => HttpResponse::Ok().json(delivery),
        None => not_found("delivery"),
    }
}

/// Lever's "Rerun": the same body (same token, same signature), once, to the entry's URL.
async fn replay_delivery(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let found = {
        let state = shared.lock();
        state.deliveries.iter().find(|d| d.id == *id).map(|d| {
            let url = d
                .webhook_id
                .as_ref()
                .and_then(|w| state.webhooks.iter().find(|hook| hook.id == *w))
                .map(|hook| hook.url.clone())
                .unwrap_or_else(|| d.url.clone());
            (d.webhook_id.clone(), url, d.raw_body.clone())
        })
    };
    let Some((webhook_id, url, body)) = found else {
        return not_found("delivery");
    };
    let (delivery, status) =
        webhooks::send_once(&shared, DeliveryKind::Replay, webhook_id, &url, body).await;
    HttpResponse::Ok().json(json!({"status": status, "delivery": delivery}))
}

#[derive(Deserialize)]
struct RawWebhook {
    url: String,
    /// Sent as is when a string; any other JSON is sent as its text.
    body: Value,
}

async fn send_raw_webhook(shared: web::Data<Shared>, body: web::Json<RawWebhook>) -> HttpResponse {
    let text = match &body.body {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if reqwest::Url::parse(&body.url).is_err() {
        return bad_request("url must be an absolute URL");
    }
    let (delivery, status) =
        webhooks::send_once(&shared, DeliveryKind::Raw, None, &body.url, text).await;
    HttpResponse::Ok().json(json!({"status": status, "delivery": delivery}))
}

// ---- faults and the request log ----

async fn inject_fault(shared: web::Data<Shared>, body: web::Json<Fault>) -> HttpResponse {
    let fault = body.into_inner();
    if fault.count == 0 {
        return bad_request("count must be at least 1");
    }
    if let FaultKind::Status { status, .. } = fault.kind
        && !(100..=599).contains(&status)
    {
        return bad_request("status must be an HTTP status (100..=599)");
    }
    if let FaultKind::StoredThenLost { status, millis } = fault.kind {
        match (status, millis) {
            (Some(status), None) if (500..=599).contains(&status) => {}
            (None, Some(_)) => {}
            _ => return bad_request("a lost answer takes either a 5xx status or millis"),
        }
    }
    if let FaultKind::Redirect { status, location } = &fault.kind {
        if !(300..=399).contains(status) {
            return bad_request("a redirect's status must be 3xx");
        }
        let valid = location.starts_with('/') || reqwest::Url::parse(location).is_ok();
        if !valid {
            return bad_request("location must be a path (/v1/...) or an absolute URL");
        }
    }
    shared.lock().faults.push(fault);
    HttpResponse::NoContent().finish()
}

async fn list_faults(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(&shared.lock().faults)
}

async fn clear_faults(shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().faults.clear();
    HttpResponse::NoContent().finish()
}

async fn list_requests(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(&shared.lock().requests)
}

async fn clear_requests(shared: web::Data<Shared>) -> HttpResponse {
    shared.lock().requests.clear();
    HttpResponse::NoContent().finish()
}
