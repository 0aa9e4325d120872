//! Live pads: one room per open pad holds its text, its history and who is there. The room
//! orders edits: an edit made on an older revision is transformed past what came since, stored,
//! and only then broadcast (to its author, that is the acknowledgement).
//!
//! `room.rs` holds the rules (no I/O), `store.rs` the statements, `group_commit.rs` the writer
//! that stores the edits of many pads in one commit, `hub.rs` the open rooms and how each one
//! works; other instances are heard through `pads::cluster`.

use api::RefusalCode;

mod group_commit;
mod hub;
mod room;
mod store;
mod timings;

pub use group_commit::EditWriter;
pub use hub::{EndGuard, PadHub, Room, RoomEvent, SocketSlot};
pub use room::{Credentials, Joined, Joiner};
pub use store::{Replayed, final_text, newest_revision, replay, stored_participants};
pub use timings::{EditTimings, Histogram};

pub use api::limits::{MAX_PARTICIPANTS, MAX_REVISIONS, MAX_TEXT_CHARS};

/// Characters a pad may have inserted over its life: bounds its history, in memory and stored.
pub const MAX_INSERTED_CHARS: usize = 2_000_000;
/// How far behind an edit's revision may be; older ones are refused and the client resyncs.
/// This bounds the transformation work one message can cause.
pub const MAX_REVISIONS_BEHIND: u64 = 1_000;
/// A snapshot of the text is stored every this many edits: opening a room or reading history
/// replays at most about this many more edits than it needs.
pub const SNAPSHOT_EVERY: u64 = 1_000;
/// Connections one pad takes on one instance: an interview is a handful of people.
pub const MAX_CONNECTIONS_PER_PAD: usize = 25;
/// Connections to one pad from one client address.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 10;

/// Why an edit or a join was refused: a stable code and a sentence.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: RefusalCode,
    pub message: String,
}

impl Refusal {
    pub fn new(code: RefusalCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn opened_elsewhere() -> Self {
        Self::new(
            RefusalCode::OpenedElsewhere,
            "This pad was opened again in another tab or window; continue there.",
        )
    }

    pub fn pad_ended() -> Self {
        Self::new(
            RefusalCode::PadEnded,
            "The interview has ended; the pad is read-only.",
        )
    }

    fn stale_revision() -> Self {
        Self::new(
            RefusalCode::StaleRevision,
            "This edit is based on a text too old; reconnect for the current one.",
        )
    }

    pub fn corrupt(detail: impl std::fmt::Display) -> Self {
        Self::new(
            RefusalCode::CorruptHistory,
            format!("a stored edit is unreadable: {detail}"),
        )
    }
}

impl From<sea_orm::DbErr> for Refusal {
    fn from(e: sea_orm::DbErr) -> Self {
        tracing::error!(error = %e, "pad storage failed");
        Refusal::new(
            RefusalCode::StorageFailed,
            "The edit could not be stored; try again.",
        )
    }
}
