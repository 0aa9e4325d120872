//! Benchmark: Lever webhook ingest against the framework's own ceiling, and a stage change's
//! way to the link on the candidate. Prints figures; asserts nothing. Run with `make bench`
//! (or `cargo bench -p tests --bench ingest`; `make bench` installs `wrk`).
//!
//! 1. Throughput: `wrk` (2 threads, 32 connections) sends validly signed
//!    `candidateStageChange` bodies, each with its own token, for a stage nobody selected, first
//!    to a bare actix-web receiver that only reads and parses the JSON, then to Stagepad (on
//!    SQLite, and on PostgreSQL too when `STAGEPAD_TEST_POSTGRES_URL` is set). Both servers run
//!    in this process with the same number of workers, and Stagepad logs as in production (one
//!    line a request, to a file). Printed: requests/s, p50/p99, the ratio to the bare receiver,
//!    and how many deliveries were recorded against how many were answered 2xx.
//! 2. Latency: one stage change at a time (simulator, no added latency), from the move in Lever
//!    to the pad's link on the candidate.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use tests::app::{FreshDatabase, spawn_app_on};
use tests::figures::percentile;
use tests::lever_sim::{LeverSim, NewCandidate, signed_text};
use tests::{TestApp, spawn_app_with};

const WRK_THREADS: usize = 2;
const WRK_CONNECTIONS: usize = 32;
const WRK_SECONDS: u64 = 5;
/// Signed bodies for one run; past them wrk starts over (reruns, answered as duplicates).
const BODIES: usize = 200_000;
const WORKERS: usize = 2;
/// Stage changes timed one at a time, spread over organizations (each with its own Lever key,
/// so Lever's 10 requests a second per key never paces them).
const LATENCY_ORGANIZATIONS: usize = 25;
const LATENCY_PER_ORGANIZATION: usize = 4;

/// Reads the bodies (one a line) this thread owns; answers wrk's summary in one line.
const WRK_SCRIPT: &str = r#"
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  bodies = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % tonumber(args[2]) == id then bodies[#bodies + 1] = line end
    n = n + 1
  end
  index = 0
  headers = { ["Content-Type"] = "application/json" }
end
function request()
  index = index % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[index])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"#;

/// What wrk reported for one run.
struct LoadRun {
    requests: u64,
    not_2xx: u64,
    socket_errors: u64,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

impl LoadRun {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    fn answered_2xx(&self) -> u64 {
        self.requests - self.not_2xx
    }
}

fn run_wrk(url: &str, bodies: &std::path::Path, script: &std::path::Path) -> LoadRun {
    let output = Command::new("wrk")
        .args([
            &format!("-t{WRK_THREADS}"),
            &format!("-c{WRK_CONNECTIONS}"),
            &format!("-d{WRK_SECONDS}s"),
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .arg("--")
        .arg(bodies)
        .arg(WRK_THREADS.to_string())
        .output()
        .expect("wrk runs (make bench installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRK "))
        .unwrap_or_else(|| {
            panic!(
                "wrk printed no summary: {stdout} {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let n: Vec<u64> = line
        .split_whitespace()
        .map(|v| v.parse().expect("a number"))
        .collect();
    LoadRun {
        requests: n[0],
        not_2xx: n[1],
        socket_errors: n[2],
        seconds: n[3] as f64 / 1e6,
        p50: Duration::from_micros(n[4]),
        p99: Duration::from_micros(n[5]),
    }
}

/// A receiver that does only what any webhook handler must: read the body and parse it.
fn start_bare_receiver() -> (String, actix_web::dev::ServerHandle) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let server = HttpServer::new(|| {
        App::new().route(
            "/webhooks/lever/{key}",
            web::post().to(|body: web::Bytes| async move {
                match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(_) => HttpResponse::Ok().json(serde_json::json!({"status": "ignored"})),
                    Err(_) => HttpResponse::BadRequest().finish(),
                }
            }),
        )
    })
    .workers(WORKERS)
    .disable_signals()
    .listen(listener)
    .expect("listening")
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (
        format!("http://127.0.0.1:{port}/webhooks/lever/bare"),
        handle,
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// What the server's database does on each commit.
async fn durability(database_url: &str) -> String {
    if !database_url.starts_with("sqlite:") {
        return "PostgreSQL".into();
    }
    // A setting of the connection: read on one made as the server makes its own.
    let name = match read_number(database_url, "PRAGMA synchronous").await {
        0 => "OFF",
        1 => "NORMAL",
        2 => "FULL",
        3 => "EXTRA",
        _ => "?",
    };
    format!("SQLite, WAL, synchronous={name}")
}

async fn recorded_deliveries(app: &TestApp) -> i64 {
    read_number(&app.database_url, "SELECT COUNT(*) FROM lever_deliveries").await
}

/// The first column of the one row `sql` answers, on a connection to the server's database
/// made as the server makes its own.
async fn read_number(database_url: &str, sql: &str) -> i64 {
    let db = server::db::connect(database_url)
        .await
        .expect("the database");
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql}: no row"));
    let n = row
        .try_get_by_index::<i64>(0)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    db.close().await.ok();
    n
}

/// Writes signed bodies for a stage the organization did not select, one a line.
async fn write_bodies(
    app: &TestApp,
    sim: &LeverSim,
    dir: &std::path::Path,
) -> (String, std::path::PathBuf) {
    let admin = app.sign_up(api::Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, sim, &["Phone interview"]).await;
    let onsite = sim.stage_id("On-site interview").await;
    let path = dir.join("bodies.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("bodies file"));
    for i in 0..BODIES {
        let data = serde_json::json!({"opportunityId": format!("bench-{i}"), "toStageId": onsite});
        let body = signed_text(&lever.signature_token, "candidateStageChange", &data);
        writeln!(file, "{body}").expect("writing bodies");
    }
    file.flush().expect("writing bodies");
    (lever.url, path)
}

async fn measure_stagepad(name: &str, app: TestApp, bare: &LoadRun, script: &std::path::Path) {
    let sim = LeverSim::start().await;
    let dir = tempfile::tempdir().expect("a folder");
    let (url, bodies) = write_bodies(&app, &sim, dir.path()).await;
    let load_before = load_average();
    let run = run_wrk(&url, &bodies, script);
    let recorded = recorded_deliveries(&app).await;
    println!(
        "{name:<10} {:>8.0}/s  p50 {:>7.2?}  p99 {:>7.2?}  ratio {:.2}  answered 2xx {} (not 2xx {}, \
         socket errors {})  recorded {}  [{}; load {load_before} → {}]",
        run.per_second(),
        run.p50,
        run.p99,
        run.per_second() / bare.per_second(),
        run.answered_2xx(),
        run.not_2xx,
        run.socket_errors,
        recorded,
        durability(&app.database_url).await,
        load_average(),
    );
    if (recorded as u64) < run.answered_2xx() {
        println!(
            "  !! {} deliveries answered 2xx were not recorded",
            run.answered_2xx() - recorded as u64
        );
    }
    app.stop().await;
}

/// One stage change at a time, from the move in Lever to the link on the candidate.
async fn measure_stage_change_to_link() {
    let app = spawn_app_with(|settings| {
        settings.throttle.sign_ups_per_address =
            server::auth::throttle::Limit::new(1_000, Duration::from_secs(3_600));
    })
    .await;
    // An account of Lever's each: a simulator delivers a move to every webhook registered in it.
    let mut organizations = Vec::new();
    for _ in 0..LATENCY_ORGANIZATIONS {
        let sim = LeverSim::start().await;
        let admin = app.sign_up(api::Plan::Enterprise).await;
        app.connect_lever(&admin, &sim, &["Phone interview"]).await;
        let phone = sim.stage_id("Phone interview").await;
        organizations.push((sim, phone));
    }
    // The setup's Lever calls spent each key's burst; let it fill again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut latencies = Vec::new();
    for round in 0..LATENCY_PER_ORGANIZATION {
        for (org, (sim, phone)) in organizations.iter().enumerate() {
            let candidate = sim
                .create_candidate(NewCandidate {
                    name: format!("Latency {org}-{round}"),
                    tags: vec!["coderpad".into()],
                    ..Default::default()
                })
                .await;
            let moved = Instant::now();
            sim.move_candidate(&candidate, phone).await;
            loop {
                if !sim.links(&candidate).await.is_empty() {
                    latencies.push(moved.elapsed());
                    break;
                }
                assert!(
                    moved.elapsed() < Duration::from_secs(30),
                    "no link after 30 s"
                );
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
    }
    latencies.sort();
    println!(
        "stage change → link on the candidate, {} one at a time: p50 {:.1?}  p99 {:.1?}  max {:.1?}  [load {}]",
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().expect("latencies"),
        load_average()
    );
    app.stop().await;
}

/// Logs as `stagepad` does (info, one line a request), to a file (`INGEST_BENCH_LOG` to keep
/// it): the servers in this process pay for logging as in production, without filling memory.
fn log_to_file(dir: &std::path::Path) {
    let path = std::env::var("INGEST_BENCH_LOG")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.join("stagepad.log"));
    let file = std::fs::File::create(path).expect("a log file");
    // STAGEPAD_LOG as for `stagepad` (e.g. `server::lever::delivery_writer=debug` shows each
    // batch's size and time).
    let filter = std::env::var("STAGEPAD_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .init();
}

#[tokio::main]
async fn main() {
    let scratch = tempfile::tempdir().expect("a folder");
    log_to_file(scratch.path());
    let script = scratch.path().join("bodies.lua");
    std::fs::write(&script, WRK_SCRIPT).expect("the wrk script");
    let configure = |settings: &mut server::Settings| settings.workers = Some(WORKERS);
    println!(
        "Lever webhook ingest: wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{WRK_SECONDS}s, signed \
         stage changes to an unselected stage, each with its own token; {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    let (bare_url, bare_handle) = start_bare_receiver();
    // The bare receiver gets the same bodies (any will do: it checks nothing).
    let bodies_dir = tempfile::tempdir().expect("a folder");
    let bodies = bodies_dir.path().join("bare.jsonl");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&bodies).expect("bodies"));
        for i in 0..BODIES.min(20_000) {
            let data = serde_json::json!({"opportunityId": format!("bench-{i}"), "toStageId": "s"});
            writeln!(
                file,
                "{}",
                signed_text("bare", "candidateStageChange", &data)
            )
            .expect("bodies");
        }
    }
    let load_before = load_average();
    let bare = run_wrk(&bare_url, &bodies, &script);
    println!(
        "{:<10} {:>8.0}/s  p50 {:>7.2?}  p99 {:>7.2?}  answered 2xx {}  [load {load_before} → {}]",
        "bare actix",
        bare.per_second(),
        bare.p50,
        bare.p99,
        bare.answered_2xx(),
        load_average()
    );
    bare_handle.stop(true).await;

    measure_stagepad(
        "SQLite",
        spawn_app_on(FreshDatabase::Sqlite, configure).await,
        &bare,
        &script,
    )
    .await;
    match std::env::var("STAGEPAD_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let app = spawn_app_on(FreshDatabase::Postgres(&url), configure).await;
            measure_stagepad("PostgreSQL", app, &bare, &script).await;
        }
        _ => println!("PostgreSQL: skipped (set STAGEPAD_TEST_POSTGRES_URL to measure it too)"),
    }
    measure_stage_change_to_link().await;
}
