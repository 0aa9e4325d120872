//! The operators' commands as they run them: `stagepad <command>` beside (or without) a
//! running `stagepad`, each bounded in time.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `stagepad` in `dir` with only `vars` (and PATH) set.
fn stagepad(dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stagepad"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("STAGEPAD_STATIC_DIR", dir.join("no-console"));
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// Runs a command to its end (at most 60 s); its exit, stdout and stderr.
fn run(dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let mut child = stagepad(dir, vars)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stagepad starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("stagepad {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A serving `stagepad`, stopped (SIGTERM, then killed) when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = stagepad(dir, &[("STAGEPAD_BIND", "127.0.0.1:0")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("stagepad starts");
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
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
                if let Some(start) = line.find("open http://") {
                    let base = line[start + 5..].split_whitespace().next().unwrap();
                    return Server {
                        child,
                        base: base.to_string(),
                    };
                }
                seen.push(line);
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not start:\n{}", seen.join("\n"));
    }

    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-s", "TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "stagepad did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[test]
fn help_lists_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, help, _) = run(dir.path(), &[], &["--help"]);
    assert!(ok);
    for command in [
        "serve",
        "migrate",
        "check-config",
        "rotate-master-key",
        "org",
        "backup",
        "restore",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(command)),
            "{command} missing:\n{help}"
        );
    }
    let (ok, help, _) = run(dir.path(), &[], &["org", "--help"]);
    assert!(ok);
    for command in ["list", "disable", "enable"] {
        assert!(help.contains(command), "{help}");
    }
    let (ok, _, error) = run(dir.path(), &[], &["frobnicate"]);
    assert!(!ok && error.contains("frobnicate"), "{error}");
}

#[test]
fn check_config_masks_secrets_and_names_a_bad_setting() {
    let dir = tempfile::tempdir().unwrap();
    // 32 bytes of base64, recognisable in any output.
    let master = "Q0FOQVJZLW1hc3Rlci1rZXktMDEyMzQ1Njc4OWFiY2Q=";
    let previous = "UFJFVklPVVMta2V5LTAxMjM0NTY3ODlhYmNkZWZnaGk=";
    let secrets = [
        ("STAGEPAD_MASTER_KEY", master),
        ("STAGEPAD_MASTER_KEY_PREVIOUS", previous),
        (
            "STAGEPAD_DATABASE_URL",
            "postgres://stagepad:db-canary-password@127.0.0.1:1/stagepad",
        ),
        (
            "STAGEPAD_SMTP_URL",
            "smtps://mailer:smtp-canary-password@mail.example.com",
        ),
        ("STAGEPAD_MAIL_FROM", "Stagepad <pads@example.com>"),
    ];
    let (ok, output, error) = run(dir.path(), &secrets, &["check-config"]);
    assert!(ok, "{error}");
    for secret in [
        master,
        previous,
        "db-canary-password",
        "smtp-canary-password",
    ] {
        assert!(
            !output.contains(secret) && !error.contains(secret),
            "{secret} shown:\n{output}"
        );
    }
    assert!(
        output.contains("postgres://stagepad:****@127.0.0.1:1/stagepad"),
        "{output}"
    );
    assert!(output.contains("Every setting is valid"), "{output}");

    let (ok, _, error) = run(
        dir.path(),
        &[("STAGEPAD_JOB_CONCURRENCY", "lots")],
        &["check-config"],
    );
    assert!(!ok);
    assert!(error.contains("STAGEPAD_JOB_CONCURRENCY"), "{error}");
    let (ok, _, error) = run(
        dir.path(),
        &[("STAGEPAD_DATABASE_URL", "postgres://u@127.0.0.1:1/x")],
        &["check-config"],
    );
    assert!(!ok);
    assert!(error.contains("STAGEPAD_MASTER_KEY"), "{error}");
}

#[test]
fn commands_but_migrate_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let database = std::fs::canonicalize(dir.path())
        .unwrap()
        .join("data/stagepad.db");
    let key = [(
        "STAGEPAD_MASTER_KEY",
        "Q0FOQVJZLW1hc3Rlci1rZXktMDEyMzQ1Njc4OWFiY2Q=",
    )];
    for (vars, command) in [
        (&[][..], &["org", "list"][..]),
        (
            &[][..],
            &["org", "disable", "00000000-0000-0000-0000-000000000000"][..],
        ),
        (&key[..], &["rotate-master-key"][..]),
    ] {
        let (ok, output, error) = run(dir.path(), vars, command);
        assert!(!ok, "{command:?}: {output}");
        assert!(
            error.contains(&format!("no database at {}", database.display())),
            "{command:?}: {error}"
        );
    }
    assert!(!database.exists(), "an empty database was created");
    let (ok, output, error) = run(dir.path(), &[], &["migrate"]);
    assert!(ok, "{error}");
    assert!(output.contains(&database.display().to_string()), "{output}");
    let (ok, output, error) = run(dir.path(), &[], &["org", "list"]);
    assert!(ok, "{error}");
    assert!(
        output.contains(&format!("the SQLite database {}", database.display())),
        "{output}"
    );
}

#[test]
fn migrate_says_what_it_applied_then_that_nothing_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, output, error) = run(dir.path(), &[], &["migrate"]);
    assert!(ok, "{error}");
    assert!(
        output.contains("m20261204_000025_organization_disabled"),
        "{output}"
    );
    let (ok, output, _) = run(dir.path(), &[], &["migrate"]);
    assert!(ok);
    assert!(output.contains("up to date"), "{output}");
}

#[tokio::test]
async fn backup_runs_beside_the_server_and_restore_waits_for_it_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (ok, output, error) = run(dir.path(), &[], &["backup", "copy.db"]);
    assert!(ok, "{error}");
    assert!(output.contains("master key"), "{output}");
    let (ok, _, error) = run(dir.path(), &[], &["backup", "copy.db"]);
    assert!(!ok && error.contains("exists already"), "{error}");
    let (ok, _, error) = run(dir.path(), &[], &["restore", "copy.db"]);
    assert!(!ok, "restored under a running server");
    assert!(error.contains("running server"), "{error}");
    let (ok, _, error) = run(dir.path(), &[], &["rotate-master-key"]);
    assert!(!ok && error.contains("stop it first"), "{error}");
    server.stop();

    std::fs::write(dir.path().join("not-a-backup.db"), "hello").unwrap();
    let (ok, _, error) = run(dir.path(), &[], &["restore", "not-a-backup.db"]);
    assert!(!ok && error.contains("not a SQLite database"), "{error}");
    let (ok, output, error) = run(dir.path(), &[], &["restore", "copy.db"]);
    assert!(ok, "{error}");
    assert!(output.contains("kept as"), "{output}");
    let server = Server::start(dir.path());
    let ready = client()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    server.stop();

    let postgres = [
        (
            "STAGEPAD_DATABASE_URL",
            "postgres://u:pg-canary@127.0.0.1:1/x",
        ),
        (
            "STAGEPAD_MASTER_KEY",
            "Q0FOQVJZLW1hc3Rlci1rZXktMDEyMzQ1Njc4OWFiY2Q=",
        ),
    ];
    let (ok, output, error) = run(dir.path(), &postgres, &["backup", "pg.dump"]);
    assert!(!ok, "{output}");
    assert!(error.contains("pg_dump --format=custom"), "{error}");
    assert!(!error.contains("pg-canary"), "{error}");
    // No password in the line at all: libpq would try a masked one before PGPASSWORD.
    assert!(error.contains("'postgres://u@127.0.0.1:1/x'"), "{error}");
    let (ok, _, error) = run(dir.path(), &postgres, &["restore", "copy.db"]);
    assert!(!ok);
    assert!(
        error.contains("--dbname='postgres://u@127.0.0.1:1/x'"),
        "{error}"
    );
}

#[tokio::test]
async fn a_disabled_organization_cannot_log_in_and_the_embedded_key_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let http = client();
    let signup = serde_json::json!({
        "org_name": "Acme Hiring", "name": "Ada", "email": "ada@example.com",
        "password": "a long enough password 42", "plan": "team"
    });
    let answer = http
        .post(format!("{}/api/signup", server.base))
        .json(&signup)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201, "{}", answer.text().await.unwrap());
    let (ok, list, error) = run(dir.path(), &[], &["org", "list"]);
    assert!(ok, "{error}");
    let line = list
        .lines()
        .find(|l| l.contains("Acme Hiring"))
        .unwrap_or_else(|| panic!("{list}"));
    let id = line.split_whitespace().next().unwrap().to_string();
    assert!(line.contains("team") && line.ends_with("no"), "{line}");

    let (ok, output, error) = run(dir.path(), &[], &["org", "disable", &id]);
    assert!(ok, "{error}");
    assert!(output.contains("is now disabled"), "{output}");
    let log_in =
        serde_json::json!({"email": "ada@example.com", "password": "a long enough password 42"});
    let answer = http
        .post(format!("{}/api/login", server.base))
        .json(&log_in)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "organization_disabled", "{body}");
    let (_, list, _) = run(dir.path(), &[], &["org", "list"]);
    assert!(list.contains("since "), "{list}");
    for bad in ["not-an-id", "00000000-0000-0000-0000-000000000000"] {
        let (ok, _, error) = run(dir.path(), &[], &["org", "disable", bad]);
        assert!(!ok && error.contains("organization"), "{error}");
    }
    let (ok, _, error) = run(dir.path(), &[], &["org", "enable", &id]);
    assert!(ok, "{error}");
    let answer = http
        .post(format!("{}/api/login", server.base))
        .json(&log_in)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    server.stop();

    // The embedded key: replaced, the old one kept, and the server starts with the new one.
    // A rotation interrupted after it made its new key: the server refuses to start with the
    // old one, and the rotation run again goes on with that new key.
    let key_file = dir.path().join("data/master.key");
    let before = std::fs::read_to_string(&key_file).unwrap();
    let next = "TkVYVC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG0=";
    std::fs::write(dir.path().join("data/master.key.next"), next).unwrap();
    let (ok, _, error) = run(dir.path(), &[("STAGEPAD_BIND", "127.0.0.1:0")], &["serve"]);
    assert!(!ok);
    assert!(
        error.contains("run `stagepad rotate-master-key` again"),
        "{error}"
    );
    let (ok, output, error) = run(dir.path(), &[], &["rotate-master-key"]);
    assert!(ok, "{error}");
    let after = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(after, next);
    assert!(!dir.path().join("data/master.key.next").exists());
    assert!(
        !output.contains(before.trim()) && !output.contains(after.trim()),
        "{output}"
    );
    let retired: Vec<_> = std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".retired"))
        .collect();
    assert_eq!(retired.len(), 1);
    assert_eq!(std::fs::read_to_string(retired[0].path()).unwrap(), before);
    let server = Server::start(dir.path());
    let answer = http
        .post(format!("{}/api/login", server.base))
        .json(&log_in)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    server.stop();
}
