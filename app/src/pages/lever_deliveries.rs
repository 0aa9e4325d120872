//! `/integrations/lever/deliveries`: every request Lever made and what became of it, with a
//! Retry on the failed ones.

use std::sync::OnceLock;

use ::api::DeliveryId;
use ::api::i18n::Locale;
use ::api::{LeverDeliveriesResponse, LeverDelivery};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{ApiFailure, Client};
use crate::components::guard::{AdminOnly, failure_message};
use crate::components::list::{DataTable, ListCard, Listing, SearchBox, StatusFilter};
use crate::i18n::{Text, locale, t, tn};
use crate::text::{delivery_event, delivery_outcome, format_time};

/// The filter's choices: (status sent to the server, label).
pub const FILTERS: [(&str, Text); 8] = [
    ("", Text::DeliveriesFilterAll),
    ("pad_created", Text::DeliveriesFilterPadCreated),
    ("ignored", Text::DeliveriesFilterIgnored),
    ("failed", Text::DeliveriesFilterFailed),
    ("dead", Text::DeliveriesFilterDead),
    ("duplicate", Text::DeliveriesFilterDuplicate),
    ("rejected", Text::DeliveriesFilterRejected),
    ("queued", Text::DeliveriesFilterQueued),
];

/// The filter's choices in `language`, built at compile time: the filter wants them for good.
const fn filters_in(language: Locale) -> [(&'static str, &'static str); 8] {
    let mut out = [("", ""); 8];
    let mut index = 0;
    while index < FILTERS.len() {
        out[index] = (FILTERS[index].0, FILTERS[index].1.get(language));
        index += 1;
    }
    out
}

/// The filter's choices in the current language.
pub fn filters() -> &'static [(&'static str, &'static str)] {
    static EN: [(&str, &str); 8] = filters_in(Locale::En);
    static FR: [(&str, &str); 8] = filters_in(Locale::Fr);
    match locale() {
        Locale::En => &EN,
        Locale::Fr => &FR,
    }
}

/// The table's column headings; the last column holds the Retry buttons.
const HEADERS: [Option<Text>; 6] = [
    Some(Text::DeliveriesColumnReceived),
    Some(Text::DeliveriesColumnEvent),
    Some(Text::DeliveriesColumnCandidate),
    Some(Text::DeliveriesColumnStage),
    Some(Text::DeliveriesColumnOutcome),
    None,
];

const fn headers_in(language: Locale) -> [&'static str; 6] {
    let mut out = [""; 6];
    let mut index = 0;
    while index < HEADERS.len() {
        if let Some(text) = HEADERS[index] {
            out[index] = text.get(language);
        }
        index += 1;
    }
    out
}

/// The column headings in the current language.
fn headers() -> &'static [&'static str] {
    static EN: [&str; 6] = headers_in(Locale::En);
    static FR: [&str; 6] = headers_in(Locale::Fr);
    match locale() {
        Locale::En => &EN,
        Locale::Fr => &FR,
    }
}

/// The filter's label, with the space the filter does not put between it and its field.
fn filter_label() -> &'static str {
    static EN: OnceLock<String> = OnceLock::new();
    static FR: OnceLock<String> = OnceLock::new();
    let cell = match locale() {
        Locale::En => &EN,
        Locale::Fr => &FR,
    };
    cell.get_or_init(|| format!("{} ", t(Text::DeliveriesFilterLabel)))
}

#[component]
pub fn LeverDeliveries() -> impl IntoView {
    view! {
        <AdminOnly title=t(Text::DeliveriesTitle) sentence=Text::GuardAdminOnlyDeliveries>
            <DeliveriesList/>
        </AdminOnly>
    }
}

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
            title=t(Text::DeliveriesTitle)
            listing
            loading=t(Text::DeliveriesLoading)
            refresh=true
            problem=Signal::derive(move || failure_message(retry.value().get()))
            show=move |page: LeverDeliveriesResponse| {
                view! {
                    <DataTable
                        testid="deliveries"
                        class="audit"
                        headers=headers()
                        items=page.deliveries
                        row=move |delivery| delivery_row(delivery, retry)
                        empty=t(Text::DeliveriesEmpty)
                        empty_testid="no-deliveries"
                    />
                }
            }
        >
            <p class="muted">
                {t(Text::DeliveriesIntro)}
                " "
                <A href="/integrations/lever">{t(Text::DeliveriesSetupLink)}</A>
                " · "
                <A href="/pads">{t(Text::NavPads)}</A>
            </p>
            <div class="filters">
                <StatusFilter listing label=filter_label() testid="delivery-filter" options=filters()/>
                <SearchBox listing placeholder=t(Text::DeliveriesSearch)/>
            </div>
            {not_recorded}
        </ListCard>
    }
}

/// What the page says about forged requests that were only counted.
pub fn forged_note(count: u64) -> String {
    tn(
        count,
        Text::DeliveriesForgedOne,
        Text::DeliveriesForgedOther,
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
            let (before, after) = crate::i18n::around(Text::DeliveriesOpportunity, "id");
            view! {
                <span class="muted">
                    {before}
                    <code class="code-name">{opportunity.clone()}</code>
                    {after}
                </span>
            }
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
                    " · " <a href=link.clone() title=link data-testid="delivery-pad-link">{t(Text::DeliveriesOpenPad)}</a>
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
                        {t(Text::DeliveriesRetry)}
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
        assert_eq!(filters()[0], ("", "All"));
        assert_eq!(headers()[0], "Received");
        assert_eq!(headers()[5], "");
        assert_eq!(filter_label(), "Outcome ");
    }

    #[test]
    fn counted_forgeries_are_told_in_a_sentence() {
        assert!(forged_note(1).starts_with("1 more request with"));
        assert!(forged_note(1).contains("was refused"));
        assert!(forged_note(80).starts_with("80 more requests with"));
        assert!(forged_note(1200).starts_with("1,200 more requests"));
    }

    /// Each test runs on its own thread, and the language is per thread: French stays here.
    #[test]
    fn french_filters_headings_and_notes() {
        crate::i18n::set_locale(Locale::Fr);
        assert_eq!(filters()[0], ("", "Toutes"));
        assert_eq!(filters()[4], ("dead", "Échec définitif"));
        assert_eq!(headers()[2], "Candidat");
        assert_eq!(filter_label(), "Résultat ");
        assert!(
            forged_note(1).starts_with("1 autre requête"),
            "{}",
            forged_note(1)
        );
        assert!(
            forged_note(1200).starts_with("1\u{202f}200 autres requêtes"),
            "{}",
            forged_note(1200)
        );
        assert_eq!(
            crate::i18n::around(Text::DeliveriesOpportunity, "id"),
            ("Opportunité ", "")
        );
        crate::i18n::set_locale(Locale::En);
    }
}
