//! The Lever API under `/v1`, as ../shared/lever-api.md sections 1 and 3 describe it.
//!
//! Every call goes through [`admit`], in this order:
//! 1. HTTP Basic auth, the API key as user name and an empty password: else 401;
//! 2. the key's token bucket (10/s, bursts of 20): else 429 (with `Retry-After` only when
//!    `SimOptions::rate_limit_retry_after`);
//! 3. the endpoint's permission: else 403 (checked before the object is looked up, except by
//!    `GET /opportunities/:id` and `GET /postings/:id`, which answer 404 for an unknown id
//!    before looking at the permission, as Lever may: a probe with a made-up id proves nothing);
//! 4. injected faults (an error status, a redirect, a hang before answering normally, an
//!    endless 200 body, or a write carried out whose answer is then lost).
//!
//! Confidential postings and their opportunities answer 403 to a key created without
//! "Allow access to confidential data" (reads and writes alike); lists leave them out unless
//! `confidentiality=confidential` or `all` is asked, which such a key gets 403 for.
//!
//! Errors are always `{"code", "message"}`. Writes need `Content-Type: application/json`.
//! `addLinks` answers 200 with an empty body (Lever's body is unknown: clients must accept any
//! 2xx); `notes` answers 201 `{"data": {"noteId"}}` and `GET .../notes` lists them (permission
//! `read_notes`). A `perform_as` that names no active user is 400.
//!
//! Feedback (shapes and body rules in `feedback.rs`): `GET /feedback_templates` (paged) and
//! `GET /feedback_templates/:id` (permission `read_feedback_templates`);
//! `POST /opportunities/:id/feedback?perform_as=` (permission `create_feedback`; `perform_as`
//! is required, unlike for notes) answers 201 `{"data": <the form>}`, and
//! `GET /opportunities/:id/feedback` lists an opportunity's forms, oldest first, paged
//! (permission `read_feedback`). No write is idempotent: the same body twice is two forms.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::state::{Opportunity, Posting, SimState, last4, now_ms, random_id};
use super::{FaultKind, Shared, SimNote, SimRequest, feedback, pagination, query};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .wrap(from_fn(log_request))
            .route("/stages", web::get().to(list_stages))
            .route("/stages/{id}", web::get().to(get_stage))
            .route("/users", web::get().to(list_users))
            .route("/users/{id}", web::get().to(get_user))
            .route("/opportunities", web::get().to(list_opportunities))
            .route("/opportunities/{id}", web::get().to(get_opportunity))
            .route("/opportunities/{id}/addLinks", web::post().to(add_links))
            .route("/opportunities/{id}/notes", web::post().to(create_note))
            .route("/opportunities/{id}/notes", web::get().to(list_notes))
            .route(
                "/opportunities/{id}/feedback",
                web::post().to(create_feedback),
            )
            .route("/opportunities/{id}/feedback", web::get().to(list_feedback))
            .route(
                "/feedback_templates",
                web::get().to(list_feedback_templates),
            )
            .route(
                "/feedback_templates/{id}",
                web::get().to(get_feedback_template),
            )
            .route("/postings", web::get().to(list_postings))
            .route("/postings/{id}", web::get().to(get_posting))
            .default_service(web::to(unknown_endpoint)),
    );
}

/// Lever's error body.
pub fn lever_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"code": code, "message": message}))
}

/// The `code` Lever uses for a status.
pub fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "ResourceNotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableEntity",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "Error",
    }
}

fn bad_request(message: &str) -> HttpResponse {
    lever_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn not_found(message: &str) -> HttpResponse {
    lever_error(StatusCode::NOT_FOUND, "ResourceNotFound", message)
}

/// Records every call (arrival time, key's last four characters, final status).
async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let shared = request.app_data::<web::Data<Shared>>().cloned();
    let started = Instant::now();
    let seq = shared.as_ref().map(|shared| {
        let mut state = shared.lock();
        let seq = state.next_request_seq;
        state.next_request_seq += 1;
        let at_ms = state.elapsed_ms();
        state.requests.push(SimRequest {
            seq,
            method: request.method().to_string(),
            path: request.path().to_string(),
            query: request.query_string().to_string(),
            key_last4: match basic_credentials(request.headers()) {
                Some((user, _)) => last4(&user),
                None => String::new(),
            },
            status: 0,
            at_ms,
            duration_ms: 0,
        });
        seq
    });
    let result = next.call(request).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    if let (Some(shared), Some(seq)) = (shared, seq) {
        let mut state = shared.lock();
        if let Some(record) = state.requests.iter_mut().rev().find(|r| r.seq == seq) {
            record.status = status.as_u16();
            record.duration_ms = started.elapsed().as_millis() as u64;
        }
    }
    result
}

/// The Basic-auth user name and password, if the header is well formed.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let header = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

enum Admission {
    Refused(HttpResponse),
    Hang(Duration),
    Go,
    /// Carry the write out, then lose its answer.
    GoThenLose(LostAnswer),
}

/// How a write's answer is lost after the write was carried out.
#[derive(Debug, Clone, Copy)]
pub enum LostAnswer {
    Status(u16),
    Late(Duration),
}

/// Auth, rate limit, permission, faults, in that order. `Err` is the answer to give; `Ok`
/// may carry a lost answer for a write to apply once it has stored its object.
async fn admit(
    request: &HttpRequest,
    shared: &Shared,
    permission: Option<&str>,
) -> Result<Option<LostAnswer>, HttpResponse> {
    admit_checking(request, shared, permission.map(Permission::First)).await
}

/// When the endpoint's permission is checked.
#[derive(Clone, Copy)]
enum Permission<'a> {
    /// Before anything else about the call (403 before 404).
    First(&'a str),
    /// By the handler, after looking the object up (404 before 403). A key without it gets
    /// no injected fault either: faults wait for a call that would otherwise succeed.
    AfterLookup(&'a str),
}

/// [`admit`] for the reads that answer 404 before 403; the handler calls [`refuse_without`].
async fn admit_before_lookup(
    request: &HttpRequest,
    shared: &Shared,
    permission: &str,
) -> Result<Option<LostAnswer>, HttpResponse> {
    admit_checking(request, shared, Some(Permission::AfterLookup(permission))).await
}

async fn admit_checking(
    request: &HttpRequest,
    shared: &Shared,
    permission: Option<Permission<'_>>,
) -> Result<Option<LostAnswer>, HttpResponse> {
    let admission = {
        let mut state = shared.lock();
        decide(&mut state, shared, request, permission)
    };
    match admission {
        Admission::Refused(response) => Err(response),
        Admission::Hang(wait) => {
            tokio::time::sleep(wait).await;
            Ok(None)
        }
        Admission::Go => Ok(None),
        Admission::GoThenLose(lost) => Ok(Some(lost)),
    }
}

/// The answer of a write, unless a fault loses it once carried out: a 5xx instead, or the
/// answer only after the client stopped waiting. A refused write stored nothing: its answer
/// stands.
async fn answer_unless_lost(lost: Option<LostAnswer>, response: HttpResponse) -> HttpResponse {
    match lost {
        None => response,
        Some(_) if !response.status().is_success() => response,
        Some(LostAnswer::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            lever_error(status, code_for(status), "Something went wrong")
        }
        Some(LostAnswer::Late(wait)) => {
            tokio::time::sleep(wait).await;
            response
        }
    }
}

/// A write: [`admit`] with its permission, then `carry_out`, then its answer unless a fault
/// loses it.
async fn write(
    request: &HttpRequest,
    shared: &Shared,
    permission: &str,
    carry_out: impl FnOnce() -> HttpResponse,
) -> HttpResponse {
    match admit(request, shared, Some(permission)).await {
        Ok(lost) => answer_unless_lost(lost, carry_out()).await,
        Err(refusal) => refusal,
    }
}

fn decide(
    state: &mut SimState,
    shared: &Shared,
    request: &HttpRequest,
    permission: Option<Permission<'_>>,
) -> Admission {
    let unauthorized = |message: &str| {
        Admission::Refused(lever_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            message,
        ))
    };
    let Some((key, password)) = basic_credentials(request.headers()) else {
        return unauthorized(
            "Missing credentials: use HTTP Basic auth with the API key as the user name and an \
             empty password",
        );
    };
    if !password.is_empty() {
        return unauthorized("Invalid credentials: the password must be empty");
    }
    let Some(api_key) = state.keys.get_mut(&key) else {
        return unauthorized("Invalid API key");
    };
    if let Err(wait) = api_key.bucket.take(Instant::now()) {
        let mut response = lever_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Rate limit exceeded: at most 10 requests per second per API key",
        );
        if shared.options.rate_limit_retry_after {
            let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        return Admission::Refused(response);
    }
    if let Some(Permission::AfterLookup(permission)) = permission
        && !api_key.permissions.contains(permission)
    {
        return Admission::Go;
    }
    if let Some(Permission::First(permission)) = permission
        && !api_key.permissions.contains(permission)
    {
        let endpoint = request.path().strip_prefix("/v1").unwrap_or(request.path());
        return Admission::Refused(lever_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("This API key is not authorized to access {endpoint}"),
        ));
    }
    let path = request.path();
    let is_write = request.method() == actix_web::http::Method::POST;
    let Some(position) = state.faults.iter().position(|f| {
        f.path_contains
            .as_deref()
            .is_none_or(|needle| path.contains(needle))
            && (is_write || !matches!(f.kind, FaultKind::StoredThenLost { .. }))
    }) else {
        return Admission::Go;
    };
    let fault = &mut state.faults[position];
    let kind = fault.kind.clone();
    fault.count = fault.count.saturating_sub(1);
    if fault.count == 0 {
        state.faults.remove(position);
    }
    match kind {
        FaultKind::Hang { millis } => Admission::Hang(Duration::from_millis(millis)),
        FaultKind::StoredThenLost { status, millis } => Admission::GoThenLose(match millis {
            Some(millis) => LostAnswer::Late(Duration::from_millis(millis)),
            None => LostAnswer::Status(status.unwrap_or(500)),
        }),
        FaultKind::Oversized { bytes } => Admission::Refused(oversized(bytes)),
        FaultKind::Redirect { status, location } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::MOVED_PERMANENTLY);
            let location = if location.starts_with('/') {
                format!("{}{location}", shared.root_url)
            } else {
                location
            };
            let mut response = lever_error(status, "MovedPermanently", "This resource has moved");
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            Admission::Refused(response)
        }
        FaultKind::Status {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = match status.as_u16() {
                429 => "Rate limit exceeded",
                503 => "Lever is down for maintenance. Please try again later.",
                _ => "Something went wrong",
            };
            let mut response = lever_error(status, code_for(status), message);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            if status.is_redirection() {
                // Back to the same place: a client that follows redirects gets an answer.
                let mut location = format!("{}{}", shared.root_url, request.path());
                if !request.query_string().is_empty() {
                    location = format!("{location}?{}", request.query_string());
                }
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
            }
            Admission::Refused(response)
        }
    }
}

/// 200 with `bytes` bytes of one unterminated JSON string, streamed in 64 KiB chunks so the
/// simulator itself holds none of it.
fn oversized(bytes: u64) -> HttpResponse {
    const CHUNK: usize = 64 * 1024;
    static FILLER: [u8; CHUNK] = [b'x'; CHUNK];
    let opening = web::Bytes::from_static(b"{\"data\": {\"padding\": \"");
    let mut left = bytes.saturating_sub(opening.len() as u64);
    let rest = std::iter::from_fn(move || {
        (left > 0).then(|| {
            let take = left.min(CHUNK as u64) as usize;
            left -= take as u64;
            web::Bytes::from_static(&FILLER[..take])
        })
    });
    let chunks = std::iter::once(opening)
        .chain(rest)
        .map(Ok::<_, std::io::Error>);
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(futures_util::stream::iter(chunks))
}

async fn unknown_endpoint(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, None).await {
        return refusal;
    }
    not_found(&format!(
        "No endpoint {} {}",
        request.method(),
        request.path()
    ))
}

async fn list_stages(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, Some("read_stages")).await {
        return refusal;
    }
    let query = query::parse(request.query_string());
    let mut state = shared.lock();
    let items = state
        .stages
        .iter()
        .map(|s| json!({"id": s.id, "text": s.text}))
        .collect();
    pagination::page(&mut state, "stages", items, &query)
}

async fn get_stage(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, Some("read_stages")).await {
        return refusal;
    }
    let state = shared.lock();
    match state.stages.iter().find(|s| s.id == *id) {
        Some(stage) => {
            HttpResponse::Ok().json(json!({"data": {"id": stage.id, "text": stage.text}}))
        }
        None => not_found("Stage not found"),
    }
}

async fn list_users(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, Some("read_users")).await {
        return refusal;
    }
    let query = query::parse(request.query_string());
    // `email` matches the canonical form exactly (trimmed, lowercase): a query in another
    // case finds nobody. Deactivated users only with `includeDeactivated=true`.
    let email = match query::values(&query, "email").as_slice() {
        [] => None,
        [email] => Some(email.to_string()),
        _ => return bad_request("email may be given only once"),
    };
    let include_deactivated = match query::values(&query, "includeDeactivated").as_slice() {
        [] | ["false"] => false,
        ["true"] => true,
        _ => return bad_request("includeDeactivated must be true or false"),
    };
    let mut state = shared.lock();
    let items = state
        .users
        .iter()
        .filter(|u| include_deactivated || u.deactivated_at.is_none())
        .filter(|u| email.as_ref().is_none_or(|e| *e == u.canonical_email()))
        .map(SimState::user_json)
        .collect();
    pagination::page(&mut state, "users", items, &query)
}

async fn get_user(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, Some("read_users")).await {
        return refusal;
    }
    let state = shared.lock();
    match state.users.iter().find(|u| u.id == *id) {
        Some(user) => HttpResponse::Ok().json(json!({"data": SimState::user_json(user)})),
        None => not_found("User not found"),
    }
}

/// `expand` may repeat (`expand=applications&expand=stage`); unknown values are refused.
const EXPANDABLE: [&str; 6] = [
    "applications",
    "stage",
    "contact",
    "owner",
    "followers",
    "sourcedBy",
];

async fn get_opportunity(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> HttpResponse {
    if let Err(refusal) = admit_before_lookup(&request, &shared, "read_opportunities").await {
        return refusal;
    }
    let query = query::parse(request.query_string());
    let expand = query::values(&query, "expand");
    if let Some(unknown) = expand.iter().find(|e| !EXPANDABLE.contains(e)) {
        return bad_request(&format!("Invalid expand parameter {unknown:?}"));
    }
    let state = shared.lock();
    let Some(o) = state.opportunities.get(id.as_str()) else {
        return not_found("Opportunity not found");
    };
    if let Some(refusal) = refuse_without(&request, &state, "read_opportunities")
        .or_else(|| refuse_confidential(&request, &state, state.opportunity_confidential(o)))
    {
        return refusal;
    }
    HttpResponse::Ok().json(json!({"data": state.opportunity_json(o, &expand, &shared.root_url)}))
}

/// `GET /opportunities?limit=`: a list answers even when empty, so it cannot 404.
async fn list_opportunities(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, Some("read_opportunities")).await {
        return refusal;
    }
    let query = query::parse(request.query_string());
    let mut state = shared.lock();
    let wanted = match confidentiality(&request, &state, &query) {
        Ok(wanted) => wanted,
        Err(refusal) => return *refusal,
    };
    let mut opportunities: Vec<&Opportunity> = state
        .opportunities
        .values()
        .filter(|o| wanted.includes(state.opportunity_confidential(o)))
        .collect();
    opportunities.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let items = opportunities
        .into_iter()
        .map(|o| state.opportunity_json(o, &[], &shared.root_url))
        .collect();
    pagination::page(&mut state, "opportunities", items, &query)
}

/// `GET /postings?limit=`.
async fn list_postings(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, Some("read_postings")).await {
        return refusal;
    }
    let query = query::parse(request.query_string());
    let mut state = shared.lock();
    let wanted = match confidentiality(&request, &state, &query) {
        Ok(wanted) => wanted,
        Err(refusal) => return *refusal,
    };
    let mut postings: Vec<&Posting> = state
        .postings
        .values()
        .filter(|p| wanted.includes(p.confidential))
        .collect();
    postings.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let items = postings
        .into_iter()
        .map(|p| state.posting_json(p, &shared.root_url))
        .collect();
    pagination::page(&mut state, "postings", items, &query)
}

/// Which items a list shows, by its `confidentiality` filter.
#[derive(Clone, Copy)]
enum Confidentiality {
    NonConfidential,
    Confidential,
    All,
}

impl Confidentiality {
    fn includes(self, confidential: bool) -> bool {
        match self {
            Confidentiality::NonConfidential => !confidential,
            Confidentiality::Confidential => confidential,
            Confidentiality::All => true,
        }
    }
}

/// The list's `confidentiality` (non-confidential by default); asking for confidential items
/// with a key that may not see them is 403.
fn confidentiality(
    request: &HttpRequest,
    state: &SimState,
    query: &[(String, String)],
) -> Result<Confidentiality, Box<HttpResponse>> {
    let wanted = match query::values(query, "confidentiality").as_slice() {
        [] | ["non-confidential"] => Confidentiality::NonConfidential,
        ["confidential"] => Confidentiality::Confidential,
        ["all"] => Confidentiality::All,
        _ => {
            return Err(Box::new(bad_request(
                "confidentiality must be confidential, non-confidential or all, once",
            )));
        }
    };
    match wanted {
        Confidentiality::NonConfidential => Ok(wanted),
        _ => refuse_confidential(request, state, true).map_or(Ok(wanted), |r| Err(Box::new(r))),
    }
}

/// The 403 for a confidential object when the key was created without confidential access.
fn refuse_confidential(
    request: &HttpRequest,
    state: &SimState,
    confidential: bool,
) -> Option<HttpResponse> {
    if !confidential {
        return None;
    }
    let key = basic_credentials(request.headers()).map(|(key, _)| key)?;
    let allowed = state.keys.get(&key).is_some_and(|k| k.confidential);
    (!allowed).then(|| {
        lever_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "This API key does not have access to confidential data",
        )
    })
}

/// The opportunity a call names: 404 when there is none, and the confidential 403 when the key
/// may not see it.
fn visible_opportunity<'a>(
    request: &HttpRequest,
    state: &'a SimState,
    id: &str,
) -> Result<&'a Opportunity, Box<HttpResponse>> {
    let Some(o) = state.opportunities.get(id) else {
        return Err(Box::new(not_found("Opportunity not found")));
    };
    match refuse_confidential(request, state, state.opportunity_confidential(o)) {
        Some(refusal) => Err(Box::new(refusal)),
        None => Ok(o),
    }
}

/// The 403 a key without `permission` gets (checked after [`admit`] let the call in).
fn refuse_without(
    request: &HttpRequest,
    state: &SimState,
    permission: &str,
) -> Option<HttpResponse> {
    let key = basic_credentials(request.headers()).map(|(key, _)| key)?;
    let allowed = state
        .keys
        .get(&key)
        .is_some_and(|k| k.permissions.contains(permission));
    (!allowed).then(|| {
        let endpoint = request.path().strip_prefix("/v1").unwrap_or(request.path());
        lever_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("This API key is not authorized to access {endpoint}"),
        )
    })
}

async fn get_posting(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> HttpResponse {
    if let Err(refusal) = admit_before_lookup(&request, &shared, "read_postings").await {
        return refusal;
    }
    let state = shared.lock();
    let Some(p) = state.postings.get(id.as_str()) else {
        return not_found("Posting not found");
    };
    if let Some(refusal) = refuse_without(&request, &state, "read_postings")
        .or_else(|| refuse_confidential(&request, &state, p.confidential))
    {
        return refusal;
    }
    HttpResponse::Ok().json(json!({"data": state.posting_json(p, &shared.root_url)}))
}

/// The JSON object body of a write, or why it is a 400.
fn json_object(request: &HttpRequest, body: &[u8]) -> Result<Map<String, Value>, String> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err("The body must be JSON, sent with Content-Type: application/json".into());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err("The body must be a JSON object".into()),
        Err(e) => Err(format!("The body is not valid JSON: {e}")),
    }
}

/// `perform_as`, which must name one of the account's users when given (else why not).
fn perform_as(request: &HttpRequest, state: &SimState) -> Result<Option<String>, String> {
    let query = query::parse(request.query_string());
    match query::values(&query, "perform_as").as_slice() {
        [] => Ok(None),
        [user] if state.user_exists(user) => Ok(Some(user.to_string())),
        [user] => Err(format!("perform_as {user:?} is not a user of this account")),
        _ => Err("perform_as may be given only once".into()),
    }
}

/// Adds links to the opportunity's contact (so every opportunity of that person shows them).
/// Answers 200 with an empty body.
async fn add_links(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    write(&request, &shared, "add_links", || {
        add_links_now(&request, &shared, &id, &body)
    })
    .await
}

fn add_links_now(request: &HttpRequest, shared: &Shared, id: &str, body: &[u8]) -> HttpResponse {
    let mut state = shared.lock();
    let contact = match visible_opportunity(request, &state, id) {
        Ok(o) => o.contact.clone(),
        Err(refusal) => return *refusal,
    };
    let object = match json_object(request, body) {
        Ok(object) => object,
        Err(why) => return bad_request(&why),
    };
    let links = object
        .get("links")
        .and_then(Value::as_array)
        .and_then(|links| {
            links
                .iter()
                .map(|l| {
                    l.as_str()
                        .filter(|l| !l.trim().is_empty())
                        .map(String::from)
                })
                .collect::<Option<Vec<_>>>()
        });
    let Some(links) = links.filter(|l| !l.is_empty()) else {
        return bad_request("links must be a non-empty array of non-empty strings");
    };
    if let Err(why) = perform_as(request, &state) {
        return bad_request(&why);
    }
    let now = now_ms();
    if let Some(contact) = state.contacts.get_mut(&contact) {
        // No idempotency: the same link added twice is there twice.
        contact.links.extend(links);
    }
    for o in state.opportunities.values_mut() {
        if o.contact == contact {
            o.updated_at = now;
        }
    }
    HttpResponse::Ok().finish()
}

/// Creates a note: 201 `{"data": {"noteId": "..."}}`.
async fn create_note(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    write(&request, &shared, "create_notes", || {
        create_note_now(&request, &shared, &id, &body)
    })
    .await
}

fn create_note_now(request: &HttpRequest, shared: &Shared, id: &str, body: &[u8]) -> HttpResponse {
    let mut state = shared.lock();
    if let Err(refusal) = visible_opportunity(request, &state, id) {
        return *refusal;
    }
    let object = match json_object(request, body) {
        Ok(object) => object,
        Err(why) => return bad_request(&why),
    };
    let Some(value) = object
        .get("value")
        .and_then(Value::as_str)
        .filter(|v| !v.trim().is_empty())
    else {
        return bad_request("value must be a non-empty string");
    };
    let flag = |name: &str| match object.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{name} must be a boolean")),
    };
    let (secret, notify_followers) = match (flag("secret"), flag("notifyFollowers")) {
        (Ok(secret), Ok(notify)) => (secret, notify),
        (Err(why), _) | (_, Err(why)) => return bad_request(&why),
    };
    let perform_as = match perform_as(request, &state) {
        Ok(user) => user,
        Err(why) => return bad_request(&why),
    };
    let now = now_ms();
    let note = SimNote {
        id: random_id(),
        value: value.to_string(),
        secret,
        notify_followers,
        perform_as,
        created_at: now,
        mentions: mentions(value),
    };
    let note_id = note.id.clone();
    if let Some(o) = state.opportunities.get_mut(id) {
        o.notes.push(note);
        o.updated_at = now;
    }
    HttpResponse::Created().json(json!({"data": {"noteId": note_id}}))
}

/// Lists an opportunity's notes, newest first, paged: `{"data": [{"id", "text", "fields":
/// [{"type": "note", "text", "value"}], "user", "secret", "createdAt", "completedAt",
/// "deletedAt"}], "hasNext", "next"}`.
async fn list_notes(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> HttpResponse {
    // Like one opportunity, an unknown one's notes answer 404 before the permission.
    if let Err(refusal) = admit_before_lookup(&request, &shared, "read_notes").await {
        return refusal;
    }
    let query = query::parse(request.query_string());
    let mut state = shared.lock();
    if state.opportunities.contains_key(id.as_str())
        && let Some(refusal) = refuse_without(&request, &state, "read_notes")
    {
        return refusal;
    }
    let o = match visible_opportunity(&request, &state, &id) {
        Ok(o) => o,
        Err(refusal) => return *refusal,
    };
    let items = o
        .notes
        .iter()
        .rev()
        .map(|note| {
            json!({
                "id": note.id,
                "text": null,
                "fields": [{"type": "note", "text": "", "value": note.value}],
                "user": note.perform_as,
                "secret": note.secret,
                "completedAt": null,
                "createdAt": note.created_at,
                "deletedAt": null,
            })
        })
        .collect();
    pagination::page(&mut state, "notes", items, &query)
}

/// `GET /feedback_templates`: every template with its fields, oldest first, paged.
async fn list_feedback_templates(request: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, Some("read_feedback_templates")).await {
        return refusal;
    }
    let query = query::parse(request.query_string());
    let mut state = shared.lock();
    let items = state.feedback_templates.iter().map(|t| json!(t)).collect();
    pagination::page(&mut state, "feedback_templates", items, &query)
}

async fn get_feedback_template(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, Some("read_feedback_templates")).await {
        return refusal;
    }
    let state = shared.lock();
    match state.feedback_templates.iter().find(|t| t.id == *id) {
        Some(template) => HttpResponse::Ok().json(json!({ "data": template })),
        None => not_found("Feedback template not found"),
    }
}

/// Creates a feedback form as the `perform_as` user: 201 `{"data": <the form>}`.
async fn create_feedback(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    write(&request, &shared, "create_feedback", || {
        create_feedback_now(&request, &shared, &id, &body)
    })
    .await
}

fn create_feedback_now(
    request: &HttpRequest,
    shared: &Shared,
    id: &str,
    body: &[u8],
) -> HttpResponse {
    let mut state = shared.lock();
    if let Err(refusal) = visible_opportunity(request, &state, id) {
        return *refusal;
    }
    let user = match perform_as(request, &state) {
        Ok(Some(user)) => user,
        Ok(None) => {
            return bad_request(
                "perform_as is required: the id of the user the feedback is given as",
            );
        }
        Err(why) => return bad_request(&why),
    };
    let now = now_ms();
    let form = json_object(request, body)
        .and_then(|object| feedback::new_form(&state.feedback_templates, &object, user, now));
    let form = match form {
        Ok(form) => form,
        Err(why) => return bad_request(&why),
    };
    let answer = json!({ "data": form });
    if let Some(o) = state.opportunities.get_mut(id) {
        o.feedback.push(form);
        o.updated_at = now;
    }
    HttpResponse::Created().json(answer)
}

/// `GET /opportunities/:id/feedback`: the opportunity's forms with their values, oldest first,
/// paged.
async fn list_feedback(
    request: HttpRequest,
    shared: web::Data<Shared>,
    id: web::Path<String>,
) -> HttpResponse {
    if let Err(refusal) = admit(&request, &shared, Some("read_feedback")).await {
        return refusal;
    }
    let query = query::parse(request.query_string());
    let mut state = shared.lock();
    let items = match visible_opportunity(&request, &state, &id) {
        Ok(o) => o.feedback.iter().map(|form| json!(form)).collect(),
        Err(refusal) => return *refusal,
    };
    pagination::page(&mut state, "feedback", items, &query)
}

/// The `@word` mentions in a note's text, in order. Any `@` counts, wherever it stands (an
/// e-mail address too): the simulator is stricter than Lever, whose exact rule is unknown.
pub fn mentions(value: &str) -> Vec<String> {
    let word = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-');
    value
        .split('@')
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest.chars().take_while(|c| word(*c)).collect();
            // A sentence's full stop is not part of the name.
            let name = name.trim_end_matches(['.', '-']);
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn mentions_are_every_at_word() {
        assert_eq!(
            mentions("hi @riley and @ada.l, mail x@y.example; @ alone; ＠wide; bye @sam."),
            vec!["riley", "ada.l", "y.example", "sam"]
        );
    }
}
