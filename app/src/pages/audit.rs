use ::api::{AuditEvent, AuditPage};
use leptos::prelude::*;

use crate::api::Client;
use crate::components::guard::AdminOnly;
use crate::components::list::{DataTable, ListCard, Listing};
use crate::i18n::{Text, t};
use crate::text::{action_label, format_time};

#[component]
pub fn Audit() -> impl IntoView {
    view! {
        <AdminOnly title=t(Text::AuditTitle) sentence=Text::GuardAdminOnlyAudit>
            <AuditLog/>
        </AdminOnly>
    }
}

fn headers() -> [&'static str; 5] {
    [
        t(Text::AuditColumnTime),
        t(Text::AuditColumnActor),
        t(Text::AuditColumnAction),
        t(Text::AuditColumnDetail),
        t(Text::AuditColumnClientAddress),
    ]
}

#[component]
fn AuditLog() -> impl IntoView {
    let client = Client::get();
    let listing = Listing::new("/audit", move |place| client.audit(place));
    view! {
        <ListCard
            title=t(Text::AuditTitle)
            listing
            loading=t(Text::AuditLoading)
            refresh=true
            show=|page: AuditPage| {
                view! {
                    <DataTable
                        testid="audit"
                        class="audit"
                        headers=headers()
                        items=page.events
                        row=audit_row
                        empty=t(Text::AuditEmpty)
                    />
                }
            }
        >
            <p class="muted">{t(Text::AuditIntro)}</p>
        </ListCard>
    }
}

fn audit_row(event: AuditEvent) -> impl IntoView {
    let label = action_label(&event.action);
    view! {
        <tr data-testid="audit-row" data-action=event.action.clone()>
            <td>{format_time(event.at)}</td>
            <td>{event.actor.unwrap_or_else(|| t(Text::AuditNotLoggedIn).into())}</td>
            <td data-testid="audit-action">
                {label} " " <code class="code-name">{event.action.clone()}</code>
            </td>
            <td>{event.detail}</td>
            <td>{event.client_address.unwrap_or_default()}</td>
        </tr>
    }
}
