//! The Lever API surface under `/v1`: Basic auth with per-endpoint permissions, a token bucket
//! per key, opaque pagination tokens, Lever's error bodies, and injected faults.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{FaultKind, Note, RequestRecord, SimState, random_id};
use super::{Shared, SimOptions};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .route("/stages", web::get().to(list_stages))
            .route("/users", web::get().to(list_users))
            .route("/opportunities/{id}", web::get().to(get_opportunity))
            .route("/postings/{id}", web::get().to(get_posting))
            .route("/opportunities/{id}/addLinks", web::post().to(add_links))
            .route("/opportunities/{id}/notes", web::post().to(create_note))
            .default_service(web::to(|| async {
                lever_error(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFound",
                    "No such endpoint",
                )
            })),
    );
}

pub fn lever_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"code": code, "message": message}))
}

/// Auth, permission, rate limit and faults, in Lever's order; `Err` is the answer to give.
async fn admit(
    request: &HttpRequest,
    shared: &Shared,
    permission: &str,
) -> Result<String, HttpResponse> {
    let key = basic_auth_key(request);
    let path = request.path().to_string();
    let method = request.method().to_string();
    let decision = {
        let mut state = shared.state.lock().unwrap();
        let decision = decide(
            &mut state,
            &shared.options,
            key.as_deref(),
            permission,
            &path,
        );
        let status = match &decision {
            Ok(None) => 200,
            Ok(Some(FaultKind::Hang { .. })) => 200,
            Ok(Some(FaultKind::Status { status, .. })) => *status,
            Err((status, ..)) => status.as_u16(),
        };
        let at_ms = state.started.elapsed().as_millis() as u64;
        state.requests.push(RequestRecord {
            method,
            path,
            key_last4: key.as_deref().map(last4).unwrap_or_default(),
            status,
            at_ms,
        });
        decision
    };
    match decision {
        Err((status, code, message, retry_after)) => {
            let mut response = lever_error(status, code, &message);
            if let Some(secs) = retry_after {
                response.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(secs),
                );
            }
            Err(response)
        }
        Ok(Some(FaultKind::Status {
            status,
            retry_after,
        })) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = lever_error(
                status,
                "InjectedFault",
                "The simulator was told to fail this call",
            );
            if let Some(secs) = retry_after {
                response.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(secs),
                );
            }
            Err(response)
        }
        Ok(Some(FaultKind::Hang { millis })) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            Ok(key.unwrap_or_default())
        }
        Ok(None) => Ok(key.unwrap_or_default()),
    }
}

type Refusal = (StatusCode, &'static str, String, Option<u64>);

fn decide(
    state: &mut SimState,
    options: &SimOptions,
    key: Option<&str>,
    permission: &str,
    path: &str,
) -> Result<Option<FaultKind>, Refusal> {
    let Some(key) = key else {
        return Err((
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Missing API key".into(),
            None,
        ));
    };
    let Some(granted) = state.keys.get(key) else {
        return Err((
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Invalid API key".into(),
            None,
        ));
    };
    if !granted.contains(permission) {
        let endpoint = path.trim_start_matches("/v1");
        return Err((
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("This API key is not authorized to access {endpoint}"),
            None,
        ));
    }
    // A token bucket per key: 10 per second, bursts to 20.
    let now = Instant::now();
    let bucket = state
        .buckets
        .entry(key.to_string())
        .or_insert(super::state::Bucket {
            tokens: 20.0,
            updated: now,
        });
    bucket.tokens =
        (bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * 10.0).min(20.0);
    bucket.updated = now;
    if bucket.tokens < 1.0 {
        let retry_after = options.rate_limit_retry_after.then_some(1);
        return Err((
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Rate limit exceeded".into(),
            retry_after,
        ));
    }
    bucket.tokens -= 1.0;
    if let Some(position) = state
        .faults
        .iter()
        .position(|f| f.path_contains.as_deref().is_none_or(|p| path.contains(p)))
    {
        let fault = &mut state.faults[position];
        let kind = fault.kind.clone();
        fault.remaining -= 1;
        if fault.remaining == 0 {
            state.faults.remove(position);
        }
        return Ok(Some(kind));
    }
    Ok(None)
}

fn basic_auth_key(request: &HttpRequest) -> Option<String> {
    let header = request.headers().get("authorization")?.to_str().ok()?;
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (key, _password) = decoded.split_once(':')?;
    (!key.is_empty()).then(|| key.to_string())
}

fn last4(key: &str) -> String {
    key.chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

#[derive(Deserialize)]
struct PageQuery {
    limit: Option<String>,
    offset: Option<String>,
}

/// Lever's paging: `limit` 1..=100, `offset` = an earlier answer's opaque `next`.
fn page(state: &mut SimState, items: Vec<Value>, query: &PageQuery) -> HttpResponse {
    let limit = match query.limit.as_deref().map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => {
            return lever_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "limit must be between 1 and 100",
            );
        }
    };
    let start = match &query.offset {
        None => 0,
        Some(token) => match state.page_tokens.get(token) {
            Some(index) => *index,
            None => return lever_error(StatusCode::BAD_REQUEST, "BadRequest", "Invalid offset"),
        },
    };
    let end = (start + limit).min(items.len());
    let data: Vec<Value> = items[start.min(items.len())..end].to_vec();
    if end < items.len() {
        // Opaque, and full of characters that need percent-encoding in a query string.
        let token = format!("{}+/{}=", STANDARD.encode(rand::random::<[u8; 9]>()), end);
        state.page_tokens.insert(token.clone(), end);
        HttpResponse::Ok().json(json!({"data": data, "hasNext": true, "next": token}))
    } else {
        HttpResponse::Ok().json(json!({"data": data, "hasNext": false}))
    }
}

async fn list_stages(
    request: HttpRequest,
    shared: web::Data<Shared>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, "read_stages").await {
        return refusal;
    }
    let mut state = shared.state.lock().unwrap();
    let items = state
        .stages
        .iter()
        .map(|s| json!({"id": s.id, "text": s.text}))
        .collect();
    page(&mut state, items, &query)
}

async fn list_users(
    request: HttpRequest,
    shared: web::Data<Shared>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, "read_users").await {
        return refusal;
    }
    let mut state = shared.state.lock().unwrap();
    let items = state
        .users
        .iter()
        .map(|u| json!({"id": u.id, "name": u.name, "email": u.email, "accessRole": "interviewer"}))
        .collect();
    page(&mut state, items, &query)
}

#[derive(Deserialize)]
struct ExpandQuery {
    expand: Option<String>,
}

async fn get_opportunity(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
    query: web::Query<ExpandQuery>,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, "read_opportunities").await {
        return refusal;
    }
    let state = shared.state.lock().unwrap();
    match state.opportunities.get(id.as_str()) {
        Some(o) => {
            let expand = query.expand.as_deref() == Some("applications");
            HttpResponse::Ok().json(json!({"data": state.opportunity_json(o, expand)}))
        }
        None => lever_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "Opportunity not found",
        ),
    }
}

async fn get_posting(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, "read_postings").await {
        return refusal;
    }
    let state = shared.state.lock().unwrap();
    match state.postings.get(id.as_str()) {
        Some(p) => HttpResponse::Ok().json(
            json!({"data": {"id": p.id, "text": p.text, "tags": p.tags, "state": "published"}}),
        ),
        None => lever_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "Posting not found",
        ),
    }
}

#[derive(Deserialize)]
struct PerformAs {
    perform_as: Option<String>,
}

async fn add_links(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
    query: web::Query<PerformAs>,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, "add_links").await {
        return refusal;
    }
    let mut state = shared.state.lock().unwrap();
    let Some(contact) = state
        .opportunities
        .get(id.as_str())
        .map(|o| o.contact.clone())
    else {
        return lever_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "Opportunity not found",
        );
    };
    let links = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("links")?
            .as_array()?
            .iter()
            .map(|l| l.as_str().map(String::from))
            .collect::<Option<Vec<_>>>()
    });
    let Some(links) = links.filter(|l| !l.is_empty()) else {
        return lever_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "links must be a non-empty array of strings",
        );
    };
    let _ = &query.perform_as;
    // Links belong to the contact: every opportunity of that person shows them.
    state
        .contact_links
        .entry(contact)
        .or_default()
        .extend(links);
    HttpResponse::Ok().json(json!({"data": {}}))
}

async fn create_note(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
    query: web::Query<PerformAs>,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, "create_notes").await {
        return refusal;
    }
    let mut state = shared.state.lock().unwrap();
    if !state.opportunities.contains_key(id.as_str()) {
        return lever_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "Opportunity not found",
        );
    }
    let value = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("value")?.as_str().map(String::from))
        .filter(|v| !v.trim().is_empty());
    let Some(value) = value else {
        return lever_error(StatusCode::BAD_REQUEST, "BadRequest", "value is required");
    };
    let note = Note {
        id: random_id(),
        value,
        perform_as: query.perform_as.clone(),
    };
    let note_id = note.id.clone();
    state.notes.entry(id.into_inner()).or_default().push(note);
    HttpResponse::Created().json(json!({"data": {"noteId": note_id}}))
}
