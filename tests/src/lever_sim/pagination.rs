//! Lever's paging: `limit` 1..=100 (default 100), `offset` = the previous page's `next`, and
//! `{"data": [...], "hasNext": bool, "next": "<token>"}` (no `next` on the last page).
//!
//! Tokens are opaque and look like Lever's: already percent-encoded, with a `+`, a `/` and `=`
//! inside, e.g. `%5B1700000000000%2C%22Ab3j+xY9k/Qz1bA%3D%3D%22%5D`. A client must send the
//! token back percent-encoded as a query value; the simulator accepts it as given or in its
//! percent-decoded form (a client that decoded it first), and refuses anything else with 400,
//! such as a token pasted into the URL unencoded (its `+` then reads as a space).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::api::lever_error;
use super::query;
use super::state::{PageToken, SimState, now_ms};

pub const MAX_LIMIT: usize = 100;

/// One page of `items` (the whole list, in order) as the query asks.
pub fn page(
    state: &mut SimState,
    list: &'static str,
    items: Vec<Value>,
    query: &[(String, String)],
) -> HttpResponse {
    let limit = match query::values(query, "limit").as_slice() {
        [] => MAX_LIMIT,
        [one] => match parse_limit(one) {
            Some(limit) => limit,
            None => {
                return bad_request(&format!(
                    "Invalid limit {one:?}: it must be a whole number from 1 to {MAX_LIMIT}"
                ));
            }
        },
        _ => return bad_request("limit may be given only once"),
    };
    let start = match query::values(query, "offset").as_slice() {
        [] => 0,
        [token] => match state.page_tokens.get(*token) {
            Some(PageToken { list: of, index }) if *of == list => *index,
            Some(_) => return bad_request("This offset belongs to another list"),
            None => return bad_request(&format!("Invalid offset {token:?}")),
        },
        _ => return bad_request("offset may be given only once"),
    };
    let start = start.min(items.len());
    let end = (start + limit).min(items.len());
    let data = items[start..end].to_vec();
    if end < items.len() {
        let token = new_token();
        let continuation = PageToken { list, index: end };
        state
            .page_tokens
            .insert(query::percent_decode(&token), continuation.clone());
        state.page_tokens.insert(token.clone(), continuation);
        HttpResponse::Ok().json(json!({"data": data, "hasNext": true, "next": token}))
    } else {
        HttpResponse::Ok().json(json!({"data": data, "hasNext": false}))
    }
}

fn parse_limit(text: &str) -> Option<usize> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n))
}

fn bad_request(message: &str) -> HttpResponse {
    lever_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// A fresh token: a percent-encoded JSON pair whose random part is base64 with `+`, `/`, `=`.
pub fn new_token() -> String {
    let random: [u8; 10] = rand::random();
    let mut middle = STANDARD.encode(random);
    // Each troublesome character is there, whatever the random bytes were.
    middle.insert(4, '+');
    middle.insert(9, '/');
    format!("%5B{}%2C%22{middle}%22%5D", now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_need_encoding_and_decode_to_something_else() {
        let token = new_token();
        for c in ['%', '+', '/', '='] {
            assert!(token.contains(c), "{token} lacks {c}");
        }
        // Sent raw in a URL, a server reads the '+' as a space: neither accepted form.
        let mangled = query::form_decode(&token);
        assert_ne!(mangled, token);
        assert_ne!(mangled, query::percent_decode(&token));
        // Sent properly encoded, it comes back intact.
        assert_eq!(query::form_decode(&query::percent_encode(&token)), token);
    }

    #[test]
    fn limits_are_whole_numbers_from_1_to_100() {
        assert_eq!(parse_limit("1"), Some(1));
        assert_eq!(parse_limit("100"), Some(100));
        for bad in [
            "0",
            "101",
            "",
            "-1",
            "1.5",
            " 5",
            "ten",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_limit(bad), None, "{bad:?}");
        }
    }
}
