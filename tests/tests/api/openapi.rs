//! The OpenAPI document (`GET /api/openapi.json`) against the server itself: every route the
//! server registers is documented and every documented operation exists, the document holds
//! together (3.1, every `$ref` resolves), and real answers fit the schemas it gives them.
//!
//! How the registered routes are found, since actix-web has no public route iterator:
//! 1. Patterns: [`server::startup::routes`] is the server's whole route table (`Application`
//!    installs it and nothing else). Mounted in an in-process actix app whose default service
//!    prints `HttpRequest::resource_map()`, actix's own record of every resource registered,
//!    scopes included: its `Debug` tree gives each resource's full path template.
//! 2. Methods: each pattern is asked with each method (its `{params}` filled), in that app. It
//!    has no application state, so no handler can do anything: a registered route answers with
//!    an extractor's error; an unregistered method answers 405 (a `web::resource`) or falls
//!    through to the default service, which marks its answer.
//!
//! So a route added anywhere in the table, in any style (`cfg.route`, `web::resource`, a
//! scope), is seen without a list kept by hand. The real server is then asked each documented
//! operation, to show it answers them as the table says (none is its "no route" 404 or a 405).

use std::collections::BTreeSet;
use std::time::Duration;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, test as actix_test, web};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tests::{Account, TestApp, spawn_app, spawn_app_with};
use tokio_tungstenite::tungstenite::Message;

/// Routes the server registers that are not part of the HTTP API, and why they are left out of
/// the document. The test fails if one of them is no longer registered, so this list cannot go
/// stale either.
const NOT_API: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/assets/{name}",
        "the console's static files (content-hashed names), not an API",
    ),
    ("HEAD", "/assets/{name}", "the same, for caches"),
];

/// Every method a route could be registered for.
const METHODS: [Method; 8] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
    Method::TRACE,
];

/// The header the probe app's default service marks its answers with.
const UNMATCHED: &str = "x-probe-unmatched";
/// A path no route has, asked to get the resource map printed.
const ROUTE_TABLE: &str = "/__probe__/route-table";

/// The probe app's default service: marks that no route took the request, and prints the
/// resource map when asked.
async fn unmatched(request: HttpRequest) -> HttpResponse {
    let mut response = HttpResponse::NotFound();
    response.insert_header((UNMATCHED, "1"));
    if request.path() == ROUTE_TABLE {
        return response.body(format!("{:#?}", request.resource_map()));
    }
    response.finish()
}

/// `(method, path template)` of every route [`server::startup::routes`] registers.
async fn registered_routes() -> BTreeSet<(String, String)> {
    let app = actix_test::init_service(
        App::new()
            .configure(server::startup::routes)
            .default_service(web::to(unmatched)),
    )
    .await;
    let table = actix_test::call_service(
        &app,
        actix_test::TestRequest::get().uri(ROUTE_TABLE).to_request(),
    )
    .await;
    let table = String::from_utf8(actix_test::read_body(table).await.to_vec()).unwrap();
    let patterns = resource_patterns(&table);
    // Not an empty or partial reading of a `Debug` format that changed: a few known ones.
    for known in [
        "/healthz",
        "/api/me",
        "/api/pads/{id}",
        "/webhooks/lever/{key}",
    ] {
        assert!(
            patterns.contains(known),
            "the resource map's patterns lack {known}: {patterns:?}\n{table}"
        );
    }
    let mut routes = BTreeSet::new();
    for pattern in &patterns {
        for method in &METHODS {
            // JSON, so that the CSRF rule of `/api/` (415 before routing) lets it through.
            let request = actix_test::TestRequest::default()
                .method(method.clone())
                .uri(&fill(pattern))
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .to_request();
            let answered = match actix_test::try_call_service(&app, request).await {
                Ok(response) => {
                    response.status() != StatusCode::METHOD_NOT_ALLOWED
                        && !response.headers().contains_key(UNMATCHED)
                }
                // An error rather than an answer still came from something registered here.
                Err(_) => true,
            };
            if answered {
                routes.insert((method.to_string(), pattern.clone()));
            }
        }
    }
    routes
}

/// The full path template of every resource in actix's `ResourceMap` `{:#?}` tree: a node's
/// `patterns` come before its `nodes`; a scope's children are relative to it.
fn resource_patterns(table: &str) -> BTreeSet<String> {
    // (indent of the `ResourceMap {` line, its own pattern)
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut patterns = BTreeSet::new();
    let mut lines = table.lines();
    while let Some(line) = lines.next() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if text.ends_with("ResourceMap {") {
            while stack.last().is_some_and(|(depth, _)| *depth >= indent) {
                stack.pop();
            }
            stack.push((indent, String::new()));
        } else if text.starts_with("patterns: ") {
            assert_eq!(
                text, "patterns: Single(",
                "a resource with several paths: teach this test to read it"
            );
            let pattern = lines.next().unwrap().trim();
            let pattern = pattern
                .strip_prefix('"')
                .and_then(|p| p.strip_suffix("\","))
                .unwrap_or_else(|| panic!("a pattern as a string: {pattern}"));
            stack.last_mut().expect("inside a ResourceMap").1 = pattern.to_string();
        } else if text == "nodes: None," {
            // A leaf: a resource with routes (a scope has `nodes: Some([...])`).
            let path: String = stack.iter().map(|(_, p)| p.as_str()).collect();
            patterns.insert(path);
        }
    }
    patterns
}

/// A path of the template, each `{param}` filled with a value no static segment has.
fn fill(template: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("a closed {param}") + start;
        path.push_str(&rest[..start]);
        path.push_str("probe-value");
        rest = &rest[end + 1..];
    }
    path.push_str(rest);
    path
}

/// `(method, path template)` of every operation the document describes.
fn documented_routes(document: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if let Ok(method) = method.to_uppercase().parse::<Method>()
                && METHODS.contains(&method)
            {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    routes
}

fn listed(routes: &BTreeSet<(String, String)>) -> String {
    routes
        .iter()
        .map(|(method, path)| format!("\n  {method} {path}"))
        .collect()
}

async fn fetch_document(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // Valid JSON, or this fails.
    response.json().await.unwrap()
}

#[tokio::test]
async fn openapi_documents_every_registered_route_and_only_those() {
    // With a metrics token, `/metrics` on the main port answers as a route, not as the 404 it
    // gives without one.
    let app = spawn_app_with(|settings| {
        settings.metrics.token = Some("probe-token".to_string().into());
    })
    .await;
    let document = fetch_document(&app).await;
    let registered = registered_routes().await;
    let documented = documented_routes(&document);

    let not_api: BTreeSet<(String, String)> = NOT_API
        .iter()
        .map(|(method, path, _)| (method.to_string(), path.to_string()))
        .collect();
    let gone: BTreeSet<_> = not_api.difference(&registered).cloned().collect();
    assert!(
        gone.is_empty(),
        "routes listed as not part of the API are no longer registered (remove them from \
         NOT_API):{}",
        listed(&gone)
    );
    let undocumented: BTreeSet<_> = registered
        .difference(&documented)
        .filter(|route| !not_api.contains(route))
        .cloned()
        .collect();
    let unregistered: BTreeSet<_> = documented.difference(&registered).cloned().collect();
    let mut problems = String::new();
    if !undocumented.is_empty() {
        problems.push_str(&format!(
            "\nroutes the server registers that /api/openapi.json lacks (give each handler a \
             #[utoipa::path] and list it in server/src/openapi.rs):{}",
            listed(&undocumented)
        ));
    }
    if !unregistered.is_empty() {
        problems.push_str(&format!(
            "\noperations /api/openapi.json documents that the server does not register:{}",
            listed(&unregistered)
        ));
    }
    assert!(problems.is_empty(), "{problems}");

    // The running server answers each documented operation itself: not with the fallback's
    // "no route" 404 nor a 405. Without a session, a body or valid ids nothing changes.
    for (method, template) in &documented {
        let path = fill(template);
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_ne!(status, 405, "{method} {template}");
        if status == 404 {
            let body: api::ErrorBody = response.json().await.unwrap();
            assert_ne!(
                body.message,
                format!("No route for {method} {path}."),
                "the running server has no route for {method} {template}"
            );
        }
    }
}

/// Every `$ref` in `value`, with where it was found.
fn references<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref"
                    && let Some(reference) = inner.as_str()
                {
                    found.push((at.clone(), reference));
                }
                references(inner, format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                references(inner, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn openapi_document_is_3_1_and_holds_together() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi: {version}");
    assert_eq!(document["info"]["title"], "Stagepad");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));

    let mut found = Vec::new();
    references(&document, String::new(), &mut found);
    assert!(found.len() > 100, "few references: {}", found.len());
    for (at, reference) in &found {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: a reference outside the document: {reference}"));
        assert!(
            document.pointer(pointer).is_some(),
            "{at}: {reference} does not resolve"
        );
    }

    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["type"], "apiKey");
    assert_eq!(schemes["session"]["in"], "cookie");
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(
                operation["summary"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty() && !s.contains('\n')),
                "{at} has no one-line summary (the first paragraph of the handler's doc)"
            );
            // Each `{param}` of the template is a documented path parameter.
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for name in path
                .split('{')
                .skip(1)
                .map(|p| p.split('}').next().unwrap())
            {
                assert!(
                    parameters
                        .iter()
                        .any(|p| p["in"] == "path" && p["name"] == name),
                    "{at}: the path parameter {name} is not documented"
                );
            }
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses
                    .keys()
                    .any(|status| status.starts_with('2') || status == "101"),
                "{at} documents no success"
            );
            // Every error answer is an ErrorBody (`/metrics`' own text aside).
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{at} answers {status} with something else than an ErrorBody"
                    );
                }
            }
            for requirement in operation["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().unwrap().keys() {
                    assert!(schemes[scheme].is_object(), "{at}: no scheme {scheme}");
                }
            }
        }
    }
    // The pad socket's messages have their schemas.
    for schema in ["ClientMessage", "ServerMessage", "ErrorBody"] {
        assert!(document["components"]["schemas"][schema].is_object());
    }
}

/// What is wrong with `instance` by `schema` (which may `$ref` into the document's components).
fn schema_errors(document: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    // The document itself is the root resource, so that `#/components/...` resolves; the
    // schema's keywords go beside its fields (which JSON Schema ignores).
    let mut root = document.clone();
    for (key, value) in schema.as_object().expect("a schema object") {
        root[key] = value.clone();
    }
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema {schema} does not compile: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn check_against(document: &Value, schema: &Value, instance: &Value, what: &str) {
    let errors = schema_errors(document, schema, instance);
    assert!(
        errors.is_empty(),
        "{what} does not fit its documented schema:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// Checks a real answer against what the document says `method template` answers `status`.
async fn check_answer(
    document: &Value,
    method: &str,
    template: &str,
    response: reqwest::Response,
) -> Value {
    let status = response.status().as_u16().to_string();
    let what = format!("{method} {template} → {status}");
    let operation = &document["paths"][template][method.to_lowercase()];
    assert!(operation.is_object(), "{what}: not documented");
    let documented = &operation["responses"][&status];
    assert!(
        documented.is_object(),
        "{what}: this status is not documented"
    );
    let schema = &documented["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{what}: no JSON body is documented");
    let body: Value = response.json().await.unwrap();
    check_against(document, schema, &body, &what);
    body
}

#[tokio::test]
async fn openapi_schemas_fit_real_answers() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    let doc = &document;

    // Accounts: signing up (Enterprise, for the Lever setup) and who is logged in.
    let client = app.new_client();
    let request = api::SignupRequest {
        org_name: "Schema Check".into(),
        name: "Ada Admin".into(),
        email: tests::accounts::unique_email("schema"),
        password: tests::PASSWORD.into(),
        plan: api::Plan::Enterprise,
    };
    let me = check_answer(
        doc,
        "POST",
        "/api/signup",
        app.signup(&client, &request).await,
    )
    .await;
    let admin = Account {
        client,
        me: serde_json::from_value(me).unwrap(),
        email: request.email,
        password: request.password,
    };
    check_answer(doc, "GET", "/api/me", app.me(&admin).await).await;
    check_answer(
        doc,
        "GET",
        "/api/organization",
        app.organization(&admin).await,
    )
    .await;
    check_answer(doc, "GET", "/api/members", app.members(&admin, "").await).await;
    check_answer(
        doc,
        "GET",
        "/api/lever/setup",
        app.lever_setup(&admin).await,
    )
    .await;
    check_answer(doc, "GET", "/api/audit", app.audit(&admin, "").await).await;

    // The check can fail: a role there is not, an error without its message.
    let mut wrong = check_answer(doc, "GET", "/api/me", app.me(&admin).await).await;
    wrong["role"] = json!("owner");
    let me_schema = json!({"$ref": "#/components/schemas/MeResponse"});
    assert!(!schema_errors(doc, &me_schema, &wrong).is_empty());
    let error_schema = json!({"$ref": "#/components/schemas/ErrorBody"});
    let wrong = json!({"code": "not_logged_in"});
    assert!(!schema_errors(doc, &error_schema, &wrong).is_empty());

    // Pads: made, listed, seen by a member and by the candidate, its socket, ended, played back.
    let new_pad = api::NewPadRequest {
        candidate_name: "Grace".into(),
        job_title: Some("Engineer".into()),
        language: Some("python".into()),
    };
    let pad = check_answer(
        doc,
        "POST",
        "/api/pads",
        app.create_pad(&admin, &new_pad).await,
    )
    .await;
    let pad_id = api::PadId::new(pad["id"].as_str().unwrap());
    check_answer(doc, "GET", "/api/pads", app.list_pads(&admin, "").await).await;
    check_answer(
        doc,
        "GET",
        "/api/pads/{id}",
        app.view_pad(&admin, &pad_id).await,
    )
    .await;
    let candidate = app.new_client();
    check_answer(
        doc,
        "GET",
        "/api/pads/{id}",
        app.view_pad(&candidate, &pad_id).await,
    )
    .await;
    check_socket_messages(&app, doc, &pad_id).await;
    check_answer(
        doc,
        "GET",
        "/api/pads/{id}/history",
        app.pad_history(&admin, &pad_id, "").await,
    )
    .await;
    check_answer(
        doc,
        "POST",
        "/api/pads/{id}/end",
        app.end_pad(&admin, &pad_id).await,
    )
    .await;
    check_answer(
        doc,
        "GET",
        "/api/languages",
        app.client
            .get(app.url("/api/languages"))
            .send()
            .await
            .unwrap(),
    )
    .await;

    // Errors, and the probes.
    let nobody = app.new_client();
    check_answer(doc, "GET", "/api/me", app.me(&nobody).await).await;
    let missing = api::PadId::new("no-such-pad-anywhere-0");
    check_answer(
        doc,
        "GET",
        "/api/pads/{id}",
        app.view_pad(&nobody, &missing).await,
    )
    .await;
    for probe in ["/healthz", "/readyz"] {
        check_answer(
            doc,
            "GET",
            probe,
            app.client.get(app.url(probe)).send().await.unwrap(),
        )
        .await;
    }
}

/// A guest joins the pad's socket, edits, changes the language: what the server sends fits
/// `ServerMessage`, and what was sent `ClientMessage`.
async fn check_socket_messages(app: &TestApp, document: &Value, pad_id: &api::PadId) {
    let client_schema = json!({"$ref": "#/components/schemas/ClientMessage"});
    let server_schema = json!({"$ref": "#/components/schemas/ServerMessage"});
    let mut socket = tests::pad_client::open_socket(app, pad_id, None).await;
    // The pad is new and empty: the edit is made on revision 0.
    let sent = [
        json!({"type": "join", "name": "Grace"}),
        json!({"type": "op", "revision": 0, "seq": 1, "op": ["print(1)"]}),
        json!({"type": "language", "language": "rust"}),
        json!({"type": "cursor", "revision": 1, "anchor": 0, "head": 5}),
    ];
    for message in &sent {
        check_against(document, &client_schema, message, "a client message");
        socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
    }
    let expected = ["welcome", "participants", "op", "language"];
    let mut seen = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !expected.iter().all(|kind| seen.contains(*kind)) {
        let next = tokio::time::timeout_at(deadline, socket.next()).await;
        let Ok(Some(Ok(Message::Text(text)))) = next else {
            panic!("the socket said only {seen:?} within 10 s: {next:?}");
        };
        let message: Value = serde_json::from_str(&text).unwrap();
        let kind = message["type"].as_str().unwrap_or_default().to_string();
        check_against(
            document,
            &server_schema,
            &message,
            &format!("server `{kind}`"),
        );
        seen.insert(kind);
    }
}
