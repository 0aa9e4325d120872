//! A token bucket per key: 10 requests/s, bursts of 20, 429 beyond.

use std::time::Duration;

use tests::lever_sim::{LeverSim, SimOptions, SimRequest};
use tests::poll::wait_for;

use crate::support::{Answer, get};

fn last4(key: &str) -> String {
    key[key.len() - 4..].to_string()
}

#[tokio::test]
async fn a_burst_of_25_gets_20_through_then_429s_then_refills() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let burst = (0..25).map(|_| get(&sim, &key, "/stages?limit=1"));
    let answers: Vec<Answer> = futures_util::future::join_all(burst).await;

    let limited: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(
        answers.iter().all(|a| a.status == 200 || a.status == 429),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert!(
        !limited.is_empty(),
        "25 at once are more than a burst of 20"
    );
    assert_eq!(limited[0].error_code(), "TooManyRequests");
    assert_eq!(
        limited[0].header("retry-after"),
        None,
        "off by default: Lever's behaviour is unknown"
    );

    // In arrival order, the first 20 pass; later ones only as the bucket refills (10/s).
    let log: Vec<SimRequest> = sim
        .requests()
        .await
        .into_iter()
        .filter(|r| r.key_last4 == last4(&key))
        .collect();
    assert_eq!(log.len(), 25);
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert!(statuses[..20].iter().all(|s| *s == 200), "{statuses:?}");
    let span_ms = log.last().unwrap().at_ms - log.first().unwrap().at_ms;
    let passed = statuses.iter().filter(|s| **s == 200).count() as u64;
    assert!(
        passed <= 20 + span_ms / 100 + 1,
        "{passed} passed in {span_ms} ms: {statuses:?}"
    );

    // Another key has a bucket of its own.
    let other = sim.create_api_key(None).await;
    assert_eq!(get(&sim, &other, "/stages?limit=1").await.status, 200);

    // A token comes back every 100 ms.
    wait_for("the bucket to refill", Duration::from_secs(3), || async {
        (get(&sim, &key, "/stages?limit=1").await.status == 200).then_some(())
    })
    .await;
}

#[tokio::test]
async fn retry_after_comes_only_when_the_option_says_so() {
    let sim = LeverSim::start_with(SimOptions {
        rate_limit_retry_after: true,
        ..SimOptions::default()
    })
    .await;
    let key = sim.create_api_key(None).await;
    let mut last = None;
    for _ in 0..40 {
        let answer = get(&sim, &key, "/stages?limit=1").await;
        if answer.status == 429 {
            last = Some(answer);
            break;
        }
    }
    let limited = last.expect("a 429 within 40 quick calls");
    let seconds: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!(seconds >= 1);
}

#[tokio::test]
async fn refused_and_forbidden_calls_are_logged_with_the_keys_last_four() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(Some(&["read_users"])).await;
    assert_eq!(get(&sim, &key, "/stages?limit=5").await.status, 403);
    assert_eq!(get(&sim, &key, "/users").await.status, 200);
    let log = sim.requests().await;
    assert_eq!(log.len(), 2);
    assert_eq!(
        (
            log[0].method.as_str(),
            log[0].path.as_str(),
            log[0].query.as_str()
        ),
        ("GET", "/v1/stages", "limit=5")
    );
    assert_eq!(log[0].status, 403);
    assert_eq!(log[1].status, 200);
    assert!(log.iter().all(|r| r.key_last4 == last4(&key)));
    assert!(log[0].at_ms <= log[1].at_ms && log[0].seq < log[1].seq);
    sim.clear_requests().await;
    assert!(sim.requests().await.is_empty());
}
