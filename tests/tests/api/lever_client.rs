//! Stagepad's Lever client against the simulator: backoff on 429/503, the per-key budget, and
//! pagination.

use std::time::Duration;

use migration::MigratorTrait;
use server::lever::budget::RequestBudget;
use server::lever::client::{
    LeverApi, LeverClientOptions, LeverCredentials, LeverError, ReqwestLever,
};
use server::secrets::SecretString;
use tests::lever_sim::LeverSim;

fn lever_client() -> ReqwestLever {
    server::install_tls_provider();
    ReqwestLever::new(LeverClientOptions {
        backoff_base: Duration::from_millis(20),
        total_timeout: Duration::from_secs(2),
        ..LeverClientOptions::default()
    })
    .unwrap()
}

fn shared_budget(db: &sea_orm::DatabaseConnection) -> ReqwestLever {
    let per_second = LeverClientOptions::default().requests_per_second;
    lever_client().with_budget(RequestBudget::shared_through(per_second, db))
}

async fn credentials(sim: &LeverSim) -> LeverCredentials {
    LeverCredentials {
        base_url: sim.api_base_url(),
        api_key: SecretString::new(sim.create_api_key(None).await),
    }
}

#[tokio::test]
async fn rate_limits_and_maintenance_are_waited_out() {
    let sim = LeverSim::start().await;
    let credentials = credentials(&sim).await;
    let client = lever_client();

    sim.fail_next_on(1, 429, "/stages", Some(1)).await;
    let started = std::time::Instant::now();
    assert!(!client.stages(&credentials).await.unwrap().is_empty());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After is honoured"
    );

    sim.fail_next_on(2, 503, "/stages", None).await;
    assert!(!client.stages(&credentials).await.unwrap().is_empty());
    let statuses: Vec<u16> = sim.requests().await.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 200, 503, 503, 200]);

    // Too many in a row: the caller hears it.
    sim.fail_next_on(10, 429, "/stages", None).await;
    assert_eq!(
        client.stages(&credentials).await.unwrap_err(),
        LeverError::RateLimited
    );
}

/// An id from a webhook cannot move the request elsewhere in Lever's API: `..` would turn
/// `/opportunities/../notes` into `/notes` once the URL is normalised.
#[tokio::test]
async fn dot_segments_in_ids_reach_no_other_endpoint() {
    let sim = LeverSim::start().await;
    let credentials = credentials(&sim).await;
    let client = lever_client();
    for id in ["..", ".", ""] {
        let read = client.opportunity(&credentials, id).await;
        assert!(
            matches!(read, Err(LeverError::NotFound { .. })),
            "{id:?}: {read:?}"
        );
        let write = client.create_note(&credentials, id, "hello", None).await;
        assert!(
            matches!(write, Err(LeverError::NotFound { .. })),
            "{id:?}: {write:?}"
        );
    }
    let asked: Vec<String> = sim.requests().await.into_iter().map(|r| r.path).collect();
    assert!(asked.is_empty(), "no call reached Lever: {asked:?}");
}

#[tokio::test]
async fn a_500_is_not_repeated_by_the_client() {
    let sim = LeverSim::start().await;
    let credentials = credentials(&sim).await;
    let candidate = sim
        .create_candidate(tests::lever_sim::NewCandidate {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;
    sim.fail_next_on(1, 500, "addLinks", None).await;
    let links = vec!["https://stagepad.example/pad/x".to_string()];
    let error = lever_client()
        .add_links(&credentials, &candidate, &links, None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, LeverError::Status { status: 500, .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert!(sim.links(&candidate).await.is_empty());
}

#[tokio::test]
async fn calls_per_key_stay_within_the_budget() {
    let sim = LeverSim::start().await;
    let credentials = credentials(&sim).await;
    let client = lever_client();
    let calls = (0..16).map(|_| client.posting(&credentials, "missing"));
    let results = futures_util::future::join_all(calls).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(LeverError::NotFound { .. })))
    );
    assert_sixteen_calls_within_the_budget(&sim).await;
}

/// Eight at once, then eight per second: the ninth to the sixteenth are spaced by the limiter
/// (7 × 125 ms), whatever the first eight spent opening connections; Lever never said 429.
async fn assert_sixteen_calls_within_the_budget(sim: &LeverSim) {
    let requests = sim.requests().await;
    assert_eq!(requests.len(), 16);
    assert!(
        requests.iter().all(|r| r.status != 429),
        "never over Lever's limit"
    );
    let mut arrivals: Vec<_> = requests.iter().map(|r| r.at_ms).collect();
    arrivals.sort();
    let spread = arrivals[15] - arrivals[8];
    assert!(spread >= 800, "the last 8 calls took only {spread} ms");
}

#[tokio::test]
async fn instances_on_one_postgres_share_each_keys_budget() {
    let postgres = std::env::var("STAGEPAD_TEST_POSTGRES_URL").unwrap_or_default();
    if postgres.is_empty() {
        eprintln!("skipped: several instances need STAGEPAD_TEST_POSTGRES_URL");
        return;
    }
    let data_dir = tempfile::tempdir().unwrap();
    let db = sea_orm::Database::connect(tests::app::fresh_database(&data_dir).await)
        .await
        .unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    let sim = LeverSim::start().await;
    let credentials = credentials(&sim).await;
    let (one, two) = (shared_budget(&db), shared_budget(&db));
    // Eight calls from each instance: one burst of eight between them, then eight per second.
    let calls = (0..16).map(|i| {
        let client = if i % 2 == 0 { &one } else { &two };
        client.posting(&credentials, "missing")
    });
    futures_util::future::join_all(calls).await;
    assert_sixteen_calls_within_the_budget(&sim).await;
}

#[tokio::test]
async fn users_are_asked_for_by_email() {
    let sim = LeverSim::start().await;
    for i in 0..120 {
        sim.create_user(&format!("User {i}"), &format!("user{i}@example.com"))
            .await;
    }
    let gone = sim.create_user("Gone", "gone@example.com").await;
    sim.deactivate_user(&gone).await;
    let client = lever_client();
    let credentials = credentials(&sim).await;
    let users = client
        .users_by_email(&credentials, "user119@example.com", false)
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].name, "User 119");
    assert_eq!(users[0].deactivated_at, None);
    let active = client
        .users_by_email(&credentials, "gone@example.com", false)
        .await
        .unwrap();
    assert!(active.is_empty());
    let all = client
        .users_by_email(&credentials, "gone@example.com", true)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].deactivated_at.is_some());
}
