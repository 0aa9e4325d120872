//! Others' carets and selections in the live editor: kept in this page's text, moved through
//! every edit (this page's and the server's), and cut into the pieces the cursor layer draws.
//! The layer lies over the highlighted text in the same font, its text transparent, so a caret
//! drawn between two pieces stands exactly between those characters. It is written as HTML
//! text (escaped here) rather than built as views: a fraction of the wasm.

use ::api::Participant;
use ::api::ot::{Operation, Selection};

/// Someone else's caret and selection, in this page's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteCursor {
    pub client_id: String,
    pub at: Selection,
}

/// Everyone else's cursor this page knows, in the order they first moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteCursors(Vec<RemoteCursor>);

impl RemoteCursors {
    pub fn all(&self) -> &[RemoteCursor] {
        &self.0
    }

    pub fn set(&mut self, client_id: &str, at: Selection) {
        match self.0.iter_mut().find(|c| c.client_id == client_id) {
            Some(cursor) => cursor.at = at,
            None => self.0.push(RemoteCursor {
                client_id: client_id.to_string(),
                at,
            }),
        }
    }

    /// Moves them past an edit: `author`'s own caret goes after what they typed (None: typed
    /// here, where everyone else's stays before it).
    pub fn transform(&mut self, op: &Operation, author: Option<&str>) {
        for cursor in &mut self.0 {
            cursor.at = cursor
                .at
                .transform(op, author == Some(cursor.client_id.as_str()));
        }
    }

    /// Drops the cursors of those no longer connected.
    pub fn keep_online(&mut self, participants: &[Participant]) {
        self.0.retain(|cursor| {
            participants
                .iter()
                .any(|p| p.online && p.client_id == cursor.client_id)
        });
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// A piece of the cursor layer; `usize`s index the cursors given to [`pieces`].
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    /// Text inside that cursor's selection (the newest of overlapping ones).
    Selected(&'a str, usize),
    /// That cursor's caret, here; `first_line` puts its name label below instead of above.
    Caret {
        who: usize,
        first_line: bool,
    },
}

/// `text` cut at every caret and selection edge.
pub fn pieces<'a>(text: &'a str, cursors: &[RemoteCursor]) -> Vec<Piece<'a>> {
    let len = text.chars().count();
    let clamp = |at: Selection| {
        let (start, end) = at.range();
        (start.min(len), end.min(len), at.head.min(len))
    };
    let mut cuts: Vec<usize> = vec![0, len];
    for cursor in cursors {
        let (start, end, head) = clamp(cursor.at);
        cuts.extend([start, end, head]);
    }
    cuts.sort_unstable();
    cuts.dedup();
    // Byte offsets of the cuts, in one walk through the text.
    let mut bytes = Vec::with_capacity(cuts.len());
    let mut offsets = text.char_indices().map(|(i, _)| i).chain([text.len()]);
    let mut at = 0;
    for &cut in &cuts {
        bytes.push(offsets.nth(cut - at).expect("a cut within the text"));
        at = cut + 1;
    }
    let first_line_ends = text.find('\n').unwrap_or(text.len());
    let mut out = Vec::new();
    for (i, &cut) in cuts.iter().enumerate() {
        for (who, cursor) in cursors.iter().enumerate() {
            if clamp(cursor.at).2 == cut {
                let first_line = bytes[i] <= first_line_ends;
                out.push(Piece::Caret { who, first_line });
            }
        }
        let Some(&next) = cuts.get(i + 1) else { break };
        let piece = &text[bytes[i]..bytes[i + 1]];
        let covering = cursors.iter().rposition(|cursor| {
            let (start, end, _) = clamp(cursor.at);
            start <= cut && next <= end
        });
        match (covering, out.last_mut()) {
            (Some(who), _) => out.push(Piece::Selected(piece, who)),
            // Cut at someone's empty selection edge only: one piece of plain text.
            (None, Some(Piece::Text(before))) => {
                let from = bytes[i] - before.len();
                *before = &text[from..bytes[i + 1]];
            }
            (None, _) => out.push(Piece::Text(piece)),
        }
    }
    out
}

/// The tint of a selection in `color` (a `#rrggbb` participant colour).
pub fn selection_tint(color: &str) -> String {
    format!("{color}33")
}

/// The cursor layer's HTML: `text` with each cursor whose owner is in `participants` drawn
/// in their colour, a caret with their name and their selection tinted.
pub fn layer_html(text: &str, cursors: &[RemoteCursor], participants: &[Participant]) -> String {
    let owner = |who: usize| {
        participants
            .iter()
            .find(|p| p.client_id == cursors[who].client_id)
    };
    // Nobody else's caret: no copy of the text either.
    if cursors.is_empty() {
        return String::new();
    }
    let mut html = String::with_capacity(text.len() + 200);
    for piece in pieces(text, cursors) {
        match piece {
            Piece::Text(text) => escape_into(&mut html, text),
            Piece::Selected(text, who) => match owner(who) {
                Some(p) => {
                    html.push_str("<span style=\"background-color:");
                    escape_into(&mut html, &selection_tint(&p.color));
                    html.push_str("\">");
                    escape_into(&mut html, text);
                    html.push_str("</span>");
                }
                None => escape_into(&mut html, text),
            },
            Piece::Caret { who, first_line } => {
                let Some(p) = owner(who) else { continue };
                html.push_str("<span class=\"remote-caret\" data-testid=\"remote-caret\" style=\"border-color:");
                escape_into(&mut html, &p.color);
                html.push_str(if first_line {
                    "\"><span class=\"remote-name below\" style=\"background-color:"
                } else {
                    "\"><span class=\"remote-name\" style=\"background-color:"
                });
                escape_into(&mut html, &p.color);
                html.push_str("\">");
                escape_into(&mut html, &p.name);
                html.push_str("</span></span>");
            }
        }
    }
    html
}

/// Appends `text` to `html` with the characters that mean markup escaped (every quote too, so
/// that it is safe in an attribute value).
pub(super) fn escape_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(client_id: &str, anchor: usize, head: usize) -> RemoteCursor {
        RemoteCursor {
            client_id: client_id.into(),
            at: Selection { anchor, head },
        }
    }

    #[test]
    fn a_caret_and_a_selection_cut_the_text_where_they_stand() {
        let text = "fn main() {\n    ü = 1;\n}";
        let cursors = [cursor("ada", 3, 3), cursor("bob", 20, 16)];
        assert_eq!(
            pieces(text, &cursors),
            [
                Piece::Text("fn "),
                Piece::Caret {
                    who: 0,
                    first_line: true
                },
                Piece::Text("main() {\n    "),
                Piece::Caret {
                    who: 1,
                    first_line: false
                },
                Piece::Selected("ü = ", 1),
                Piece::Text("1;\n}"),
            ]
        );
        // Overlapping selections: the newer one's colour; the text is all there.
        let overlapping = [cursor("ada", 0, 6), cursor("bob", 3, 9)];
        let joined: String = pieces(text, &overlapping)
            .iter()
            .map(|piece| match piece {
                Piece::Text(t) | Piece::Selected(t, _) => *t,
                Piece::Caret { .. } => "|",
            })
            .collect();
        assert_eq!(joined, "fn mai|n()| {\n    ü = 1;\n}");
        assert!(pieces(text, &overlapping).contains(&Piece::Selected("fn ", 0)));
        assert!(pieces(text, &overlapping).contains(&Piece::Selected("mai", 1)));
        // Beyond the end (a moment out of step): at the end.
        assert_eq!(
            pieces("ab", &[cursor("ada", 9, 9)]),
            [
                Piece::Text("ab"),
                Piece::Caret {
                    who: 0,
                    first_line: true
                }
            ]
        );
        assert!(pieces("", &[]).is_empty());
    }

    #[test]
    fn the_layer_escapes_the_text_and_the_names() {
        let participants = [Participant {
            client_id: "ada".into(),
            name: "<b>Ada</b> & \"co\"".into(),
            color: "#2563eb".into(),
            online: true,
        }];
        let html = layer_html(
            "if a<b:\n  x",
            &[cursor("ada", 3, 5), cursor("gone", 0, 0)],
            &participants,
        );
        assert_eq!(
            html,
            "if <span style=\"background-color:#2563eb33\">a&lt;</span>\
             <span class=\"remote-caret\" data-testid=\"remote-caret\" style=\"border-color:#2563eb\">\
             <span class=\"remote-name below\" style=\"background-color:#2563eb\">\
             &lt;b&gt;Ada&lt;/b&gt; &amp; &quot;co&quot;</span></span>b:\n  x"
        );
    }

    #[test]
    fn cursors_move_with_edits_and_leave_with_their_participant() {
        let mut cursors = RemoteCursors::default();
        cursors.set("ada", Selection::caret(2));
        cursors.set("bob", Selection { anchor: 0, head: 2 });
        cursors.set("ada", Selection::caret(1));
        let typed_at_1 = Operation::new().retain(1).insert("xy").retain(2);
        // Typed here: Ada's caret stays before it, Bob's selection takes it in.
        let mut here = cursors.clone();
        here.transform(&typed_at_1, None);
        assert_eq!(here.all()[0].at, Selection::caret(1));
        assert_eq!(here.all()[1].at, Selection { anchor: 0, head: 4 });
        // Typed by Ada: her caret goes after it.
        cursors.transform(&typed_at_1, Some("ada"));
        assert_eq!(cursors.all()[0].at, Selection::caret(3));
        let online = |client_id: &str, online| Participant {
            client_id: client_id.into(),
            name: client_id.into(),
            color: "#2563eb".into(),
            online,
        };
        cursors.keep_online(&[online("ada", false), online("bob", true)]);
        assert_eq!(cursors.all().len(), 1);
        assert_eq!(cursors.all()[0].client_id, "bob");
        assert_eq!(selection_tint("#2563eb"), "#2563eb33");
    }
}
