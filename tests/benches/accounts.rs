//! Benchmark: log-in cost and how well the server keeps answering while passwords are hashed.
//! Prints figures; asserts nothing. Run with `make bench`.

use std::time::{Duration, Instant};

use tests::figures::percentile;
use tests::{PASSWORD, spawn_app};

const CONCURRENT_LOGINS: usize = 20;
const ROUNDS: usize = 5;

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<34} n={:<4} p50={:>8.2?} p90={:>8.2?} p99={:>8.2?} max={:>8.2?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.90),
        percentile(&samples, 0.99),
        samples.last().unwrap()
    );
}

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;

    let mut single = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        assert_eq!(app.log_in(&admin.email, PASSWORD).await.status(), 200);
        single.push(started.elapsed());
    }
    summary("log-in, one at a time", single);

    let mut concurrent = Vec::new();
    let mut probes = Vec::new();
    let load_started = Instant::now();
    for _ in 0..ROUNDS {
        let logins = (0..CONCURRENT_LOGINS).map(|_| {
            let app = &app;
            let email = admin.email.clone();
            async move {
                let started = Instant::now();
                assert_eq!(app.log_in(&email, PASSWORD).await.status(), 200);
                started.elapsed()
            }
        });
        let probe = async {
            let client = tests::app::new_client();
            let mut seen = Vec::new();
            for _ in 0..20 {
                let started = Instant::now();
                client.get(app.url("/healthz")).send().await.unwrap();
                seen.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            seen
        };
        let (times, seen) = tokio::join!(futures_util::future::join_all(logins), probe);
        concurrent.extend(times);
        probes.extend(seen);
    }
    let elapsed = load_started.elapsed();
    let total = CONCURRENT_LOGINS * ROUNDS;
    summary(&format!("log-in, {CONCURRENT_LOGINS} at once"), concurrent);
    summary("/healthz while logging in", probes);
    println!(
        "log-in throughput: {:.1}/s on {} cores",
        total as f64 / elapsed.as_secs_f64(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
}
