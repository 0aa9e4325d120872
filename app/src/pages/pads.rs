//! `/pads`: the organization's interview pads, newest first.

use ::api::{PadSummary, PadsResponse};
use leptos::prelude::*;

use crate::components::guard::load_failed;
use crate::state::Session;
use crate::text::{format_time, pad_status};

#[component]
pub fn Pads() -> impl IntoView {
    let session = Session::get();
    let listing = LocalResource::new(move || session.fetch::<PadsResponse>("/api/pads"));
    view! {
        <section class="card">
            <div class="title-row">
                <h1>"Pads"</h1>
                <button type="button" class="secondary" on:click=move |_| listing.refetch()>
                    "Refresh"
                </button>
            </div>
            <p class="muted">
                "Interview pads of your organization, newest first. Pads for Lever candidates appear here once a tagged candidate reaches a selected stage."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading pads…"</p> }>
                <ErrorBoundary fallback=load_failed>
                    {move || {
                        listing
                            .get()
                            .map(|answer| answer.map(|listing| view! { <PadTable pads=listing.pads/> }))
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn PadTable(pads: Vec<PadSummary>) -> impl IntoView {
    if pads.is_empty() {
        return view! { <p class="muted" data-testid="no-pads">"No pads yet."</p> }.into_any();
    }
    let rows = pads
        .into_iter()
        .map(|pad| {
            let owner = pad.owner.map(|o| o.name).unwrap_or_else(|| "—".into());
            view! {
                <tr data-testid="pad-row">
                    <td data-testid="pad-candidate">{pad.candidate_name}</td>
                    <td>{pad.job_title.unwrap_or_default()}</td>
                    <td>{pad.stage_name.unwrap_or_default()}</td>
                    <td>{owner}</td>
                    <td>{pad_status(&pad.status)}</td>
                    <td class="nowrap">{format_time(pad.created_at)}</td>
                    <td>
                        <a href=pad.link.clone() title=pad.link.clone() data-testid="pad-link">"Open pad"</a>
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
                    <th>"Link"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
