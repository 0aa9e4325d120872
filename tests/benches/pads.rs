//! Benchmark: live pads under load, and opening a long playback. Prints figures; asserts
//! nothing. Run with `make bench`.
//!
//! 1. 200 pads, two participants each, each typing 5 characters a second: the time from one
//!    participant sending an edit to the other receiving it (socket level), p50/p90/p99, and
//!    where it went: send to the author's acknowledgement (ordered, stored, broadcast), the
//!    acknowledgement to the other socket, the server's own phases (waiting for the room,
//!    storing, edits per commit), how late this process's timers fire, and the machine's load
//!    before and after. Server and clients share this process and its cores.
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
use tests::figures::percentile;
use tests::pad_client::open_socket;
use tests::spawn_app;
use tokio_tungstenite::tungstenite::Message;

const PADS: usize = 200;
const TYPING_INTERVAL: Duration = Duration::from_millis(200);
const RUN_FOR: Duration = Duration::from_secs(20);
const PLAYBACK_EDITS: usize = 20_000;

/// When an edit, named by its author and number, was sent and acknowledged to its author.
#[derive(Default)]
struct EditTimes {
    sent: Option<Instant>,
    acknowledged: Option<Instant>,
    delivered: bool,
}

/// Every edit in flight, and the samples of the finished ones.
#[derive(Default)]
struct Measured {
    edits: HashMap<(String, u64), EditTimes>,
    /// Send to the other participant's socket: the figure the target is about.
    to_other: Vec<Duration>,
    /// Send to the author's acknowledgement: ordering, storing and broadcasting.
    to_ack: Vec<Duration>,
    /// The acknowledgement to the other socket, when the other heard later (the same broadcast
    /// reaching two sockets).
    ack_to_other: Vec<Duration>,
}

type Shared = Arc<Mutex<Measured>>;

impl Measured {
    fn sent(&mut self, author: &str, seq: u64) {
        self.edits
            .entry((author.to_string(), seq))
            .or_default()
            .sent = Some(Instant::now());
    }

    fn acknowledged(&mut self, author: &str, seq: u64) {
        let now = Instant::now();
        let key = (author.to_string(), seq);
        if let Some(times) = self.edits.get_mut(&key)
            && let Some(sent) = times.sent
        {
            self.to_ack.push(now - sent);
            times.acknowledged = Some(now);
            if times.delivered {
                self.edits.remove(&key);
            }
        }
    }

    fn delivered(&mut self, author: &str, seq: u64) {
        let now = Instant::now();
        let key = (author.to_string(), seq);
        if let Some(times) = self.edits.get_mut(&key)
            && let Some(sent) = times.sent
        {
            self.to_other.push(now - sent);
            times.delivered = true;
            if let Some(acknowledged) = times.acknowledged {
                self.ack_to_other.push(now - acknowledged);
                self.edits.remove(&key);
            }
        }
    }
}

fn spread(samples: &mut [Duration]) -> String {
    samples.sort();
    format!(
        "p50={:.2?} p90={:.2?} p99={:.2?} max={:.2?}",
        percentile(samples, 0.50),
        percentile(samples, 0.90),
        percentile(samples, 0.99),
        samples.last().copied().unwrap_or_default()
    )
}

/// The machine's load averages (1, 5, 15 minutes) and running/total tasks, as the kernel says.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|line| line.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// CPU time this process used so far (user + system, every thread): server and clients alike.
fn process_cpu_time() -> Duration {
    // Fields 14 and 15 after the command name, in clock ticks (100 a second on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// How late a 10 ms timer fires in this process: when the cores are busy every task waits
/// that long on top of its own work, so the latencies above include it.
async fn timer_lateness(stop_at: tokio::time::Instant) -> Vec<Duration> {
    let mut late = Vec::new();
    while tokio::time::Instant::now() < stop_at {
        let asked = Instant::now();
        tokio::time::sleep(Duration::from_millis(10)).await;
        late.push(asked.elapsed().saturating_sub(Duration::from_millis(10)));
    }
    late
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
    measured: Shared,
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
                    measured.lock().unwrap().sent(&client_id, out.seq);
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
                        if author == client_id {
                            measured.lock().unwrap().acknowledged(&author, seq);
                        } else {
                            measured.lock().unwrap().delivered(&author, seq);
                        }
                        let effect = doc.on_server_op(&client_id, revision, &author, seq, &op).unwrap();
                        if let ServerOpEffect::Acknowledged { next: Some(out) } = effect {
                            measured.lock().unwrap().sent(&client_id, out.seq);
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

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load_before = load_average();
    let cpu_before = process_cpu_time();
    let measured: Shared = Arc::default();
    let started = Instant::now();
    let stop_at = tokio::time::Instant::now() + RUN_FOR;
    let lateness = tokio::spawn(timer_lateness(stop_at));
    let mut tasks = Vec::new();
    for (i, pad_id) in pads.iter().enumerate() {
        for who in ["a", "b"] {
            let app = app.clone();
            let (pad_id, measured) = (pad_id.clone(), measured.clone());
            let name = format!("bench-{i:04}-{who}");
            tasks.push(tokio::spawn(async move {
                participant(&app, pad_id, name, measured, stop_at).await
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let cpu_used = process_cpu_time() - cpu_before;
    let wall = started.elapsed();
    let mut lateness = lateness.await.unwrap();
    let mut measured = std::mem::take(&mut *measured.lock().unwrap());
    let database = if app.uses_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "live edits: {PADS} pads x 2 participants x 5 chars/s for {RUN_FOR:?} ({} on {database}; {cores} cores)",
        measured.to_other.len(),
    );
    println!("  load average before: {load_before}");
    println!(
        "  edit to the other's socket:  {} ({:.0} edits/s delivered)",
        spread(&mut measured.to_other),
        measured.to_other.len() as f64 / RUN_FOR.as_secs_f64()
    );
    println!(
        "    send to the author's ack:  {}",
        spread(&mut measured.to_ack)
    );
    println!(
        "    ack to the other's socket: {}",
        spread(&mut measured.ack_to_other)
    );
    println!("  server phases: {}", app.pad_hub.edit_timings().summary());
    println!(
        "  this process (server and clients): {:.2} cores busy on average; a 10 ms timer fires late by {}",
        cpu_used.as_secs_f64() / wall.as_secs_f64(),
        spread(&mut lateness)
    );
    println!("  load average after:  {}", load_average());

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
