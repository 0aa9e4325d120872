//! Running the pad's code, black-box through the pad's socket: shared runs, stop, the record,
//! refusals, restarts, other instances, and hostile programs that must end with a clear
//! status while the server and other pads carry on. Every hostile program also stops by
//! itself after a bound, in case the sandbox under test fails, and touches loopback only.

use std::time::Duration;

use api::{Plan, RefusalCode, RunStatus, RunStream};
use tests::accounts::{Account, expect_json};
use tests::pad_client::PadClient;
use tests::{TestApp, spawn_app_with};

/// Runs short enough for tests: a hostile program meets its limit in 3 seconds.
fn quick_runs(settings: &mut server::config::Settings) {
    settings.runs.wall = Duration::from_secs(3);
    settings.runs.concurrency = 4;
}

async fn new_pad(app: &TestApp, member: &Account, language: &str) -> api::PadSummary {
    let request = api::NewPadRequest {
        candidate_name: "Ada".into(),
        job_title: None,
        language: Some(language.into()),
    };
    expect_json(app.create_pad(member, &request).await, 201).await
}

/// A guest in a new pad of `language` whose text is `code`, settled.
async fn pad_with_code(
    app: &TestApp,
    member: &Account,
    language: &str,
    code: &str,
) -> (api::PadSummary, PadClient) {
    let pad = new_pad(app, member, language).await;
    let mut guest = PadClient::join(app, &pad.id, "Ada", None).await;
    guest.edit(code).await;
    guest.settle_at(1).await;
    (pad, guest)
}

async fn run_code(app: &TestApp, member: &Account, language: &str, code: &str) -> api::RunView {
    let (_, mut guest) = pad_with_code(app, member, language, code).await;
    guest.run(None).await;
    guest.run_ended().await
}

fn output_of(run: &api::RunView) -> String {
    run.output.iter().map(|p| p.text.as_str()).collect()
}

async fn healthy(app: &TestApp) {
    let answer = app.health(&app.client).await;
    assert_eq!(answer.status(), 200, "the server stays healthy");
}

#[tokio::test]
async fn two_participants_see_the_same_run_and_a_later_joiner_sees_it_too() {
    let app = spawn_app_with(quick_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let code = "import sys\nprint('hello from the pad')\nprint('careful', file=sys.stderr)\n";
    let (pad, mut ada) = pad_with_code(&app, &member, "python", code).await;
    let mut bob = PadClient::join(&app, &pad.id, "Bob", None).await;

    ada.run(None).await;
    let seen_by_ada = ada.run_ended().await;
    let seen_by_bob = bob.run_ended().await;
    assert_eq!(seen_by_ada.status, RunStatus::Exited, "{seen_by_ada:?}");
    assert_eq!(seen_by_ada.exit_code, Some(0));
    assert_eq!(seen_by_ada.started_by, "Ada");
    assert_eq!(
        seen_by_ada.revision, 1,
        "the text as stored at revision 1 ran"
    );
    assert_eq!(seen_by_ada.language, "python");
    assert_eq!(
        seen_by_ada.output, seen_by_bob.output,
        "both saw the same run"
    );
    assert_eq!(
        ada.run_output(),
        bob.run_output(),
        "the pieces streamed in order"
    );
    let stdout: String = seen_by_bob
        .output
        .iter()
        .filter(|p| p.stream == RunStream::Stdout)
        .map(|p| p.text.as_str())
        .collect();
    assert_eq!(stdout, "hello from the pad\n");
    assert!(
        seen_by_bob
            .output
            .iter()
            .any(|p| p.stream == RunStream::Stderr && p.text.contains("careful")),
        "stderr kept apart: {:?}",
        seen_by_bob.output
    );
    // Someone opening the pad afterwards sees the last run.
    let mut cy = PadClient::join(&app, &pad.id, "Cy", None).await;
    cy.wait_until("the pad's last run", |c| c.run.is_some())
        .await;
    assert_eq!(cy.run.as_ref().map(|r| r.id), Some(seen_by_ada.id));

    // It is part of the record: playback lists it.
    let history: api::PadHistory =
        expect_json(app.pad_history(&member, &pad.id, "").await, 200).await;
    assert_eq!(history.runs.len(), 1);
    assert_eq!(history.runs[0].output, seen_by_ada.output);
}

#[tokio::test]
async fn stdin_reaches_the_program_and_other_languages_run() {
    // Compilers for four languages share the machine at once: a quick program may wait its
    // turn for the CPU longer than the tests' short wall time (ruby timed out at 3 s under
    // `make test` on 2 cores).
    let app = spawn_app_with(long_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let (_, mut guest) = pad_with_code(
        &app,
        &member,
        "python",
        "name = input()\nprint(f'hello {name}')\n",
    )
    .await;
    guest.run(Some("Grace\n")).await;
    let run = guest.run_ended().await;
    assert_eq!(output_of(&run), "hello Grace\n", "{run:?}");

    // Every required language, each in a pad of its own, all at once.
    let programs = [
        ("javascript", "console.log('js ' + (6 * 7));\n"),
        (
            "typescript",
            "const n: number = 6 * 7;\nconsole.log(`ts ${n}`);\n",
        ),
        (
            "c",
            "#include <stdio.h>\nint main(void) { printf(\"c %d\\n\", 6 * 7); return 0; }\n",
        ),
        (
            "cpp",
            "#include <iostream>\nint main() { std::cout << \"cpp \" << 6 * 7 << std::endl; }\n",
        ),
        (
            "go",
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"go\", 6*7) }\n",
        ),
        ("rust", "fn main() { println!(\"rust {}\", 6 * 7); }\n"),
        ("ruby", "puts \"ruby #{6 * 7}\"\n"),
        (
            "java",
            "public class Main {\n    public static void main(String[] args) {\n        System.out.println(\"java \" + 6 * 7);\n    }\n}\n",
        ),
        ("sql", "SELECT COUNT(*) * 3 + 6 AS answer FROM employees;\n"),
    ];
    let runs = futures_util::future::join_all(
        programs
            .iter()
            .map(|(language, code)| run_code(&app, &member, language, code)),
    )
    .await;
    for ((language, _), run) in programs.iter().zip(runs) {
        assert_eq!(run.status, RunStatus::Exited, "{language}: {run:?}");
        assert!(output_of(&run).contains("42"), "{language}: {run:?}");
    }
    let broken = run_code(&app, &member, "c", "int main(void) { return }\n").await;
    assert_eq!(broken.status, RunStatus::CompileError, "{broken:?}");
    assert!(
        broken.output.iter().any(|p| p.stream == RunStream::Stderr),
        "the compiler's message is shown: {broken:?}"
    );
}

#[tokio::test]
async fn a_program_ended_by_a_signal_says_which() {
    let app = spawn_app_with(quick_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let run = run_code(
        &app,
        &member,
        "python",
        "import os, signal\nprint('about to go', flush=True)\nos.kill(os.getpid(), signal.SIGTERM)\n",
    )
    .await;
    assert_eq!(run.status, RunStatus::Exited, "{run:?}");
    assert_eq!(run.signal, Some(15), "{run:?}");
    assert_eq!(run.exit_code, Some(128 + 15), "{run:?}");
    assert_eq!(output_of(&run), "about to go\n");
}

#[tokio::test]
async fn stop_and_run_again_end_the_run_that_is_going() {
    let app = spawn_app_with(quick_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let (pad, mut ada) = pad_with_code(
        &app,
        &member,
        "python",
        "import time\nprint('started', flush=True)\ntime.sleep(30)\n",
    )
    .await;
    let mut bob = PadClient::join(&app, &pad.id, "Bob", None).await;
    ada.run(None).await;
    bob.wait_until("the run's first output", |c| {
        c.run_output().contains("started")
    })
    .await;
    bob.stop_run().await;
    let stopped = ada.run_ended().await;
    assert_eq!(stopped.status, RunStatus::Stopped, "{stopped:?}");
    assert_eq!(stopped.stopped_by.as_deref(), Some("Bob"));

    // Run while running: the old run stops, the new one goes.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    ada.run(None).await;
    bob.wait_until("a second run", |c| {
        c.run.as_ref().is_some_and(|r| r.id != stopped.id)
    })
    .await;
    let first = bob.run.clone().expect("a run").id;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    bob.run(None).await;
    ada.wait_until("a third run", |c| {
        c.run
            .as_ref()
            .is_some_and(|r| r.id != first && r.id != stopped.id)
    })
    .await;
    let history: api::PadHistory =
        expect_json(app.pad_history(&member, &pad.id, "").await, 200).await;
    let second = history
        .runs
        .iter()
        .find(|r| r.id == first)
        .expect("the second run is stored");
    assert_eq!(second.status, RunStatus::Stopped, "{second:?}");
    assert_eq!(second.stopped_by.as_deref(), Some("Bob"));

    // Ending the interview ends the run that is going.
    let _: api::PadView = expect_json(app.end_pad(&member, &pad.id).await, 200).await;
    let last = ada.run_ended().await;
    assert_eq!(last.status, RunStatus::Stopped, "{last:?}");
    assert_eq!(
        last.stopped_by.as_deref(),
        Some(member.me.user.name.as_str())
    );
}

#[tokio::test]
async fn runs_that_cannot_start_are_refused_and_the_pad_carries_on() {
    let app = spawn_app_with(quick_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let (pad, mut ada) = pad_with_code(&app, &member, "python", "print(1)\n").await;

    ada.stop_run().await;
    ada.wait_until("no_run", |c| c.refusals.contains(&RefusalCode::NoRun))
        .await;
    ada.run(Some(&"x".repeat(70_000))).await;
    ada.wait_until("stdin_too_large", |c| {
        c.refusals.contains(&RefusalCode::StdinTooLarge)
    })
    .await;
    ada.run(None).await;
    ada.run(None).await;
    ada.wait_until("run_too_soon", |c| {
        c.refusals.contains(&RefusalCode::RunTooSoon)
    })
    .await;
    let run = ada.run_ended().await;
    assert_eq!(run.status, RunStatus::Exited);

    // The connection stayed open through every refusal: editing still works.
    ada.edit("print(2)\n").await;
    ada.settle_at(2).await;

    let languages: api::LanguagesResponse =
        expect_json(app.languages(&app.client).await, 200).await;
    assert_eq!(languages.languages.len(), api::LANGUAGES.len());
    assert!(
        languages
            .languages
            .iter()
            .any(|l| l.id == "python" && l.runnable)
    );
    if let Some(missing) = languages.languages.iter().find(|l| !l.runnable) {
        ada.set_language(&missing.id).await;
        ada.wait_until("the language change", |c| c.language == missing.id)
            .await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        ada.run(None).await;
        ada.wait_until("language_not_runnable", |c| {
            c.refusals.contains(&RefusalCode::LanguageNotRunnable)
        })
        .await;
    }

    // An ended pad runs nothing.
    let _: api::PadView = expect_json(app.end_pad(&member, &pad.id).await, 200).await;
    ada.wait_until("the end", |c| c.ended).await;
    ada.run(None).await;
    ada.wait_until("pad_ended", |c| c.refusals.contains(&RefusalCode::PadEnded))
        .await;
}

#[tokio::test]
async fn hostile_programs_end_with_a_clear_status_while_the_server_and_other_pads_carry_on() {
    let app = spawn_app_with(quick_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let port = app.port;
    let data_dir = app.data_dir().display().to_string();
    let repo = env!("CARGO_MANIFEST_DIR");
    // Each stops by itself within a bound, in case the sandbox fails.
    let programs: Vec<(&str, String, &[RunStatus])> = vec![
        (
            "an infinite loop",
            "while True:\n    pass\n".into(),
            &[RunStatus::TimeLimit],
        ),
        (
            "printing 100 MB",
            "import sys\nfor _ in range(100_000):\n    sys.stdout.write('x' * 1000)\n".into(),
            &[RunStatus::OutputLimit],
        ),
        (
            "a fork bomb",
            // At most 2^12 processes, each gone after 5 seconds.
            "import os, time\nfor _ in range(12):\n    try:\n        os.fork()\n    except OSError:\n        pass\ntime.sleep(5)\n"
                .into(),
            &[RunStatus::TimeLimit, RunStatus::Exited, RunStatus::MemoryLimit],
        ),
        (
            "memory without end",
            // Written bytes (a zeroed bytearray might never be touched, nor counted).
            "import time\nblocks = []\nend = time.time() + 5\nwhile time.time() < end:\n    blocks.append(b'x' * (32 << 20))\n"
                .into(),
            &[RunStatus::MemoryLimit],
        ),
        (
            "connecting to the server's port",
            format!(
                "import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n    print('CONNECTED')\nexcept OSError as e:\n    print('refused', e)\n"
            ),
            &[RunStatus::Exited],
        ),
        (
            "reading the server's secrets",
            format!(
                "import os\nprint('ENV', sorted(k for k in os.environ if k.startswith('STAGEPAD')))\nprint('DATA', os.path.exists('{data_dir}'))\nprint('REPO', os.path.exists('{repo}'))\n"
            ),
            &[RunStatus::Exited],
        ),
        (
            "kill -9 -1",
            "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError as e:\n    print(e)\nprint('still here')\n"
                .into(),
            &[RunStatus::Exited],
        ),
        (
            "a child that tries to outlive the run",
            "import subprocess\nsubprocess.Popen(['sh', '-c', 'nohup sleep 1000 >/dev/null 2>&1 &'])\nprint('left a sleeper')\n"
                .into(),
            &[RunStatus::Exited],
        ),
    ];
    let mut runs = Vec::new();
    for (what, code, _) in &programs {
        let (_, mut guest) = pad_with_code(&app, &member, "python", code).await;
        guest.run(None).await;
        runs.push((what, guest));
    }
    // Meanwhile another pad works as usual.
    let (_, mut calm) = pad_with_code(&app, &member, "python", "print('calm')\n").await;
    calm.edit("print('calm and edited')\n").await;
    calm.settle_at(2).await;
    healthy(&app).await;

    for ((what, mut guest), (_, _, expected)) in runs.into_iter().zip(&programs) {
        let run = guest.run_ended().await;
        assert!(
            expected.contains(&run.status),
            "{what}: {:?} (expected one of {expected:?}): {}",
            run.status,
            output_of(&run).chars().take(300).collect::<String>()
        );
        let output = output_of(&run);
        match *what {
            "printing 100 MB" => assert!(run.truncated && output.len() <= 64 * 1024 + 1024),
            "connecting to the server's port" => {
                assert!(!output.contains("CONNECTED"), "{output}")
            }
            "reading the server's secrets" => {
                assert!(output.contains("ENV []"), "{output}");
                assert!(output.contains("DATA False"), "{output}");
                assert!(output.contains("REPO False"), "{output}");
            }
            "kill -9 -1" => assert!(output.contains("still here"), "{output}"),
            _ => {}
        }
        healthy(&app).await;
    }
    // No sandboxed sleeper outlived its run.
    let sleepers = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("cmdline")).ok())
        .filter(|cmdline| cmdline.starts_with("sleep\u{0}1000"))
        .count();
    assert_eq!(sleepers, 0, "every process of a run is gone with it");
    calm.run(None).await;
    assert_eq!(calm.run_ended().await.status, RunStatus::Exited);
}

/// Runs long enough to restart the server in the middle of one.
fn long_runs(settings: &mut server::config::Settings) {
    settings.runs.wall = Duration::from_secs(30);
    // Compilers share 2 cores with the rest of the suite (a cold toolchain is read from disk
    // too): a Go build that takes 0.3 s alone ran into the default 20 s in CI. The sandbox
    // suite allows 60 s for the same reason.
    settings.runs.compile_wall = Duration::from_secs(60);
    settings.runs.concurrency = 4;
}

#[tokio::test]
async fn a_restart_mid_run_leaves_the_run_interrupted_never_running() {
    let app = spawn_app_with(long_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let (pad, mut ada) = pad_with_code(
        &app,
        &member,
        "python",
        "import time\nprint('going', flush=True)\ntime.sleep(20)\n",
    )
    .await;
    ada.run(None).await;
    ada.wait_until("the run's output", |c| c.run_output().contains("going"))
        .await;
    let app = app.restart_with(long_runs).await;
    let history: api::PadHistory =
        expect_json(app.pad_history(&member, &pad.id, "").await, 200).await;
    assert_eq!(history.runs.len(), 1);
    assert_eq!(
        history.runs[0].status,
        RunStatus::Interrupted,
        "{:?}",
        history.runs[0]
    );
    assert_eq!(
        output_of(&history.runs[0]),
        "going\n",
        "its output so far is kept"
    );
}

#[tokio::test]
async fn two_instances_on_postgres_show_the_same_run() {
    let app = spawn_app_with(quick_runs).await;
    if !app.uses_postgres() {
        return;
    }
    let member = app.sign_up(Plan::Team).await;
    let second = app.another_instance().await;
    let (pad, mut ada) = pad_with_code(
        &app,
        &member,
        "python",
        "import time\nfor i in range(3):\n    print('tick', i, flush=True)\n    time.sleep(0.5)\n",
    )
    .await;
    let mut bob = PadClient::join(&second, &pad.id, "Bob", None).await;
    ada.run(None).await;
    let here = ada.run_ended().await;
    let there = bob.run_ended().await;
    assert_eq!(here.id, there.id);
    assert_eq!(there.status, RunStatus::Exited);
    assert_eq!(output_of(&there), "tick 0\ntick 1\ntick 2\n");

    // Stop pressed on the other instance reaches the run.
    ada.edit("import time\nprint('long', flush=True)\ntime.sleep(30)\n")
        .await;
    ada.settle_at(2).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    ada.run(None).await;
    bob.wait_until("the long run", |c| {
        c.run
            .as_ref()
            .is_some_and(|r| r.id != here.id && r.status.is_active())
    })
    .await;
    bob.stop_run().await;
    let stopped = ada.run_ended().await;
    assert_eq!(stopped.status, RunStatus::Stopped, "{stopped:?}");
    assert_eq!(stopped.stopped_by.as_deref(), Some("Bob"));

    // Run pressed on both instances at once: one run goes, the other is stopped by it.
    ada.edit("import time\ntime.sleep(1.5)\nprint('done', flush=True)\n")
        .await;
    ada.settle_at(3).await;
    bob.wait_until("the new text", |c| c.doc.revision >= 3)
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    tokio::join!(ada.run(None), bob.run(None));
    let history = tests::poll::wait_for("both runs to end", Duration::from_secs(30), || async {
        let history: api::PadHistory =
            expect_json(app.pad_history(&member, &pad.id, "").await, 200).await;
        let last_two = &history.runs[history.runs.len().saturating_sub(2)..];
        (history.runs.len() == 4 && last_two.iter().all(|r| !r.status.is_active()))
            .then_some(history)
    })
    .await;
    let statuses: Vec<RunStatus> = history.runs[2..].iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [RunStatus::Stopped, RunStatus::Exited],
        "the earlier was stopped by the later: {:?}",
        &history.runs[2..]
    );
}

#[tokio::test]
async fn a_flood_of_run_requests_starts_one_run_and_the_server_stays_healthy() {
    let app = spawn_app_with(quick_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let (pad, mut ada) = pad_with_code(&app, &member, "python", "print('once')\n").await;
    for _ in 0..30 {
        ada.run(None).await;
    }
    let run = ada.run_ended().await;
    assert_eq!(output_of(&run), "once\n");
    ada.wait_until("the refusals of the flood", |c| {
        c.refusals
            .iter()
            .filter(|code| **code == RefusalCode::RunTooSoon)
            .count()
            == 29
    })
    .await;
    let history: api::PadHistory =
        expect_json(app.pad_history(&member, &pad.id, "").await, 200).await;
    assert_eq!(history.runs.len(), 1, "one run started");

    // Past the socket's message rate the connection closes, as for any flood.
    for _ in 0..200 {
        ada.run(None).await;
    }
    ada.wait_until("too_many_messages", |c| {
        c.refusals.contains(&RefusalCode::TooManyMessages)
    })
    .await;
    healthy(&app).await;
}

/// A run's row as if it had happened at `at` (written straight to the database).
fn stored_run(
    member: &Account,
    pad: &api::PadSummary,
    status: RunStatus,
    at: time::OffsetDateTime,
    output: &str,
) -> entity::pad_run::ActiveModel {
    use sea_orm::Set;
    let ended = !status.is_active();
    entity::pad_run::ActiveModel {
        id: Set(api::RunId::random()),
        org_id: Set(member.me.organization.id),
        pad_id: Set(pad.id.clone()),
        revision: Set(0),
        language: Set("python".into()),
        started_by: Set("Ada".into()),
        status: Set(status),
        exit_code: Set(ended.then_some(0)),
        wall_ms: Set(ended.then_some(10)),
        stopped_by: Set(None),
        stop_requested_by: Set(None),
        message: Set(None),
        signal: Set(None),
        output: Set(output.into()),
        truncated: Set(false),
        requested_at: Set(at),
        finished_at: Set(ended.then_some(at)),
        heartbeat_at: Set(at),
    }
}

#[tokio::test]
async fn a_pad_keeps_a_bounded_number_of_runs() {
    use sea_orm::{ActiveModelTrait, Database};
    let app = spawn_app_with(quick_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let (pad, mut ada) = pad_with_code(&app, &member, "python", "print(1)\n").await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    for _ in 0..server::runs::service::MAX_RUNS_PER_PAD {
        stored_run(&member, &pad, RunStatus::Exited, now, "[]")
            .insert(&db)
            .await
            .unwrap();
    }
    ada.run(None).await;
    ada.wait_until("too_many_runs", |c| {
        c.refusals.contains(&RefusalCode::TooManyRuns)
    })
    .await;
    ada.edit("print(2)\n").await;
    ada.settle_at(2).await;
}

#[tokio::test]
async fn a_run_whose_instance_died_is_marked_interrupted_by_the_sweep() {
    use sea_orm::{ActiveModelTrait, Database};
    let app = spawn_app_with(quick_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "python").await;
    // A run left "running" by an instance that crashed a minute ago (no graceful stop).
    let db = Database::connect(&app.database_url).await.unwrap();
    let long_ago = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let row = stored_run(
        &member,
        &pad,
        RunStatus::Running,
        long_ago,
        r#"[{"stream":"stdout","text":"half"}]"#,
    );
    let id = row.id.clone().unwrap();
    row.insert(&db).await.unwrap();
    let swept = tests::poll::wait_for("the sweep", Duration::from_secs(20), || async {
        let history: api::PadHistory =
            expect_json(app.pad_history(&member, &pad.id, "").await, 200).await;
        history
            .runs
            .into_iter()
            .find(|r| r.id == id && r.status == RunStatus::Interrupted)
    })
    .await;
    assert_eq!(output_of(&swept), "half", "the output it had is kept");
    assert!(swept.finished_at.is_some());
}

#[tokio::test]
async fn output_written_a_byte_at_a_time_reaches_the_pad_in_batches() {
    let app = spawn_app_with(quick_runs).await;
    let member = app.sign_up(Plan::Team).await;
    let run = run_code(
        &app,
        &member,
        "python",
        "import os, time\nfor _ in range(400):\n    os.write(1, b'x')\n    time.sleep(0.002)\n",
    )
    .await;
    assert_eq!(run.status, RunStatus::Exited, "{run:?}");
    assert_eq!(output_of(&run), "x".repeat(400));
    // About a second of writes, passed on every 50 ms: not 400 messages and stored pieces.
    assert!(run.output.len() <= 60, "{} pieces", run.output.len());
}
