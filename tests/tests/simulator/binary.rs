//! `lever-sim`, as a person runs it: it prints a base URL and a key that work.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::{answer, http};

/// The value after `label` on a printed line like `  Lever API base URL   http://...`.
fn value_after(lines: &[String], label: &str) -> String {
    let line = lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"));
    line.trim_start()[label.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_binary_prints_a_base_url_and_a_key_that_work() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lever-sim"))
        .env("LEVER_SIM_PORT", "0")
        .env("LEVER_SIM_BIND", "127.0.0.1")
        .env_remove("LEVER_SIM_API_KEY")
        .env_remove("LEVER_SIM_WEBHOOK_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("lever-sim starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut lines = vec![];
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            let done = line.contains("Ctrl-C");
            lines.push(line);
            if done {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "lever-sim printed only {lines:#?}");

    let base = value_after(&lines, "Lever API base URL");
    let key = value_after(&lines, "API key (all permissions)");
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"),
        "{base}"
    );
    let stages = answer(
        http()
            .get(format!("{base}/stages"))
            .basic_auth(&key, Some("")),
    )
    .await;
    assert_eq!(stages.status, 200, "{}", stages.text);
    let users = answer(
        http()
            .get(format!("{base}/users"))
            .basic_auth(&key, Some("")),
    )
    .await;
    assert_eq!(users.json()["data"].as_array().unwrap().len(), 2);
    assert!(
        lines.iter().any(|l| l.contains("/verify")),
        "a Verify example"
    );
    assert!(lines.iter().any(|l| l.contains("/move")), "a move example");

    child.kill().await.expect("lever-sim stops");
}
