//! What an organization may do with Lever follows its plan and the server's settings now, not
//! as they were when Lever was connected.

use std::time::Duration;

use api::{ErrorCode, Plan, Role};
use entity::InOrg;
use entity::{job, lever_delivery};
use sea_orm::{ColumnTrait, Database, QueryFilter};
use tests::accounts::{Account, expect_json};
use tests::lever_sim::{LeverSim, NewCandidate, signed_body};
use tests::poll::wait_for;
use tests::{TestApp, expect_error, spawn_app, spawn_app_with};

const PHONE: &str = "Phone interview";
const NO_LEVER: api::DeliveryReason = api::DeliveryReason::PlanExcludesLever;

async fn tagged_candidate(sim: &LeverSim, name: &str) -> String {
    sim.create_candidate(NewCandidate {
        name: name.into(),
        tags: vec!["coderpad".into()],
        ..Default::default()
    })
    .await
}

async fn change_plan(app: &TestApp, admin: &Account, plan: Plan) {
    let _: api::OrganizationSummary = expect_json(
        app.change_plan(&admin, &api::ChangePlanRequest { plan })
            .await,
        200,
    )
    .await;
}

/// The organization's deliveries straight from the database: after a downgrade the console
/// no longer lists them.
async fn stored_deliveries(app: &TestApp, admin: &Account) -> Vec<lever_delivery::Model> {
    let db = Database::connect(&app.database_url).await.unwrap();
    let rows = lever_delivery::Entity::find_in_org(admin.me.organization.id)
        .all(&db)
        .await
        .unwrap();
    db.close().await.ok();
    rows
}

#[tokio::test]
async fn after_a_downgrade_deliveries_are_acknowledged_and_ignored_for_the_plan() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    change_plan(&app, &admin, Plan::Team).await;
    sim.clear_requests().await;

    let ada = tagged_candidate(&sim, "Ada").await;
    let body = signed_body(
        &lever.signature_token,
        "candidateStageChange",
        serde_json::json!({"opportunityId": ada, "toStageId": sim.stage_id(PHONE).await}),
    );
    let response = app
        .client
        .post(&lever.url)
        .json(&body)
        .send()
        .await
        .unwrap();
    // Acknowledged, so Lever does not retry what would be ignored again.
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["status"], api::DeliveryStatus::Ignored.as_str());

    let rows = stored_deliveries(&app, &admin).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].status, rows[0].reason),
        (api::DeliveryStatus::Ignored, Some(NO_LEVER))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM jobs").await,
        0,
        "no work queued"
    );
    assert!(sim.requests().await.is_empty(), "Lever was not called");
    assert!(app.pads(&admin).await.is_empty());

    // A forged delivery is still refused as such.
    let forged = signed_body(
        "not-the-token",
        "candidateStageChange",
        serde_json::json!({"opportunityId": ada}),
    );
    let response = app
        .client
        .post(&lever.url)
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_job_queued_before_a_downgrade_is_ignored_for_the_plan_when_it_runs() {
    // No worker slots: the stage change stays queued until the restart.
    let app = spawn_app_with(|settings| settings.jobs.concurrency = 0).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    assert_eq!(
        lever
            .post_stage_change(&app.client, &ada, &sim.stage_id(PHONE).await)
            .await,
        200
    );
    assert_eq!(
        app.deliveries(&admin).await[0].status,
        api::DeliveryStatus::Queued
    );
    change_plan(&app, &admin, Plan::Team).await;
    sim.clear_requests().await;
    // The restart brings the worker back (settings persist across restarts otherwise).
    let app = app
        .restart_with(|settings| {
            settings.jobs.concurrency = server::jobs::JobSettings::default().concurrency
        })
        .await;

    let row = wait_for("the job to run", Duration::from_secs(20), || async {
        stored_deliveries(&app, &admin).await.into_iter().find(|d| {
            !matches!(
                d.status,
                lever_delivery::Status::Queued | lever_delivery::Status::Failed
            )
        })
    })
    .await;
    assert_eq!(
        (row.status, row.reason),
        (api::DeliveryStatus::Ignored, Some(NO_LEVER))
    );
    let db = Database::connect(&app.database_url).await.unwrap();
    let jobs = job::Entity::find_in_org(admin.me.organization.id)
        .filter(job::Column::DeliveryId.eq(row.id))
        .all(&db)
        .await
        .unwrap();
    db.close().await.ok();
    assert_eq!(jobs[0].status, entity::job::Status::Done);
    assert!(sim.requests().await.is_empty(), "Lever was not called");
    assert!(app.pads(&admin).await.is_empty());
    assert!(sim.links(&ada).await.is_empty());
}

#[tokio::test]
async fn any_admin_can_disconnect_lever_whatever_the_plan() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    let member = app.add_member(&admin, Role::Member).await;
    change_plan(&app, &admin, Plan::Team).await;

    expect_error(
        app.disconnect_lever(&member).await,
        403,
        ErrorCode::AdminOnly,
    )
    .await;
    let response = app.disconnect_lever(&admin).await;
    assert_eq!(response.status(), 204);
    // The webhook URL is gone with the connection.
    let ada = tagged_candidate(&sim, "Ada").await;
    assert_eq!(
        lever
            .post_stage_change(&app.client, &ada, &sim.stage_id(PHONE).await)
            .await,
        404
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM lever_integrations")
            .await,
        0
    );
}

#[tokio::test]
async fn a_custom_base_url_is_not_used_once_the_server_stops_allowing_it() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let mut lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    let before = app.address.clone();
    let app = app
        .restart_with(|settings| settings.lever_allow_custom_base_url = false)
        .await;
    lever.url = lever.url.replace(&before, &app.address);
    sim.clear_requests().await;

    assert_eq!(
        lever
            .post_stage_change(&app.client, &ada, &sim.stage_id(PHONE).await)
            .await,
        200
    );
    let delivery = app.outcome_for(&admin, &ada).await;
    assert_eq!(delivery.status, api::DeliveryStatus::Dead, "{delivery:?}");
    assert!(
        delivery
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("custom Lever base URL"),
        "{delivery:?}"
    );
    expect_error(
        app.lever_stages(&admin).await,
        422,
        ErrorCode::CustomBaseUrlDisabled,
    )
    .await;
    assert!(
        sim.requests().await.is_empty(),
        "the custom URL was not called"
    );
    assert!(app.pads(&admin).await.is_empty());
}
