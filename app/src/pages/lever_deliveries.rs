//! `/integrations/lever/deliveries`: every request Lever made and what became of it, with a
//! Retry on the failed ones.

use ::api::DeliveryId;
use ::api::{LeverDeliveriesResponse, LeverDelivery};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{ApiFailure, Client};
use crate::components::guard::{AdminOnly, failure_message};
use crate::components::list::{DataTable, ListCard, Listing, SearchBox, StatusFilter};
use crate::text::{delivery_event, delivery_outcome, format_time};

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

const HEADERS: [&str; 6] = ["Received", "Event", "Candidate", "Stage", "Outcome", ""];

#[component]
fn DeliveriesList() -> impl IntoView {
    let client = Client::get();
    let listing = Listing::new("/integrations/lever/deliveries", move |place| {
        client.lever_deliveries(place)
    });
    let not_recorded = move || {
        listing
            .loaded()
            .map(|page| page.rejected_not_recorded)
            .filter(|n| *n > 0)
            .map(|n| {
                view! {
                    <p class="muted" data-testid="rejected-not-recorded">
                        {forged_note(n)}
                    </p>
                }
            })
    };
    // Deliveries keep coming and jobs finish meanwhile: look again every 10 seconds.
    let refresh = set_interval_with_handle(
        move || listing.refetch(),
        std::time::Duration::from_secs(10),
    );
    on_cleanup(move || {
        if let Ok(handle) = refresh {
            handle.clear();
        }
    });
    let retry = Action::new_local(move |id: &DeliveryId| {
        let id = *id;
        async move {
            let answer = client.retry_lever_delivery(id).await;
            listing.refetch();
            answer
        }
    });

    view! {
        <ListCard
            title="Lever deliveries"
            listing
            loading="Loading deliveries…"
            refresh=true
            problem=Signal::derive(move || failure_message(retry.value().get()))
            show=move |page: LeverDeliveriesResponse| {
                view! {
                    <DataTable
                        testid="deliveries"
                        class="audit"
                        headers=&HEADERS
                        items=page.deliveries
                        row=move |delivery| delivery_row(delivery, retry)
                        empty="No deliveries here yet."
                        empty_testid="no-deliveries"
                    />
                }
            }
        >
            <p class="muted">
                "Every request from Lever to your webhook URL, newest first. Times are in UTC. "
                <A href="/integrations/lever">"Lever setup"</A>
                " · "
                <A href="/pads">"Pads"</A>
            </p>
            <div class="filters">
                <StatusFilter listing label="Outcome " testid="delivery-filter" options=&FILTERS/>
                <SearchBox listing placeholder="Candidate or opportunity"/>
            </div>
            {not_recorded}
        </ListCard>
    }
}

/// What the page says about forged requests that were only counted.
pub fn forged_note(count: u64) -> String {
    let requests = if count == 1 { "request" } else { "requests" };
    format!(
        "{count} more {requests} with a wrong signature were refused and counted but not listed: past 20 a minute they are not stored."
    )
}

fn delivery_row(
    delivery: LeverDelivery,
    retry: Action<DeliveryId, Result<LeverDelivery, ApiFailure>>,
) -> impl IntoView {
    let outcome = delivery_outcome(&delivery);
    let stage = delivery
        .stage_name
        .clone()
        .or(delivery.stage_id.clone())
        .unwrap_or_default();
    // A candidate Lever was never asked about is known by the opportunity's id only.
    let candidate = match (&delivery.candidate_name, &delivery.opportunity_id) {
        (Some(name), _) => view! { {name.clone()} }.into_any(),
        (None, Some(opportunity)) => {
            view! { <span class="muted">"Opportunity " <code class="code-name">{opportunity.clone()}</code></span> }
                .into_any()
        }
        (None, None) => ().into_any(),
    };
    let event = delivery_event(&delivery);
    let id = delivery.id;
    view! {
        <tr data-testid="delivery-row" data-status=delivery.status.as_str()>
            <td>{format_time(delivery.received_at)}</td>
            <td><code class="code-name">{event}</code></td>
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
