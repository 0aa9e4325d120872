//! `/integrations/lever/deliveries`: every request Lever made and what became of it, with a
//! Retry on the failed ones.

use ::api::{LeverDeliveriesResponse, LeverDelivery};
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

use crate::api;
use crate::components::guard::{AdminOnly, error_note, failure_message, load_failed};
use crate::state::Session;
use crate::text::{delivery_outcome, format_time};

/// The filter's choices: (status sent to the server, label).
pub const FILTERS: [(&str, &str); 8] = [
    ("", "All"),
    ("pad_created", "Pad created"),
    ("ignored", "Ignored"),
    ("failed", "Failed, retrying"),
    ("dead", "Failed for good"),
    ("duplicate", "Duplicate"),
    ("rejected", "Rejected"),
    ("queued", "Waiting"),
];

pub fn deliveries_path(status: &str) -> String {
    if status.is_empty() {
        "/api/lever/deliveries".into()
    } else {
        format!("/api/lever/deliveries?status={status}")
    }
}

#[component]
pub fn LeverDeliveries() -> impl IntoView {
    view! {
        <AdminOnly title="Lever deliveries" what="see Lever's deliveries">
            <DeliveriesList/>
        </AdminOnly>
    }
}

#[component]
fn DeliveriesList() -> impl IntoView {
    let session = Session::get();
    let status = RwSignal::new(String::new());
    let listing = LocalResource::new(move || {
        let path = status.with(|s| deliveries_path(s));
        async move { session.fetch::<LeverDeliveriesResponse>(&path).await }
    });
    let retry = Action::new_local(move |id: &Uuid| {
        let path = format!("/api/lever/deliveries/{id}/retry");
        async move {
            let answer = session.observe(api::post::<_, LeverDelivery>(&path, &()).await);
            listing.refetch();
            answer
        }
    });
    let options = FILTERS
        .iter()
        .map(|(value, label)| view! { <option value=*value>{*label}</option> })
        .collect_view();

    view! {
        <section class="card">
            <div class="title-row">
                <h1>"Lever deliveries"</h1>
                <button type="button" class="secondary" on:click=move |_| listing.refetch()>
                    "Refresh"
                </button>
            </div>
            <p class="muted">
                "The latest 200 requests from Lever to your webhook URL, newest first. Times are in UTC. "
                <A href="/integrations/lever">"Lever setup"</A>
                " · "
                <A href="/pads">"Pads"</A>
            </p>
            <label>
                "Outcome "
                <select
                    data-testid="delivery-filter"
                    on:change=move |ev| status.set(event_target_value(&ev))
                >
                    {options}
                </select>
            </label>
            {move || error_note(failure_message(retry.value().get()))}
            <Transition fallback=|| view! { <p class="muted">"Loading deliveries…"</p> }>
                <ErrorBoundary fallback=load_failed>
                    {move || {
                        listing
                            .get()
                            .map(|answer| {
                                answer
                                    .map(|listing| {
                                        view! { <DeliveryTable deliveries=listing.deliveries retry/> }
                                    })
                            })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn DeliveryTable(
    deliveries: Vec<LeverDelivery>,
    retry: Action<Uuid, Result<LeverDelivery, api::ApiFailure>>,
) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="muted" data-testid="no-deliveries">"No deliveries here yet."</p> }
            .into_any();
    }
    let rows = deliveries
        .into_iter()
        .map(|delivery| {
            let outcome = delivery_outcome(&delivery);
            let stage = delivery
                .stage_name
                .clone()
                .or(delivery.stage_id.clone())
                .unwrap_or_default();
            let candidate = delivery
                .candidate_name
                .clone()
                .or(delivery.opportunity_id.clone())
                .unwrap_or_default();
            let id = delivery.id;
            view! {
                <tr data-testid="delivery-row" data-status=delivery.status.clone()>
                    <td class="nowrap">{format_time(delivery.received_at)}</td>
                    <td><code class="code-name">{delivery.event.clone()}</code></td>
                    <td data-testid="delivery-candidate">{candidate}</td>
                    <td>{stage}</td>
                    <td data-testid="delivery-outcome">
                        {outcome}
                        {delivery.pad_link.clone().map(|link| view! {
                            " · " <a href=link.clone() title=link data-testid="delivery-pad-link">"Open pad"</a>
                        })}
                    </td>
                    <td>
                        {delivery.can_retry.then(|| view! {
                            <button
                                type="button"
                                class="secondary"
                                disabled=move || retry.pending().get()
                                on:click=move |_| { retry.dispatch_local(id); }
                            >
                                "Retry"
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="audit" data-testid="deliveries">
            <thead>
                <tr>
                    <th>"Received"</th>
                    <th>"Event"</th>
                    <th>"Candidate"</th>
                    <th>"Stage"</th>
                    <th>"Outcome"</th>
                    <th></th>
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
    fn every_filter_asks_the_server_for_its_status() {
        assert_eq!(deliveries_path(""), "/api/lever/deliveries");
        assert_eq!(deliveries_path("dead"), "/api/lever/deliveries?status=dead");
        assert_eq!(FILTERS.len(), 8);
    }
}
