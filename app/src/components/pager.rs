//! Lists that page with the server's cursor. A list's place (filters, search, page) lives in
//! the console's URL query, so reload and Back keep it; "Next page" follows the cursor the
//! server gave and Back returns to the page before.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::i18n::{Text, t};

/// Where a list is: its filter, its search text and the page's cursor (empty: first page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPlace {
    pub status: String,
    pub q: String,
    pub cursor: String,
}

impl ListPlace {
    /// Reads the place from a URL query (`get` looks a name up).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            status: get("status").unwrap_or_default(),
            q: get("q").unwrap_or_default(),
            cursor: get("cursor").unwrap_or_default(),
        }
    }

    fn query(&self, limit: Option<u32>) -> String {
        let mut parts = Vec::new();
        if !self.status.is_empty() {
            parts.push(format!("status={}", encode_query_value(&self.status)));
        }
        if !self.q.trim().is_empty() {
            parts.push(format!("q={}", encode_query_value(self.q.trim())));
        }
        if let Some(limit) = limit {
            parts.push(format!("limit={limit}"));
        }
        if !self.cursor.is_empty() {
            parts.push(format!("cursor={}", encode_query_value(&self.cursor)));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The console's address for this place, e.g. `/pads?status=ended`.
    pub fn page_url(&self, page: &str) -> String {
        format!("{page}{}", self.query(None))
    }

    /// The API's address for this place, e.g. `/api/pads?status=ended&limit=50`.
    pub fn api_url(&self, endpoint: &str) -> String {
        format!("{endpoint}{}", self.query(Some(api::PAGE_LIMIT_DEFAULT)))
    }

    /// Another filter starts at the first page.
    pub fn with_status(&self, status: &str) -> Self {
        Self {
            status: status.to_string(),
            cursor: String::new(),
            ..self.clone()
        }
    }

    /// Another search starts at the first page.
    pub fn with_search(&self, q: &str) -> Self {
        Self {
            q: q.to_string(),
            cursor: String::new(),
            ..self.clone()
        }
    }

    pub fn next(&self, cursor: &str) -> Self {
        Self {
            cursor: cursor.to_string(),
            ..self.clone()
        }
    }

    pub fn first(&self) -> Self {
        self.next("")
    }

    pub fn is_first(&self) -> bool {
        self.cursor.is_empty()
    }
}

/// Percent-encodes a query value (letters, digits and `-_.~` stay).
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The list's place from the URL, and a way to move to another one. A search replaces the
/// history entry (one per keystroke would make Back useless); filters and pages add one.
pub fn use_list_place(page: &'static str) -> (Memo<ListPlace>, Callback<(ListPlace, bool)>) {
    let query = use_query_map();
    let place = Memo::new(move |_| query.with(|q| ListPlace::from_query(|name| q.get(name))));
    let navigate = use_navigate();
    let go = Callback::new(move |(next, replace): (ListPlace, bool)| {
        navigate(
            &next.page_url(page),
            NavigateOptions {
                replace,
                ..Default::default()
            },
        );
    });
    (place, go)
}

/// "First page" and "Next page" under a list.
#[component]
pub fn Pager(
    place: Memo<ListPlace>,
    go: Callback<(ListPlace, bool)>,
    /// The cursor of the page after this one, once the page has loaded.
    #[prop(into)]
    next_cursor: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="pager">
            <button
                type="button"
                class="secondary"
                data-testid="first-page"
                disabled=move || place.with(ListPlace::is_first)
                on:click=move |_| go.run((place.get_untracked().first(), false))
            >
                {t(Text::PagerFirst)}
            </button>
            <button
                type="button"
                class="secondary"
                data-testid="next-page"
                disabled=move || next_cursor.with(Option::is_none)
                on:click=move |_| {
                    if let Some(cursor) = next_cursor.get_untracked() {
                        go.run((place.get_untracked().next(&cursor), false));
                    }
                }
            >
                {t(Text::PagerNext)}
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_becomes_both_addresses() {
        let first = ListPlace::default();
        assert_eq!(first.page_url("/pads"), "/pads");
        assert_eq!(first.api_url("/api/pads"), "/api/pads?limit=50");
        let place = first
            .with_status("ended")
            .with_search(" Ada L&x ")
            .next("abc_-1");
        assert_eq!(
            place.page_url("/pads"),
            "/pads?status=ended&q=Ada%20L%26x&cursor=abc_-1"
        );
        assert_eq!(
            place.api_url("/api/pads"),
            "/api/pads?status=ended&q=Ada%20L%26x&limit=50&cursor=abc_-1"
        );
    }

    #[test]
    fn filters_and_searches_start_again_at_the_first_page() {
        let deep = ListPlace::default().next("abc");
        assert!(!deep.is_first());
        assert!(deep.with_status("dead").is_first());
        assert!(deep.with_search("x").is_first());
        assert!(deep.first().is_first());
    }

    #[test]
    fn the_url_query_gives_the_place_back() {
        let place = ListPlace::default()
            .with_status("failed")
            .with_search("o")
            .next("c");
        let query = [("status", "failed"), ("q", "o"), ("cursor", "c")];
        let read = ListPlace::from_query(|name| {
            query
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(read, place);
    }
}
