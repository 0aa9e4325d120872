//! Webhooks as Lever sends them: signed bodies, retries with growing waits, Verify, Rerun.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::lever_sim::{
    DeliveryKind, DeliveryState, LeverSim, NewOpportunity, SimDelivery, SimOptions, sign,
    signed_body, signed_text,
};
use tests::poll::wait_for;

use crate::support::{Received, Receiver, dead_url};

const STAGE_CHANGE: &str = "candidateStageChange";

async fn finished(sim: &LeverSim, delivery_id: &str) -> SimDelivery {
    wait_for(
        "the delivery to finish",
        Duration::from_secs(15),
        || async {
            let delivery = sim.delivery(delivery_id).await;
            delivery.done.then_some(delivery)
        },
    )
    .await
}

/// Checks the body is exactly Lever's shape and its signature holds for `signature_token`.
fn assert_signed(received: &Received, signature_token: &str) -> Value {
    assert_eq!(received.method, "POST");
    assert_eq!(received.content_type.as_deref(), Some("application/json"));
    assert_eq!(received.user_agent.as_deref(), Some("Lever-Webhooks"));
    let keys: Vec<usize> = [
        "\"triggeredAt\"",
        "\"event\"",
        "\"data\"",
        "\"signature\"",
        "\"token\"",
    ]
    .iter()
    .map(|k| {
        received
            .body
            .find(k)
            .unwrap_or_else(|| panic!("{k} in {}", received.body))
    })
    .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "Lever's field order: {}",
        received.body
    );
    let body = received.json();
    assert_eq!(body.as_object().unwrap().len(), 5, "{body}");
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 48);
    let signature = body["signature"].as_str().unwrap();
    assert_eq!(signature.len(), 64);
    assert!(
        signature
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    let triggered_at = body["triggeredAt"].as_i64().expect("integer milliseconds");
    assert!(
        triggered_at > 1_600_000_000_000,
        "milliseconds, not seconds"
    );
    assert_eq!(signature, sign(signature_token, token, triggered_at));
    body
}

#[tokio::test]
async fn a_stage_move_is_delivered_signed_and_retried_until_2xx() {
    let sim = LeverSim::start().await;
    let receiver = Receiver::start(vec![500, 302, 503, 200]).await;
    let (webhook, token) = sim.register_webhook(STAGE_CHANGE, &receiver.url).await;
    assert!(token.len() >= 48, "{token}");
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Grace".into(),
            ..Default::default()
        })
        .await;
    let contact = sim.opportunity(&id).await["contact"].clone();
    let phone = sim.stage_id("Phone interview").await;

    let deliveries = sim.move_opportunity(&id, &phone).await;
    assert_eq!(deliveries.len(), 1);
    let delivery = finished(&sim, &deliveries[0]).await;
    assert_eq!(delivery.attempts, vec![500, 302, 503, 200]);
    assert_eq!(delivery.state, DeliveryState::Succeeded);
    assert_eq!(delivery.kind, DeliveryKind::Event);
    assert_eq!(delivery.webhook_id.as_deref(), Some(webhook.as_str()));
    assert_eq!(delivery.event.as_deref(), Some(STAGE_CHANGE));

    // Growing waits: at least base (50 ms), then 100, then 200 between attempts.
    let starts: Vec<u64> = delivery.attempt_details.iter().map(|a| a.at_ms).collect();
    for (n, pair) in starts.windows(2).enumerate() {
        assert!(
            pair[1] - pair[0] >= 50 << n,
            "attempt {} came too soon: {starts:?}",
            n + 2
        );
    }

    let seen = receiver.received();
    assert_eq!(seen.len(), 4, "a redirect is a failure, not followed");
    assert!(seen.iter().all(|r| r.path == "/hook"));
    assert!(
        seen.iter().all(|r| r.body == seen[0].body),
        "retries resend the same body"
    );
    let body = assert_signed(&seen[0], &token);
    assert_eq!(body["event"], STAGE_CHANGE);
    assert_eq!(
        body["data"],
        json!({
            "opportunityId": id,
            "candidateId": id,
            "contactId": contact,
            "toStageId": phone,
            "fromStageId": "lead-new",
        })
    );
    assert_eq!(
        delivery.raw_body, seen[0].body,
        "the log holds the exact bytes"
    );
    assert_eq!(delivery.body, body);
}

#[tokio::test]
async fn failing_or_unreachable_receivers_get_six_attempts() {
    let sim = LeverSim::start_with(SimOptions {
        webhook_retry_base: Duration::from_millis(20),
        ..SimOptions::default()
    })
    .await;
    let failing = Receiver::start(vec![500; 10]).await;
    sim.register_webhook(STAGE_CHANGE, &failing.url).await;
    sim.register_webhook(STAGE_CHANGE, &dead_url()).await;
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Alan".into(),
            ..Default::default()
        })
        .await;
    let deliveries = sim.move_opportunity(&id, "lead-reached-out").await;
    assert_eq!(deliveries.len(), 2);

    let to_failing = finished(&sim, &deliveries[0]).await;
    assert_eq!(
        to_failing.attempts,
        vec![500; 6],
        "the first try and five retries"
    );
    assert_eq!(to_failing.state, DeliveryState::Failed);
    assert_eq!(failing.received().len(), 6);

    let to_nobody = finished(&sim, &deliveries[1]).await;
    assert_eq!(to_nobody.attempts, vec![0; 6]);
    assert!(to_nobody.attempt_details.iter().all(|a| a.error.is_some()));
    assert_eq!(to_nobody.state, DeliveryState::Failed);
}

#[tokio::test]
async fn a_slow_receiver_never_blocks_the_control_api() {
    let sim = LeverSim::start_with(SimOptions {
        webhook_retries: 0,
        webhook_timeout: Duration::from_secs(2),
        ..SimOptions::default()
    })
    .await;
    let slow = Receiver::start_with(vec![], Duration::from_secs(3)).await;
    sim.register_webhook(STAGE_CHANGE, &slow.url).await;
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Katherine".into(),
            ..Default::default()
        })
        .await;
    let started = Instant::now();
    let deliveries = sim.move_opportunity(&id, "lead-responded").await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "move answers at once"
    );
    // The simulator keeps answering while the delivery waits.
    assert_eq!(sim.stages().await.len(), 8);
    let delivery = finished(&sim, &deliveries[0]).await;
    assert_eq!(delivery.attempts, vec![0]);
    assert_eq!(
        delivery.attempt_details[0].error.as_deref(),
        Some("timed out")
    );
}

#[tokio::test]
async fn each_entry_signs_with_its_own_token_until_it_is_regenerated() {
    let sim = LeverSim::start().await;
    let (first, second, hired) = (
        Receiver::start(vec![]).await,
        Receiver::start(vec![]).await,
        Receiver::start(vec![]).await,
    );
    let (first_id, first_token) = sim.register_webhook(STAGE_CHANGE, &first.url).await;
    let (_, second_token) = sim.register_webhook(STAGE_CHANGE, &second.url).await;
    let (_, hired_token) = sim.register_webhook("candidateHired", &hired.url).await;
    assert_ne!(first_token, second_token);
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;

    sim.move_opportunity(&id, "lead-reached-out").await;
    assert_signed(&first.wait_for(1).await[0], &first_token);
    assert_signed(&second.wait_for(1).await[0], &second_token);

    let regenerated = sim.regenerate_token(&first_id).await;
    assert_ne!(regenerated, first_token);
    assert!(regenerated.len() >= 48);
    sim.move_opportunity(&id, "lead-responded").await;
    let later = first.wait_for(2).await[1].json();
    let token = later["token"].as_str().unwrap();
    let at = later["triggeredAt"].as_i64().unwrap();
    assert_eq!(later["signature"], json!(sign(&regenerated, token, at)));
    assert_ne!(later["signature"], json!(sign(&first_token, token, at)));
    assert_eq!(later["data"]["fromStageId"], "lead-reached-out");

    // Other events go only to the entries registered for them.
    let data = json!({"opportunityId": id, "candidateId": id});
    assert_eq!(
        sim.trigger_event("candidateHired", data.clone())
            .await
            .len(),
        1
    );
    let got = hired.wait_for(1).await;
    assert_eq!(assert_signed(&got[0], &hired_token)["data"], data);
    assert_eq!(first.received().len(), 2);
    assert!(
        hired
            .received()
            .iter()
            .all(|r| r.json()["event"] == "candidateHired")
    );
}

#[tokio::test]
async fn verify_sends_levers_signed_sample_once() {
    let sim = LeverSim::start().await;
    let receiver = Receiver::start(vec![500]).await;
    let (id, token) = sim.register_webhook(STAGE_CHANGE, &receiver.url).await;

    assert_eq!(sim.verify(&id).await, 500);
    assert_eq!(receiver.received().len(), 1, "Verify is not retried");
    assert_eq!(sim.verify(&id).await, 200);
    let seen = receiver.received();
    assert_eq!(seen.len(), 2);
    let body = assert_signed(&seen[1], &token);
    assert_eq!(body["event"], "candidateHired");
    assert_eq!(body["data"], json!({}));
    let verifies: Vec<SimDelivery> = sim
        .deliveries()
        .await
        .into_iter()
        .filter(|d| d.kind == DeliveryKind::Verify)
        .collect();
    assert_eq!(verifies.len(), 2);
    assert_eq!(verifies[0].attempts, vec![500]);
    assert_eq!(verifies[0].state, DeliveryState::Failed);

    // Nobody listening: Verify reports 0.
    let (nobody, _) = sim.register_webhook(STAGE_CHANGE, &dead_url()).await;
    assert_eq!(sim.verify(&nobody).await, 0);
}

#[tokio::test]
async fn deliveries_can_be_rerun_and_forged() {
    let sim = LeverSim::start().await;
    let receiver = Receiver::start(vec![]).await;
    let (_, token) = sim.register_webhook(STAGE_CHANGE, &receiver.url).await;
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;
    let deliveries = sim.move_opportunity(&id, "lead-reached-out").await;
    let original = finished(&sim, &deliveries[0]).await;

    // Lever's Rerun: the very same bytes, token and signature included.
    assert_eq!(sim.replay_delivery(&original.id).await, 200);
    let rerun = sim.replay(&original.id).await;
    let rerun = sim.delivery(&rerun).await;
    assert!(rerun.done && rerun.kind == DeliveryKind::Replay);
    assert_eq!(rerun.attempts, vec![200]);
    let seen = receiver.wait_for(3).await;
    assert_eq!(seen[1].body, seen[0].body);
    assert_eq!(seen[2].body, seen[0].body);
    assert_signed(&seen[1], &token);

    // A captured delivery with other data: the signature still holds, as in real Lever.
    let forged = original.raw_body.replace(
        "\"toStageId\":\"lead-reached-out\"",
        "\"toStageId\":\"offer-forged\"",
    );
    assert_ne!(forged, original.raw_body);
    assert_eq!(sim.send_raw_webhook(&receiver.url, &forged).await, 200);
    let seen = receiver.wait_for(4).await;
    assert_eq!(
        assert_signed(&seen[3], &token)["data"]["toStageId"],
        "offer-forged"
    );

    // A fresh body signed with any token, and plain garbage, go out as given.
    let made = signed_text(&token, "candidateHired", &json!({}));
    sim.send_raw_webhook(&receiver.url, &made).await;
    let as_value = signed_body(&token, "candidateHired", json!({}));
    assert_eq!(as_value["signature"].as_str().unwrap().len(), 64);
    sim.send_raw_webhook(&receiver.url, "not json").await;
    let seen = receiver.wait_for(6).await;
    assert_signed(&seen[4], &token);
    assert_eq!(seen[5].body, "not json");
    assert_eq!(seen[5].user_agent.as_deref(), Some("Lever-Webhooks"));
}

#[tokio::test]
async fn an_entry_without_a_signing_token_sends_unsigned_bodies_until_one_is_generated() {
    let sim = LeverSim::start().await;
    let receiver = Receiver::start(vec![200]).await;
    let webhook = sim
        .register_unsigned_webhook(STAGE_CHANGE, &receiver.url)
        .await;
    assert_eq!(sim.webhooks().await[0].signature_token, None);
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;
    let phone = sim.stage_id("Phone interview").await;
    sim.move_opportunity(&id, &phone).await;
    let received = receiver.wait_for(1).await;
    let body = received[0].json();
    let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(fields.len(), 3, "only triggeredAt, event, data: {body}");
    assert!(body.get("signature").is_none() && body.get("token").is_none());
    assert_eq!(body["event"], STAGE_CHANGE);

    // Verify of such an entry sends the sample unsigned too.
    sim.verify(&webhook).await;
    let received = receiver.wait_for(2).await;
    let sample = received[1].json();
    assert_eq!(sample["event"], "candidateHired");
    assert_eq!(sample["data"], json!({}));
    assert!(sample.get("signature").is_none());

    // Once a token is generated, bodies are signed with it.
    let token = sim.regenerate_token(&webhook).await;
    sim.verify(&webhook).await;
    let received = receiver.wait_for(3).await;
    assert_signed(&received[2], &token);
}
