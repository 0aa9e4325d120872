//! The live editor: a textarea kept in step with the server over the pad's WebSocket through
//! the shared `ClientDoc` (operational transformation), with presence, the language, and a
//! reconnect that keeps whatever was typed while the connection was down, the others' carets
//! and selections (`cursors.rs`), and running the code
//! (Run / Stop, the program's input, the output pane everyone in the pad shares). The socket is
//! gloo-net's: one task per socket reads it and writes what the page queues.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ::api::ot::{ClientDoc, Outgoing, Selection, ServerOpEffect};
use ::api::{
    ClientMessage, LanguagesResponse, PadId, PadStatus, PadView, Participant, RefusalCode,
    ServerMessage,
};
use futures::channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use futures::future::{self, Either};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::cursors::{RemoteCursors, layer_html};
use super::editing::{char_index, insert_indent, line_numbers, utf16_index};
use super::highlight;
use super::run::{RunPane, ShownRun, receive_piece, receive_run};
use crate::api::{Answer, Client};
use crate::components::guard::{error_note, failure_message};
use crate::i18n::{Language, Text, number, t, tf};
use crate::text::{language_choice, not_runnable_note};

/// What this tab keeps of one pad, so that a reload rejoins as the same participant: the id and
/// secret the server gave, and the name typed for this pad. In the tab's own storage: another
/// tab, or another pad, starts afresh.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
struct TabIdentity {
    client_id: Option<String>,
    secret: Option<String>,
    name: String,
}

impl TabIdentity {
    fn key(pad_id: &PadId) -> String {
        format!("stagepad-pad-{pad_id}")
    }

    fn load(pad_id: &PadId) -> Option<Self> {
        let stored = session_storage()?.get_item(&Self::key(pad_id)).ok()??;
        serde_json::from_str(&stored).ok()
    }

    fn save(&self, pad_id: &PadId) {
        if let Some(storage) = session_storage() {
            let _ = storage.set_item(
                &Self::key(pad_id),
                &serde_json::to_string(self).expect("json"),
            );
        }
    }
}

#[component]
pub fn LivePad(pad: PadView, ended: RwSignal<bool>) -> impl IntoView {
    let saved = TabIdentity::load(&pad.id);
    let name = RwSignal::new(
        pad.member_name
            .clone()
            .or_else(|| saved.as_ref().map(|identity| identity.name.clone())),
    );
    let typed = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let title = tf(Text::PadInterviewWith, &[("name", &pad_title(&pad))]);
    let on_join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = typed.get_untracked().trim().to_string();
        if chosen.is_empty()
            || chosen.chars().count() > MAX_NAME_CHARS
            || chosen.chars().any(char::is_control)
        {
            problem.set(Some(tf(
                Text::PadJoinNameProblem,
                &[("max", &number(MAX_NAME_CHARS as u64))],
            )));
            return;
        }
        name.set(Some(chosen));
    };
    let pad = StoredValue::new(pad);
    move || {
        match name.get() {
        Some(name) => {
            let identity = TabIdentity::load(&pad.with_value(|p| p.id.clone())).unwrap_or_default();
            view! { <Editor pad=pad.get_value() identity=TabIdentity { name, ..identity } ended/> }.into_any()
        }
        None => view! {
            <section class="card narrow">
                <h1 data-testid="pad-title">{title.clone()}</h1>
                <form class="form" on:submit=on_join>
                    <label>
                        {t(Text::PadJoinName)}
                        <input type="text" name="display_name" prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                    </label>
                    {move || error_note(problem.get())}
                    <button type="submit">{t(Text::PadJoinSubmit)}</button>
                </form>
            </section>
        }
        .into_any(),
    }
    }
}

/// "Candidate · Job", as the pad's heading.
fn pad_title(pad: &PadView) -> String {
    let candidate = pad.candidate_name.as_deref().unwrap_or_default();
    match &pad.job_title {
        Some(job) => format!("{candidate} · {job}"),
        None => candidate.to_string(),
    }
}

/// Whether the server's list says it can run `language` (yes while the list is not known, and
/// for a language it does not list: the server refuses what it cannot run).
fn can_run(languages: Option<&Answer<LanguagesResponse>>, language: &str) -> bool {
    match languages {
        Some(Ok(list)) => list
            .languages
            .iter()
            .find(|l| l.id == language)
            .is_none_or(|l| l.runnable),
        _ => true,
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

/// A language's name for sentences about it; "This language" for one this build does not know.
fn language_name(id: &str) -> &'static str {
    ::api::language_label(id).unwrap_or(t(Text::PadThisLanguage))
}

// The server's limits that its refusals name: the page words the refusals itself, in the
// reader's language, from the same constants the server enforces. The join form checks the
// name's length before the server does.
use ::api::limits::{
    MAX_MESSAGES_A_SECOND, MAX_NAME_CHARS, MAX_PARTICIPANTS, MAX_REVISIONS, MAX_RUNS_PER_PAD,
    MAX_STDIN_BYTES, MAX_TEXT_CHARS,
};

/// Why the server refused something on the pad's connection, in the reader's language, from
/// its code. `language` names the pad's language; `message` is the server's own sentence,
/// shown only for a code this build does not know (a newer server's).
fn refusal_text(code: RefusalCode, message: &str, language: &str) -> String {
    let limit = |text: Text, max: usize| tf(text, &[("max", &number(max as u64))]);
    let text = match code {
        RefusalCode::JoinTimeout => Text::PadRefusalJoinTimeout,
        RefusalCode::Lagging => Text::PadRefusalLagging,
        RefusalCode::StorageFailed => Text::PadRefusalStorageFailed,
        RefusalCode::CorruptHistory => Text::PadRefusalCorruptHistory,
        RefusalCode::NotFound => Text::PadRefusalNotFound,
        RefusalCode::OpenedElsewhere => Text::PadRefusalOpenedElsewhere,
        RefusalCode::PadEnded => Text::PadRefusalPadEnded,
        RefusalCode::TooManyParticipants => {
            return limit(Text::PadRefusalTooManyParticipants, MAX_PARTICIPANTS);
        }
        RefusalCode::TooManyEdits => return limit(Text::PadRefusalTooManyEdits, MAX_REVISIONS),
        RefusalCode::NameRequired => {
            return limit(Text::PadRefusalNameRequired, MAX_NAME_CHARS);
        }
        RefusalCode::MalformedMessage => Text::PadRefusalMalformedMessage,
        RefusalCode::JoinRequired => Text::PadRefusalJoinRequired,
        RefusalCode::AlreadyJoined => Text::PadRefusalAlreadyJoined,
        RefusalCode::TextOnly => Text::PadRefusalTextOnly,
        RefusalCode::ProtocolError => Text::PadRefusalProtocolError,
        RefusalCode::TooManyMessages => {
            return limit(
                Text::PadRefusalTooManyMessages,
                MAX_MESSAGES_A_SECOND as usize,
            );
        }
        RefusalCode::InvalidLanguage => Text::PadRefusalInvalidLanguage,
        // Edits out of step with the server's text: the page fetches it again at once.
        RefusalCode::InvalidSeq
        | RefusalCode::EmptyEdit
        | RefusalCode::InvalidRevision
        | RefusalCode::StaleRevision
        | RefusalCode::InvalidOperation => Text::PadRefusalEditOutOfStep,
        RefusalCode::TextTooLong => return limit(Text::PadRefusalTextTooLong, MAX_TEXT_CHARS),
        RefusalCode::PadFull => Text::PadRefusalPadFull,
        RefusalCode::RunTooSoon => Text::PadRefusalRunTooSoon,
        RefusalCode::LanguageNotRunnable => {
            return tf(
                Text::PadRefusalLanguageNotRunnable,
                &[("language", language)],
            );
        }
        RefusalCode::RunsNotAvailable => Text::PadRefusalRunsNotAvailable,
        RefusalCode::NoRun => Text::PadRefusalNoRun,
        RefusalCode::StdinTooLarge => return limit(Text::PadRefusalStdinTooLarge, MAX_STDIN_BYTES),
        RefusalCode::TooManyRuns => {
            return limit(Text::PadRefusalTooManyRuns, MAX_RUNS_PER_PAD as usize);
        }
        RefusalCode::Unknown => return message.to_string(),
    };
    t(text).to_string()
}

/// What the page shows, updated by the connection.
#[derive(Clone, Copy)]
struct Shown {
    /// How the connection stands, as a text of the catalog.
    connection: RwSignal<Text>,
    participants: RwSignal<Vec<Participant>>,
    language: RwSignal<String>,
    /// The editor's text, for the gutter and the highlighting under it.
    code: RwSignal<String>,
    problem: RwSignal<Option<String>>,
    /// A welcome arrived since the page opened or last resynced: the editor takes typing
    /// (typing before the first welcome would race it), and reconnects ask only for what they
    /// missed.
    ready: RwSignal<bool>,
    ended: RwSignal<bool>,
    textarea: NodeRef<leptos::html::Textarea>,
    /// The pad's run on screen: the newest the server announced.
    run: RwSignal<Option<ShownRun>>,
    /// The language changed while the page was open: said for everyone to see.
    language_notice: RwSignal<Option<String>>,
    /// Escape was pressed in the editor: the next Tab leaves it instead of indenting.
    tab_leaves: RwSignal<bool>,
    /// Why the server refused the last Run or Stop (the connection stays open).
    run_problem: RwSignal<Option<String>>,
    /// The others' carets and selections moved (they live in the connection: a trigger costs
    /// less wasm than a signal of a type of their own).
    cursors_moved: Trigger,
}

/// This page's caret goes to the others at most this often (the server relays no more).
const CURSOR_EVERY: Duration = Duration::from_millis(50);

struct Connection {
    pad_id: PadId,
    /// Who this tab joins as: the id and secret the server gave (kept across reconnects and
    /// reloads, so the server recognises edits sent again), and the display name.
    identity: TabIdentity,
    doc: ClientDoc,
    /// This socket's welcome arrived: edits go out only after it, numbered from what it said.
    welcomed: bool,
    /// Edits not yet stored were dropped by a resync: the page says so once joined again.
    lost_edits: bool,
    /// What to send on the current socket, through its task; `None` while there is no socket.
    /// Dropping it closes the socket.
    socket: Option<UnboundedSender<String>>,
    /// The current socket is open and its join went out: other messages may follow.
    open: bool,
    retry_ms: u64,
    closed: bool,
    /// Run was asked for (with this input) while edits were still on their way: it goes out
    /// once the server has them all, so the run sees what was typed.
    pending_run: Option<Option<String>>,
    /// The caret moved since it was last sent; it goes once the throttle and the server's
    /// acknowledgements allow.
    cursor_due: bool,
    /// The throttle's timer is set.
    cursor_timer: bool,
    /// The caret the server has, on its revision: not sent again.
    cursor_sent: Option<(u64, Selection)>,
    /// The others' carets and selections, in the editor's text.
    cursors: RemoteCursors,
    shown: Shown,
}

type Shared = Rc<RefCell<Connection>>;

fn socket_url(pad_id: &PadId) -> String {
    let location = window().location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}://{host}/api/pads/{pad_id}/socket")
}

/// Sends `message` if the socket is open (and joined); otherwise it is dropped, as the server
/// would not take it.
fn send(shared: &Shared, message: &ClientMessage) {
    let connection = shared.borrow();
    if connection.open
        && let Some(socket) = &connection.socket
    {
        let text = serde_json::to_string(message).expect("json");
        let _ = socket.unbounded_send(text);
    }
}

fn send_op(shared: &Shared, out: Outgoing) {
    // Before the welcome the edit waits in the document; the welcome sends it.
    if !shared.borrow().welcomed {
        return;
    }
    send(
        shared,
        &ClientMessage::Op {
            revision: out.revision,
            seq: out.seq,
            op: out.op,
        },
    );
}

/// Asks the server to run the pad's code, once every edit made here has reached it.
fn request_run(shared: &Shared, stdin: Option<String>) {
    shared.borrow().shown.run_problem.set(None);
    shared.borrow_mut().pending_run = Some(stdin);
    flush_run(shared);
}

/// Sends the Run waiting for edits to arrive, if they all have.
fn flush_run(shared: &Shared) {
    let stdin = {
        let mut c = shared.borrow_mut();
        if c.pending_run.is_none() || !c.welcomed || !c.open || !c.doc.is_synchronized() {
            return;
        }
        c.pending_run.take().flatten()
    };
    send(shared, &ClientMessage::Run { stdin });
}

/// The editor's selection, in characters (the caret is its head).
fn editor_selection(area: &web_sys::HtmlTextAreaElement) -> Selection {
    let text = area.value();
    let start = char_index(&text, area.selection_start().ok().flatten().unwrap_or(0));
    let end = char_index(&text, area.selection_end().ok().flatten().unwrap_or(0));
    if area.selection_direction().ok().flatten().as_deref() == Some("backward") {
        Selection {
            anchor: end,
            head: start,
        }
    } else {
        Selection {
            anchor: start,
            head: end,
        }
    }
}

/// The caret moved (or may have): it goes to the others when [`CURSOR_EVERY`] has passed.
fn caret_moved(shared: &Shared) {
    let mut c = shared.borrow_mut();
    c.cursor_due = true;
    if c.cursor_timer {
        return;
    }
    c.cursor_timer = true;
    drop(c);
    let shared = shared.clone();
    set_timeout(
        move || {
            shared.borrow_mut().cursor_timer = false;
            flush_cursor(&shared);
        },
        CURSOR_EVERY,
    );
}

/// Sends the caret that waits, once every edit made here is stored (the server places a
/// caret only in text it has); an acknowledgement calls this again. A read-only page sends
/// nothing.
fn flush_cursor(shared: &Shared) {
    let at = {
        let mut c = shared.borrow_mut();
        let shown = c.shown;
        if !c.cursor_due
            || c.cursor_timer
            || !c.welcomed
            || !c.open
            || !shown.ready.get_untracked()
            || shown.ended.get_untracked()
        {
            return;
        }
        let Some(area) = shown.textarea.get_untracked() else {
            return;
        };
        let Some(at) = c.doc.selection_for_server(editor_selection(&area)) else {
            return;
        };
        c.cursor_due = false;
        if c.cursor_sent == Some(at) {
            return;
        }
        c.cursor_sent = Some(at);
        at
    };
    let (revision, Selection { anchor, head }) = at;
    send(
        shared,
        &ClientMessage::Cursor {
            revision,
            anchor,
            head,
        },
    );
}

/// Changes the others' cursors and redraws them.
fn update_cursors(shared: &Shared, change: impl FnOnce(&mut RemoteCursors)) {
    let mut c = shared.borrow_mut();
    change(&mut c.cursors);
    c.shown.cursors_moved.notify();
}

fn connect(shared: &Shared) {
    let url = socket_url(&shared.borrow().pad_id);
    let Ok(socket) = WebSocket::open(&url) else {
        schedule_reconnect(shared);
        return;
    };
    let (to_socket, queue) = mpsc::unbounded();
    shared.borrow_mut().socket = Some(to_socket);
    spawn_local(run_socket(shared.clone(), socket, queue));
}

/// One socket's life: join once it is open, then hand what arrives to `handle` and send what
/// the page queues, until the socket closes or the page lets go of it (resync, leaving).
async fn run_socket(shared: Shared, mut socket: WebSocket, mut queue: UnboundedReceiver<String>) {
    // Ready to send once open, or once it failed to open (then its close ends the loop below).
    let ready = future::poll_fn(|cx| socket.poll_ready_unpin(cx)).await;
    let wanted = shared.borrow().socket.is_some();
    if wanted && ready.is_ok() && matches!(socket.state(), State::Open) {
        let join = {
            let mut c = shared.borrow_mut();
            c.retry_ms = 500;
            ClientMessage::Join {
                client_id: c.identity.client_id.clone(),
                secret: c.identity.secret.clone(),
                name: Some(c.identity.name.clone()),
                since_revision: c.shown.ready.get_untracked().then_some(c.doc.revision),
            }
        };
        let join = Message::Text(serde_json::to_string(&join).expect("json"));
        shared.borrow_mut().open = socket.send(join).await.is_ok();
    }
    loop {
        // What the page queued goes first, as if sent when queued; once the page let go of the
        // socket, nothing that arrives after is handled.
        let next = match future::select(queue.next(), socket.next()).await {
            Either::Left((queued, _)) => Either::Left(queued),
            Either::Right((arrived, _)) => Either::Right(arrived),
        };
        match next {
            Either::Left(Some(text)) => {
                let _ = socket.send(Message::Text(text)).await;
            }
            Either::Right(Some(Ok(Message::Text(text)))) => {
                if let Ok(message) = serde_json::from_str::<ServerMessage>(&text) {
                    handle(&shared, message);
                }
            }
            // Bytes, or the error and close events that come before the end.
            Either::Right(Some(_)) => {}
            Either::Left(None) | Either::Right(None) => break,
        }
    }
    // Dropping the socket closes it, if it is not closed already.
    drop(socket);
    let (shown, closed) = {
        let mut c = shared.borrow_mut();
        c.socket = None;
        c.open = false;
        c.welcomed = false;
        (c.shown, c.closed)
    };
    // Typing goes on while away: the edits wait in the document, are sent once joined again,
    // and the edits missed meanwhile are transformed past them.
    if !closed && !shown.ended.get_untracked() {
        shown.connection.set(Text::PadConnectionReconnecting);
        schedule_reconnect(&shared);
    }
}

fn schedule_reconnect(shared: &Shared) {
    let wait = {
        let mut c = shared.borrow_mut();
        if c.closed {
            return;
        }
        let wait = c.retry_ms;
        c.retry_ms = (c.retry_ms * 2).min(5_000);
        wait
    };
    let shared = shared.clone();
    set_timeout(move || connect(&shared), Duration::from_millis(wait));
}

/// Shows `text` in the editor, moving the caret as `moved` says.
fn show_text(shown: Shown, text: &str, moved: Option<&::api::ot::Operation>) {
    if let Some(area) = shown.textarea.get_untracked() {
        let old = area.value();
        let start = char_index(&old, area.selection_start().ok().flatten().unwrap_or(0));
        let end = char_index(&old, area.selection_end().ok().flatten().unwrap_or(0));
        area.set_value(text);
        if let Some(op) = moved {
            let (start, end) = (
                op.transform_index(start, false),
                op.transform_index(end, false),
            );
            let _ = area.set_selection_range(utf16_index(text, start), utf16_index(text, end));
        }
    }
    shown.code.set(text.to_string());
}

fn handle(shared: &Shared, message: ServerMessage) {
    let shown = shared.borrow().shown;
    match message {
        ServerMessage::Welcome {
            client_id,
            secret,
            revision,
            text,
            language,
            last_seq,
            status,
            ..
        } => {
            shown.connection.set(Text::PadConnectionConnected);
            shown.ready.set(true);
            shown.language.set(language);
            let resend = {
                let mut c = shared.borrow_mut();
                c.welcomed = true;
                if c.identity.client_id.as_ref() != Some(&client_id) {
                    // Someone new to the server (a first join, or an id it did not know).
                    let known_before = c.identity.client_id.is_some();
                    c.identity.client_id = Some(client_id);
                    c.identity.secret = secret;
                    let pad_id = c.pad_id.clone();
                    c.identity.save(&pad_id);
                    if known_before && text.is_none() {
                        // The edits this page numbered under its old id mean nothing under
                        // the new one: start over from the server's whole text.
                        drop(c);
                        resync(shared);
                        return;
                    }
                }
                // The whole text instead of the edits missed (the pad moved on too far while
                // this page was away), or a resync: what was typed and not stored is gone.
                let mut lost = std::mem::take(&mut c.lost_edits);
                if let Some(text) = text {
                    lost |= c.doc.has_unsent_changes();
                    c.doc = ClientDoc::new(text, revision).with_next_seq(last_seq);
                    show_text(shown, &c.doc.text, None);
                    // Placed in a text this page no longer has; the server sends where they are.
                    c.cursors.clear();
                    shown.cursors_moved.notify();
                }
                // A new connection: the server knows no caret of this page's yet (one that never
                // moved is not shown to anyone).
                c.cursor_due |= c.cursor_sent.take().is_some();
                shown
                    .problem
                    .set(lost.then(|| t(Text::PadEditsDropped).to_string()));
                c.doc.unacknowledged()
            };
            if let Some(out) = resend {
                send_op(shared, out);
            }
            if status == PadStatus::Ended {
                shown.ended.set(true);
            }
            flush_run(shared);
            flush_cursor(shared);
        }
        ServerMessage::Op {
            revision,
            client_id,
            seq,
            op,
        } => {
            let effect = {
                let mut c = shared.borrow_mut();
                let me = c.identity.client_id.clone().unwrap_or_default();
                c.doc.on_server_op(&me, revision, &client_id, seq, &op)
            };
            match effect {
                Ok(ServerOpEffect::Applied { applied }) => {
                    let text = shared.borrow().doc.text.clone();
                    update_cursors(shared, |cursors| {
                        cursors.transform(&applied, Some(&client_id));
                    });
                    show_text(shown, &text, Some(&applied));
                }
                Ok(ServerOpEffect::Acknowledged { next: Some(out) }) => send_op(shared, out),
                Ok(_) => {}
                // Out of step: start over from the server's text.
                Err(_) => resync(shared),
            }
            flush_run(shared);
            flush_cursor(shared);
        }
        ServerMessage::Cursor {
            client_id,
            revision,
            anchor,
            head,
        } => {
            let placed = {
                let c = shared.borrow();
                let placed = c
                    .doc
                    .selection_from_server(revision, Selection { anchor, head });
                placed.filter(|_| c.identity.client_id.as_ref() != Some(&client_id))
            };
            if let Some(at) = placed {
                update_cursors(shared, |cursors| cursors.set(&client_id, at));
            }
        }
        ServerMessage::Run { run, ahead } => {
            // A new run: an earlier refusal is old news.
            if shown.run.with_untracked(|s| s.as_ref().map(|s| s.run.id)) != Some(run.id) {
                shown.run_problem.set(None);
            }
            shown.run.update(|shown| receive_run(shown, run, ahead));
        }
        ServerMessage::RunOutput {
            run_id,
            index,
            stream,
            text,
        } => {
            // Only a piece that changes the screen notifies it.
            shown
                .run
                .maybe_update(|shown| receive_piece(shown, run_id, index, stream, text));
        }
        // A run that could not start or stop: said beside the Run button; the pad goes on.
        ServerMessage::Error { code, message } if code.keeps_connection() => {
            let language = shown.language.with_untracked(|id| language_name(id));
            shown
                .run_problem
                .set(Some(refusal_text(code, &message, language)));
        }
        ServerMessage::Participants { participants } => {
            update_cursors(shared, |cursors| cursors.keep_online(&participants));
            shown.participants.set(participants);
        }
        ServerMessage::Language { language } => {
            if shown.language.get_untracked() != language {
                let label = ::api::language_label(&language).unwrap_or(t(Text::PadAnotherLanguage));
                shown
                    .language_notice
                    .set(Some(tf(Text::PadLanguageNow, &[("language", label)])));
            }
            shown.language.set(language);
        }
        ServerMessage::Ended => {
            update_cursors(shared, RemoteCursors::clear);
            shown.ended.set(true);
        }
        ServerMessage::Error { code, message } => {
            let language = shown.language.with_untracked(|id| language_name(id));
            shown
                .problem
                .set(Some(refusal_text(code, &message, language)));
            // Refusals that reconnecting would only meet again.
            if matches!(
                code,
                RefusalCode::OpenedElsewhere
                    | RefusalCode::TooManyParticipants
                    | RefusalCode::TooManyEdits
                    | RefusalCode::NameRequired
                    | RefusalCode::MalformedMessage
            ) {
                shared.borrow_mut().closed = true;
                // Read-only from now on: what is typed could never be sent.
                shown.ready.set(false);
                shown.connection.set(Text::PadConnectionDisconnected);
            }
            if matches!(
                code,
                RefusalCode::InvalidOperation
                    | RefusalCode::InvalidRevision
                    | RefusalCode::StaleRevision
                    | RefusalCode::InvalidSeq
                    | RefusalCode::TextTooLong
                    | RefusalCode::PadFull
                    | RefusalCode::EmptyEdit
            ) {
                resync(shared);
            }
        }
    }
}

/// Drops local state and reconnects for the server's whole text.
fn resync(shared: &Shared) {
    let mut c = shared.borrow_mut();
    c.shown.ready.set(false);
    c.lost_edits |= c.doc.has_unsent_changes();
    c.doc = ClientDoc::default();
    c.cursors.clear();
    c.shown.cursors_moved.notify();
    c.open = false;
    c.socket = None;
}

#[component]
fn Editor(pad: PadView, identity: TabIdentity, ended: RwSignal<bool>) -> impl IntoView {
    let shown = Shown {
        connection: RwSignal::new(Text::PadConnectionConnecting),
        participants: RwSignal::new(Vec::new()),
        language: RwSignal::new(pad.language.clone().unwrap_or_else(|| "python".into())),
        code: RwSignal::new(String::new()),
        problem: RwSignal::new(None),
        ready: RwSignal::new(false),
        ended,
        textarea: NodeRef::new(),
        run: RwSignal::new(None),
        run_problem: RwSignal::new(None),
        language_notice: RwSignal::new(None),
        tab_leaves: RwSignal::new(false),
        cursors_moved: Trigger::new(),
    };
    let shared: Shared = Rc::new(RefCell::new(Connection {
        pad_id: pad.id.clone(),
        identity,
        doc: ClientDoc::default(),
        welcomed: false,
        lost_edits: false,
        socket: None,
        open: false,
        retry_ms: 500,
        closed: false,
        pending_run: None,
        cursor_due: false,
        cursor_timer: false,
        cursor_sent: None,
        cursors: RemoteCursors::default(),
        shown,
    }));
    connect(&shared);
    let stored = StoredValue::new_local(shared);
    // A newly chosen language builds the page again, with a new connection that would not know
    // of edits or a run request still on their way: it waits until there are none.
    let language = Language::get_context();
    let hold = language.hold_while(move || {
        stored
            .try_with_value(|shared| {
                let c = shared.borrow();
                // A connection refused for good never sends its edits: nothing to wait for.
                !c.closed && (!c.doc.is_synchronized() || c.pending_run.is_some())
            })
            .unwrap_or(false)
    });
    on_cleanup(move || {
        language.release(hold);
        stored.try_with_value(|shared| {
            let mut c = shared.borrow_mut();
            c.closed = true;
            c.open = false;
            c.socket = None;
        });
    });

    let on_input = move |_| {
        let Some(area) = shown.textarea.get_untracked() else {
            return;
        };
        let value = area.value();
        shown.code.set(value.clone());
        stored.with_value(|shared| {
            let (made, out) = shared.borrow_mut().doc.edit_made(&value);
            if !made.is_noop() {
                update_cursors(shared, |cursors| cursors.transform(&made, None));
            }
            if let Some(out) = out {
                send_op(shared, out);
            }
            caret_moved(shared);
        });
    };
    let on_caret = move || stored.with_value(caret_moved);
    let client = Client::get();
    let languages = LocalResource::new(move || async move { client.languages().await });
    let language_label = move || shown.language.with(|id| language_name(id));
    // Whether this server can run the pad's language (until the server says, assume it can:
    // it refuses a run it cannot do anyway).
    let runnable = move || {
        let language = shown.language.get();
        can_run(languages.get().as_ref(), &language)
    };
    let stdin = RwSignal::new(String::new());
    let can_send = move || shown.ready.get() && !shown.ended.get();
    let run = move || {
        if !shown.ready.get_untracked() || shown.ended.get_untracked() {
            return;
        }
        let input = stdin.get_untracked();
        let input = (!input.is_empty()).then_some(input);
        stored.with_value(|shared| request_run(shared, input));
    };
    let stop = move |_| {
        stored.with_value(|shared| {
            shared.borrow_mut().pending_run = None;
            send(shared, &ClientMessage::StopRun);
        });
    };
    // A memo: output streaming in must not rebuild the button under the pointer.
    let active = Memo::new(move |_| {
        shown
            .run
            .with(|run| run.as_ref().is_some_and(ShownRun::is_active))
    });

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        // Arrows and the like move the caret after this; the throttle reads it later.
        stored.with_value(caret_moved);
        // Ctrl+Enter (Cmd+Enter on a Mac) runs the code, even while a run goes (the server
        // stops that one and starts this).
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) && !ev.alt_key() {
            ev.prevent_default();
            if untrack(runnable) {
                run();
            }
            return;
        }
        // Tab indents; Escape then Tab moves on to the next control (keyboard users are not
        // trapped in the editor).
        if ev.key() == "Escape" {
            shown.tab_leaves.set(true);
            return;
        }
        let leaving = shown.tab_leaves.get_untracked();
        shown.tab_leaves.set(false);
        if ev.key() != "Tab" || ev.shift_key() || ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
            return;
        }
        if leaving {
            return;
        }
        if !shown.ready.get_untracked() || shown.ended.get_untracked() {
            return;
        }
        ev.prevent_default();
        let Some(area) = shown.textarea.get_untracked() else {
            return;
        };
        let value = area.value();
        let start = char_index(&value, area.selection_start().ok().flatten().unwrap_or(0));
        let end = char_index(&value, area.selection_end().ok().flatten().unwrap_or(0));
        let (text, caret) = insert_indent(&value, start, end);
        area.set_value(&text);
        let caret = utf16_index(&text, caret);
        let _ = area.set_selection_range(caret, caret);
        on_input(());
    };
    let on_language = move |ev: leptos::ev::Event| {
        let language = event_target_value(&ev);
        stored.with_value(|shared| send(shared, &ClientMessage::Language { language }));
    };
    let pad_id = pad.id.clone();
    let client = Client::get();
    let end = Action::new_local(move |_: &()| {
        let pad_id = pad_id.clone();
        async move {
            let answer = client.end_pad(&pad_id).await;
            if answer.is_ok() {
                ended.set(true);
            }
            answer
        }
    });
    let confirm_end = RwSignal::new(false);
    let options = ::api::LANGUAGES
        .iter()
        .map(|&(id, label)| {
            // Only the text changes when the server's list arrives: the selection stays.
            let text = move || language_choice(label, can_run(languages.get().as_ref(), id));
            view! { <option value=id>{text}</option> }
        })
        .collect_view();
    let title = pad_title(&pad);
    let mail_pad = pad.id.clone();

    view! {
        <section class="card wide pad">
            <div class="title-row">
                <div>
                    <h1 data-testid="pad-title">{title}</h1>
                    {pad.organization_name.clone().map(|name| view! {
                        <p class="muted" data-testid="pad-organization">{tf(Text::PadInterviewWith, &[("name", &name)])}</p>
                    })}
                </div>
                <span class="muted" data-testid="connection">{move || t(shown.connection.get())}</span>
            </div>
            <div class="pad-bar">
                <label>
                    {t(Text::PadsNewLanguage)}" "
                    <select name="language" data-testid="language" on:change=on_language prop:value=move || shown.language.get()>
                        {options}
                    </select>
                </label>
                {move || shown.language_notice.get().map(|notice| view! {
                    <span class="muted" role="status" data-testid="language-notice">{notice}</span>
                })}
                <ul class="participants" data-testid="participants">
                    {move || {
                        shown
                            .participants
                            .get()
                            .into_iter()
                            .map(|p| {
                                view! {
                                    <li class:offline=!p.online style:border-color=p.color.clone()>
                                        <span class="dot" style:background=p.color.clone()></span>
                                        {p.name.clone()}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                {pad.member.then(|| view! {
                    <CopyCandidateLink/>
                    <super::mail::MailLink pad_id=mail_pad/>
                })}
                {pad.member.then(|| view! {
                    {move || if confirm_end.get() {
                        view! {
                            <button type="button" class="danger" on:click=move |_| { end.dispatch_local(()); }>{t(Text::PadEndYes)}</button>
                            <button type="button" class="secondary" on:click=move |_| confirm_end.set(false)>{t(Text::ConfirmCancel)}</button>
                        }.into_any()
                    } else {
                        view! { <button type="button" class="danger" on:click=move |_| confirm_end.set(true)>{t(Text::PadEnd)}</button> }.into_any()
                    }}
                })}
            </div>
            {move || error_note(shown.problem.get().or_else(|| failure_message(end.value().get())))}
            <div class="editor">
                <pre class="gutter" aria-hidden="true">{move || shown.code.with(|c| line_numbers(c))}</pre>
                <div class="code-layer">
                <pre class="highlight" aria-hidden="true">
                    {move || {
                        let language = shown.language.get();
                        shown.code.with(|code| {
                            highlight::tokens(&language, code)
                                .into_iter()
                                .map(|(kind, piece)| view! { <span class=kind.class()>{piece.to_string()}</span> })
                                .collect_view()
                        })
                    }}
                </pre>
                <pre class="remote-cursors" aria-hidden="true" inner_html=move || {
                    shown.cursors_moved.track();
                    stored.with_value(|shared| {
                        // Drawn after the change that asked for it, never during one.
                        let Ok(c) = shared.try_borrow() else { return String::new() };
                        shown.participants.with(|participants| {
                            shown.code.with(|code| layer_html(code, c.cursors.all(), participants))
                        })
                    })
                }></pre>
                <textarea
                    node_ref=shown.textarea
                    aria-label=t(Text::PadEditorLabel)
                    data-testid="editor"
                    spellcheck="false"
                    autocomplete="off"
                    wrap="off"
                    prop:readOnly=move || !shown.ready.get() || shown.ended.get()
                    rows=move || shown.code.with(|c| c.split('\n').count() + 2)
                    on:input=move |_| on_input(())
                    on:keydown=on_keydown
                    on:mouseup=move |_| on_caret()
                ></textarea>
                </div>
            </div>
            <div class="run-bar">
                {move || if active.get() {
                    view! {
                        <button type="button" class="danger" data-testid="stop-button" disabled=move || !can_send() on:click=stop>
                            {t(Text::PadStop)}
                        </button>
                    }.into_any()
                } else {
                    view! {
                        <button
                            type="button"
                            data-testid="run-button"
                            title=t(Text::PadRunShortcut)
                            disabled=move || !can_send() || !runnable()
                            on:click=move |_| run()
                        >
                            {t(Text::PadRun)}
                        </button>
                    }.into_any()
                }}
                {move || {
                    let note = if runnable() {
                        shown.run_problem.get()
                    } else {
                        Some(not_runnable_note(language_label()))
                    };
                    note.map(|note| view! { <span class="error" role="alert" data-testid="run-problem">{note}</span> })
                }}
            </div>
            <details class="run-input">
                <summary>{t(Text::PadInput)}</summary>
                <label>
                    <span class="hint">{t(Text::PadInputHint)}</span>
                    <textarea
                        class="code"
                        data-testid="run-stdin"
                        rows="4"
                        spellcheck="false"
                        prop:value=move || stdin.get()
                        on:input=move |ev| stdin.set(event_target_value(&ev))
                    ></textarea>
                </label>
            </details>
            <RunPane shown=shown.run/>
        </section>
    }
}

/// For interviewers: this page's address is the candidate's link; one click copies it.
#[component]
fn CopyCandidateLink() -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let link = window().location().href().unwrap_or_default();
        leptos::task::spawn_local(async move {
            copied.set(Some(
                crate::components::copy::copy_to_clipboard(&link).await,
            ));
        });
    };
    view! {
        <button type="button" class="secondary" data-testid="copy-candidate-link" on:click=copy>
            {t(Text::PadCopyLink)}
        </button>
        {move || copied.get().map(|done| {
            let text = t(if done { Text::PadLinkCopied } else { Text::PadLinkCopyRefused });
            view! { <span class="muted" role="status" data-testid="copy-link-status">{text}</span> }
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::api::i18n::Locale;

    #[test]
    fn refusals_read_in_the_reader_s_language_with_the_server_s_limits() {
        assert_eq!(
            refusal_text(RefusalCode::OpenedElsewhere, "", "Python"),
            "This pad was opened again in another tab or window; continue there."
        );
        assert_eq!(
            refusal_text(RefusalCode::NameRequired, "", "Python"),
            "Give a display name of 1 to 50 characters, on one line."
        );
        assert_eq!(
            refusal_text(RefusalCode::TooManyRuns, "", "Python"),
            "This pad has been run 500 times, as many as it keeps."
        );
        assert_eq!(
            refusal_text(RefusalCode::LanguageNotRunnable, "", "Kotlin"),
            "Kotlin is not installed on this server."
        );
        // A code from a newer server: its own words are all there is.
        assert_eq!(
            refusal_text(RefusalCode::Unknown, "Something new.", "Python"),
            "Something new."
        );
        crate::i18n::set_locale(Locale::Fr);
        assert_eq!(
            refusal_text(RefusalCode::StdinTooLarge, "", "Python"),
            "L'entrée du programme ne doit pas dépasser 65\u{202f}536 octets."
        );
        assert_eq!(
            refusal_text(RefusalCode::RunTooSoon, "One run a second.", "Python"),
            t(Text::PadRefusalRunTooSoon)
        );
        assert_eq!(language_name("no-such-language"), "Ce langage");
        crate::i18n::set_locale(Locale::En);
        assert_eq!(language_name("python"), "Python");
    }
}
