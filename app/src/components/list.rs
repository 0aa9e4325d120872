//! What the list pages share (pads, deliveries, members, audit): the page loaded for the place
//! in the URL, the card around it (title, Refresh, filters, the list, the pager), the filter
//! and search fields that move the place, and the table the rows go in.

use std::future::Future;

use ::api::{AuditPage, LeverDeliveriesResponse, MembersResponse, PadsResponse};
use leptos::prelude::*;

use crate::api::Answer;
use crate::components::guard::{error_note, load_failed};
use crate::components::pager::{ListPlace, Pager, use_list_place};
use crate::i18n::{Text, t};

/// A list answer that pages with the server's cursor.
pub trait Paged {
    fn next_cursor(&self) -> Option<String>;
}

macro_rules! paged {
    ($($answer:ty),*) => {$(
        impl Paged for $answer {
            fn next_cursor(&self) -> Option<String> {
                self.next_cursor.clone()
            }
        }
    )*};
}

paged!(
    PadsResponse,
    LeverDeliveriesResponse,
    MembersResponse,
    AuditPage
);

/// A list page's place (in the URL) and the page of the list loaded for it.
pub struct Listing<T: 'static> {
    pub place: Memo<ListPlace>,
    pub go: Callback<(ListPlace, bool)>,
    pub page: LocalResource<Answer<T>>,
}

impl<T> Clone for Listing<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Listing<T> {}

impl<T: Paged + Clone + 'static> Listing<T> {
    /// The list at console address `path` (e.g. `/pads`): `fetch` loads the page for the place
    /// in the URL, again whenever the place changes.
    pub fn new<F>(path: &'static str, fetch: impl Fn(ListPlace) -> F + 'static) -> Self
    where
        F: Future<Output = Answer<T>> + 'static,
    {
        let (place, go) = use_list_place(path);
        let page = LocalResource::new(move || fetch(place.get()));
        Self { place, go, page }
    }

    /// The page, once loaded.
    pub fn loaded(self) -> Option<T> {
        self.page.get().and_then(Result::ok)
    }

    pub fn refetch(self) {
        self.page.refetch();
    }

    /// Goes to another place (`replace`: instead of adding a history entry).
    pub fn go(self, place: ListPlace, replace: bool) {
        self.go.run((place, replace));
    }
}

/// The card of a list page: the title (with Refresh), `children` (what the list is, its
/// filters), the last failure of an action on the rows, the loaded page as `show` renders it,
/// and the pager. Lists take the page's full width.
#[component]
pub fn ListCard<T, V, F>(
    title: &'static str,
    listing: Listing<T>,
    /// What the card says while the first page loads.
    loading: &'static str,
    show: F,
    /// A Refresh button beside the title.
    #[prop(optional)]
    refresh: bool,
    #[prop(into, optional)] problem: MaybeProp<String>,
    children: Children,
) -> impl IntoView
where
    T: Paged + Clone + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    let heading = if refresh {
        view! {
            <div class="title-row">
                <h1>{title}</h1>
                <button type="button" class="secondary" on:click=move |_| listing.refetch()>
                    {t(Text::ListRefresh)}
                </button>
            </div>
        }
        .into_any()
    } else {
        view! { <h1>{title}</h1> }.into_any()
    };
    let next_cursor = Signal::derive(move || listing.loaded().and_then(|page| page.next_cursor()));
    view! {
        <section class="card wide">
            {heading}
            {children()}
            {move || error_note(problem.get())}
            <Transition fallback=move || view! { <p class="muted">{loading}</p> }>
                <ErrorBoundary fallback=load_failed>
                    {move || {
                        let show = show.clone();
                        listing.page.get().map(|answer| answer.map(show))
                    }}
                </ErrorBoundary>
            </Transition>
            <Pager place=listing.place go=listing.go next_cursor/>
        </section>
    }
}

/// A `<select>` that filters the list by status: `options` are (value in the URL, label), the
/// labels in the reader's language (`[(value, t(Text::X)), …]`; a `&'static` array works too).
#[component]
pub fn StatusFilter<T: Paged + Clone + 'static>(
    listing: Listing<T>,
    /// The field's name, without a trailing space (one is put before the `<select>`).
    label: &'static str,
    testid: &'static str,
    #[prop(into)] options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let place = listing.place;
    view! {
        <label>
            {label}
            " "
            <select
                data-testid=testid
                prop:value=move || place.with(|p| p.status.clone())
                on:change=move |ev| {
                    listing.go(place.get_untracked().with_status(&event_target_value(&ev)), false)
                }
            >
                {options
                    .into_iter()
                    .map(|(value, label)| view! { <option value=value>{label}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

/// The list's search field. Typing replaces the history entry (one per keystroke would make
/// Back useless); when the place changes otherwise (Back, a link), the field shows its search.
#[component]
pub fn SearchBox<T: Paged + Clone + 'static>(
    listing: Listing<T>,
    placeholder: &'static str,
) -> impl IntoView {
    let place = listing.place;
    let field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        let q = place.with(|p| p.q.clone());
        if let Some(field) = field.get_untracked()
            && field.value().trim() != q.trim()
        {
            field.set_value(&q);
        }
    });
    view! {
        <label>
            {t(Text::ListSearch)}
            " "
            <input
                node_ref=field
                type="search"
                name="q"
                placeholder=placeholder
                value=place.with_untracked(|p| p.q.clone())
                on:input=move |ev| {
                    listing.go(place.get_untracked().with_search(&event_target_value(&ev)), true)
                }
            />
        </label>
    }
}

/// A table with a header row and a row per item; with no items, `empty` (if given) instead.
#[component]
pub fn DataTable<T, V, R>(
    testid: &'static str,
    /// Column headings in the reader's language (`[t(Text::X), …]`; a `&'static` array works
    /// too); "" for a column of buttons.
    #[prop(into)]
    headers: Vec<&'static str>,
    items: Vec<T>,
    row: R,
    #[prop(optional)] class: Option<&'static str>,
    /// What to say instead of an empty table.
    #[prop(optional)]
    empty: Option<&'static str>,
    #[prop(optional)] empty_testid: Option<&'static str>,
) -> impl IntoView
where
    V: IntoView + 'static,
    R: Fn(T) -> V,
{
    if let Some(empty) = empty.filter(|_| items.is_empty()) {
        return view! { <p class="muted" data-testid=empty_testid>{empty}</p> }.into_any();
    }
    let rows = items.into_iter().map(row).collect_view();
    let table = NodeRef::<leptos::html::Table>::new();
    let labels = headers.clone();
    // On a phone the rows stack (see `table.stack` in the style sheet) and each cell shows its
    // column's name, from data-label: written here once, not in every page's rows.
    Effect::new(move |_| {
        if let Some(table) = table.get() {
            label_cells(&table, &labels);
        }
    });
    let class = match class {
        Some(class) => format!("stack {class}"),
        None => "stack".to_string(),
    };
    view! {
        <table node_ref=table class=class data-testid=testid>
            <thead>
                <tr>{headers.into_iter().map(|h| view! { <th>{h}</th> }).collect_view()}</tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// Gives each body cell of `table` its column's heading as `data-label`.
fn label_cells(table: &web_sys::HtmlTableElement, headers: &[&str]) {
    let rows = table.rows();
    for r in 0..rows.length() {
        let Some(row) = rows.item(r) else { continue };
        let cells = row.children();
        for c in 0..cells.length() {
            if let (Some(cell), Some(label)) = (cells.item(c), headers.get(c as usize))
                && cell.tag_name() == "TD"
            {
                let _ = cell.set_attribute("data-label", label);
            }
        }
    }
}
