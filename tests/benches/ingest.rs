//! Benchmark: how many signed Lever deliveries a server takes in per second (signature check,
//! replay check, the delivery and its job written in one transaction). The worker is given no
//! slots, so only ingest is measured. Prints figures; asserts nothing. Run with `make bench`
//! (or `cargo bench -p tests --bench ingest`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use tests::lever_sim::{LeverSim, NewCandidate, signed_body};
use tests::spawn_app_with;

/// Deliveries in all, unless `TIME_LIMIT` comes first.
const DELIVERIES: usize = 2_000;
/// Requests in flight at once (Lever delivers from several workers).
const CONCURRENCY: usize = 16;
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// What the server's database does on each commit, as the server opens it.
async fn durability(database_url: &str) -> String {
    if !database_url.starts_with("sqlite:") {
        return "PostgreSQL".into();
    }
    let db = server::db::connect(database_url)
        .await
        .expect("the database");
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA synchronous",
        ))
        .await
        .expect("PRAGMA synchronous")
        .expect("a row");
    let level: i64 = row.try_get("", "synchronous").expect("a level");
    db.close().await.ok();
    let name = match level {
        0 => "OFF",
        1 => "NORMAL",
        2 => "FULL",
        3 => "EXTRA",
        _ => "?",
    };
    format!("SQLite, WAL, synchronous={name}")
}

#[tokio::main]
async fn main() {
    let app = spawn_app_with(|settings| settings.jobs.concurrency = 0).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(api::Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let stage = sim.stage_id("Phone interview").await;
    let candidate = sim
        .create_candidate(NewCandidate {
            name: "Bench".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    // Signed beforehand, each with its own token (a repeated token is a duplicate).
    let bodies: Vec<String> = (0..DELIVERIES)
        .map(|_| {
            signed_body(
                &lever.signature_token,
                "candidateStageChange",
                serde_json::json!({"opportunityId": candidate, "toStageId": stage}),
            )
            .to_string()
        })
        .collect();

    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let send = |_| async {
        let client = tests::app::new_client();
        let mut latencies = Vec::new();
        loop {
            let n = next.fetch_add(1, Ordering::Relaxed);
            if n >= DELIVERIES || started.elapsed() > TIME_LIMIT {
                return latencies;
            }
            let sent = Instant::now();
            let response = client
                .post(&lever.url)
                .header("content-type", "application/json")
                .body(bodies[n].clone())
                .send()
                .await
                .expect("the webhook answers");
            assert_eq!(response.status(), 200);
            latencies.push(sent.elapsed());
        }
    };
    let mut latencies: Vec<Duration> = futures_util::future::join_all((0..CONCURRENCY).map(send))
        .await
        .into_iter()
        .flatten()
        .collect();
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "{} deliveries ({CONCURRENCY} at once) in {elapsed:.2?}: {:.0} deliveries/s; \
         p50={:.2?} p99={:.2?} ({}, {} cores)",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        durability(&app.database_url).await,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
}
