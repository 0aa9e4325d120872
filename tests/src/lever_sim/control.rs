//! The control API under `/_sim`: what a test (or a person trying Stagepad) does on Lever's
//! side: keys, people, jobs, candidates, stage moves, webhooks, Verify, faults; and read-backs.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::Shared;
use super::api::lever_error;
use super::state::{
    Fault, FaultKind, Opportunity, PERMISSIONS, Posting, Stage, User, Webhook, now_ms, random_id,
    random_token,
};
use super::webhooks;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_sim")
            .route("/api-keys", web::post().to(create_api_key))
            .route("/users", web::post().to(create_user))
            .route("/stages", web::get().to(list_stages))
            .route("/stages", web::post().to(create_stage))
            .route("/stages/{id}", web::delete().to(delete_stage))
            .route("/postings", web::post().to(create_posting))
            .route("/postings/{id}/tags", web::put().to(set_posting_tags))
            .route("/opportunities", web::post().to(create_opportunity))
            .route("/opportunities/{id}", web::get().to(get_opportunity))
            .route(
                "/opportunities/{id}/tags",
                web::put().to(set_opportunity_tags),
            )
            .route(
                "/opportunities/{id}/archive",
                web::post().to(archive_opportunity),
            )
            .route("/opportunities/{id}/move", web::post().to(move_opportunity))
            .route("/webhooks", web::post().to(register_webhook))
            .route(
                "/webhooks/{id}/regenerate",
                web::post().to(regenerate_token),
            )
            .route("/webhooks/{id}/verify", web::post().to(verify_webhook))
            .route("/deliveries", web::get().to(list_deliveries))
            .route("/deliveries/{id}/replay", web::post().to(replay_delivery))
            .route("/faults", web::post().to(inject_fault))
            .route("/requests", web::get().to(list_requests)),
    );
}

fn not_found(what: &str) -> HttpResponse {
    lever_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!("No such {what}"),
    )
}

#[derive(Deserialize)]
struct NewKey {
    permissions: Option<Vec<String>>,
}

async fn create_api_key(shared: web::Data<Shared>, body: web::Json<NewKey>) -> HttpResponse {
    let permissions: HashSet<String> = match &body.permissions {
        Some(list) => list.iter().cloned().collect(),
        None => PERMISSIONS.iter().map(|p| p.to_string()).collect(),
    };
    if let Some(unknown) = permissions
        .iter()
        .find(|p| !PERMISSIONS.contains(&p.as_str()))
    {
        return lever_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("unknown permission {unknown}"),
        );
    }
    let key = random_token(40);
    shared
        .state
        .lock()
        .unwrap()
        .keys
        .insert(key.clone(), permissions);
    HttpResponse::Created().json(json!({"key": key}))
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    email: String,
}

async fn create_user(shared: web::Data<Shared>, body: web::Json<NewUser>) -> HttpResponse {
    let user = User {
        id: random_id(),
        name: body.name.clone(),
        email: body.email.clone(),
    };
    let id = user.id.clone();
    shared.state.lock().unwrap().users.push(user);
    HttpResponse::Created().json(json!({"id": id}))
}

async fn list_stages(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(&shared.state.lock().unwrap().stages)
}

#[derive(Deserialize)]
struct NewStage {
    text: String,
}

async fn create_stage(shared: web::Data<Shared>, body: web::Json<NewStage>) -> HttpResponse {
    let stage = Stage {
        id: random_id(),
        text: body.text.clone(),
    };
    let id = stage.id.clone();
    shared.state.lock().unwrap().stages.push(stage);
    HttpResponse::Created().json(json!({"id": id}))
}

async fn delete_stage(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let mut state = shared.state.lock().unwrap();
    let before = state.stages.len();
    state.stages.retain(|s| s.id != *id);
    if state.stages.len() == before {
        not_found("stage")
    } else {
        HttpResponse::NoContent().finish()
    }
}

#[derive(Deserialize)]
struct NewPosting {
    text: String,
    #[serde(default)]
    tags: Vec<String>,
}

async fn create_posting(shared: web::Data<Shared>, body: web::Json<NewPosting>) -> HttpResponse {
    let posting = Posting {
        id: random_id(),
        text: body.text.clone(),
        tags: body.tags.clone(),
    };
    let id = posting.id.clone();
    shared
        .state
        .lock()
        .unwrap()
        .postings
        .insert(id.clone(), posting);
    HttpResponse::Created().json(json!({"id": id}))
}

#[derive(Deserialize)]
struct Tags {
    tags: Vec<String>,
}

/// Changes the job's tags. Like Lever, existing candidates keep the tags they inherited.
async fn set_posting_tags(
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Json<Tags>,
) -> HttpResponse {
    match shared.state.lock().unwrap().postings.get_mut(id.as_str()) {
        Some(posting) => {
            posting.tags = body.tags.clone();
            HttpResponse::NoContent().finish()
        }
        None => not_found("posting"),
    }
}

#[derive(Deserialize)]
struct NewOpportunity {
    name: String,
    email: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    posting_id: Option<String>,
    stage_id: Option<String>,
    /// Another opportunity of the same person (shares the contact, and so the links).
    same_contact_as: Option<String>,
}

async fn create_opportunity(
    shared: web::Data<Shared>,
    body: web::Json<NewOpportunity>,
) -> HttpResponse {
    let mut state = shared.state.lock().unwrap();
    let mut tags = body.tags.clone();
    if let Some(posting_id) = &body.posting_id {
        match state.postings.get(posting_id) {
            Some(posting) => tags.extend(posting.tags.iter().cloned()),
            None => return not_found("posting"),
        }
    }
    let stage = body
        .stage_id
        .clone()
        .or_else(|| state.stages.first().map(|s| s.id.clone()));
    if let Some(stage) = &stage
        && state.stage_index(stage).is_none()
    {
        return not_found("stage");
    }
    let contact = match &body.same_contact_as {
        Some(other) => match state.opportunities.get(other) {
            Some(o) => o.contact.clone(),
            None => return not_found("opportunity"),
        },
        None => random_id(),
    };
    let now = now_ms();
    let opportunity = Opportunity {
        id: random_id(),
        name: body.name.clone(),
        email: body
            .email
            .clone()
            .unwrap_or_else(|| format!("{}@candidates.example", random_token(8))),
        contact,
        tags,
        posting: body.posting_id.clone(),
        application: random_id(),
        stage_changes: stage.iter().map(|s| (s.clone(), now)).collect(),
        stage,
        archived_at: None,
        created_at: now,
    };
    let id = opportunity.id.clone();
    state.opportunities.insert(id.clone(), opportunity);
    HttpResponse::Created().json(json!({"id": id}))
}

async fn get_opportunity(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let state = shared.state.lock().unwrap();
    let Some(o) = state.opportunities.get(id.as_str()) else {
        return not_found("opportunity");
    };
    let mut view = state.opportunity_json(o, true);
    view["notes"] = json!(state.notes.get(id.as_str()).cloned().unwrap_or_default());
    HttpResponse::Ok().json(view)
}

async fn set_opportunity_tags(
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Json<Tags>,
) -> HttpResponse {
    match shared
        .state
        .lock()
        .unwrap()
        .opportunities
        .get_mut(id.as_str())
    {
        Some(o) => {
            o.tags = body.tags.clone();
            HttpResponse::NoContent().finish()
        }
        None => not_found("opportunity"),
    }
}

async fn archive_opportunity(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    match shared
        .state
        .lock()
        .unwrap()
        .opportunities
        .get_mut(id.as_str())
    {
        Some(o) => {
            o.archived_at = Some(now_ms());
            HttpResponse::NoContent().finish()
        }
        None => not_found("opportunity"),
    }
}

#[derive(Deserialize)]
struct Move {
    stage_id: String,
}

/// Moves the candidate and sends the signed candidateStageChange to each registered URL.
async fn move_opportunity(
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Json<Move>,
) -> HttpResponse {
    let data = {
        let mut state = shared.state.lock().unwrap();
        if state.stage_index(&body.stage_id).is_none() {
            return not_found("stage");
        }
        let Some(o) = state.opportunities.get_mut(id.as_str()) else {
            return not_found("opportunity");
        };
        let from = o.stage.replace(body.stage_id.clone());
        o.stage_changes.push((body.stage_id.clone(), now_ms()));
        json!({
            "opportunityId": o.id,
            "candidateId": o.id,
            "contactId": o.contact,
            "toStageId": body.stage_id,
            "fromStageId": from,
        })
    };
    let deliveries = webhooks::deliver(&shared, "candidateStageChange", data);
    HttpResponse::Ok().json(json!({"deliveries": deliveries}))
}

#[derive(Deserialize)]
struct NewWebhook {
    event: String,
    url: String,
    /// Normally Lever makes one up; a test may reuse a token.
    signature_token: Option<String>,
}

async fn register_webhook(shared: web::Data<Shared>, body: web::Json<NewWebhook>) -> HttpResponse {
    let webhook = Webhook {
        id: random_id(),
        event: body.event.clone(),
        url: body.url.clone(),
        token: body
            .signature_token
            .clone()
            .unwrap_or_else(|| random_token(48)),
    };
    let answer = json!({"id": webhook.id, "signature_token": webhook.token});
    shared.state.lock().unwrap().webhooks.push(webhook);
    HttpResponse::Created().json(answer)
}

async fn regenerate_token(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let mut state = shared.state.lock().unwrap();
    match state.webhooks.iter_mut().find(|w| w.id == *id) {
        Some(webhook) => {
            webhook.token = random_token(48);
            HttpResponse::Ok().json(json!({"signature_token": webhook.token}))
        }
        None => not_found("webhook"),
    }
}

/// Lever's Verify: its sample body, signed with the entry's token, sent once.
async fn verify_webhook(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let webhook = shared
        .state
        .lock()
        .unwrap()
        .webhooks
        .iter()
        .find(|w| w.id == *id)
        .cloned();
    let Some(webhook) = webhook else {
        return not_found("webhook");
    };
    let body = webhooks::signed_body(&webhook, "candidateHired", json!({}));
    let status = webhooks::post(&webhooks::http_client(), &webhook.url, &body).await;
    HttpResponse::Ok().json(json!({"status": status}))
}

async fn list_deliveries(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(&shared.state.lock().unwrap().deliveries)
}

/// Lever's "Rerun": the same body (same token and signature) again.
async fn replay_delivery(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let found = {
        let state = shared.state.lock().unwrap();
        state.deliveries.iter().find(|d| d.id == *id).and_then(|d| {
            let webhook = state
                .webhooks
                .iter()
                .find(|w| w.id == d.webhook_id)?
                .clone();
            Some((webhook, d.event.clone(), d.body.clone()))
        })
    };
    match found {
        Some((webhook, event, body)) => {
            let id = webhooks::start_delivery(&shared, &webhook, &event, body);
            HttpResponse::Ok().json(json!({"delivery": id}))
        }
        None => not_found("delivery"),
    }
}

#[derive(Deserialize)]
struct NewFault {
    count: u32,
    status: Option<u16>,
    retry_after: Option<u64>,
    hang_ms: Option<u64>,
    path_contains: Option<String>,
}

async fn inject_fault(shared: web::Data<Shared>, body: web::Json<NewFault>) -> HttpResponse {
    let kind = match (body.status, body.hang_ms) {
        (Some(status), None) => FaultKind::Status {
            status,
            retry_after: body.retry_after,
        },
        (None, Some(millis)) => FaultKind::Hang { millis },
        _ => {
            return lever_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "give either status or hang_ms",
            );
        }
    };
    if body.count == 0 {
        return lever_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "count must be at least 1",
        );
    }
    shared.state.lock().unwrap().faults.push_back(Fault {
        remaining: body.count,
        kind,
        path_contains: body.path_contains.clone(),
    });
    HttpResponse::NoContent().finish()
}

async fn list_requests(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(&shared.state.lock().unwrap().requests)
}
