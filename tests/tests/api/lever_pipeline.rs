//! From a Lever stage change to a pad link on the candidate, black-box against the simulator:
//! the rules, idempotence under replays and retries, Lever's failures, restarts, tenancy and
//! fairness under a burst.

use std::time::{Duration, Instant};

use api::{ErrorCode, Plan};
use sea_orm::{ActiveModelTrait, Database, EntityTrait};
use tests::accounts::expect_json;
use tests::lever::{Setup, connected};
use tests::lever_sim::{LeverSim, NewCandidate};
use tests::{TestApp, expect_error, spawn_app};

const PHONE: &str = "Phone interview";
const ONSITE: &str = "On-site interview";

async fn tagged_candidate(sim: &LeverSim, name: &str) -> String {
    sim.create_candidate(NewCandidate {
        name: name.into(),
        tags: vec!["coderpad".into()],
        ..Default::default()
    })
    .await
}

async fn lever_calls_to(sim: &LeverSim, path_part: &str) -> usize {
    sim.requests()
        .await
        .iter()
        .filter(|r| r.path.contains(path_part))
        .count()
}

#[tokio::test]
async fn a_tagged_candidate_entering_a_selected_stage_gets_one_pad_link_and_note() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let ada = tagged_candidate(&sim, "Ada Lovelace").await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;

    let delivery = app.outcome_for(&admin, &ada).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    assert_eq!(delivery.candidate_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(delivery.stage_name.as_deref(), Some(PHONE));
    let link = delivery.pad_link.clone().expect("the pad's link");
    let pad_id = api::PadId::new(
        link.strip_prefix(&format!("{}/pad/", app.address))
            .expect("the link is <public URL>/pad/<id>"),
    );
    assert!(
        pad_id.as_str().len() >= 22,
        "at least 128 random bits: {pad_id}"
    );

    assert_eq!(sim.links(&ada).await, vec![link.clone()]);
    let notes = sim.notes(&ada).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0].value,
        format!("Interview pad created at {PHONE}: {link}\n\nStagepad pad created · {link}")
    );

    let pads = app.pads(&admin).await;
    assert_eq!(pads.len(), 1);
    assert_eq!(pads[0].link, link);
    assert_eq!(pads[0].candidate_name, "Ada Lovelace");
    assert_eq!(pads[0].stage_name.as_deref(), Some(PHONE));
    assert_eq!(pads[0].owner.as_ref().map(|o| o.id), Some(admin.id()));
    assert!(pads[0].link_on_candidate && pads[0].note_on_candidate);

    // The link works without an account.
    let stranger = tests::app::new_client();
    let view: api::PadView = expect_json(app.view_pad(&stranger, &pad_id).await, 200).await;
    assert_eq!(view.candidate_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(view.status, api::PadStatus::NotStarted);
    expect_error(
        app.get(&stranger, "/api/pads/AAAAAAAAAAAAAAAAAAAAAA").await,
        404,
        ErrorCode::NotFound,
    )
    .await;
}

#[tokio::test]
async fn links_and_notes_carry_the_pad_owners_lever_user() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    // The same person in Lever, matched by email whatever its case.
    let in_lever = sim
        .create_user("Admin In Lever", &admin.email.to_uppercase())
        .await;
    app.connect_lever(&admin, &sim, &[PHONE]).await;
    let setup: api::LeverSetup = expect_json(app.lever_setup(&admin).await, 200).await;
    assert_eq!(setup.token.lever_author.as_deref(), Some("Admin In Lever"));

    let ada = tagged_candidate(&sim, "Ada Lovelace").await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;
    assert_eq!(
        app.outcome_for(&admin, &ada).await.status,
        api::DeliveryStatus::PadCreated
    );
    let notes = sim.opportunity_notes(&ada).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].2.as_deref(), Some(in_lever.as_str()));
    let link_writes: Vec<_> = sim
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path.contains("/addLinks"))
        .filter(|r| r.query.contains(&format!("perform_as={in_lever}")))
        .collect();
    assert_eq!(link_writes.len(), 1, "the link is added as the owner too");

    // Deactivated in Lever since: the pad still gets its link and note, as the key's user.
    sim.delete_user(&in_lever).await;
    let grace = tagged_candidate(&sim, "Grace Hopper").await;
    sim.move_candidate(&grace, &sim.stage_id(PHONE).await).await;
    let delivery = app.outcome_for(&admin, &grace).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    assert_eq!(sim.links(&grace).await.len(), 1);
    let notes = sim.opportunity_notes(&grace).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].2, None);
}

#[tokio::test]
async fn a_tag_on_the_job_alone_is_enough_and_titles_the_pad() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let posting = sim.create_posting("Backend Engineer", &[]).await;
    let grace = sim
        .create_candidate(NewCandidate {
            name: "Grace Hopper".into(),
            posting_id: Some(posting.clone()),
            ..Default::default()
        })
        .await;
    // Added to the job after the candidate applied: only the posting carries it.
    sim.set_posting_tags(&posting, &["  CoderPad "]).await;
    sim.move_candidate(&grace, &sim.stage_id(PHONE).await).await;

    let delivery = app.outcome_for(&admin, &grace).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    let pads = app.pads(&admin).await;
    assert_eq!(pads[0].job_title.as_deref(), Some("Backend Engineer"));
    assert_eq!(sim.links(&grace).await.len(), 1);
}

#[tokio::test]
async fn untagged_candidates_and_unselected_stages_create_nothing() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let untagged = sim
        .create_candidate(NewCandidate {
            name: "No Tag".into(),
            tags: vec!["backend".into()],
            ..Default::default()
        })
        .await;
    sim.move_candidate(&untagged, &sim.stage_id(PHONE).await)
        .await;
    let delivery = app.outcome_for(&admin, &untagged).await;
    assert_eq!(
        (delivery.status, delivery.reason),
        (
            api::DeliveryStatus::Ignored,
            Some(api::DeliveryReason::NotTagged)
        )
    );
    assert_eq!(delivery.candidate_name.as_deref(), Some("No Tag"));

    let elsewhere = tagged_candidate(&sim, "Wrong Stage").await;
    sim.clear_requests().await;
    sim.move_candidate(&elsewhere, &sim.stage_id(ONSITE).await)
        .await;
    let delivery = app.outcome_for(&admin, &elsewhere).await;
    assert_eq!(
        (delivery.status, delivery.reason),
        (
            api::DeliveryStatus::Ignored,
            Some(api::DeliveryReason::StageNotSelected)
        )
    );
    assert_eq!(
        lever_calls_to(&sim, "/opportunities/").await,
        0,
        "an unselected stage needs no Lever call"
    );

    assert!(app.pads(&admin).await.is_empty());
    assert!(sim.links(&untagged).await.is_empty());
    assert!(sim.links(&elsewhere).await.is_empty());
    assert!(sim.notes(&untagged).await.is_empty());
}

#[tokio::test]
async fn a_later_selected_stage_and_replays_of_the_same_delivery_add_nothing() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE, ONSITE]).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    let first = sim
        .move_candidate(&ada, &sim.stage_id(PHONE).await)
        .await
        .remove(0);
    assert_eq!(
        app.outcome_for(&admin, &ada).await.status,
        api::DeliveryStatus::PadCreated
    );
    // Lever's Rerun, twice: the same token, so duplicates.
    sim.replay(&first).await;
    sim.replay(&first).await;
    sim.move_candidate(&ada, &sim.stage_id(ONSITE).await).await;

    let deliveries = tests::poll::wait_for(
        "five deliveries with outcomes",
        Duration::from_secs(20),
        || async {
            let settled = app.settled_deliveries(&admin).await;
            (settled.len() == 4).then_some(settled)
        },
    )
    .await;
    let outcomes: Vec<(api::DeliveryStatus, Option<api::DeliveryReason>)> =
        deliveries.iter().map(|d| (d.status, d.reason)).collect();
    assert_eq!(
        outcomes,
        vec![
            (
                api::DeliveryStatus::Ignored,
                Some(api::DeliveryReason::AlreadyHasPad)
            ),
            (
                api::DeliveryStatus::Duplicate,
                Some(api::DeliveryReason::TokenAlreadySeen)
            ),
            (
                api::DeliveryStatus::Duplicate,
                Some(api::DeliveryReason::TokenAlreadySeen)
            ),
            (api::DeliveryStatus::PadCreated, None),
        ]
    );
    assert_eq!(app.pads(&admin).await.len(), 1);
    assert_eq!(sim.links(&ada).await.len(), 1);
    assert_eq!(sim.notes(&ada).await.len(), 1);
}

#[tokio::test]
async fn altered_data_under_a_replayed_signature_and_unentered_stages_have_no_effect() {
    let Setup {
        app,
        sim,
        admin,
        lever,
    } = connected(&[PHONE]).await;
    let phone = sim.stage_id(PHONE).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    let first = sim.move_candidate(&ada, &phone).await.remove(0);
    assert_eq!(
        app.outcome_for(&admin, &ada).await.status,
        api::DeliveryStatus::PadCreated
    );

    // A captured delivery sent again with another candidate in its unsigned data.
    let victim = tagged_candidate(&sim, "Victim").await;
    let mut body = sim.delivery(&first).await.body;
    body["data"]["opportunityId"] = victim.clone().into();
    assert_eq!(
        sim.send_raw_webhook(&lever.url, &body.to_string()).await,
        200
    );
    // A correctly signed delivery claiming a stage the candidate never entered.
    assert_eq!(
        lever.post_stage_change(&app.client, &victim, &phone).await,
        200
    );
    let delivery = app.outcome_for(&admin, &victim).await;
    assert_eq!(
        (delivery.status, delivery.reason),
        (
            api::DeliveryStatus::Ignored,
            Some(api::DeliveryReason::StageNotEntered)
        )
    );
    let statuses: Vec<api::DeliveryStatus> = app
        .settled_deliveries(&admin)
        .await
        .into_iter()
        .map(|d| d.status)
        .collect();
    assert_eq!(
        statuses,
        vec![
            api::DeliveryStatus::Ignored,
            api::DeliveryStatus::Duplicate,
            api::DeliveryStatus::PadCreated
        ]
    );
    assert!(sim.links(&victim).await.is_empty());
    assert!(sim.notes(&victim).await.is_empty());
    assert_eq!(app.pads(&admin).await.len(), 1);
}

#[tokio::test]
async fn lever_failing_add_links_twice_still_ends_with_exactly_one_link() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    sim.fail_next_on(2, 500, "/addLinks", None).await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;

    let delivery = app.outcome_for(&admin, &ada).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    assert_eq!(delivery.attempts, 3, "two failed runs, then success");
    assert_eq!(sim.links(&ada).await.len(), 1);
    assert_eq!(sim.notes(&ada).await.len(), 1);
    assert_eq!(app.pads(&admin).await.len(), 1);
    let add_links: Vec<u16> = sim
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path == format!("/v1/opportunities/{ada}/addLinks"))
        .map(|r| r.status)
        .collect();
    assert_eq!(add_links, vec![500, 500, 200]);
}

#[tokio::test]
async fn a_rate_limited_call_waits_for_lever_then_succeeds() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    sim.fail_next_on(1, 429, "/opportunities/", Some(1)).await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;

    let delivery = app.outcome_for(&admin, &ada).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    assert_eq!(
        delivery.attempts, 1,
        "the client waited; the job did not fail"
    );
    let reads: Vec<(u16, u64)> = sim
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path == format!("/v1/opportunities/{ada}"))
        .map(|r| (r.status, r.at_ms))
        .collect();
    assert_eq!(reads[0].0, 429);
    assert_eq!(reads[1].0, 200);
    // Retry-After: 1, capped by the tests' 500 ms backoff ceiling.
    assert!(
        reads[1].1 - reads[0].1 >= 450,
        "the client waited before asking again: {reads:?}"
    );
}

#[tokio::test]
async fn a_job_out_of_attempts_is_dead_until_an_admin_retries_it() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    sim.fail_next_on(100, 500, "/addLinks", None).await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;

    let dead = app.outcome_for(&admin, &ada).await;
    assert_eq!(dead.status, api::DeliveryStatus::Dead, "{dead:?}");
    assert_eq!(dead.attempts, 8);
    assert!(dead.can_retry);
    assert!(
        dead.error.as_deref().unwrap_or("").contains("500"),
        "{dead:?}"
    );
    let dead_only: api::LeverDeliveriesResponse =
        expect_json(app.lever_deliveries(&admin, "status=dead").await, 200).await;
    assert_eq!(dead_only.deliveries.len(), 1);
    expect_error(
        app.lever_deliveries(&admin, "status=lost").await,
        400,
        ErrorCode::InvalidStatus,
    )
    .await;

    sim.clear_faults().await;
    let path = format!("/api/lever/deliveries/{}/retry", dead.id);
    let retried: api::LeverDelivery =
        expect_json(app.post(&admin.client, &path, &()).await, 200).await;
    assert_eq!(retried.status, api::DeliveryStatus::Queued);
    let done = app.outcome_for(&admin, &ada).await;
    assert_eq!(done.status, api::DeliveryStatus::PadCreated);
    assert_eq!(done.attempts, 9, "attempts count on across a retry");
    assert_eq!(sim.links(&ada).await.len(), 1);
    assert_eq!(sim.notes(&ada).await.len(), 1);
    expect_error(
        app.post(&admin.client, &path, &()).await,
        409,
        ErrorCode::NotRetryable,
    )
    .await;
    let member = app.add_member(&admin, api::Role::Member).await;
    expect_error(
        app.post(&member.client, &path, &()).await,
        403,
        ErrorCode::AdminOnly,
    )
    .await;
}

async fn unfinished_jobs(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) AS n FROM jobs WHERE status <> 'done'")
        .await
}

#[tokio::test]
async fn jobs_pending_at_a_stop_all_complete_once_after_the_restart() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let phone = sim.stage_id(PHONE).await;
    // Lever stalls: the first runs are still waiting for it when the server stops.
    sim.hang_next(4, 3_000).await;
    let mut candidates = Vec::new();
    for i in 0..5 {
        let id = tagged_candidate(&sim, &format!("Candidate {i}")).await;
        sim.move_opportunity(&id, &phone).await;
        candidates.push(id);
    }
    tests::poll::wait_for(
        "the five stage changes to be received",
        Duration::from_secs(20),
        || async { (app.deliveries(&admin).await.len() == 5).then_some(()) },
    )
    .await;
    assert!(
        unfinished_jobs(&app).await > 0,
        "jobs were pending at the stop"
    );
    let app = app.restart().await;

    for id in &candidates {
        let delivery = app.outcome_for(&admin, id).await;
        assert_eq!(
            delivery.status,
            api::DeliveryStatus::PadCreated,
            "{delivery:?}"
        );
        assert_eq!(sim.links(id).await.len(), 1, "one link for {id}");
        assert_eq!(sim.notes(id).await.len(), 1, "one note for {id}");
    }
    assert_eq!(app.pads(&admin).await.len(), 5);
    // A job is marked done just after its outcome is recorded.
    tests::poll::wait_for("every job done", Duration::from_secs(10), || async {
        (unfinished_jobs(&app).await == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn two_organizations_on_one_lever_never_cross() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let first = app.sign_up(Plan::Enterprise).await;
    let second = app.sign_up(Plan::Enterprise).await;
    let first_lever = app.connect_lever(&first, &sim, &[PHONE]).await;
    let second_lever = app.connect_lever(&second, &sim, &[ONSITE]).await;
    assert_ne!(first_lever.api_key, second_lever.api_key);

    // Every stage change reaches both organizations' webhooks; each acts on its own stages.
    let ada = tagged_candidate(&sim, "Ada").await;
    let bob = tagged_candidate(&sim, "Bob").await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;
    sim.move_candidate(&bob, &sim.stage_id(ONSITE).await).await;

    assert_eq!(
        app.outcome_for(&first, &ada).await.status,
        api::DeliveryStatus::PadCreated
    );
    assert_eq!(
        app.outcome_for(&second, &bob).await.status,
        api::DeliveryStatus::PadCreated
    );
    assert_eq!(
        app.outcome_for(&first, &bob).await.reason,
        Some(api::DeliveryReason::StageNotSelected)
    );
    assert_eq!(
        app.outcome_for(&second, &ada).await.reason,
        Some(api::DeliveryReason::StageNotSelected)
    );
    let first_pads = app.pads(&first).await;
    let second_pads = app.pads(&second).await;
    assert_eq!(first_pads.len(), 1);
    assert_eq!(first_pads[0].candidate_name, "Ada");
    assert_eq!(second_pads.len(), 1);
    assert_eq!(second_pads[0].candidate_name, "Bob");
    assert_eq!(sim.links(&ada).await, vec![first_pads[0].link.clone()]);
    assert_eq!(sim.links(&bob).await, vec![second_pads[0].link.clone()]);
    // Each organization's calls used its own key.
    let last4 = |key: &str| key[key.len() - 4..].to_string();
    for request in sim.requests().await {
        if request.path.contains(&ada) {
            assert_eq!(request.key_last4, last4(&first_lever.api_key));
        }
        if request.path.contains(&bob) {
            assert_eq!(request.key_last4, last4(&second_lever.api_key));
        }
    }
    // Neither sees the other's deliveries' pads or a way to retry them.
    let path = format!(
        "/api/lever/deliveries/{}/retry",
        app.outcome_for(&first, &ada).await.id
    );
    expect_error(
        app.post(&second.client, &path, &()).await,
        404,
        ErrorCode::NotFound,
    )
    .await;
}

#[tokio::test]
async fn one_organizations_burst_does_not_hold_back_another() {
    const BURST: usize = 2_000;
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let busy = app.sign_up(Plan::Enterprise).await;
    let quiet = app.sign_up(Plan::Enterprise).await;
    let busy_lever = app.connect_lever(&busy, &sim, &[PHONE]).await;
    let quiet_lever = app.connect_lever(&quiet, &sim, &[PHONE]).await;
    let phone = sim.stage_id(PHONE).await;

    // A bulk move: 2,000 stage changes over 50 candidates, sent straight to the busy
    // organization's webhook (16 at a time, as Lever's workers would).
    // Created in the stage, so the simulator itself sends no deliveries for them.
    let in_phone_stage = |name: String| NewCandidate {
        name,
        tags: vec!["coderpad".into()],
        stage_id: Some(phone.clone()),
        ..Default::default()
    };
    let mut candidates = Vec::new();
    for i in 0..50 {
        candidates.push(
            sim.create_candidate(in_phone_stage(format!("Bulk {i}")))
                .await,
        );
    }
    let sent = std::sync::atomic::AtomicUsize::new(0);
    let send = |_| async {
        loop {
            let n = sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if n >= BURST {
                break;
            }
            let status = busy_lever
                .post_stage_change(&app.client, &candidates[n % candidates.len()], &phone)
                .await;
            assert_eq!(status, 200);
        }
    };
    futures_util::future::join_all((0..16).map(send)).await;

    let loner = sim
        .create_candidate(in_phone_stage("Quiet Candidate".into()))
        .await;
    let started = Instant::now();
    assert_eq!(
        quiet_lever
            .post_stage_change(&app.client, &loner, &phone)
            .await,
        200
    );
    let delivery = app.outcome_for(&quiet, &loner).await;
    let waited = started.elapsed();
    assert_eq!(delivery.status, api::DeliveryStatus::PadCreated);
    assert!(
        waited < Duration::from_secs(8),
        "the quiet organization's pad took {waited:?} behind the burst"
    );
    let still_waiting = app
        .deliveries(&busy)
        .await
        .iter()
        .filter(|d| d.status == api::DeliveryStatus::Queued)
        .count();
    assert!(
        still_waiting > 100,
        "the burst was still being worked through ({still_waiting} queued)"
    );
    println!("quiet organization's pad after {waited:?}, {still_waiting} of the burst queued");
}

#[tokio::test]
async fn two_instances_on_one_postgres_share_the_work_without_doing_it_twice() {
    let Setup {
        app,
        sim,
        admin,
        lever,
    } = connected(&[PHONE]).await;
    if !app.uses_postgres() {
        eprintln!("skipped: several instances need STAGEPAD_TEST_POSTGRES_URL");
        return;
    }
    let second = app.another_instance().await;
    let phone = sim.stage_id(PHONE).await;
    let mut candidates = Vec::new();
    for i in 0..10 {
        let id = sim
            .create_candidate(NewCandidate {
                name: format!("Candidate {i}"),
                tags: vec!["coderpad".into()],
                stage_id: Some(phone.clone()),
                ..Default::default()
            })
            .await;
        // Every stage change twice, once to each instance (as a load balancer would spread
        // Lever's retries), so both claim from one queue.
        let first_url = lever.url.clone();
        let second_url = lever.url.replace(&app.address, &second.address);
        for url in [first_url, second_url] {
            let body = tests::lever_sim::signed_body(
                &lever.signature_token,
                "candidateStageChange",
                serde_json::json!({"opportunityId": id, "toStageId": phone}),
            );
            let status = app.client.post(&url).json(&body).send().await.unwrap();
            assert_eq!(status.status(), 200);
        }
        candidates.push(id);
    }
    // Both instances call Lever with one key, each within its own 8/s budget: together they
    // can exceed Lever's 10/s and wait on 429s, so this is given time.
    let deliveries = tests::poll::wait_for(
        "twenty deliveries with outcomes",
        Duration::from_secs(90),
        || async {
            let all = app.deliveries(&admin).await;
            let settled = all.iter().all(|d| {
                !matches!(
                    d.status,
                    api::DeliveryStatus::Queued | api::DeliveryStatus::Failed
                )
            });
            (all.len() == 20 && settled).then_some(all)
        },
    )
    .await;
    let created = deliveries
        .iter()
        .filter(|d| d.status == api::DeliveryStatus::PadCreated)
        .count();
    assert_eq!(created, 10, "one pad per candidate: {deliveries:#?}");
    for id in &candidates {
        assert_eq!(sim.links(id).await.len(), 1, "one link for {id}");
        assert_eq!(sim.notes(id).await.len(), 1, "one note for {id}");
    }
    assert_eq!(app.pads(&admin).await.len(), 10);
}

#[tokio::test]
async fn seen_tokens_are_kept_sixteen_days_then_pruned() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let org_id = admin.me.organization.id;
    let now = time::OffsetDateTime::now_utc();
    for (token, age_days) in [("fresh-token", 14), ("stale-token", 17)] {
        entity::lever_seen_token::ActiveModel {
            org_id: sea_orm::Set(org_id),
            token: sea_orm::Set(token.into()),
            seen_at: sea_orm::Set(now - time::Duration::days(age_days)),
        }
        .insert(&db)
        .await
        .unwrap();
    }
    db.close().await.ok();
    // Pruning runs when the worker starts, then hourly.
    let app = app.restart().await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let left: Vec<String> = tests::poll::wait_for(
        "the stale token to be pruned",
        Duration::from_secs(10),
        || async {
            let tokens: Vec<String> = entity::lever_seen_token::Entity::find()
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.token)
                .collect();
            (!tokens.contains(&"stale-token".to_string())).then_some(tokens)
        },
    )
    .await;
    assert!(left.contains(&"fresh-token".to_string()), "{left:?}");
    let _ = sim;
}

/// The deliveries list speaks of people and times: a replay names the candidate its original
/// created a pad for, a failing delivery says when it runs next, and Lever's Verify sample is
/// called what it is.
#[tokio::test]
async fn deliveries_name_the_candidate_the_next_attempt_and_lever_s_verify() {
    let app = tests::spawn_app_with(|settings| {
        settings.jobs.retry_base = Duration::from_secs(600);
    })
    .await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    assert_eq!(sim.verify(&lever.webhook_id).await, 200);

    let ada = tagged_candidate(&sim, "Ada Lovelace").await;
    let sent = sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;
    assert_eq!(
        app.outcome_for(&admin, &ada).await.status,
        api::DeliveryStatus::PadCreated
    );
    assert_eq!(sim.replay_delivery(&sent[0]).await, 200);

    let grace = tagged_candidate(&sim, "Grace Hopper").await;
    sim.fail_next_on(1, 500, "/addLinks", None).await;
    sim.move_candidate(&grace, &sim.stage_id(PHONE).await).await;
    let failing = tests::poll::wait_for("a failed attempt", Duration::from_secs(20), || async {
        app.deliveries(&admin)
            .await
            .into_iter()
            .find(|d| d.status == api::DeliveryStatus::Failed)
    })
    .await;
    let next = failing.next_attempt_at.expect("when it runs next");
    assert!(next > failing.received_at, "{failing:?}");
    assert_eq!(failing.attempts, 1);

    let deliveries = app.deliveries(&admin).await;
    let duplicate = deliveries
        .iter()
        .find(|d| d.status == api::DeliveryStatus::Duplicate)
        .expect("the replay");
    assert_eq!(duplicate.candidate_name.as_deref(), Some("Ada Lovelace"));
    // Searching by the name finds the replay too, though the name is the pad's.
    let found: api::LeverDeliveriesResponse =
        tests::expect_json(app.lever_deliveries(&admin, "q=lovelace").await, 200).await;
    let statuses: Vec<api::DeliveryStatus> = found.deliveries.iter().map(|d| d.status).collect();
    assert!(
        statuses.contains(&api::DeliveryStatus::Duplicate)
            && statuses.contains(&api::DeliveryStatus::PadCreated),
        "{statuses:?}"
    );
    assert!(
        found
            .deliveries
            .iter()
            .all(|d| d.candidate_name.as_deref() == Some("Ada Lovelace")),
        "only Ada's: {:?}",
        found.deliveries
    );
    let verify = deliveries
        .iter()
        .find(|d| d.event == "candidateHired")
        .expect("Verify's sample");
    assert!(verify.lever_verify, "{verify:?}");
    assert!(deliveries.iter().filter(|d| d.lever_verify).count() == 1);
}
