//! Prometheus metrics, scraped as Prometheus would: not public unless asked for, counters that
//! move with a Lever flow and a live pad, and labels that never name a tenant.
//!
//! The recorder is the process's, so these tests are a test binary of their own: no other
//! test's Lever calls, sockets or runs move what is compared here. The second test opens no
//! socket and calls no Lever, so what the Lever flow and the pad move is exact.

use std::collections::BTreeMap;
use std::time::Duration;

use api::{ErrorCode, Plan};
use server::config::{MetricsSettings, Settings};
use tests::lever_sim::{LeverSim, NewCandidate};
use tests::pad_client::PadClient;
use tests::poll::wait_for;
use tests::{TestApp, expect_error, spawn_app, spawn_app_with};

const TOKEN: &str = "a-metrics-token-for-the-tests-0123456789";
const PHONE: &str = "Phone interview";

fn with_metrics(settings: &mut Settings) {
    settings.metrics = MetricsSettings {
        bind: Some("127.0.0.1:0".parse().expect("an address")),
        token: Some(TOKEN.to_owned().into()),
    };
    settings.runs.wall = Duration::from_secs(5);
}

/// One scrape: each series (`name{labels}`) and its value.
struct Scrape {
    text: String,
    series: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        let series = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let (key, value) = line.rsplit_once(' ').expect("a series and its value");
                let value: f64 = value.parse().expect("a number");
                let (name, labels) = match key.split_once('{') {
                    Some((name, labels)) => (name, labels.trim_end_matches('}')),
                    None => (key, ""),
                };
                let labels = labels
                    .split("\",")
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| {
                        let (label, value) = pair.split_once("=\"").expect("label=\"value\"");
                        (label.to_owned(), value.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels, value)
            })
            .collect();
        Scrape { text, series }
    }

    /// The sum of `name`'s series whose labels include all of `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.series
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, value)| value)
            .sum()
    }

    fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.series.iter().any(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
    }
}

/// Scrapes the operator's address (`STAGEPAD_METRICS_BIND`), as Prometheus would.
async fn scrape(app: &TestApp) -> Scrape {
    let port = app.metrics_port.expect("STAGEPAD_METRICS_BIND is set");
    let answer = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("the metrics answer");
    assert_eq!(answer.status(), 200);
    let content_type = answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    Scrape::parse(answer.text().await.expect("a body"))
}

/// `after` is `before` plus exactly `by` for `name` with `labels`.
fn exactly(before: &Scrape, after: &Scrape, name: &str, labels: &[(&str, &str)], by: f64) {
    let (was, is) = (before.sum(name, labels), after.sum(name, labels));
    assert!(
        (is - was - by).abs() < 1e-9,
        "{name}{labels:?} went {was} → {is}, not up by {by}; the scrape:\n{}",
        after.text
    );
}

/// `after` grew from `before` for `name` with `labels`.
fn moved(before: &Scrape, after: &Scrape, name: &str, labels: &[(&str, &str)]) {
    let (was, is) = (before.sum(name, labels), after.sum(name, labels));
    assert!(
        is > was,
        "{name}{labels:?} did not move ({was} → {is}); the scrape:\n{}",
        after.text
    );
}

#[tokio::test]
async fn a_lever_flow_and_a_live_pad_move_the_counters_and_no_label_names_a_tenant() {
    let app = spawn_app_with(with_metrics).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    let before = scrape(&app).await;
    assert!(
        before.has("stagepad_argon2_permits", &[]),
        "{}",
        before.text
    );

    // Lever answers the first read of the candidate with 429: counted, then retried.
    sim.fail_next_on(1, 429, "/opportunities/", Some(0)).await;
    let ada = sim
        .create_candidate(NewCandidate {
            name: "Ada Lovelace".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;
    let delivery = app.outcome_for(&admin, &ada).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    let link = delivery.pad_link.expect("the pad's link");
    let pad_id = api::PadId::new(link.rsplit('/').next().expect("an id"));

    // The candidate writes and runs Python; she is still connected at the next scrape.
    let mut candidate = PadClient::join(&app, &pad_id, "Ada", None).await;
    candidate.set_language("python").await;
    candidate.edit("print('hello from the pad')").await;
    candidate.settle_at(1).await;
    candidate.run(None).await;
    let run = candidate.run_ended().await;
    assert_eq!(run.status, api::RunStatus::Exited, "{run:?}");

    let after = wait_for(
        "the job's outcome to be counted",
        Duration::from_secs(10),
        || async {
            let after = scrape(&app).await;
            (after.sum(
                "stagepad_job_attempts_total",
                &[("kind", "lever_stage_change"), ("outcome", "done")],
            ) > before.sum(
                "stagepad_job_attempts_total",
                &[("kind", "lever_stage_change"), ("outcome", "done")],
            ))
            .then_some(after)
        },
    )
    .await;

    // HTTP, by route template: the webhook's key and the pad's id are not in the labels.
    moved(
        &before,
        &after,
        "stagepad_http_requests_total",
        &[
            ("method", "POST"),
            ("route", "/webhooks/lever/{key}"),
            ("status", "200"),
        ],
    );
    moved(
        &before,
        &after,
        "stagepad_http_request_duration_seconds_count",
        &[("route", "/api/pads/{id}/socket")],
    );
    exactly(
        &before,
        &after,
        "stagepad_lever_webhook_deliveries_total",
        &[("outcome", "queued")],
        1.0,
    );
    // Lever: each call by endpoint and status, its time, the 429 and the request budget.
    moved(
        &before,
        &after,
        "stagepad_lever_requests_total",
        &[("endpoint", "GET /opportunities/:id"), ("status", "200")],
    );
    moved(
        &before,
        &after,
        "stagepad_lever_requests_total",
        &[
            ("endpoint", "POST /opportunities/:id/addLinks"),
            ("status", "200"),
        ],
    );
    exactly(
        &before,
        &after,
        "stagepad_lever_rate_limited_total",
        &[("endpoint", "GET /opportunities/:id")],
        1.0,
    );
    moved(
        &before,
        &after,
        "stagepad_lever_request_duration_seconds_count",
        &[("endpoint", "GET /opportunities/:id")],
    );
    moved(
        &before,
        &after,
        "stagepad_lever_budget_wait_seconds_count",
        &[],
    );
    // The pad: edits stored, the run by language and status, and its duration.
    moved(&before, &after, "stagepad_pad_edits_stored_total", &[]);
    let python = [("language", "python"), ("status", "exited")];
    exactly(&before, &after, "stagepad_runs_total", &python, 1.0);
    exactly(
        &before,
        &after,
        "stagepad_run_duration_seconds_count",
        &python[..1],
        1.0,
    );
    // The candidate's socket and her pad's room, open now.
    exactly(&before, &after, "stagepad_pad_connections", &[], 1.0);
    exactly(&before, &after, "stagepad_pad_rooms", &[], 1.0);
    // The job queue, read from this app's database.
    for state in ["queued", "failed", "running", "dead"] {
        assert!(
            after.has("stagepad_jobs", &[("state", state)]),
            "no jobs gauge for {state}:\n{}",
            after.text
        );
    }
    assert!(after.has("stagepad_jobs_oldest_queued_seconds", &[]));
    assert!(after.has("stagepad_argon2_permits_in_use", &[]));
    // The candidate leaves: her socket and the room are counted closed.
    candidate.close().await;
    wait_for(
        "the socket and the room to close",
        Duration::from_secs(10),
        || async {
            let now = scrape(&app).await;
            let back = |name| now.sum(name, &[]) == before.sum(name, &[]);
            (back("stagepad_pad_connections") && back("stagepad_pad_rooms")).then_some(())
        },
    )
    .await;

    // Nothing of the tenant: not its people, its candidate, its pad, its keys.
    let org_id = admin.me.organization.id.to_string();
    for secret in [
        admin.email.as_str(),
        org_id.as_str(),
        ada.as_str(),
        "Ada Lovelace",
        pad_id.as_str(),
        lever.url.rsplit('/').next().expect("the webhook key"),
        lever.api_key.as_str(),
        lever.signature_token.as_str(),
        admin.me.organization.name.as_str(),
    ] {
        assert!(
            !after.text.contains(secret),
            "the scrape names {secret:?}:\n{}",
            after.text
        );
    }
}

#[tokio::test]
async fn metrics_are_served_only_where_the_operator_asked() {
    // Nothing set: no /metrics at all.
    let plain = spawn_app().await;
    expect_error(
        plain.get(&plain.client, "/metrics").await,
        404,
        ErrorCode::NotFound,
    )
    .await;
    assert_eq!(plain.metrics_port, None);

    // A token: the main port answers only its bearer.
    let app = spawn_app_with(with_metrics).await;
    expect_error(
        app.get(&app.client, "/metrics").await,
        401,
        ErrorCode::NotLoggedIn,
    )
    .await;
    let wrong = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth("a-metrics-token-for-the-tests-0123456788")
        .send()
        .await
        .unwrap();
    expect_error(wrong, 401, ErrorCode::NotLoggedIn).await;
    let right = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let text = right.text().await.unwrap();
    assert!(
        text.contains("# TYPE stagepad_http_requests_total counter"),
        "{text}"
    );
    assert!(!text.contains(TOKEN));

    // The operator's address serves the metrics and nothing else.
    let port = app.metrics_port.expect("its own port");
    assert_ne!(port, app.port);
    let api = app
        .client
        .get(format!("http://127.0.0.1:{port}/api/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    scrape(&app).await;
}
