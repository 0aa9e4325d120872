//! A run in a few lines of plain text, for the notes and the feedback form written to Lever.

use api::{RunStatus, RunView};

/// Lines of output a note shows, at most, and characters of each.
const LINES: usize = 10;
const LINE_CHARS: usize = 200;

/// How the run ended, in words.
pub fn status_sentence(run: &RunView) -> String {
    let wall = run
        .wall_ms
        .map(|ms| format!(" in {ms} ms"))
        .unwrap_or_default();
    match run.status {
        RunStatus::Waiting => "waiting to run".into(),
        RunStatus::Running => "still running".into(),
        RunStatus::Exited => match run.signal {
            Some(signal) => format!("ended by signal {signal}{wall}"),
            None => format!(
                "exited with code {}{wall}",
                run.exit_code.map_or("?".into(), |c| c.to_string())
            ),
        },
        RunStatus::CompileError => "did not compile".into(),
        RunStatus::TimeLimit => format!("stopped at the time limit{wall}"),
        RunStatus::MemoryLimit => format!("stopped at the memory limit{wall}"),
        RunStatus::OutputLimit => format!("stopped at the output limit{wall}"),
        RunStatus::Stopped => match &run.stopped_by {
            Some(by) => format!("stopped by {by}"),
            None => "stopped".into(),
        },
        RunStatus::Interrupted => "interrupted by a server restart".into(),
        RunStatus::Failed => "could not run: the server could not start it".into(),
    }
}

/// `Last run: <language> by <who>, <how it ended>` and the first lines of its output (stdout
/// and stderr as they came), or that the code was not run.
pub fn last_run(run: Option<&RunView>) -> String {
    let Some(run) = run else {
        return "Last run: none (the code was not run in the pad)".into();
    };
    let language = api::language_label(&run.language).unwrap_or("unknown language");
    let mut text = format!(
        "Last run: {language} by {}, {}.",
        run.started_by,
        status_sentence(run)
    );
    let output: String = run.output.iter().map(|piece| piece.text.as_str()).collect();
    let lines: Vec<&str> = output.lines().collect();
    if !lines.is_empty() {
        text.push_str("\nOutput:");
        for line in lines.iter().take(LINES) {
            text.push_str("\n  ");
            match line.char_indices().nth(LINE_CHARS) {
                Some((cut, _)) => {
                    text.push_str(&line[..cut]);
                    text.push('…');
                }
                None => text.push_str(line),
            }
        }
        if lines.len() > LINES {
            text.push_str(&format!("\n  … and {} more lines", lines.len() - LINES));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::{RunId, RunOutput, RunStream};
    use time::OffsetDateTime;

    fn run(status: RunStatus, output: &str) -> RunView {
        RunView {
            id: RunId::random(),
            revision: 3,
            language: "python".into(),
            started_by: "Ada".into(),
            status,
            exit_code: Some(0),
            wall_ms: Some(42),
            stopped_by: None,
            signal: None,
            output: vec![RunOutput {
                stream: RunStream::Stdout,
                text: output.into(),
            }],
            truncated: false,
            requested_at: OffsetDateTime::UNIX_EPOCH,
            finished_at: None,
        }
    }

    #[test]
    fn the_last_run_says_how_it_ended_and_shows_the_first_lines_bounded() {
        assert_eq!(
            last_run(None),
            "Last run: none (the code was not run in the pad)"
        );
        assert_eq!(
            last_run(Some(&run(RunStatus::Exited, "hello\n"))),
            "Last run: Python by Ada, exited with code 0 in 42 ms.\nOutput:\n  hello"
        );
        let long: String = (0..30)
            .map(|i| format!("line {i} {}\n", "x".repeat(300)))
            .collect();
        let text = last_run(Some(&run(RunStatus::TimeLimit, &long)));
        assert!(
            text.contains("stopped at the time limit in 42 ms"),
            "{text}"
        );
        assert!(text.ends_with("… and 20 more lines"), "{text}");
        assert!(
            text.lines().all(|l| l.chars().count() <= LINE_CHARS + 3),
            "{text}"
        );
    }
}
