//! Playback of a pad: the text exactly as it stood after any edit, who wrote each character,
//! and a timeline on which idle stretches are shortened so nobody watches minutes of nothing.

use crate::{HistoryOperation, PadHistory};

/// Pauses longer than this play as this long.
pub const MAX_GAP_MS: i64 = 1_500;
/// A snapshot every this many edits, so any moment is at most this many edits away.
const CHECKPOINT_EVERY: usize = 256;

/// How long an interview took, to the nearest minute, as a person says it ("under a minute",
/// "1 min", "1 h 5 min"): a 59-second session is not "0 min". Shared by the results note and
/// the playback's header.
pub fn interview_duration(seconds: i64) -> String {
    interview_duration_in(crate::i18n::Locale::En, seconds)
}

/// [`interview_duration`] in `locale` ("moins d'une minute", "1 h 5 min").
pub fn interview_duration_in(locale: crate::i18n::Locale, seconds: i64) -> String {
    let seconds = seconds.max(0);
    if seconds < 30 {
        return match locale {
            crate::i18n::Locale::En => "under a minute",
            crate::i18n::Locale::Fr => "moins d'une minute",
        }
        .into();
    }
    let minutes = (seconds + 30) / 60;
    match (minutes / 60, minutes % 60) {
        (0, minutes) => format!("{minutes} min"),
        (hours, 0) => format!("{hours} h"),
        (hours, minutes) => format!("{hours} h {minutes} min"),
    }
}

/// A stretch of an interview as a clock reads: `3:07`, `1:02:03`.
pub fn clock(ms: i64) -> String {
    let seconds = ms.max(0) / 1_000;
    let (hours, minutes, seconds) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// A character and the index (in `PadHistory::participants`) of who typed it, if known.
pub type Authored = (char, Option<u16>);

pub struct Timeline {
    operations: Vec<HistoryOperation>,
    authors: Vec<Option<u16>>,
    /// Playback time of each edit, in ms from the first.
    play_ms: Vec<i64>,
    checkpoints: Vec<Vec<Authored>>,
}

impl Timeline {
    pub fn new(history: &PadHistory) -> Self {
        let operations = history.operations.clone();
        let authors = operations
            .iter()
            .map(|op| {
                history
                    .participants
                    .iter()
                    .position(|p| p.client_id == op.client_id)
                    .map(|i| i as u16)
            })
            .collect();
        let mut play_ms = Vec::with_capacity(operations.len());
        let mut clock = 0;
        for (i, op) in operations.iter().enumerate() {
            if i > 0 {
                clock += (op.at_ms - operations[i - 1].at_ms).clamp(0, MAX_GAP_MS);
            }
            play_ms.push(clock);
        }
        let mut timeline = Self {
            operations,
            authors,
            play_ms,
            checkpoints: vec![Vec::new()],
        };
        let mut text = Vec::new();
        for index in 0..timeline.operations.len() {
            timeline.apply(&mut text, index);
            if (index + 1) % CHECKPOINT_EVERY == 0 {
                timeline.checkpoints.push(text.clone());
            }
        }
        timeline
    }

    /// How many edits there are: revisions run from 0 (empty) to this.
    pub fn revisions(&self) -> usize {
        self.operations.len()
    }

    /// The playback length in ms.
    pub fn duration_ms(&self) -> i64 {
        self.play_ms.last().copied().unwrap_or(0)
    }

    /// The revision showing at playback time `ms`: every edit at or before it applied.
    pub fn revision_at(&self, ms: i64) -> usize {
        self.play_ms.partition_point(|t| *t <= ms)
    }

    /// When revision `revision` (≥ 1) appears, in playback ms.
    pub fn play_ms_of(&self, revision: usize) -> i64 {
        revision
            .checked_sub(1)
            .and_then(|i| self.play_ms.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// The wall-clock time of revision `revision` (≥ 1), in ms since the Unix epoch.
    pub fn at_ms_of(&self, revision: usize) -> Option<i64> {
        revision
            .checked_sub(1)
            .and_then(|i| self.operations.get(i))
            .map(|op| op.at_ms)
    }

    /// The text after `revision` edits, each character with its author.
    pub fn authored_at(&self, revision: usize) -> Vec<Authored> {
        let revision = revision.min(self.operations.len());
        let checkpoint = (revision / CHECKPOINT_EVERY).min(self.checkpoints.len() - 1);
        let mut text = self.checkpoints[checkpoint].clone();
        for index in checkpoint * CHECKPOINT_EVERY..revision {
            self.apply(&mut text, index);
        }
        text
    }

    pub fn text_at(&self, revision: usize) -> String {
        self.authored_at(revision)
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    }

    fn apply(&self, text: &mut Vec<Authored>, index: usize) {
        let author = self.authors[index];
        // The history comes from the server, which stored only edits that applied.
        if let Ok(next) =
            self.operations[index]
                .op
                .apply_to(text.iter().copied(), text.len(), |c| (c, author))
        {
            *text = next;
        }
    }
}

/// Consecutive characters of one author, for colouring: (author, text).
pub fn runs(text: &[Authored]) -> Vec<(Option<u16>, String)> {
    let mut runs: Vec<(Option<u16>, String)> = Vec::new();
    for (c, author) in text {
        match runs.last_mut() {
            Some((last, run)) if last == author => run.push(*c),
            _ => runs.push((*author, c.to_string())),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Participant;
    use crate::ot::Operation;

    #[test]
    fn durations_round_to_the_nearest_minute_and_clocks_read_plainly() {
        assert_eq!(interview_duration(5), "under a minute");
        assert_eq!(interview_duration(59), "1 min");
        assert_eq!(interview_duration(61), "1 min");
        assert_eq!(interview_duration(45 * 60 + 40), "46 min");
        assert_eq!(interview_duration(3_600), "1 h");
        assert_eq!(interview_duration(65 * 60), "1 h 5 min");
        assert_eq!(interview_duration(-3), "under a minute");
        use crate::i18n::Locale::Fr;
        assert_eq!(interview_duration_in(Fr, 5), "moins d'une minute");
        assert_eq!(interview_duration_in(Fr, 65 * 60), "1 h 5 min");
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(187_400), "3:07");
        assert_eq!(clock(3_723_000), "1:02:03");
    }

    fn history(ops: Vec<(i64, &str, Operation)>) -> PadHistory {
        PadHistory {
            language: "python".into(),
            runs: vec![],
            participants: vec![
                Participant {
                    client_id: "a".into(),
                    name: "A".into(),
                    color: "#000".into(),
                    online: false,
                },
                Participant {
                    client_id: "b".into(),
                    name: "B".into(),
                    color: "#fff".into(),
                    online: false,
                },
            ],
            operations: ops
                .into_iter()
                .enumerate()
                .map(|(i, (at_ms, who, op))| HistoryOperation {
                    revision: i as u64 + 1,
                    at_ms,
                    client_id: who.into(),
                    op,
                })
                .collect(),
            final_text: String::new(),
            next_after: None,
        }
    }

    #[test]
    fn every_revision_reads_back_with_its_authors_and_gaps_are_shortened() {
        let timeline = Timeline::new(&history(vec![
            (1_000, "a", Operation::new().insert("def f")),
            (1_200, "b", Operation::new().retain(5).insert("()")),
            (
                90_000,
                "a",
                Operation::new().retain(3).delete(2).insert(" g").retain(2),
            ),
        ]));
        assert_eq!(timeline.text_at(0), "");
        assert_eq!(timeline.text_at(2), "def f()");
        assert_eq!(timeline.text_at(3), "def g()");
        assert_eq!(timeline.duration_ms(), 200 + MAX_GAP_MS);
        assert_eq!(timeline.revision_at(0), 1);
        assert_eq!(timeline.revision_at(199), 1);
        assert_eq!(timeline.revision_at(200), 2);
        assert_eq!(
            runs(&timeline.authored_at(3)),
            vec![(Some(0), "def g".to_string()), (Some(1), "()".to_string())]
        );
    }

    #[test]
    fn checkpoints_give_the_same_text_as_replaying_from_the_start() {
        let mut ops = Vec::new();
        let mut text = String::new();
        for i in 0..1_000 {
            let op = if i % 3 == 2 {
                Operation::new().delete(1).retain(text.chars().count() - 1)
            } else {
                Operation::new()
                    .retain(text.chars().count())
                    .insert(&(i % 10).to_string())
            };
            text = op.apply(&text).unwrap();
            ops.push((i as i64 * 10, "a", op));
        }
        let all = history(ops.clone());
        let timeline = Timeline::new(&all);
        let mut replayed = String::new();
        for (revision, (_, _, op)) in ops.iter().enumerate() {
            replayed = op.apply(&replayed).unwrap();
            assert_eq!(timeline.text_at(revision + 1), replayed);
        }
    }
}
