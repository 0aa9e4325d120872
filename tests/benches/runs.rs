//! Benchmark: running the pad's code. Prints figures; asserts nothing. Run with `make bench`.
//!
//! 1. Python "hello": from pressing Run to the first output at the socket, p50/p99, with one
//!    pad running at a time and with 8 pads running at once.
//! 2. C and Rust: compile and run, from Run to the run's end, p50.
//! 3. Runs a minute with the pool full (8 pads pressing Run again as soon as theirs ends).

use std::time::{Duration, Instant};

use api::Plan;
use tests::accounts::{Account, expect_json};
use tests::figures::percentile;
use tests::pad_client::PadClient;
use tests::{TestApp, spawn_app};

const HELLO_RUNS: usize = 40;

async fn pad(app: &TestApp, member: &Account, language: &str, code: &str) -> PadClient {
    let request = api::NewPadRequest {
        candidate_name: "Bench".into(),
        job_title: None,
        language: Some(language.into()),
    };
    let pad: api::PadSummary = expect_json(app.create_pad(member, &request).await, 201).await;
    let mut client = PadClient::join(app, &pad.id, "Bench", None).await;
    client.edit(code).await;
    client.settle_at(1).await;
    client
}

/// Presses Run and waits for the first output and the end: (first output, end).
async fn timed_run(client: &mut PadClient) -> (Option<Duration>, Duration) {
    let before = client.run.as_ref().map(|r| r.id);
    let started = Instant::now();
    client.run(None).await;
    let mut first = None;
    loop {
        let this_run = client.run.as_ref().filter(|r| Some(r.id) != before);
        if let Some(run) = this_run {
            if first.is_none() && !run.output.is_empty() {
                first = Some(started.elapsed());
            }
            if !run.status.is_active() {
                assert_eq!(run.status, api::RunStatus::Exited, "{run:?}");
                return (first, started.elapsed());
            }
        }
        assert!(client.pump().await, "the connection closed");
    }
}

/// The pad allows one run a second.
async fn pause() {
    tokio::time::sleep(Duration::from_millis(1_050)).await;
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what}: p50 {:?}  p99 {:?}  ({} runs)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.len()
    );
}

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let languages: api::LanguagesResponse =
        expect_json(app.languages(&app.client).await, 200).await;
    let runnable = |id: &str| languages.languages.iter().any(|l| l.id == id && l.runnable);
    if !runnable("python") {
        println!("python cannot run here (no sandbox?): nothing to measure");
        return;
    }

    // 1. One pad at a time.
    let mut alone = pad(&app, &member, "python", "print('hello')\n").await;
    let mut firsts = Vec::new();
    for _ in 0..HELLO_RUNS {
        let (first, _) = timed_run(&mut alone).await;
        firsts.extend(first);
        pause().await;
    }
    report("python hello, Run to first output, 1 pad", firsts);

    // 8 pads at once.
    let mut pads = Vec::new();
    for _ in 0..8 {
        pads.push(pad(&app, &member, "python", "print('hello')\n").await);
    }
    let mut firsts = Vec::new();
    for _ in 0..(HELLO_RUNS / 8).max(3) {
        let results = futures_util::future::join_all(pads.iter_mut().map(timed_run)).await;
        firsts.extend(results.into_iter().filter_map(|(first, _)| first));
        pause().await;
    }
    report("python hello, Run to first output, 8 pads at once", firsts);

    // 2. Compiled languages.
    for (language, code) in [
        (
            "c",
            "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
        ),
        ("rust", "fn main() { println!(\"hello\"); }\n"),
    ] {
        if !runnable(language) {
            println!("{language}: not installed here");
            continue;
        }
        let mut client = pad(&app, &member, language, code).await;
        let mut ends = Vec::new();
        for _ in 0..5 {
            let (_, end) = timed_run(&mut client).await;
            ends.push(end);
            pause().await;
        }
        report(&format!("{language} compile and run, Run to end"), ends);
    }

    // 3. Throughput with the pool full.
    let window = Duration::from_secs(30);
    let started = Instant::now();
    let counts = futures_util::future::join_all(pads.iter_mut().map(|client| async move {
        let mut done = 0usize;
        while started.elapsed() < window {
            let begun = Instant::now();
            timed_run(client).await;
            done += 1;
            // One run a second per pad.
            if let Some(rest) = Duration::from_millis(1_050).checked_sub(begun.elapsed()) {
                tokio::time::sleep(rest).await;
            }
        }
        done
    }))
    .await;
    let total: usize = counts.iter().sum();
    println!(
        "runs a minute with 8 pads pressing Run again at once: {:.0}",
        total as f64 * 60.0 / started.elapsed().as_secs_f64()
    );
}
