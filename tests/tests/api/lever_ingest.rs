//! Lever's deliveries arriving at the webhook: recorded with their job in one transaction,
//! replays answered 200 and recorded as duplicates, forgeries and far-future ones refused.

use api::{ErrorCode, Plan};
use tests::lever::send_stage_change;
use tests::lever_sim::{LeverSim, NewCandidate, sign};
use tests::poll::wait_for;
use tests::{TestApp, expect_error, spawn_app, spawn_app_with};

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

/// A bulk move in four organizations at once, with Lever rerunning some deliveries while
/// the first copy is still in flight: every delivery is answered 200 and recorded exactly once
/// (a rerun as a duplicate), and each stage change to a selected stage gets one job, which
/// runs once.
#[tokio::test]
async fn five_thousand_concurrent_deliveries_are_each_recorded_once_and_their_jobs_run_once() {
    use futures_util::StreamExt;
    const ORGANIZATIONS: usize = 4;
    const UNSELECTED_PER_ORG: usize = 1_140;
    const SELECTED_PER_ORG: usize = 10;
    const RERUNS_PER_ORG: usize = 100;
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let phone = sim.stage_id("Phone interview").await;
    let onsite = sim.stage_id("On-site interview").await;
    // Untagged: each job reads the candidate once from Lever and creates nothing.
    let mut candidates = Vec::new();
    for i in 0..SELECTED_PER_ORG {
        candidates.push(
            sim.create_candidate(NewCandidate {
                name: format!("Bulk {i}"),
                stage_id: Some(phone.clone()),
                ..Default::default()
            })
            .await,
        );
    }
    let mut requests = Vec::new();
    for org in 0..ORGANIZATIONS {
        let admin = app.sign_up(Plan::Enterprise).await;
        let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
        let signed = |opportunity: &str, stage: &str| {
            tests::lever_sim::signed_body(
                &lever.signature_token,
                "candidateStageChange",
                serde_json::json!({"opportunityId": opportunity, "toStageId": stage}),
            )
            .to_string()
        };
        let mut bodies: Vec<String> = (0..UNSELECTED_PER_ORG)
            .map(|i| signed(&format!("org{org}-unselected-{i}"), &onsite))
            .collect();
        bodies.extend(candidates.iter().map(|id| signed(id, &phone)));
        // Reruns: the same bodies again, sent alongside the originals.
        let reruns: Vec<String> = bodies
            .iter()
            .step_by(11)
            .take(RERUNS_PER_ORG)
            .cloned()
            .collect();
        assert_eq!(reruns.len(), RERUNS_PER_ORG);
        bodies.extend(reruns);
        requests.extend(bodies.into_iter().map(|body| (lever.url.clone(), body)));
    }
    assert_eq!(requests.len(), 5_000);
    // Shuffled by the body's hash: a rerun lands next to its original (same body), so the two
    // are in flight together, and the organizations and stages are mixed.
    requests.sort_by_key(|(_, body)| {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        hasher.finish()
    });
    let answers: Vec<String> = futures_util::stream::iter(requests)
        .map(|(url, body)| {
            let client = app.client.clone();
            async move {
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("the webhook answers");
                assert_eq!(response.status(), 200);
                let answer: serde_json::Value = response.json().await.expect("JSON");
                answer["status"].as_str().expect("a status").to_string()
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let answered = |status: &str| answers.iter().filter(|s| *s == status).count();
    let reruns = ORGANIZATIONS * RERUNS_PER_ORG;
    let selected = ORGANIZATIONS * SELECTED_PER_ORG;
    assert_eq!(answered("duplicate"), reruns, "each rerun, and only reruns");
    assert_eq!(answered("queued"), selected);
    assert_eq!(answered("ignored"), 5_000 - reruns - selected);

    let count = |sql: &'static str| app.count(sql);
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM lever_deliveries").await,
        5_000
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) AS n FROM (SELECT org_id, opportunity_id FROM lever_deliveries \
             WHERE status <> 'duplicate' GROUP BY org_id, opportunity_id HAVING COUNT(*) > 1) AS t"
        )
        .await,
        0,
        "a stage change recorded twice"
    );
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM lever_deliveries WHERE status <> 'duplicate'").await,
        (5_000 - reruns) as i64
    );
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM jobs").await,
        selected as i64,
        "one job per stage change to a selected stage"
    );
    wait_for(
        "every job to finish",
        std::time::Duration::from_secs(60),
        || async {
            (count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'done'").await == selected as i64)
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM jobs WHERE attempts = 1").await,
        selected as i64,
        "each job ran once"
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) AS n FROM lever_deliveries WHERE status = 'ignored' \
             AND reason = 'not_tagged'"
        )
        .await,
        selected as i64,
        "each job decided its delivery"
    );
}

/// Instances keep what they know of an organization for a minute here, so only being told of
/// a change (not the copy expiring) can make another instance honour it in time.
fn long_cache_life(settings: &mut server::Settings) {
    settings.lever_webhook_cache_ttl = std::time::Duration::from_secs(60);
}

/// Two instances of one PostgreSQL database, an organization with Lever connected through the
/// first, and its webhook's address on the second.
struct TwoInstances {
    app: TestApp,
    _second: TestApp,
    sim: LeverSim,
    admin: tests::Account,
    lever: tests::lever::ConnectedLever,
    on_second: String,
}

impl TwoInstances {
    /// None (the test is skipped) without PostgreSQL.
    async fn connected() -> Option<Self> {
        let app = spawn_app_with(long_cache_life).await;
        if !app.uses_postgres() {
            eprintln!("skipped: several instances need STAGEPAD_TEST_POSTGRES_URL");
            return None;
        }
        let second = app.another_instance().await;
        let sim = LeverSim::start().await;
        let admin = app.sign_up(Plan::Enterprise).await;
        let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
        let on_second = lever.url.replace(&app.address, &second.address);
        Some(Self {
            app,
            _second: second,
            sim,
            admin,
            lever,
            on_second,
        })
    }
}

/// Instances keep each organization's integration in memory for a moment: a signature token
/// saved through one instance is honoured by another at once, not after its copy expires.
#[tokio::test]
async fn a_token_saved_on_one_instance_is_honoured_by_another_at_once() {
    let Some(instances) = TwoInstances::connected().await else {
        return;
    };
    let TwoInstances {
        app,
        admin,
        lever,
        on_second,
        ..
    } = &instances;
    // The second instance now holds the organization, with the first token.
    let old_token = &lever.signature_token;
    let delivered = send_stage_change(&app.client, on_second, old_token, "o1", "s1").await;
    assert_eq!(delivered.status(), 200);
    let new_token = "n".repeat(40);
    let _: api::LeverSetup = tests::expect_json(
        app.save_lever_token(
            admin,
            &api::LeverTokenRequest {
                signature_token: new_token.clone(),
                pad_owner_id: admin.id(),
            },
        )
        .await,
        200,
    )
    .await;
    let delivered = send_stage_change(&app.client, on_second, &new_token, "o1", "s1").await;
    assert_eq!(delivered.status(), 200, "the new token, at once");
    let old = send_stage_change(&app.client, on_second, old_token, "o1", "s1").await;
    expect_error(old, 401, ErrorCode::InvalidSignature).await;
}

/// A stage selected through one instance creates work on another at once: the instances tell
/// each other of the change instead of waiting for their copies to expire.
#[tokio::test]
async fn a_stage_selected_on_one_instance_is_honoured_by_another_at_once() {
    let Some(instances) = TwoInstances::connected().await else {
        return;
    };
    let TwoInstances {
        app,
        sim,
        admin,
        lever,
        on_second,
        ..
    } = &instances;
    let phone = sim.stage_id("Phone interview").await;
    let onsite = sim.stage_id("On-site interview").await;
    let deliver_onsite = || async {
        let answer = send_stage_change(
            &app.client,
            on_second,
            &lever.signature_token,
            "o1",
            &onsite,
        )
        .await;
        let answer: serde_json::Value = tests::expect_json(answer, 200).await;
        answer["status"].as_str().expect("a status").to_string()
    };
    // The second instance now holds the organization, with its one stage.
    assert_eq!(deliver_onsite().await, "ignored");
    let kept_since = std::time::Instant::now();
    let _: api::LeverSetup = tests::expect_json(
        app.save_lever_stages(
            admin,
            &api::LeverStagesRequest {
                stage_ids: vec![phone, onsite.clone()],
            },
        )
        .await,
        200,
    )
    .await;
    // Well before the second instance's copy would expire (a minute after it was read).
    let deadline = kept_since + std::time::Duration::from_secs(10);
    loop {
        if deliver_onsite().await == "queued" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other instance still ignores the newly selected stage"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
