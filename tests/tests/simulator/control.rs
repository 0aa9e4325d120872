//! The control API by hand: it lists itself, and refuses nonsense in the same error shape.

use serde_json::{Value, json};
use tests::lever_sim::{EVENTS, LeverSim, PERMISSIONS};

use crate::support::{Answer, answer, http};

async fn control_post(sim: &LeverSim, path: &str, body: Value) -> Answer {
    answer(
        http()
            .post(format!("{}{path}", sim.control_url()))
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn the_control_api_lists_its_routes_and_refuses_nonsense() {
    let sim = LeverSim::start().await;
    let index = answer(http().get(sim.control_url())).await.json();
    assert_eq!(index["lever_api_base_url"], json!(sim.api_base_url()));
    assert_eq!(index["permissions"], json!(PERMISSIONS));
    assert_eq!(index["events"], json!(EVENTS));
    assert!(index["routes"].as_array().unwrap().len() > 20);

    let hook = "http://127.0.0.1:9/hook";
    for (path, body, status) in [
        (
            "/webhooks",
            json!({"event": "candidateMoved", "url": hook}),
            400,
        ),
        (
            "/webhooks",
            json!({"event": "candidateStageChange", "url": "not a url"}),
            400,
        ),
        ("/webhooks", json!({"event": "candidateStageChange"}), 400),
        (
            "/api-keys",
            json!({"permissions": ["read_everything"]}),
            400,
        ),
        (
            "/opportunities",
            json!({"name": "Ada", "posting_id": "nope"}),
            404,
        ),
        (
            "/opportunities",
            json!({"name": "Ada", "stage_id": "nope"}),
            404,
        ),
        (
            "/opportunities/nope/move",
            json!({"stage_id": "lead-new"}),
            404,
        ),
        ("/webhooks/nope/verify", json!({}), 404),
        ("/webhooks/nope/regenerate", json!({}), 404),
        ("/deliveries/nope/replay", json!({}), 404),
        (
            "/faults",
            json!({"count": 0, "type": "status", "status": 500}),
            400,
        ),
        ("/faults", json!({"count": 1, "type": "explode"}), 400),
        ("/stages", json!({"text": "Dup", "id": "lead-new"}), 409),
    ] {
        let refused = control_post(&sim, path, body.clone()).await;
        assert_eq!(refused.status, status, "{path} {body}: {}", refused.text);
        refused.error_code();
    }
    let malformed = answer(
        http()
            .post(format!("{}/users", sim.control_url()))
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(
        (malformed.status, malformed.error_code().as_str()),
        (400, "BadRequest")
    );

    // A stage with a chosen slug id, then a move into it by hand.
    let made = control_post(
        &sim,
        "/stages",
        json!({"text": "Take-home", "id": "take-home"}),
    )
    .await;
    assert_eq!(made.status, 201);
    let candidate = control_post(&sim, "/opportunities", json!({"name": "Ada"}))
        .await
        .json();
    let id = candidate["id"].as_str().unwrap();
    let moved = control_post(
        &sim,
        &format!("/opportunities/{id}/move"),
        json!({"stage_id": "take-home"}),
    )
    .await;
    assert_eq!(moved.status, 202);
    assert_eq!(
        moved.json()["deliveries"],
        json!([]),
        "no webhook registered"
    );
    assert_eq!(sim.opportunity(id).await["stage"], "take-home");
    assert_eq!(
        sim.opportunity(id).await["contact"],
        candidate["contact_id"]
    );
    sim.delete_stage("take-home").await;
    assert_eq!(sim.stages().await.len(), 8);
}
