//! Injected faults: error statuses N times, hangs, path filters; always after auth.

use std::time::{Duration, Instant};

use tests::lever_sim::{Fault, FaultKind, LeverSim};

use crate::support::{get, http, post};

#[tokio::test]
async fn a_status_fault_answers_n_times_in_levers_shape_then_stops() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    sim.inject_fault(Fault {
        count: 2,
        kind: FaultKind::Status {
            status: 503,
            retry_after: Some(7),
        },
        path_contains: None,
    })
    .await;
    for _ in 0..2 {
        let down = get(&sim, &key, "/stages").await;
        assert_eq!(down.status, 503);
        assert_eq!(down.error_code(), "ServiceUnavailable");
        assert_eq!(down.header("retry-after").as_deref(), Some("7"));
    }
    assert_eq!(get(&sim, &key, "/stages").await.status, 200);
    assert!(sim.faults().await.is_empty());

    sim.fail_next(1, 500).await;
    let broken = get(&sim, &key, "/users").await;
    assert_eq!(
        (broken.status, broken.error_code().as_str()),
        (500, "InternalServerError")
    );
    assert_eq!(broken.header("retry-after"), None);
    sim.fail_next(1, 429).await;
    let limited = get(&sim, &key, "/users").await;
    assert_eq!(
        (limited.status, limited.error_code().as_str()),
        (429, "TooManyRequests")
    );

    // Lever may redirect: a 301 points back at the same URL, for clients that follow it.
    sim.fail_next(1, 301).await;
    let moved = get(&sim, &key, "/users?limit=2").await;
    assert_eq!(moved.status, 301);
    let back = format!("{}/users?limit=2", sim.api_base_url());
    assert_eq!(moved.header("location"), Some(back));

    let statuses: Vec<u16> = sim.requests().await.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200, 500, 429, 301]);
}

#[tokio::test]
async fn faults_can_aim_at_a_path_and_wait_for_a_valid_key() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let stages_only = sim.create_api_key(Some(&["read_stages"])).await;
    sim.fail_next_on(1, 500, "/postings/", None).await;

    assert_eq!(get(&sim, &key, "/stages").await.status, 200, "another path");
    assert_eq!(
        get(&sim, "wrong-key", "/postings/p1").await.status,
        401,
        "auth first"
    );
    assert_eq!(
        get(&sim, &stages_only, "/postings/p1").await.status,
        404,
        "then the object (Lever may look it up before the permission)"
    );
    let posting = sim.create_posting("Backend engineer", &[]).await;
    assert_eq!(
        get(&sim, &stages_only, &format!("/postings/{posting}"))
            .await
            .status,
        403,
        "then permission"
    );
    assert_eq!(sim.faults().await.len(), 1, "still waiting");
    assert_eq!(get(&sim, &key, "/postings/p1").await.status, 500);
    assert_eq!(get(&sim, &key, "/postings/p1").await.status, 404, "used up");

    sim.fail_next(3, 502).await;
    sim.clear_faults().await;
    assert_eq!(get(&sim, &key, "/stages").await.status, 200);
}

#[tokio::test]
async fn a_hang_delays_the_answer_then_answers_normally() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    sim.hang_next(1, 400).await;
    let started = Instant::now();
    let slow = get(&sim, &key, "/stages").await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(slow.status, 200);
    assert_eq!(slow.json()["data"].as_array().unwrap().len(), 8);

    // A client with a short timeout gives up; the next call is quick again.
    sim.hang_next(1, 2_000).await;
    let impatient = http()
        .get(format!("{}/stages", sim.api_base_url()))
        .basic_auth(&key, Some(""))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(impatient.is_err_and(|e| e.is_timeout()));
    let started = Instant::now();
    assert_eq!(get(&sim, &key, "/stages").await.status, 200);
    assert!(started.elapsed() < Duration::from_millis(1_500));
}

#[tokio::test]
async fn a_redirect_fault_answers_301_with_the_location_then_stops() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    sim.redirect_next_on(1, "/opportunities/o1/notes", "/v1/opportunities/o2/notes")
        .await;
    let body = serde_json::json!({"value": "hello"});
    assert_eq!(get(&sim, &key, "/stages").await.status, 200, "another path");
    let moved = post(&sim, &key, "/opportunities/o1/notes", &body).await;
    assert_eq!(moved.status, 301);
    assert_eq!(
        moved.header("location"),
        Some(format!("{}/v1/opportunities/o2/notes", sim.url()))
    );
    assert_eq!(moved.error_code(), "MovedPermanently");
    let after = post(&sim, &key, "/opportunities/o1/notes", &body).await;
    assert_eq!(after.status, 404, "used up: the opportunity does not exist");

    // Elsewhere: a whole URL.
    sim.redirect_next_on(1, "/stages", "https://elsewhere.example/v1/stages")
        .await;
    let away = get(&sim, &key, "/stages").await;
    assert_eq!(
        away.header("location").as_deref(),
        Some("https://elsewhere.example/v1/stages")
    );
    let refused = http()
        .post(format!("{}/faults", sim.control_url()))
        .json(&serde_json::json!({"count": 1, "type": "redirect", "status": 500, "location": "/x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn a_lost_answer_stores_the_note_then_fails_or_comes_too_late() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let id = sim
        .create_opportunity(tests::lever_sim::NewOpportunity {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;
    let path = format!("/opportunities/{id}/notes");
    sim.lose_answer_next_on(1, "/notes", Some(500), None).await;
    // A read of the same path passes by the fault without using it up.
    assert_eq!(get(&sim, &key, &path).await.status, 200);
    let failed = post(&sim, &key, &path, &serde_json::json!({"value": "One"})).await;
    assert_eq!(
        (failed.status, failed.error_code().as_str()),
        (500, "InternalServerError")
    );
    assert_eq!(sim.notes(&id).await.len(), 1, "stored despite the 500");
    assert!(sim.faults().await.is_empty());

    sim.lose_answer_next_on(1, "/notes", None, Some(3_000))
        .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let url = format!("{}{path}", sim.api_base_url());
    let timed_out = client
        .post(&url)
        .basic_auth(&key, Some(""))
        .json(&serde_json::json!({"value": "Two"}))
        .send()
        .await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));
    assert!(started.elapsed() < Duration::from_secs(3));
    let values: Vec<String> = sim.notes(&id).await.into_iter().map(|n| n.value).collect();
    assert_eq!(values, vec!["One".to_string(), "Two".to_string()]);

    // Only a 5xx or a wait make sense.
    let refused = http()
        .post(format!("{}/faults", sim.control_url()))
        .json(&serde_json::json!({"count": 1, "type": "stored_then_lost", "status": 404}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}
