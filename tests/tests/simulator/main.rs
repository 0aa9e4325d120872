//! The Lever simulator must be at least as strict as Lever: these tests hold it to
//! ../shared/lever-api.md.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::lever_sim::{LeverSim, NewCandidate, sign};
use tests::poll::wait_for;

fn client() -> reqwest::Client {
    tests::app::install_crypto_provider();
    reqwest::Client::new()
}

async fn get(sim: &LeverSim, key: Option<&str>, path: &str) -> (StatusCode, Value) {
    let mut request = client().get(format!("{}{path}", sim.api_base_url()));
    if let Some(key) = key {
        request = request.basic_auth(key, Some(""));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[test]
fn signatures_match_the_published_vector() {
    assert_eq!(
        sign(
            "test-signature-token",
            "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154",
            1431454330072
        ),
        "67237316b71be6f4595c3313d347b09353b22d7cbab3726261b73d409acd8fd7"
    );
}

#[tokio::test]
async fn keys_are_checked_and_each_endpoint_needs_its_permission() {
    let sim = LeverSim::start().await;
    let (status, body) = get(&sim, None, "/stages").await;
    assert_eq!(
        (status.as_u16(), body["code"].as_str()),
        (401, Some("Unauthorized"))
    );
    let (status, _) = get(&sim, Some("made-up"), "/stages").await;
    assert_eq!(status, 401);
    let key = sim.create_api_key(Some(&["read_users"])).await;
    let (status, body) = get(&sim, Some(&key), "/stages").await;
    assert_eq!(
        (status.as_u16(), body["code"].as_str()),
        (403, Some("Forbidden"))
    );
    // Permission is checked before the object is looked up.
    let (status, _) = get(&sim, Some(&key), "/opportunities/nope").await;
    assert_eq!(status, 403);
    let (status, _) = get(&sim, Some(&key), "/users").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn lists_page_with_opaque_tokens() {
    let sim = LeverSim::start().await;
    for i in 0..150 {
        sim.create_stage(&format!("Stage {i}")).await;
    }
    let key = sim.create_api_key(None).await;
    let (status, first) = get(&sim, Some(&key), "/stages").await;
    assert_eq!(status, 200);
    assert_eq!(first["data"].as_array().unwrap().len(), 100);
    assert_eq!(first["hasNext"], true);
    let token = first["next"].as_str().unwrap().to_string();
    assert!(
        token.contains('+') || token.contains('/') || token.contains('='),
        "{token}"
    );

    // Passed back properly encoded, it continues; mangled (unencoded '+'), it is refused.
    let response = client()
        .get(format!("{}/stages", sim.api_base_url()))
        .basic_auth(&key, Some(""))
        .query(&[("offset", token.as_str())])
        .send()
        .await
        .unwrap();
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["data"].as_array().unwrap().len(), 58);
    assert_eq!(second["hasNext"], false);
    let (status, _) = get(&sim, Some(&key), &format!("/stages?offset={token}")).await;
    assert_eq!(status, 400);
    let (status, _) = get(&sim, Some(&key), "/stages?limit=101").await;
    assert_eq!(status, 400);
    let (_, small) = get(&sim, Some(&key), "/stages?limit=1").await;
    assert_eq!(small["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_burst_beyond_twenty_is_rate_limited_then_refilled() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let http = client();
    let url = format!("{}/stages?limit=1", sim.api_base_url());
    let burst = (0..25).map(|_| {
        let request = http.get(&url).basic_auth(&key, Some(""));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(burst).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        (20..25).contains(&ok),
        "a burst of 20 and a little refill: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    let other = sim.create_api_key(None).await;
    assert_eq!(
        get(&sim, Some(&other), "/stages?limit=1").await.0,
        200,
        "buckets are per key"
    );
    wait_for("the bucket to refill", Duration::from_secs(3), || async {
        (get(&sim, Some(&key), "/stages?limit=1").await.0 == 200).then_some(())
    })
    .await;
}

#[tokio::test]
async fn faults_answer_as_told_then_stop() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    sim.fail_next(2, 503).await;
    assert_eq!(get(&sim, Some(&key), "/stages").await.0, 503);
    assert_eq!(get(&sim, Some(&key), "/stages").await.0, 503);
    assert_eq!(get(&sim, Some(&key), "/stages").await.0, 200);
    sim.hang_next(1, 300).await;
    let started = std::time::Instant::now();
    assert_eq!(get(&sim, Some(&key), "/stages").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn links_belong_to_the_contact_and_tags_are_inherited_at_creation() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let posting = sim.create_posting("Backend engineer", &["coderpad"]).await;
    let first = sim
        .create_candidate(NewCandidate {
            name: "Ada".into(),
            posting_id: Some(posting.clone()),
            ..Default::default()
        })
        .await;
    let second = sim
        .create_candidate(NewCandidate {
            name: "Ada".into(),
            same_contact_as: Some(first.clone()),
            ..Default::default()
        })
        .await;
    sim.set_posting_tags(&posting, &["coderpad", "later-tag"])
        .await;
    let (_, opportunity) = get(
        &sim,
        Some(&key),
        &format!("/opportunities/{first}?expand=applications"),
    )
    .await;
    assert_eq!(opportunity["data"]["tags"], json!(["coderpad"]));
    assert_eq!(
        opportunity["data"]["applications"][0]["posting"],
        json!(posting)
    );
    let (_, plain) = get(&sim, Some(&key), &format!("/opportunities/{first}")).await;
    assert!(plain["data"]["applications"][0].is_string());
    let (_, job) = get(&sim, Some(&key), &format!("/postings/{posting}")).await;
    assert_eq!(job["data"]["tags"], json!(["coderpad", "later-tag"]));

    let response = client()
        .post(format!(
            "{}/opportunities/{first}/addLinks",
            sim.api_base_url()
        ))
        .basic_auth(&key, Some(""))
        .json(&json!({"links": ["https://pads.example/pad/1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(sim.links(&second).await, vec!["https://pads.example/pad/1"]);

    let note = client()
        .post(format!(
            "{}/opportunities/{second}/notes?perform_as=u1",
            sim.api_base_url()
        ))
        .basic_auth(&key, Some(""))
        .json(&json!({"value": "Hello", "secret": false, "notifyFollowers": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), 201);
    let created: Value = note.json().await.unwrap();
    let notes = sim.notes(&second).await;
    assert_eq!(notes[0].id, created["data"]["noteId"].as_str().unwrap());
    assert_eq!(notes[0].perform_as.as_deref(), Some("u1"));
    let empty = client()
        .post(format!(
            "{}/opportunities/{second}/notes",
            sim.api_base_url()
        ))
        .basic_auth(&key, Some(""))
        .json(&json!({"value": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
}

/// A tiny receiver that answers the statuses it is given, in order, and keeps the bodies.
async fn receiver(statuses: Vec<u16>) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let answers = std::sync::Arc::new(std::sync::Mutex::new(statuses));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let store = seen.clone();
    let server = HttpServer::new(move || {
        let store = store.clone();
        let answers = answers.clone();
        App::new().route(
            "/hook",
            web::post().to(move |body: web::Json<Value>| {
                let store = store.clone();
                let answers = answers.clone();
                async move {
                    store.lock().unwrap().push(body.into_inner());
                    let mut answers = answers.lock().unwrap();
                    let status = if answers.is_empty() {
                        200
                    } else {
                        answers.remove(0)
                    };
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .finish()
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (url, seen)
}

#[tokio::test]
async fn stage_changes_are_delivered_signed_and_retried_until_2xx() {
    let sim = LeverSim::start().await;
    let (url, seen) = receiver(vec![500, 302, 200]).await;
    let (_, token) = sim.register_webhook("candidateStageChange", &url).await;
    let candidate = sim
        .create_candidate(NewCandidate {
            name: "Grace".into(),
            ..Default::default()
        })
        .await;
    let phone = sim.stage_id("Phone interview").await;
    let deliveries = sim.move_candidate(&candidate, &phone).await;
    assert_eq!(deliveries.len(), 1);
    let delivery = wait_for(
        "the delivery to succeed",
        Duration::from_secs(10),
        || async {
            sim.deliveries()
                .await
                .into_iter()
                .find(|d| d.id == deliveries[0] && d.done)
        },
    )
    .await;
    assert_eq!(delivery.attempts, vec![500, 302, 200]);
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(bodies.len(), 3);
    let body = &bodies[0];
    assert_eq!(body["event"], "candidateStageChange");
    assert_eq!(body["data"]["opportunityId"], json!(candidate));
    assert_eq!(body["data"]["toStageId"], json!(phone));
    assert_eq!(body["token"].as_str().unwrap().len(), 48);
    let expected = sign(
        &token,
        body["token"].as_str().unwrap(),
        body["triggeredAt"].as_i64().unwrap(),
    );
    assert_eq!(body["signature"], json!(expected));
    assert!(
        bodies.iter().all(|b| b == body),
        "retries resend the same body"
    );
}

#[tokio::test]
async fn verify_sends_the_signed_sample_once() {
    let sim = LeverSim::start().await;
    let (url, seen) = receiver(vec![204]).await;
    let (id, token) = sim.register_webhook("candidateStageChange", &url).await;
    assert_eq!(sim.verify(&id).await, 204);
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["event"], "candidateHired");
    assert_eq!(bodies[0]["data"], json!({}));
    let signature = sign(
        &token,
        bodies[0]["token"].as_str().unwrap(),
        bodies[0]["triggeredAt"].as_i64().unwrap(),
    );
    assert_eq!(bodies[0]["signature"], json!(signature));
    let regenerated = sim.regenerate_token(&id).await;
    assert_ne!(regenerated, token);
}
