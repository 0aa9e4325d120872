//! `/pads`: the organization's interview pads, newest first, a page at a time, with a status
//! filter and a search by candidate or job (both in the URL), "New pad" for interviews that do
//! not come from Lever, and End for running ones.

use ::api::{NewPadRequest, PadSummary, PadView};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{ApiFailure, Client};
use crate::components::guard::{error_note, failure_message, load_failed};
use crate::components::pager::{Pager, use_list_place};
use crate::text::{format_time, pad_status};

#[component]
pub fn Pads() -> impl IntoView {
    let client = Client::get();
    let (place, go) = use_list_place("/pads");
    let listing = LocalResource::new(move || client.pads(place.get()));
    let next_cursor = Signal::derive(move || {
        listing
            .get()
            .and_then(|answer| answer.ok())
            .and_then(|listing| listing.next_cursor)
    });
    let end = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let answer = client.end_pad(&id).await;
            listing.refetch();
            answer
        }
    });
    view! {
        <section class="card wide">
            <div class="title-row">
                <h1>"Pads"</h1>
                <button type="button" class="secondary" on:click=move |_| listing.refetch()>
                    "Refresh"
                </button>
            </div>
            <p class="muted">
                "Interview pads of your organization, newest first. Pads for Lever candidates appear here once a tagged candidate reaches a selected stage. Open an ended pad to play it back."
            </p>
            <div class="filters">
                <label>
                    "Status "
                    <select
                        data-testid="pad-filter"
                        prop:value=move || place.with(|p| p.status.clone())
                        on:change=move |ev| go.run((place.get_untracked().with_status(&event_target_value(&ev)), false))
                    >
                        <option value="">"All"</option>
                        <option value="not_started">"Not started"</option>
                        <option value="in_progress">"In progress"</option>
                        <option value="ended">"Ended"</option>
                    </select>
                </label>
                <label>
                    "Search "
                    <input
                        type="search"
                        name="q"
                        placeholder="Candidate or job"
                        value=place.with_untracked(|p| p.q.clone())
                        on:input=move |ev| go.run((place.get_untracked().with_search(&event_target_value(&ev)), true))
                    />
                </label>
            </div>
            {move || error_note(failure_message(end.value().get()))}
            <Transition fallback=|| view! { <p class="muted">"Loading pads…"</p> }>
                <ErrorBoundary fallback=load_failed>
                    {move || {
                        listing
                            .get()
                            .map(|answer| answer.map(|listing| view! { <PadTable pads=listing.pads end/> }))
                    }}
                </ErrorBoundary>
            </Transition>
            <Pager place go next_cursor/>
        </section>
        <NewPad/>
    }
}

#[component]
fn PadTable(
    pads: Vec<PadSummary>,
    end: Action<String, Result<PadView, ApiFailure>>,
) -> impl IntoView {
    if pads.is_empty() {
        return view! { <p class="muted" data-testid="no-pads">"No pads here."</p> }.into_any();
    }
    let rows = pads
        .into_iter()
        .map(|pad| {
            let owner = pad.owner.map(|o| o.name).unwrap_or_else(|| "—".into());
            let id = pad.id.clone();
            let running = pad.status != "ended";
            view! {
                <tr data-testid="pad-row" data-status=pad.status.clone()>
                    <td data-testid="pad-candidate">{pad.candidate_name}</td>
                    <td>{pad.job_title.unwrap_or_default()}</td>
                    <td>{pad.stage_name.unwrap_or_default()}</td>
                    <td>{owner}</td>
                    <td>{pad_status(&pad.status)}</td>
                    <td class="nowrap">{format_time(pad.created_at)}</td>
                    <td class="nowrap">{pad.ended_at.map(format_time).unwrap_or_default()}</td>
                    <td class="nowrap">
                        <a href=pad.link.clone() title=pad.link.clone() data-testid="pad-link">
                            {if running { "Open pad" } else { "Play back" }}
                        </a>
                        {running.then(|| view! {
                            " "
                            <button type="button" class="secondary small" on:click=move |_| { end.dispatch_local(id.clone()); }>"End"</button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="audit" data-testid="pads">
            <thead>
                <tr>
                    <th>"Candidate"</th>
                    <th>"Job"</th>
                    <th>"Stage"</th>
                    <th>"Owner"</th>
                    <th>"Status"</th>
                    <th>"Created"</th>
                    <th>"Ended"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NewPad() -> impl IntoView {
    let client = Client::get();
    let candidate = RwSignal::new(String::new());
    let job = RwSignal::new(String::new());
    let language = RwSignal::new("python".to_string());
    let navigate = use_navigate();
    let create = Action::new_local(move |request: &NewPadRequest| {
        let request = request.clone();
        let navigate = navigate.clone();
        async move {
            let answer = client.create_pad(&request).await;
            if let Ok(pad) = &answer {
                navigate(&format!("/pad/{}", pad.id), Default::default());
            }
            answer
        }
    });
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = candidate.get_untracked().trim().to_string();
        if name.is_empty() {
            problem.set(Some("Enter the candidate's name.".into()));
            return;
        }
        problem.set(None);
        let job_title = Some(job.get_untracked()).filter(|j| !j.trim().is_empty());
        create.dispatch_local(NewPadRequest {
            candidate_name: name,
            job_title,
            language: Some(language.get_untracked()),
        });
    };
    let languages = crate::pages::pad::language_options();
    view! {
        <section class="card">
            <h2>"New pad"</h2>
            <p class="muted">"For an interview that does not come from Lever."</p>
            <form class="form" on:submit=on_submit>
                <label>
                    "Candidate"
                    <input type="text" name="candidate_name" on:input=move |ev| candidate.set(event_target_value(&ev))/>
                </label>
                <label>
                    "Job (optional)"
                    <input type="text" name="job_title" on:input=move |ev| job.set(event_target_value(&ev))/>
                </label>
                <label>
                    "Language"
                    <select name="new_language" on:change=move |ev| language.set(event_target_value(&ev))>
                        {languages}
                    </select>
                </label>
                {move || error_note(problem.get().or_else(|| failure_message(create.value().get())))}
                <button type="submit" disabled=move || create.pending().get()>"Create pad"</button>
            </form>
        </section>
    }
}
