//! Lever's side of webhooks: signing, delivering with retries, and the Verify button.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::Shared;
use super::state::{Delivery, Webhook, now_ms, random_id, random_token};

/// Lowercase hex HMAC-SHA256 keyed with the signature token, over token + triggeredAt.
pub fn sign(signature_token: &str, token: &str, triggered_at: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(signature_token.as_bytes()).expect("any key length");
    mac.update(token.as_bytes());
    mac.update(triggered_at.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A delivery body exactly as Lever sends it, signed with the webhook's token.
pub fn signed_body(webhook: &Webhook, event: &str, data: Value) -> Value {
    let triggered_at = now_ms();
    let token = random_token(48);
    json!({
        "triggeredAt": triggered_at,
        "event": event,
        "data": data,
        "signature": sign(&webhook.token, &token, triggered_at),
        "token": token,
    })
}

pub fn http_client() -> reqwest::Client {
    crate::app::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .user_agent("Lever-Webhooks")
        .build()
        .expect("http client")
}

/// One POST; the status, or 0 when no answer came.
pub async fn post(client: &reqwest::Client, url: &str, body: &Value) -> u16 {
    match client.post(url).json(body).send().await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}

/// Queues a delivery to every webhook registered for `event`; retried in the background.
pub fn deliver(shared: &Shared, event: &str, data: Value) -> Vec<String> {
    let targets: Vec<Webhook> = {
        let state = shared.state.lock().unwrap();
        state
            .webhooks
            .iter()
            .filter(|w| w.event == event)
            .cloned()
            .collect()
    };
    targets
        .into_iter()
        .map(|webhook| {
            let body = signed_body(&webhook, event, data.clone());
            start_delivery(shared, &webhook, event, body)
        })
        .collect()
}

/// Sends `body` to the webhook's URL: anything but 2xx is a failure, retried five more times
/// with growing waits.
pub fn start_delivery(shared: &Shared, webhook: &Webhook, event: &str, body: Value) -> String {
    let id = random_id();
    shared.state.lock().unwrap().deliveries.push(Delivery {
        id: id.clone(),
        webhook_id: webhook.id.clone(),
        event: event.into(),
        body: body.clone(),
        attempts: vec![],
        done: false,
    });
    let shared = shared.clone();
    let url = webhook.url.clone();
    let delivery_id = id.clone();
    tokio::spawn(async move {
        let client = http_client();
        let mut wait = shared.options.webhook_retry_base;
        for attempt in 0..6 {
            if attempt > 0 {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            let status = post(&client, &url, &body).await;
            let succeeded = (200..300).contains(&status);
            let mut state = shared.state.lock().unwrap();
            if let Some(delivery) = state.deliveries.iter_mut().find(|d| d.id == delivery_id) {
                delivery.attempts.push(status);
                delivery.done = succeeded || attempt == 5;
            }
            if succeeded {
                break;
            }
        }
    });
    id
}
