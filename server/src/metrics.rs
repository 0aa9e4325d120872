//! Prometheus metrics through the `metrics` facade. Code that does the work records with the
//! one-line functions here; live pads and Argon2 permits are counted as they change, and the
//! job queue is read from the database when scraped. `/metrics` is never public by default: it is served on `STAGEPAD_METRICS_BIND`
//! (an operator's address) or, with `STAGEPAD_METRICS_TOKEN`, on the main port to a bearer.
//!
//! Labels are closed sets only (route templates, endpoint names, statuses, languages): never
//! an organization, a person, a token or an id.

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use api::ErrorCode;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ApiResult};
use crate::i18n::{Text, msg};
use crate::state::AppState;

/// Seconds, from a millisecond to a minute: requests, Lever calls, waits and runs.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The process's recorder. One per process: every [`crate::Application`] in it (tests start
/// many) records into the same counters, so a scrape shows the process, not one app.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if something else installed a recorder first; ours then renders nothing
        // recorded, which the scrape test would show.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics stays empty");
        }
        describe();
        handle
    })
}

/// Installs the recorder (once) and keeps its histograms' memory bounded between scrapes.
pub fn install() {
    static UPKEEP: OnceLock<()> = OnceLock::new();
    let handle = handle();
    UPKEEP.get_or_init(|| {
        let handle = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    handle.run_upkeep();
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| tracing::warn!(error = %e, "no metrics upkeep thread"));
    });
}

fn describe() {
    describe_counter!(
        "stagepad_http_requests_total",
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        "stagepad_http_request_duration_seconds",
        "Time to answer HTTP requests, by method and route template."
    );
    describe_counter!(
        "stagepad_lever_webhook_deliveries_total",
        "Lever webhook deliveries, by outcome: queued, ignored, duplicate, or the refusal's code."
    );
    describe_gauge!(
        "stagepad_jobs",
        "Background jobs by state: queued (never tried), failed (queued again after a failed \
         attempt), running, dead."
    );
    describe_gauge!(
        "stagepad_jobs_oldest_queued_seconds",
        "How long the longest-waiting due job has waited to run (0: none waits)."
    );
    describe_counter!(
        "stagepad_job_attempts_total",
        "Job attempts finished, by kind and outcome (done, retry, dead)."
    );
    describe_counter!(
        "stagepad_lever_requests_total",
        "Calls to Lever's API, by endpoint and status (Lever's documented statuses, others by \
         class: 3xx, 4xx...; or timeout, unreachable)."
    );
    describe_histogram!(
        "stagepad_lever_request_duration_seconds",
        "Time Lever took to answer (until the answer's headers), by endpoint."
    );
    describe_counter!(
        "stagepad_lever_rate_limited_total",
        "Lever's 429 answers, by endpoint."
    );
    describe_histogram!(
        "stagepad_lever_budget_wait_seconds",
        "Time calls waited for the API key's request budget before going to Lever."
    );
    describe_gauge!(
        "stagepad_pad_connections",
        "Live pad sockets open on this instance."
    );
    describe_gauge!(
        "stagepad_pad_rooms",
        "Pads with a live room open on this instance."
    );
    describe_counter!("stagepad_pad_edits_stored_total", "Live pad edits stored.");
    describe_counter!(
        "stagepad_runs_total",
        "Runs of pads' code finished, by language and status."
    );
    describe_histogram!(
        "stagepad_run_duration_seconds",
        "Wall time of runs of pads' code, by language."
    );
    describe_gauge!(
        "stagepad_argon2_permits_in_use",
        "Password hashes being computed now (Argon2 permits taken)."
    );
    describe_gauge!(
        "stagepad_argon2_permits",
        "Password hashes this instance computes at once (Argon2 permits in all)."
    );
}

/// Middleware: every answer counted by route template (`/api/pads/{id}`, never the id) and
/// timed.
pub async fn record_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = method_label(request.method());
    let response = next.call(request).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_str().to_owned();
    counter!("stagepad_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    histogram!("stagepad_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed());
    Ok(response)
}

/// Any method a client invents would be a label value of its own.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A Lever webhook delivery's outcome: its status, or why it was refused.
pub fn webhook_delivery(outcome: &'static str) {
    counter!("stagepad_lever_webhook_deliveries_total", "outcome" => outcome).increment(1);
}

/// The statuses Lever's documentation names, each a label of its own.
const DOCUMENTED_STATUSES: [(u16, &str); 14] = [
    (200, "200"),
    (201, "201"),
    (204, "204"),
    (400, "400"),
    (401, "401"),
    (403, "403"),
    (404, "404"),
    (409, "409"),
    (422, "422"),
    (429, "429"),
    (500, "500"),
    (502, "502"),
    (503, "503"),
    (504, "504"),
];

/// How a call to Lever ended: its HTTP status, or no answer at all.
#[derive(Debug, Clone, Copy)]
pub enum LeverAnswer {
    Status(u16),
    Timeout,
    Unreachable,
}

impl LeverAnswer {
    /// The statuses Lever documents, as they are; any other by its class. A custom base URL
    /// (the simulator, or a tenant's server when allowed) must not mint label values.
    fn label(self) -> &'static str {
        match self {
            LeverAnswer::Status(status) => DOCUMENTED_STATUSES
                .iter()
                .find(|(known, _)| *known == status)
                .map_or_else(
                    || match status {
                        100..=199 => "1xx",
                        200..=299 => "2xx",
                        300..=399 => "3xx",
                        400..=499 => "4xx",
                        500..=599 => "5xx",
                        _ => "other",
                    },
                    |(_, label)| label,
                ),
            LeverAnswer::Timeout => "timeout",
            LeverAnswer::Unreachable => "unreachable",
        }
    }
}

/// One call to Lever's API, timed until its answer's headers (or its failure).
pub fn lever_request(endpoint: &'static str, answer: LeverAnswer, took: Duration) {
    if matches!(answer, LeverAnswer::Status(429)) {
        counter!("stagepad_lever_rate_limited_total", "endpoint" => endpoint).increment(1);
    }
    counter!("stagepad_lever_requests_total", "endpoint" => endpoint, "status" => answer.label())
        .increment(1);
    histogram!("stagepad_lever_request_duration_seconds", "endpoint" => endpoint).record(took);
}

pub fn lever_budget_waited(waited: Duration) {
    histogram!("stagepad_lever_budget_wait_seconds").record(waited);
}

/// A job attempt's end: `done`, `retry` (it runs again later) or `dead`.
pub fn job_attempt(kind: entity::job::Kind, outcome: &'static str) {
    counter!("stagepad_job_attempts_total", "kind" => kind.to_string(), "outcome" => outcome)
        .increment(1);
}

pub fn pad_edit_stored() {
    counter!("stagepad_pad_edits_stored_total").increment(1);
}

/// A finished run: `language` is one the pad could run (a closed set).
pub fn run_finished(language: &str, status: api::RunStatus, wall: Option<Duration>) {
    let language = language.to_owned();
    counter!("stagepad_runs_total", "language" => language.clone(), "status" => status.as_str())
        .increment(1);
    if let Some(wall) = wall {
        histogram!("stagepad_run_duration_seconds", "language" => language).record(wall);
    }
}

pub fn pad_socket_opened() {
    gauge!("stagepad_pad_connections").increment(1.0);
}

pub fn pad_socket_closed() {
    gauge!("stagepad_pad_connections").decrement(1.0);
}

/// A live room opened (`1.0`) or closed (`-1.0`).
pub fn pad_rooms_changed(by: f64) {
    gauge!("stagepad_pad_rooms").increment(by);
}

pub fn argon2_permits(all: usize) {
    gauge!("stagepad_argon2_permits").set(all as f64);
}

/// Counts an Argon2 permit as in use until dropped.
pub struct Argon2InUse(());

impl Argon2InUse {
    pub fn taken() -> Self {
        gauge!("stagepad_argon2_permits_in_use").increment(1.0);
        Argon2InUse(())
    }
}

impl Drop for Argon2InUse {
    fn drop(&mut self) {
        gauge!("stagepad_argon2_permits_in_use").decrement(1.0);
    }
}

/// The text of every metric, with the job queue's gauges read now (from the database, which
/// every instance shares: any instance's scrape shows the whole queue).
pub async fn render(state: &AppState) -> String {
    // Without the database the rest still renders; the job gauges keep their last values.
    if let Err(e) = read_jobs(state).await {
        tracing::warn!(error = %e, "metrics: cannot count the jobs");
    }
    handle().render()
}

async fn read_jobs(state: &AppState) -> Result<(), DbErr> {
    use entity::job::{Column, Entity, Status};
    let count = |filter: sea_orm::Condition| Entity::find().filter(filter).count(&state.db);
    let queued = count(
        sea_orm::Condition::all()
            .add(Column::Status.eq(Status::Queued))
            .add(Column::Attempts.eq(0)),
    )
    .await?;
    let failed = count(
        sea_orm::Condition::all()
            .add(Column::Status.eq(Status::Queued))
            .add(Column::Attempts.gt(0)),
    )
    .await?;
    let running = count(sea_orm::Condition::all().add(Column::Status.eq(Status::Running))).await?;
    let dead = count(sea_orm::Condition::all().add(Column::Status.eq(Status::Dead))).await?;
    for (label, value) in [
        ("queued", queued),
        ("failed", failed),
        ("running", running),
        ("dead", dead),
    ] {
        gauge!("stagepad_jobs", "state" => label).set(value as f64);
    }
    let now = time::OffsetDateTime::now_utc();
    let oldest_due = Entity::find()
        .filter(Column::Status.eq(Status::Queued))
        .filter(Column::RunAt.lte(now))
        .order_by_asc(Column::RunAt)
        .one(&state.db)
        .await?;
    let waited = oldest_due.map_or(0.0, |job| (now - job.run_at).as_seconds_f64().max(0.0));
    gauge!("stagepad_jobs_oldest_queued_seconds").set(waited);
    Ok(())
}

/// `GET /metrics` on the operator's address: no credentials (the address is the boundary).
pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    text_response(render(&state).await)
}

/// `GET /metrics` on the main port: only with `Authorization: Bearer <STAGEPAD_METRICS_TOKEN>`.
pub async fn scrape_with_token(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> ApiResult<HttpResponse> {
    let Some(token) = &state.settings.metrics.token else {
        return Err(ApiError::not_found(
            msg(Text::RequestNoRoute)
                .with("method", "GET")
                .with("path", "/metrics"),
        ));
    };
    let offered = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let matches: bool = offered
        .as_bytes()
        .ct_eq(token.expose_secret().as_bytes())
        .into();
    if !matches {
        return Err(ApiError::unauthorized(
            ErrorCode::NotLoggedIn,
            msg(Text::RequestMetricsToken),
        ));
    }
    Ok(text_response(render(&state).await))
}

fn text_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_status_a_lever_url_answers_is_one_of_a_few_labels() {
        let labels: std::collections::BTreeSet<&str> = (0..=u16::MAX)
            .map(|status| LeverAnswer::Status(status).label())
            .collect();
        assert!(labels.len() <= 20, "{labels:?}");
        assert_eq!(LeverAnswer::Status(429).label(), "429");
        assert_eq!(LeverAnswer::Status(418).label(), "4xx");
        assert_eq!(LeverAnswer::Status(999).label(), "other");
    }

    #[test]
    fn invented_methods_share_one_label() {
        let invented = Method::from_bytes(b"BREW").expect("a method");
        assert_eq!(method_label(&invented), "other");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
    }
}
