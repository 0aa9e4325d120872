//! The `stagepad` binary as an operator runs it: zero-setting start-up, JSON logs, SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    /// Starts the binary in `dir` with `vars`, on a free port.
    fn start(dir: &std::path::Path, vars: &[(&str, &str)]) -> Running {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stagepad"));
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("STAGEPAD_BIND", "127.0.0.1:0")
            .env("STAGEPAD_STATIC_DIR", dir.join("no-console"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in vars {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("stagepad starts");
        let (sender, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = sender.send(line);
                }
            });
        }
        Running { child, lines }
    }

    /// Collects output lines until one satisfies `found`; panics after 30 s.
    fn wait_for_line(&self, seen: &mut Vec<String>, found: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                seen.push(line.clone());
                if found(&line) {
                    return line;
                }
            }
        }
        panic!("no such line; output so far:\n{}", seen.join("\n"));
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-s", "TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "stagepad did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn url_in(line: &str) -> String {
    let start = line.find("http://").expect("a URL in the line");
    line[start..]
        .split(|c: char| c.is_whitespace() || c == '"')
        .next()
        .unwrap()
        .to_string()
}

async fn get(url: &str) -> reqwest::Response {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new().get(url).send().await.unwrap()
}

#[tokio::test]
async fn first_run_needs_no_settings_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(dir.path(), &[]);
    let mut seen = Vec::new();
    let line = server.wait_for_line(&mut seen, |l| l.contains("open http://"));
    let base = url_in(&line);

    let ready = get(&format!("{base}/readyz")).await;
    assert_eq!(ready.status(), 200);

    // The embedded default: a SQLite file in ./data in WAL mode, and a private master key.
    let database = std::fs::read(dir.path().join("data/stagepad.db")).unwrap();
    assert_eq!(&database[..16], b"SQLite format 3\0");
    assert_eq!((database[18], database[19]), (2, 2), "WAL mode");
    let key_file = dir.path().join("data/master.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        !seen.iter().any(|l| l.contains(key.trim())),
        "the master key is never logged"
    );

    let status = server.terminate();
    assert!(status.success(), "graceful exit, got {status:?}");
}

#[tokio::test]
async fn json_log_format_writes_one_json_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(dir.path(), &[("STAGEPAD_LOG_FORMAT", "json")]);
    let mut seen = Vec::new();
    let line = server.wait_for_line(&mut seen, |l| l.contains("Stagepad is serving"));
    let base = url_in(&line);
    assert_eq!(get(&format!("{base}/healthz")).await.status(), 200);
    server.wait_for_line(&mut seen, |l| l.contains("/healthz"));
    server.terminate();
    for line in &seen {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            value.get("level").is_some() && value.get("timestamp").is_some(),
            "{line}"
        );
    }
}

#[test]
fn postgres_without_a_master_key_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_stagepad"))
        .current_dir(dir.path())
        .env_clear()
        .env(
            "STAGEPAD_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/none",
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("STAGEPAD_MASTER_KEY is required"),
        "{stderr}"
    );
}
