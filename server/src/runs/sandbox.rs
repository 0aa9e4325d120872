//! One program, run in bubblewrap: new user, PID, network, IPC, UTS and mount namespaces, a
//! read-only view of `/usr` and the few toolchain paths the language declares, a size-bounded
//! scratch `/tmp`, an empty environment, and limits on wall and CPU time, memory, processes,
//! open files, file size and output.
//!
//! How a run goes:
//! - The program's text (and any data file of the language, such as the SQL seed) reaches the
//!   sandbox through a memfd that bwrap copies in (`--ro-bind-data`): nothing is written to the
//!   host's disk, and the scratch is a tmpfs that vanishes with the sandbox.
//! - When the server is root, each run is a dedicated unprivileged user (`100000 + slot`), so
//!   `RLIMIT_NPROC` counts only that run's processes, and it gets its own memory and pids cgroup
//!   (`stagepad-run-<server pid>-<n>`, v1 or v2, whichever the machine has), removed afterwards.
//!   The child first gets a private mount namespace with an empty `/tmp`, where bwrap builds
//!   its root and where toolchains the sandbox user may not reach (a rustup sysroot under
//!   `/root`) are bind-mounted for bwrap. When the server is not root,
//!   runs are the server's own user, with rlimits only (`RLIMIT_AS` instead of a memory cgroup).
//! - Inside, `sh` runs the language's compile command (its output shown as stderr), tells the
//!   server how it went over a socket on fd 3, waits for the server to lower the memory limit
//!   to the program's, and `exec`s the program with the CPU limit lowered to the program's.
//! - The run ends at the program's exit, at a limit, on a stop request, or when the future is
//!   dropped. In every case the bwrap process group is killed (`killpg`), which takes the PID
//!   namespace and everything in it; its cgroup is swept and removed.
//!
//! bwrap reports a program killed by signal `n` as exit code `128 + n`, so an `exit(137)` reads
//! as killed by SIGKILL.

// Forking needs `pre_exec` (rlimits, cgroup, uid) and a few raw libc calls (killpg, memfd);
// each unsafe block says why it is sound.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io::{Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use api::{RunOutput, RunStream};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot, watch};

use super::languages::{Language, Languages, SANDBOX_PATH};
use crate::config::{RunSettings, Settings};

/// The first uid of the per-slot sandbox users (when the server runs as root).
pub const SLOT_UID_BASE: u32 = 100_000;

/// The limits of one run (before the language's adjustments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The program's wall time.
    pub wall: Duration,
    /// The compile step's own wall time.
    pub compile_wall: Duration,
    /// CPU time of each process of the program.
    pub cpu: Duration,
    pub memory_bytes: u64,
    /// Processes and threads.
    pub processes: u64,
    pub open_files: u64,
    /// The largest file the program may write (its scratch holds four of them, at least 64 MiB).
    pub file_size_bytes: u64,
    /// stdout and stderr together, compiler messages included.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from(&RunSettings::default())
    }
}

impl From<&RunSettings> for Limits {
    fn from(s: &RunSettings) -> Self {
        Limits {
            wall: s.wall,
            compile_wall: s.compile_wall,
            cpu: s.cpu,
            memory_bytes: s.memory_mb << 20,
            processes: s.processes,
            open_files: s.open_files,
            file_size_bytes: s.file_size_mb << 20,
            output_bytes: s.output_kb << 10,
        }
    }
}

impl From<&Settings> for Limits {
    fn from(settings: &Settings) -> Self {
        Limits::from(&settings.runs)
    }
}

pub struct RunRequest<'a> {
    pub language: &'a Language,
    pub source: &'a str,
    pub stdin: &'a str,
    /// Which place of the server's pool runs it: its sandbox user is `100000 + slot`. Two runs
    /// at once must not share a slot.
    pub slot: usize,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The program exited with this code.
    Exited(i32),
    /// The program was killed by this signal (not by one of the limits below).
    Signaled(i32),
    /// The compile step failed with this status; its messages were the output.
    CompileError(i32),
    /// Wall time (of the compile step or the program) or CPU time ran out.
    TimeLimit,
    MemoryLimit,
    /// The output reached its limit: cut there, and the program stopped.
    OutputLimit,
    /// A stop request, or the run's future was dropped.
    Stopped,
    /// The sandbox could not run it (the reason is for the server's log, not the pad).
    Failed(String),
}

impl Ending {
    /// The pad's status for this ending.
    pub fn status(&self) -> api::RunStatus {
        use api::RunStatus;
        match self {
            Ending::Exited(_) | Ending::Signaled(_) => RunStatus::Exited,
            Ending::CompileError(_) => RunStatus::CompileError,
            Ending::TimeLimit => RunStatus::TimeLimit,
            Ending::MemoryLimit => RunStatus::MemoryLimit,
            Ending::OutputLimit => RunStatus::OutputLimit,
            Ending::Stopped => RunStatus::Stopped,
            Ending::Failed(_) => RunStatus::Failed,
        }
    }

    /// The exit code the pad shows: a signal `n` shows as `128 + n`, as shells do.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Ending::Exited(code) | Ending::CompileError(code) => Some(*code),
            Ending::Signaled(signal) => Some(128 + signal),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ending: Ending,
    /// From the program's start (after compiling) to its end; the compile step's time when it
    /// did not get that far.
    pub wall: Duration,
    /// The output was cut at the limit.
    pub truncated: bool,
}

/// Who the sandboxed processes are.
#[derive(Debug, Clone, Copy)]
enum Identity {
    /// The server is root: each slot is its own unprivileged user.
    SlotUsers,
    /// Not root: the server's own user (no `RLIMIT_NPROC`: it would count the server's threads).
    Own,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Cgroups {
    V1 {
        memory: PathBuf,
        pids: Option<PathBuf>,
    },
    V2 {
        root: PathBuf,
    },
    None,
}

/// Runs programs, one sandbox each.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    limits: Limits,
    languages: Languages,
    bwrap: PathBuf,
    identity: Identity,
    cgroups: Cgroups,
}

/// The tasks (threads) running as this process's real uid, which `RLIMIT_NPROC` counts.
fn tasks_of_this_user() -> u64 {
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() }.to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("status")).ok())
        .filter(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().next())
                == Some(uid.as_str())
        })
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse::<u64>().ok())
        })
        .sum()
}

/// Debian's bubblewrap.
pub const BWRAP: &str = "/usr/bin/bwrap";

/// Numbers the runs of this process (cgroup names must not repeat, whatever the sandbox).
static NEXT_RUN: AtomicU64 = AtomicU64::new(0);

impl Sandbox {
    pub fn new(limits: Limits, languages: Languages) -> Self {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let cgroups = if root {
            detect_cgroups()
        } else {
            Cgroups::None
        };
        if root {
            remove_stale_cgroups(&cgroups);
        }
        tracing::info!(
            ?cgroups,
            as_root = root,
            "code runs: bubblewrap sandbox ready"
        );
        Sandbox {
            inner: Arc::new(Inner {
                limits,
                languages,
                bwrap: PathBuf::from(BWRAP),
                identity: if root {
                    Identity::SlotUsers
                } else {
                    Identity::Own
                },
                cgroups,
            }),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn languages(&self) -> &Languages {
        &self.inner.languages
    }

    /// The memory limit is a cgroup's (else only address space is limited).
    pub fn has_memory_cgroup(&self) -> bool {
        self.inner.cgroups != Cgroups::None
    }

    /// Runs one program to its end, sending its output as it comes. Whatever ends it (its exit,
    /// a limit, `stop` turning true, or this future being dropped), every process it started is
    /// gone before the outcome is returned (when dropped: right after).
    pub async fn run(
        &self,
        request: RunRequest<'_>,
        output: mpsc::Sender<RunOutput>,
        stop: watch::Receiver<bool>,
    ) -> Outcome {
        if !request.language.runnable {
            return Outcome {
                ending: Ending::Failed(format!("{} is not installed", request.language.id())),
                wall: Duration::ZERO,
                truncated: false,
            };
        }
        let job = Job {
            inner: self.inner.clone(),
            id: NEXT_RUN.fetch_add(1, Ordering::Relaxed),
            language: request.language.clone(),
            source: request.source.to_string(),
            stdin: request.stdin.to_string(),
            slot: request.slot,
        };
        // The run is supervised by a task of its own, so that dropping this future still lets it
        // kill the sandbox, wait for it and remove its cgroups (the dropped sender says "stop").
        let (_dropped, cancel) = oneshot::channel::<()>();
        let task = tokio::spawn(job.supervise(output, stop, cancel));
        match task.await {
            Ok(outcome) => outcome,
            Err(e) => Outcome {
                ending: Ending::Failed(format!("the run's supervisor failed: {e}")),
                wall: Duration::ZERO,
                truncated: false,
            },
        }
    }
}

fn detect_cgroups() -> Cgroups {
    let base = Path::new("/sys/fs/cgroup");
    let probe = format!("stagepad-probe-{}", std::process::id());
    let memory = base.join("memory");
    if memory.join("memory.limit_in_bytes").exists() {
        let dir = memory.join(&probe);
        if std::fs::create_dir(&dir).is_ok() {
            let _ = std::fs::remove_dir(&dir);
            let pids = base.join("pids");
            let pids = pids
                .join("pids.current")
                .exists()
                .then_some(pids)
                .or_else(|| {
                    // The root of a v1 pids hierarchy has no pids.current: test by creating one.
                    let pids = base.join("pids");
                    let dir = pids.join(&probe);
                    let ok = std::fs::create_dir(&dir).is_ok() && dir.join("pids.max").exists();
                    let _ = std::fs::remove_dir(&dir);
                    ok.then_some(pids)
                });
            return Cgroups::V1 { memory, pids };
        }
    }
    let controllers = std::fs::read_to_string(base.join("cgroup.controllers")).unwrap_or_default();
    if controllers.split_whitespace().any(|c| c == "memory")
        && controllers.split_whitespace().any(|c| c == "pids")
    {
        let _ = std::fs::write(base.join("cgroup.subtree_control"), "+memory +pids");
        let dir = base.join(&probe);
        if std::fs::create_dir(&dir).is_ok() {
            let ok = dir.join("memory.max").exists() && dir.join("pids.max").exists();
            let _ = std::fs::remove_dir(&dir);
            if ok {
                return Cgroups::V2 {
                    root: base.to_path_buf(),
                };
            }
        }
    }
    Cgroups::None
}

/// Cgroups left by a server that died mid-run (its pid is gone): emptied and removed.
fn remove_stale_cgroups(cgroups: &Cgroups) {
    let parents: Vec<PathBuf> = match cgroups {
        Cgroups::V1 { memory, pids } => std::iter::once(memory.clone())
            .chain(pids.clone())
            .collect(),
        Cgroups::V2 { root } => vec![root.clone()],
        Cgroups::None => return,
    };
    for parent in parents {
        for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix("stagepad-run-") else {
                continue;
            };
            let owner = rest.split('-').next().unwrap_or_default();
            if !owner.is_empty() && !Path::new("/proc").join(owner).exists() {
                sweep_sync(&entry.path());
            }
        }
    }
}

/// Kills what is left in a cgroup and removes it (blocking, bounded to about two seconds).
fn sweep_sync(dir: &Path) {
    for _ in 0..200 {
        if !kill_members(dir) && std::fs::remove_dir(dir).is_ok() {
            return;
        }
        if !dir.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    tracing::warn!(dir = %dir.display(), "could not remove a run's cgroup");
}

/// SIGKILLs every process still in the cgroup; false when it is empty.
fn kill_members(dir: &Path) -> bool {
    let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
    let mut any = false;
    for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
        if pid > 1 {
            any = true;
            // SAFETY: kill has no memory preconditions; the pid was a member of the run's cgroup
            // a moment ago (a member that exited since is a zombie until its parent reaps it).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
    any
}

/// The cgroups of one run; removed on drop if the run did not get to remove them.
struct RunCgroups {
    dirs: Vec<PathBuf>,
    memory_dir: PathBuf,
    version: u8,
    /// `cgroup.procs` of each, open for the child to join.
    procs: Vec<OwnedFd>,
}

impl RunCgroups {
    fn create(
        cgroups: &Cgroups,
        name: &str,
        memory: u64,
        processes: u64,
    ) -> std::io::Result<Option<RunCgroups>> {
        let (dirs, memory_dir, version) = match cgroups {
            Cgroups::None => return Ok(None),
            Cgroups::V1 { memory: m, pids } => {
                let mut dirs = vec![m.join(name)];
                dirs.extend(pids.as_ref().map(|p| p.join(name)));
                (dirs, m.join(name), 1)
            }
            Cgroups::V2 { root } => (vec![root.join(name)], root.join(name), 2),
        };
        let mut run = RunCgroups {
            dirs: Vec::new(),
            memory_dir,
            version,
            procs: Vec::new(),
        };
        for dir in dirs {
            std::fs::create_dir(&dir)?;
            run.dirs.push(dir);
        }
        run.set_memory(memory)?;
        for dir in &run.dirs {
            if dir.join("pids.max").exists() {
                std::fs::write(dir.join("pids.max"), processes.to_string())?;
            }
        }
        for dir in &run.dirs {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(dir.join("cgroup.procs"))?;
            run.procs.push(OwnedFd::from(file));
        }
        Ok(Some(run))
    }

    fn set_memory(&self, bytes: u64) -> std::io::Result<()> {
        let dir = &self.memory_dir;
        if self.version == 1 {
            // With swap accounting, memsw must stay at least the limit: lower in the right order.
            let memsw = dir.join("memory.memsw.limit_in_bytes");
            let _ = std::fs::write(&memsw, bytes.to_string());
            std::fs::write(dir.join("memory.limit_in_bytes"), bytes.to_string())?;
            let _ = std::fs::write(&memsw, bytes.to_string());
            // What the compile step ran into under its larger limit is not the program's.
            let _ = std::fs::write(dir.join("memory.failcnt"), "0");
        } else {
            std::fs::write(dir.join("memory.max"), bytes.to_string())?;
            let _ = std::fs::write(dir.join("memory.swap.max"), "0");
        }
        Ok(())
    }

    /// The run asked for more memory than its limit at least once: the kernel refused a
    /// charge (the program may have seen ENOMEM, e.g. Python's MemoryError, rather than being
    /// killed).
    fn hit_limit(&self) -> bool {
        let file = if self.version == 1 {
            "memory.failcnt"
        } else {
            "memory.events"
        };
        let text = std::fs::read_to_string(self.memory_dir.join(file)).unwrap_or_default();
        if self.version == 1 {
            text.trim().parse::<u64>().is_ok_and(|n| n > 0)
        } else {
            text.lines()
                .filter_map(|l| l.strip_prefix("max "))
                .filter_map(|v| v.trim().parse::<u64>().ok())
                .any(|n| n > 0)
        }
    }

    /// The kernel killed something of the run for memory.
    fn oom_killed(&self) -> bool {
        let file = if self.version == 1 {
            "memory.oom_control"
        } else {
            "memory.events"
        };
        let text = std::fs::read_to_string(self.memory_dir.join(file)).unwrap_or_default();
        let count = |key: &str| {
            text.lines()
                .filter_map(|l| l.strip_prefix(key))
                .filter_map(|v| v.trim().parse::<u64>().ok())
                .next()
        };
        match count("oom_kill ") {
            Some(kills) => kills > 0,
            // Kernels before 4.13 do not count kills: any failure to charge memory will do.
            None => {
                self.version == 1
                    && std::fs::read_to_string(self.memory_dir.join("memory.failcnt"))
                        .ok()
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .is_some_and(|n| n > 0)
            }
        }
    }

    async fn remove(mut self) {
        let dirs = std::mem::take(&mut self.dirs);
        for dir in dirs {
            let mut removed = false;
            for _ in 0..200 {
                if !kill_members(&dir) && std::fs::remove_dir(&dir).is_ok() {
                    removed = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if !removed {
                tracing::warn!(dir = %dir.display(), "could not remove a run's cgroup");
            }
        }
    }
}

impl Drop for RunCgroups {
    fn drop(&mut self) {
        for dir in &self.dirs {
            sweep_sync(dir);
        }
    }
}

/// One run, owned by its supervising task.
struct Job {
    inner: Arc<Inner>,
    id: u64,
    language: Language,
    source: String,
    stdin: String,
    slot: usize,
}

/// Everything the child does between fork and exec, prepared before the fork (only
/// async-signal-safe calls happen in the child).
struct ChildSetup {
    cgroup_procs: Vec<RawFd>,
    /// Kept open across exec (the data files bwrap copies in).
    keep: Vec<RawFd>,
    /// Becomes fd 3: the script's line to the server.
    control: RawFd,
    rlimits: Vec<(libc::__rlimit_resource_t, u64, u64)>,
    /// Give the child a mount namespace of its own with an empty `/tmp` (where bwrap makes its
    /// root, so nothing of it lands on the host's disk) before dropping root.
    private_tmp: bool,
    /// Toolchain paths mounted there for bwrap: (host path, mount point, is a directory).
    staging: Vec<(CString, CString, bool)>,
    user: Option<libc::uid_t>,
}

const STAGING_DIR: &str = "/tmp";

impl ChildSetup {
    /// Runs in the child between fork and exec.
    fn apply(&self) -> std::io::Result<()> {
        let check = |r: libc::c_int| {
            if r < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(())
            }
        };
        // SAFETY (whole block): only async-signal-safe system calls on memory prepared before
        // the fork (CStrings, plain integers); nothing allocates or takes a lock.
        unsafe {
            for fd in &self.cgroup_procs {
                if libc::write(*fd, b"0".as_ptr().cast(), 1) != 1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if self.private_tmp {
                check(libc::unshare(libc::CLONE_NEWNS))?;
                check(libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ))?;
                check(libc::mount(
                    c"tmpfs".as_ptr(),
                    c"/tmp".as_ptr(),
                    c"tmpfs".as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    c"mode=1777,size=1m".as_ptr().cast(),
                ))?;
                for (host, point, is_dir) in &self.staging {
                    if *is_dir {
                        check(libc::mkdir(point.as_ptr(), 0o755))?;
                    } else {
                        let fd = libc::open(
                            point.as_ptr(),
                            libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                            0o644,
                        );
                        check(fd)?;
                        libc::close(fd);
                    }
                    check(libc::mount(
                        host.as_ptr(),
                        point.as_ptr(),
                        std::ptr::null(),
                        libc::MS_BIND | libc::MS_REC,
                        std::ptr::null(),
                    ))?;
                }
            }
            check(libc::dup2(self.control, 3))?;
            for fd in &self.keep {
                check(libc::fcntl(*fd, libc::F_SETFD, 0))?;
            }
            for (resource, soft, hard) in &self.rlimits {
                let limit = libc::rlimit {
                    rlim_cur: *soft,
                    rlim_max: *hard,
                };
                check(libc::setrlimit(*resource, &limit))?;
            }
            if let Some(uid) = self.user {
                check(libc::setgroups(0, std::ptr::null()))?;
                check(libc::setgid(uid))?;
                check(libc::setuid(uid))?;
            }
        }
        Ok(())
    }
}

/// A copy of `fd` numbered 10 or above (close-on-exec), so that it never lands on 0–3.
fn high_fd(fd: OwnedFd) -> std::io::Result<OwnedFd> {
    // SAFETY: fcntl on an fd we own; the result is a fresh fd we take ownership of.
    let dup = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10) };
    if dup < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `dup` is a new, open fd owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(dup) })
}

/// An anonymous in-memory file holding `contents`, read from its start.
fn memfd(contents: &str) -> std::io::Result<OwnedFd> {
    // SAFETY: memfd_create with a valid C string; the result is a new fd we own.
    let fd = unsafe { libc::memfd_create(c"stagepad-run".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new, open fd owned by nobody else.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    file.write_all(contents.as_bytes())?;
    file.rewind()?;
    high_fd(OwnedFd::from(file))
}

fn kill_group(pgid: Option<u32>) {
    if let Some(pgid) = pgid.and_then(|p| i32::try_from(p).ok()).filter(|p| *p > 1) {
        // SAFETY: killpg has no memory preconditions; the group is the bwrap child's, which is
        // not reaped yet (the caller only kills before `wait` returned), so it is still ours.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

/// Turns bytes into text as they come, keeping a character split between reads whole.
#[derive(Default)]
struct Utf8Stream {
    carry: Vec<u8>,
}

impl Utf8Stream {
    fn push(&mut self, bytes: &[u8]) -> String {
        self.carry.extend_from_slice(bytes);
        let mut out = String::new();
        let mut rest: &[u8] = &self.carry;
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    out.push_str(text);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[bad..];
                        }
                        // An incomplete character at the end: wait for the rest.
                        None => {
                            rest = after;
                            break;
                        }
                    }
                }
            }
        }
        self.carry = rest.to_vec();
        out
    }

    fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.carry);
        String::from_utf8_lossy(&rest).into_owned()
    }
}

/// The sandbox's shell script: compile (if any), report on fd 3, wait for the go-ahead, then
/// `exec` the program with its own CPU and (without cgroups) address-space limits.
fn script(language: &Language, cpu: Duration, address_space: Option<u64>) -> String {
    let spec = language.spec;
    let mut s = String::from("printf 'started\\n' >&3\n");
    if let Some(compile) = spec.compile {
        s.push_str(&format!(
            "{{ {compile}\n}} </dev/null >&2 3>&-\nstatus=$?\nprintf 'compiled %d\\n' \"$status\" >&3\n\
             [ \"$status\" -eq 0 ] || exit 0\nread -r go <&3\n"
        ));
    }
    let cpu = cpu.as_secs().max(1);
    s.push_str(&format!(
        "exec 3>&-\nulimit -St {cpu}\nulimit -Ht {}\n",
        cpu + 1
    ));
    if let Some(bytes) = address_space {
        s.push_str(&format!("ulimit -v {}\n", bytes >> 10));
    }
    s.push_str(&format!("exec {}\n", spec.run));
    s
}

/// Where a run stands, as the supervisor sees it.
struct Supervision {
    started: Option<Instant>,
    compiled: Option<i32>,
    run_started: Option<Instant>,
    ending: Option<Ending>,
    killed: bool,
    truncated: bool,
    written: usize,
    /// What arrived before the script said it started: bwrap's own complaints, or (when the
    /// pipes won the race with the control socket) the program's first output.
    before_start: Vec<(RunStream, Vec<u8>)>,
}

impl Job {
    async fn supervise(
        self,
        output: mpsc::Sender<RunOutput>,
        stop: watch::Receiver<bool>,
        cancel: oneshot::Receiver<()>,
    ) -> Outcome {
        let spawned = Instant::now();
        match self.run(output, stop, cancel).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(error = %e, language = self.language.id(), "could not start a run");
                Outcome {
                    ending: Ending::Failed(format!("could not start the sandbox: {e}")),
                    wall: spawned.elapsed(),
                    truncated: false,
                }
            }
        }
    }

    async fn run(
        &self,
        output: mpsc::Sender<RunOutput>,
        mut stop: watch::Receiver<bool>,
        mut cancel: oneshot::Receiver<()>,
    ) -> std::io::Result<Outcome> {
        let inner = &self.inner;
        let limits = inner.limits;
        let spec = self.language.spec;
        let compiles = spec.compile.is_some();
        let run_memory = limits.memory_bytes + (spec.extra_memory_mb << 20);
        let compile_memory = run_memory.max(spec.compile_memory_mb << 20);
        let processes = limits.processes + spec.extra_processes;
        let open_files = limits.open_files + spec.extra_open_files;
        let scratch = (limits.file_size_bytes * 4).max(64 << 20);

        let name = format!("stagepad-run-{}-{}", std::process::id(), self.id);
        let cgroups = RunCgroups::create(&inner.cgroups, &name, compile_memory, processes + 4)
            .map_err(|e| std::io::Error::other(format!("cgroup {name}: {e}")))?;

        // The data bwrap copies in: the program, and the language's files.
        let source_fd = memfd(&self.source)?;
        let mut data = vec![(source_fd, format!("/src/{}", spec.file))];
        for (path, contents) in spec.files {
            data.push((memfd(contents)?, path.to_string()));
        }
        let (control, child_control) = std::os::unix::net::UnixStream::pair()?;
        let child_control = high_fd(OwnedFd::from(child_control))?;
        control.set_nonblocking(true)?;
        let control = tokio::net::UnixStream::from_std(control)?;

        let as_root = matches!(inner.identity, Identity::SlotUsers);
        let user = as_root.then(|| SLOT_UID_BASE + self.slot as u32);
        let mut args: Vec<std::ffi::OsString> = Vec::new();
        let mut arg = |a: &str| args.push(a.into());
        for a in [
            "--unshare-all",
            // A user namespace of its own, in which the program may not make another (one
            // with full capabilities over a fresh network namespace would reach nf_tables).
            "--unshare-user",
            "--disable-userns",
            "--assert-userns-disabled",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--hostname",
            "stagepad",
            "--ro-bind",
            "/usr",
            "/usr",
        ] {
            arg(a);
        }
        for top in ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"] {
            match std::fs::symlink_metadata(top) {
                Ok(m) if m.file_type().is_symlink() => {
                    let target = std::fs::read_link(top)?;
                    arg("--symlink");
                    arg(&target.to_string_lossy());
                    arg(top);
                }
                Ok(m) if m.is_dir() => {
                    for a in ["--ro-bind", top, top] {
                        arg(a);
                    }
                }
                _ => {}
            }
        }
        if Path::new("/etc/ld.so.cache").exists() {
            for a in ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"] {
                arg(a);
            }
        }
        let mut staging = Vec::new();
        for (n, bind) in self.language.binds.iter().enumerate() {
            let is_dir = bind.host.is_dir();
            let private = !bind.host.starts_with("/etc");
            let source = if as_root && private {
                // Mounted for bwrap in the child's own mount namespace: the sandbox user may
                // not be able to reach the host path (a rustup toolchain under /root).
                let point = format!("{STAGING_DIR}/stagepad-{n}");
                staging.push((
                    CString::new(bind.host.as_os_str().as_bytes())?,
                    CString::new(point.as_str())?,
                    is_dir,
                ));
                point
            } else {
                bind.host.to_string_lossy().into_owned()
            };
            arg("--ro-bind");
            arg(&source);
            arg(&bind.sandbox.to_string_lossy());
        }
        for a in ["--proc", "/proc", "--dev", "/dev"] {
            arg(a);
        }
        for (size, dir) in [
            (scratch, "/tmp"),
            (limits.file_size_bytes.max(1 << 20), "/dev/shm"),
        ] {
            arg("--size");
            arg(&size.to_string());
            arg("--tmpfs");
            arg(dir);
        }
        for (fd, path) in &data {
            for a in ["--perms", "0444", "--ro-bind-data"] {
                arg(a);
            }
            arg(&fd.as_raw_fd().to_string());
            arg(path);
        }
        for a in ["--remount-ro", "/", "--chdir", "/tmp"] {
            arg(a);
        }
        let base_env = [
            ("PATH", SANDBOX_PATH),
            ("HOME", "/tmp"),
            ("TMPDIR", "/tmp"),
            ("LANG", "C.UTF-8"),
        ];
        for (key, value) in base_env.iter().chain(spec.env) {
            for a in ["--setenv", key, value] {
                arg(a);
            }
        }
        let address_space =
            (cgroups.is_none()).then(|| run_memory.max(spec.address_space_mb << 20));
        let compile_address_space =
            (cgroups.is_none()).then(|| compile_memory.max(spec.address_space_mb << 20));
        for a in ["/bin/sh", "-c"] {
            arg(a);
        }
        arg(&script(&self.language, limits.cpu, address_space));

        let first_cpu = if compiles {
            limits.compile_wall.max(limits.cpu)
        } else {
            limits.cpu
        }
        .as_secs()
        .max(1);
        let mut rlimits = vec![
            (libc::RLIMIT_CPU, first_cpu, first_cpu + 1),
            (libc::RLIMIT_NOFILE, open_files, open_files),
            (
                libc::RLIMIT_FSIZE,
                limits.file_size_bytes,
                limits.file_size_bytes,
            ),
            (libc::RLIMIT_CORE, 0, 0),
        ];
        match user {
            // A uid of the run's own: its processes are all that count.
            Some(_) => rlimits.push((libc::RLIMIT_NPROC, processes, processes)),
            // The server's own uid: the limit counts the server's threads too, so the run gets
            // what is there now plus its own share (a ceiling on a fork bomb, if a loose one).
            None => {
                let ceiling = tasks_of_this_user() + processes;
                rlimits.push((libc::RLIMIT_NPROC, ceiling, ceiling));
            }
        }
        if let Some(bytes) = compile_address_space {
            rlimits.push((libc::RLIMIT_AS, bytes, bytes));
        }
        let setup = ChildSetup {
            cgroup_procs: cgroups
                .as_ref()
                .map(|c| c.procs.iter().map(AsRawFd::as_raw_fd).collect())
                .unwrap_or_default(),
            keep: data.iter().map(|(fd, _)| fd.as_raw_fd()).collect(),
            control: child_control.as_raw_fd(),
            rlimits,
            private_tmp: as_root,
            staging,
            user,
        };

        let mut command = tokio::process::Command::new(&inner.bwrap);
        command
            .args(&args)
            .env_clear()
            .current_dir("/")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: `apply` only makes async-signal-safe system calls on data prepared above.
        unsafe {
            command.pre_exec(move || setup.apply());
        }
        let mut child = command.spawn()?;
        let spawned = Instant::now();
        let pgid = child.id();
        // The child has its copies; ours must go so that EOFs come when the sandbox ends.
        drop(child_control);
        drop(data);

        let stdin_task = {
            let mut pipe = child.stdin.take();
            let text = self.stdin.clone();
            tokio::spawn(async move {
                if let Some(pipe) = pipe.as_mut() {
                    let _ = pipe.write_all(text.as_bytes()).await;
                    let _ = pipe.shutdown().await;
                }
            })
        };
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let (control_read, mut control_write) = control.into_split();
        let mut control_lines = BufReader::new(control_read).lines();

        let mut st = Supervision {
            started: None,
            compiled: None,
            run_started: None,
            ending: None,
            killed: false,
            truncated: false,
            written: 0,
            before_start: Vec::new(),
        };
        let mut decoders = [Utf8Stream::default(), Utf8Stream::default()];
        let mut out_buf = vec![0u8; 16 * 1024];
        let mut err_buf = vec![0u8; 16 * 1024];
        let (mut out_open, mut err_open, mut control_open) = (true, true, true);
        let (mut stop_open, mut cancel_open) = (true, true);
        let mut exit: Option<std::process::ExitStatus> = None;
        let mut deadline = spawned
            + if compiles {
                limits.compile_wall
            } else {
                limits.wall
            };
        let mut drain_until = None;

        if *stop.borrow_and_update() {
            st.ending = Some(Ending::Stopped);
            st.killed = true;
            kill_group(pgid);
        }
        loop {
            if exit.is_some() && !out_open && !err_open {
                break;
            }
            let drain_deadline = drain_until.unwrap_or(deadline);
            tokio::select! {
                // The control socket first: "started" comes before any output.
                biased;
                line = control_lines.next_line(), if control_open => {
                    match line {
                        Ok(Some(line)) => {
                            if line == "started" && st.started.is_none() {
                                st.started = Some(Instant::now());
                                if !compiles {
                                    st.run_started = st.started;
                                    deadline = Instant::now() + limits.wall;
                                }
                                for (stream, bytes) in std::mem::take(&mut st.before_start) {
                                    self.output(&mut st, &mut decoders, stream, &bytes, &output, pgid).await;
                                }
                            } else if let Some(code) = line.strip_prefix("compiled ")
                                && compiles
                                && st.compiled.is_none()
                                && st.started.is_some()
                            {
                                let code = code.trim().parse::<i32>().unwrap_or(-1);
                                st.compiled = Some(code);
                                if code == 0 && !st.killed {
                                    // The program's own memory limit, before it starts.
                                    if let Some(c) = &cgroups
                                        && c.set_memory(run_memory).is_err()
                                    {
                                        st.ending = Some(Ending::MemoryLimit);
                                        st.killed = true;
                                        kill_group(pgid);
                                    }
                                    st.run_started = Some(Instant::now());
                                    deadline = Instant::now() + limits.wall;
                                    let _ = control_write.write_all(b"go\n").await;
                                }
                            }
                        }
                        _ => control_open = false,
                    }
                }
                read = stdout.read(&mut out_buf), if out_open => {
                    let n = read.unwrap_or(0);
                    if n == 0 {
                        out_open = false;
                    } else {
                        self.output(&mut st, &mut decoders, RunStream::Stdout, &out_buf[..n], &output, pgid).await;
                    }
                }
                read = stderr.read(&mut err_buf), if err_open => {
                    let n = read.unwrap_or(0);
                    if n == 0 {
                        err_open = false;
                    } else {
                        self.output(&mut st, &mut decoders, RunStream::Stderr, &err_buf[..n], &output, pgid).await;
                    }
                }
                status = child.wait(), if exit.is_none() => {
                    exit = Some(status?);
                    // The PID namespace died with bwrap: whatever still holds the pipes is
                    // gone within moments.
                    drain_until = Some(Instant::now() + Duration::from_secs(2));
                }
                _ = tokio::time::sleep_until(drain_deadline.into()), if exit.is_none() && !st.killed || drain_until.is_some() => {
                    if exit.is_some() {
                        break;
                    }
                    st.ending = Some(Ending::TimeLimit);
                    st.killed = true;
                    kill_group(pgid);
                }
                changed = stop.changed(), if stop_open && exit.is_none() && !st.killed => {
                    match changed {
                        Ok(()) if *stop.borrow_and_update() => {
                            st.ending = Some(Ending::Stopped);
                            st.killed = true;
                            kill_group(pgid);
                        }
                        Ok(()) => {}
                        Err(_) => stop_open = false,
                    }
                }
                _ = &mut cancel, if cancel_open && exit.is_none() && !st.killed => {
                    // The caller dropped `run`: nobody wants this run any more.
                    cancel_open = false;
                    st.ending = Some(Ending::Stopped);
                    st.killed = true;
                    kill_group(pgid);
                }
            }
        }
        stdin_task.abort();
        let end = Instant::now();
        let exit = match exit {
            Some(exit) => exit,
            None => child.wait().await?,
        };
        for (stream, decoder) in [RunStream::Stdout, RunStream::Stderr]
            .into_iter()
            .zip(decoders.iter_mut())
        {
            let text = decoder.finish();
            if !text.is_empty() && !st.truncated {
                let _ = output.send(RunOutput { stream, text }).await;
            }
        }
        let oom = cgroups.as_ref().is_some_and(RunCgroups::oom_killed);
        let hit_memory_limit = cgroups.as_ref().is_some_and(RunCgroups::hit_limit);
        if let Some(cgroups) = cgroups {
            cgroups.remove().await;
        }

        let ending = if let Some(ending) = st.ending.take() {
            ending
        } else if st.started.is_none() {
            let said: Vec<u8> = st
                .before_start
                .iter()
                .flat_map(|(_, b)| b.iter().copied())
                .take(4096)
                .collect();
            Ending::Failed(format!(
                "the sandbox did not start ({exit}): {}",
                String::from_utf8_lossy(&said).trim()
            ))
        } else if oom {
            Ending::MemoryLimit
        } else if let Some(code) = st.compiled.filter(|c| *c != 0) {
            if code == 128 + libc::SIGXCPU {
                Ending::TimeLimit
            } else {
                Ending::CompileError(code)
            }
        } else if compiles && st.compiled.is_none() {
            Ending::Failed(format!("the compile step did not report ({exit})"))
        } else {
            match (exit.code(), exit.signal()) {
                (Some(code), _) if code > 128 && code <= 128 + 64 => match code - 128 {
                    libc::SIGXCPU => Ending::TimeLimit,
                    signal => Ending::Signaled(signal),
                },
                // A failure after the memory limit refused an allocation is that limit.
                (Some(code), _) if code != 0 && hit_memory_limit => Ending::MemoryLimit,
                (Some(code), _) => Ending::Exited(code),
                (None, Some(signal)) => Ending::Signaled(signal),
                (None, None) => Ending::Failed(format!("unknown exit status {exit}")),
            }
        };
        let wall = end.duration_since(st.run_started.or(st.started).unwrap_or(spawned));
        Ok(Outcome {
            ending,
            wall,
            truncated: st.truncated,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn output(
        &self,
        st: &mut Supervision,
        decoders: &mut [Utf8Stream; 2],
        stream: RunStream,
        bytes: &[u8],
        output: &mpsc::Sender<RunOutput>,
        pgid: Option<u32>,
    ) {
        if st.started.is_none() {
            st.before_start.push((stream, bytes.to_vec()));
            return;
        }
        if st.truncated {
            return;
        }
        let room = self.inner.limits.output_bytes.saturating_sub(st.written);
        let take = bytes.len().min(room);
        st.written += take;
        let decoder = &mut decoders[usize::from(stream == RunStream::Stderr)];
        let mut text = decoder.push(&bytes[..take]);
        if take < bytes.len() {
            st.truncated = true;
            // A character cut at the limit is dropped, not shown half.
            decoder.carry.clear();
            if st.ending.is_none() {
                st.ending = Some(Ending::OutputLimit);
            }
            if !st.killed {
                st.killed = true;
                kill_group(pgid);
            }
        }
        if !text.is_empty() {
            let _ = output
                .send(RunOutput {
                    stream,
                    text: std::mem::take(&mut text),
                })
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tasks_of_this_user_include_this_process_threads() {
        let own: u64 = std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap();
        assert!(own >= 1);
        assert!(tasks_of_this_user() >= own);
    }

    #[test]
    fn utf8_split_between_reads_stays_whole() {
        let mut s = Utf8Stream::default();
        let bytes = "héllo €".as_bytes();
        let mut text = String::new();
        for b in bytes {
            text.push_str(&s.push(std::slice::from_ref(b)));
        }
        text.push_str(&s.finish());
        assert_eq!(text, "héllo €");
        let mut s = Utf8Stream::default();
        assert_eq!(s.push(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(s.push(b"\xe2\x82"), "");
        assert_eq!(s.finish(), "\u{fffd}");
    }

    #[test]
    fn limits_come_from_the_settings() {
        let limits = Limits::default();
        assert_eq!(limits.wall, Duration::from_secs(10));
        assert_eq!(limits.compile_wall, Duration::from_secs(20));
        assert_eq!(limits.memory_bytes, 256 << 20);
        assert_eq!(limits.output_bytes, 64 << 10);
    }

    #[test]
    fn endings_map_to_the_pads_statuses() {
        assert_eq!(Ending::Exited(3).status(), api::RunStatus::Exited);
        assert_eq!(Ending::Exited(3).exit_code(), Some(3));
        assert_eq!(Ending::Signaled(9).exit_code(), Some(137));
        assert_eq!(
            Ending::CompileError(1).status(),
            api::RunStatus::CompileError
        );
        assert_eq!(Ending::TimeLimit.exit_code(), None);
        assert_eq!(Ending::Failed("x".into()).status(), api::RunStatus::Failed);
    }

    #[test]
    fn the_script_compiles_reports_and_execs_the_program() {
        let languages = Languages::detect();
        let c = languages.get("c").unwrap();
        let s = script(c, Duration::from_secs(5), None);
        assert!(s.starts_with("printf 'started\\n' >&3\n"));
        assert!(s.contains("gcc -O2"));
        assert!(s.contains("read -r go <&3"));
        assert!(s.contains("ulimit -St 5\n"));
        assert!(s.ends_with("exec /tmp/main\n"));
        let python = languages.get("python").unwrap();
        let s = script(python, Duration::from_secs(5), Some(512 << 20));
        assert!(!s.contains("compiled"));
        assert!(s.contains("ulimit -v 524288\n"));
    }
}
