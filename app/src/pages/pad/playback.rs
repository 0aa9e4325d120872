//! Playback of an ended pad, for members: a timeline to scrub, play and pause at 1x to 8x
//! (idle stretches shortened), each character coloured by who typed it, the runs of the code at
//! the moments they happened, and the final code (with every run) to copy or to send to Lever.

use std::rc::Rc;
use std::time::Duration;

use ::api::playback::{Authored, MAX_GAP_MS, Timeline, clock, interview_duration_in};
use ::api::{LeverWriteSent, PadHistory, PadId, PadView, Participant, RequestStatus, RunView};
use leptos::prelude::*;

use super::editing::line_numbers;
use super::highlight::{self, Kind};
use super::run::{RunPane, ShownRun, output_view};
use crate::api::{ApiFailure, Client};
use crate::components::copy::copy_to_clipboard;
use crate::components::guard::{error_note, failure_message, load_failed};
use crate::i18n::{Text, locale, t, tf, tn};
use crate::text::{format_date, format_time, run_summary};

/// How often the playing timeline advances.
const TICK_MS: u64 = 50;
pub const SPEEDS: [u32; 4] = [1, 2, 4, 8];

/// The revision shown at slider position `position`: 0 is the empty pad before any edit,
/// `n` shows every edit made up to playback time `n - 1`.
pub fn revision_at_position(timeline: &Timeline, position: i64) -> usize {
    if position <= 0 {
        0
    } else {
        timeline.revision_at(position - 1)
    }
}

/// The slider position at which something that happened at wall-clock `at_ms` (ms since the
/// Unix epoch) shows: after every edit made before it, and as far into the pause that follows
/// as it happened (pauses play shortened, so it is placed proportionally).
pub fn position_of_moment(timeline: &Timeline, at_ms: i64) -> i64 {
    let before = (1..=timeline.revisions())
        .take_while(|r| timeline.at_ms_of(*r).is_some_and(|at| at <= at_ms))
        .count();
    let Some(last_edit) = timeline.at_ms_of(before) else {
        return 0;
    };
    let since = at_ms - last_edit;
    let into_pause = match timeline.at_ms_of(before + 1) {
        Some(next_edit) => {
            let pause = timeline.play_ms_of(before + 1) - timeline.play_ms_of(before);
            since * pause / (next_edit - last_edit).max(1)
        }
        None => since.min(MAX_GAP_MS),
    };
    1 + timeline.play_ms_of(before) + into_pause
}

/// Which run shows at slider position `position`: the last one requested by then.
pub fn run_at_position(run_positions: &[i64], position: i64) -> Option<usize> {
    run_positions
        .partition_point(|p| *p <= position)
        .checked_sub(1)
}

fn unix_ms(at: time::OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

#[component]
pub fn Playback(pad: PadView) -> impl IntoView {
    let client = Client::get();
    let id = pad.id.clone();
    let history = LocalResource::new(move || {
        let id = id.clone();
        async move { whole_history(client, &id).await }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the session…"</p> }>
            <ErrorBoundary fallback=load_failed>
                {move || {
                    history
                        .get()
                        .map(|answer| {
                            let pad = pad.clone();
                            answer.map(move |history| view! { <Player history pad/> })
                        })
                }}
            </ErrorBoundary>
        </Transition>
    }
}

/// The shown text in pieces of one token kind and one author each: highlighted as in the live
/// editor, each piece underlined in the colour of who typed it.
pub fn pieces(language: &str, authored: &[Authored]) -> Vec<(Kind, Option<u16>, String)> {
    let text: String = authored.iter().map(|(c, _)| *c).collect();
    let mut authors = authored.iter().map(|(_, author)| *author);
    let mut pieces: Vec<(Kind, Option<u16>, String)> = Vec::new();
    for (kind, token) in highlight::tokens(language, &text) {
        for c in token.chars() {
            let author = authors.next().flatten();
            match pieces.last_mut() {
                Some((k, a, piece)) if *k == kind && *a == author => piece.push(c),
                _ => pieces.push((kind, author, c.to_string())),
            }
        }
    }
    pieces
}

/// The playback's heading: who, for which job, when, how long, in which language.
fn context_line(pad: &PadView, history: &PadHistory, timeline: &Timeline) -> String {
    let mut parts = Vec::new();
    if let Some(job) = pad.job_title.clone().filter(|j| !j.is_empty()) {
        parts.push(job);
    }
    if let Some(at) = pad.created_at {
        parts.push(format_date(at));
    }
    let started = timeline.at_ms_of(1);
    // A pad that ended while this page was open knows no end time: its last edit will do.
    let ended = pad
        .ended_at
        .map(unix_ms)
        .or_else(|| timeline.at_ms_of(timeline.revisions()));
    if let (Some(started), Some(ended)) = (started, ended) {
        let took = interview_duration_in(locale(), (ended - started) / 1_000);
        parts.push(tf(Text::PlaybackTook, &[("duration", &took)]));
    }
    parts.push(
        ::api::language_label(&history.language)
            .unwrap_or(t(Text::PlaybackUnknownLanguage))
            .to_string(),
    );
    parts.join(" · ")
}

/// Every page of the history, in order: the server answers a long pad in pages.
async fn whole_history(client: Client, pad_id: &PadId) -> Result<PadHistory, ApiFailure> {
    let mut history = client.pad_history(pad_id, None).await?;
    while let Some(after) = history.next_after {
        let page = client.pad_history(pad_id, Some(after)).await?;
        history.operations.extend(page.operations);
        history.final_text = page.final_text;
        history.next_after = page.next_after;
    }
    Ok(history)
}

#[component]
fn Player(history: PadHistory, pad: PadView) -> impl IntoView {
    let timeline = Rc::new(Timeline::new(&history));
    let title = match pad.candidate_name.clone() {
        Some(name) => tf(Text::PlaybackTitle, &[("name", &name)]),
        None => t(Text::PlaybackTitleNoName).into(),
    };
    let context = context_line(&pad, &history, &timeline);
    let (pad_id, from_lever) = (pad.id.clone(), pad.from_lever);
    if timeline.revisions() == 0 && history.runs.is_empty() {
        return view! {
            <section class="card wide" data-testid="playback">
                <h1 data-testid="playback-title">{title}</h1>
                <p class="muted" data-testid="playback-context">{context}</p>
                <p data-testid="nothing-to-play">{t(Text::PlaybackNothingToPlay)}</p>
            </section>
        }
        .into_any();
    }
    let run_positions: Vec<i64> = history
        .runs
        .iter()
        .map(|run| position_of_moment(&timeline, unix_ms(run.requested_at)))
        .collect();
    // A run after the last edit lengthens the timeline to show it.
    let end_position = (timeline.duration_ms() + 1).max(run_positions.last().copied().unwrap_or(0));
    let timeline = StoredValue::new_local(timeline);
    let all_runs = StoredValue::new(history.runs.clone());
    let participants = StoredValue::new(history.participants.clone());
    // Start at the end: the final code first, then rewind.
    let position = RwSignal::new(end_position);
    let playing = RwSignal::new(false);
    let speed = RwSignal::new(1u32);
    let revision =
        Memo::new(move |_| timeline.with_value(|t| revision_at_position(t, position.get())));
    let run_index = Memo::new(move |_| run_at_position(&run_positions, position.get()));
    let run_shown = Signal::derive(move || {
        run_index.get().and_then(|i| {
            all_runs.with_value(|runs| {
                runs.get(i).map(|run| ShownRun {
                    run: run.clone(),
                    ahead: None,
                })
            })
        })
    });
    let has_runs = !history.runs.is_empty();

    let ticker = set_interval_with_handle(
        move || {
            if playing.get_untracked() {
                let next =
                    position.get_untracked() + (TICK_MS as i64) * speed.get_untracked() as i64;
                if next >= end_position {
                    position.set(end_position);
                    playing.set(false);
                } else {
                    position.set(next);
                }
            }
        },
        Duration::from_millis(TICK_MS),
    );
    on_cleanup(move || {
        if let Ok(handle) = ticker {
            handle.clear();
        }
    });
    let toggle = move |_| {
        if !playing.get_untracked() && position.get_untracked() >= end_position {
            position.set(0);
        }
        playing.update(|p| *p = !*p);
    };
    let language = history.language.clone();
    let colored = move || {
        let people = participants.get_value();
        timeline.with_value(|t| {
            pieces(&language, &t.authored_at(revision.get()))
                .into_iter()
                .map(|(kind, author, text)| {
                    let color = author
                        .and_then(|i| people.get(i as usize))
                        .map(|p: &Participant| p.color.clone())
                        .unwrap_or_else(|| "transparent".into());
                    view! {
                        <span class=kind.class() style:box-shadow=format!("inset 0 -2px 0 {color}")>
                            {text}
                        </span>
                    }
                })
                .collect_view()
        })
    };
    let shown_lines = move || {
        timeline.with_value(|t| {
            let text: String = t
                .authored_at(revision.get())
                .iter()
                .map(|(c, _)| *c)
                .collect();
            line_numbers(&text)
        })
    };
    // Where the shown moment lies in the interview, in its own time (pauses not shortened).
    let moment = move || {
        timeline.with_value(|t| {
            let first = t.at_ms_of(1).unwrap_or(0);
            let last = t.at_ms_of(t.revisions()).unwrap_or(first);
            let total = clock(last - first);
            match t.at_ms_of(revision.get()) {
                Some(at_ms) => tf(
                    Text::PlaybackMoment,
                    &[("at", &clock(at_ms - first)), ("total", &total)],
                ),
                None => tf(Text::PlaybackBeforeFirstEdit, &[("total", &total)]),
            }
        })
    };
    let legend = history
        .participants
        .iter()
        .map(|p| view! { <li><span class="dot" style:background=p.color.clone()></span>{p.name.clone()}</li> })
        .collect_view();
    let speeds = SPEEDS
        .iter()
        .map(|s| {
            let s = *s;
            view! {
                <button
                    type="button"
                    class="secondary"
                    class:selected=move || speed.get() == s
                    on:click=move |_| speed.set(s)
                >
                    {format!("{s}x")}
                </button>
            }
        })
        .collect_view();
    let final_text = history.final_text.clone();

    view! {
        <section class="card wide" data-testid="playback">
            <h1 data-testid="playback-title">{title}</h1>
            <p class="muted" data-testid="playback-context">{context}</p>
            <p class="muted">{t(Text::PlaybackExplained)}</p>
            <ul class="participants">{legend}</ul>
            <div class="player">
                <button type="button" data-testid="play" on:click=toggle>
                    {move || t(if playing.get() { Text::PlaybackPause } else { Text::PlaybackPlay })}
                </button>
                <input
                    type="range"
                    data-testid="timeline"
                    min="0"
                    max=end_position.to_string()
                    prop:value=move || position.get().to_string()
                    on:input=move |ev| {
                        playing.set(false);
                        position.set(event_target_value(&ev).parse().unwrap_or(0));
                    }
                />
                <span class="speeds">{speeds}</span>
            </div>
            <p class="muted" data-testid="moment">{moment}</p>
            <div class="editor playback-editor">
                <pre class="gutter" aria-hidden="true">{shown_lines}</pre>
                <pre class="highlight playback-code" data-testid="playback-code">{colored}</pre>
            </div>
            {has_runs.then(|| view! { <RunPane shown=run_shown idle=t(Text::PlaybackNoRunYet)/> })}
        </section>
        <FinalCode text=final_text runs=history.runs.clone() pad_id from_lever/>
    }
    .into_any()
}

#[component]
fn FinalCode(text: String, runs: Vec<RunView>, pad_id: PadId, from_lever: bool) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let to_copy = text.clone();
    let copy = move |_| {
        let text = to_copy.clone();
        leptos::task::spawn_local(async move { copied.set(Some(copy_to_clipboard(&text).await)) });
    };
    let client = Client::get();
    let status = LocalResource::new({
        let pad_id = pad_id.clone();
        move || {
            let pad_id = pad_id.clone();
            async move { client.pad(&pad_id).await }
        }
    });
    let send = Action::new_local(
        move |(kind, again_after): &(LeverWrite, Option<time::OffsetDateTime>)| {
            let (kind, again_after, pad_id) = (*kind, *again_after, pad_id.clone());
            async move {
                let answer = match kind {
                    LeverWrite::Note => client.send_code_note(&pad_id, again_after).await,
                    LeverWrite::Feedback => client.send_feedback(&pad_id, again_after).await,
                };
                status.refetch();
                answer
            }
        },
    );
    // While a note or a form is on its way, look again every second.
    let poll = set_interval_with_handle(
        move || {
            let sending = status
                .get_untracked()
                .and_then(|a| a.ok())
                .is_some_and(|v| {
                    [&v.code_note_status, &v.feedback_status]
                        .iter()
                        .any(|s| **s == Some(RequestStatus::Sending))
                });
            if sending {
                status.refetch();
            }
        },
        Duration::from_secs(1),
    );
    on_cleanup(move || {
        if let Ok(handle) = poll {
            handle.clear();
        }
    });
    let view_now = move || status.get().and_then(|a| a.ok());
    let write_states = move || {
        view_now().map(|view| {
            let note = write_state(
                LeverWrite::Note,
                view.code_note_status,
                view.code_note_error.unwrap_or_default(),
                view.code_note_sent,
            );
            let feedback = write_state(
                LeverWrite::Feedback,
                view.feedback_status,
                view.feedback_error.unwrap_or_default(),
                view.feedback_sent,
            );
            view! { {note} {feedback} }
        })
    };
    let feedback_available = move || view_now().is_some_and(|v| v.feedback_available);
    // One button a kind of write: disabled while one is on its way; once it reached Lever, it
    // says "again" and names the sending shown (the server refuses a plain second request,
    // and one from a page that missed a newer sending).
    let send_button = move |kind: LeverWrite| {
        move || {
            let view = view_now();
            let (status, sent, first, again) = match kind {
                LeverWrite::Note => (
                    view.as_ref().and_then(|v| v.code_note_status),
                    view.as_ref().and_then(|v| v.code_note_sent.clone()),
                    t(Text::PlaybackSendNote),
                    t(Text::PlaybackSendNoteAgain),
                ),
                LeverWrite::Feedback => (
                    view.as_ref().and_then(|v| v.feedback_status),
                    view.as_ref().and_then(|v| v.feedback_sent.clone()),
                    t(Text::PlaybackSendFeedback),
                    t(Text::PlaybackSendFeedbackAgain),
                ),
            };
            let busy = status == Some(RequestStatus::Sending);
            let again_after = sent.map(|s| s.at);
            view! {
                <button
                    type="button"
                    class:secondary=again_after.is_some()
                    disabled=move || busy || send.pending().get()
                    on:click=move |_| {
                        send.dispatch_local((kind, again_after));
                    }
                >
                    {if again_after.is_some() { again } else { first }}
                </button>
            }
        }
    };
    view! {
        <section class="card wide">
            <div class="title-row">
                <h2>{t(Text::PlaybackFinalCode)}</h2>
                <span>
                    <button type="button" class="secondary" on:click=copy>{t(Text::PlaybackCopyCode)}</button>
                    {from_lever.then(|| view! {
                        {send_button(LeverWrite::Note)}
                        {move || feedback_available().then(|| send_button(LeverWrite::Feedback))}
                    })}
                </span>
            </div>
            {move || match copied.get() {
                Some(true) => view! { <p class="ok">{t(Text::PlaybackCopied)}</p> }.into_any(),
                Some(false) => view! { <p class="error">{t(Text::PlaybackCopyRefused)}</p> }.into_any(),
                None => ().into_any(),
            }}
            {move || error_note(failure_message(send.value().get()))}
            {write_states}
            <pre class="code" data-testid="final-code">{text}</pre>
            <RunList runs/>
        </section>
    }
}

/// Every run of the code, oldest first: when, who, how it ended; each opens to its output.
#[component]
fn RunList(runs: Vec<RunView>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="muted" data-testid="run-list">{t(Text::PlaybackNotRun)}</p> }
            .into_any();
    }
    let count = tn(
        runs.len() as u64,
        Text::PlaybackRunsOne,
        Text::PlaybackRunsOther,
    );
    let items = runs
        .iter()
        .map(|run| {
            view! {
                <li data-testid="run-entry">
                    <details>
                        <summary>{run_summary(run)}</summary>
                        <pre class="code run-output">{output_view(&run.output)}</pre>
                    </details>
                </li>
            }
        })
        .collect_view();
    view! {
        <h3>{count}</h3>
        <ul class="run-list" data-testid="run-list">{items}</ul>
    }
    .into_any()
}

/// What a member can send an ended Lever pad's code as.
#[derive(Clone, Copy)]
enum LeverWrite {
    Note,
    Feedback,
}

/// One line saying how sending the code as a note or a form goes, and when it last got there.
fn write_state(
    kind: LeverWrite,
    status: Option<RequestStatus>,
    error: String,
    last_sent: Option<LeverWriteSent>,
) -> AnyView {
    let (test_id, sending, sent, refused) = match kind {
        LeverWrite::Note => (
            "note-status",
            t(Text::PlaybackNoteSending),
            Text::PlaybackNoteSent,
            t(Text::PlaybackNoteRefused),
        ),
        LeverWrite::Feedback => (
            "feedback-status",
            t(Text::PlaybackFeedbackSending),
            Text::PlaybackFeedbackSent,
            t(Text::PlaybackFeedbackRefused),
        ),
    };
    let sent = match &last_sent {
        Some(LeverWriteSent { at, by: Some(by) }) => tf(
            Text::PlaybackSentAtBy,
            &[("done", t(sent)), ("at", &format_time(*at)), ("name", by)],
        ),
        Some(LeverWriteSent { at, by: None }) => tf(
            Text::PlaybackSentAt,
            &[("done", t(sent)), ("at", &format_time(*at))],
        ),
        None => tf(Text::PlaybackSent, &[("done", t(sent))]),
    };
    match status {
        // While retries remain, the last failure says why it is taking long.
        Some(RequestStatus::Sending) if !error.is_empty() => {
            view! { <p class="muted" data-testid=test_id>{format!("{sending} {error}")}</p> }
                .into_any()
        }
        Some(RequestStatus::Sending) => {
            view! { <p class="muted" data-testid=test_id>{sending}</p> }.into_any()
        }
        Some(RequestStatus::Sent) => {
            view! { <p class="ok" data-testid=test_id>{sent}</p> }.into_any()
        }
        Some(RequestStatus::Failed) => view! {
            <p class="error" role="alert" data-testid=test_id>{tf(Text::PlaybackRefusedBecause, &[("refused", refused), ("error", &error)])}</p>
        }
        .into_any(),
        None => ().into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::api::ot::Operation;
    use ::api::{HistoryOperation, PadHistory};

    #[test]
    fn the_slider_starts_before_the_first_edit_and_ends_after_the_last() {
        let history = PadHistory {
            language: "go".into(),
            participants: vec![],
            runs: vec![],
            operations: (0..3)
                .map(|i| HistoryOperation {
                    revision: i + 1,
                    at_ms: 1_000 + i as i64 * 100,
                    client_id: "a".into(),
                    op: Operation::new().retain(i as usize).insert("x"),
                })
                .collect(),
            final_text: "xxx".into(),
            next_after: None,
        };
        let timeline = Timeline::new(&history);
        assert_eq!(revision_at_position(&timeline, 0), 0);
        assert_eq!(revision_at_position(&timeline, 1), 1);
        assert_eq!(revision_at_position(&timeline, 100), 1);
        assert_eq!(revision_at_position(&timeline, 101), 2);
        let end = timeline.duration_ms() + 1;
        assert_eq!(revision_at_position(&timeline, end), 3);
        assert_eq!(
            timeline.text_at(revision_at_position(&timeline, end)),
            "xxx"
        );
    }

    #[test]
    fn runs_show_at_the_moment_they_were_asked_for() {
        let at = |ms: i64| 1_000_000 + ms;
        let history = PadHistory {
            language: "python".into(),
            participants: vec![],
            operations: [0, 100, 10_100]
                .iter()
                .enumerate()
                .map(|(i, ms)| HistoryOperation {
                    revision: i as u64 + 1,
                    at_ms: at(*ms),
                    client_id: "a".into(),
                    op: Operation::new().retain(i).insert("x"),
                })
                .collect(),
            final_text: "xxx".into(),
            next_after: None,
            runs: vec![],
        };
        let timeline = Timeline::new(&history);
        // Edits play at 0, 100 and 1,600 (the 10 s pause shortened to 1.5 s).
        assert_eq!(timeline.duration_ms(), 1_600);
        // Before any edit: the start.
        assert_eq!(position_of_moment(&timeline, at(-5)), 0);
        // 50 ms after the first edit, halfway to the second.
        let early = position_of_moment(&timeline, at(50));
        assert_eq!(early, 51);
        assert_eq!(revision_at_position(&timeline, early), 1);
        // Halfway through the long pause: halfway through its shortened stretch, before the
        // third edit shows.
        let mid = position_of_moment(&timeline, at(5_100));
        assert_eq!(mid, 1 + 100 + 750);
        assert_eq!(revision_at_position(&timeline, mid), 2);
        // After the last edit: at most one shortened pause later.
        assert_eq!(position_of_moment(&timeline, at(10_200)), 1 + 1_600 + 100);
        assert_eq!(
            position_of_moment(&timeline, at(99_999)),
            1 + 1_600 + MAX_GAP_MS
        );

        let positions = [51, 851, 1_701];
        assert_eq!(run_at_position(&positions, 0), None);
        assert_eq!(run_at_position(&positions, 50), None);
        assert_eq!(run_at_position(&positions, 51), Some(0));
        assert_eq!(run_at_position(&positions, 1_000), Some(1));
        assert_eq!(run_at_position(&positions, 1_701), Some(2));
    }
}
