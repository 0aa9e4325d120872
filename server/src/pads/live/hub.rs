//! The open rooms of this instance, and each room at work: it holds its pad's state under a
//! lock, stores edits through `store.rs`, and tells its connections and the other instances.

use api::PadId;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use api::ot::{Operation, Selection};
use api::{ErrorCode, RefusalCode, ServerMessage};
use entity::{pad, pad_operation, pad_participant};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use time::OffsetDateTime;
use tokio::sync::broadcast;

use super::group_commit::{EditToStore, EditWriter};
use super::room::{self, Accepted, HistoryEntry, Joined, Joiner, RoomState};
use super::store::{self, Stored};
use super::timings::EditTimings;
use super::{MAX_CONNECTIONS_PER_ADDRESS, MAX_CONNECTIONS_PER_PAD, Refusal, SNAPSHOT_EVERY};
use crate::error::ApiError;
use crate::pads::cluster::{Change, Cluster, Connected, Cursor, LocalRooms, Topology};
use crate::pads::{PadStatus, log_ref};

/// Messages a connection may fall behind by before it must reconnect.
const EVENT_BUFFER: usize = 1_024;

/// The open rooms of this server instance.
pub struct PadHub {
    rooms: Mutex<HashMap<PadId, Arc<Room>>>,
    /// Turns true when the server stops: every connection then closes, asking to reconnect.
    closing: tokio::sync::watch::Sender<bool>,
    /// This instance among the others that serve the same pads, if any.
    cluster: Cluster,
    /// Open sockets per pad and, within a pad, per client address.
    sockets: Arc<Mutex<HashMap<PadId, PadSockets>>>,
    /// Stores this instance's edits, several pads' in one commit.
    writer: EditWriter,
    /// Where this instance's edits spend their time.
    timings: Arc<EditTimings>,
}

#[derive(Default)]
struct PadSockets {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// One open socket of a pad, counted until dropped.
pub struct SocketSlot {
    sockets: Arc<Mutex<HashMap<PadId, PadSockets>>>,
    pad_id: PadId,
    address: IpAddr,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        crate::metrics::pad_socket_closed();
        let mut sockets = self.sockets.lock().expect("pad sockets");
        if let Some(pad) = sockets.get_mut(&self.pad_id) {
            pad.total -= 1;
            if let Some(count) = pad.per_address.get_mut(&self.address) {
                *count -= 1;
                if *count == 0 {
                    pad.per_address.remove(&self.address);
                }
            }
            if pad.total == 0 {
                sockets.remove(&self.pad_id);
            }
        }
    }
}

impl PadHub {
    /// Starts the writer of edits on the current runtime.
    pub fn new(topology: Topology, db: DatabaseConnection) -> Self {
        let timings = Arc::<EditTimings>::default();
        Self {
            rooms: Mutex::default(),
            closing: tokio::sync::watch::Sender::new(false),
            cluster: Cluster::new(topology),
            sockets: Arc::default(),
            writer: EditWriter::spawn(db, topology, timings.clone()),
            timings,
        }
    }

    /// Counts a socket opening to `pad_id` from `address`, unless the pad or that address
    /// has as many as it may. IPv6 addresses count by their /64, which one host can fill.
    pub fn admit(&self, pad_id: &PadId, address: IpAddr) -> Result<SocketSlot, ApiError> {
        let address = match address {
            IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !(u128::MAX >> 64)).into()),
            v4 => v4,
        };
        let mut sockets = self.sockets.lock().expect("pad sockets");
        let pad = sockets.entry(pad_id.clone()).or_default();
        let from_address = pad.per_address.get(&address).copied().unwrap_or(0);
        if pad.total >= MAX_CONNECTIONS_PER_PAD || from_address >= MAX_CONNECTIONS_PER_ADDRESS {
            let refusal = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyConnections,
                crate::i18n::msg(crate::i18n::Text::PadsTooManyConnections)
                    .with("per_pad", MAX_CONNECTIONS_PER_PAD)
                    .with("per_address", MAX_CONNECTIONS_PER_ADDRESS),
            );
            if pad.total == 0 {
                sockets.remove(pad_id);
            }
            return Err(refusal);
        }
        pad.total += 1;
        *pad.per_address.entry(address).or_default() += 1;
        crate::metrics::pad_socket_opened();
        Ok(SocketSlot {
            sockets: self.sockets.clone(),
            pad_id: pad_id.clone(),
            address,
        })
    }

    /// The room of `pad`, opened if needed; counts a connection until [`PadHub::leave`].
    pub fn enter(&self, pad: &pad::Model) -> Arc<Room> {
        let mut rooms = self.rooms.lock().expect("rooms");
        let open_before = rooms.len();
        let room = rooms
            .entry(pad.id.clone())
            .or_insert_with(|| {
                Arc::new(Room::new(
                    pad,
                    self.cluster.clone(),
                    self.writer.clone(),
                    self.timings.clone(),
                ))
            })
            .clone();
        room.connections.fetch_add(1, Ordering::SeqCst);
        if rooms.len() > open_before {
            crate::metrics::pad_rooms_changed(1.0);
        }
        room
    }

    pub fn leave(&self, room: &Arc<Room>) {
        let mut rooms = self.rooms.lock().expect("rooms");
        if room.connections.fetch_sub(1, Ordering::SeqCst) == 1
            && rooms.remove(&room.pad_id).is_some()
        {
            crate::metrics::pad_rooms_changed(-1.0);
        }
    }

    /// Another instance changed `pad_id`: bring its room here up to date, if open.
    pub async fn catch_up(&self, db: &DatabaseConnection, pad_id: &PadId, change: Change) {
        if let Some(room) = self.open_room(pad_id) {
            room.catch_up(db, change).await;
        }
    }

    /// A participant connected through another instance moved their caret on `pad_id`: tell
    /// whoever has it open here.
    pub async fn place_remote_cursor(
        &self,
        db: &DatabaseConnection,
        pad_id: &PadId,
        cursor: Cursor,
    ) {
        if let Some(room) = self.open_room(pad_id) {
            room.place_remote_cursor(db, cursor).await;
        }
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Where this instance's edits spent their time so far.
    pub fn edit_timings(&self) -> &EditTimings {
        &self.timings
    }

    /// Changes to true when the server stops.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// This instance stopped serving: whoever was connected through it no longer is. (A crash
    /// skips this; the rows then go stale.)
    pub async fn depart_all(&self, db: &DatabaseConnection) {
        match self.cluster.depart(db).await {
            Ok(pads) => {
                for pad_id in pads {
                    self.cluster.announce(db, &pad_id, Change::Presence).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot clear this instance's pad presence"),
        }
    }

    fn open_rooms(&self) -> Vec<Arc<Room>> {
        self.rooms
            .lock()
            .expect("rooms")
            .values()
            .cloned()
            .collect()
    }

    /// The room of an open pad, if anyone is connected to it here.
    pub fn open_room(&self, pad_id: &PadId) -> Option<Arc<Room>> {
        self.rooms.lock().expect("rooms").get(pad_id).cloned()
    }
}

/// What the cluster tasks ask of this instance's rooms.
impl LocalRooms for PadHub {
    fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    async fn catch_up(&self, db: &DatabaseConnection, pad_id: &PadId, change: Change) {
        PadHub::catch_up(self, db, pad_id, change).await;
    }

    async fn place_cursor(&self, db: &DatabaseConnection, pad_id: &PadId, cursor: Cursor) {
        self.place_remote_cursor(db, pad_id, cursor).await;
    }

    async fn catch_up_all(&self, db: &DatabaseConnection) {
        for room in self.open_rooms() {
            room.catch_up(db, Change::Content).await;
            room.catch_up(db, Change::Presence).await;
        }
    }

    /// Keeps this instance's presence rows fresh, and notices other instances' participants
    /// whose rows went stale (their instance stopped without saying so).
    async fn refresh_presence(&self, db: &DatabaseConnection) {
        let rooms = self.open_rooms();
        let mut connected = Vec::new();
        for room in &rooms {
            if let Some(state) = room.state.lock().await.as_ref() {
                connected.extend(state.connected_here().map(|client_id| Connected {
                    pad_id: room.pad_id.clone(),
                    client_id,
                }));
            }
        }
        // Someone arriving or leaving meanwhile is set right by the next refresh, if their
        // own write was overtaken by this one.
        if let Err(e) = self.cluster.refresh(db, &connected).await {
            tracing::warn!(error = %e, "cannot refresh pad presence");
        }
        for room in rooms {
            room.catch_up(db, Change::Presence).await;
        }
    }
}

pub struct Room {
    pub pad_id: PadId,
    cluster: Cluster,
    connections: AtomicUsize,
    /// Numbers this room's connections, in the order they joined.
    joins: AtomicU64,
    state: tokio::sync::Mutex<Option<RoomState>>,
    events: broadcast::Sender<RoomEvent>,
    writer: EditWriter,
    timings: Arc<EditTimings>,
}

/// What a room tells its connections.
#[derive(Clone, Debug)]
pub enum RoomEvent {
    /// A message for everyone connected.
    Broadcast(Arc<str>),
    /// A participant's caret: for everyone connected but them.
    Cursor { from: Arc<str>, message: Arc<str> },
    /// The participant joined again as connection `connection` (a reload, another tab): their
    /// earlier connections close, so one participant's edits come through one connection.
    Rejoined {
        client_id: Arc<str>,
        connection: u64,
    },
}

fn encode(message: &ServerMessage) -> Arc<str> {
    serde_json::to_string(message).expect("json").into()
}

impl Room {
    fn new(
        pad: &pad::Model,
        cluster: Cluster,
        writer: EditWriter,
        timings: Arc<EditTimings>,
    ) -> Self {
        Self {
            pad_id: pad.id.clone(),
            cluster,
            connections: AtomicUsize::new(0),
            joins: AtomicU64::new(0),
            state: tokio::sync::Mutex::new(None),
            events: broadcast::channel(EVENT_BUFFER).0,
            writer,
            timings,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<RoomEvent> {
        self.events.subscribe()
    }

    /// Sends `message` to everyone connected to this room here.
    pub fn broadcast(&self, message: &ServerMessage) {
        self.publish(message);
    }

    /// What a run starts from: the pad's text at its newest revision, and its language.
    /// Refused once the pad has ended.
    pub async fn run_input(
        &self,
        db: &DatabaseConnection,
    ) -> Result<(u64, String, String), Refusal> {
        let state = self.locked(db).await?;
        if state.has_ended() {
            return Err(Refusal::pad_ended());
        }
        Ok((state.revision(), state.text.clone(), state.language.clone()))
    }

    fn publish(&self, message: &ServerMessage) {
        // No receivers is fine: nobody is connected.
        let _ = self.events.send(RoomEvent::Broadcast(encode(message)));
    }

    /// Locks the room's state, loading it from the database the first time.
    async fn locked(
        &self,
        db: &DatabaseConnection,
    ) -> Result<tokio::sync::MappedMutexGuard<'_, RoomState>, Refusal> {
        let mut guard = self.state.lock().await;
        if guard.is_none() {
            *guard = Some(store::load(db, &self.pad_id).await?);
        }
        Ok(tokio::sync::MutexGuard::map(guard, |s| {
            s.as_mut().expect("loaded")
        }))
    }

    /// Registers the joiner (as who they prove to be, or as someone new) and returns what to
    /// send them first.
    pub async fn join(&self, db: &DatabaseConnection, joiner: &Joiner) -> Result<Joined, Refusal> {
        let mut state = self.locked(db).await?;
        let several = self.cluster.topology() == Topology::Several;
        // Another instance may have stored edits, or have participants, this room has not seen.
        if several {
            self.catch_up_content(db, &mut state).await?;
            // Presence is worth a join's refusal no more than a departure's.
            if let Err(refusal) = self.catch_up_presence(db, &mut state).await {
                tracing::warn!(
                    code = refusal.code.as_str(),
                    "cannot read presence elsewhere"
                );
            }
        }
        // After the end the text is for members, through playback: nobody joins, and nothing
        // of the pad is sent. Checked under the room's lock, which an end holds too.
        if state.has_ended() {
            return Err(Refusal::pad_ended());
        }
        let (client_id, secret) = self.identify(db, &mut state, joiner).await?;
        let connection = self.joins.fetch_add(1, Ordering::SeqCst) + 1;
        let connected_at = if several {
            store::mark_connected(db, &self.pad_id, &client_id).await
        } else {
            None
        };
        if connected_at.is_some() {
            // An older connection of this participant elsewhere may have stored an edit just
            // before the stamp (none can after it): the welcome's `last_seq` must count it.
            self.catch_up_edits(db, &mut state).await?;
        }
        let arrival = state.connect(&client_id, connection, connected_at, &joiner.name);
        if arrival.replaces {
            let _ = self.events.send(RoomEvent::Rejoined {
                client_id: client_id.as_str().into(),
                connection,
            });
        }
        let first = state
            .welcome(&client_id, secret, arrival.color, joiner.since_revision)
            .iter()
            .map(encode)
            .collect();
        // Arriving here, or joining again while connected through another instance, whose
        // connection then closes: either way the other instances hear of it.
        if arrival.new_here
            && let Err(e) = self.cluster.arrived(db, &self.pad_id, &client_id).await
        {
            // The next refresh writes it: the join itself stands.
            tracing::warn!(error = %e, "cannot record that a participant arrived");
        }
        let participants = state.participants();
        let name = participants
            .iter()
            .find(|p| p.client_id == client_id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        self.publish(&ServerMessage::Participants { participants });
        drop(state);
        if arrival.new_here {
            self.cluster
                .announce(db, &self.pad_id, Change::Presence)
                .await;
        }
        Ok(Joined {
            client_id,
            name,
            connection,
            first,
        })
    }

    /// Who the joiner is: the member their session names; the guest whose secret they hold;
    /// or, failing that, a new guest, whose secret is returned to send once.
    async fn identify(
        &self,
        db: &DatabaseConnection,
        state: &mut RoomState,
        joiner: &Joiner,
    ) -> Result<(String, Option<String>), Refusal> {
        if let Some(user_id) = joiner.user_id {
            let client_id = room::member_client_id(user_id);
            if state.present(&client_id).is_none() {
                self.register(db, state, &client_id, joiner, None).await?;
            }
            return Ok((client_id, None));
        }
        if let Some(returning) = &joiner.returning {
            if state.present(&returning.client_id).is_none()
                && self.cluster.topology() == Topology::Several
            {
                // Joined through another instance, perhaps, and not heard of here yet.
                let stored =
                    store::find_participant(db, &self.pad_id, &returning.client_id).await?;
                if let Some(stored) = stored {
                    state.add(stored);
                }
            }
            if state.proves(returning) {
                return Ok((returning.client_id.clone(), None));
            }
        }
        let issued = room::new_guest_credentials();
        let secret_hash = room::hash_secret(&issued.secret);
        self.register(db, state, &issued.client_id, joiner, Some(secret_hash))
            .await?;
        Ok((issued.client_id, Some(issued.secret)))
    }

    /// Records a new participant, unless the pad has as many as it may.
    async fn register(
        &self,
        db: &DatabaseConnection,
        state: &mut RoomState,
        client_id: &str,
        joiner: &Joiner,
        secret_hash: Option<String>,
    ) -> Result<(), Refusal> {
        let color = state.admit_newcomer(joiner.user_id.is_some())?;
        let stored = store::insert_participant(
            db,
            pad_participant::Model {
                pad_id: self.pad_id.clone(),
                client_id: client_id.to_string(),
                name: joiner.name.clone(),
                color,
                user_id: joiner.user_id,
                joined_at: OffsetDateTime::now_utc(),
                secret_hash,
                connected_at: None,
            },
        )
        .await?;
        state.add(stored);
        Ok(())
    }

    pub async fn leave(&self, db: &DatabaseConnection, client_id: &str) {
        let Ok(mut state) = self.locked(db).await else {
            return;
        };
        let departed_here = state.disconnect(client_id);
        if departed_here && let Err(e) = self.cluster.departed(db, &self.pad_id, client_id).await {
            // The next refresh drops it, and others see the departure a little later.
            tracing::warn!(error = %e, "cannot record that a participant left");
        }
        self.publish(&ServerMessage::Participants {
            participants: state.participants(),
        });
        drop(state);
        if departed_here {
            self.cluster
                .announce(db, &self.pad_id, Change::Presence)
                .await;
        }
    }

    /// Tells the others where `joined`'s caret and selection, made on `revision`, are now.
    pub async fn place_cursor(
        &self,
        db: &DatabaseConnection,
        joined: &Joined,
        revision: u64,
        selection: Selection,
    ) -> Result<(), Refusal> {
        let mut state = self.locked(db).await?;
        // Sent under the lock, as edits are: every edit before it on the revision it names
        // reaches each connection first.
        let Some(message) = state.place_cursor(joined, revision, selection)? else {
            return Ok(());
        };
        let _ = self.events.send(RoomEvent::Cursor {
            from: joined.client_id.as_str().into(),
            message: encode(&message),
        });
        drop(state);
        // Other instances catch up with the edits up to its revision before placing it; this
        // connection's next cursor waits for the announcement, so its departure comes after.
        if let ServerMessage::Cursor {
            revision,
            anchor,
            head,
            ..
        } = message
        {
            let cursor = Cursor {
                client_id: joined.client_id.clone(),
                revision,
                selection: Selection { anchor, head },
            };
            self.cluster
                .announce_cursor(db, &self.pad_id, &cursor)
                .await;
        }
        Ok(())
    }

    /// Places the caret of a participant connected through another instance, after catching
    /// up with the edits it was placed on, and with who is connected where when it comes
    /// from someone this room does not know to be connected there only; then tells the
    /// connections here, as for a local one. Nothing is refused: the cursor is just dropped.
    pub async fn place_remote_cursor(&self, db: &DatabaseConnection, cursor: Cursor) {
        let mut guard = self.state.lock().await;
        // Not loaded yet: nobody here to tell, and a joiner waits for the next one.
        let Some(state) = guard.as_mut() else {
            return;
        };
        if cursor.revision > state.revision()
            && let Err(refusal) = self.catch_up_content(db, state).await
        {
            tracing::warn!(pad = %log_ref(&self.pad_id), code = refusal.code.as_str(), "cannot catch up with a cursor's edits");
            return;
        }
        // Joined (again) elsewhere, and not heard of here yet, perhaps.
        if !state.connected_only_elsewhere(&cursor.client_id) {
            match self.catch_up_presence(db, state).await {
                Ok(true) => self.publish(&ServerMessage::Participants {
                    participants: state.participants(),
                }),
                Ok(false) => {}
                Err(refusal) => {
                    tracing::warn!(pad = %log_ref(&self.pad_id), code = refusal.code.as_str(), "cannot catch up with presence elsewhere");
                    return;
                }
            }
        }
        let Cursor {
            client_id,
            revision,
            selection,
        } = cursor;
        if let Some(message) = state.place_remote_cursor(&client_id, revision, selection) {
            let _ = self.events.send(RoomEvent::Cursor {
                from: client_id.into(),
                message: encode(&message),
            });
        }
    }

    /// Orders, stores and broadcasts an edit made on `revision`.
    pub async fn submit(
        &self,
        db: &DatabaseConnection,
        joined: &Joined,
        seq: u64,
        revision: u64,
        op: Operation,
    ) -> Result<(), Refusal> {
        let client_id = joined.client_id.as_str();
        let arrived = std::time::Instant::now();
        let mut state = self.locked(db).await?;
        self.timings.room_wait.record_duration(arrived.elapsed());
        let mut edit = match state.accept(joined, &op, revision, seq)? {
            // Sent again after a reconnect: the server has it already.
            Accepted::AlreadyStored => return Ok(()),
            Accepted::Next(edit) => edit,
        };
        let now = OffsetDateTime::now_utc();
        // Transformed past what this room knows, then stored if nobody stored anything since;
        // otherwise (another instance did, on PostgreSQL) caught up with and transformed again.
        // After losing a race, the edit is stored under the pad's row lock, which nobody can
        // overtake: a busy pad cannot starve one participant.
        let mut locked: Option<DatabaseTransaction> = None;
        let storing = std::time::Instant::now();
        loop {
            let row = pad_operation::Model {
                pad_id: self.pad_id.clone(),
                revision: edit.revision as i64,
                client_id: client_id.to_string(),
                seq: seq as i64,
                at_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
                op: serde_json::to_string(&edit.op).expect("json"),
            };
            // Stored with other pads' edits in one commit, unless this pad's row is locked by
            // this very edit (the writer's batch would wait for the lock forever).
            let stored = match self.cluster.topology() {
                Topology::Single => {
                    let edit = EditToStore {
                        row,
                        connected_at: None,
                        notification: None,
                    };
                    self.writer.store(edit).await?
                }
                Topology::Several => {
                    let edit = EditToStore {
                        notification: Some(self.cluster.notification(&row.pad_id, Change::Content)),
                        row,
                        connected_at: state.present(client_id).and_then(|p| p.connected_at),
                    };
                    let attempt = match &locked {
                        Some(txn) => {
                            let stored = store::store_batch_among_instances(txn, &[&edit])
                                .await
                                .map(|mut alone| alone.remove(0));
                            self.timings.edits_per_commit.record(1);
                            stored
                        }
                        None => self.writer.store(edit).await,
                    };
                    match attempt {
                        Ok(stored) => stored,
                        Err(e) => {
                            // Perhaps stored all the same (the answer was lost): look, so this
                            // room does not fall behind what the database holds.
                            let _ = self.catch_up_edits(db, &mut state).await;
                            return Err(e.into());
                        }
                    }
                }
            };
            match stored {
                Stored::Yes(seen) => {
                    if let Some(txn) = locked.take() {
                        txn.commit().await?;
                    }
                    crate::metrics::pad_edit_stored();
                    self.timings.storing.record_duration(storing.elapsed());
                    if let Some((status, language)) = seen {
                        self.catch_up_pad(&mut state, status, language);
                    }
                    break;
                }
                Stored::Ended => return Err(self.ended_meanwhile(&mut state)),
                Stored::Replaced => return Err(Refusal::opened_elsewhere()),
                Stored::Behind if locked.is_some() => {
                    // Under the lock and caught up, the next revision is free.
                    return Err(Refusal::new(
                        RefusalCode::StorageFailed,
                        "The edit could not be stored; try again.",
                    ));
                }
                Stored::Behind => {
                    let txn = db.begin().await?;
                    store::lock_pad(&txn, &self.pad_id).await?;
                    self.catch_up_edits(&txn, &mut state).await?;
                    if state.has_stored(client_id, seq) {
                        // Another instance had stored this very edit (sent there before a
                        // reconnect).
                        return Ok(());
                    }
                    locked = Some(txn);
                    edit = state.rebase(&op, revision)?;
                }
            }
        }
        // On PostgreSQL the statement that stored the first edit started the pad.
        if state.status == PadStatus::NotStarted
            && self.cluster.topology() == Topology::Single
            && let Err(e) = store::mark_started(db, &self.pad_id, now).await
        {
            // The edit is stored; the pad just lacks its start time.
            tracing::warn!(error = %e, "cannot record that a pad started");
        }
        let new_revision = edit.revision;
        let stored = state.commit(client_id, seq, edit);
        self.publish(&stored);
        if new_revision % SNAPSHOT_EVERY == 0 {
            store::store_snapshot(db, &state, &self.pad_id).await;
        }
        Ok(())
    }

    /// The pad ended in the database before this room heard of it.
    fn ended_meanwhile(&self, state: &mut RoomState) -> Refusal {
        state.end();
        self.publish(&ServerMessage::Ended);
        Refusal::pad_ended()
    }

    /// Catches up with what other instances stored since this room last looked: their edits,
    /// the language, the end. Participants here are told as if the edits were made here.
    async fn catch_up_content(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        state: &mut RoomState,
    ) -> Result<(), Refusal> {
        self.catch_up_edits(db, state).await?;
        if let Some(pad) = store::find_pad(db, &self.pad_id).await? {
            self.catch_up_pad(state, pad.status, pad.language);
        }
        Ok(())
    }

    /// Catches up with the edits other instances stored since this room last looked.
    async fn catch_up_edits(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        state: &mut RoomState,
    ) -> Result<(), Refusal> {
        let rows = store::stored_edits(db, &self.pad_id, state.revision(), None).await?;
        // The text is out of the state while the edits apply to it, and back whatever happens.
        let mut text = std::mem::take(&mut state.text);
        let applied =
            store::apply_stored(&mut text, state.revision(), rows, |revision, row, op| {
                self.publish(&ServerMessage::Op {
                    revision,
                    client_id: row.client_id.clone(),
                    seq: row.seq as u64,
                    op: op.clone(),
                });
                state.record(HistoryEntry {
                    op,
                    client_id: row.client_id,
                    seq: row.seq as u64,
                });
            });
        state.text = text;
        applied.map(drop)
    }

    /// Catches up with the pad's status and language as stored (changed elsewhere, perhaps).
    fn catch_up_pad(&self, state: &mut RoomState, status: PadStatus, language: String) {
        for news in state.catch_up_pad(status, language) {
            self.publish(&news);
        }
    }

    /// Catches up with who joined through other instances and who is connected there now.
    /// True when the participant list changed.
    async fn catch_up_presence(
        &self,
        db: &DatabaseConnection,
        state: &mut RoomState,
    ) -> Result<bool, Refusal> {
        let before = state.participants();
        let stored = store::stored_participants(db, &self.pad_id).await?;
        for client_id in state.catch_up_participants(stored) {
            let _ = self.events.send(RoomEvent::Rejoined {
                client_id: client_id.into(),
                connection: u64::MAX,
            });
        }
        let elsewhere = self.cluster.connected_elsewhere(db, &self.pad_id).await?;
        state.connected_elsewhere(&elsewhere);
        Ok(state.participants() != before)
    }

    /// Catches up with a change another instance made, if this room has been loaded.
    pub async fn catch_up(&self, db: &DatabaseConnection, change: Change) {
        let mut guard = self.state.lock().await;
        let Some(state) = guard.as_mut() else {
            return;
        };
        match change {
            Change::Content => {
                if let Err(refusal) = self.catch_up_content(db, state).await {
                    tracing::warn!(pad = %log_ref(&self.pad_id), code = refusal.code.as_str(), "cannot catch up with other instances");
                }
            }
            // Another instance runs the pad's code: its row has the run as it stands.
            Change::Run => match crate::runs::store::latest(db, &self.pad_id).await {
                Ok(Some(run)) => self.publish(&ServerMessage::Run { run, ahead: None }),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(pad = %log_ref(&self.pad_id), error = %e, "cannot read a run elsewhere");
                }
            },
            Change::Presence => match self.catch_up_presence(db, state).await {
                Ok(true) => self.publish(&ServerMessage::Participants {
                    participants: state.participants(),
                }),
                Ok(false) => {}
                Err(refusal) => {
                    tracing::warn!(pad = %log_ref(&self.pad_id), code = refusal.code.as_str(), "cannot catch up with presence elsewhere");
                }
            },
        }
    }

    pub async fn set_language(
        &self,
        db: &DatabaseConnection,
        language: &str,
    ) -> Result<(), Refusal> {
        if api::language_label(language).is_none() {
            return Err(Refusal::new(
                RefusalCode::InvalidLanguage,
                format!("Unknown language {language:?}."),
            ));
        }
        let mut state = self.locked(db).await?;
        if state.has_ended() {
            return Err(Refusal::pad_ended());
        }
        if !store::set_language(db, &self.pad_id, language).await? {
            return Err(self.ended_meanwhile(&mut state));
        }
        state.language = language.to_string();
        self.publish(&ServerMessage::Language {
            language: language.to_string(),
        });
        drop(state);
        self.cluster
            .announce(db, &self.pad_id, Change::Content)
            .await;
        Ok(())
    }

    /// Holds the room while the caller ends the pad in the database, so that no edit is stored
    /// between the two; [`EndGuard::ended`] then tells everyone.
    pub async fn begin_end(&self) -> EndGuard<'_> {
        EndGuard {
            state: self.state.lock().await,
            room: self,
        }
    }
}

pub struct EndGuard<'a> {
    state: tokio::sync::MutexGuard<'a, Option<RoomState>>,
    room: &'a Room,
}

impl EndGuard<'_> {
    pub fn ended(mut self) {
        if let Some(state) = self.state.as_mut() {
            state.end();
        }
        self.room.publish(&ServerMessage::Ended);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sockets_are_bounded_per_pad_and_per_address_and_released_on_drop() {
        let hub = PadHub::new(Topology::Single, DatabaseConnection::default());
        let address =
            |host: u16| IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 7, 0, 0, 0, host));
        // One host owns a whole /64: its addresses count as one.
        let slots: Vec<_> = (0..MAX_CONNECTIONS_PER_ADDRESS as u16)
            .map(|host| {
                hub.admit(&PadId::new("pad"), address(host))
                    .expect("within the limit")
            })
            .collect();
        let refused = hub
            .admit(&PadId::new("pad"), address(999))
            .err()
            .expect("over the limit");
        assert_eq!(refused.code(), ErrorCode::TooManyConnections);
        // Another pad, and another network, have their own counts.
        let other_pad = hub
            .admit(&PadId::new("other"), address(999))
            .expect("another pad");
        let others: Vec<_> = (0..(MAX_CONNECTIONS_PER_PAD - MAX_CONNECTIONS_PER_ADDRESS))
            .map(|i| {
                hub.admit(&PadId::new("pad"), IpAddr::from([10, 0, 0, i as u8]))
                    .expect("room left")
            })
            .collect();
        assert!(
            hub.admit(&PadId::new("pad"), IpAddr::from([10, 9, 9, 9]))
                .is_err(),
            "the pad is full"
        );
        drop(slots);
        drop(others);
        drop(other_pad);
        assert!(
            hub.sockets.lock().unwrap().is_empty(),
            "every slot released"
        );
        assert!(hub.admit(&PadId::new("pad"), address(1)).is_ok());
    }
}
