use crate::RefusalCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

text_enum! {
    /// Where an interview stands.
    pub enum PadStatus {
        NotStarted = "not_started",
        /// Someone edited.
        InProgress = "in_progress",
        /// Read-only: the link shows only that it ended, members play it back.
        Ended = "ended",
    }
}

text_enum! {
    /// Who asked for the pad.
    pub enum PadSource {
        /// A Lever stage change: the pad belongs to a candidate in Lever.
        Lever = "lever",
        /// A member, from the Pads page.
        Manual = "manual",
    }
}

text_enum! {
    /// Where a member's request to send a pad's code to Lever stands.
    pub enum RequestStatus {
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
    }
}

/// A pad as the console lists it (`GET /api/pads`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PadSummary {
    pub id: crate::PadId,
    /// `<public URL>/pad/<id>`: the link written on the candidate in Lever.
    pub link: String,
    pub source: PadSource,
    pub candidate_name: String,
    pub job_title: Option<String>,
    pub stage_name: Option<String>,
    pub owner: Option<crate::PadOwner>,
    pub status: PadStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// Lever accepted the link on the candidate.
    pub link_on_candidate: bool,
    /// The "pad created" note is on the candidate.
    pub note_on_candidate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PadsResponse {
    pub pads: Vec<PadSummary>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// What a pad's link shows (`GET /api/pads/<id>`). Once the interview has ended, people
/// outside the organization learn only that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PadView {
    pub id: crate::PadId,
    pub status: PadStatus,
    pub candidate_name: Option<String>,
    pub job_title: Option<String>,
    pub language: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// The viewer is a logged-in member of the pad's organization: may end it and play it back.
    pub member: bool,
    /// The organization holding the interview (the candidate sees who invites them), while
    /// the pad is open to the viewer.
    #[serde(default)]
    pub organization_name: Option<String>,
    /// The viewer's account name, when a member (they join under it).
    pub member_name: Option<String>,
    /// The pad came from Lever: its code can go to the candidate as a note.
    pub from_lever: bool,
    /// The "code into a Lever note" request (members only).
    pub code_note_status: Option<RequestStatus>,
    pub code_note_error: Option<String>,
    /// An admin chose a Lever feedback template: the code can go to Lever as a feedback form
    /// filed as the member who sends it (members only).
    #[serde(default)]
    pub feedback_available: bool,
    /// The "send as feedback" request (members only).
    #[serde(default)]
    pub feedback_status: Option<RequestStatus>,
    #[serde(default)]
    pub feedback_error: Option<String>,
    /// When the code last reached Lever as a note, and who asked (members only): sending
    /// again must then be asked for explicitly.
    #[serde(default)]
    pub code_note_sent: Option<LeverWriteSent>,
    /// The same for the feedback form.
    #[serde(default)]
    pub feedback_sent: Option<LeverWriteSent>,
}

/// A write of a pad's code that reached Lever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeverWriteSent {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The member who asked for it (absent once their account is gone).
    pub by: Option<String>,
}

/// `POST /api/pads/<id>/lever-note` and `/lever-feedback` (the body may also be empty or
/// `null`: a first sending).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeverWriteRequest {
    /// Send again, although the code reached Lever at this time (the `at` of `code_note_sent`
    /// or `feedback_sent` the person was shown). Once it reached Lever, a request without it,
    /// or with another time (someone sent it again meanwhile), is refused (409
    /// `note_already_sent` / `feedback_already_sent`): a double click or a stale page posts
    /// nothing more.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub again_after: Option<OffsetDateTime>,
}

/// `POST /api/pads`: a pad for an interview that does not come from Lever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPadRequest {
    pub candidate_name: String,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

/// The languages a pad can be set to: (id, label).
pub const LANGUAGES: [(&str, &str); 12] = [
    ("python", "Python"),
    ("javascript", "JavaScript"),
    ("typescript", "TypeScript"),
    ("java", "Java"),
    ("c", "C"),
    ("cpp", "C++"),
    ("csharp", "C#"),
    ("go", "Go"),
    ("rust", "Rust"),
    ("ruby", "Ruby"),
    ("kotlin", "Kotlin"),
    ("sql", "SQL"),
];

pub fn language_label(id: &str) -> Option<&'static str> {
    LANGUAGES
        .iter()
        .find(|(l, _)| *l == id)
        .map(|(_, label)| *label)
}

/// A participant's colour, by the order they joined.
pub const PARTICIPANT_COLORS: [&str; 8] = [
    "#2563eb", "#db2777", "#16a34a", "#ea580c", "#7c3aed", "#0891b2", "#ca8a04", "#dc2626",
];

/// Someone in the pad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Participant {
    pub client_id: String,
    pub name: String,
    pub color: String,
    /// Connected right now.
    pub online: bool,
}

/// What a browser sends over the pad's WebSocket (`GET /api/pads/<id>/socket`), as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// The first message. A guest's first join sends no `client_id`: the server issues one with
    /// a secret in the welcome, and the tab keeps both to rejoin as itself (an id without its
    /// secret joins as a new participant). Members are known by their session instead.
    /// `since_revision` is the last revision the tab has, when reconnecting.
    Join {
        #[serde(default)]
        client_id: Option<String>,
        #[serde(default)]
        secret: Option<String>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        since_revision: Option<u64>,
    },
    /// An edit made on revision `revision`; `seq` counts this client's edits from 1.
    Op {
        revision: u64,
        seq: u64,
        op: crate::ot::Operation,
    },
    Language {
        language: String,
    },
    /// Run the pad's text as it is at the newest revision this client has seen. Running while
    /// a run is going stops that one first.
    Run {
        #[serde(default)]
        stdin: Option<String>,
    },
    /// Stop the run that is going.
    StopRun,
    /// Where this participant's caret (`head`) and selection (from `anchor`) are, in characters
    /// of the text at `revision`, which includes every edit this client sent. Relayed to the
    /// others, moved past the edits made since; never stored. The server relays at most one
    /// every 50 ms per connection, the newest (the rest are dropped, the connection stays). A
    /// revision not reached yet is refused as `invalid_revision`, and a position beyond the text
    /// at its revision as `invalid_operation`: the client is out of step and resynchronises.
    Cursor {
        revision: u64,
        anchor: usize,
        head: usize,
    },
}

/// What the server sends over the pad's WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to `join`. `text` is the whole text at `revision` unless the client asked
    /// for what came since its revision: then the missed edits follow as `op` messages.
    Welcome {
        /// This participant's id: its edits come back under it.
        client_id: String,
        /// Sent once, to a guest who joined as someone new: with `client_id`, what rejoins as
        /// this participant. Never shown to anyone else.
        secret: Option<String>,
        color: String,
        revision: u64,
        text: Option<String>,
        language: String,
        /// The last `seq` the server has from this client id.
        last_seq: u64,
        status: PadStatus,
    },
    /// An edit the server stored as `revision`. To its author it is the acknowledgement.
    Op {
        revision: u64,
        client_id: String,
        seq: u64,
        op: crate::ot::Operation,
    },
    /// Who is connected now, in order of joining (sent on every arrival and departure).
    Participants {
        participants: Vec<Participant>,
    },
    Language {
        language: String,
    },
    /// A run started, waits, or ended: the whole run as it stands (to everyone in the pad,
    /// and to a joiner while one is going).
    Run {
        run: crate::RunView,
        /// Runs ahead of it in the server's queue, while it waits.
        #[serde(default)]
        ahead: Option<u32>,
    },
    /// More output of the run that is going: the run's output piece number `index` (from 0).
    /// A client that has the run's first `index` pieces appends it; one that has more already
    /// (from a `run` message sent meanwhile) skips it.
    RunOutput {
        run_id: crate::RunId,
        index: u32,
        stream: crate::RunStream,
        text: String,
    },
    /// Another participant's caret and selection (see [`ClientMessage::Cursor`]), on
    /// `revision`, which every edit sent before it reaches. Also sent after the welcome, for
    /// each participant whose caret the server knows. Dropped when they leave the
    /// `participants` list.
    Cursor {
        client_id: String,
        revision: u64,
        anchor: usize,
        head: usize,
    },
    /// The interview ended: the pad is read-only. Also sent just before the `pad_ended` refusal
    /// of an edit that crossed the end, so the client learns it either way.
    Ended,
    /// A refusal; the server closes the connection after it unless the code says otherwise.
    Error {
        code: RefusalCode,
        message: String,
    },
}

/// `GET /api/pads/<id>/history?after=<revision>&limit=<edits>`: a page of what playback needs
/// (members of the organization): the edits after `after` (at most 5,000).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PadHistory {
    pub language: String,
    pub participants: Vec<Participant>,
    pub operations: Vec<HistoryOperation>,
    /// The text after this page's last edit: on the last page, the pad's final text.
    pub final_text: String,
    /// More edits follow: ask again with `after` set to this.
    #[serde(default)]
    pub next_after: Option<u64>,
    /// Every run of the pad's code, oldest first (on the first page only).
    #[serde(default)]
    pub runs: Vec<crate::RunView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryOperation {
    pub revision: u64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub client_id: String,
    pub op: crate::ot::Operation,
}

/// The pad's limits: the server enforces them and the console names them when it words a
/// refusal, so both read them from here.
pub mod limits {
    /// The longest display name, in characters: it is shown to everyone and goes into Lever
    /// notes.
    pub const MAX_NAME_CHARS: usize = 50;
    /// Guests one pad records (members are not counted).
    pub const MAX_PARTICIPANTS: usize = 50;
    /// Edits a pad stores over its life.
    pub const MAX_REVISIONS: usize = 100_000;
    /// The longest text a pad holds, in characters.
    pub const MAX_TEXT_CHARS: usize = 200_000;
    /// Messages per second a participant may send (in bursts of up to three times as many).
    pub const MAX_MESSAGES_A_SECOND: u32 = 40;
    /// The program's input, at most, in bytes.
    pub const MAX_STDIN_BYTES: usize = 64 * 1024;
    /// Runs one pad keeps.
    pub const MAX_RUNS_PER_PAD: u64 = 500;
}
