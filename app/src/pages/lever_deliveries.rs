//! `/integrations/lever/deliveries`: every request Lever made and what became of it, with a
//! Retry on the failed ones.

use ::api::LeverDelivery;
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

use crate::api::{ApiFailure, Client};
use crate::components::guard::{AdminOnly, error_note, failure_message, load_failed};
use crate::components::pager::{Pager, use_list_place};
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
    let client = Client::get();
    let (place, go) = use_list_place("/integrations/lever/deliveries");
    let listing = LocalResource::new(move || client.lever_deliveries(place.get()));
    let loaded = move || listing.get().and_then(|answer| answer.ok());
    let next_cursor = Signal::derive(move || loaded().and_then(|listing| listing.next_cursor));
    let not_recorded = move || {
        loaded()
            .map(|listing| listing.rejected_not_recorded)
            .filter(|n| *n > 0)
            .map(|n| {
                view! {
                    <p class="muted" data-testid="rejected-not-recorded">
                        {forged_note(n)}
                    </p>
                }
            })
    };
    let retry = Action::new_local(move |id: &Uuid| {
        let id = *id;
        async move {
            let answer = client.retry_lever_delivery(id).await;
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
                "Every request from Lever to your webhook URL, newest first. Times are in UTC. "
                <A href="/integrations/lever">"Lever setup"</A>
                " · "
                <A href="/pads">"Pads"</A>
            </p>
            <div class="filters">
                <label>
                    "Outcome "
                    <select
                        data-testid="delivery-filter"
                        prop:value=move || place.with(|p| p.status.clone())
                        on:change=move |ev| go.run((place.get_untracked().with_status(&event_target_value(&ev)), false))
                    >
                        {options}
                    </select>
                </label>
                <label>
                    "Search "
                    <input
                        type="search"
                        name="q"
                        placeholder="Candidate or opportunity"
                        value=place.with_untracked(|p| p.q.clone())
                        on:input=move |ev| go.run((place.get_untracked().with_search(&event_target_value(&ev)), true))
                    />
                </label>
            </div>
            {not_recorded}
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
            <Pager place go next_cursor/>
        </section>
    }
}

/// What the page says about forged requests that were only counted.
pub fn forged_note(count: u64) -> String {
    let requests = if count == 1 { "request" } else { "requests" };
    format!(
        "{count} more {requests} with a wrong signature were refused and counted but not listed: past 20 a minute they are not stored."
    )
}

#[component]
fn DeliveryTable(
    deliveries: Vec<LeverDelivery>,
    retry: Action<Uuid, Result<LeverDelivery, ApiFailure>>,
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
    fn every_filter_is_a_status_the_server_knows() {
        assert_eq!(FILTERS.len(), 8);
        assert_eq!(FILTERS[0], ("", "All"));
    }

    #[test]
    fn counted_forgeries_are_told_in_a_sentence() {
        assert!(forged_note(1).starts_with("1 more request with"));
        assert!(forged_note(80).starts_with("80 more requests with"));
    }
}
