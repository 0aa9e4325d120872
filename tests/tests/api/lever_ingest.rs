//! Lever's deliveries arriving at the webhook: recorded with their job in one transaction,
//! replays answered 200 and recorded as duplicates, forgeries and far-future ones refused.

use api::{ErrorCode, Plan};
use tests::lever_sim::{LeverSim, NewCandidate, sign};
use tests::poll::wait_for;
use tests::{TestApp, expect_error, spawn_app};

async fn jobs_in(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) AS n FROM jobs").await
}

#[tokio::test]
async fn a_stage_change_is_queued_once_and_replays_are_duplicates() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let candidate = sim
        .create_candidate(NewCandidate {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    let phone = sim.stage_id("Phone interview").await;

    let first = sim.move_candidate(&candidate, &phone).await.remove(0);
    wait_for(
        "Lever's delivery to succeed",
        std::time::Duration::from_secs(10),
        || async {
            sim.deliveries()
                .await
                .into_iter()
                .find(|d| d.id == first && d.done)
        },
    )
    .await;
    // Lever's "Rerun", twice: the very same token and signature.
    for _ in 0..2 {
        let rerun = sim.replay(&first).await;
        let done = wait_for("the rerun", std::time::Duration::from_secs(10), || async {
            sim.deliveries()
                .await
                .into_iter()
                .find(|d| d.id == rerun && d.done)
        })
        .await;
        assert_eq!(
            done.attempts,
            vec![200],
            "a replay is acknowledged, not refused"
        );
    }
    let deliveries = app.settled_deliveries(&admin).await;
    let statuses: Vec<api::DeliveryStatus> = deliveries.iter().map(|d| d.status).collect();
    assert_eq!(
        statuses,
        vec![
            api::DeliveryStatus::Duplicate,
            api::DeliveryStatus::Duplicate,
            api::DeliveryStatus::PadCreated
        ]
    );
    assert_eq!(
        deliveries[2].opportunity_id.as_deref(),
        Some(candidate.as_str())
    );
    assert_eq!(deliveries[2].stage_id.as_deref(), Some(phone.as_str()));
    assert_eq!(jobs_in(&app).await, 1, "one job for one real stage change");
}

#[tokio::test]
async fn forged_future_and_other_events_are_recorded_without_work() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    assert_eq!(sim.verify(&lever.webhook_id).await, 200);

    let body = |triggered_at: i64, signature: String| {
        serde_json::json!({"triggeredAt": triggered_at, "event": "candidateStageChange",
            "data": {"opportunityId": "o1", "toStageId": "s1"}, "token": "t".repeat(48), "signature": signature})
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let forged = app
        .client
        .post(&lever.url)
        .json(&body(now, "0".repeat(64)))
        .send()
        .await
        .unwrap();
    expect_error(forged, 401, ErrorCode::InvalidSignature).await;
    let later = now + 10 * 60 * 1000;
    let future = body(later, sign(&lever.signature_token, &"t".repeat(48), later));
    let response = app
        .client
        .post(&lever.url)
        .json(&future)
        .send()
        .await
        .unwrap();
    expect_error(response, 400, ErrorCode::TriggeredInFuture).await;

    let deliveries = app.deliveries(&admin).await;
    let outcomes: Vec<(api::DeliveryStatus, Option<api::DeliveryReason>)> =
        deliveries.iter().map(|d| (d.status, d.reason)).collect();
    assert_eq!(
        outcomes,
        vec![
            (
                api::DeliveryStatus::Rejected,
                Some(api::DeliveryReason::TriggeredInFuture)
            ),
            (
                api::DeliveryStatus::Rejected,
                Some(api::DeliveryReason::BadSignature)
            ),
            (
                api::DeliveryStatus::Ignored,
                Some(api::DeliveryReason::NotAStageChange)
            ),
        ]
    );
    assert_eq!(
        deliveries[1].opportunity_id, None,
        "a forged body's data is not kept"
    );
    assert_eq!(jobs_in(&app).await, 0);
}

#[tokio::test]
async fn a_delivery_older_than_the_kept_tokens_is_refused() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let token = "o".repeat(48);
    let long_ago =
        (time::OffsetDateTime::now_utc() - time::Duration::days(20)).unix_timestamp() * 1000;
    let body = serde_json::json!({"triggeredAt": long_ago, "event": "candidateStageChange",
        "data": {"opportunityId": "o1", "toStageId": "s1"}, "token": token,
        "signature": sign(&lever.signature_token, &token, long_ago)});
    let response = app
        .client
        .post(&lever.url)
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_error(response, 400, ErrorCode::TooOld).await;
    let deliveries = app.deliveries(&admin).await;
    assert_eq!(deliveries[0].reason, Some(api::DeliveryReason::TooOld));
    assert_eq!(jobs_in(&app).await, 0);
}
