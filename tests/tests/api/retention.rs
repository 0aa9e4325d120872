//! Tables that would grow forever are bounded: old deliveries and audit events are swept, and
//! a flood of forged webhook requests is counted rather than stored.

use std::time::Instant;

use api::{ErrorCode, Plan};
use entity::{audit_event, job, lever_delivery};
use futures_util::future::join_all;
use sea_orm::{ActiveValue::Set, Database, EntityTrait};
use server::retention::{RetentionSettings, Swept, sweep};
use tests::lever_sim::LeverSim;
use tests::{expect_error, expect_json, spawn_app};
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn a_flood_of_forged_requests_is_counted_not_stored() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let now = OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let forged = serde_json::json!({"triggeredAt": now, "event": "candidateStageChange",
        "data": {"opportunityId": "o1"}, "token": "t".repeat(48), "signature": "0".repeat(64)});

    let started = Instant::now();
    for _ in 0..10 {
        let answers =
            join_all((0..10).map(|_| app.client.post(&lever.url).json(&forged).send())).await;
        for answer in answers {
            expect_error(answer.unwrap(), 401, ErrorCode::InvalidSignature).await;
        }
    }
    // The budget is 20 a minute; a slow machine may have crossed into another minute.
    let minutes = started.elapsed().as_secs() / 60 + 1;
    let recorded = app
        .count("SELECT COUNT(*) AS n FROM lever_deliveries WHERE reason = 'bad_signature'")
        .await as u64;
    assert!(
        (1..=20 * minutes).contains(&recorded),
        "{recorded} forged requests stored"
    );
    let listing: api::LeverDeliveriesResponse =
        expect_json(app.lever_deliveries(&admin, "").await, 200).await;
    assert_eq!(listing.rejected_not_recorded + recorded, 100);

    // Another organization has its own budget.
    let other = app.sign_up(Plan::Enterprise).await;
    let theirs = app.connect_lever(&other, &sim, &["Phone interview"]).await;
    let answer = app
        .client
        .post(&theirs.url)
        .json(&forged)
        .send()
        .await
        .unwrap();
    expect_error(answer, 401, ErrorCode::InvalidSignature).await;
    let listing: api::LeverDeliveriesResponse =
        expect_json(app.lever_deliveries(&other, "").await, 200).await;
    assert_eq!(listing.deliveries.len(), 1);
    assert_eq!(
        listing.deliveries[0].reason,
        Some(api::DeliveryReason::BadSignature)
    );
    assert_eq!(listing.rejected_not_recorded, 0);
}

#[tokio::test]
async fn the_sweep_deletes_old_deliveries_and_events_but_never_pending_work() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let org_id = admin.me.organization.id;
    let db = Database::connect(&app.database_url).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let delivery = |age: Duration, status: &str, name: &str| lever_delivery::ActiveModel {
        id: Set(api::DeliveryId::random()),
        org_id: Set(org_id),
        received_at: Set(now - age),
        event: Set("candidateStageChange".into()),
        triggered_at: Set(None),
        opportunity_id: Set(Some(name.into())),
        to_stage_id: Set(None),
        status: Set(lever_delivery::Status::from_code(status).expect("a delivery status")),
        reason: Set(None),
        detail: Set(None),
        candidate_name: Set(None),
        pad_id: Set(None),
        attempts: Set(1),
        detail_message: Set(None),
    };
    let old = Duration::days(100);
    let rows = [
        (delivery(old, "pad_created", "old-done"), None),
        (delivery(old, "dead", "old-dead"), Some(job::Status::Dead)),
        (
            delivery(old, "queued", "old-queued"),
            Some(job::Status::Queued),
        ),
        (
            delivery(old, "failed", "old-failed"),
            Some(job::Status::Queued),
        ),
        (
            delivery(old, "queued", "old-running"),
            Some(job::Status::Running),
        ),
        (delivery(Duration::days(10), "pad_created", "recent"), None),
    ];
    for (row, job_status) in rows {
        let row = lever_delivery::Entity::insert(row)
            .exec_with_returning(&db)
            .await
            .unwrap();
        if let Some(job_status) = job_status {
            let mut job = server::jobs::queue::new_job(
                org_id,
                job::Kind::LeverStageChange,
                Some(row.id),
                "{}".into(),
                now - old,
            );
            job.status = Set(job_status);
            // Not due and leased: the worker leaves these alone during the test.
            job.run_at = Set(now + Duration::days(1));
            job.lease_until = Set(Some(now + Duration::days(1)));
            job::Entity::insert(job).exec(&db).await.unwrap();
        }
    }
    let event = |age: Duration, detail: &str| audit_event::ActiveModel {
        org_id: Set(org_id),
        actor_user_id: Set(None),
        actor_label: Set(None),
        action: Set("login_failed".into()),
        detail: Set(detail.into()),
        client_address: Set(None),
        created_at: Set(now - age),
        ..Default::default()
    };
    audit_event::Entity::insert_many([
        event(Duration::days(400), "ancient"),
        event(Duration::days(100), "last season"),
    ])
    .exec(&db)
    .await
    .unwrap();

    let kept = |app: &tests::TestApp| {
        let client = admin.client.clone();
        let app_url = app.url("/api/lever/deliveries?limit=200");
        async move {
            let listing: api::LeverDeliveriesResponse =
                expect_json(client.get(app_url).send().await.unwrap(), 200).await;
            let mut names: Vec<String> = listing
                .deliveries
                .into_iter()
                .filter_map(|d| d.opportunity_id)
                .collect();
            names.sort();
            names
        }
    };
    let swept = sweep(&db, &RetentionSettings::default(), now)
        .await
        .unwrap();
    assert_eq!(
        swept,
        Swept {
            deliveries: 2,
            audit_events: 1,
            mails: 0,
        }
    );
    assert_eq!(
        kept(&app).await,
        vec!["old-failed", "old-queued", "old-running", "recent"]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM jobs").await,
        3,
        "the dead delivery's job went with it"
    );
    let log: api::AuditPage = expect_json(app.audit(&admin, "limit=200").await, 200).await;
    let details: Vec<&str> = log.events.iter().map(|e| e.detail.as_str()).collect();
    assert!(details.contains(&"last season") && !details.contains(&"ancient"));

    // Shorter settings keep less; the sweep is idempotent.
    let short = RetentionSettings {
        delivery_days: 5,
        audit_days: 50,
    };
    let swept = sweep(&db, &short, now).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            deliveries: 1,
            audit_events: 1,
            mails: 0,
        }
    );
    assert_eq!(
        kept(&app).await,
        vec!["old-failed", "old-queued", "old-running"]
    );
    assert_eq!(sweep(&db, &short, now).await.unwrap(), Swept::default());
}
