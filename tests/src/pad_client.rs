//! A pad participant at the socket level: the same `ClientDoc` the console uses, over a real
//! WebSocket to the server.

use std::time::Duration;

use api::ot::{ClientDoc, Outgoing, Selection, ServerOpEffect};
use api::{ClientMessage, Participant, RefusalCode, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::app::TestApp;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens the pad's socket, with the session cookie of `cookie_from` when given: at the app's
/// address (`wss://` through the TLS proxy a test put it [`behind`](TestApp::behind)).
pub async fn open_socket(app: &TestApp, pad_id: &api::PadId, cookie: Option<&str>) -> Socket {
    let root = app.address.replacen("http", "ws", 1);
    let url = format!("{root}/api/pads/{pad_id}/socket");
    let mut request = url.into_client_request().expect("a websocket request");
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().expect("a cookie header"));
    }
    let connector = app
        .ca
        .as_ref()
        .map(|ca| tokio_tungstenite::Connector::Rustls(ca.rustls_config()));
    let (socket, _) =
        tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector)
            .await
            .expect("the pad's socket opens");
    socket
}

/// False when the connection is gone (what was sent is then resent after a reconnect).
pub async fn send(socket: &mut Socket, message: &ClientMessage) -> bool {
    socket
        .send(Message::text(serde_json::to_string(message).unwrap()))
        .await
        .is_ok()
}

/// The next message from the server, or None once the connection is closed.
pub async fn receive(socket: &mut Socket) -> Option<ServerMessage> {
    receive_within(socket, Duration::from_secs(10)).await
}

/// Like [`receive`], waiting up to `patience` for it.
pub async fn receive_within(socket: &mut Socket, patience: Duration) -> Option<ServerMessage> {
    loop {
        let message = tokio::time::timeout(patience, socket.next())
            .await
            .unwrap_or_else(|_| panic!("the server answers within {patience:?}"));
        match message {
            Some(Ok(Message::Text(text))) => {
                return Some(serde_json::from_str(&text).expect("a server message"));
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// Reads until an `error` message arrives and the connection closes; returns the error code.
pub async fn expect_refusal(socket: &mut Socket) -> RefusalCode {
    let mut code = None;
    while let Some(message) = receive(socket).await {
        if let ServerMessage::Error { code: c, .. } = message {
            code = Some(c);
        }
    }
    code.expect("an error message before the close")
}

/// Reads until the server closes the connection; the close code it gave, if any.
pub async fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the server closes within 10 s");
        match message {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

pub struct PadClient {
    /// The participant id the server gave (or recognised) in its welcome.
    pub client_id: String,
    /// A guest's secret, given at the first join: what rejoins as this participant.
    pub secret: Option<String>,
    pub doc: ClientDoc,
    pub participants: Vec<Participant>,
    pub language: String,
    pub status: api::PadStatus,
    pub ended: bool,
    /// The pad's run as this client sees it: the newest `run` message, with the output pieces
    /// that followed appended.
    pub run: Option<api::RunView>,
    /// Ended runs this client has seen ended already (at its join, or returned by
    /// [`PadClient::run_ended`]).
    ended_runs: Vec<api::RunId>,
    /// The server sends the pad's run right after the welcome (and the edits missed), before
    /// any broadcast: until another message comes, a `run` message is that snapshot.
    expect_snapshot: bool,
    /// Error codes the server sent (most close the connection).
    pub refusals: Vec<RefusalCode>,
    /// Every `cursor` message received, in order: (participant, revision, selection).
    pub cursors: Vec<(String, u64, Selection)>,
    socket: Socket,
}

impl PadClient {
    /// Joins as a guest named `name` (or as the member whose cookie is given).
    pub async fn join(
        app: &TestApp,
        pad_id: &api::PadId,
        name: &str,
        cookie: Option<&str>,
    ) -> PadClient {
        Self::join_as(app, pad_id, None, name, cookie, None).await
    }

    /// Joins with the id and secret of an earlier join (a reloaded tab), or as someone new.
    pub async fn join_as(
        app: &TestApp,
        pad_id: &api::PadId,
        returning: Option<(&str, &str)>,
        name: &str,
        cookie: Option<&str>,
        previous: Option<ClientDoc>,
    ) -> PadClient {
        let mut socket = open_socket(app, pad_id, cookie).await;
        let since_revision = previous.as_ref().map(|doc| doc.revision);
        send(
            &mut socket,
            &ClientMessage::Join {
                client_id: returning.map(|(id, _)| id.to_string()),
                secret: returning.map(|(_, secret)| secret.to_string()),
                name: Some(name.into()),
                since_revision,
            },
        )
        .await;
        let Some(ServerMessage::Welcome {
            client_id,
            secret,
            revision,
            text,
            language,
            last_seq,
            status,
            ..
        }) = receive(&mut socket).await
        else {
            panic!("a welcome first");
        };
        let doc = match (text, previous) {
            (Some(text), _) => ClientDoc::new(text, revision).with_next_seq(last_seq),
            (None, Some(previous)) => previous,
            (None, None) => panic!("a welcome without text to a new client"),
        };
        let mut client = PadClient {
            client_id,
            secret: secret.or(returning.map(|(_, secret)| secret.to_string())),
            doc,
            participants: Vec::new(),
            language,
            ended: status == api::PadStatus::Ended,
            status,
            run: None,
            ended_runs: Vec::new(),
            expect_snapshot: true,
            refusals: Vec::new(),
            cursors: Vec::new(),
            socket,
        };
        if let Some(out) = client.doc.unacknowledged() {
            client.send_op(out).await;
        }
        client
    }

    /// Connects again after the old connection is gone, keeping what was not acknowledged.
    pub async fn reconnect(self, app: &TestApp, pad_id: &api::PadId, name: &str) -> PadClient {
        let PadClient {
            client_id,
            secret,
            doc,
            mut socket,
            ..
        } = self;
        let _ = socket.close(None).await;
        let returning = secret.as_deref().map(|secret| (client_id.as_str(), secret));
        Self::join_as(app, pad_id, returning, name, None, Some(doc)).await
    }

    async fn send_op(&mut self, out: Outgoing) {
        send(
            &mut self.socket,
            &ClientMessage::Op {
                revision: out.revision,
                seq: out.seq,
                op: out.op,
            },
        )
        .await;
    }

    /// Types so that the editor shows `new_text`.
    pub async fn edit(&mut self, new_text: &str) {
        if let Some(out) = self.doc.edit(new_text) {
            self.send_op(out).await;
        }
    }

    pub async fn set_language(&mut self, language: &str) {
        send(
            &mut self.socket,
            &ClientMessage::Language {
                language: language.into(),
            },
        )
        .await;
    }

    /// Puts the caret (`head`) and selection (from `anchor`) there, on `revision`.
    pub async fn send_cursor(&mut self, revision: u64, selection: Selection) -> bool {
        let message = ClientMessage::Cursor {
            revision,
            anchor: selection.anchor,
            head: selection.head,
        };
        send(&mut self.socket, &message).await
    }

    /// Sends a message as JSON text of our own making.
    pub async fn send_raw(&mut self, text: &str) -> bool {
        self.socket.send(Message::text(text)).await.is_ok()
    }

    /// The newest cursor received from `client_id`.
    pub fn cursor_of(&self, client_id: &str) -> Option<(u64, Selection)> {
        self.cursors
            .iter()
            .rev()
            .find(|(from, _, _)| from == client_id)
            .map(|(_, revision, selection)| (*revision, *selection))
    }

    /// Presses Run (with `stdin` as the program's input).
    pub async fn run(&mut self, stdin: Option<&str>) {
        send(
            &mut self.socket,
            &ClientMessage::Run {
                stdin: stdin.map(str::to_string),
            },
        )
        .await;
    }

    /// Presses Stop.
    pub async fn stop_run(&mut self) {
        send(&mut self.socket, &ClientMessage::StopRun).await;
    }

    /// Waits until a run this client has not seen end yet has ended, and returns it.
    pub async fn run_ended(&mut self) -> api::RunView {
        // Long enough for a turn in the pool, the longest compile wall the tests set (60 s)
        // and a run; bounded all the same.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(150);
        loop {
            if let Some(run) = self
                .run
                .as_ref()
                .filter(|run| !run.status.is_active() && !self.ended_runs.contains(&run.id))
            {
                let run = run.clone();
                self.ended_runs.push(run.id);
                return run;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no run ended: {:?}",
                self.run.as_ref().map(|r| r.status)
            );
            // A run waiting for its turn, or compiling, says nothing for a while: wait for
            // the next message until the run's own deadline.
            let patience = deadline - tokio::time::Instant::now();
            let Some(message) = receive_within(&mut self.socket, patience).await else {
                panic!(
                    "the connection closed while waiting for a run: {:?}",
                    self.refusals
                );
            };
            self.handle(message).await;
        }
    }

    /// The current run's output, stdout and stderr together, in order.
    pub fn run_output(&self) -> String {
        self.run
            .iter()
            .flat_map(|run| run.output.iter())
            .map(|piece| piece.text.as_str())
            .collect()
    }

    /// Handles one message from the server; false once the connection is closed.
    pub async fn pump(&mut self) -> bool {
        let Some(message) = receive(&mut self.socket).await else {
            return false;
        };
        self.handle(message).await;
        true
    }

    /// Handles messages that are already waiting, without blocking for more.
    pub async fn pump_ready(&mut self) {
        while let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(Duration::from_millis(1), self.socket.next()).await
        {
            let message = serde_json::from_str(&text).expect("a server message");
            self.handle(message).await;
        }
    }

    async fn handle(&mut self, message: ServerMessage) {
        if !matches!(
            message,
            ServerMessage::Op { .. } | ServerMessage::Run { .. } | ServerMessage::Cursor { .. }
        ) {
            self.expect_snapshot = false;
        }
        match message {
            ServerMessage::Op {
                revision,
                client_id,
                seq,
                op,
            } => {
                let effect = self
                    .doc
                    .on_server_op(&self.client_id, revision, &client_id, seq, &op)
                    .expect("edits apply in order");
                if let ServerOpEffect::Acknowledged { next: Some(out) } = effect {
                    self.send_op(out).await;
                }
            }
            ServerMessage::Participants { participants } => self.participants = participants,
            ServerMessage::Language { language } => self.language = language,
            ServerMessage::Ended => self.ended = true,
            ServerMessage::Error { code, .. } => self.refusals.push(code),
            ServerMessage::Run { run, .. } => {
                // The snapshot of a run that ended before this client joined is old news.
                if std::mem::take(&mut self.expect_snapshot) && !run.status.is_active() {
                    self.ended_runs.push(run.id);
                }
                // A run stopped by a newer one may say its last word after the newer started:
                // the pad shows the newest run, as the console does.
                let older = self.run.as_ref().is_some_and(|shown| {
                    shown.id != run.id && shown.requested_at > run.requested_at
                });
                if !older {
                    self.run = Some(run);
                }
            }
            ServerMessage::RunOutput {
                run_id,
                index,
                stream,
                text,
            } => {
                if let Some(run) = self.run.as_mut().filter(|run| run.id == run_id)
                    && index as usize == run.output.len()
                {
                    run.output.push(api::RunOutput { stream, text });
                }
            }
            ServerMessage::Cursor {
                client_id,
                revision,
                anchor,
                head,
            } => self
                .cursors
                .push((client_id, revision, Selection { anchor, head })),
            ServerMessage::Welcome { .. } => panic!("a second welcome"),
        }
    }

    /// Waits until the server acknowledged all our edits and we are at `revision`.
    pub async fn settle_at(&mut self, revision: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !(self.doc.is_synchronized() && self.doc.revision >= revision) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "client {} stuck at revision {} (wanted {revision})",
                self.client_id,
                self.doc.revision
            );
            assert!(
                self.pump().await,
                "the connection closed while settling: {:?}",
                self.refusals
            );
        }
    }

    /// Reads until the server closes the connection; the close code it gave, if any.
    pub async fn close_code(&mut self) -> Option<u16> {
        close_code(&mut self.socket).await
    }

    /// Whether the participant list shows `client_id` connected.
    pub fn shows_online(&self, client_id: &str) -> bool {
        self.participants
            .iter()
            .any(|p| p.client_id == client_id && p.online)
    }

    /// Waits for a message that makes `check` true.
    pub async fn wait_until(&mut self, what: &str, check: impl Fn(&PadClient) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !check(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            assert!(
                self.pump().await,
                "the connection closed while waiting for {what}"
            );
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// A pad's whole history as a member reads it, page after page (`next_after`), checking that
/// each page's `final_text` is the replay of every edit so far.
pub async fn whole_history(
    app: &TestApp,
    member: &reqwest::Client,
    pad_id: &api::PadId,
) -> api::PadHistory {
    let path = format!("/api/pads/{pad_id}/history");
    let mut history: api::PadHistory =
        crate::accounts::expect_json(app.get(member, &path).await, 200).await;
    let mut text = replay(String::new(), &history.operations);
    assert_eq!(text, history.final_text, "the first page's text");
    while let Some(after) = history.next_after {
        let page: api::PadHistory = crate::accounts::expect_json(
            app.get(member, &format!("{path}?after={after}")).await,
            200,
        )
        .await;
        assert_eq!(
            page.operations.first().map(|o| o.revision),
            Some(after + 1),
            "pages follow each other"
        );
        text = replay(text, &page.operations);
        assert_eq!(
            text, page.final_text,
            "the text after the page ending at {after}"
        );
        history.operations.extend(page.operations);
        history.final_text = page.final_text;
        history.next_after = page.next_after;
    }
    history
}

fn replay(mut text: String, operations: &[api::HistoryOperation]) -> String {
    for operation in operations {
        text = operation.op.apply(&text).expect("stored edits apply");
    }
    text
}
