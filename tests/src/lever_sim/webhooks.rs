//! Lever's side of webhooks (../shared/lever-api.md section 2): signing, deliveries retried
//! in the background with growing waits, and the one-shot sends (Verify, Rerun, forged).
//!
//! A delivery is a POST with `Content-Type: application/json`, `User-Agent: Lever-Webhooks`
//! and the body `{"triggeredAt", "event", "data", "signature", "token"}` in that order, where
//! `signature = hex(HMAC-SHA256(key = the entry's signature token, token + triggeredAt))`.
//! Anything but 2xx (3xx too: redirects are not followed) is a failure.

use std::time::Instant;

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;

use super::state::{Webhook, now_ms, random_id, random_token};
use super::{DeliveryKind, DeliveryState, Shared, SimAttempt, SimDelivery, SimOptions};

/// Lowercase hex HMAC-SHA256 keyed with the signature token, over token + triggeredAt (its
/// decimal digits, no separator).
pub fn sign(signature_token: &str, token: &str, triggered_at: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(signature_token.as_bytes()).expect("any key length");
    mac.update(token.as_bytes());
    mac.update(triggered_at.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The body's fields, in Lever's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    triggered_at: i64,
    event: &'a str,
    data: &'a Value,
    signature: String,
    token: String,
}

/// The exact JSON text Lever would send now for `event`, signed with `signature_token`, in
/// Lever's field order.
pub fn signed_text(signature_token: &str, event: &str, data: &Value) -> String {
    let triggered_at = now_ms();
    let token = random_token(48);
    serde_json::to_string(&Body {
        triggered_at,
        event,
        data,
        signature: sign(signature_token, &token, triggered_at),
        token,
    })
    .expect("serializable")
}

/// The body Lever sends for an entry with this signing token; without one (none generated),
/// Lever leaves `signature` and `token` out.
pub fn body_text(signature_token: Option<&str>, event: &str, data: &Value) -> String {
    match signature_token {
        Some(key) => signed_text(key, event, data),
        None => serde_json::to_string(&UnsignedBody {
            triggered_at: now_ms(),
            event,
            data,
        })
        .expect("serializable"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UnsignedBody<'a> {
    triggered_at: i64,
    event: &'a str,
    data: &'a Value,
}

/// A delivery body as Lever sends it, signed with `signature_token`, as JSON to alter (its
/// text no longer keeps Lever's field order; [`signed_text`] does). Send it with
/// [`super::LeverSim::send_raw_webhook`].
pub fn signed_body(signature_token: &str, event: &str, data: Value) -> Value {
    serde_json::from_str(&signed_text(signature_token, event, &data)).expect("JSON")
}

fn http_client(options: &SimOptions) -> reqwest::Client {
    crate::app::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.webhook_timeout)
        .tls_certs_merge(options.trusted_roots.iter().cloned())
        // A fresh connection each time: a receiver's idle keep-alive must not fail a retry.
        .pool_max_idle_per_host(0)
        .build()
        .expect("an HTTP client for deliveries")
}

/// One POST with Lever's headers.
async fn attempt(client: &reqwest::Client, url: &str, body: &str, at_ms: u64) -> SimAttempt {
    let started = Instant::now();
    let outcome = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, "Lever-Webhooks")
        .body(body.to_string())
        .send()
        .await;
    let (status, error) = match outcome {
        // Read the answer through, so its time counts.
        Ok(response) => {
            let status = response.status().as_u16();
            let _ = response.bytes().await;
            (status, None)
        }
        Err(e) if e.is_timeout() => (0, Some("timed out".to_string())),
        Err(e) if e.is_connect() => (0, Some("connection refused".to_string())),
        Err(e) => (0, Some(e.without_url().to_string())),
    };
    SimAttempt {
        status,
        error,
        at_ms,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

fn succeeded(status: u16) -> bool {
    (200..300).contains(&status)
}

fn event_of(body: &str) -> Option<String> {
    serde_json::from_str::<Value>(body)
        .ok()?
        .get("event")?
        .as_str()
        .map(String::from)
}

fn record(
    shared: &Shared,
    kind: DeliveryKind,
    webhook_id: Option<String>,
    url: &str,
    body: String,
) -> String {
    let id = random_id();
    shared.lock().deliveries.push(SimDelivery {
        id: id.clone(),
        kind,
        webhook_id,
        event: event_of(&body),
        url: url.to_string(),
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        raw_body: body,
        attempts: vec![],
        attempt_details: vec![],
        state: DeliveryState::Pending,
        done: false,
    });
    id
}

fn add_attempt(shared: &Shared, delivery_id: &str, attempt: SimAttempt, last: bool) {
    let mut state = shared.lock();
    if let Some(delivery) = state.deliveries.iter_mut().find(|d| d.id == delivery_id) {
        let ok = succeeded(attempt.status);
        delivery.attempts.push(attempt.status);
        delivery.attempt_details.push(attempt);
        if ok {
            delivery.state = DeliveryState::Succeeded;
        } else if last {
            delivery.state = DeliveryState::Failed;
        }
        delivery.done = delivery.state != DeliveryState::Pending;
    }
}

/// Queues a signed delivery of `event` to every webhook registered for it; each is retried
/// in the background. Returns the delivery ids at once.
pub fn queue_event(shared: &Shared, event: &str, data: &Value) -> Vec<String> {
    let targets: Vec<Webhook> = shared
        .lock()
        .webhooks
        .iter()
        .filter(|w| w.event == event)
        .cloned()
        .collect();
    targets
        .into_iter()
        .map(|webhook| {
            let body = body_text(webhook.token.as_deref(), event, data);
            let id = record(
                shared,
                DeliveryKind::Event,
                Some(webhook.id.clone()),
                &webhook.url,
                body.clone(),
            );
            tokio::spawn(deliver_with_retries(
                shared.clone(),
                id.clone(),
                webhook.url,
                body,
            ));
            id
        })
        .collect()
}

/// The first attempt at once, then after base, 2·base, 4·base, ... until a 2xx or the last
/// retry. Every attempt is recorded. Retries resend the very same body.
async fn deliver_with_retries(shared: Shared, delivery_id: String, url: String, body: String) {
    let client = http_client(&shared.options);
    let attempts = 1 + shared.options.webhook_retries;
    let mut wait = shared.options.webhook_retry_base;
    for n in 0..attempts {
        if n > 0 {
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
        let at_ms = shared.lock().elapsed_ms();
        let result = attempt(&client, &url, &body, at_ms).await;
        let ok = succeeded(result.status);
        add_attempt(&shared, &delivery_id, result, n + 1 == attempts);
        if ok {
            return;
        }
    }
}

/// Sends once (Verify, Rerun, forged) and waits for the answer: (delivery id, status).
pub async fn send_once(
    shared: &Shared,
    kind: DeliveryKind,
    webhook_id: Option<String>,
    url: &str,
    body: String,
) -> (String, u16) {
    let id = record(shared, kind, webhook_id, url, body.clone());
    let client = http_client(&shared.options);
    let at_ms = shared.lock().elapsed_ms();
    let result = attempt(&client, url, &body, at_ms).await;
    let status = result.status;
    add_attempt(shared, &id, result, true);
    (id, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_published_vector() {
        assert_eq!(
            sign(
                "test-signature-token",
                "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154",
                1431454330072
            ),
            "67237316b71be6f4595c3313d347b09353b22d7cbab3726261b73d409acd8fd7"
        );
    }

    #[test]
    fn bodies_have_lever_fields_in_lever_order_and_verify() {
        let data = serde_json::json!({"opportunityId": "o1"});
        let text = signed_text("key", "candidateStageChange", &data);
        let order: Vec<usize> = ["triggeredAt", "event", "data", "signature", "token"]
            .iter()
            .map(|field| text.find(&format!("\"{field}\"")).expect(field))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        let token = body["token"].as_str().unwrap();
        assert_eq!(token.len(), 48);
        let triggered_at = body["triggeredAt"].as_i64().unwrap();
        assert_eq!(body["signature"], sign("key", token, triggered_at));
        assert_eq!(body["data"], data);
    }
}
