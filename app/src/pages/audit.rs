use ::api::AuditEvent;
use leptos::prelude::*;

use crate::api::Client;
use crate::components::guard::{AdminOnly, load_failed};
use crate::components::pager::{Pager, use_list_place};
use crate::text::{action_label, format_time};

#[component]
pub fn Audit() -> impl IntoView {
    view! {
        <AdminOnly title="Audit log" what="read the audit log">
            <AuditLog/>
        </AdminOnly>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let client = Client::get();
    let (place, go) = use_list_place("/audit");
    let page = LocalResource::new(move || client.audit(place.get()));
    let next_cursor = Signal::derive(move || {
        page.get()
            .and_then(|answer| answer.ok())
            .and_then(|page| page.next_cursor)
    });

    view! {
        <section class="card">
            <div class="title-row">
                <h1>"Audit log"</h1>
                <button type="button" class="secondary" on:click=move |_| page.refetch()>
                    "Refresh"
                </button>
            </div>
            <p class="muted">
                "Who did what in your organization, newest first. Times are in UTC."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading the log…"</p> }>
                <ErrorBoundary fallback=load_failed>
                    {move || {
                        page.get()
                            .map(|answer| answer.map(|page| view! { <AuditTable events=page.events/> }))
                    }}
                </ErrorBoundary>
            </Transition>
            <Pager place go next_cursor/>
        </section>
    }
}

#[component]
fn AuditTable(events: Vec<AuditEvent>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"Nothing recorded here."</p> }.into_any();
    }
    let rows = events
        .into_iter()
        .map(|event| {
            let label = action_label(&event.action);
            view! {
                <tr data-testid="audit-row" data-action=event.action.clone()>
                    <td class="nowrap">{format_time(event.at)}</td>
                    <td>{event.actor.unwrap_or_else(|| "(not logged in)".into())}</td>
                    <td data-testid="audit-action">
                        {label} " " <code class="code-name">{event.action.clone()}</code>
                    </td>
                    <td>{event.detail}</td>
                    <td>{event.client_address.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="audit" data-testid="audit">
            <thead>
                <tr>
                    <th>"Time"</th>
                    <th>"Actor"</th>
                    <th>"Action"</th>
                    <th>"Detail"</th>
                    <th>"Client address"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
