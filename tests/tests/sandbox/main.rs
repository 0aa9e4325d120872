//! The code-running sandbox, driven directly: every required language runs, and hostile
//! programs end with the right status while this process (standing in for the server) is fine.
//!
//! Every hostile program stops by itself after a bound, in case the sandbox under test fails;
//! network tests use loopback only. Tests that look at the whole machine (process counts,
//! cgroups) take the `MACHINE` lock exclusively; the others share it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use api::{RunOutput, RunStream};
use server::runs::languages::Languages;
use server::runs::sandbox::{Ending, Limits, Outcome, RunRequest, SLOT_UID_BASE, Sandbox};
use tokio::sync::{RwLock, mpsc, watch};

static MACHINE: RwLock<()> = RwLock::const_new(());
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

/// A slot of its own for every run of this process (so a uid of its own, when root).
fn slot() -> usize {
    NEXT_SLOT.fetch_add(1, Ordering::Relaxed)
}

fn limits() -> Limits {
    Limits {
        wall: Duration::from_secs(3),
        compile_wall: Duration::from_secs(60),
        cpu: Duration::from_secs(3),
        memory_bytes: 128 << 20,
        processes: 64,
        open_files: 256,
        file_size_bytes: 16 << 20,
        output_bytes: 64 << 10,
    }
}

fn sandbox() -> Sandbox {
    Sandbox::new(limits(), Languages::detect())
}

struct Ran {
    outcome: Outcome,
    stdout: String,
    stderr: String,
    slot: usize,
    messages: usize,
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} after {:?} (truncated: {})\n--- stdout\n{}\n--- stderr\n{}",
            self.outcome.ending,
            self.outcome.wall,
            self.outcome.truncated,
            tail(&self.stdout),
            tail(&self.stderr)
        )
    }
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(2000);
    let start = (start..=text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    &text[start..]
}

async fn collect(mut rx: mpsc::Receiver<RunOutput>) -> (String, String, usize) {
    let (mut stdout, mut stderr, mut messages) = (String::new(), String::new(), 0);
    while let Some(piece) = rx.recv().await {
        messages += 1;
        match piece.stream {
            RunStream::Stdout => stdout.push_str(&piece.text),
            RunStream::Stderr => stderr.push_str(&piece.text),
        }
    }
    (stdout, stderr, messages)
}

async fn run_with(
    sandbox: &Sandbox,
    language: &str,
    source: &str,
    stdin: &str,
    stop: watch::Receiver<bool>,
) -> Ran {
    let language = sandbox
        .languages()
        .get(language)
        .unwrap_or_else(|| panic!("{language} is in the table"));
    assert!(language.runnable, "{} must be runnable here", language.id());
    let slot = slot();
    let (tx, rx) = mpsc::channel(64);
    let request = RunRequest {
        language,
        source,
        stdin,
        slot,
    };
    // Nothing here may hang the test suite, whatever the sandbox does.
    let (outcome, (stdout, stderr, messages)) =
        tokio::time::timeout(Duration::from_secs(120), async {
            tokio::join!(sandbox.run(request, tx, stop), collect(rx))
        })
        .await
        .expect("the run ends by itself");
    Ran {
        outcome,
        stdout,
        stderr,
        slot,
        messages,
    }
}

async fn run(sandbox: &Sandbox, language: &str, source: &str) -> Ran {
    let (_stop, stop) = watch::channel(false);
    run_with(sandbox, language, source, "", stop).await
}

/// Processes of the machine whose real uid is `uid`.
fn processes_of(uid: u32) -> Vec<i32> {
    all_processes()
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("Uid:"))
                        .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
                })
                .is_some_and(|u| u == uid.to_string())
        })
        .collect()
}

fn all_processes() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect()
}

fn command_lines() -> Vec<String> {
    all_processes()
        .into_iter()
        .filter_map(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).ok())
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .collect()
}

fn as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Waits up to two seconds for `check` to hold.
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..40 {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}

fn our_cgroups() -> Vec<String> {
    let prefix = format!("stagepad-run-{}-", std::process::id());
    [
        "/sys/fs/cgroup/memory",
        "/sys/fs/cgroup/pids",
        "/sys/fs/cgroup",
    ]
    .iter()
    .flat_map(|dir| std::fs::read_dir(dir).into_iter().flatten().flatten())
    .map(|e| e.file_name().to_string_lossy().into_owned())
    .filter(|n| n.starts_with(&prefix))
    .collect()
}

const HELLOS: &[(&str, &str)] = &[
    ("python", "print('hello from python')\n"),
    ("javascript", "console.log('hello from javascript');\n"),
    (
        "typescript",
        "const who: string = 'typescript';\nconsole.log(`hello from ${who}`);\n",
    ),
    (
        "java",
        "public class Main {\n  public static void main(String[] args) {\n    \
         System.out.println(\"hello from java\");\n  }\n}\n",
    ),
    (
        "c",
        "#include <stdio.h>\nint main(void) { puts(\"hello from c\"); return 0; }\n",
    ),
    (
        "cpp",
        "#include <iostream>\nint main() { std::cout << \"hello from cpp\" << std::endl; }\n",
    ),
    (
        "go",
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from go\") }\n",
    ),
    (
        "rust",
        "fn main() { println!(\"hello from {}\", \"rust\"); }\n",
    ),
    ("ruby", "puts \"hello from #{'ruby'}\"\n"),
    (
        "sql",
        "SELECT 'hello from ' || 'sql' AS greeting;\nSELECT count(*) AS people FROM employees;\n",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_required_language_prints_a_known_line() {
    let _machine = MACHINE.read().await;
    let sandbox = sandbox();
    // Interpreters first, alone: their start-up time is a figure worth seeing.
    let started = Instant::now();
    let python = run(&sandbox, "python", "print('hello from python')\n").await;
    eprintln!(
        "python hello: {:?} in the sandbox, {:?} from call to outcome",
        python.outcome.wall,
        started.elapsed()
    );
    assert_eq!(python.outcome.ending, Ending::Exited(0), "{python:?}");

    let runs = HELLOS.iter().map(|(language, source)| {
        let sandbox = sandbox.clone();
        async move {
            let started = Instant::now();
            let ran = run(&sandbox, language, source).await;
            (*language, ran, started.elapsed())
        }
    });
    for (language, ran, took) in futures_util::future::join_all(runs).await {
        eprintln!(
            "{language}: {:?}, run {:?}, all {took:?}",
            ran.outcome.ending, ran.outcome.wall
        );
        assert_eq!(ran.outcome.ending, Ending::Exited(0), "{language}: {ran:?}");
        assert!(
            ran.stdout.contains(&format!("hello from {language}")),
            "{language}: {ran:?}"
        );
        assert!(!ran.outcome.truncated);
    }
}

#[tokio::test]
async fn the_sql_sample_database_is_there_and_fresh_each_run() {
    let _machine = MACHINE.read().await;
    let sandbox = sandbox();
    let ran = run(
        &sandbox,
        "sql",
        "DELETE FROM employees WHERE department_id = 2;\n\
         SELECT d.name, count(e.id) AS people FROM departments d \
         LEFT JOIN employees e ON e.department_id = d.id GROUP BY d.id ORDER BY d.id;\n",
    )
    .await;
    assert_eq!(ran.outcome.ending, Ending::Exited(0), "{ran:?}");
    assert!(ran.stdout.contains("Engineering | 5"), "{ran:?}");
    assert!(ran.stdout.contains("Sales       | 0"), "{ran:?}");
    // The next run starts from the seed again.
    let ran = run(&sandbox, "sql", "SELECT count(*) AS n FROM employees;").await;
    assert!(ran.stdout.contains("| 12 |"), "{ran:?}");
    // An SQL error is the program's error.
    let ran = run(&sandbox, "sql", "SELECT * FROM nowhere;").await;
    assert_eq!(ran.outcome.ending, Ending::Exited(1), "{ran:?}");
    assert!(ran.stderr.contains("no such table: nowhere"), "{ran:?}");
}

#[tokio::test]
async fn a_compile_error_is_reported_with_the_compilers_message() {
    let _machine = MACHINE.read().await;
    let ran = run(
        &sandbox(),
        "c",
        "#include <stdio.h>\nint main(void) { return undefined_thing; }\n",
    )
    .await;
    assert!(
        matches!(ran.outcome.ending, Ending::CompileError(code) if code != 0),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("undefined_thing"), "{ran:?}");
    assert!(ran.stderr.contains("error"), "{ran:?}");
    assert_eq!(ran.stdout, "");
}

#[tokio::test]
async fn stdin_reaches_the_program_and_exit_codes_come_back() {
    let _machine = MACHINE.read().await;
    let sandbox = sandbox();
    let (_stop, stop) = watch::channel(false);
    let ran = run_with(
        &sandbox,
        "python",
        "import sys\nnumbers = [int(line) for line in sys.stdin]\nprint('sum', sum(numbers))\n\
         print('ünïcödé ✓', file=sys.stderr)\nsys.exit(3)\n",
        "1\n2\n39\n",
        stop,
    )
    .await;
    assert_eq!(ran.outcome.ending, Ending::Exited(3), "{ran:?}");
    assert_eq!(ran.stdout, "sum 42\n");
    assert_eq!(ran.stderr, "ünïcödé ✓\n");
}

#[tokio::test]
async fn output_streams_as_it_comes_in_sensible_pieces() {
    let _machine = MACHINE.read().await;
    let sandbox = sandbox();
    let language = sandbox.languages().get("python").unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let (_stop, stop) = watch::channel(false);
    let source = "import time\nprint('first', flush=True)\ntime.sleep(1)\n\
                  print('x' * 100000)\n";
    let run = sandbox.run(
        RunRequest {
            language,
            source,
            stdin: "",
            slot: slot(),
        },
        tx,
        stop,
    );
    let watcher = async {
        // Unbuffered Python may write the line and its newline apart.
        let mut first = rx.recv().await.unwrap();
        while first.text == "first" {
            first.text.push_str(&rx.recv().await.unwrap().text);
        }
        let at = Instant::now();
        let mut rest = Vec::new();
        while let Some(piece) = rx.recv().await {
            rest.push(piece);
        }
        (first, at, rest)
    };
    let (outcome, (first, first_at, rest)) = tokio::join!(run, watcher);
    // The first line arrived while the program was still sleeping.
    assert_eq!(first.text, "first\n");
    assert!(first_at.elapsed() > Duration::from_millis(500));
    assert_eq!(outcome.ending, Ending::OutputLimit);
    assert!(outcome.truncated);
    let total: usize = rest.iter().map(|p| p.text.len()).sum::<usize>() + first.text.len();
    assert_eq!(total, 64 << 10);
    // 64 KiB came in a few pieces, not byte by byte.
    assert!(rest.len() <= 64, "{} pieces", rest.len());
}

#[tokio::test]
async fn an_endless_loop_hits_the_time_limit() {
    let _machine = MACHINE.read().await;
    let ran = run(
        &sandbox(),
        "python",
        "import time\nend = time.time() + 60\nwhile time.time() < end:\n    pass\n",
    )
    .await;
    assert_eq!(ran.outcome.ending, Ending::TimeLimit, "{ran:?}");
    // Not stopped early. The CPU limit (3 s) counts from the program's start, but the wall time
    // from the moment the server reads the program's "started" line, which a machine busy with
    // the other tests may read a little late (seen once under `make test`): hence 2 s.
    assert!(ran.outcome.wall >= Duration::from_secs(2), "{ran:?}");
    // Stopped soon after the limit (with room for a busy machine), long before the program's
    // own 60 s.
    assert!(ran.outcome.wall < Duration::from_secs(15), "{ran:?}");
}

#[tokio::test]
async fn cpu_time_is_limited_apart_from_wall_time() {
    let _machine = MACHINE.read().await;
    let sandbox = Sandbox::new(
        Limits {
            wall: Duration::from_secs(20),
            cpu: Duration::from_secs(1),
            ..limits()
        },
        Languages::detect(),
    );
    let ran = run(
        &sandbox,
        "python",
        "import time\nend = time.time() + 30\nwhile time.time() < end:\n    pass\n",
    )
    .await;
    assert_eq!(ran.outcome.ending, Ending::TimeLimit, "{ran:?}");
    // Well before the 20 s of wall time (with room for a busy machine).
    assert!(ran.outcome.wall < Duration::from_secs(10), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_bomb_ends_and_leaves_no_process_behind() {
    let _machine = MACHINE.write().await;
    let sandbox = sandbox();
    let before = all_processes().len();
    let slot_uid = SLOT_UID_BASE + NEXT_SLOT.load(Ordering::Relaxed) as u32;
    let bomb = "import os, time\nend = time.time() + 20\nwhile time.time() < end:\n    \
                try:\n        os.fork()\n    except OSError:\n        time.sleep(0.01)\n";
    let watch_bomb = async {
        tokio::time::sleep(Duration::from_millis(2000)).await;
        if as_root() {
            processes_of(slot_uid).len()
        } else {
            all_processes().len().saturating_sub(before)
        }
    };
    let (ran, during) = tokio::join!(run(&sandbox, "python", bomb), watch_bomb);
    assert_eq!(ran.slot as u32 + SLOT_UID_BASE, slot_uid);
    eprintln!("fork bomb: {during} processes at its height; {ran:?}");
    assert_eq!(ran.outcome.ending, Ending::TimeLimit, "{ran:?}");
    // It did fork, up to the limit (64 processes and threads, and a few for bwrap).
    assert!(during >= 20, "{during}");
    assert!(during <= 70, "{during}");
    assert!(eventually(|| processes_of(slot_uid).is_empty()).await);
    let after = all_processes().len();
    assert!(
        after <= before + 5,
        "{before} processes before, {after} after"
    );
    assert!(
        eventually(|| our_cgroups().is_empty()).await,
        "{:?}",
        our_cgroups()
    );
    // This process can still start others.
    assert!(
        std::process::Command::new("true")
            .status()
            .unwrap()
            .success()
    );
}

#[tokio::test]
async fn allocating_without_end_hits_the_memory_limit() {
    let _machine = MACHINE.read().await;
    let sandbox = sandbox();
    let ran = run(
        &sandbox,
        "python",
        "import time\nend = time.time() + 20\nheap = []\nwhile time.time() < end:\n    \
         heap.append(b'x' * (8 << 20))\n",
    )
    .await;
    if sandbox.has_memory_cgroup() {
        assert_eq!(ran.outcome.ending, Ending::MemoryLimit, "{ran:?}");
    } else {
        // Address-space limit only: Python's MemoryError.
        assert_eq!(ran.outcome.ending, Ending::Exited(1), "{ran:?}");
        assert!(ran.stderr.contains("MemoryError"), "{ran:?}");
    }
    assert!(ran.outcome.wall < Duration::from_secs(3), "{ran:?}");
}

#[tokio::test]
async fn a_huge_file_ends_the_program_and_leaves_nothing_on_disk() {
    let _machine = MACHINE.read().await;
    let name = format!("huge-{}", uuid::Uuid::new_v4().simple());
    let source = format!(
        "import os, time\nend = time.time() + 20\n\
         for place in ['/', '/src/', '/usr/', '/dev/shm/']:\n    \
             try:\n        open(place + '{name}', 'wb').write(b'x')\n        \
             print('wrote', place)\n    except OSError as e:\n        print('refused', place)\n\
         with open('/tmp/{name}', 'wb') as f:\n    \
             while time.time() < end:\n        f.write(b'x' * (1 << 20))\n        f.flush()\n"
    );
    let ran = run(&sandbox(), "python", &source).await;
    // RLIMIT_FSIZE: the write fails (Python ignores SIGXFSZ and raises).
    assert!(
        matches!(ran.outcome.ending, Ending::Exited(1) | Ending::Signaled(25)),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("File too large"), "{ran:?}");
    assert!(ran.outcome.wall < Duration::from_secs(3), "{ran:?}");
    for place in ["/", "/src/", "/usr/"] {
        assert!(
            ran.stdout.contains(&format!("refused {place}\n")),
            "{ran:?}"
        );
    }
    // /dev/shm is a small tmpfs of the sandbox's own.
    assert!(ran.stdout.contains("wrote /dev/shm/"), "{ran:?}");
    // Nothing by that name anywhere under the host's /tmp, /dev/shm or working directory.
    fn find(dir: &std::path::Path, name: &str, depth: usize) -> bool {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                e.file_name().to_string_lossy() == name
                    || (depth > 0
                        && e.file_type().is_ok_and(|t| t.is_dir())
                        && find(&e.path(), name, depth - 1))
            })
    }
    for dir in ["/tmp", "/dev/shm", "."] {
        assert!(!find(std::path::Path::new(dir), &name, 3), "{dir}");
    }
}

#[tokio::test]
async fn printing_100_mb_hits_the_output_limit() {
    let _machine = MACHINE.read().await;
    let started = Instant::now();
    let ran = run(
        &sandbox(),
        "python",
        "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))\n",
    )
    .await;
    assert_eq!(ran.outcome.ending, Ending::OutputLimit, "{ran:?}");
    assert!(ran.outcome.truncated);
    assert_eq!(ran.stdout.len(), 64 << 10);
    assert!(ran.messages <= 64, "{} messages", ran.messages);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_tries_to_outlive_the_run_is_killed_with_it() {
    let _machine = MACHINE.read().await;
    let marker = 900 + (std::process::id() % 97);
    let ran = run(
        &sandbox(),
        "python",
        &format!(
            "import os\nos.system('nohup sleep {marker} >/dev/null 2>&1 &')\n\
             os.system('setsid sleep {marker} &')\nprint('left behind two sleepers')\n"
        ),
    )
    .await;
    assert_eq!(ran.outcome.ending, Ending::Exited(0), "{ran:?}");
    // The run did not wait for the sleepers (they sleep 900 s and more).
    assert!(ran.outcome.wall < Duration::from_secs(30), "{ran:?}");
    let sleeping = |line: &String| line.trim() == format!("sleep {marker}");
    assert!(
        eventually(|| !command_lines().iter().any(sleeping)).await,
        "a sleeper survived the run"
    );
}

#[tokio::test]
async fn connecting_to_loopback_fails() {
    let _machine = MACHINE.read().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let source = format!(
        "import socket\n\
         for host in ['127.0.0.1', 'localhost', '::1']:\n    \
             try:\n        socket.create_connection((host, {port}), timeout=2)\n        \
             print('connected', host)\n    except OSError as e:\n        print('failed', host, e)\n\
         import os\nprint('interfaces', sorted(os.listdir('/sys/class/net')) if os.path.exists('/sys/class/net') else 'none')\n"
    );
    let ran = run(&sandbox(), "python", &source).await;
    assert_eq!(ran.outcome.ending, Ending::Exited(0), "{ran:?}");
    assert!(!ran.stdout.contains("connected"), "{ran:?}");
    assert_eq!(ran.stdout.matches("failed").count(), 3, "{ran:?}");
    let accepted = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(accepted.is_err(), "the listener saw a connection");
}

#[tokio::test]
#[allow(unsafe_code)]
async fn the_servers_environment_and_files_are_invisible() {
    let _machine = MACHINE.read().await;
    const SECRET: &str = "s3cr3t-of-the-server-7f1c";
    // SAFETY: this binary's tests never read STAGEPAD_SECRET elsewhere; a concurrent getenv of
    // another variable is the only risk, and the tests' own code does not call getenv.
    unsafe { std::env::set_var("STAGEPAD_SECRET", SECRET) };
    let data = tempfile::tempdir_in(".").unwrap();
    let key = data.path().canonicalize().unwrap().join("master.key");
    std::fs::write(&key, SECRET).unwrap();
    let cwd = std::env::current_dir().unwrap();
    let source = format!(
        r#"import os
print('env', sorted(os.environ))
for path in [{key:?}, {cwd:?}, '/root', '/work', '/etc/passwd', '/etc/shadow', '/home', '/proc/1/environ', '/proc/self/environ', '/sys']:
    try:
        if os.path.isdir(path):
            print('listed', path, os.listdir(path))
        else:
            print('read', path, open(path, 'rb').read()[:200])
    except OSError as e:
        print('missing', path, type(e).__name__)
print('root', sorted(os.listdir('/')))
print('etc', sorted(os.listdir('/etc')))
print('processes', sorted(p for p in os.listdir('/proc') if p.isdigit()))
"#,
        key = key.display().to_string(),
        cwd = cwd.display().to_string(),
    );
    let ran = run(&sandbox(), "python", &source).await;
    assert_eq!(ran.outcome.ending, Ending::Exited(0), "{ran:?}");
    assert!(!ran.stdout.contains(SECRET), "{ran:?}");
    assert!(!ran.stdout.contains("STAGEPAD"), "{ran:?}");
    let env_line = ran.stdout.lines().next().unwrap();
    assert_eq!(
        env_line,
        "env ['HOME', 'LANG', 'PATH', 'PWD', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED', 'TMPDIR']"
    );
    for path in [key.display().to_string(), cwd.display().to_string()] {
        assert!(ran.stdout.contains(&format!("missing {path} ")), "{ran:?}");
    }
    for path in [
        "/root",
        "/work",
        "/etc/passwd",
        "/etc/shadow",
        "/home",
        "/sys",
    ] {
        assert!(
            ran.stdout.contains(&format!("missing {path} ")),
            "{path}: {ran:?}"
        );
    }
    assert!(
        ran.stdout.contains(
            "root ['bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'sbin', 'src', 'tmp', 'usr']"
        ),
        "{ran:?}"
    );
    // Of /etc, only the dynamic linker's cache (Python declares nothing more).
    assert!(ran.stdout.contains("etc ['ld.so.cache']"), "{ran:?}");
    // Only the sandbox's own processes: bwrap's init and the program.
    assert!(ran.stdout.contains("processes ['1', '2']"), "{ran:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_minus_one_inside_touches_nothing_outside() {
    let _machine = MACHINE.read().await;
    let sandbox = sandbox();
    let slot = NEXT_SLOT.fetch_add(1, Ordering::Relaxed);
    let uid = SLOT_UID_BASE + slot as u32;
    // A bystander with the very uid the sandbox runs as (when root), outside the sandbox.
    let mut bystander = if as_root() {
        std::process::Command::new("setpriv")
            .args(["--reuid", &uid.to_string(), "--regid", &uid.to_string()])
            .args(["--clear-groups", "sleep", "60"])
            .spawn()
            .unwrap()
    } else {
        std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap()
    };
    let language = sandbox.languages().get("python").unwrap();
    let (tx, rx) = mpsc::channel(64);
    let (_stop, stop) = watch::channel(false);
    // A child of its own to kill, so that kill -1 finds something (and ends by itself).
    let source = "import os, signal, time\nchild = os.fork()\nif child == 0:\n    time.sleep(30)\n    \
                  os._exit(0)\ntime.sleep(0.2)\nos.kill(-1, signal.SIGKILL)\n\
                  print('still here', os.waitpid(child, 0)[1])\n";
    let (outcome, (stdout, _, _)) = tokio::join!(
        sandbox.run(
            RunRequest {
                language,
                source,
                stdin: "",
                slot,
            },
            tx,
            stop
        ),
        collect(rx)
    );
    assert_eq!(outcome.ending, Ending::Exited(0), "{stdout}");
    // The program's child died of SIGKILL; the program itself lives on.
    assert_eq!(stdout, "still here 9\n");
    assert!(
        bystander.try_wait().unwrap().is_none(),
        "the bystander was killed"
    );
    bystander.kill().unwrap();
    bystander.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_request_stops_the_run_within_a_second() {
    let _machine = MACHINE.read().await;
    let sandbox = sandbox();
    let (stop_tx, stop) = watch::channel(false);
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        stop_tx.send(true).unwrap();
        Instant::now()
    };
    let source = "import time\nprint('working', flush=True)\ntime.sleep(30)\n";
    let (ran, stopped_at) = tokio::join!(run_with(&sandbox, "python", source, "", stop), stopper);
    let after_stop = stopped_at.elapsed();
    assert_eq!(ran.outcome.ending, Ending::Stopped, "{ran:?}");
    assert_eq!(ran.stdout, "working\n");
    assert!(after_stop < Duration::from_secs(1), "{after_stop:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_run_kills_the_sandbox_and_removes_its_cgroups() {
    let _machine = MACHINE.write().await;
    let sandbox = sandbox();
    let slot = NEXT_SLOT.fetch_add(1, Ordering::Relaxed);
    let uid = SLOT_UID_BASE + slot as u32;
    let language = sandbox.languages().get("python").unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let (_stop, stop) = watch::channel(false);
    let source =
        "import os, time\nos.system('sleep 45 &')\nprint('up', flush=True)\ntime.sleep(30)\n";
    let run = sandbox.run(
        RunRequest {
            language,
            source,
            stdin: "",
            slot,
        },
        tx,
        stop,
    );
    tokio::select! {
        _ = run => panic!("the run ended by itself"),
        first = rx.recv() => assert!(first.unwrap().text.starts_with("up")),
    }
    // The run's future is gone now.
    if as_root() {
        assert!(
            eventually(|| processes_of(uid).is_empty()).await,
            "{:?}",
            processes_of(uid)
        );
        assert!(
            eventually(|| our_cgroups().is_empty()).await,
            "{:?}",
            our_cgroups()
        );
    }
    assert!(
        eventually(|| !command_lines().iter().any(|l| l.trim() == "sleep 45")).await,
        "the sleeper survived"
    );
}

#[tokio::test]
async fn a_program_cannot_make_a_user_namespace_of_its_own() {
    let _machine = MACHINE.read().await;
    let ran = run(
        &sandbox(),
        "python",
        "import subprocess\nr = subprocess.run(['unshare', '-Urn', 'true'])\nprint('nested', r.returncode)\n",
    )
    .await;
    assert_eq!(ran.outcome.ending, Ending::Exited(0), "{ran:?}");
    assert!(ran.stdout.starts_with("nested "), "{ran:?}");
    assert_ne!(
        ran.stdout.trim(),
        "nested 0",
        "a nested user namespace was made: {ran:?}"
    );
}

#[tokio::test]
async fn unknown_and_missing_languages_are_the_callers_to_refuse() {
    let _machine = MACHINE.read().await;
    let languages = Languages::detect();
    assert!(languages.get("cobol").is_none());
    assert!(!languages.runnable("cobol"));
    for required in [
        "python",
        "javascript",
        "typescript",
        "java",
        "c",
        "cpp",
        "go",
        "rust",
        "ruby",
        "sql",
    ] {
        assert!(languages.runnable(required), "{required} must run here");
    }
    let infos = languages.infos();
    let ids: HashSet<&str> = infos.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), api::LANGUAGES.len());
    // A language whose toolchain is missing fails at once, without a sandbox.
    if let Some(missing) = api::LANGUAGES
        .iter()
        .find(|(id, _)| !languages.runnable(id))
    {
        let sandbox = sandbox();
        let language = sandbox.languages().get(missing.0).unwrap();
        let (tx, _rx) = mpsc::channel(1);
        let (_stop, stop) = watch::channel(false);
        let outcome = sandbox
            .run(
                RunRequest {
                    language,
                    source: "",
                    stdin: "",
                    slot: slot(),
                },
                tx,
                stop,
            )
            .await;
        assert!(matches!(outcome.ending, Ending::Failed(_)), "{outcome:?}");
    }
}
