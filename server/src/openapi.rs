//! The OpenAPI 3.1 document of the HTTP API, generated from the code: each handler carries its
//! `#[utoipa::path]` and the `api` crate's wire types their schemas (its `openapi` feature).
//! Served at `GET /api/openapi.json`, no login needed. The pad socket's messages are JSON over a
//! WebSocket, which OpenAPI cannot describe: the README's "The pad socket" does, and their
//! schemas are in the document's components (`ClientMessage`, `ServerMessage`).
//!
//! A black-box test (tests/tests/api/openapi.rs) compares the document with the routes the
//! server registers ([`crate::startup::routes`]): a route added without a `#[utoipa::path]`
//! (and its line in [`ApiDoc`]'s `paths`) fails it.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::Response;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};

use crate::{audit, auth, health, lever, orgs, pads};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(get_openapi));
}

/// The name of the security scheme of the session cookie (see [`Security`]).
pub const SESSION: &str = "session";
/// The name of the security scheme of `/metrics`' bearer token.
pub const METRICS_TOKEN: &str = "metrics_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Stagepad",
        description = "Stagepad's HTTP API: accounts and organizations, the Lever integration, \
            pads and their playback, the audit log, and Lever's webhook.\n\n\
            Every error answer is a JSON `ErrorBody` `{\"code\": \"…\", \"message\": \"…\"}`: \
            `code` is a stable snake_case name for programs (clients must accept codes they do \
            not know), `message` a sentence for people in the request's language \
            (`Accept-Language`, English or French).\n\n\
            Logging in (`POST /api/signup`, `/api/login`, `/api/invitations/{token}/accept`, \
            `/api/password-reset/{token}`) sets the session cookie (`stagepad_session`; \
            `__Host-stagepad_session` when Stagepad's public URL is https), which the browser \
            sends back: it is HttpOnly and SameSite=Strict.\n\n\
            Cross-site request forgery: every state-changing request under `/api/` (POST, PUT, \
            PATCH, DELETE) must say `Content-Type: application/json`, even when it has no body \
            (else 415 `json_required`), and when it carries an `Origin` header, that origin \
            must be Stagepad's own (else 403 `cross_origin`). No other header or token is \
            needed.\n\n\
            The pad's live socket (`GET /api/pads/{id}/socket`) speaks JSON messages over a \
            WebSocket: see the README's section \"The pad socket\" and the `ClientMessage` and \
            `ServerMessage` schemas."
    ),
    paths(
        // Operations.
        health::get_health,
        health::get_readiness,
        get_metrics,
        get_openapi,
        // Lever's webhook.
        lever::webhook::receive_lever_webhook,
        // Accounts.
        auth::routes::sign_up,
        auth::routes::log_in,
        auth::routes::log_out,
        auth::routes::get_me,
        auth::language::change_language,
        auth::routes::change_password,
        auth::routes::change_name,
        auth::routes::change_email,
        auth::reset::ask,
        auth::reset::preview,
        auth::reset::complete,
        // The organization.
        orgs::routes::get_organization,
        orgs::routes::change_plan,
        orgs::routes::rename_organization,
        orgs::routes::list_members,
        orgs::routes::update_member,
        orgs::routes::remove_member,
        orgs::routes::create_invitation,
        orgs::routes::preview_invitation,
        orgs::routes::revoke_invitation,
        orgs::routes::accept_invitation,
        orgs::routes::resend_invitation,
        // The Lever integration.
        lever::routes::get_setup,
        lever::routes::save_credentials,
        lever::routes::list_stages,
        lever::routes::save_stages,
        lever::routes::get_webhook,
        lever::routes::rotate_webhook,
        lever::routes::save_token,
        lever::routes::save_options,
        lever::routes::list_feedback_templates,
        lever::routes::choose_feedback_template,
        lever::deliveries::list_deliveries,
        lever::deliveries::retry_delivery,
        lever::routes::disconnect,
        // Pads.
        pads::routes::languages,
        pads::routes::list_pads,
        pads::routes::create_pad,
        pads::routes::view_pad,
        pads::socket::pad_socket,
        pads::routes::end_pad,
        pads::routes::pad_history,
        pads::routes::code_to_lever,
        pads::routes::feedback_to_lever,
        pads::routes::mail_options,
        pads::routes::mail_link,
        // The audit log.
        audit::routes::list_audit_events,
    ),
    components(schemas(api::ClientMessage, api::ServerMessage, api::ErrorBody)),
    modifiers(&Security, &CommonAnswers),
    tags(
        (name = "operations", description = "Probes, metrics and this document."),
        (name = "webhooks", description = "What Lever calls."),
        (name = "accounts", description = "Signing up, logging in, the account, password resets."),
        (name = "organization", description = "The organization, its members and invitations."),
        (name = "lever", description = "Connecting Lever (admins, Enterprise plan) and its deliveries."),
        (name = "pads", description = "Interview pads, their live socket, playback and e-mails."),
        (name = "audit", description = "The organization's audit log."),
    )
)]
pub struct ApiDoc;

/// The document, rendered once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .expect("the OpenAPI document serializes")
});

/// This document: the OpenAPI 3.1 description of Stagepad's HTTP API.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document (JSON).", content_type = "application/json", body = serde_json::Value),
    ),
)]
pub async fn get_openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(DOCUMENT.as_str())
}

/// Prometheus metrics, in the text exposition format (operators only).
///
/// Served here only when `STAGEPAD_METRICS_TOKEN` is set, to `Authorization: Bearer <token>`;
/// without the setting this route answers 404 as if it did not exist. With
/// `STAGEPAD_METRICS_BIND` the same metrics are also served, without a token, at `/metrics` on
/// that (operator's) address. The handler is [`crate::metrics::scrape_with_token`]; this
/// function only carries its documentation.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    security(("metrics_token" = [])),
    responses(
        (status = 200, description = "The metrics.", content_type = "text/plain; version=0.0.4", body = String),
        (status = 401, description = "`not_logged_in`: no bearer token, or not the one configured.", body = api::ErrorBody),
        (status = 404, description = "`not_found`: `STAGEPAD_METRICS_TOKEN` is not set, so the main port serves no metrics.", body = api::ErrorBody),
    ),
)]
#[allow(dead_code)]
fn get_metrics() {}

/// The security schemes: the session cookie and `/metrics`' bearer token.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "stagepad_session",
                "The session cookie set by logging in (`__Host-stagepad_session` when Stagepad's \
                 public URL is https). HttpOnly, SameSite=Strict; it ends with log-out, a \
                 password change elsewhere, or the account's deactivation.",
            ))),
        );
        components.add_security_scheme(
            METRICS_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`STAGEPAD_METRICS_TOKEN`."))
                    .build(),
            ),
        );
    }
}

/// The answers many operations share, added where they apply rather than written on each:
/// 401 where a session is required, the CSRF rule's 415 and 403 on state-changing `/api/`
/// requests, the JSON body's 400/413/415/422 where there is one, and 500 everywhere.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in operations_mut(item) {
                let changes_state = matches!(method, "post" | "put" | "patch" | "delete");
                if requires_session(operation) {
                    add_answer(
                        operation,
                        401,
                        "`not_logged_in`: no valid session (never logged in, logged out, \
                         ended by a password change); `account_deactivated` or \
                         `organization_disabled`: the session's account or organization was \
                         disabled since.",
                    );
                }
                if changes_state && path.starts_with("/api/") {
                    add_answer(
                        operation,
                        415,
                        "`json_required`: a state-changing request must say \
                         `Content-Type: application/json` (the CSRF rule).",
                    );
                    add_answer(
                        operation,
                        403,
                        "`cross_origin`: the request's `Origin` is not Stagepad's own.",
                    );
                }
                let body = match &operation.request_body {
                    Some(RefOr::T(body)) if path.starts_with("/api/") => Some(body),
                    _ => None,
                };
                if let Some(body) = body {
                    let required = matches!(body.required, Some(Required::True));
                    add_answer(
                        operation,
                        400,
                        "`malformed_json`: the body is not JSON; `unreadable_body`.",
                    );
                    add_answer(
                        operation,
                        413,
                        "`payload_too_large`: the body is larger than the endpoint accepts.",
                    );
                    // What the JSON extractor says; an optional body is read by the handler.
                    if required {
                        add_answer(
                            operation,
                            415,
                            "`unsupported_media_type`: the body is not sent as \
                             `application/json`.",
                        );
                        add_answer(
                            operation,
                            422,
                            "`invalid_field`: the body, or one of its fields, does not fit (the \
                             message names it).",
                        );
                    }
                }
                add_answer(
                    operation,
                    500,
                    "`internal_error`: an unexpected failure; the cause is logged, not sent.",
                );
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|op| (method, op)))
    .collect()
}

/// Whether every way to call the operation needs the session cookie (an operation open to
/// visitors too lists an empty requirement beside it).
fn requires_session(operation: &Operation) -> bool {
    let Some(requirements) = &operation.security else {
        return false;
    };
    let requirements = serde_json::to_value(requirements).unwrap_or_default();
    let Some(requirements) = requirements.as_array() else {
        return false;
    };
    !requirements.is_empty()
        && requirements
            .iter()
            .all(|requirement| requirement.get(SESSION).is_some())
}

/// Adds an error answer with an [`api::ErrorBody`], or appends to the one with that status.
fn add_answer(operation: &mut Operation, status: u16, description: &str) {
    let answers = &mut operation.responses.responses;
    match answers.get_mut(&status.to_string()) {
        Some(RefOr::T(existing)) => {
            if !existing.description.contains(description) {
                existing.description = format!("{} Also: {description}", existing.description);
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let mut answer = Response::new(description);
            answer.content.insert(
                "application/json".into(),
                RefOr::T(Content::new(Some(Ref::from_schema_name("ErrorBody")))),
            );
            answers.insert(status.to_string(), RefOr::T(answer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_3_1_and_names_its_version() {
        let document: serde_json::Value = serde_json::from_str(&DOCUMENT).unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1."));
        assert_eq!(document["info"]["title"], "Stagepad");
        assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
        for schema in ["ErrorBody", "ClientMessage", "ServerMessage", "MeResponse"] {
            assert!(
                document["components"]["schemas"][schema].is_object(),
                "{schema} is missing"
            );
        }
    }
}
