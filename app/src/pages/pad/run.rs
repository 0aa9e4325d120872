//! Running the pad's code, as the page shows it: the run on screen (the newest the server
//! announced, its output merged from the pieces that stream in) and the output pane that the
//! live pad and playback share.

use ::api::{RunId, RunOutput, RunStream, RunView};
use leptos::prelude::*;

use crate::text::run_status;

/// The run on screen, and how many runs are ahead of it in the server's queue while it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownRun {
    pub run: RunView,
    pub ahead: Option<u32>,
}

impl ShownRun {
    pub fn is_active(&self) -> bool {
        self.run.status.is_active()
    }
}

/// A `run` message arrived: it becomes the run on screen, unless it is about an older run than
/// the one shown (an ended run's last word arriving after its successor started). For the run
/// already shown, output that arrived in pieces meanwhile is kept if the message has less of it
/// (output only grows).
pub fn receive_run(shown: &mut Option<ShownRun>, run: RunView, ahead: Option<u32>) {
    match shown {
        Some(current) if current.run.id == run.id => {
            let output = if run.output.len() < current.run.output.len() {
                std::mem::take(&mut current.run.output)
            } else {
                run.output.clone()
            };
            current.run = RunView { output, ..run };
            current.ahead = ahead;
        }
        Some(current) if current.run.requested_at > run.requested_at => {}
        _ => *shown = Some(ShownRun { run, ahead }),
    }
}

/// What a `run_output` piece does to the run's output: numbered from 0, it is appended when it
/// is the next piece, skipped when the output has it already (a `run` message brought it), and
/// appended anyway after a gap (pieces can go missing between server instances; showing the
/// rest beats showing nothing). Returns whether it was appended.
pub fn merge_piece(
    output: &mut Vec<RunOutput>,
    index: u32,
    stream: RunStream,
    text: String,
) -> bool {
    if (index as usize) < output.len() {
        return false;
    }
    output.push(RunOutput { stream, text });
    true
}

/// A piece for the run on screen; pieces of any other run are dropped.
pub fn receive_piece(
    shown: &mut Option<ShownRun>,
    run_id: RunId,
    index: u32,
    stream: RunStream,
    text: String,
) -> bool {
    match shown {
        Some(current) if current.run.id == run_id => {
            merge_piece(&mut current.run.output, index, stream, text)
        }
        _ => false,
    }
}

/// Consecutive pieces of the same stream joined, so the pane has one element per stretch of
/// stdout or stderr rather than one per piece received.
pub fn stretches(output: &[RunOutput]) -> Vec<(RunStream, String)> {
    let mut out: Vec<(RunStream, String)> = Vec::new();
    for piece in output {
        match out.last_mut() {
            Some((stream, text)) if *stream == piece.stream => text.push_str(&piece.text),
            _ => out.push((piece.stream, piece.text.clone())),
        }
    }
    out
}

/// The program's output: stdout plain, stderr in its own colour and announced as such to
/// screen readers.
pub fn output_view(output: &[RunOutput]) -> impl IntoView + use<> {
    stretches(output)
        .into_iter()
        .map(|(stream, text)| {
            let label = match stream {
                RunStream::Stdout => None,
                RunStream::Stderr => Some(view! { <span class="sr-only">"Error output: "</span> }),
            };
            view! {
                <span class=stream.as_str() data-stream=stream.as_str()>{label}{text}</span>
            }
        })
        .collect_view()
}

/// The output pane: the status line (who ran it and how it stands) over the output.
#[component]
pub fn RunPane(
    #[prop(into)] shown: Signal<Option<ShownRun>>,
    /// The status line while no run is shown.
    #[prop(default = crate::i18n::t(crate::i18n::Text::RunNothingYet))]
    idle: &'static str,
) -> impl IntoView {
    let status = move || {
        shown.with(|shown| match shown {
            Some(shown) => run_status(&shown.run, shown.ahead),
            None => idle.to_string(),
        })
    };
    // The newest output stays in sight as it streams in.
    let pane = NodeRef::<leptos::html::Pre>::new();
    Effect::new(move || {
        shown.track();
        // After the browser has laid the new output out.
        request_animation_frame(move || {
            if let Some(pane) = pane.get_untracked() {
                pane.set_scroll_top(pane.scroll_height());
            }
        });
    });
    view! {
        <div class="run-pane">
            <p class="run-status" role="status" data-testid="run-status">{status}</p>
            <pre node_ref=pane class="code run-output" role="log" aria-label="Program output" data-testid="run-output">
                {move || shown.with(|shown| shown.as_ref().map(|s| output_view(&s.run.output)))}
            </pre>
        </div>
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ::api::RunStatus;
    use time::macros::datetime;

    pub fn run(id: u128, status: RunStatus) -> RunView {
        RunView {
            id: RunId::from_uuid(uuid::Uuid::from_u128(id)),
            revision: 3,
            language: "python".into(),
            started_by: "Ada".into(),
            status,
            exit_code: None,
            wall_ms: None,
            stopped_by: None,
            signal: None,
            output: Vec::new(),
            truncated: false,
            requested_at: datetime!(2026-11-26 14:00 UTC) + time::Duration::seconds(id as i64),
            finished_at: None,
        }
    }

    fn piece(stream: RunStream, text: &str) -> RunOutput {
        RunOutput {
            stream,
            text: text.into(),
        }
    }

    #[test]
    fn pieces_append_in_order_skip_when_known_and_append_after_a_gap() {
        let mut output = vec![piece(RunStream::Stdout, "a")];
        assert!(merge_piece(&mut output, 1, RunStream::Stdout, "b".into()));
        // Already there (a `run` snapshot brought it): skipped.
        assert!(!merge_piece(&mut output, 0, RunStream::Stdout, "a".into()));
        assert!(!merge_piece(&mut output, 1, RunStream::Stdout, "b".into()));
        // Piece 2 went missing: 3 is shown anyway.
        assert!(merge_piece(&mut output, 3, RunStream::Stderr, "d".into()));
        assert_eq!(
            output,
            [
                piece(RunStream::Stdout, "a"),
                piece(RunStream::Stdout, "b"),
                piece(RunStream::Stderr, "d"),
            ]
        );
    }

    #[test]
    fn the_newest_run_is_shown_and_pieces_of_others_are_dropped() {
        let mut shown = None;
        let first = run(1, RunStatus::Running);
        receive_run(&mut shown, first.clone(), None);
        assert!(receive_piece(
            &mut shown,
            first.id,
            0,
            RunStream::Stdout,
            "hi\n".into()
        ));
        // The run ends with a snapshot that has less output than arrived: nothing is lost.
        receive_run(&mut shown, run(1, RunStatus::Exited), None);
        let current = shown.as_ref().unwrap();
        assert_eq!(current.run.status, RunStatus::Exited);
        assert_eq!(current.run.output, [piece(RunStream::Stdout, "hi\n")]);
        assert!(!current.is_active());

        let second = run(2, RunStatus::Waiting);
        receive_run(&mut shown, second.clone(), Some(2));
        assert_eq!(shown.as_ref().unwrap().ahead, Some(2));
        assert!(shown.as_ref().unwrap().is_active());
        // The first run's pieces and late status no longer change the screen.
        assert!(!receive_piece(
            &mut shown,
            first.id,
            1,
            RunStream::Stdout,
            "x".into()
        ));
        receive_run(&mut shown, run(1, RunStatus::Stopped), None);
        assert_eq!(shown.as_ref().unwrap().run.id, second.id);
        // A snapshot with more output than the screen has replaces it.
        let mut later = run(2, RunStatus::Running);
        later.output = vec![piece(RunStream::Stdout, "1"), piece(RunStream::Stdout, "2")];
        receive_run(&mut shown, later.clone(), None);
        assert_eq!(shown.as_ref().unwrap().run, later);
        assert_eq!(shown.as_ref().unwrap().ahead, None);
    }

    #[test]
    fn stretches_join_consecutive_pieces_of_one_stream() {
        let output = [
            piece(RunStream::Stdout, "a"),
            piece(RunStream::Stdout, "b"),
            piece(RunStream::Stderr, "c"),
            piece(RunStream::Stdout, "d"),
        ];
        assert_eq!(
            stretches(&output),
            [
                (RunStream::Stdout, "ab".to_string()),
                (RunStream::Stderr, "c".to_string()),
                (RunStream::Stdout, "d".to_string()),
            ]
        );
    }
}
