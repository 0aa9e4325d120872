//! `GET /api/pads/<id>/socket`: one participant's WebSocket. The first message joins; then edits
//! and language changes go to the room, and the room's broadcasts come back. Bad input (not
//! JSON, too large, an edit that does not fit the text, a flood) gets an `error` message and
//! the connection is closed: the pad itself is never touched by it.

use api::{OrgId, PadId};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use api::ot::Selection;
use api::{ClientMessage, ErrorCode, RefusalCode, ServerMessage};
use entity::pad;
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use super::live::{Credentials, Joined, Joiner, Refusal, Room, RoomEvent, SocketSlot};
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, ClientAddress, Viewer};
use crate::runs::service::Ask;
use crate::state::AppState;

/// The largest message accepted; an edit of a pasted file fits easily.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages per second a participant may send, with bursts up to `BURST`. Fast typing makes
/// about 15. Cursors are not counted: they have their own limit.
const RATE: f64 = api::limits::MAX_MESSAGES_A_SECOND as f64;
const BURST: f64 = 3.0 * RATE;
/// A connection's cursors are relayed at most once in this time (20 a second, what the
/// console sends at most). Those sent faster are not refused: each replaces the one waiting,
/// so a flood costs one slot of memory, closes nothing and relays the newest.
const CURSOR_INTERVAL: Duration = Duration::from_millis(50);

/// The pad's live socket: a WebSocket of JSON messages (see the README's "The pad socket").
///
/// Anyone with the pad's link may connect: a member of the pad's organization joins by their
/// session cookie, a candidate or guest by the name (and, rejoining, the participant id and
/// secret) in the first message. The messages are the `ClientMessage` and `ServerMessage`
/// schemas.
#[utoipa::path(
    get,
    path = "/api/pads/{id}/socket",
    tag = "pads",
    security((), ("session" = [])),
    params(
        ("id" = api::PadId, Path, description = "The pad's id: the 22 characters of its link."),
        ("Upgrade" = String, Header, description = "`websocket`"),
        ("Connection" = String, Header, description = "`Upgrade`"),
        ("Sec-WebSocket-Key" = String, Header, description = "The WebSocket handshake's key."),
        ("Sec-WebSocket-Version" = String, Header, description = "`13`"),
    ),
    responses(
        (status = 101, description = "Switching Protocols: the WebSocket is open. The client's first message is a `join` (`ClientMessage`); the server answers `welcome` (`ServerMessage`)."),
        (status = 400, description = "`websocket_required`: not a WebSocket upgrade.", body = api::ErrorBody),
        (status = 403, description = "`organization_disabled`: the pad's organization is disabled.", body = api::ErrorBody),
        (status = 404, description = "`not_found`: no such pad.", body = api::ErrorBody),
        (status = 429, description = "`too_many_connections`: the pad, or the client's address, has as many sockets open as it may.", body = api::ErrorBody),
    ),
)]
pub async fn pad_socket(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    id: web::Path<PadId>,
    viewer: Viewer,
    client: ClientAddress,
) -> ApiResult<HttpResponse> {
    let pad = super::find(&state, &id).await?;
    let address = client
        .ip()
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    let slot = state.pad_hub.admit(&pad.id, address)?;
    let (response, session, stream) = actix_ws::handle(&request, body).map_err(|e| {
        let reason = crate::i18n::msg(crate::i18n::Text::PadsWebsocketRequired);
        ApiError::bad_request(ErrorCode::WebsocketRequired, reason.with("reason", e))
    })?;
    let stream = stream
        .max_frame_size(MAX_MESSAGE_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_MESSAGE_BYTES);
    let member = viewer.into_user().filter(|user| user.org_id == pad.org_id);
    actix_web::rt::spawn(connection(
        state.into_inner(),
        pad,
        member,
        slot,
        session,
        stream,
    ));
    Ok(response)
}

async fn connection(
    state: Arc<AppState>,
    pad: pad::Model,
    member: Option<AuthUser>,
    // Counted as one of the pad's sockets until the connection ends.
    _slot: SocketSlot,
    mut session: Session,
    mut stream: actix_ws::AggregatedMessageStream,
) {
    let mut closing = state.pad_hub.closing();
    let first = tokio::select! {
        first = tokio::time::timeout(JOIN_TIMEOUT, stream.next()) => first,
        _ = closing.wait_for(|closing| *closing) => return close_for_restart(session).await,
    };
    let joiner = match first {
        Ok(Some(Ok(AggregatedMessage::Text(text)))) => match parse_join(&text, member.as_ref()) {
            Ok(joiner) => joiner,
            Err(refusal) => return refuse(session, refusal).await,
        },
        Ok(Some(Ok(_))) | Ok(Some(Err(_))) => {
            return refuse(session, join_required()).await;
        }
        Ok(None) => return,
        Err(_) => {
            let refusal = Refusal::new(
                RefusalCode::JoinTimeout,
                "No join message within 10 seconds.",
            );
            return refuse(session, refusal).await;
        }
    };
    // Ended before this connection: refused without opening the room (a retried join must
    // not load the pad each time). A pad ending meanwhile is caught under the room's lock.
    if pad.status == super::PadStatus::Ended {
        return refuse(session, Refusal::pad_ended()).await;
    }
    let room = state.pad_hub.enter(&pad);
    // Subscribe before the welcome is taken, so nothing falls between the two; the client
    // skips broadcasts its welcome already covers.
    let events = room.subscribe();
    let outcome = match room.join(&state.db, &joiner).await {
        Ok(mut joined) => {
            let first = std::mem::take(&mut joined.first);
            let outcome = serve(
                &state,
                pad.org_id,
                &room,
                &joined,
                first,
                events,
                &mut session,
                &mut stream,
            )
            .await;
            room.leave(&state.db, &joined.client_id).await;
            outcome
        }
        // A refused join never counted as a connection, so it does not leave either.
        Err(refusal) => Err(refusal),
    };
    state.pad_hub.leave(&room);
    match outcome {
        Ok(Ending::Left) => {
            let _ = session.close(None).await;
        }
        Ok(Ending::ServerStopping) => close_for_restart(session).await,
        Err(refusal) => refuse(session, refusal).await,
    }
}

/// Closes with 1012 (service restart): the client reconnects, to another instance or to this
/// one once it is back.
async fn close_for_restart(session: Session) {
    let _ = session
        .close(Some(CloseReason {
            code: CloseCode::Restart,
            description: Some("the server is restarting; reconnect".into()),
        }))
        .await;
}

/// How a connection that was not refused ended.
enum Ending {
    /// The participant left, or the connection broke.
    Left,
    /// This server is stopping: the client reconnects, to another instance or to this one.
    ServerStopping,
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    state: &AppState,
    org_id: OrgId,
    room: &Arc<Room>,
    joined: &Joined,
    // The welcome and the edits missed, dropped once sent (they may hold the whole text).
    first: Vec<Arc<str>>,
    mut events: tokio::sync::broadcast::Receiver<RoomEvent>,
    session: &mut Session,
    stream: &mut actix_ws::AggregatedMessageStream,
) -> Result<Ending, Refusal> {
    let mut closing = state.pad_hub.closing();
    for message in first {
        if session.text(message.to_string()).await.is_err() {
            return Ok(Ending::Left);
        }
    }
    // The pad's run, as it stands: going (here or elsewhere), or the last one.
    if let Some(run) = state.runs.current_or_latest(&state.db, &room.pad_id).await {
        let ahead = state.runs.ahead_of(run.id);
        if session
            .text(json(&ServerMessage::Run { run, ahead }))
            .await
            .is_err()
        {
            return Ok(Ending::Left);
        }
    }
    let mut bucket = TokenBucket::new();
    let mut cursors = CursorGate::default();
    loop {
        tokio::select! {
            _ = closing.wait_for(|closing| *closing) => return Ok(Ending::ServerStopping),
            _ = tokio::time::sleep_until(cursors.due()), if cursors.is_waiting() => {
                if let Some((revision, selection)) = cursors.take() {
                    room.place_cursor(&state.db, joined, revision, selection).await?;
                }
            }
            incoming = stream.next() => {
                let message = match incoming {
                    None => return Ok(Ending::Left),
                    Some(Ok(message)) => message,
                    Some(Err(e)) => {
                        return Err(Refusal::new(
                            RefusalCode::ProtocolError,
                            format!("{e} (messages are at most {MAX_MESSAGE_BYTES} bytes)"),
                        ));
                    }
                };
                match message {
                    AggregatedMessage::Text(text) => {
                        let message = parse(&text)?;
                        if let ClientMessage::Cursor { revision, anchor, head } = message {
                            // Not counted by the bucket (a flood is thinned, not refused), so
                            // a cursor must stay the few bytes one is.
                            if text.len() > MAX_CURSOR_BYTES {
                                return Err(Refusal::new(
                                    RefusalCode::MalformedMessage,
                                    format!("A cursor message is at most {MAX_CURSOR_BYTES} bytes."),
                                ));
                            }
                            cursors.offer(revision, Selection { anchor, head });
                            continue;
                        }
                        if !bucket.take() {
                            return Err(Refusal::new(
                                RefusalCode::TooManyMessages,
                                format!("More than {RATE} messages a second."),
                            ));
                        }
                        // Others' edits keep reaching this participant while theirs is ordered
                        // and stored (which waits for the edit of the pad before it): a socket
                        // busy with its own edit would otherwise hold back everyone else's.
                        let handling = handle(state, org_id, room, joined, message);
                        tokio::pin!(handling);
                        let mut stop = None;
                        let mut handled = None;
                        while handled.is_none() {
                            tokio::select! {
                                result = &mut handling => handled = Some(result),
                                event = events.recv(), if stop.is_none() => {
                                    // The edit goes on while the event is sent: a participant
                                    // who does not read must not hold the room (whose lock their
                                    // edit may hold) until they do.
                                    let sending = forward(event, joined, session);
                                    tokio::pin!(sending);
                                    loop {
                                        tokio::select! {
                                            ending = &mut sending => {
                                                stop = ending;
                                                break;
                                            }
                                            result = &mut handling, if handled.is_none() => {
                                                handled = Some(result);
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        let handled = handled.expect("the loop ends once the edit is handled");
                        // An edit handed to the room is seen through (stopping half way could
                        // leave it stored but not counted), then the connection ends.
                        if let Some(ending) = stop {
                            return ending;
                        }
                        match handled {
                            Ok(()) => {}
                            // A run that cannot start answers that request only.
                            Err(refusal) if refusal.code.keeps_connection() => {
                                let answer = json(&ServerMessage::Error {
                                    code: refusal.code,
                                    message: refusal.message,
                                });
                                if session.text(answer).await.is_err() {
                                    return Ok(Ending::Left);
                                }
                            }
                            Err(refusal) => return Err(refusal),
                        }
                    }
                    AggregatedMessage::Ping(bytes) => {
                        if session.pong(&bytes).await.is_err() {
                            return Ok(Ending::Left);
                        }
                    }
                    AggregatedMessage::Pong(_) => {}
                    AggregatedMessage::Binary(_) => {
                        return Err(Refusal::new(RefusalCode::TextOnly, "Messages are JSON text."));
                    }
                    AggregatedMessage::Close(_) => return Ok(Ending::Left),
                }
            }
            event = events.recv() => {
                if let Some(ending) = forward(event, joined, session).await {
                    return ending;
                }
            }
        }
    }
}

/// Passes a room's event on to this participant; Some when the connection ends with it.
async fn forward(
    event: Result<RoomEvent, RecvError>,
    joined: &Joined,
    session: &mut Session,
) -> Option<Result<Ending, Refusal>> {
    match event {
        Ok(RoomEvent::Broadcast(message)) => session
            .text(message.to_string())
            .await
            .is_err()
            .then_some(Ok(Ending::Left)),
        // Numbers grow with each join: an earlier connection's own rejoin event, received
        // late, is no reason to close a newer one.
        Ok(RoomEvent::Rejoined {
            client_id,
            connection,
        }) if *client_id == *joined.client_id && connection > joined.connection => {
            Some(Err(Refusal::opened_elsewhere()))
        }
        Ok(RoomEvent::Rejoined { .. }) => None,
        Ok(RoomEvent::Cursor { from, message }) if *from != *joined.client_id => session
            .text(message.to_string())
            .await
            .is_err()
            .then_some(Ok(Ending::Left)),
        // One's own caret is where one's editor shows it.
        Ok(RoomEvent::Cursor { .. }) => None,
        // Too far behind to catch up message by message: the client reconnects and asks for
        // what it missed.
        Err(RecvError::Lagged(_)) => Some(Err(Refusal::new(
            RefusalCode::Lagging,
            "This connection fell behind; reconnect.",
        ))),
        Err(RecvError::Closed) => Some(Ok(Ending::Left)),
    }
}

fn parse(text: &str) -> Result<ClientMessage, Refusal> {
    serde_json::from_str(text).map_err(|e| {
        Refusal::new(
            RefusalCode::MalformedMessage,
            format!("The message is not one the pad understands: {e}."),
        )
    })
}

async fn handle(
    state: &AppState,
    org_id: OrgId,
    room: &Room,
    joined: &Joined,
    message: ClientMessage,
) -> Result<(), Refusal> {
    match message {
        ClientMessage::Op { revision, seq, op } => {
            room.submit(&state.db, joined, seq, revision, op).await
        }
        ClientMessage::Language { language } => room.set_language(&state.db, &language).await,
        ClientMessage::Run { stdin } => {
            let (revision, text, language) = room.run_input(&state.db).await?;
            let ask = Ask {
                org_id,
                pad_id: room.pad_id.clone(),
                revision,
                text,
                language,
                by: joined.name.clone(),
                stdin: stdin.unwrap_or_default(),
            };
            state
                .runs
                .start(&state.run_audience(), ask)
                .await
                .map(|_| ())
        }
        ClientMessage::StopRun => state.runs.stop(&state.db, &room.pad_id, &joined.name).await,
        // Taken by the cursor gate before this.
        ClientMessage::Cursor { .. } => Ok(()),
        ClientMessage::Join { .. } => Err(Refusal::new(
            RefusalCode::AlreadyJoined,
            "This connection has joined already.",
        )),
    }
}

fn parse_join(text: &str, member: Option<&AuthUser>) -> Result<Joiner, Refusal> {
    let malformed = |message: String| Refusal {
        code: RefusalCode::MalformedMessage,
        message,
    };
    let message: ClientMessage = serde_json::from_str(text)
        .map_err(|e| malformed(format!("The first message must be a join: {e}.")))?;
    let ClientMessage::Join {
        client_id,
        secret,
        name,
        since_revision,
    } = message
    else {
        return Err(join_required());
    };
    let valid_id = |id: &str| {
        (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if client_id.as_deref().is_some_and(|id| !valid_id(id)) {
        return Err(malformed(
            "client_id must be 8 to 64 letters, digits or dashes.".into(),
        ));
    }
    if secret.as_deref().is_some_and(|secret| secret.len() > 128) {
        return Err(malformed("secret must be at most 128 characters.".into()));
    }
    let name = match member {
        Some(user) => user.name.clone(),
        None => display_name(name.as_deref().unwrap_or_default())?,
    };
    Ok(Joiner {
        returning: client_id
            .zip(secret)
            .map(|(client_id, secret)| Credentials { client_id, secret }),
        name,
        user_id: member.map(|user| user.user_id),
        since_revision,
    })
}

pub use api::limits::MAX_NAME_CHARS;

/// A guest's display name: trimmed, 1 to 50 characters, on one line.
fn display_name(name: &str) -> Result<String, Refusal> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(Refusal::new(
            RefusalCode::NameRequired,
            format!("Give a display name of 1 to {MAX_NAME_CHARS} characters, on one line."),
        ));
    }
    Ok(name.to_string())
}

fn join_required() -> Refusal {
    Refusal::new(RefusalCode::JoinRequired, "Send a join message first.")
}

async fn refuse(mut session: Session, refusal: Refusal) {
    // An edit that crossed the end (made elsewhere, not yet heard of here) is no fault of the
    // participant's: they get the news everyone in the room got, then the refusal.
    if refusal.code == RefusalCode::PadEnded {
        let _ = session.text(json(&ServerMessage::Ended)).await;
    }
    let message = ServerMessage::Error {
        code: refusal.code,
        message: refusal.message.clone(),
    };
    let _ = session.text(json(&message)).await;
    let _ = session
        .close(Some(CloseReason {
            code: CloseCode::Policy,
            description: Some(refusal.code.as_str().into()),
        }))
        .await;
}

fn json(message: &ServerMessage) -> String {
    serde_json::to_string(message).expect("server messages serialize")
}

/// The largest cursor message: `{"type":"cursor","revision":…,"anchor":…,"head":…}` with
/// 20-digit numbers is under 120 bytes.
const MAX_CURSOR_BYTES: usize = 256;

/// The cursor waiting to be relayed, and when the next may go.
struct CursorGate {
    next_at: tokio::time::Instant,
    waiting: Option<(u64, Selection)>,
}

impl Default for CursorGate {
    fn default() -> Self {
        Self {
            next_at: tokio::time::Instant::now(),
            waiting: None,
        }
    }
}

impl CursorGate {
    /// The newest cursor replaces any still waiting.
    fn offer(&mut self, revision: u64, selection: Selection) {
        self.waiting = Some((revision, selection));
    }

    fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    fn due(&self) -> tokio::time::Instant {
        self.next_at
    }

    fn take(&mut self) -> Option<(u64, Selection)> {
        self.next_at = tokio::time::Instant::now() + CURSOR_INTERVAL;
        self.waiting.take()
    }
}

struct TokenBucket {
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    fn new() -> Self {
        Self {
            tokens: BURST,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * RATE).min(BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
