//! Runs of pads' code on this instance: one at a time per pad, at most the pool's size at
//! once, each stored before its end is announced to the pad (here and, through the database,
//! on other instances).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::{
    LanguageInfo, OrgId, PadId, RefusalCode, RunId, RunOutput, RunStatus, RunView, ServerMessage,
};
use sea_orm::{DatabaseConnection, EntityTrait, QuerySelect, TransactionTrait};
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};

use super::languages::Languages;
use super::pool::{Pool, Turn};
use super::sandbox::{Ending, Limits, Outcome, RunRequest, Sandbox};
use super::store::{self, Finished, NewRun};
use crate::pads::cluster::Change;
use crate::pads::live::{PadHub, Refusal};
use crate::pads::log_ref;

/// A pad may start a run once a second: one tab cannot hog the pool.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Runs one pad keeps: an hour of pressing Run every few seconds, and its playback stays a
/// reasonable size (each run holds up to the output limit).
pub use api::limits::{MAX_RUNS_PER_PAD, MAX_STDIN_BYTES};
/// How often an active run renews its row (and saves its output so far).
const HEARTBEAT: Duration = Duration::from_secs(1);
/// Output is passed on at least this often while a program prints…
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// …or as soon as this much of one stream is waiting.
const BATCH_BYTES: usize = 8 * 1024;
/// An active run whose row was not renewed for this long lost its instance.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(15);

/// What the live pad hands over to start a run.
pub struct Ask {
    pub org_id: OrgId,
    pub pad_id: PadId,
    pub revision: u64,
    pub text: String,
    pub language: String,
    /// The display name of who pressed Run.
    pub by: String,
    pub stdin: String,
}

pub struct Runs {
    /// `None` when this machine has no sandbox: nothing runs, and the pad says why.
    sandbox: Option<Arc<Sandbox>>,
    languages: Arc<Languages>,
    pool: Arc<Pool>,
    output_limit: usize,
    active: Mutex<HashMap<PadId, Active>>,
    last_start: Mutex<HashMap<PadId, Instant>>,
}

struct Active {
    run: RunId,
    stop: Arc<watch::Sender<bool>>,
    stopped_by: Arc<Mutex<Option<String>>>,
    view: Arc<Mutex<RunView>>,
}

/// Where a run's messages go: the pad's room here, and other instances through the database.
#[derive(Clone)]
pub struct Audience {
    pub db: DatabaseConnection,
    pub hub: Arc<PadHub>,
}

impl Audience {
    fn tell(&self, pad_id: &PadId, message: &ServerMessage) {
        if let Some(room) = self.hub.open_room(pad_id) {
            room.broadcast(message);
        }
    }

    async fn tell_elsewhere(&self, pad_id: &PadId) {
        self.hub
            .cluster()
            .announce(&self.db, pad_id, Change::Run)
            .await;
    }
}

impl Runs {
    pub fn new(
        sandbox: Option<Sandbox>,
        languages: Languages,
        limits: &Limits,
        size: usize,
    ) -> Self {
        Self {
            sandbox: sandbox.map(Arc::new),
            languages: Arc::new(languages),
            pool: Pool::new(size),
            output_limit: limits.output_bytes,
            active: Mutex::new(HashMap::new()),
            last_start: Mutex::new(HashMap::new()),
        }
    }

    /// Every language of the pad's selector, and whether it runs here.
    pub fn languages(&self) -> Vec<LanguageInfo> {
        let mut infos = self.languages.infos();
        if self.sandbox.is_none() {
            infos.iter_mut().for_each(|info| info.runnable = false);
        }
        infos
    }

    /// The pad's run going on here, as it stands.
    pub fn current(&self, pad_id: &PadId) -> Option<RunView> {
        let active = self.active.lock().expect("runs");
        active
            .get(pad_id)
            .map(|a| a.view.lock().expect("run").clone())
    }

    /// What a joiner sees of the pad's runs: the one going here, else the newest stored
    /// (going on another instance, or ended).
    pub async fn current_or_latest(
        &self,
        db: &DatabaseConnection,
        pad_id: &PadId,
    ) -> Option<RunView> {
        if let Some(run) = self.current(pad_id) {
            return Some(run);
        }
        match store::latest(db, pad_id).await {
            Ok(run) => run,
            Err(e) => {
                tracing::warn!(pad = %log_ref(pad_id), error = %e, "cannot read the pad's last run");
                None
            }
        }
    }

    /// How many runs get a place before this one, while it waits.
    pub fn ahead_of(&self, run: RunId) -> Option<u32> {
        self.pool.ahead_of(run).map(|n| n as u32)
    }

    /// Starts a run of the pad's text (stopping the pad's run that is going, here or on
    /// another instance). Refusals keep the connection open.
    pub async fn start(self: &Arc<Self>, audience: &Audience, ask: Ask) -> Result<RunId, Refusal> {
        let Some(sandbox) = self.sandbox.clone() else {
            return Err(Refusal::new(
                RefusalCode::RunsNotAvailable,
                "This server cannot run code: its sandbox (bubblewrap) is not installed.",
            ));
        };
        if !self.languages.runnable(&ask.language) {
            let label = api::language_label(&ask.language).unwrap_or("This language");
            return Err(Refusal::new(
                RefusalCode::LanguageNotRunnable,
                format!("{label} is not installed on this server."),
            ));
        }
        if ask.stdin.len() > MAX_STDIN_BYTES {
            return Err(Refusal::new(
                RefusalCode::StdinTooLarge,
                format!("The program's input is at most {MAX_STDIN_BYTES} bytes."),
            ));
        }
        {
            let mut last = self.last_start.lock().expect("runs");
            let now = Instant::now();
            if last
                .get(&ask.pad_id)
                .is_some_and(|at| now.duration_since(*at) < MIN_INTERVAL)
            {
                return Err(Refusal::new(
                    RefusalCode::RunTooSoon,
                    "One run a second: wait a moment and press Run again.",
                ));
            }
            // Only the last second matters: older entries go, so the map stays small.
            last.retain(|_, at| now.duration_since(*at) < MIN_INTERVAL);
            last.insert(ask.pad_id.clone(), now);
        }
        // Run while running: the old run stops first, here at once.
        self.stop_local(&ask.pad_id, &ask.by);
        let id = RunId::random();
        let row = self.claim_pad(&audience.db, id, &ask).await?;
        let view = Arc::new(Mutex::new(store::view(row)));
        let (stop, stopping) = watch::channel(false);
        let stop = Arc::new(stop);
        let stopped_by = Arc::new(Mutex::new(None));
        self.active.lock().expect("runs").insert(
            ask.pad_id.clone(),
            Active {
                run: id,
                stop: stop.clone(),
                stopped_by: stopped_by.clone(),
                view: view.clone(),
            },
        );
        let task = RunTask {
            runs: self.clone(),
            sandbox,
            audience: audience.clone(),
            ask,
            id,
            view,
            stop,
            stopping,
            stopped_by,
            output_used: Mutex::new(0),
        };
        tokio::spawn(task.run());
        Ok(id)
    }

    /// Writes the run as the pad's newest, in one transaction that holds the pad's row: a run
    /// going on another instance is asked to stop (seen at its next heartbeat), and two Run
    /// presses on two instances at once take turns, so the later always stops the earlier.
    /// Refused once the interview has ended (it may have since the room let the run through)
    /// or the pad has had all its runs.
    async fn claim_pad(
        &self,
        db: &DatabaseConnection,
        id: RunId,
        ask: &Ask,
    ) -> Result<entity::pad_run::Model, Refusal> {
        let txn = db.begin().await?;
        let pad = entity::pad::Entity::find_by_id(ask.pad_id.clone())
            .lock_exclusive()
            .one(&txn)
            .await?;
        if pad.is_none_or(|pad| pad.status == api::PadStatus::Ended) {
            return Err(Refusal::pad_ended());
        }
        if store::count(&txn, &ask.pad_id).await? >= MAX_RUNS_PER_PAD {
            return Err(Refusal::new(
                RefusalCode::TooManyRuns,
                format!("This pad has been run {MAX_RUNS_PER_PAD} times, as many as it keeps."),
            ));
        }
        store::request_stop(&txn, &ask.pad_id, &ask.by).await?;
        let row = store::insert_waiting(
            &txn,
            &NewRun {
                id,
                org_id: ask.org_id,
                pad_id: &ask.pad_id,
                revision: ask.revision,
                language: &ask.language,
                started_by: &ask.by,
            },
            OffsetDateTime::now_utc(),
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    }

    /// Stop pressed: the pad's run stops, here at once or on its instance at its heartbeat.
    pub async fn stop(
        &self,
        db: &DatabaseConnection,
        pad_id: &PadId,
        by: &str,
    ) -> Result<(), Refusal> {
        let here = self.stop_local(pad_id, by);
        let elsewhere = store::request_stop(db, pad_id, by).await?;
        if !here && elsewhere == 0 {
            return Err(Refusal::new(RefusalCode::NoRun, "No run is going."));
        }
        Ok(())
    }

    fn stop_local(&self, pad_id: &PadId, by: &str) -> bool {
        let active = self.active.lock().expect("runs");
        let Some(run) = active.get(pad_id) else {
            return false;
        };
        run.stopped_by
            .lock()
            .expect("run")
            .get_or_insert_with(|| by.to_string());
        run.stop.send_replace(true);
        true
    }

    /// The server is stopping: every run here ends as interrupted, and is stored as such
    /// (waited for up to `within`; the sweep marks any left over later).
    pub async fn interrupt_all(&self, within: Duration) {
        for run in self.active.lock().expect("runs").values() {
            run.stop.send_replace(true);
        }
        let deadline = Instant::now() + within;
        while !self.active.lock().expect("runs").is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn forget(&self, pad_id: &PadId, run: RunId) {
        let mut active = self.active.lock().expect("runs");
        if active.get(pad_id).is_some_and(|a| a.run == run) {
            active.remove(pad_id);
        }
    }
}

struct RunTask {
    runs: Arc<Runs>,
    sandbox: Arc<Sandbox>,
    audience: Audience,
    ask: Ask,
    id: RunId,
    view: Arc<Mutex<RunView>>,
    stop: Arc<watch::Sender<bool>>,
    stopping: watch::Receiver<bool>,
    stopped_by: Arc<Mutex<Option<String>>>,
    /// Bytes of output kept so far.
    output_used: Mutex<usize>,
}

/// Output waiting to be passed on: pieces of one stream, joined.
#[derive(Default)]
struct Batch {
    pending: Option<RunOutput>,
}

impl Batch {
    /// Adds `piece`; answers a batch to pass on now (another stream began, or it is full).
    fn add(&mut self, piece: RunOutput) -> Option<RunOutput> {
        match &mut self.pending {
            Some(pending) if pending.stream == piece.stream => {
                pending.text.push_str(&piece.text);
                if pending.text.len() >= BATCH_BYTES {
                    return self.pending.take();
                }
                None
            }
            _ => self.pending.replace(piece),
        }
    }

    fn take(&mut self) -> Option<RunOutput> {
        self.pending.take()
    }
}

impl RunTask {
    async fn run(mut self) {
        let pad_id = self.ask.pad_id.clone();
        let outcome = self.wait_and_run().await;
        let finished = self.finish(outcome).await;
        if let Err(e) = store::finish(&self.audience.db, self.id, &finished.as_stored()).await {
            tracing::error!(pad = %log_ref(&pad_id), error = %e, "cannot store a run's end");
        }
        self.runs.forget(&pad_id, self.id);
        let view = self.view.lock().expect("run").clone();
        self.audience.tell(
            &pad_id,
            &ServerMessage::Run {
                run: view,
                ahead: None,
            },
        );
        self.audience.tell_elsewhere(&pad_id).await;
    }

    /// Waits for a place, then runs; `None` when stopped while waiting.
    async fn wait_and_run(&mut self) -> Option<Outcome> {
        let place = match self.runs.pool.take(self.ask.org_id, self.id) {
            Turn::Now(place) => place,
            Turn::Later(receiver) => {
                self.announce(self.runs.ahead_of(self.id)).await;
                let mut stopping = self.stopping.clone();
                let mut beat = tokio::time::interval(HEARTBEAT);
                let mut receiver = receiver;
                loop {
                    tokio::select! {
                        slot = &mut receiver => match slot {
                            Ok(slot) => break self.runs.pool.place(slot),
                            Err(_) => return None,
                        },
                        _ = stop_pressed(&mut stopping) => {
                            self.give_up_turn(receiver);
                            return None;
                        }
                        _ = beat.tick() => {
                            if self.beat(RunStatus::Waiting).await {
                                self.give_up_turn(receiver);
                                return None;
                            }
                            self.announce(self.runs.ahead_of(self.id)).await;
                        }
                    }
                }
            }
        };
        self.view.lock().expect("run").status = RunStatus::Running;
        self.beat(RunStatus::Running).await;
        self.announce(None).await;

        let Some(language) = self.runs.languages.get(&self.ask.language) else {
            return Some(Outcome {
                ending: Ending::Failed("the language is no longer installed".into()),
                wall: Duration::ZERO,
                truncated: false,
            });
        };
        let (output, mut pieces) = mpsc::channel::<RunOutput>(64);
        let request = RunRequest {
            language,
            source: &self.ask.text,
            stdin: &self.ask.stdin,
            slot: place.slot(),
        };
        let sandbox = self.sandbox.clone();
        let stopping = self.stopping.clone();
        let running = sandbox.run(request, output, stopping);
        tokio::pin!(running);
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.tick().await;
        // Output is passed on in batches: a program printing a byte at a time must not
        // become a message (and a stored piece) per byte.
        let mut batch = Batch::default();
        let mut flush = tokio::time::interval(FLUSH_EVERY);
        let outcome = loop {
            tokio::select! {
                outcome = &mut running => break outcome,
                Some(piece) = pieces.recv() => {
                    if let Some(full) = batch.add(piece) {
                        self.add_output(full);
                    }
                }
                _ = flush.tick() => {
                    if let Some(pending) = batch.take() {
                        self.add_output(pending);
                    }
                }
                _ = beat.tick() => {
                    if self.beat(RunStatus::Running).await {
                        // Stop was pressed through another instance.
                        self.stop.send_replace(true);
                    }
                    self.audience.tell_elsewhere(&self.ask.pad_id).await;
                }
            }
        };
        // What the program printed just before its end.
        while let Ok(piece) = pieces.try_recv() {
            if let Some(full) = batch.add(piece) {
                self.add_output(full);
            }
        }
        if let Some(pending) = batch.take() {
            self.add_output(pending);
        }
        drop(place);
        Some(outcome)
    }

    /// Leaves the line for good. A place handed over meanwhile (the pool put it in the
    /// receiver just as the stop came) goes back to the pool instead of being lost.
    fn give_up_turn(&self, mut receiver: tokio::sync::oneshot::Receiver<usize>) {
        self.runs.pool.leave_line(self.id);
        receiver.close();
        if let Ok(slot) = receiver.try_recv() {
            drop(self.runs.pool.place(slot));
        }
    }

    /// Renews the row; answers whether the run is to stop: someone pressed Stop through
    /// another instance, or the sweep took the run for abandoned (its row then says
    /// interrupted, and so will the pad).
    async fn beat(&self, status: RunStatus) -> bool {
        let (output, truncated) = {
            let view = self.view.lock().expect("run");
            (view.output.clone(), view.truncated)
        };
        match store::beat(&self.audience.db, self.id, status, &output, truncated).await {
            Ok(beat) if !beat.active => {
                tracing::warn!(pad = %log_ref(&self.ask.pad_id), "a run was taken for abandoned while it went; it stops");
                true
            }
            Ok(beat) => match beat.stop_requested_by {
                Some(by) => {
                    self.stopped_by.lock().expect("run").get_or_insert(by);
                    true
                }
                None => false,
            },
            Err(e) => {
                tracing::warn!(pad = %log_ref(&self.ask.pad_id), error = %e, "cannot renew a run's heartbeat");
                false
            }
        }
    }

    async fn announce(&self, ahead: Option<u32>) {
        let view = self.view.lock().expect("run").clone();
        self.audience
            .tell(&self.ask.pad_id, &ServerMessage::Run { run: view, ahead });
        self.audience.tell_elsewhere(&self.ask.pad_id).await;
    }

    /// Keeps the piece (within the output limit) and passes it on to the pad.
    fn add_output(&self, piece: RunOutput) {
        let message = {
            let mut view = self.view.lock().expect("run");
            let mut used = self.output_used.lock().expect("run");
            let room = self.runs.output_limit.saturating_sub(*used);
            if room == 0 || piece.text.is_empty() {
                return;
            }
            let text = if piece.text.len() > room {
                view.truncated = true;
                let mut end = room;
                while !piece.text.is_char_boundary(end) {
                    end -= 1;
                }
                piece.text[..end].to_string()
            } else {
                piece.text
            };
            *used += text.len();
            let index = view.output.len() as u32;
            view.output.push(RunOutput {
                stream: piece.stream,
                text: text.clone(),
            });
            ServerMessage::RunOutput {
                run_id: self.id,
                index,
                stream: piece.stream,
                text,
            }
        };
        self.audience.tell(&self.ask.pad_id, &message);
    }

    /// The run's end, written into its view.
    async fn finish(&mut self, outcome: Option<Outcome>) -> Ended {
        let stopped_by = self.stopped_by.lock().expect("run").clone();
        let mut view = self.view.lock().expect("run");
        let (status, exit_code, wall, signal) = match outcome {
            None => (RunStatus::Stopped, None, None, None),
            Some(outcome) => {
                let wall = Some(outcome.wall.as_millis() as u64);
                view.truncated |= outcome.truncated;
                match outcome.ending {
                    Ending::Exited(code) => (RunStatus::Exited, Some(code), wall, None),
                    Ending::Signaled(signal) => {
                        (RunStatus::Exited, Some(128 + signal), wall, Some(signal))
                    }
                    Ending::CompileError(code) => (RunStatus::CompileError, Some(code), wall, None),
                    Ending::TimeLimit => (RunStatus::TimeLimit, None, wall, None),
                    Ending::MemoryLimit => (RunStatus::MemoryLimit, None, wall, None),
                    Ending::OutputLimit => {
                        view.truncated = true;
                        (RunStatus::OutputLimit, None, wall, None)
                    }
                    Ending::Stopped => (RunStatus::Stopped, None, wall, None),
                    // The sandbox's own words (paths, pids) are for the log, not the pad.
                    Ending::Failed(why) => {
                        tracing::error!(pad = %log_ref(&self.ask.pad_id), language = %self.ask.language, error = %why, "a run could not start");
                        (RunStatus::Failed, None, wall, None)
                    }
                }
            }
        };
        // Stopped with nobody pressing Stop: the server is stopping.
        let (status, stopped_by) = match (status, stopped_by) {
            (RunStatus::Stopped, None) => (RunStatus::Interrupted, None),
            (RunStatus::Stopped, by) => (RunStatus::Stopped, by),
            (status, _) => (status, None),
        };
        crate::metrics::run_finished(&self.ask.language, status, wall.map(Duration::from_millis));
        view.status = status;
        view.exit_code = exit_code;
        view.wall_ms = wall;
        view.stopped_by = stopped_by;
        view.signal = signal;
        view.finished_at = Some(OffsetDateTime::now_utc());
        Ended { view: view.clone() }
    }
}

struct Ended {
    view: RunView,
}

impl Ended {
    fn as_stored(&self) -> Finished<'_> {
        Finished {
            status: self.view.status,
            exit_code: self.view.exit_code,
            wall_ms: self.view.wall_ms,
            stopped_by: self.view.stopped_by.as_deref(),
            signal: self.view.signal,
            output: &self.view.output,
            truncated: self.view.truncated,
        }
    }
}

/// Resolves once the run is to stop (the guard `wait_for` returns must not live across the
/// caller's awaits: it is not `Send`).
async fn stop_pressed(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// Marks runs abandoned by a stopped instance as interrupted, now and every few seconds, and
/// tells their pads.
pub fn spawn_sweeper(audience: Audience, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(ABANDONED_AFTER / 3);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
            match store::interrupt_abandoned(&audience.db, ABANDONED_AFTER).await {
                Ok(pads) => {
                    for pad_id in pads {
                        if let Ok(Some(run)) = store::latest(&audience.db, &pad_id).await {
                            audience.tell(&pad_id, &ServerMessage::Run { run, ahead: None });
                        }
                        audience.tell_elsewhere(&pad_id).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot sweep abandoned runs"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::RunStream;

    fn piece(stream: RunStream, text: &str) -> RunOutput {
        RunOutput {
            stream,
            text: text.into(),
        }
    }

    #[test]
    fn a_batch_joins_one_streams_pieces_until_the_stream_changes_or_it_is_full() {
        let mut batch = Batch::default();
        for byte in ["a", "b", "c"] {
            assert_eq!(batch.add(piece(RunStream::Stdout, byte)), None);
        }
        let stdout = batch
            .add(piece(RunStream::Stderr, "!"))
            .expect("stdout passed on");
        assert_eq!(stdout, piece(RunStream::Stdout, "abc"));
        assert_eq!(batch.take(), Some(piece(RunStream::Stderr, "!")));
        assert_eq!(batch.take(), None);
        let big = "x".repeat(BATCH_BYTES);
        assert_eq!(batch.add(piece(RunStream::Stdout, "y")), None);
        let full = batch
            .add(piece(RunStream::Stdout, &big))
            .expect("a full batch");
        assert_eq!(full.text.len(), BATCH_BYTES + 1);
    }
}
