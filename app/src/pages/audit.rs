use ::api::{AuditEvent, AuditPage};
use leptos::prelude::*;

use crate::components::guard::{AdminOnly, load_failed};
use crate::state::Session;
use crate::text::{action_label, format_time};

/// Events per page.
pub const PAGE_SIZE: u32 = 50;

/// Where the log is in its pages, newest first. Each "Older" remembers the cursor it came
/// from, so "Newer" can go back without the server keeping any state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditCursor {
    befores: Vec<i64>,
}

impl AuditCursor {
    /// The `before` of the page shown: none for the newest page.
    pub fn before(&self) -> Option<i64> {
        self.befores.last().copied()
    }

    /// Moves to the page the server's `next_before` points at.
    pub fn older(&mut self, next_before: i64) {
        self.befores.push(next_before);
    }

    /// Back one page towards the newest.
    pub fn newer(&mut self) {
        self.befores.pop();
    }

    pub fn is_newest(&self) -> bool {
        self.befores.is_empty()
    }

    /// 1 for the newest page.
    pub fn page_number(&self) -> usize {
        self.befores.len() + 1
    }

    pub fn path(&self) -> String {
        match self.before() {
            Some(before) => format!("/api/audit?before={before}&limit={PAGE_SIZE}"),
            None => format!("/api/audit?limit={PAGE_SIZE}"),
        }
    }
}

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
    let session = Session::get();
    let cursor = RwSignal::new(AuditCursor::default());
    let page = LocalResource::new(move || {
        let path = cursor.with(AuditCursor::path);
        async move { session.fetch::<AuditPage>(&path).await }
    });
    let next_before = move || {
        page.get()
            .and_then(|answer| answer.ok())
            .and_then(|page| page.next_before)
    };

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
            <div class="pager">
                <button
                    type="button"
                    class="secondary"
                    disabled=move || cursor.with(AuditCursor::is_newest)
                    on:click=move |_| cursor.update(AuditCursor::newer)
                >
                    "Newer"
                </button>
                <span class="muted" data-testid="audit-page">
                    {move || format!("Page {}", cursor.with(AuditCursor::page_number))}
                </span>
                <button
                    type="button"
                    class="secondary"
                    disabled=move || next_before().is_none()
                    on:click=move |_| {
                        if let Some(before) = next_before() {
                            cursor.update(|cursor| cursor.older(before));
                        }
                    }
                >
                    "Older"
                </button>
            </div>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_older_and_back() {
        let mut cursor = AuditCursor::default();
        assert!(cursor.is_newest());
        assert_eq!(cursor.path(), "/api/audit?limit=50");
        cursor.older(120);
        cursor.older(70);
        assert_eq!(cursor.page_number(), 3);
        assert_eq!(cursor.path(), "/api/audit?before=70&limit=50");
        cursor.newer();
        assert_eq!(cursor.before(), Some(120));
        cursor.newer();
        cursor.newer();
        assert!(
            cursor.is_newest(),
            "newer than the newest stays on the newest"
        );
        assert_eq!(cursor.page_number(), 1);
    }
}
