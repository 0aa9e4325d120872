//! Property-based fuzzing (proptest) against one real server per test: the Lever webhook gets
//! arbitrary bodies, headers and methods, the pad socket arbitrary message sequences over
//! several connections. Nothing may panic or answer 5xx, every refusal is a `{code, message}`,
//! and a pad's text is always the replay of its stored edits, for a fresh joiner as for
//! everyone connected.
//!
//! Cases come from a fixed seed, so a run reproduces; `STAGEPAD_FUZZ_SEED` and
//! `STAGEPAD_FUZZ_CASES` explore further. A failure prints the smallest case proptest found.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use api::ot::Operation;
use api::{ClientMessage, ErrorCode, Plan, RefusalCode, ServerMessage};
use futures_util::{FutureExt, SinkExt, StreamExt};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use serde_json::{Value, json};
use tests::accounts::{Account, expect_json};
use tests::lever_sim::{LeverSim, sign};
use tests::pad_client::{PadClient, Socket};
use tests::{TestApp, spawn_app};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

// ---------------------------------------------------------------------------------------------
// Running cases against a live server

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// A runner drawing `default_cases` cases (or `STAGEPAD_FUZZ_CASES`) from a fixed seed (or
/// `STAGEPAD_FUZZ_SEED`).
fn runner(default_cases: u32) -> (TestRunner, u64) {
    let seed = env_number("STAGEPAD_FUZZ_SEED").unwrap_or(0x5EED_F022);
    let cases = env_number("STAGEPAD_FUZZ_CASES").map_or(default_cases, |n| n as u32);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        // Each rerun talks to the server: shrinking a failure gets a bounded number of them.
        max_shrink_iters: 64,
        ..Config::default()
    };
    (TestRunner::new(config), seed)
}

/// Runs `check` on each generated case, one after another, on the test's runtime (proptest's
/// runner is synchronous; the server keeps running on the other worker thread meanwhile).
fn run_cases<S, F, Fut>(runner: &mut TestRunner, strategy: S, check: F) -> Result<(), String>
where
    S: Strategy,
    F: Fn(S::Value) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let runtime = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |case| {
            runtime.block_on(check(case)).map_err(TestCaseError::fail)
        })
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, case)) => {
            Err(format!("{reason}\nthe smallest failing case: {case:#?}"))
        }
        Err(TestError::Abort(reason)) => Err(format!("aborted: {reason}")),
    }
}

/// Cases run (shrinking reruns included) and how many of them failed.
#[derive(Default)]
struct Counts {
    runs: AtomicUsize,
    failed: AtomicUsize,
}

impl Counts {
    async fn run(&self, check: impl Future<Output = Result<(), String>>) -> Result<(), String> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        let result = check.await;
        if result.is_err() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

/// Counts outcomes by name, for the summary line.
#[derive(Default)]
struct Tally(Mutex<BTreeMap<String, usize>>);

impl Tally {
    fn add(&self, what: impl Into<String>) {
        *self.0.lock().unwrap().entry(what.into()).or_default() += 1;
    }

    fn summary(&self) -> String {
        let counts = self.0.lock().unwrap();
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        parts.join(", ")
    }
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

// ---------------------------------------------------------------------------------------------
// Shared strategies

/// Strings a careless or hostile client sends: empty, long, control characters, NUL (which
/// PostgreSQL refuses in text), right-to-left marks, emoji, quotes.
fn odd_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-zA-Z0-9]{0,12}",
        3 => "\\PC{0,16}",
        2 => ("\\PC{0,6}", "\\PC{0,6}").prop_map(|(a, b)| format!("{a}\u{0}{b}")),
        1 => prop::sample::select(vec![
            "", " ", "\n", "\r\n", "\t", "\u{0}", "\u{7f}", "\u{feff}", "\u{202e}evil", "🦀🦀",
            "e\u{301}", "'; DROP TABLE pads; --", "../../etc/passwd", "%00", "null", "{}",
            "\u{10ffff}", "\\", "\"",
        ])
        .prop_map(String::from),
        1 => (100usize..700).prop_map(|n| "long".repeat(n / 4)),
    ]
    .boxed()
}

/// Any JSON value, nested a few levels.
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        odd_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(odd_string(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// The webhook

#[derive(Debug, Clone)]
struct WebhookCase {
    method: &'static str,
    /// Another key than the organization's (None: its real webhook URL).
    wrong_key: Option<String>,
    /// Appended to the URL: a query, a further path segment.
    suffix: String,
    headers: Vec<(String, String)>,
    json_content_type: bool,
    body: WebhookBody,
}

#[derive(Debug, Clone)]
enum WebhookBody {
    Bytes(Vec<u8>),
    Text(String),
    Json(Value),
    /// Shaped like Lever's, signed or not, with fields mutated.
    Delivery(Box<Delivery>),
    /// `len` bytes around the 64 KiB limit: a JSON delivery padded out, or just letters.
    Oversized {
        len: usize,
        as_delivery: bool,
    },
}

#[derive(Debug, Clone)]
struct Delivery {
    when: When,
    event: String,
    data: Data,
    token: String,
    signature: Signature,
    /// Fields left out of the body.
    missing: Vec<&'static str>,
    /// A field given a value of another type, after signing.
    retyped: Option<(&'static str, Value)>,
    extra: Option<(String, Value)>,
}

#[derive(Debug, Clone)]
enum When {
    /// Now, give or take (milliseconds).
    Near(i64),
    /// More than the 5 minutes ahead tolerated.
    Ahead(i64),
    /// More than 15 days ago.
    Old(i64),
    Exact(i64),
}

#[derive(Debug, Clone)]
enum Data {
    StageChange {
        opportunity_id: Value,
        selected_stage: bool,
        other_stage: Value,
    },
    Any(Value),
}

#[derive(Debug, Clone)]
enum Signature {
    Correct,
    Uppercase,
    Padded,
    /// Correct but for one hex digit.
    Flipped(Index),
    Arbitrary(String),
}

/// The fields of Lever's body.
const FIELDS: [&str; 5] = ["triggeredAt", "event", "data", "signature", "token"];

fn delivery() -> impl Strategy<Value = Delivery> {
    let when = prop_oneof![
        6 => (-120_000i64..120_000).prop_map(When::Near),
        1 => (5 * 60_000 + 1_000..i64::from(i32::MAX)).prop_map(When::Ahead),
        1 => (15 * 86_400_000 + 1_000..40 * 86_400_000i64).prop_map(When::Old),
        1 => prop_oneof![
            Just(0i64), Just(-1), Just(i64::MIN), Just(i64::MAX), any::<i64>()
        ]
        .prop_map(When::Exact),
    ];
    let event = prop_oneof![
        6 => Just("candidateStageChange".to_string()),
        2 => prop::sample::select(vec!["applicationCreated", "candidateHired", "candidateDeleted"])
            .prop_map(String::from),
        2 => odd_string(),
    ];
    let data = prop_oneof![
        4 => (
            prop_oneof![3 => "[a-z0-9-]{1,36}".prop_map(Value::from), 1 => json_value()],
            any::<bool>(),
            prop_oneof![odd_string().prop_map(Value::from), json_value()],
        )
            .prop_map(|(opportunity_id, selected_stage, other_stage)| Data::StageChange {
                opportunity_id,
                selected_stage,
                other_stage
            }),
        1 => json_value().prop_map(Data::Any),
    ];
    let token = prop_oneof![
        5 => "[a-f0-9]{48}",
        // Sent more than once: a replay.
        1 => Just("replayed-token-replayed-token-replayed-token-0000".to_string()),
        2 => odd_string(),
    ];
    let signature = prop_oneof![
        6 => Just(Signature::Correct),
        1 => Just(Signature::Uppercase),
        1 => Just(Signature::Padded),
        2 => any::<Index>().prop_map(Signature::Flipped),
        2 => odd_string().prop_map(Signature::Arbitrary),
    ];
    let missing = prop_oneof![
        6 => Just(vec![]),
        1 => prop::sample::subsequence(FIELDS.to_vec(), 1..=2),
    ];
    let retyped = prop_oneof![
        6 => Just(None),
        1 => (prop::sample::select(FIELDS.to_vec()), json_value()).prop_map(Some),
    ];
    let extra = prop_oneof![
        6 => Just(None),
        1 => (odd_string(), json_value()).prop_map(Some),
    ];
    (when, event, data, token, signature, missing, retyped, extra).prop_map(
        |(when, event, data, token, signature, missing, retyped, extra)| Delivery {
            when,
            event,
            data,
            token,
            signature,
            missing,
            retyped,
            extra,
        },
    )
}

fn header() -> impl Strategy<Value = (String, String)> {
    let name = prop_oneof![
        3 => prop::sample::select(vec![
            "content-type", "x-lever-signature", "x-signature", "x-hub-signature-256",
            "authorization", "user-agent", "cookie", "x-forwarded-for", "origin", "accept",
            "content-encoding", "accept-encoding", "x-request-id",
        ])
        .prop_map(String::from),
        1 => "x-[a-z0-9-]{1,20}",
    ];
    let value = prop_oneof![
        3 => prop::sample::select(vec![
            "application/json", "application/json; charset=utf-16", "text/plain",
            "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "gzip",
            "br", "Lever-Webhooks", "sha256=00", "", "session=forged", "127.0.0.1, 10.0.0.1",
        ])
        .prop_map(String::from),
        3 => "[ -~]{0,80}",
        // Within the 128 KiB the HTTP layer reads for a request's head, mostly.
        1 => (1usize..24_000).prop_map(|n| "v".repeat(n)),
    ];
    (name, value)
}

fn webhook_case() -> impl Strategy<Value = WebhookCase> {
    let method = prop_oneof![
        12 => Just("POST"),
        1 => prop::sample::select(vec!["GET", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    ];
    let wrong_key = prop_oneof![
        8 => Just(None),
        1 => "[A-Za-z0-9_~.%-]{1,70}".prop_map(Some),
    ];
    let body = prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..300).prop_map(WebhookBody::Bytes),
        2 => prop_oneof![
            "\\PC{0,200}",
            prop::sample::select(vec![
                "{", "{\"event\":", "[]", "null", "\"\"", "{\"triggeredAt\": 1e400}",
                "{\"triggeredAt\": 18446744073709551616, \"event\": \"x\", \"signature\": \"\", \"token\": \"\"}",
                "{\"triggeredAt\": 1, \"event\": \"\\ud800\", \"signature\": \"\", \"token\": \"\"}",
                "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
            ])
            .prop_map(String::from),
        ]
        .prop_map(WebhookBody::Text),
        2 => json_value().prop_map(WebhookBody::Json),
        8 => delivery().prop_map(|d| WebhookBody::Delivery(Box::new(d))),
        1 => (64 * 1024 - 64..64 * 1024 + 64usize, any::<bool>())
            .prop_map(|(len, as_delivery)| WebhookBody::Oversized { len, as_delivery }),
    ];
    let suffix = prop_oneof![
        12 => Just(String::new()),
        1 => prop::sample::select(vec!["?", "?a=1&a=2", "?%zz", "/", "/extra", "//", "#frag"])
            .prop_map(String::from),
    ];
    (
        method,
        wrong_key,
        suffix,
        prop::collection::vec(header(), 0..5),
        prop::bool::weighted(0.8),
        body,
    )
        .prop_map(
            |(method, wrong_key, suffix, headers, json_content_type, body)| WebhookCase {
                method,
                wrong_key,
                suffix,
                headers,
                json_content_type,
                body,
            },
        )
}

/// What a webhook case is sent to, and signed with.
struct WebhookTarget<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    url: String,
    signature_token: String,
    selected_stage: String,
    statuses: Tally,
}

impl WebhookTarget<'_> {
    fn delivery_body(&self, d: &Delivery) -> Value {
        let now = now_ms();
        let triggered_at = match d.when {
            When::Near(ms) | When::Ahead(ms) => now.saturating_add(ms),
            When::Old(ms) => now.saturating_sub(ms),
            When::Exact(ms) => ms,
        };
        let correct = sign(&self.signature_token, &d.token, triggered_at);
        let signature = match &d.signature {
            Signature::Correct => correct,
            Signature::Uppercase => correct.to_uppercase(),
            Signature::Padded => format!(" {correct}\n"),
            Signature::Flipped(at) => {
                let mut digits: Vec<char> = correct.chars().collect();
                let i = at.index(digits.len());
                digits[i] = if digits[i] == '0' { '1' } else { '0' };
                digits.into_iter().collect()
            }
            Signature::Arbitrary(s) => s.clone(),
        };
        let data = match &d.data {
            Data::StageChange {
                opportunity_id,
                selected_stage,
                other_stage,
            } => json!({
                "opportunityId": opportunity_id,
                "toStageId": if *selected_stage { Value::from(self.selected_stage.clone()) } else { other_stage.clone() },
                "fromStageId": null,
                "contactId": "c",
            }),
            Data::Any(value) => value.clone(),
        };
        let mut body = json!({
            "triggeredAt": triggered_at,
            "event": d.event,
            "data": data,
            "signature": signature,
            "token": d.token,
        });
        let fields = body.as_object_mut().expect("an object");
        for field in &d.missing {
            fields.remove(*field);
        }
        if let Some((field, value)) = &d.retyped {
            fields.insert(field.to_string(), value.clone());
        }
        if let Some((field, value)) = &d.extra {
            fields.insert(field.clone(), value.clone());
        }
        body
    }

    fn body_bytes(&self, body: &WebhookBody) -> Vec<u8> {
        match body {
            WebhookBody::Bytes(bytes) => bytes.clone(),
            WebhookBody::Text(text) => text.clone().into_bytes(),
            WebhookBody::Json(value) => value.to_string().into_bytes(),
            WebhookBody::Delivery(d) => self.delivery_body(d).to_string().into_bytes(),
            WebhookBody::Oversized { len, as_delivery } => {
                if *as_delivery {
                    let mut body = self.delivery_body(&Delivery {
                        when: When::Near(0),
                        event: "candidateStageChange".into(),
                        data: Data::Any(Value::Null),
                        token: format!("{:048x}", rand::random::<u128>()),
                        signature: Signature::Correct,
                        missing: vec![],
                        retyped: None,
                        extra: None,
                    });
                    let bare = body.to_string().len();
                    body["data"] = json!({ "padding": "p".repeat(len.saturating_sub(bare + 16)) });
                    body.to_string().into_bytes()
                } else {
                    vec![b'a'; *len]
                }
            }
        }
    }

    /// Sends one case; an error names what went wrong with the answer.
    async fn check(&self, case: WebhookCase) -> Result<(), String> {
        let url = match &case.wrong_key {
            Some(key) => self.app.url(&format!("/webhooks/lever/{key}")),
            None => self.url.clone(),
        } + &case.suffix;
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).expect("a method");
        let mut request = self
            .client
            .request(method, &url)
            .body(self.body_bytes(&case.body));
        if case.json_content_type {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in &case.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_builder() => {
                self.statuses.add("not sent (client refused the request)");
                return Ok(());
            }
            Err(e) => return Err(format!("no answer (did the server panic?): {e:?}")),
        };
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("{status}, its body unreadable: {e}"))?;
        let text = String::from_utf8_lossy(&body);
        self.statuses.add(status.to_string());
        match status {
            200..=299 => match serde_json::from_slice::<Value>(&body) {
                Ok(value) if value["status"].is_string() => Ok(()),
                _ => Err(format!("{status} without a status in JSON: {text}")),
            },
            // The HTTP layer refuses a head over its buffer before any route runs.
            431 => Ok(()),
            400..=499 => match serde_json::from_slice::<api::ErrorBody>(&body) {
                // A code this build does not know reads as `Unknown`: the server sent something new.
                Ok(error) if error.code != ErrorCode::Unknown && !error.message.is_empty() => {
                    Ok(())
                }
                _ => Err(format!("{status} without {{code, message}}: {text:?}")),
            },
            _ => Err(format!("{status}: {text}\n{}", server_errors())),
        }
    }
}

/// The server's logged errors, to show with a 5xx (other tests' errors are among them).
fn server_errors() -> String {
    let logs = tests::logs::captured();
    let errors: Vec<&str> = logs.lines().filter(|l| l.contains("ERROR")).collect();
    let tail = &errors[errors.len().saturating_sub(5)..];
    format!("last errors logged:\n{}", tail.join("\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lever_webhook_answers_arbitrary_requests_without_a_server_error() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let target = WebhookTarget {
        app: &app,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        url: lever.url.clone(),
        signature_token: lever.signature_token.clone(),
        selected_stage: sim.stage_id("Phone interview").await,
        statuses: Tally::default(),
    };
    let counts = Counts::default();
    let (mut runner, seed) = runner(300);
    let outcome = run_cases(&mut runner, webhook_case(), |case| {
        counts.run(target.check(case))
    });
    println!(
        "fuzz: {} webhook cases (seed {seed}), {} failed; answers by status: {}",
        counts.runs.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed),
        target.statuses.summary()
    );
    if let Err(failure) = outcome {
        panic!("the webhook failed a fuzz case: {failure}");
    }

    // Still serving, and still taking Lever's real deliveries.
    let health = app.get(&app.client, "/healthz").await;
    assert_eq!(health.status(), 200);
    let status = lever
        .post_stage_change(&target.client, "after-the-fuzz", "some-stage")
        .await;
    assert_eq!(status, 200, "a genuine delivery after the fuzz");
}

// ---------------------------------------------------------------------------------------------
// The pad socket

#[derive(Debug, Clone)]
struct SocketCase {
    /// Connections opened one after another, each with its first frame.
    openings: Vec<Opening>,
    /// Steps by connection (an index taken modulo the number of connections).
    steps: Vec<(usize, Step)>,
    /// For each opening: through the second instance, when there is one.
    elsewhere: Vec<bool>,
}

#[derive(Debug, Clone)]
enum Opening {
    Guest {
        name: String,
        since: Option<u64>,
    },
    /// The organization's member, by session cookie.
    Member {
        since: Option<u64>,
    },
    /// With the id and secret an earlier connection of this case was given (a reload).
    Returning {
        earlier: Index,
        since: Option<u64>,
    },
    /// An id the server never gave this joiner, with any secret.
    Claiming {
        client_id: Claim,
        secret: Option<String>,
        name: String,
    },
    /// Anything but a join first.
    NotAJoin(Frame),
}

#[derive(Debug, Clone)]
enum Claim {
    /// The member's participant id, claimed by a guest.
    Member,
    Literal(String),
}

#[derive(Debug, Clone)]
enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Step {
    /// A real edit of the text as this connection knows it: valid, though perhaps on a
    /// revision others (or this connection's unacknowledged edits) have moved past.
    Edit {
        at: Index,
        delete: usize,
        insert: String,
        /// Waits for the acknowledgement before the next step, as an editor does.
        wait: bool,
    },
    /// An operation of random components, fitted to the known text or not.
    Op {
        revision: Rev,
        seq: Seq,
        pieces: Vec<Piece>,
        fit: bool,
    },
    Language(String),
    Raw(Frame),
    Ping,
}

#[derive(Debug, Clone)]
enum Rev {
    Current,
    Behind(u64),
    Ahead(u64),
    Exact(u64),
}

#[derive(Debug, Clone)]
enum Seq {
    Next,
    Repeat,
    Skip(u64),
    Exact(u64),
}

#[derive(Debug, Clone)]
enum Piece {
    Retain(usize),
    Delete(usize),
    Insert(String),
    /// A component no client should send: 0, "", a float, null, a huge number...
    Wire(Value),
}

fn since() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        6 => Just(None),
        1 => Just(Some(0)),
        1 => (1u64..5).prop_map(Some),
        1 => Just(Some(u64::MAX)),
    ]
}

fn guest_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[A-Z][a-z]{1,10}",
        1 => odd_string(),
        1 => Just("x".repeat(51)),
    ]
}

fn frame() -> BoxedStrategy<Frame> {
    prop_oneof![
        2 => "\\PC{0,40}".prop_map(Frame::Text),
        3 => prop::sample::select(vec![
            r#"{"type":"join","name":"Again"}"#,
            r#"{"type":"op"}"#,
            r#"{"type":"op","revision":0,"seq":1,"op":[]}"#,
            r#"{"type":"op","revision":-1,"seq":1,"op":["a"]}"#,
            r#"{"type":"op","revision":0,"seq":1,"op":["\ud800"]}"#,
            r#"{"type":"op","revision":1e3,"seq":1,"op":[1]}"#,
            r#"{"type":"op","revision":18446744073709551616,"seq":1,"op":[1]}"#,
            r#"{"type":"op","revision":0,"seq":18446744073709551615,"op":["a"]}"#,
            r#"{"type":"op","revision":0,"seq":0,"op":["a"]}"#,
            r#"{"type":"op","revision":0,"seq":1,"op":[9223372036854775807]}"#,
            r#"{"type":"op","revision":0,"seq":1,"op":[-9223372036854775808]}"#,
            r#"{"type":"op","revision":0,"seq":1,"op":["a",100000000,100000000]}"#,
            r#"{"type":"op","revision":0,"seq":1,"op":["a"],"op":["b"]}"#,
            r#"{"type":"language","language":null}"#,
            r#"{"type":"language"}"#,
            r#"{"type":"ended"}"#,
            r#"{"type":"welcome"}"#,
            r#"{"type":"nope"}"#,
            "[]",
            "null",
            "",
        ])
        .prop_map(|s| Frame::Text(s.to_string())),
        2 => json_value().prop_map(|v| Frame::Text(v.to_string())),
        2 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Frame::Binary),
        // Past the 256 KiB a message may have.
        1 => prop_oneof![
            Just(Frame::Text("x".repeat(300 * 1024))),
            Just(Frame::Text(format!(
                r#"{{"type":"op","revision":0,"seq":1,"op":["{}"]}}"#,
                "y".repeat(250 * 1024)
            ))),
        ],
    ]
    .boxed()
}

fn opening() -> impl Strategy<Value = Opening> {
    let claimed_id = prop_oneof![
        2 => Just(Claim::Member),
        3 => "[a-zA-Z0-9-]{8,64}".prop_map(Claim::Literal),
        2 => odd_string().prop_map(Claim::Literal),
    ];
    let secret = prop_oneof![
        1 => Just(None),
        3 => "[A-Za-z0-9_-]{0,50}".prop_map(Some),
        1 => Just(Some("s".repeat(129))),
        1 => odd_string().prop_map(Some),
    ];
    prop_oneof![
        5 => (guest_name(), since()).prop_map(|(name, since)| Opening::Guest { name, since }),
        2 => since().prop_map(|since| Opening::Member { since }),
        2 => (any::<Index>(), since())
            .prop_map(|(earlier, since)| Opening::Returning { earlier, since }),
        2 => (claimed_id, secret, guest_name()).prop_map(|(client_id, secret, name)| {
            Opening::Claiming { client_id, secret, name }
        }),
        1 => frame().prop_map(Opening::NotAJoin),
    ]
}

fn inserted_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-z {}();\n]{1,8}",
        1 => "\\PC{1,6}",
        1 => prop::sample::select(vec!["\u{0}", "\r\n", "🦀", "e\u{301}", "\u{feff}", "\t"])
            .prop_map(String::from),
    ]
    .boxed()
}

fn step() -> impl Strategy<Value = Step> {
    let revision = prop_oneof![
        8 => Just(Rev::Current),
        2 => (1u64..4).prop_map(Rev::Behind),
        2 => (1u64..4).prop_map(Rev::Ahead),
        1 => prop_oneof![Just(0u64), Just(u64::MAX), Just(i64::MAX as u64 + 1), any::<u64>()]
            .prop_map(Rev::Exact),
    ];
    let seq = prop_oneof![
        8 => Just(Seq::Next),
        2 => Just(Seq::Repeat),
        1 => (2u64..5).prop_map(Seq::Skip),
        1 => prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()].prop_map(Seq::Exact),
    ];
    let piece = prop_oneof![
        6 => (1usize..12).prop_map(Piece::Retain),
        4 => (1usize..6).prop_map(Piece::Delete),
        6 => inserted_text().prop_map(Piece::Insert),
        1 => prop::sample::select(vec![
            json!(0), json!(""), json!(1.5), json!(null), json!([]), json!({}), json!(true),
            json!(i64::MIN), json!(i64::MAX), json!(100_000_001), json!(-100_000_001),
            json!(u64::MAX),
        ])
        .prop_map(Piece::Wire),
    ];
    prop_oneof![
        8 => (
            any::<Index>(),
            0usize..4,
            prop_oneof![2 => Just(String::new()), 3 => inserted_text()],
            prop::bool::weighted(0.7),
        )
            .prop_map(|(at, delete, insert, wait)| Step::Edit { at, delete, insert, wait }),
        4 => (revision, seq, prop::collection::vec(piece, 0..6), prop::bool::weighted(0.75))
            .prop_map(|(revision, seq, pieces, fit)| Step::Op { revision, seq, pieces, fit }),
        1 => prop_oneof![
            prop::sample::select(api::LANGUAGES.iter().map(|(id, _)| *id).collect::<Vec<_>>())
                .prop_map(String::from),
            odd_string(),
        ]
        .prop_map(Step::Language),
        1 => frame().prop_map(Step::Raw),
        1 => Just(Step::Ping),
    ]
}

fn socket_case() -> impl Strategy<Value = SocketCase> {
    (
        prop::collection::vec(opening(), 1..=3),
        prop::collection::vec((0usize..3, step()), 0..32),
        prop::collection::vec(any::<bool>(), 3),
    )
        .prop_map(|(openings, steps, elsewhere)| SocketCase {
            openings,
            steps,
            elsewhere,
        })
}

/// One fuzzed connection and what it learnt of the pad: the server's text at `revision`, as
/// the server's own broadcasts built it.
struct Conn {
    socket: Option<Socket>,
    client_id: Option<String>,
    secret: Option<String>,
    /// Unknown after a welcome that sent edits since a revision instead of the text.
    text: Option<String>,
    revision: u64,
    /// The highest of this participant's edit numbers the server confirmed.
    last_seq: u64,
    /// The highest edit number this connection's editor-like edits used.
    sent_seq: u64,
    /// Errors the server sent; each closes the connection.
    errors: Vec<RefusalCode>,
    /// This side sent a close: the server's close that follows needs no error first.
    closing: bool,
    /// Answers to [`BARRIER`] pings.
    pongs: usize,
}

/// Whatever the server does wrong, in words; the case fails when there is any.
type Findings = Vec<String>;

/// The payload of the ping that proves a connection's earlier messages were handled.
const BARRIER: &[u8] = b"barrier";

/// Error codes that stand for a failure of the server, not of the input.
const SERVER_FAULTS: [RefusalCode; 2] = [RefusalCode::StorageFailed, RefusalCode::CorruptHistory];

impl Conn {
    fn handle(&mut self, message: Option<Message>, findings: &mut Findings) {
        let text = match message {
            Some(Message::Text(text)) => text,
            // Only the barrier's: a step's ping may be answered late.
            Some(Message::Pong(payload)) => {
                if payload.as_ref() == BARRIER {
                    self.pongs += 1;
                }
                return;
            }
            Some(Message::Close(_)) | None => {
                if !self.closing && self.errors.is_empty() {
                    findings.push(format!(
                        "{:?}: the server closed the connection without an error message",
                        self.client_id
                    ));
                }
                self.socket = None;
                return;
            }
            Some(_) => return,
        };
        let message: ServerMessage = match serde_json::from_str(&text) {
            Ok(message) => message,
            Err(e) => {
                findings.push(format!("not a server message ({e}): {}", text.as_str()));
                return;
            }
        };
        match message {
            ServerMessage::Welcome {
                client_id,
                secret,
                revision,
                text,
                last_seq,
                ..
            } => {
                if self.client_id.is_some() {
                    findings.push(format!("a second welcome on {client_id}"));
                }
                self.client_id = Some(client_id);
                self.secret = secret;
                self.revision = revision;
                // Edits since `revision` follow; from revision 0 the text they start on is known.
                self.text = text.or((revision == 0).then(String::new));
                self.last_seq = last_seq;
            }
            ServerMessage::Op {
                revision,
                client_id,
                seq,
                op,
            } => {
                // Subscribed before the welcome was taken: what it covered comes again.
                if revision <= self.revision {
                    return;
                }
                if revision != self.revision + 1 {
                    findings.push(format!(
                        "revision {revision} broadcast to a connection at {}",
                        self.revision
                    ));
                }
                if let Some(known) = &self.text {
                    match op.apply(known) {
                        Ok(next) => self.text = Some(next),
                        Err(e) => findings.push(format!(
                            "revision {revision} does not apply to the text at {}: {e}",
                            self.revision
                        )),
                    }
                }
                self.revision = revision;
                if Some(&client_id) == self.client_id.as_ref() {
                    self.last_seq = self.last_seq.max(seq);
                }
            }
            ServerMessage::Error { code, message } => {
                if SERVER_FAULTS.contains(&code) {
                    findings.push(format!("server fault {code}: {message}"));
                }
                self.errors.push(code);
            }
            ServerMessage::Participants { .. }
            | ServerMessage::Language { .. }
            | ServerMessage::Run { .. }
            | ServerMessage::RunOutput { .. }
            | ServerMessage::Cursor { .. }
            | ServerMessage::Ended => {}
        }
    }

    /// Takes in whatever has arrived, without waiting.
    fn pump_ready(&mut self, findings: &mut Findings) {
        while let Some(socket) = self.socket.as_mut() {
            let Some(next) = socket.next().now_or_never() else {
                return;
            };
            self.handle(next.and_then(Result::ok), findings);
        }
    }

    /// Takes in the next message, waiting at most until `deadline`; false if none came.
    async fn pump(&mut self, deadline: tokio::time::Instant, findings: &mut Findings) -> bool {
        let Some(socket) = self.socket.as_mut() else {
            return false;
        };
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(next) => {
                self.handle(next.and_then(Result::ok), findings);
                true
            }
            Err(_) => false,
        }
    }

    /// Pumps until `done` holds or the connection closes; a finding if the deadline passes.
    async fn pump_until(
        &mut self,
        what: &str,
        findings: &mut Findings,
        done: impl Fn(&Conn) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.socket.is_some() && !done(self) {
            if !self.pump(deadline, findings).await {
                findings.push(format!("{:?}: no {what} within 10 s", self.client_id));
                return;
            }
        }
    }

    async fn send(&mut self, message: Message) {
        if let Some(socket) = self.socket.as_mut()
            && socket.send(message).await.is_err()
        {
            // Closed meanwhile: what the server said before is read by the next pump.
        }
    }
}

fn frame_message(frame: &Frame) -> Message {
    match frame {
        Frame::Text(text) => Message::text(text.clone()),
        Frame::Binary(bytes) => Message::binary(bytes.clone()),
    }
}

/// The wire form of `pieces`. Fitted, lengths are cut to what the text has and the rest is
/// retained, so the operation covers the text (unless odd wire components spoil it).
fn op_components(pieces: &[Piece], text_len: usize, fit: bool) -> Vec<Value> {
    let mut left = text_len;
    let mut out = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Retain(n) | Piece::Delete(n) => {
                let n = if fit { (*n).min(left) } else { *n };
                if n == 0 {
                    continue;
                }
                left = left.saturating_sub(n);
                let signed = n as i64;
                out.push(json!(if matches!(piece, Piece::Retain(_)) {
                    signed
                } else {
                    -signed
                }));
            }
            Piece::Insert(s) => out.push(json!(s)),
            Piece::Wire(v) => out.push(v.clone()),
        }
    }
    if fit && left > 0 {
        out.push(json!(left));
    }
    out
}

/// The server (two instances of it on PostgreSQL), the organization's member, and the
/// member's session for sockets.
struct SocketTarget<'a> {
    instances: Vec<&'a TestApp>,
    member: Account,
    cookie: String,
    member_client_id: String,
    refusals: Tally,
    edits: AtomicUsize,
    stored: AtomicUsize,
}

impl SocketTarget<'_> {
    async fn open(
        &self,
        app: &TestApp,
        pad_id: &api::PadId,
        member: bool,
    ) -> Result<Option<Socket>, String> {
        let url = format!("ws://127.0.0.1:{}/api/pads/{pad_id}/socket", app.port);
        let mut request = url.into_client_request().expect("a websocket request");
        if member {
            request
                .headers_mut()
                .insert("cookie", self.cookie.parse().expect("a cookie header"));
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(Some(socket)),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let status = response.status().as_u16();
                if status >= 500 {
                    return Err(format!("the socket answered {status}"));
                }
                self.refusals.add(format!("http {status}"));
                Ok(None)
            }
            Err(e) => Err(format!("the socket did not open: {e}")),
        }
    }

    async fn check(&self, case: SocketCase) -> Result<(), String> {
        let app = self.instances[0];
        let request = api::NewPadRequest {
            candidate_name: "Fuzz".into(),
            job_title: None,
            language: Some("python".into()),
        };
        let created = app.create_pad(&self.member, &request).await;
        let pad: api::PadSummary = expect_json(created, 201).await;
        let mut findings = Findings::new();
        let mut conns: Vec<Conn> = Vec::new();

        for (i, opening) in case.openings.iter().enumerate() {
            let instance = if case.elsewhere[i] {
                self.instances[self.instances.len() - 1]
            } else {
                app
            };
            let member = matches!(opening, Opening::Member { .. });
            let first = match opening {
                Opening::Guest { name, since } => Frame::Text(join_text(None, None, name, *since)),
                Opening::Member { since } => Frame::Text(join_text(None, None, "Member", *since)),
                Opening::Returning { earlier, since } => {
                    let known: Vec<&Conn> = conns.iter().filter(|c| c.secret.is_some()).collect();
                    if known.is_empty() {
                        Frame::Text(join_text(None, None, "Returning", *since))
                    } else {
                        let c = known[earlier.index(known.len())];
                        Frame::Text(join_text(
                            c.client_id.as_deref(),
                            c.secret.as_deref(),
                            "Returning",
                            *since,
                        ))
                    }
                }
                Opening::Claiming {
                    client_id,
                    secret,
                    name,
                } => {
                    let id = match client_id {
                        Claim::Member => self.member_client_id.as_str(),
                        Claim::Literal(id) => id.as_str(),
                    };
                    Frame::Text(join_text(Some(id), secret.as_deref(), name, None))
                }
                Opening::NotAJoin(frame) => frame.clone(),
            };
            let socket = self.open(instance, &pad.id, member).await?;
            let mut conn = Conn {
                socket,
                client_id: None,
                secret: None,
                text: None,
                revision: 0,
                last_seq: 0,
                sent_seq: 0,
                errors: Vec::new(),
                closing: false,
                pongs: 0,
            };
            conn.send(frame_message(&first)).await;
            // The welcome, or the refusal and the close.
            conn.pump_until("welcome or refusal", &mut findings, |c| {
                c.client_id.is_some()
            })
            .await;
            conns.push(conn);
        }

        for (who, step) in &case.steps {
            let n = conns.len();
            let conn = &mut conns[who % n];
            match step {
                Step::Edit {
                    at,
                    delete,
                    insert,
                    wait,
                } => {
                    let Some(old) = conn.text.clone() else {
                        continue;
                    };
                    if conn.socket.is_none() {
                        continue;
                    }
                    let mut chars: Vec<char> = old.chars().collect();
                    let at = at.index(chars.len() + 1);
                    let end = (at + delete).min(chars.len());
                    chars.splice(at..end, insert.chars());
                    let new: String = chars.into_iter().collect();
                    let op = Operation::diff(&old, &new);
                    if op.is_noop() {
                        continue;
                    }
                    let seq = conn.last_seq.max(conn.sent_seq) + 1;
                    conn.sent_seq = seq;
                    let message = ClientMessage::Op {
                        revision: conn.revision,
                        seq,
                        op,
                    };
                    conn.send(Message::text(serde_json::to_string(&message).unwrap()))
                        .await;
                    self.edits.fetch_add(1, Ordering::Relaxed);
                    if *wait {
                        conn.pump_until("acknowledgement", &mut findings, |c| c.last_seq >= seq)
                            .await;
                    }
                }
                Step::Op {
                    revision,
                    seq,
                    pieces,
                    fit,
                } => {
                    let len = conn.text.as_ref().map_or(0, |t| t.chars().count());
                    let revision = match revision {
                        Rev::Current => conn.revision,
                        Rev::Behind(k) => conn.revision.saturating_sub(*k),
                        Rev::Ahead(k) => conn.revision + k,
                        Rev::Exact(r) => *r,
                    };
                    let seq = match seq {
                        Seq::Next => conn.last_seq + 1,
                        Seq::Repeat => conn.last_seq,
                        Seq::Skip(k) => conn.last_seq + k,
                        Seq::Exact(s) => *s,
                    };
                    let message = json!({
                        "type": "op",
                        "revision": revision,
                        "seq": seq,
                        "op": op_components(pieces, len, *fit),
                    });
                    conn.send(Message::text(message.to_string())).await;
                }
                Step::Language(language) => {
                    let message = ClientMessage::Language {
                        language: language.clone(),
                    };
                    conn.send(Message::text(serde_json::to_string(&message).unwrap()))
                        .await;
                }
                Step::Raw(frame) => conn.send(frame_message(frame)).await,
                Step::Ping => conn.send(Message::Ping(b"step".to_vec().into())).await,
            }
            for conn in conns.iter_mut() {
                conn.pump_ready(&mut findings);
            }
        }

        // A ping answered means everything sent before it on that connection was handled.
        for conn in conns.iter_mut() {
            let pongs = conn.pongs;
            conn.send(Message::Ping(BARRIER.to_vec().into())).await;
            conn.pump_until("pong", &mut findings, |c| c.pongs > pongs)
                .await;
        }

        let history: api::PadHistory =
            expect_json(app.pad_history(&self.member, &pad.id, "").await, 200).await;
        let mut replayed = String::new();
        for (i, entry) in history.operations.iter().enumerate() {
            if entry.revision != i as u64 + 1 {
                findings.push(format!("history has revision {} at {i}", entry.revision));
            }
            match entry.op.apply(&replayed) {
                Ok(text) => replayed = text,
                Err(e) => findings.push(format!("stored edit {} does not apply: {e}", i + 1)),
            }
        }
        if replayed != history.final_text {
            findings.push(format!(
                "the stored edits replay to {replayed:?}, the history says {:?}",
                history.final_text
            ));
        }
        let revision = history.operations.len() as u64;
        self.stored
            .fetch_add(history.operations.len(), Ordering::Relaxed);

        // The rooms are still open: what they hold must be what storage holds.
        for (n, instance) in self.instances.iter().enumerate() {
            let fresh = PadClient::join(instance, &pad.id, "Fresh eyes", None).await;
            if fresh.doc.text != replayed || fresh.doc.revision != revision {
                findings.push(format!(
                    "a fresh joiner on instance {n} sees {:?} at {}, storage replays {replayed:?} at {revision}",
                    fresh.doc.text, fresh.doc.revision
                ));
            }
            if fresh.language != history.language {
                findings.push(format!(
                    "a fresh joiner on instance {n} sees language {}, storage says {}",
                    fresh.language, history.language
                ));
            }
            fresh.close().await;
        }
        for conn in conns.iter_mut() {
            conn.pump_until("the last edits", &mut findings, |c| {
                c.text.is_none() || c.revision >= revision
            })
            .await;
            if let (Some(_), Some(text)) = (&conn.socket, &conn.text)
                && (*text != replayed || conn.revision != revision)
            {
                findings.push(format!(
                    "{:?} shows {text:?} at {}, storage replays {replayed:?} at {revision}",
                    conn.client_id, conn.revision
                ));
            }
        }

        for conn in conns.iter_mut() {
            conn.closing = true;
            conn.send(Message::Close(None)).await;
            conn.pump_until("close", &mut findings, |_| false).await;
            for code in &conn.errors {
                self.refusals.add(code.as_str());
            }
        }
        if findings.is_empty() {
            Ok(())
        } else {
            Err(findings.join("\n"))
        }
    }
}

fn join_text(
    client_id: Option<&str>,
    secret: Option<&str>,
    name: &str,
    since: Option<u64>,
) -> String {
    serde_json::to_string(&ClientMessage::Join {
        client_id: client_id.map(String::from),
        secret: secret.map(String::from),
        name: Some(name.into()),
        since_revision: since,
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pad_socket_survives_arbitrary_message_sequences_and_keeps_text_and_storage_equal() {
    let app = spawn_app().await;
    // On PostgreSQL, connections go through two instances of one database, as deployed.
    let second = if app.uses_postgres() {
        Some(app.another_instance().await)
    } else {
        None
    };
    let member = app.sign_up(Plan::Team).await;
    let cookie = app.session_cookie(&member).await;
    let target = SocketTarget {
        instances: [Some(&app), second.as_ref()]
            .into_iter()
            .flatten()
            .collect(),
        member_client_id: format!("m{}", member.id().as_uuid().simple()),
        member,
        cookie,
        refusals: Tally::default(),
        edits: AtomicUsize::new(0),
        stored: AtomicUsize::new(0),
    };
    let counts = Counts::default();
    let (mut runner, seed) = runner(150);
    let outcome = run_cases(&mut runner, socket_case(), |case| {
        counts.run(target.check(case))
    });
    println!(
        "fuzz: {} pad socket sequences (seed {seed}) on {} instance(s), {} failed; {} edits sent as an editor would, {} edits stored; refusals by code: {}",
        counts.runs.load(Ordering::Relaxed),
        target.instances.len(),
        counts.failed.load(Ordering::Relaxed),
        target.edits.load(Ordering::Relaxed),
        target.stored.load(Ordering::Relaxed),
        target.refusals.summary()
    );
    if let Err(failure) = outcome {
        panic!("the pad socket failed a fuzz case: {failure}");
    }
    let health = app.get(&app.client, "/healthz").await;
    assert_eq!(health.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// What the fuzzing found, kept as plain regression tests

/// PostgreSQL refuses NUL in text: a delivery carrying one in its event, token or data was a
/// 500 there (found by the webhook fuzz).
#[tokio::test]
async fn nul_characters_in_a_delivery_are_recorded_without_a_server_error() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let stage = sim.stage_id("Phone interview").await;
    let post = |body: Value| app.client.post(&lever.url).json(&body).send();
    let signed = |event: &str, token: &str, data: Value| {
        let at = now_ms();
        json!({"triggeredAt": at, "event": event, "data": data, "token": token,
            "signature": sign(&lever.signature_token, token, at)})
    };

    let forged = json!({"triggeredAt": now_ms(), "event": "candidate\u{0}StageChange",
        "data": {}, "token": "t".repeat(48), "signature": "0".repeat(64)});
    tests::expect_error(
        post(forged).await.unwrap(),
        401,
        ErrorCode::InvalidSignature,
    )
    .await;
    let nul_data = signed(
        "candidateStageChange",
        &"a".repeat(48),
        json!({"opportunityId": "o\u{0}1", "toStageId": stage}),
    );
    let answer: Value = expect_json(post(nul_data).await.unwrap(), 200).await;
    assert_eq!(answer["status"], api::DeliveryStatus::Queued.as_str());
    // A stage id with a NUL is no stage anybody selected: decided at once.
    let nul_stage = signed(
        "candidateStageChange",
        &"d".repeat(48),
        json!({"opportunityId": "o3", "toStageId": format!("{stage}\u{0}")}),
    );
    let answer: Value = expect_json(post(nul_stage).await.unwrap(), 200).await;
    assert_eq!(answer["status"], api::DeliveryStatus::Ignored.as_str());
    let nul_event = signed("other\u{0}event", &"b".repeat(48), json!({}));
    let answer: Value = expect_json(post(nul_event).await.unwrap(), 200).await;
    assert_eq!(answer["status"], api::DeliveryStatus::Ignored.as_str());
    let nul_token = signed(
        "candidateStageChange",
        "c\u{0}",
        json!({"opportunityId": "o2"}),
    );
    // Without a toStageId the stage change is malformed: ignored at once, its token kept.
    let answer: Value = expect_json(post(nul_token.clone()).await.unwrap(), 200).await;
    assert_eq!(answer["status"], api::DeliveryStatus::Ignored.as_str());
    let answer: Value = expect_json(post(nul_token).await.unwrap(), 200).await;
    assert_eq!(
        answer["status"],
        api::DeliveryStatus::Duplicate.as_str(),
        "the same token again is a replay"
    );

    let deliveries = app.settled_deliveries(&admin).await;
    assert_eq!(deliveries.len(), 6);
    let stage_change = deliveries
        .iter()
        .find(|d| {
            d.opportunity_id
                .as_deref()
                .is_some_and(|o| o.starts_with('o') && o.ends_with('1'))
        })
        .expect("the stage change with NUL in its data");
    assert_ne!(stage_change.status, api::DeliveryStatus::Queued);
}

/// The same NUL, typed into the new-pad form: a 500 on PostgreSQL; now refused by name, like
/// any other control character, on both databases.
#[tokio::test]
async fn control_characters_in_a_new_pads_fields_are_refused_by_name() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let new_pad = |candidate: &str, job: Option<&str>| api::NewPadRequest {
        candidate_name: candidate.into(),
        job_title: job.map(String::from),
        language: None,
    };
    for (request, field) in [
        (new_pad("A\u{0}da", None), "candidate_name"),
        (new_pad("Ada\nLovelace", None), "candidate_name"),
        (new_pad("Ada", Some("Back\u{0}end")), "job_title"),
    ] {
        let answer = app.create_pad(&member, &request).await;
        let message = tests::expect_error(answer, 422, ErrorCode::InvalidField).await;
        assert!(message.contains(field), "{message}");
    }
    let fine = app
        .post(
            &member.client,
            "/api/pads",
            &new_pad(" Ada 🦀 ", Some("Back-end")),
        )
        .await;
    let pad: api::PadSummary = expect_json(fine, 201).await;
    assert_eq!(pad.candidate_name, "Ada 🦀");
}
