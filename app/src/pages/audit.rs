use ::api::{AuditEvent, AuditPage};
use leptos::prelude::*;

use crate::api::Client;
use crate::components::guard::AdminOnly;
use crate::components::list::{DataTable, ListCard, Listing};
use crate::text::{action_label, format_time};

#[component]
pub fn Audit() -> impl IntoView {
    view! {
        <AdminOnly title="Audit log" what="read the audit log">
            <AuditLog/>
        </AdminOnly>
    }
}

const HEADERS: [&str; 5] = ["Time", "Actor", "Action", "Detail", "Client address"];

#[component]
fn AuditLog() -> impl IntoView {
    let client = Client::get();
    let listing = Listing::new("/audit", move |place| client.audit(place));
    view! {
        <ListCard
            title="Audit log"
            listing
            loading="Loading the log…"
            refresh=true
            show=|page: AuditPage| {
                view! {
                    <DataTable
                        testid="audit"
                        class="audit"
                        headers=&HEADERS
                        items=page.events
                        row=audit_row
                        empty="Nothing recorded here."
                    />
                }
            }
        >
            <p class="muted">
                "Who did what in your organization, newest first. Times are in UTC."
            </p>
        </ListCard>
    }
}

fn audit_row(event: AuditEvent) -> impl IntoView {
    let label = action_label(&event.action);
    view! {
        <tr data-testid="audit-row" data-action=event.action.clone()>
            <td>{format_time(event.at)}</td>
            <td>{event.actor.unwrap_or_else(|| "(not logged in)".into())}</td>
            <td data-testid="audit-action">
                {label} " " <code class="code-name">{event.action.clone()}</code>
            </td>
            <td>{event.detail}</td>
            <td>{event.client_address.unwrap_or_default()}</td>
        </tr>
    }
}
