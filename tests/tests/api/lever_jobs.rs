//! The job queue under failure: a job whose runs never finish (the process dies with it), a
//! job that lost its lease to another instance, and Lever answering more than anyone should
//! read.

use std::time::Duration;

use api::Plan;
use entity::InOrg;
use entity::job;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Database, EntityTrait, QueryFilter};
use server::Settings;
use tests::accounts::Account;
use tests::lever_sim::{LeverSim, NewCandidate};
use tests::poll::wait_for;
use tests::{TestApp, spawn_app, spawn_app_with};

const PHONE: &str = "Phone interview";

async fn tagged_candidate(sim: &LeverSim, name: &str) -> String {
    sim.create_candidate(NewCandidate {
        name: name.into(),
        tags: vec!["coderpad".into()],
        ..Default::default()
    })
    .await
}

/// Lever calls whose path is exactly `path`, in arrival order, with their statuses (0: never
/// answered).
async fn calls_to(sim: &LeverSim, path: &str) -> Vec<u16> {
    sim.requests()
        .await
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect()
}

async fn jobs_of(app: &TestApp, admin: &Account) -> Vec<job::Model> {
    let db = Database::connect(&app.database_url).await.unwrap();
    let jobs = job::Entity::find_in_org(admin.me.organization.id)
        .all(&db)
        .await
        .unwrap();
    db.close().await.ok();
    jobs
}

/// Three runs, and Lever calls that may hang far longer than a run lasts here. (On PostgreSQL a
/// dead instance's job is due again once the tests' 3-second lease runs out.)
fn crashing(settings: &mut Settings) {
    settings.jobs.max_attempts = 3;
    settings.lever_client.total_timeout = Duration::from_secs(60);
}

#[tokio::test]
async fn a_job_whose_runs_never_finish_is_dead_once_out_of_attempts() {
    let mut app = spawn_app_with(crashing).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &[PHONE]).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    let read = format!("/v1/opportunities/{ada}");
    // Every read of the candidate hangs: each run is still inside it when the server goes
    // down, as if that run had crashed the process.
    sim.hang_next_on(100, 60_000, &read).await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;

    for run in 1..=3 {
        // A run starts once the stopped instance's lease has run out and the new instance's
        // worker polls; on a loaded machine (the whole PostgreSQL suite at once) a restart and
        // that wait took over 20 s once. The bound only keeps a broken build from hanging.
        wait_for(
            &format!("run {run} to call Lever"),
            Duration::from_secs(60),
            || async { (calls_to(&sim, &read).await.len() == run).then_some(()) },
        )
        .await;
        app = app.stop().await.start_with(crashing).await;
    }

    // Out of attempts: the job must not run a fourth time.
    let outcome = wait_for(
        "the delivery to be dead, or the job to run again",
        Duration::from_secs(20),
        || async {
            if calls_to(&sim, &read).await.len() > 3 {
                return Some(None);
            }
            app.deliveries(&admin)
                .await
                .into_iter()
                .find(|d| d.status == api::DeliveryStatus::Dead)
                .map(Some)
        },
    )
    .await;
    let dead = outcome.expect("the job ran a fourth time instead of being buried");
    assert_eq!(dead.attempts, 3, "{dead:?}");
    assert!(dead.can_retry);
    let error = dead.error.clone().unwrap_or_default();
    assert!(
        error.contains("3 runs") && error.contains("never finished"),
        "a clear reason: {error}"
    );
    let jobs = jobs_of(&app, &admin).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, job::Status::Dead);
    assert_eq!(calls_to(&sim, &read).await.len(), 3);
    assert!(app.pads(&admin).await.is_empty());
}

#[tokio::test]
async fn a_job_that_lost_its_lease_makes_no_further_lever_write() {
    // A long lease: the heartbeat would not look again for 20 s.
    let app = spawn_app_with(|settings| {
        settings.jobs.lease = Duration::from_secs(60);
        settings.lever_client.total_timeout = Duration::from_secs(30);
    })
    .await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &[PHONE]).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    let read = format!("/v1/opportunities/{ada}");
    // Long enough for the test to step in while Lever holds the read, even on a busy machine.
    sim.hang_next_on(1, 3_000, &read).await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;
    wait_for(
        "the job to read the candidate",
        Duration::from_secs(20),
        || async { (!calls_to(&sim, &read).await.is_empty()).then_some(()) },
    )
    .await;

    // While Lever holds the read, another instance claims the job, as it would after this
    // one's lease ran out (a claim counts an attempt and takes a new lease).
    let db = Database::connect(&app.database_url).await.unwrap();
    let stolen = job::Entity::update_many()
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        )
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Some(
                time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            )),
        )
        .filter(job::Column::OrgId.eq(admin.me.organization.id))
        .filter(job::Column::Status.eq("running"))
        .exec(&db)
        .await
        .unwrap();
    db.close().await.ok();
    assert_eq!(stolen.rows_affected, 1, "the job was running");
    let job_id = jobs_of(&app, &admin).await[0].id.to_string();

    let writes = || async {
        sim.requests()
            .await
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.contains(&ada))
            .map(|r| r.path)
            .collect::<Vec<_>>()
    };
    let wrote = wait_for(
        "the job to give up, or to write to Lever",
        Duration::from_secs(20),
        || async {
            let writes = writes().await;
            if !writes.is_empty() {
                return Some(writes);
            }
            tests::logs::captured()
                .lines()
                .any(|line| line.contains(&job_id) && line.contains("lost its claim"))
                .then_some(writes)
        },
    )
    .await;
    assert!(
        wrote.is_empty(),
        "written after losing the lease: {wrote:?}"
    );
    assert_eq!(calls_to(&sim, &read).await, vec![200]);
    assert!(sim.links(&ada).await.is_empty());
    assert!(sim.notes(&ada).await.is_empty());
}

#[tokio::test]
async fn a_huge_answer_from_lever_fails_the_delivery_without_being_read_whole() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &[PHONE]).await;
    let ada = tagged_candidate(&sim, "Ada").await;
    // 256 MiB, streamed without a length.
    sim.oversize_next_on(1, 256 << 20, &format!("/v1/opportunities/{ada}"))
        .await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;

    let delivery = app.outcome_for(&admin, &ada).await;
    assert_eq!(delivery.status, api::DeliveryStatus::Dead, "{delivery:?}");
    let error = delivery.error.unwrap_or_default();
    assert!(
        error.contains("larger than 4 MiB") && error.contains("GET /opportunities/:id"),
        "{error}"
    );
    assert!(app.pads(&admin).await.is_empty());
    assert!(sim.links(&ada).await.is_empty());
}

/// Instances claim from one PostgreSQL queue side by side. A claim marks exactly the job it
/// hands back as running: a job marked but not handed to anyone would wait out its lease with
/// no worker, again and again, until it was buried as "never finished".
#[tokio::test]
async fn concurrent_claims_on_postgres_mark_only_the_jobs_they_hand_out() {
    let app = spawn_app().await;
    if !app.uses_postgres() {
        eprintln!("skipped: concurrent claimers need STAGEPAD_TEST_POSTGRES_URL");
        return;
    }
    let admin = app.sign_up(Plan::Team).await;
    let org_id = admin.me.organization.id;
    let database_url = app.database_url.clone();
    // Only the claimers below touch the queue.
    app.stop().await;
    const JOBS: usize = 300;
    const CLAIMERS: usize = 8;
    let db = Database::connect(&database_url).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    let rows = (0..JOBS).map(|i| {
        server::jobs::queue::new_job(org_id, job::Kind::CodeNote, None, format!("{i}"), now)
    });
    job::Entity::insert_many(rows).exec(&db).await.unwrap();

    let mut claimers = tokio::task::JoinSet::new();
    for _ in 0..CLAIMERS {
        let database_url = database_url.clone();
        claimers.spawn(async move {
            let db = Database::connect(&database_url).await.unwrap();
            let mut handed_out = Vec::new();
            let mut cursor = None;
            loop {
                let claimed = server::jobs::queue::claim_next(
                    &db,
                    &Default::default(),
                    usize::MAX,
                    &mut cursor,
                    Duration::from_secs(60),
                )
                .await
                .unwrap();
                match claimed {
                    Some(job) => handed_out.push(job.id),
                    None => return handed_out,
                }
            }
        });
    }
    let mut handed_out = Vec::new();
    while let Some(ids) = claimers.join_next().await {
        handed_out.extend(ids.unwrap());
    }
    let distinct: std::collections::HashSet<_> = handed_out.iter().collect();
    assert_eq!(
        distinct.len(),
        handed_out.len(),
        "a job handed to two claimers"
    );
    let running = job::Entity::find()
        .filter(job::Column::Status.eq("running"))
        .all(&db)
        .await
        .unwrap();
    let orphaned: Vec<_> = running
        .iter()
        .filter(|job| !distinct.contains(&job.id))
        .map(|job| (job.id, job.attempts))
        .collect();
    assert!(
        orphaned.is_empty(),
        "{} jobs marked running but handed to no claimer: {orphaned:?}",
        orphaned.len()
    );
    assert_eq!(handed_out.len(), JOBS, "every job claimed once");
}
