//! Operational transformation for the pad's text: the server orders operations, clients
//! transform what they have not had acknowledged against what the server sent them.
//!
//! An operation walks the whole text: retain `n` characters, insert a string, or delete `n`
//! characters (ot.js's model). On the wire it is a JSON array: a positive number retains, a
//! negative one deletes, a string inserts. Lengths count Unicode scalar values (`char`s).
//!
//! Our own rather than the `operational-transform` crate: that one has the operations but no
//! client state machine (in-flight edit, buffer, acknowledgements), and this module is what
//! the server and the wasm console must agree on to the letter, so it stays small and fuzzed.

use std::collections::VecDeque;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Component {
    Retain(usize),
    Insert(String),
    Delete(usize),
}

/// Why an operation cannot apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtError {
    /// The operation expects a text of another length (made for another revision, or reaching
    /// past the end).
    LengthMismatch { expected: usize, actual: usize },
    /// Zero-length components, or an empty operation array that is not the empty text's.
    Malformed(&'static str),
}

impl std::fmt::Display for OtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OtError::LengthMismatch { expected, actual } => write!(
                f,
                "the operation covers {expected} characters but the text has {actual}"
            ),
            OtError::Malformed(why) => write!(f, "malformed operation: {why}"),
        }
    }
}

/// A text operation. Build with [`Operation::retain`], [`Operation::insert`] and
/// [`Operation::delete`]; adjacent components of one kind merge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operation {
    components: Vec<Component>,
    base_len: usize,
    target_len: usize,
}

impl Operation {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// The length of the text it applies to.
    pub fn base_len(&self) -> usize {
        self.base_len
    }

    /// The length of the text it produces.
    pub fn target_len(&self) -> usize {
        self.target_len
    }

    /// Changes nothing.
    pub fn is_noop(&self) -> bool {
        self.components
            .iter()
            .all(|c| matches!(c, Component::Retain(_)))
    }

    pub fn retain(mut self, n: usize) -> Self {
        self.push_retain(n);
        self
    }

    pub fn insert(mut self, text: &str) -> Self {
        self.push_insert(text);
        self
    }

    pub fn delete(mut self, n: usize) -> Self {
        self.push_delete(n);
        self
    }

    fn push_retain(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.base_len += n;
        self.target_len += n;
        if let Some(Component::Retain(last)) = self.components.last_mut() {
            *last += n;
        } else {
            self.components.push(Component::Retain(n));
        }
    }

    fn push_insert(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.target_len += text.chars().count();
        // Inserts go before deletes at the same place, so equal edits look the same.
        match self.components.as_mut_slice() {
            [.., Component::Insert(last)] => last.push_str(text),
            [.., Component::Insert(before), Component::Delete(_)] => before.push_str(text),
            [.., Component::Delete(_)] => {
                let at = self.components.len() - 1;
                self.components.insert(at, Component::Insert(text.into()));
            }
            _ => self.components.push(Component::Insert(text.into())),
        }
    }

    fn push_delete(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.base_len += n;
        if let Some(Component::Delete(last)) = self.components.last_mut() {
            *last += n;
        } else {
            self.components.push(Component::Delete(n));
        }
    }

    /// The text after this operation.
    pub fn apply(&self, text: &str) -> Result<String, OtError> {
        self.apply_to(text.chars(), text.chars().count(), |c| c)
    }

    /// Applies the operation to `len` characters carrying something more (playback keeps each
    /// character's author); `item` makes an inserted character into one.
    pub fn apply_to<T, Out: Default + Extend<T>>(
        &self,
        items: impl IntoIterator<Item = T>,
        len: usize,
        mut item: impl FnMut(char) -> T,
    ) -> Result<Out, OtError> {
        if len != self.base_len {
            return Err(OtError::LengthMismatch {
                expected: self.base_len,
                actual: len,
            });
        }
        let mut out = Out::default();
        let mut items = items.into_iter();
        for component in &self.components {
            match component {
                Component::Retain(n) => out.extend(items.by_ref().take(*n)),
                Component::Insert(s) => out.extend(s.chars().map(&mut item)),
                Component::Delete(n) => items.by_ref().take(*n).for_each(drop),
            }
        }
        Ok(out)
    }

    /// The smallest operation turning `old` into `new`: one changed region between the common
    /// prefix and suffix (what one keystroke, paste or cut in an editor produces).
    pub fn diff(old: &str, new: &str) -> Operation {
        let old: Vec<char> = old.chars().collect();
        let new: Vec<char> = new.chars().collect();
        let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
        let max_suffix = old.len().min(new.len()) - prefix;
        let suffix = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(max_suffix)
            .take_while(|(a, b)| a == b)
            .count();
        let inserted: String = new[prefix..new.len() - suffix].iter().collect();
        Operation::new()
            .retain(prefix)
            .delete(old.len() - prefix - suffix)
            .insert(&inserted)
            .retain(suffix)
    }

    /// Where a caret at `index` (in characters) moves to after this operation. A caret at an
    /// insertion point stays before the inserted text unless `after_inserts`.
    pub fn transform_index(&self, index: usize, after_inserts: bool) -> usize {
        let mut old_pos = 0;
        let mut new_index = index;
        for component in &self.components {
            if old_pos > index {
                break;
            }
            match component {
                Component::Retain(n) => old_pos += n,
                Component::Insert(s) => {
                    if old_pos < index || after_inserts {
                        new_index += s.chars().count();
                    }
                }
                Component::Delete(n) => {
                    new_index -= (*n).min(index - old_pos.min(index));
                    old_pos += n;
                }
            }
        }
        new_index
    }
}

/// A participant's selection in a text, in characters: where it started (`anchor`) and where
/// the caret is (`head`). Equal, it is a plain caret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selection {
    pub anchor: usize,
    pub head: usize,
}

impl Selection {
    pub fn caret(at: usize) -> Self {
        Self {
            anchor: at,
            head: at,
        }
    }

    /// The selected range, start first.
    pub fn range(self) -> (usize, usize) {
        (self.anchor.min(self.head), self.anchor.max(self.head))
    }

    /// Where it stands after `op`. `own` says the selection's owner made `op`: their caret goes
    /// after what they typed. Anyone else's caret stays before text inserted at it, and a
    /// selection does not grow to take in text inserted at either edge.
    pub fn transform(self, op: &Operation, own: bool) -> Selection {
        if self.anchor == self.head {
            return Selection::caret(op.transform_index(self.head, own));
        }
        let (start, _) = self.range();
        let edge = |at: usize| op.transform_index(at, at == start);
        Selection {
            anchor: edge(self.anchor),
            head: edge(self.head),
        }
    }
}

/// Transforms two operations made on the same text: returns `(a', b')` such that applying
/// `a` then `b'` gives the same text as `b` then `a'`. At the same position, `a`'s insert goes
/// first: pass the operation the server ordered earlier as `a`.
pub fn transform(a: &Operation, b: &Operation) -> Result<(Operation, Operation), OtError> {
    if a.base_len != b.base_len {
        return Err(OtError::LengthMismatch {
            expected: a.base_len,
            actual: b.base_len,
        });
    }
    let mut a_prime = Operation::new();
    let mut b_prime = Operation::new();
    let mut ia = a.components.iter().cloned();
    let mut ib = b.components.iter().cloned();
    let mut ca = ia.next();
    let mut cb = ib.next();
    loop {
        match (&ca, &cb) {
            (None, None) => break,
            (Some(Component::Insert(s)), _) => {
                b_prime.push_retain(s.chars().count());
                a_prime.push_insert(s);
                ca = ia.next();
            }
            (_, Some(Component::Insert(s))) => {
                a_prime.push_retain(s.chars().count());
                b_prime.push_insert(s);
                cb = ib.next();
            }
            (Some(x), Some(y)) => {
                let (lx, ly) = (component_len(x), component_len(y));
                let m = lx.min(ly);
                match (x, y) {
                    (Component::Retain(_), Component::Retain(_)) => {
                        a_prime.push_retain(m);
                        b_prime.push_retain(m);
                    }
                    (Component::Delete(_), Component::Delete(_)) => {}
                    (Component::Delete(_), Component::Retain(_)) => a_prime.push_delete(m),
                    (Component::Retain(_), Component::Delete(_)) => b_prime.push_delete(m),
                    _ => unreachable!("inserts are handled above"),
                }
                ca = shorten(x, m).or_else(|| ia.next());
                cb = shorten(y, m).or_else(|| ib.next());
            }
            _ => return Err(OtError::Malformed("operations of different lengths")),
        }
    }
    Ok((a_prime, b_prime))
}

fn component_len(c: &Component) -> usize {
    match c {
        Component::Retain(n) | Component::Delete(n) => *n,
        Component::Insert(s) => s.chars().count(),
    }
}

/// What is left of a retain or delete after `by` of it was consumed.
fn shorten(c: &Component, by: usize) -> Option<Component> {
    match c {
        Component::Retain(n) if *n > by => Some(Component::Retain(n - by)),
        Component::Delete(n) if *n > by => Some(Component::Delete(n - by)),
        _ => None,
    }
}

impl Serialize for Operation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.components.len()))?;
        for component in &self.components {
            match component {
                Component::Retain(n) => seq.serialize_element(&(*n as i64))?,
                Component::Insert(s) => seq.serialize_element(s)?,
                Component::Delete(n) => seq.serialize_element(&-(*n as i64))?,
            }
        }
        seq.end()
    }
}

/// On the wire an operation is a JSON array (see the module's doc), which its schema says.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Operation {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let count = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some(
                "Positive: retain this many characters; negative: delete this many (never 0).",
            ));
        let insert = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .description(Some("Insert this text."));
        ArrayBuilder::new()
            .items(OneOfBuilder::new().item(count).item(insert))
            .description(Some(
                "A text operation walking the whole text at its base revision: e.g. \
                 `[5, \"abc\", -2, 10]` keeps 5 characters, inserts `abc`, deletes 2 and keeps \
                 10. Lengths count Unicode scalar values.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Operation {}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireComponent {
    Number(i64),
    Text(String),
}

/// No operation covers or produces more characters than this: far above any pad's limit, and
/// far below where length arithmetic could overflow.
pub const MAX_OPERATION_LEN: usize = 100_000_000;

impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let wire = Vec::<WireComponent>::deserialize(deserializer)?;
        let mut op = Operation::new();
        for component in wire {
            match component {
                WireComponent::Number(0) => return Err(Error::custom("a component of length 0")),
                WireComponent::Number(n) if n.unsigned_abs() > MAX_OPERATION_LEN as u64 => {
                    return Err(Error::custom("a component longer than any text"));
                }
                WireComponent::Number(n) if n > 0 => op.push_retain(n as usize),
                WireComponent::Number(n) => op.push_delete(n.unsigned_abs() as usize),
                WireComponent::Text(s) if s.is_empty() => {
                    return Err(Error::custom("an empty insert"));
                }
                WireComponent::Text(s) => op.push_insert(&s),
            }
            if op.base_len > MAX_OPERATION_LEN || op.target_len > MAX_OPERATION_LEN {
                return Err(Error::custom("an operation longer than any text"));
            }
        }
        Ok(op)
    }
}

/// A client's copy of the document: the text as its editor shows it, the last revision the
/// server confirmed, the one operation awaiting the server's acknowledgement and the edits
/// made since (sent one at a time, so that each is based on a revision the server knows).
#[derive(Debug, Clone, Default)]
pub struct ClientDoc {
    pub text: String,
    pub revision: u64,
    in_flight: Option<(u64, Operation)>,
    waiting: VecDeque<Operation>,
    next_seq: u64,
}

/// An operation for the server: `seq` numbers the client's operations, so that one resent
/// after a reconnect is recognised if the server already has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub revision: u64,
    pub seq: u64,
    pub op: Operation,
}

impl ClientDoc {
    pub fn new(text: String, revision: u64) -> Self {
        Self {
            text,
            revision,
            ..Self::default()
        }
    }

    /// Continues numbering after what a previous connection of the same client sent.
    pub fn with_next_seq(mut self, next_seq: u64) -> Self {
        self.next_seq = next_seq;
        self
    }

    /// The editor now shows `new_text`. Returns what to send, if the server is not busy with
    /// an earlier edit.
    pub fn edit(&mut self, new_text: &str) -> Option<Outgoing> {
        self.edit_made(new_text).1
    }

    /// Like [`ClientDoc::edit`], also returning the edit as made on the text shown before
    /// (to move others' carets with).
    pub fn edit_made(&mut self, new_text: &str) -> (Operation, Option<Outgoing>) {
        let op = Operation::diff(&self.text, new_text);
        if op.is_noop() {
            return (op, None);
        }
        self.text = new_text.to_string();
        self.waiting.push_back(op.clone());
        (op, self.next_to_send())
    }

    /// Where a selection made in this text lies on a revision the server knows: only while
    /// every edit made here is stored (the server cannot place a position in text it has not
    /// seen yet). Sent as a `cursor` message.
    pub fn selection_for_server(&self, selection: Selection) -> Option<(u64, Selection)> {
        let len = self.text.chars().count();
        (self.is_synchronized() && selection.range().1 <= len).then_some((self.revision, selection))
    }

    /// Where someone else's selection, placed by the server on `revision`, lies in this text:
    /// past the edits made here and not yet stored. None unless `revision` is the one this
    /// client is at (messages come in order, so an older one is from before a resync).
    pub fn selection_from_server(&self, revision: u64, selection: Selection) -> Option<Selection> {
        if revision != self.revision {
            return None;
        }
        let mine = self.in_flight.iter().map(|(_, op)| op).chain(&self.waiting);
        let moved = mine.fold(selection, |at, op| at.transform(op, false));
        let len = self.text.chars().count();
        (moved.range().1 <= len).then_some(moved)
    }

    fn next_to_send(&mut self) -> Option<Outgoing> {
        if self.in_flight.is_some() {
            return None;
        }
        // An edit that others' edits made empty (both deleted the same text) is not sent: the
        // server refuses edits that change nothing.
        let op = std::iter::from_fn(|| self.waiting.pop_front()).find(|op| !op.is_noop())?;
        self.next_seq += 1;
        self.in_flight = Some((self.next_seq, op.clone()));
        Some(Outgoing {
            revision: self.revision,
            seq: self.next_seq,
            op,
        })
    }

    /// The operation sent and not yet acknowledged (to send again after a reconnect).
    pub fn unacknowledged(&self) -> Option<Outgoing> {
        self.in_flight.as_ref().map(|(seq, op)| Outgoing {
            revision: self.revision,
            seq: *seq,
            op: op.clone(),
        })
    }

    /// Whether an edit not yet stored would change the text (one that others' edits made
    /// empty changes nothing, and dropping it loses nothing).
    pub fn has_unsent_changes(&self) -> bool {
        self.in_flight
            .iter()
            .map(|(_, op)| op)
            .chain(&self.waiting)
            .any(|op| !op.is_noop())
    }

    pub fn is_synchronized(&self) -> bool {
        self.in_flight.is_none() && self.waiting.is_empty()
    }

    /// The server stored our operation as `revision`. Returns the next one to send.
    pub fn acknowledge(&mut self, seq: u64, revision: u64) -> Option<Outgoing> {
        if self.in_flight.as_ref().is_some_and(|(s, _)| *s == seq) {
            self.in_flight = None;
            self.revision = revision;
        }
        self.next_to_send()
    }

    /// Someone else's operation, as the server ordered it at `revision`: transformed past
    /// our unacknowledged edits and applied. Returns the operation as applied to our text
    /// (to move carets with).
    pub fn receive(&mut self, revision: u64, op: &Operation) -> Result<Operation, OtError> {
        let mut remote = op.clone();
        if let Some((_, in_flight)) = &mut self.in_flight {
            let (r, mine) = transform(&remote, in_flight)?;
            *in_flight = mine;
            remote = r;
        }
        for waiting in self.waiting.iter_mut() {
            let (r, mine) = transform(&remote, waiting)?;
            *waiting = mine;
            remote = r;
        }
        self.text = remote.apply(&self.text)?;
        self.revision = revision;
        Ok(remote)
    }
}

/// What an edit broadcast by the server meant for this client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOpEffect {
    /// Already part of our text (the welcome covered it).
    Known,
    /// Our own edit, acknowledged; `next` is the edit to send now, if any.
    Acknowledged { next: Option<Outgoing> },
    /// Someone else's edit, applied to our text as `applied`.
    Applied { applied: Operation },
}

impl ClientDoc {
    /// Handles an `op` message: revisions come in order; an older one is known already, a
    /// gap means messages were lost (reconnect and ask again).
    pub fn on_server_op(
        &mut self,
        my_client_id: &str,
        revision: u64,
        author: &str,
        seq: u64,
        op: &Operation,
    ) -> Result<ServerOpEffect, OtError> {
        if revision <= self.revision {
            return Ok(ServerOpEffect::Known);
        }
        if revision != self.revision + 1 {
            return Err(OtError::Malformed("a revision was skipped"));
        }
        if author == my_client_id && self.in_flight.as_ref().is_some_and(|(s, _)| *s == seq) {
            return Ok(ServerOpEffect::Acknowledged {
                next: self.acknowledge(seq, revision),
            });
        }
        Ok(ServerOpEffect::Applied {
            applied: self.receive(revision, op)?,
        })
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_edit_emptied_by_others_is_never_sent() {
        let mut doc = ClientDoc::new("abc".into(), 0);
        let first = doc.edit("abcd").expect("sent");
        // Waiting behind it: deleting "b", which someone else deletes first.
        assert!(doc.edit("acd").is_none());
        doc.on_server_op(
            "me",
            1,
            "other",
            1,
            &Operation::new().retain(1).delete(1).retain(1),
        )
        .unwrap();
        assert_eq!(doc.text, "acd");
        let next = doc
            .on_server_op("me", 2, "me", first.seq, &first.op)
            .unwrap();
        assert_eq!(next, ServerOpEffect::Acknowledged { next: None });
        assert!(doc.is_synchronized());
    }

    use super::*;

    #[test]
    fn operations_apply_and_round_trip_through_json() {
        let op = Operation::new().retain(2).insert("é!").delete(1).retain(1);
        assert_eq!(op.apply("abcd").unwrap(), "abé!d");
        let json = serde_json_string(&op);
        assert_eq!(json, r#"[2,"é!",-1,1]"#);
        let back: Operation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, op);
        assert!(serde_json::from_str::<Operation>("[0]").is_err());
        // Counts that would overflow the length arithmetic are refused outright.
        let huge = format!("[{0},{0},\"x\",3]", i64::MAX);
        assert!(serde_json::from_str::<Operation>(&huge).is_err());
        assert!(serde_json::from_str::<Operation>("[99999999,99999999]").is_err());
        assert!(serde_json::from_str::<Operation>(r#"[""]"#).is_err());
        assert!(matches!(
            op.apply("abcdef"),
            Err(OtError::LengthMismatch { .. })
        ));
    }

    fn serde_json_string(op: &Operation) -> String {
        serde_json::to_string(op).unwrap()
    }

    #[test]
    fn diff_finds_the_one_changed_region() {
        for (old, new) in [
            ("hello", "help"),
            ("", "abc"),
            ("abc", ""),
            ("aaa", "aaaa"),
            ("x = 1", "x = 12"),
            ("ünï", "üñï"),
        ] {
            let op = Operation::diff(old, new);
            assert_eq!(op.apply(old).unwrap(), new, "{old:?} -> {new:?}");
        }
        assert!(Operation::diff("same", "same").is_noop());
    }

    #[test]
    fn concurrent_inserts_at_one_place_order_the_earlier_first() {
        let a = Operation::new().retain(1).insert("A").retain(1);
        let b = Operation::new().retain(1).insert("B").retain(1);
        let (a2, b2) = transform(&a, &b).unwrap();
        let via_a = b2.apply(&a.apply("xy").unwrap()).unwrap();
        let via_b = a2.apply(&b.apply("xy").unwrap()).unwrap();
        assert_eq!(via_a, "xABy");
        assert_eq!(via_a, via_b);
    }

    #[test]
    fn a_caret_moves_with_inserts_before_it_and_not_after() {
        let at_3 = Selection::caret(3);
        let before = Operation::new().retain(1).insert("xy").retain(4);
        assert_eq!(at_3.transform(&before, false), Selection::caret(5));
        let after = Operation::new().retain(4).insert("xy").retain(1);
        assert_eq!(at_3.transform(&after, false), Selection::caret(3));
        // At the caret: someone else's typing stays after it, the owner's own goes before.
        let at_caret = Operation::new().retain(3).insert("xy").retain(2);
        assert_eq!(at_3.transform(&at_caret, false), Selection::caret(3));
        assert_eq!(at_3.transform(&at_caret, true), Selection::caret(5));
        // Deleted around: it stays where the deleted text was.
        let around = Operation::new().retain(2).delete(2).retain(1);
        assert_eq!(at_3.transform(&around, false), Selection::caret(2));
    }

    #[test]
    fn a_selection_keeps_its_text_through_edits() {
        // "hello world", "world" selected backwards (caret at its start).
        let world = Selection {
            anchor: 11,
            head: 6,
        };
        let text = "hello world";
        let shown = |sel: Selection, text: &str| -> String {
            let (start, end) = sel.range();
            text.chars().skip(start).take(end - start).collect()
        };
        // Text inserted at either edge stays outside it.
        for op in [
            Operation::new().retain(6).insert("big ").retain(5),
            Operation::new().retain(11).insert("!"),
            Operation::new().insert(">> ").retain(11),
        ] {
            let moved = world.transform(&op, false);
            assert_eq!(shown(moved, &op.apply(text).unwrap()), "world", "{op:?}");
            assert!(moved.head < moved.anchor, "the direction is kept");
        }
        // Inside it, it grows.
        let inside = Operation::new().retain(8).insert("RR").retain(3);
        let moved = world.transform(&inside, false);
        assert_eq!(shown(moved, &inside.apply(text).unwrap()), "woRRrld");
        // A delete spanning its start takes what it covered; one spanning all of it leaves a
        // caret where it was.
        let spanning = Operation::new().retain(4).delete(4).retain(3);
        let moved = world.transform(&spanning, false);
        assert_eq!(moved, Selection { anchor: 7, head: 4 });
        assert_eq!(shown(moved, &spanning.apply(text).unwrap()), "rld");
        let all = Operation::new().retain(5).delete(6);
        assert_eq!(world.transform(&all, false), Selection::caret(5));
    }

    #[test]
    fn selections_cross_between_a_client_and_the_server() {
        let mut doc = ClientDoc::new("abcdef".into(), 4);
        let mine = Selection { anchor: 1, head: 3 };
        assert_eq!(doc.selection_for_server(mine), Some((4, mine)));
        assert_eq!(doc.selection_for_server(Selection::caret(7)), None);
        // Typing not yet stored: the server could not place it.
        doc.edit("XYabcdef").expect("sent");
        assert_eq!(doc.selection_for_server(mine), None);
        // Someone else's caret at "d" on revision 4 is at "d" here too, past the typing.
        let theirs = Selection::caret(3);
        assert_eq!(
            doc.selection_from_server(4, theirs),
            Some(Selection::caret(5))
        );
        assert_eq!(
            doc.selection_from_server(3, theirs),
            None,
            "another revision"
        );
        assert_eq!(doc.selection_from_server(4, Selection::caret(7)), None);
    }

    #[test]
    fn carets_follow_edits() {
        let op = Operation::new().retain(2).insert("abc").delete(2).retain(3);
        assert_eq!(op.transform_index(1, false), 1);
        assert_eq!(op.transform_index(2, false), 2);
        assert_eq!(op.transform_index(2, true), 5);
        assert_eq!(op.transform_index(3, false), 5, "inside the deleted part");
        assert_eq!(op.transform_index(5, false), 6);
    }

    /// A tiny deterministic generator, so failures reproduce from the seed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn random_edit(rng: &mut Rng, text: &str) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        let at = rng.below(chars.len() + 1);
        if !chars.is_empty() && rng.below(3) == 0 {
            let n = 1 + rng.below((chars.len() - at).clamp(1, 4));
            let end = (at + n).min(chars.len());
            chars.drain(at..end);
        } else {
            let pieces = ["a", "bc", "\n", "ü", "  ", "fn "];
            let piece = pieces[rng.below(pieces.len())];
            for (i, c) in piece.chars().enumerate() {
                chars.insert(at + i, c);
            }
        }
        chars.into_iter().collect()
    }

    /// The server's side, as the real one does it: transform past what came since the base.
    fn server_accept(history: &mut Vec<Operation>, text: &mut String, out: &Outgoing) -> Operation {
        let mut op = out.op.clone();
        for earlier in &history[out.revision as usize..] {
            op = transform(earlier, &op).unwrap().1;
        }
        *text = op.apply(text).unwrap();
        history.push(op.clone());
        op
    }

    #[test]
    fn three_clients_editing_at_random_converge() {
        for seed in 1..=300u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut server_text = String::from("start\n");
            let mut history: Vec<Operation> = Vec::new();
            let mut clients: Vec<ClientDoc> = (0..3)
                .map(|_| ClientDoc::new(server_text.clone(), 0))
                .collect();
            // Messages on the way: to the server (client, op) and to each client.
            let mut to_server: VecDeque<(usize, Outgoing)> = VecDeque::new();
            let mut to_client: Vec<VecDeque<(u64, Option<u64>, Operation)>> =
                vec![VecDeque::new(); 3];
            for _ in 0..200 {
                match rng.below(3) {
                    0 => {
                        let who = rng.below(3);
                        let edited = random_edit(&mut rng, &clients[who].text);
                        if let Some(out) = clients[who].edit(&edited) {
                            to_server.push_back((who, out));
                        }
                    }
                    1 => {
                        if let Some((who, out)) = to_server.pop_front() {
                            let op = server_accept(&mut history, &mut server_text, &out);
                            let revision = history.len() as u64;
                            for (i, queue) in to_client.iter_mut().enumerate() {
                                let ack = (i == who).then_some(out.seq);
                                queue.push_back((revision, ack, op.clone()));
                            }
                        }
                    }
                    _ => {
                        let who = rng.below(3);
                        deliver_one(&mut clients[who], &mut to_client[who], who, &mut to_server);
                    }
                }
            }
            // Drain everything.
            while !to_server.is_empty() || to_client.iter().any(|q| !q.is_empty()) {
                if let Some((who, out)) = to_server.pop_front() {
                    let op = server_accept(&mut history, &mut server_text, &out);
                    let revision = history.len() as u64;
                    for (i, queue) in to_client.iter_mut().enumerate() {
                        queue.push_back((revision, (i == who).then_some(out.seq), op.clone()));
                    }
                }
                for who in 0..3 {
                    deliver_one(&mut clients[who], &mut to_client[who], who, &mut to_server);
                }
            }
            for client in &clients {
                assert!(client.is_synchronized(), "seed {seed}");
                assert_eq!(client.text, server_text, "seed {seed}");
                assert_eq!(client.revision, history.len() as u64, "seed {seed}");
            }
        }
    }

    fn deliver_one(
        client: &mut ClientDoc,
        queue: &mut VecDeque<(u64, Option<u64>, Operation)>,
        who: usize,
        to_server: &mut VecDeque<(usize, Outgoing)>,
    ) {
        if let Some((revision, ack, op)) = queue.pop_front() {
            let next = match ack {
                Some(seq) => client.acknowledge(seq, revision),
                None => {
                    client.receive(revision, &op).unwrap();
                    None
                }
            };
            if let Some(out) = next {
                to_server.push_back((who, out));
            }
        }
    }
}
