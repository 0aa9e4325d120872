//! Benchmark: live pads under load, and opening a long playback. Prints figures; asserts
//! nothing. Run with `make bench`.
//!
//! 1. 200 pads, two participants each, each typing 5 characters a second: the time from one
//!    participant sending an edit to the other receiving it (socket level), p50/p90/p99.
//! 2. A pad with 20,000 stored edits: the history request, then building the timeline and
//!    the first frame (the final text, coloured), as the console does (natively here; the
//!    wasm console is slower by a small factor).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::ot::{ClientDoc, Operation, Outgoing, ServerOpEffect};
use api::{ClientMessage, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use sea_orm::{Database, EntityTrait, Set};
use tests::accounts::expect_json;
use tests::pad_client::open_socket;
use tests::spawn_app;
use tokio_tungstenite::tungstenite::Message;

const PADS: usize = 200;
const TYPING_INTERVAL: Duration = Duration::from_millis(200);
const RUN_FOR: Duration = Duration::from_secs(20);
const PLAYBACK_EDITS: usize = 20_000;

type Sent = Arc<Mutex<HashMap<(String, u64), Instant>>>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn op_message(out: Outgoing) -> Message {
    Message::text(
        serde_json::to_string(&ClientMessage::Op {
            revision: out.revision,
            seq: out.seq,
            op: out.op,
        })
        .unwrap(),
    )
}

/// One participant: types a character every 200 ms at a random place, applies what the other
/// types, and records how long the other's edits took to arrive.
async fn participant(
    app: &tests::TestApp,
    pad_id: api::PadId,
    name: String,
    sent: Sent,
    latencies: Arc<Mutex<Vec<Duration>>>,
    stop_at: tokio::time::Instant,
) {
    let mut socket = open_socket(app, &pad_id, None).await;
    let join = ClientMessage::Join {
        client_id: None,
        secret: None,
        name: Some(name.clone()),
        since_revision: None,
    };
    // Given by the server in its welcome.
    let mut client_id = String::new();
    socket
        .send(Message::text(serde_json::to_string(&join).unwrap()))
        .await
        .unwrap();
    let mut doc = ClientDoc::default();
    let (mut sink, mut stream) = socket.split();
    let mut ticker = tokio::time::interval(TYPING_INTERVAL);
    let mut typed = 0u64;
    let mut welcomed = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if tokio::time::Instant::now() >= stop_at { break; }
                // Typing starts once the welcome brought the text, as in the console.
                if !welcomed { continue; }
                typed += 1;
                let chars: Vec<char> = doc.text.chars().collect();
                let at = (typed as usize * 7919) % (chars.len() + 1);
                let mut next: String = chars[..at].iter().collect();
                next.push(char::from(b'a' + (typed % 26) as u8));
                next.extend(&chars[at..]);
                if let Some(out) = doc.edit(&next) {
                    sent.lock().unwrap().insert((client_id.clone(), out.seq), Instant::now());
                    sink.send(op_message(out)).await.unwrap();
                }
            }
            message = stream.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    other => {
                        eprintln!("{name}: connection ended early: {other:?}");
                        break;
                    }
                };
                match serde_json::from_str::<ServerMessage>(&text).unwrap() {
                    ServerMessage::Welcome { client_id: given, revision, text, last_seq, .. } => {
                        client_id = given;
                        doc = ClientDoc::new(text.unwrap_or_default(), revision).with_next_seq(last_seq);
                        welcomed = true;
                    }
                    ServerMessage::Op { revision, client_id: author, seq, op } => {
                        if author != client_id
                            && let Some(at) = sent.lock().unwrap().remove(&(author.clone(), seq))
                        {
                            latencies.lock().unwrap().push(at.elapsed());
                        }
                        let effect = doc.on_server_op(&client_id, revision, &author, seq, &op).unwrap();
                        if let ServerOpEffect::Acknowledged { next: Some(out) } = effect {
                            sent.lock().unwrap().insert((client_id.clone(), out.seq), Instant::now());
                            sink.send(op_message(out)).await.unwrap();
                        }
                    }
                    ServerMessage::Error { code, message } => panic!("{code}: {message}"),
                    _ => {}
                }
            }
        }
    }
    let _ = sink.close().await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let app = Arc::new(spawn_app().await);
    let member = app.sign_up(api::Plan::Team).await;
    let mut pads = Vec::new();
    for i in 0..PADS {
        let pad: api::PadSummary = expect_json(
            app.post(
                &member.client,
                "/api/pads",
                &api::NewPadRequest {
                    candidate_name: format!("Candidate {i}"),
                    job_title: None,
                    language: None,
                },
            )
            .await,
            201,
        )
        .await;
        pads.push(pad.id);
    }

    let sent: Sent = Arc::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let stop_at = tokio::time::Instant::now() + RUN_FOR;
    let mut tasks = Vec::new();
    for (i, pad_id) in pads.iter().enumerate() {
        for who in ["a", "b"] {
            let app = app.clone();
            let (pad_id, sent, latencies) = (pad_id.clone(), sent.clone(), latencies.clone());
            let name = format!("bench-{i:04}-{who}");
            tasks.push(tokio::spawn(async move {
                participant(&app, pad_id, name, sent, latencies, stop_at).await
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut samples = latencies.lock().unwrap().clone();
    samples.sort();
    let database = if app.uses_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "live edits: {PADS} pads x 2 participants x 5 chars/s for {RUN_FOR:?} ({} on {database})",
        samples.len(),
    );
    println!(
        "  edit to the other's socket: p50={:.2?} p90={:.2?} p99={:.2?} max={:.2?} ({:.0} edits/s delivered)",
        percentile(&samples, 0.50),
        percentile(&samples, 0.90),
        percentile(&samples, 0.99),
        samples.last().unwrap(),
        samples.len() as f64 / RUN_FOR.as_secs_f64()
    );

    // A long interview: 20,000 edits stored, then opened for playback.
    let pad: api::PadSummary = expect_json(
        app.post(
            &member.client,
            "/api/pads",
            &api::NewPadRequest {
                candidate_name: "Long interview".into(),
                job_title: None,
                language: None,
            },
        )
        .await,
        201,
    )
    .await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let mut text_len = 0usize;
    let mut rows = Vec::with_capacity(PLAYBACK_EDITS);
    for revision in 1..=PLAYBACK_EDITS {
        let op = if revision % 5 == 0 {
            Operation::new().retain(text_len - 1).delete(1)
        } else {
            let at = (revision * 7919) % (text_len + 1);
            Operation::new()
                .retain(at)
                .insert(if revision % 40 == 0 { "\n" } else { "x" })
                .retain(text_len - at)
        };
        text_len = op.target_len();
        rows.push(entity::pad_operation::ActiveModel {
            pad_id: Set(pad.id.clone()),
            revision: Set(revision as i64),
            client_id: Set(["bench-a", "bench-b"][revision % 2].into()),
            seq: Set(revision as i64),
            at_ms: Set(1_800_000_000_000 + revision as i64 * 150),
            op: Set(serde_json::to_string(&op).unwrap()),
        });
    }
    for (i, client_id) in ["bench-a", "bench-b"].into_iter().enumerate() {
        entity::pad_participant::Entity::insert(entity::pad_participant::ActiveModel {
            pad_id: Set(pad.id.clone()),
            client_id: Set(client_id.into()),
            name: Set(format!("Participant {i}")),
            color: Set(api::PARTICIPANT_COLORS[i].into()),
            user_id: Set(None),
            joined_at: Set(time::OffsetDateTime::now_utc()),
            secret_hash: Set(None),
            connected_at: Set(None),
        })
        .exec(&db)
        .await
        .unwrap();
    }
    for chunk in rows.chunks(1_000) {
        entity::pad_operation::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    let started = Instant::now();
    // Every page, as the console fetches them (pages hold at most 5,000 edits).
    let path = format!("/api/pads/{}/history", pad.id);
    let mut history: api::PadHistory = expect_json(app.get(&member.client, &path).await, 200).await;
    while let Some(after) = history.next_after {
        let page: api::PadHistory = expect_json(
            app.get(&member.client, &format!("{path}?after={after}"))
                .await,
            200,
        )
        .await;
        history.operations.extend(page.operations);
        history.final_text = page.final_text;
        history.next_after = page.next_after;
    }
    assert_eq!(history.operations.len(), PLAYBACK_EDITS);
    let fetched = started.elapsed();
    let timeline = api::playback::Timeline::new(&history);
    let frame = api::playback::runs(&timeline.authored_at(timeline.revisions()));
    let first_frame = started.elapsed();
    let scrub_started = Instant::now();
    let middle = timeline.text_at(PLAYBACK_EDITS / 2 + 77);
    let scrub = scrub_started.elapsed();
    println!(
        "playback of {PLAYBACK_EDITS} edits ({} characters, {} coloured runs): history {fetched:.2?}, first frame {first_frame:.2?}, scrub to a moment {scrub:.2?} ({} chars)",
        history.final_text.chars().count(),
        frame.len(),
        middle.chars().count()
    );
}
