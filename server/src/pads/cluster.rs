//! Live pads across several instances on one PostgreSQL.
//!
//! Changes: an instance that stores an edit (or ends a pad, or changes its language, or sees
//! someone arrive or leave) says so on a PostgreSQL channel; every instance with that pad's
//! room open catches up from the database and tells its participants. A notification names
//! the instance it comes from, which skips its own.
//!
//! Presence: each instance records who is connected through it (a row per participant and
//! instance), rewrites its rows every [`PRESENCE_REFRESH`] from who is really connected, and
//! deletes a row when its participant leaves; rooms elsewhere read the fresh rows of other
//! instances. A crashed instance stops refreshing, so its participants go offline after
//! [`PRESENCE_TTL`]. Times come from the database's clock, so instances whose clocks disagree
//! still agree on what is fresh.
//!
//! Cursors: a participant's caret and selection, accepted by the instance they are connected
//! through (after its rate limit), go on the same channel with their place, as
//! `cursor:<instance>:<pad id>:<client id>:<revision>:<anchor>:<head>`, and are kept in memory
//! only wherever a room of the pad is open. One cursor a notification, at most one every 50 ms
//! a connection: the socket's limit bounds the channel's traffic too.
//!
//! SQLite means one instance ([`Topology::Single`], chosen at start-up): nothing here runs, and
//! a room's own connection counts are the whole truth.

use api::PadId;
use api::ot::Selection;
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use entity::pad_presence;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    TransactionTrait,
};
use tokio::sync::watch;
use uuid::Uuid;

use crate::notify;

const CHANNEL: &str = "stagepad_pads";
/// How often an instance rewrites its rows (and rooms look again at everyone else's).
pub const PRESENCE_REFRESH: Duration = Duration::from_secs(10);
/// A row older than this belongs to an instance that stopped without saying so.
pub const PRESENCE_TTL: Duration = Duration::from_secs(30);

/// Whether other instances may serve the same pads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// SQLite: this instance is the only one, and nobody else stores edits.
    Single,
    /// PostgreSQL: instances share the database, and so every pad.
    Several,
}

impl Topology {
    pub fn for_database(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => Topology::Several,
            _ => Topology::Single,
        }
    }
}

/// What changed, as notifications say it: `<kind>:<instance>:<pad id>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Edits, the language or the end: the pad's content.
    Content,
    /// Who is connected.
    Presence,
    /// A run of the pad's code started, printed or ended (on the instance announcing it).
    Run,
}

impl Change {
    fn kind(self) -> &'static str {
        match self {
            Change::Content => "content",
            Change::Presence => "presence",
            Change::Run => "run",
        }
    }
}

/// A participant's caret and selection on a revision of the pad, as instances tell each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub client_id: String,
    pub revision: u64,
    pub selection: Selection,
}

/// What a notification from another instance says.
#[derive(Debug, PartialEq, Eq)]
enum Heard {
    /// Catch up with the pad as stored.
    Change(Change, PadId),
    /// Someone connected there moved their caret (never stored).
    Cursor(PadId, Cursor),
}

/// Someone connected to a pad through this instance.
pub struct Connected {
    pub pad_id: PadId,
    pub client_id: String,
}

/// This instance among the others: how many there may be, and its name in their eyes.
/// Telling the others is a no-op on a single instance.
#[derive(Clone)]
pub struct Cluster {
    topology: Topology,
    instance_id: Arc<str>,
}

impl Cluster {
    pub fn new(topology: Topology) -> Self {
        Self {
            topology,
            instance_id: Uuid::new_v4().to_string().into(),
        }
    }

    pub fn topology(&self) -> Topology {
        self.topology
    }

    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    fn single(&self) -> bool {
        self.topology == Topology::Single
    }

    /// Tells the other instances that `pad_id` changed. Best effort: they also catch up when
    /// their own participants edit, and look at presence again every [`PRESENCE_REFRESH`].
    /// Inside a transaction it is sent at commit, if any.
    pub async fn announce(&self, db: &impl ConnectionTrait, pad_id: &PadId, change: Change) {
        if self.single() {
            return;
        }
        let (channel, payload) = self.notification(pad_id, change);
        if let Err(e) = notify::tell(db, channel, payload).await {
            tracing::warn!(error = %e, "cannot announce a pad change to other instances");
        }
    }

    /// The channel and payload that announce `change` (for statements that notify themselves).
    pub fn notification(&self, pad_id: &PadId, change: Change) -> (&'static str, String) {
        (
            CHANNEL,
            format!("{}:{}:{pad_id}", change.kind(), self.instance_id),
        )
    }

    /// Tells the other instances where a participant connected here put their caret on
    /// `pad_id`. Best effort and never stored: the participant's next cursor will do.
    pub async fn announce_cursor(
        &self,
        db: &impl ConnectionTrait,
        pad_id: &PadId,
        cursor: &Cursor,
    ) {
        if self.single() {
            return;
        }
        if let Err(e) = notify::tell(db, CHANNEL, self.cursor_notification(pad_id, cursor)).await {
            tracing::warn!(error = %e, "cannot tell other instances of a cursor");
        }
    }

    /// Pad ids and client ids are url-safe, so `:` separates the fields; an id that were not
    /// would make a payload that reads back as nothing.
    fn cursor_notification(&self, pad_id: &PadId, cursor: &Cursor) -> String {
        let Cursor {
            client_id,
            revision,
            selection: Selection { anchor, head },
        } = cursor;
        format!(
            "cursor:{}:{pad_id}:{client_id}:{revision}:{anchor}:{head}",
            self.instance_id
        )
    }

    /// `client_id` is now connected to `pad_id` through this instance.
    pub async fn arrived(
        &self,
        db: &DatabaseConnection,
        pad_id: &PadId,
        client_id: &str,
    ) -> Result<(), sea_orm::DbErr> {
        if self.single() {
            return Ok(());
        }
        let connected = Connected {
            pad_id: pad_id.clone(),
            client_id: client_id.to_string(),
        };
        write_fresh(db, &self.instance_id, &[connected]).await
    }

    /// `client_id`'s last connection to `pad_id` through this instance ended.
    pub async fn departed(
        &self,
        db: &DatabaseConnection,
        pad_id: &PadId,
        client_id: &str,
    ) -> Result<(), sea_orm::DbErr> {
        if self.single() {
            return Ok(());
        }
        pad_presence::Entity::delete_many()
            .filter(pad_presence::Column::PadId.eq(pad_id))
            .filter(pad_presence::Column::ClientId.eq(client_id))
            .filter(pad_presence::Column::InstanceId.eq(self.instance_id()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Who is connected to `pad_id` through other instances, going by fresh rows.
    pub async fn connected_elsewhere(
        &self,
        db: &DatabaseConnection,
        pad_id: &PadId,
    ) -> Result<HashSet<String>, sea_orm::DbErr> {
        Ok(pad_presence::Entity::find()
            .filter(pad_presence::Column::PadId.eq(pad_id))
            .filter(pad_presence::Column::InstanceId.ne(self.instance_id()))
            .filter(Expr::col(pad_presence::Column::SeenAt).gt(database_now_minus(PRESENCE_TTL)))
            .all(db)
            .await?
            .into_iter()
            .map(|row| row.client_id)
            .collect())
    }

    /// Replaces this instance's rows with `connected`, all fresh (in one transaction, so
    /// others never see a gap), and deletes rows long abandoned by stopped instances. A row
    /// whose delete failed at a departure is gone after this too.
    pub async fn refresh(
        &self,
        db: &DatabaseConnection,
        connected: &[Connected],
    ) -> Result<(), sea_orm::DbErr> {
        let txn = db.begin().await?;
        pad_presence::Entity::delete_many()
            .filter(pad_presence::Column::InstanceId.eq(self.instance_id()))
            .exec(&txn)
            .await?;
        write_fresh(&txn, &self.instance_id, connected).await?;
        pad_presence::Entity::delete_many()
            .filter(
                Expr::col(pad_presence::Column::SeenAt).lt(database_now_minus(PRESENCE_TTL * 10)),
            )
            .exec(&txn)
            .await?;
        txn.commit().await
    }

    /// This instance is stopping: its rows go, and the pads they were on are returned to
    /// announce.
    pub async fn depart(&self, db: &DatabaseConnection) -> Result<HashSet<PadId>, sea_orm::DbErr> {
        if self.single() {
            return Ok(HashSet::new());
        }
        Ok(pad_presence::Entity::delete_many()
            .filter(pad_presence::Column::InstanceId.eq(self.instance_id()))
            .exec_with_returning(db)
            .await?
            .into_iter()
            .map(|row| row.pad_id)
            .collect())
    }
}

/// This instance's open rooms, as the tasks here see them (the pad hub). A trait, so that
/// this module needs nothing of the live pads.
pub trait LocalRooms: Send + Sync + 'static {
    fn cluster(&self) -> &Cluster;

    /// Another instance changed `pad_id`: bring its room here up to date, if open.
    fn catch_up(
        &self,
        db: &DatabaseConnection,
        pad_id: &PadId,
        change: Change,
    ) -> impl Future<Output = ()> + Send;

    /// Brings every open room up to date with everything, when changes may have been missed.
    fn catch_up_all(&self, db: &DatabaseConnection) -> impl Future<Output = ()> + Send;

    /// A participant connected through another instance put their caret at `cursor`: tell
    /// whoever has `pad_id` open here.
    fn place_cursor(
        &self,
        db: &DatabaseConnection,
        pad_id: &PadId,
        cursor: Cursor,
    ) -> impl Future<Output = ()> + Send;

    /// Rewrites this instance's presence rows and catches up with everyone else's.
    fn refresh_presence(&self, db: &DatabaseConnection) -> impl Future<Output = ()> + Send;
}

/// Starts listening for other instances' changes and keeping presence fresh, until `stop`
/// turns true. On a single instance there is nobody to hear from.
pub fn spawn(db: DatabaseConnection, rooms: Arc<impl LocalRooms>, stop: watch::Receiver<bool>) {
    if rooms.cluster().single() {
        return;
    }
    let changes = PadChanges {
        db: db.clone(),
        rooms: rooms.clone(),
    };
    let listening = stop.clone();
    tokio::spawn(async move { notify::listen(&changes.db, CHANNEL, &changes, listening).await });
    tokio::spawn(keep_presence_fresh(db, rooms, stop));
}

/// Hears other instances' pad changes for this instance's rooms.
struct PadChanges<R> {
    db: DatabaseConnection,
    rooms: Arc<R>,
}

impl<R: LocalRooms> notify::Hearing for PadChanges<R> {
    fn what(&self) -> &'static str {
        "other instances' pad changes"
    }

    async fn connected(&self) {
        // Whatever happened while not listening.
        self.rooms.catch_up_all(&self.db).await;
    }

    async fn heard(&self, payload: &str) {
        match parse(payload, self.rooms.cluster().instance_id()) {
            Some(Heard::Change(change, pad_id)) => {
                self.rooms.catch_up(&self.db, &pad_id, change).await;
            }
            Some(Heard::Cursor(pad_id, cursor)) => {
                self.rooms.place_cursor(&self.db, &pad_id, cursor).await;
            }
            None => {}
        }
    }

    async fn lost(&self) {}
}

/// Keeps this instance's presence rows true and fresh until `stop` turns true. Runs apart
/// from the change channel, so presence stays fresh while that channel is down.
async fn keep_presence_fresh(
    db: DatabaseConnection,
    rooms: Arc<impl LocalRooms>,
    mut stop: watch::Receiver<bool>,
) {
    let mut refresh = tokio::time::interval(PRESENCE_REFRESH);
    loop {
        tokio::select! {
            _ = refresh.tick() => rooms.refresh_presence(&db).await,
            _ = stop.changed() => return,
        }
    }
}

/// Reads a notification's payload; None for one this instance sent (or cannot read).
fn parse(payload: &str, own_instance: &str) -> Option<Heard> {
    let mut parts = payload.splitn(3, ':');
    let kind = parts.next()?;
    let instance = parts.next()?;
    let rest = parts.next()?;
    if instance == own_instance {
        return None;
    }
    let change = match kind {
        "content" => Change::Content,
        "presence" => Change::Presence,
        "run" => Change::Run,
        "cursor" => return parse_cursor(rest),
        _ => return None,
    };
    Some(Heard::Change(change, PadId::new(rest)))
}

/// `<pad id>:<client id>:<revision>:<anchor>:<head>`, exactly.
fn parse_cursor(fields: &str) -> Option<Heard> {
    let mut fields = fields.split(':');
    let pad_id = PadId::new(fields.next()?);
    let client_id = fields.next()?.to_string();
    let mut number = || fields.next()?.parse::<u64>().ok();
    let (revision, anchor, head) = (number()?, number()?, number()?);
    if fields.next().is_some() || client_id.is_empty() || pad_id.as_str().is_empty() {
        return None;
    }
    let selection = Selection {
        anchor: usize::try_from(anchor).ok()?,
        head: usize::try_from(head).ok()?,
    };
    Some(Heard::Cursor(
        pad_id,
        Cursor {
            client_id,
            revision,
            selection,
        },
    ))
}

/// Upserts rows stamped with the database's own time.
async fn write_fresh(
    db: &impl ConnectionTrait,
    instance: &str,
    connected: &[Connected],
) -> Result<(), sea_orm::DbErr> {
    if connected.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert
        .into_table(pad_presence::Entity)
        .columns([
            pad_presence::Column::PadId,
            pad_presence::Column::ClientId,
            pad_presence::Column::InstanceId,
            pad_presence::Column::SeenAt,
        ])
        .on_conflict(
            OnConflict::columns([
                pad_presence::Column::PadId,
                pad_presence::Column::ClientId,
                pad_presence::Column::InstanceId,
            ])
            .update_column(pad_presence::Column::SeenAt)
            .to_owned(),
        );
    for row in connected {
        insert.values_panic([
            row.pad_id.clone().into(),
            row.client_id.clone().into(),
            instance.into(),
            Expr::current_timestamp(),
        ]);
    }
    db.execute(&insert).await?;
    Ok(())
}

/// The database's clock, `age` ago (PostgreSQL): instances agree on it whatever their own
/// clocks say.
pub fn database_now_minus(age: Duration) -> SimpleExpr {
    Expr::cust(format!(
        "CURRENT_TIMESTAMP - INTERVAL '{} seconds'",
        age.as_secs()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_name_their_instance_and_this_one_skips_its_own() {
        let payload = "content:inst-a:PAD_id-123";
        assert_eq!(
            parse(payload, "inst-b"),
            Some(Heard::Change(Change::Content, PadId::new("PAD_id-123")))
        );
        assert!(parse(payload, "inst-a").is_none());
        assert_eq!(
            parse("presence:inst-a:p", "inst-b"),
            Some(Heard::Change(Change::Presence, PadId::new("p")))
        );
        assert!(parse("gossip:inst-a:p", "inst-b").is_none());
        assert!(parse("content:inst-a", "inst-b").is_none());
    }

    #[test]
    fn a_notification_reads_back_as_it_was_sent() {
        let cluster = Cluster::new(Topology::Several);
        let (channel, payload) = cluster.notification(&PadId::new("PAD_id-123"), Change::Presence);
        assert_eq!(channel, CHANNEL);
        assert_eq!(
            parse(&payload, "another"),
            Some(Heard::Change(Change::Presence, PadId::new("PAD_id-123")))
        );
        assert!(parse(&payload, cluster.instance_id()).is_none());
    }

    #[test]
    fn a_cursor_reads_back_as_it_was_sent_and_nothing_else_does() {
        let cluster = Cluster::new(Topology::Several);
        let cursor = Cursor {
            client_id: "g0123abcd".into(),
            revision: 42,
            selection: Selection { anchor: 7, head: 3 },
        };
        let pad_id = PadId::new("PAD_id-123");
        let payload = cluster.cursor_notification(&pad_id, &cursor);
        assert_eq!(
            parse(&payload, "another"),
            Some(Heard::Cursor(pad_id.clone(), cursor.clone()))
        );
        assert!(parse(&payload, cluster.instance_id()).is_none());
        // Fields missing, extra (an id with a colon), or not numbers are not read at all.
        for unreadable in [
            "cursor:i:pad:client:1:2",
            "cursor:i:pad:cli:ent:1:2:3",
            "cursor:i:pad:client:1:2:3:4",
            "cursor:i:pad:client:one:2:3",
            "cursor:i:pad:client:1:-2:3",
            "cursor:i::client:1:2:3",
            "cursor:i:pad::1:2:3",
        ] {
            assert_eq!(parse(unreadable, "another"), None, "{unreadable}");
        }
        // Well below what a notification may carry (8000 bytes).
        let longest = Cursor {
            client_id: "m".repeat(33),
            revision: u64::MAX,
            selection: Selection::caret(usize::MAX),
        };
        assert!(cluster.cursor_notification(&pad_id, &longest).len() < 200);
    }
}
