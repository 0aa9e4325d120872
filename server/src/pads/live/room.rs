//! What a room knows of its pad (the text, the recent edits, who is there) and the rules for
//! changing it. Nothing here waits or touches the database, so the rules are tested here; the
//! room in `hub.rs` stores what they accept and tells the participants.

use api::{PadId, UserId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use api::ot::{self, Operation, Selection};
use api::{Participant, RefusalCode, ServerMessage};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::{pad_participant, pad_snapshot};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{
    MAX_INSERTED_CHARS, MAX_PARTICIPANTS, MAX_REVISIONS, MAX_REVISIONS_BEHIND, MAX_TEXT_CHARS,
    Refusal,
};
use crate::pads::PadStatus;

/// Who is joining.
pub struct Joiner {
    /// A guest's id and secret from an earlier join, kept by their tab.
    pub returning: Option<Credentials>,
    pub name: String,
    /// A logged-in member of the pad's organization: one participant on every tab and device.
    pub user_id: Option<UserId>,
    pub since_revision: Option<u64>,
}

pub struct Credentials {
    pub client_id: String,
    pub secret: String,
}

/// A join the room accepted.
pub struct Joined {
    pub client_id: String,
    /// The participant's display name (a run says who started it).
    pub name: String,
    /// This connection's number: a later join of the same participant replaces it.
    pub connection: u64,
    /// The welcome, then the edits missed when reconnecting.
    pub first: Vec<Arc<str>>,
}

/// A member's participant id: derived from their account, so every tab and device of theirs
/// is one participant. Guests cannot take it: guest ids are issued by the server.
pub fn member_client_id(user_id: UserId) -> String {
    format!("m{}", user_id.as_uuid().simple())
}

/// A new guest's id and the secret that proves it, from 72 and 256 random bits.
pub fn new_guest_credentials() -> Credentials {
    let mut id = [0u8; 9];
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut id);
    rand::rng().fill_bytes(&mut secret);
    Credentials {
        client_id: format!("g{}", hex::encode(id)),
        secret: URL_SAFE_NO_PAD.encode(secret),
    }
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub struct HistoryEntry {
    pub op: Operation,
    pub client_id: String,
    pub seq: u64,
}

pub struct Present {
    name: String,
    color: String,
    joined_at: OffsetDateTime,
    /// Connections through this instance.
    connections: usize,
    /// Connected through another instance (several instances on one PostgreSQL).
    elsewhere: bool,
    /// A member's participant id is theirs alone.
    user_id: Option<UserId>,
    /// A guest's id is bound to this hash of the secret its first joiner was given.
    secret_hash: Option<String>,
    /// The newest connection of this participant here; older ones may no longer edit.
    connection: u64,
    /// When that connection joined, on the database's clock (several instances): a later
    /// join through another instance replaces it.
    pub connected_at: Option<OffsetDateTime>,
    /// Their caret and selection on the room's current revision, while connected (here, or
    /// elsewhere and told by their instance): in memory only, never stored, moved along with
    /// every edit.
    cursor: Option<Selection>,
}

impl Present {
    /// Someone who joined once, not connected as far as this instance knows yet.
    fn offline(stored: pad_participant::Model) -> Self {
        Self {
            name: stored.name,
            color: stored.color,
            joined_at: stored.joined_at,
            connections: 0,
            elsewhere: false,
            user_id: stored.user_id,
            secret_hash: stored.secret_hash,
            connection: 0,
            connected_at: None,
            cursor: None,
        }
    }

    /// Connected through this instance by a connection nobody replaced.
    fn connected_here_now(&self) -> bool {
        self.connections > 0 && self.connection != 0
    }

    /// Whether `secret` is the one this participant was given.
    fn proven_by(&self, secret: &str) -> bool {
        self.user_id.is_none()
            && self.secret_hash.as_deref().is_some_and(|hash| {
                bool::from(hash.as_bytes().ct_eq(hash_secret(secret).as_bytes()))
            })
    }
}

pub struct RoomState {
    pub text: String,
    /// The edits after revision `base`: at least the last [`MAX_REVISIONS_BEHIND`], all a late
    /// edit is transformed past and a reconnecting client is sent.
    pub history: Vec<HistoryEntry>,
    pub base: u64,
    pub inserted_chars: usize,
    pub last_seq: HashMap<String, u64>,
    pub language: String,
    pub status: PadStatus,
    /// In order of joining, online or not.
    pub participants: Vec<(String, Present)>,
}

/// What the room makes of an edit it was sent.
#[derive(Debug)]
pub enum Accepted {
    /// The edit is stored already: sent again after a reconnect.
    AlreadyStored,
    /// The edit, to store as the next revision.
    Next(Edit),
}

/// An edit transformed to apply to the room's text now.
#[derive(Debug)]
pub struct Edit {
    pub op: Operation,
    /// The text after it.
    pub text: String,
    /// The revision it makes.
    pub revision: u64,
}

/// What a join changed.
pub struct Arrival {
    /// The participant was connected here already: their older connections close.
    pub replaces: bool,
    /// Connected here now and not before, or taking over from another instance: the other
    /// instances should hear of it.
    pub new_here: bool,
    pub color: String,
}

impl RoomState {
    /// How many edits the pad has stored.
    pub fn revision(&self) -> u64 {
        self.base + self.history.len() as u64
    }

    /// The edits after `revision` (which lies at most [`MAX_REVISIONS_BEHIND`] back).
    pub fn since(&self, revision: u64) -> &[HistoryEntry] {
        &self.history[(revision - self.base) as usize..]
    }

    pub fn has_ended(&self) -> bool {
        self.status == PadStatus::Ended
    }

    pub fn end(&mut self) {
        self.status = PadStatus::Ended;
    }

    /// Records a stored edit (the caller updates the text).
    pub fn record(&mut self, entry: HistoryEntry) {
        for (client_id, present) in self.participants.iter_mut() {
            if let Some(cursor) = present.cursor.as_mut() {
                *cursor = cursor.transform(&entry.op, *client_id == entry.client_id);
            }
        }
        self.inserted_chars += inserted_chars(&entry.op);
        self.last_seq.insert(entry.client_id.clone(), entry.seq);
        self.history.push(entry);
        // Memory stays bounded however long the pad: older edits live in the database.
        let keep = MAX_REVISIONS_BEHIND as usize;
        if self.history.len() >= 2 * keep {
            let dropped = self.history.len() - keep;
            self.history.drain(..dropped);
            self.base += dropped as u64;
        }
    }

    /// What a snapshot of the room now stores.
    pub fn snapshot_row(&self, pad_id: &PadId) -> pad_snapshot::Model {
        pad_snapshot::Model {
            pad_id: pad_id.clone(),
            revision: self.revision() as i64,
            text: self.text.clone(),
            inserted_chars: self.inserted_chars as i64,
            last_seqs: serde_json::to_string(&self.last_seq).expect("json"),
        }
    }

    /// Whether the edit numbered `seq` by `client_id` is stored.
    pub fn has_stored(&self, client_id: &str, seq: u64) -> bool {
        self.last_seq
            .get(client_id)
            .is_some_and(|last| seq <= *last)
    }

    /// Checks an edit `author` made on `revision`, numbered `seq`, against the pad's rules and
    /// transforms it past the edits made since.
    pub fn accept(
        &self,
        author: &Joined,
        op: &Operation,
        revision: u64,
        seq: u64,
    ) -> Result<Accepted, Refusal> {
        if self.has_ended() {
            return Err(Refusal::pad_ended());
        }
        // A newer connection of this participant numbers edits from what it was welcomed
        // with: an older one's edits would collide with its numbers.
        if self
            .participant(&author.client_id)
            .is_none_or(|present| present.connection != author.connection)
        {
            return Err(Refusal::opened_elsewhere());
        }
        let last_seq = self.last_seq.get(&author.client_id).copied().unwrap_or(0);
        if seq <= last_seq {
            return Ok(Accepted::AlreadyStored);
        }
        if seq != last_seq + 1 {
            return Err(Refusal::new(
                RefusalCode::InvalidSeq,
                format!(
                    "Edit number {seq} skips ahead; the next is {}.",
                    last_seq + 1
                ),
            ));
        }
        if op.is_noop() {
            return Err(Refusal::new(
                RefusalCode::EmptyEdit,
                "This edit changes nothing; only changes are sent.",
            ));
        }
        if self.revision() as usize >= MAX_REVISIONS {
            return Err(Refusal::new(
                RefusalCode::TooManyEdits,
                format!(
                    "This pad has stored {MAX_REVISIONS} edits, all it holds; start a new pad."
                ),
            ));
        }
        let current = self.revision();
        if revision > current {
            return Err(Refusal::new(
                RefusalCode::InvalidRevision,
                format!("Revision {revision} does not exist yet (the pad is at {current})."),
            ));
        }
        if current - revision > MAX_REVISIONS_BEHIND {
            return Err(Refusal::stale_revision());
        }
        if self.inserted_chars + inserted_chars(op) > MAX_INSERTED_CHARS {
            return Err(Refusal::new(
                RefusalCode::PadFull,
                "This pad has taken all the typing it can hold; start a new pad.",
            ));
        }
        self.rebase(op, revision).map(Accepted::Next)
    }

    /// Transforms an accepted edit made on `revision` past the edits made since, again after
    /// the room caught up with edits stored elsewhere.
    pub fn rebase(&self, op: &Operation, revision: u64) -> Result<Edit, Refusal> {
        // Edits caught up with may have moved the room's memory past it.
        if revision < self.base {
            return Err(Refusal::stale_revision());
        }
        let invalid = |e: ot::OtError| Refusal::new(RefusalCode::InvalidOperation, e.to_string());
        let mut op = op.clone();
        for earlier in self.since(revision) {
            op = ot::transform(&earlier.op, &op).map_err(invalid)?.1;
        }
        let text = op.apply(&self.text).map_err(invalid)?;
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(Refusal::new(
                RefusalCode::TextTooLong,
                format!("A pad holds at most {MAX_TEXT_CHARS} characters."),
            ));
        }
        Ok(Edit {
            op,
            text,
            revision: self.revision() + 1,
        })
    }

    /// Places `author`'s caret and selection, made on `revision`, on the current revision and
    /// returns the message telling the others; None when there is nothing to tell (the pad
    /// ended, the connection was replaced, or the revision is older than this room remembers:
    /// the client's next cursor will do). A cursor is never stored.
    pub fn place_cursor(
        &mut self,
        author: &Joined,
        revision: u64,
        selection: Selection,
    ) -> Result<Option<ServerMessage>, Refusal> {
        let is_current_connection = self
            .participant(&author.client_id)
            .is_some_and(|present| present.connection == author.connection);
        if self.has_ended() || !is_current_connection || revision < self.base {
            return Ok(None);
        }
        let placed = self.carried(&author.client_id, revision, selection)?;
        Ok(Some(self.keep_cursor(&author.client_id, placed)))
    }

    /// Places the caret and selection of `client_id`, connected through another instance,
    /// which made it on `revision` (that instance checked it), as [`RoomState::place_cursor`]
    /// does a local one. None when there is nothing to tell: the pad ended, the participant
    /// is not known to be connected elsewhere, or is connected here by a connection nobody
    /// replaced (theirs elsewhere is the older), or the revision is older than this room
    /// remembers or newer than it knows (the caller catches up first), or the cursor does
    /// not fit.
    pub fn place_remote_cursor(
        &mut self,
        client_id: &str,
        revision: u64,
        selection: Selection,
    ) -> Option<ServerMessage> {
        if self.has_ended() || !self.connected_only_elsewhere(client_id) || revision < self.base {
            return None;
        }
        let placed = self.carried(client_id, revision, selection).ok()?;
        Some(self.keep_cursor(client_id, placed))
    }

    /// Whether `client_id` is connected through another instance, and not here by a
    /// connection of their own (one replaced by their join elsewhere does not count).
    pub fn connected_only_elsewhere(&self, client_id: &str) -> bool {
        self.participant(client_id)
            .is_some_and(|present| present.elsewhere && !present.connected_here_now())
    }

    /// `selection`, made by `client_id` on `revision` (not older than this room remembers),
    /// moved past the edits since to the current revision.
    fn carried(
        &self,
        client_id: &str,
        revision: u64,
        selection: Selection,
    ) -> Result<Selection, Refusal> {
        let current = self.revision();
        if revision > current {
            return Err(Refusal::new(
                RefusalCode::InvalidRevision,
                format!("Revision {revision} does not exist yet (the pad is at {current})."),
            ));
        }
        // Out of range means the client's text is not the server's: refused like an edit that
        // does not fit, so the client resynchronises.
        let since = self.since(revision);
        let len = match since.first() {
            Some(next) => next.op.base_len(),
            None => self.text.chars().count(),
        };
        if selection.range().1 > len {
            return Err(Refusal::new(
                RefusalCode::InvalidOperation,
                format!(
                    "The cursor lies beyond the text at revision {revision} ({len} characters)."
                ),
            ));
        }
        Ok(since.iter().fold(selection, |at, entry| {
            at.transform(&entry.op, entry.client_id == client_id)
        }))
    }

    /// Keeps `client_id`'s caret, placed on the current revision, for joiners; the message
    /// telling the others.
    fn keep_cursor(&mut self, client_id: &str, placed: Selection) -> ServerMessage {
        if let Some(present) = self.present(client_id) {
            present.cursor = Some(placed);
        }
        ServerMessage::Cursor {
            client_id: client_id.to_string(),
            revision: self.revision(),
            anchor: placed.anchor,
            head: placed.head,
        }
    }

    /// Takes a stored edit into the text and the history; returns the message announcing it.
    pub fn commit(&mut self, client_id: &str, seq: u64, edit: Edit) -> ServerMessage {
        // The first edit starts the interview.
        if self.status == PadStatus::NotStarted {
            self.status = PadStatus::InProgress;
        }
        self.text = edit.text;
        self.record(HistoryEntry {
            op: edit.op.clone(),
            client_id: client_id.to_string(),
            seq,
        });
        ServerMessage::Op {
            revision: edit.revision,
            client_id: client_id.to_string(),
            seq,
            op: edit.op,
        }
    }

    /// Catches up with the pad's status and language as stored (changed elsewhere, perhaps);
    /// returns what the participants are to be told. An ended pad stays ended.
    pub fn catch_up_pad(&mut self, status: PadStatus, language: String) -> Vec<ServerMessage> {
        let mut news = Vec::new();
        if language != self.language {
            self.language = language.clone();
            news.push(ServerMessage::Language { language });
        }
        if status != self.status && !self.has_ended() {
            let ended = status == PadStatus::Ended;
            self.status = status;
            if ended {
                news.push(ServerMessage::Ended);
            }
        }
        news
    }

    fn participant(&self, client_id: &str) -> Option<&Present> {
        self.participants
            .iter()
            .find(|(id, _)| id == client_id)
            .map(|(_, present)| present)
    }

    /// A participant who joined once, online or not.
    pub fn present(&mut self, client_id: &str) -> Option<&mut Present> {
        self.participants
            .iter_mut()
            .find(|(id, _)| id == client_id)
            .map(|(_, present)| present)
    }

    /// Who is connected now (here or elsewhere), in order of joining.
    pub fn participants(&self) -> Vec<Participant> {
        self.participants
            .iter()
            .filter(|(_, p)| p.connections > 0 || p.elsewhere)
            .map(|(client_id, p)| Participant {
                client_id: client_id.clone(),
                name: p.name.clone(),
                color: p.color.clone(),
                online: p.connections > 0 || p.elsewhere,
            })
            .collect()
    }

    /// Participants connected through this instance.
    pub fn connected_here(&self) -> impl Iterator<Item = String> + '_ {
        self.participants
            .iter()
            .filter(|(_, p)| p.connections > 0)
            .map(|(client_id, _)| client_id.clone())
    }

    /// Whether `credentials` name a guest of this pad and hold their secret.
    pub fn proves(&self, credentials: &Credentials) -> bool {
        self.participant(&credentials.client_id)
            .is_some_and(|present| present.proven_by(&credentials.secret))
    }

    /// The colour a newcomer gets, unless the pad has had as many guests as it takes.
    /// Members are not counted: a flood of guests cannot lock the interviewers out.
    pub fn admit_newcomer(&self, member: bool) -> Result<String, Refusal> {
        let guests = self
            .participants
            .iter()
            .filter(|(_, p)| p.user_id.is_none())
            .count();
        if !member && guests >= MAX_PARTICIPANTS {
            return Err(Refusal::new(
                RefusalCode::TooManyParticipants,
                format!("This pad has had {MAX_PARTICIPANTS} guests, as many as it takes."),
            ));
        }
        Ok(
            api::PARTICIPANT_COLORS[self.participants.len() % api::PARTICIPANT_COLORS.len()]
                .to_string(),
        )
    }

    /// Adds someone who joined (here or elsewhere) and is not known here yet.
    pub fn add(&mut self, stored: pad_participant::Model) {
        self.participants
            .push((stored.client_id.clone(), Present::offline(stored)));
    }

    /// Connects a known participant through connection `connection`, under `name`.
    pub fn connect(
        &mut self,
        client_id: &str,
        connection: u64,
        connected_at: Option<OffsetDateTime>,
        name: &str,
    ) -> Arrival {
        let present = self.present(client_id).expect("identified");
        let replaces = present.connections > 0;
        present.connections += 1;
        present.connection = connection;
        present.connected_at = connected_at;
        let new_here = present.connections == 1 || present.elsewhere;
        present.name = name.to_string();
        Arrival {
            replaces,
            new_here,
            color: present.color.clone(),
        }
    }

    /// What a joiner is sent first: a reconnecting client the edits it missed since
    /// `since_revision`, anyone else the whole text.
    pub fn welcome(
        &self,
        client_id: &str,
        secret: Option<String>,
        color: String,
        since_revision: Option<u64>,
    ) -> Vec<ServerMessage> {
        let revision = self.revision();
        let since = since_revision
            .filter(|since| *since <= revision && revision - since <= MAX_REVISIONS_BEHIND);
        let mut first = vec![ServerMessage::Welcome {
            client_id: client_id.to_string(),
            secret,
            color,
            revision: since.unwrap_or(revision),
            text: since.is_none().then(|| self.text.clone()),
            language: self.language.clone(),
            last_seq: self.last_seq.get(client_id).copied().unwrap_or(0),
            status: self.status,
        }];
        if let Some(since) = since {
            for (index, entry) in self.since(since).iter().enumerate() {
                first.push(ServerMessage::Op {
                    revision: since + index as u64 + 1,
                    client_id: entry.client_id.clone(),
                    seq: entry.seq,
                    op: entry.op.clone(),
                });
            }
        }
        // Where the others' carets are now, so the joiner need not wait for them to move.
        for (other, present) in &self.participants {
            if let Some(cursor) = present.cursor.filter(|_| other != client_id) {
                first.push(ServerMessage::Cursor {
                    client_id: other.clone(),
                    revision,
                    anchor: cursor.anchor,
                    head: cursor.head,
                });
            }
        }
        first
    }

    /// One connection of `client_id` here ended; true if it was their last here.
    pub fn disconnect(&mut self, client_id: &str) -> bool {
        self.present(client_id).is_some_and(|present| {
            present.connections = present.connections.saturating_sub(1);
            if present.connections == 0 {
                present.cursor = None;
            }
            present.connections == 0
        })
    }

    /// Catches up with everyone who ever joined, wherever, keeping the order of joining.
    /// Returns the participants who joined again, later, through another instance: their
    /// connections here close, as their edits would collide with the newer connection's.
    pub fn catch_up_participants(&mut self, stored: Vec<pad_participant::Model>) -> Vec<String> {
        let mut replaced = Vec::new();
        for stored in stored {
            if self.joined_later_elsewhere(&stored) {
                replaced.push(stored.client_id.clone());
            }
            if self.participant(&stored.client_id).is_none() {
                self.add(stored);
            }
        }
        self.participants.sort_by_key(|(_, p)| p.joined_at);
        replaced
    }

    /// True, and this instance's connection of `stored` may no longer edit, if the participant
    /// joined again through another instance after connecting here.
    fn joined_later_elsewhere(&mut self, stored: &pad_participant::Model) -> bool {
        let Some(present) = self.present(&stored.client_id) else {
            return false;
        };
        let joined_later = match (present.connected_at, stored.connected_at) {
            (Some(here), Some(latest)) => latest > here,
            _ => false,
        };
        if present.connections > 0 && joined_later {
            present.connection = 0;
            present.connected_at = None;
            present.cursor = None;
            return true;
        }
        false
    }

    /// Marks who is connected through other instances now. The caret of someone no longer
    /// connected anywhere (as far as this instance knows) goes with them.
    pub fn connected_elsewhere(&mut self, elsewhere: &HashSet<String>) {
        for (client_id, present) in self.participants.iter_mut() {
            present.elsewhere = elsewhere.contains(client_id);
            if !present.elsewhere && !present.connected_here_now() {
                present.cursor = None;
            }
        }
    }
}

fn inserted_chars(op: &Operation) -> usize {
    op.components()
        .iter()
        .map(|c| match c {
            ot::Component::Insert(s) => s.chars().count(),
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    fn empty_room(text: &str) -> RoomState {
        RoomState {
            text: text.into(),
            history: Vec::new(),
            base: 0,
            inserted_chars: 0,
            last_seq: HashMap::new(),
            language: "python".into(),
            status: PadStatus::NotStarted,
            participants: Vec::new(),
        }
    }

    fn stored(client_id: &str, user_id: Option<UserId>, minute: i64) -> pad_participant::Model {
        pad_participant::Model {
            pad_id: PadId::new("pad"),
            client_id: client_id.into(),
            name: client_id.into(),
            color: "#000".into(),
            user_id,
            joined_at: OffsetDateTime::UNIX_EPOCH + Duration::minutes(minute),
            secret_hash: user_id.is_none().then(|| hash_secret("secret")),
            connected_at: None,
        }
    }

    /// `client_id` joins (once more) through connection `connection`.
    fn join(room: &mut RoomState, client_id: &str, connection: u64) -> Joined {
        if room.present(client_id).is_none() {
            let minute = room.participants.len() as i64;
            room.add(stored(client_id, None, minute));
        }
        room.connect(client_id, connection, None, client_id);
        Joined {
            client_id: client_id.into(),
            name: client_id.into(),
            connection,
            first: Vec::new(),
        }
    }

    fn insert(at: usize, text: &str, len: usize) -> Operation {
        Operation::new().retain(at).insert(text).retain(len - at)
    }

    fn next(accepted: Result<Accepted, Refusal>) -> Edit {
        match accepted {
            Ok(Accepted::Next(edit)) => edit,
            other => panic!("expected the next edit, got {other:?}"),
        }
    }

    fn refusal(accepted: Result<Accepted, Refusal>) -> RefusalCode {
        match accepted {
            Err(refusal) => refusal.code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_edit_is_the_next_revision_and_its_repeat_is_known() {
        let mut room = empty_room("ab");
        let ada = join(&mut room, "ada", 1);
        let edit = next(room.accept(&ada, &insert(2, "c", 2), 0, 1));
        assert_eq!((edit.text.as_str(), edit.revision), ("abc", 1));
        let message = room.commit("ada", 1, edit);
        assert!(matches!(
            message,
            ServerMessage::Op {
                revision: 1,
                seq: 1,
                ..
            }
        ));
        assert_eq!((room.text.as_str(), room.revision()), ("abc", 1));
        assert_eq!(
            room.status,
            PadStatus::InProgress,
            "the first edit starts the interview"
        );
        assert!(matches!(
            room.accept(&ada, &insert(0, "x", 3), 1, 1),
            Ok(Accepted::AlreadyStored)
        ));
        assert!(room.has_stored("ada", 1) && !room.has_stored("ada", 2));
        assert_eq!(
            refusal(room.accept(&ada, &insert(0, "x", 3), 1, 3)),
            RefusalCode::InvalidSeq
        );
    }

    #[test]
    fn a_late_edit_is_transformed_past_the_edits_made_since() {
        let mut room = empty_room("ab");
        let ada = join(&mut room, "ada", 1);
        let bob = join(&mut room, "bob", 2);
        let first = next(room.accept(&ada, &insert(0, "x", 2), 0, 1));
        room.commit("ada", 1, first);
        // Bob typed at the end of "ab", not knowing of Ada's edit.
        let late = next(room.accept(&bob, &insert(2, "y", 2), 0, 1));
        assert_eq!((late.text.as_str(), late.revision), ("xaby", 2));
        room.commit("bob", 1, late);
        assert_eq!(room.since(0).len(), 2);
    }

    #[test]
    fn edits_against_the_rules_are_refused() {
        let mut room = empty_room("ab");
        let ada = join(&mut room, "ada", 1);
        let edit = || insert(0, "x", 2);
        assert_eq!(
            refusal(room.accept(&ada, &Operation::new().retain(2), 0, 1)),
            RefusalCode::EmptyEdit
        );
        assert_eq!(
            refusal(room.accept(&ada, &edit(), 1, 1)),
            RefusalCode::InvalidRevision
        );
        assert_eq!(
            refusal(room.accept(&ada, &insert(0, "x", 5), 0, 1)),
            RefusalCode::InvalidOperation
        );
        let stranger = Joined {
            client_id: "eve".into(),
            name: "Eve".into(),
            connection: 9,
            first: Vec::new(),
        };
        assert_eq!(
            refusal(room.accept(&stranger, &edit(), 0, 1)),
            RefusalCode::OpenedElsewhere
        );
        // Ada opened the pad again: her older connection may no longer edit.
        let again = join(&mut room, "ada", 3);
        assert_eq!(
            refusal(room.accept(&ada, &edit(), 0, 1)),
            RefusalCode::OpenedElsewhere
        );
        assert!(room.accept(&again, &edit(), 0, 1).is_ok());

        let mut full = empty_room(&"a".repeat(MAX_TEXT_CHARS));
        let ada = join(&mut full, "ada", 1);
        let one_more = insert(0, "b", MAX_TEXT_CHARS);
        assert_eq!(
            refusal(full.accept(&ada, &one_more, 0, 1)),
            RefusalCode::TextTooLong
        );
        full.inserted_chars = MAX_INSERTED_CHARS;
        assert_eq!(
            refusal(full.accept(&ada, &one_more, 0, 1)),
            RefusalCode::PadFull
        );
        full.base = MAX_REVISIONS as u64;
        assert_eq!(
            refusal(full.accept(&ada, &one_more, 0, 1)),
            RefusalCode::TooManyEdits
        );

        room.end();
        assert_eq!(
            refusal(room.accept(&again, &edit(), 0, 1)),
            RefusalCode::PadEnded
        );
    }

    #[test]
    fn a_cursor_is_placed_on_the_current_revision_and_follows_edits() {
        let mut room = empty_room("hello");
        let ada = join(&mut room, "ada", 1);
        let bob = join(&mut room, "bob", 2);
        let first = next(room.accept(&bob, &insert(0, ">> ", 5), 0, 1));
        room.commit("bob", 1, first);
        // Ada put her caret after "hell" before she saw Bob's edit.
        let told = room.place_cursor(&ada, 0, Selection::caret(4)).unwrap();
        assert_eq!(
            told,
            Some(ServerMessage::Cursor {
                client_id: "ada".into(),
                revision: 1,
                anchor: 7,
                head: 7
            })
        );
        // Later edits move it: Bob's typing at it stays after it, hers goes before.
        let at_caret = next(room.accept(&bob, &insert(7, "X", 8), 1, 2));
        room.commit("bob", 2, at_caret);
        let own = next(room.accept(&ada, &insert(7, "Y", 9), 2, 1));
        room.commit("ada", 1, own);
        assert_eq!(room.text, ">> hellYXo");
        let welcome = room.welcome("cy", None, "#000".into(), None);
        assert!(
            matches!(
                welcome.last(),
                Some(ServerMessage::Cursor { client_id, revision: 3, anchor: 8, head: 8 }) if client_id == "ada"
            ),
            "a joiner learns where she is: {welcome:?}"
        );
        let her_own = room.welcome("ada", None, "#000".into(), None);
        assert_eq!(her_own.len(), 1, "nobody is told of their own caret");
        // Gone with her last connection.
        room.disconnect("ada");
        assert_eq!(room.welcome("cy", None, "#000".into(), None).len(), 1);
    }

    #[test]
    fn cursors_that_do_not_fit_are_refused_and_stale_ones_dropped() {
        let mut room = empty_room("abc");
        let ada = join(&mut room, "ada", 1);
        let edit = next(room.accept(&ada, &insert(3, "de", 3), 0, 1));
        room.commit("ada", 1, edit);
        let code = |r: Result<Option<ServerMessage>, Refusal>| r.map(drop).unwrap_err().code;
        let beyond = Selection { anchor: 0, head: 4 };
        assert_eq!(
            code(room.place_cursor(&ada, 0, beyond)),
            RefusalCode::InvalidOperation
        );
        assert!(
            room.place_cursor(&ada, 1, beyond).unwrap().is_some(),
            "fits at revision 1"
        );
        assert_eq!(
            code(room.place_cursor(&ada, 2, Selection::caret(0))),
            RefusalCode::InvalidRevision
        );
        let replaced = Joined {
            connection: 0,
            ..join(&mut room, "ada", 2)
        };
        assert!(
            room.place_cursor(&replaced, 1, Selection::caret(0))
                .unwrap()
                .is_none()
        );
        room.base = 1;
        let ada = join(&mut room, "ada", 3);
        assert!(
            room.place_cursor(&ada, 0, Selection::caret(0))
                .unwrap()
                .is_none()
        );
        room.end();
        assert!(
            room.place_cursor(&ada, 1, Selection::caret(0))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_cursor_from_another_instance_is_kept_moved_and_dropped_like_a_local_one() {
        let mut room = empty_room("hello");
        let bob = join(&mut room, "bob", 1);
        room.add(stored("ada", None, 1));
        // Not known to be connected anywhere yet: the caller catches up with presence first.
        assert_eq!(
            room.place_remote_cursor("ada", 0, Selection::caret(4)),
            None
        );
        room.connected_elsewhere(&HashSet::from(["ada".to_string()]));
        let first = next(room.accept(&bob, &insert(0, ">> ", 5), 0, 1));
        room.commit("bob", 1, first);
        // Made on revision 0 over there: moved past Bob's edit here.
        assert_eq!(
            room.place_remote_cursor("ada", 0, Selection::caret(4)),
            Some(ServerMessage::Cursor {
                client_id: "ada".into(),
                revision: 1,
                anchor: 7,
                head: 7
            })
        );
        // Her own edit, heard from her instance, carries it; a joiner is told where it is.
        room.record(HistoryEntry {
            op: insert(7, "Y", 8),
            client_id: "ada".into(),
            seq: 1,
        });
        let welcome = room.welcome("cy", None, "#000".into(), None);
        assert!(
            matches!(
                welcome.last(),
                Some(ServerMessage::Cursor { client_id, revision: 2, anchor: 8, head: 8 }) if client_id == "ada"
            ),
            "{welcome:?}"
        );
        // Newer than the room knows (it catches up first), older than it remembers, beyond
        // the text: dropped, nobody refused.
        assert_eq!(
            room.place_remote_cursor("ada", 3, Selection::caret(0)),
            None
        );
        assert_eq!(
            room.place_remote_cursor("ada", 2, Selection::caret(99)),
            None
        );
        room.base = 1;
        room.history.remove(0);
        assert_eq!(
            room.place_remote_cursor("ada", 0, Selection::caret(0)),
            None
        );
        // Gone with her last connection anywhere.
        room.connected_elsewhere(&HashSet::new());
        assert_eq!(room.welcome("cy", None, "#000".into(), None).len(), 1);
    }

    #[test]
    fn a_remote_cursor_of_someone_connected_here_counts_only_once_they_joined_there_later() {
        let mut room = empty_room("abc");
        let at = |minute| Some(OffsetDateTime::UNIX_EPOCH + Duration::minutes(minute));
        room.add(stored("ada", None, 0));
        room.connect("ada", 1, at(10), "ada");
        room.connected_elsewhere(&HashSet::from(["ada".to_string()]));
        // Her connection here is the newer: the one elsewhere is on its way out.
        assert!(!room.connected_only_elsewhere("ada"));
        assert_eq!(
            room.place_remote_cursor("ada", 0, Selection::caret(1)),
            None
        );
        // She joined there later: this instance's connection of hers is replaced.
        let mut there = stored("ada", None, 0);
        there.connected_at = at(11);
        assert_eq!(room.catch_up_participants(vec![there]), ["ada"]);
        assert!(room.connected_only_elsewhere("ada"));
        assert!(
            room.place_remote_cursor("ada", 0, Selection::caret(1))
                .is_some()
        );
        // Her replaced connection here cannot place hers any more.
        let old = Joined {
            client_id: "ada".into(),
            name: "ada".into(),
            connection: 1,
            first: Vec::new(),
        };
        assert_eq!(
            room.place_cursor(&old, 0, Selection::caret(2)).unwrap(),
            None
        );
        // She left there while her old connection here is still closing: her caret goes.
        room.connected_elsewhere(&HashSet::new());
        assert_eq!(room.welcome("cy", None, "#000".into(), None).len(), 1);
    }

    #[test]
    fn an_edit_too_far_behind_is_stale() {
        let mut room = empty_room("ab");
        room.base = 2 * MAX_REVISIONS_BEHIND;
        let ada = join(&mut room, "ada", 1);
        let edit = insert(0, "x", 2);
        let too_old = room.revision() - MAX_REVISIONS_BEHIND - 1;
        assert_eq!(
            refusal(room.accept(&ada, &edit, too_old, 1)),
            RefusalCode::StaleRevision
        );
        // Close enough, but older than the edits this room still holds.
        let forgotten = room.base - 1;
        assert_eq!(
            refusal(room.accept(&ada, &edit, forgotten, 1)),
            RefusalCode::StaleRevision
        );
        assert!(room.accept(&ada, &edit, room.base, 1).is_ok());
    }

    #[test]
    fn the_history_in_memory_stays_bounded() {
        let mut room = empty_room("");
        let keep = MAX_REVISIONS_BEHIND;
        for seq in 1..=2 * keep {
            room.record(HistoryEntry {
                op: insert(0, "x", 0),
                client_id: "ada".into(),
                seq,
            });
        }
        assert_eq!(room.revision(), 2 * keep);
        assert_eq!((room.base, room.history.len() as u64), (keep, keep));
        assert_eq!(room.last_seq["ada"], 2 * keep);
        assert_eq!(room.inserted_chars as u64, 2 * keep);
    }

    #[test]
    fn catching_up_the_pad_tells_of_a_new_language_and_of_the_end_once() {
        let mut room = empty_room("");
        assert!(
            room.catch_up_pad(PadStatus::NotStarted, "python".into())
                .is_empty()
        );
        let news = room.catch_up_pad(PadStatus::Ended, "rust".into());
        assert!(matches!(
            news.as_slice(),
            [ServerMessage::Language { language }, ServerMessage::Ended] if language == "rust"
        ));
        assert!(room.has_ended());
        assert!(
            room.catch_up_pad(PadStatus::InProgress, "rust".into())
                .is_empty()
        );
        assert!(room.has_ended(), "an ended pad stays ended");
    }

    #[test]
    fn a_reconnecting_client_is_sent_what_it_missed_and_anyone_else_the_text() {
        let mut room = empty_room("");
        let ada = join(&mut room, "ada", 1);
        let a = next(room.accept(&ada, &insert(0, "a", 0), 0, 1));
        room.commit("ada", 1, a);
        let b = next(room.accept(&ada, &insert(1, "b", 1), 1, 2));
        room.commit("ada", 2, b);
        let missed = room.welcome("ada", None, "#000".into(), Some(1));
        assert!(matches!(
            missed.as_slice(),
            [
                ServerMessage::Welcome {
                    revision: 1,
                    text: None,
                    last_seq: 2,
                    ..
                },
                ServerMessage::Op {
                    revision: 2,
                    seq: 2,
                    ..
                },
            ]
        ));
        for unknown in [None, Some(3)] {
            let whole = room.welcome("bob", None, "#000".into(), unknown);
            assert!(matches!(
                whole.as_slice(),
                [ServerMessage::Welcome { revision: 2, text: Some(text), last_seq: 0, .. }]
                    if text == "ab"
            ));
        }
    }

    #[test]
    fn joins_and_departures_are_counted_per_participant() {
        let mut room = empty_room("");
        room.add(stored("ada", None, 0));
        let first = room.connect("ada", 1, None, "Ada");
        assert!(!first.replaces && first.new_here);
        let second = room.connect("ada", 2, None, "Ada L.");
        assert!(second.replaces && !second.new_here);
        assert_eq!(room.participants()[0].name, "Ada L.");
        assert!(!room.disconnect("ada"), "one connection is left");
        assert!(room.disconnect("ada"));
        assert!(room.participants().is_empty());
        assert!(!room.disconnect("nobody"));
        assert_eq!(room.connected_here().count(), 0);
    }

    #[test]
    fn guests_are_bounded_and_members_are_not() {
        let mut room = empty_room("");
        for i in 0..MAX_PARTICIPANTS {
            let color = room.admit_newcomer(false).expect("room for a guest");
            assert_eq!(
                color,
                api::PARTICIPANT_COLORS[i % api::PARTICIPANT_COLORS.len()]
            );
            room.add(stored(&format!("g{i}"), None, i as i64));
        }
        let refused = room.admit_newcomer(false).expect_err("full");
        assert_eq!(refused.code, RefusalCode::TooManyParticipants);
        assert!(room.admit_newcomer(true).is_ok());
    }

    #[test]
    fn a_guest_is_proven_by_their_own_secret_only() {
        let mut room = empty_room("");
        room.add(stored("guest", None, 0));
        room.add(stored(
            "member",
            Some(UserId::from_uuid(uuid::Uuid::nil())),
            1,
        ));
        let holding = |client_id: &str, secret: &str| Credentials {
            client_id: client_id.into(),
            secret: secret.into(),
        };
        assert!(room.proves(&holding("guest", "secret")));
        assert!(!room.proves(&holding("guest", "guess")));
        assert!(!room.proves(&holding("member", "secret")));
        assert!(!room.proves(&holding("nobody", "secret")));
    }

    #[test]
    fn a_later_join_elsewhere_replaces_the_connection_here() {
        let mut room = empty_room("");
        let at = |minute| Some(OffsetDateTime::UNIX_EPOCH + Duration::minutes(minute));
        room.add(stored("ada", None, 5));
        room.connect("ada", 1, at(10), "ada");
        let mut ada_elsewhere = stored("ada", None, 5);
        ada_elsewhere.connected_at = at(9);
        let bob = stored("bob", None, 1);
        assert!(
            room.catch_up_participants(vec![ada_elsewhere.clone(), bob])
                .is_empty()
        );
        let order: Vec<_> = room
            .participants
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(order, ["bob", "ada"], "in order of joining");
        ada_elsewhere.connected_at = at(11);
        assert_eq!(room.catch_up_participants(vec![ada_elsewhere]), ["ada"]);
        let ada = Joined {
            client_id: "ada".into(),
            name: "Ada".into(),
            connection: 1,
            first: Vec::new(),
        };
        assert_eq!(
            refusal(room.accept(&ada, &insert(0, "x", 0), 0, 1)),
            RefusalCode::OpenedElsewhere
        );

        room.connected_elsewhere(&HashSet::from(["bob".to_string()]));
        let online: Vec<_> = room
            .participants()
            .into_iter()
            .map(|p| p.client_id)
            .collect();
        assert_eq!(online, ["bob", "ada"]);
    }
}
