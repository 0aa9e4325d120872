//! A Lever simulator, as strict as ../shared/lever-api.md: the Lever API under `/v1` (Basic
//! auth with per-endpoint permissions, a 10/s token bucket per key with bursts of 20, opaque
//! pagination tokens, Lever's error bodies, injectable faults) and a control API under `/_sim`
//! for tests and demos (`make lever-sim`). `LeverSim`'s methods drive the control API over HTTP.

mod api;
mod control;
mod state;
mod webhooks;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use serde::Deserialize;
use serde_json::{Value, json};

pub use state::PERMISSIONS;
pub use webhooks::sign;

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub bind: String,
    /// First wait before a failed delivery is retried; it doubles each time.
    pub webhook_retry_base: Duration,
    /// Whether 429 answers carry Retry-After (unknown for real Lever, so off by default).
    pub rate_limit_retry_after: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:0".into(),
            webhook_retry_base: Duration::from_millis(50),
            rate_limit_retry_after: false,
        }
    }
}

#[derive(Clone)]
pub struct Shared {
    state: Arc<Mutex<state::SimState>>,
    options: SimOptions,
}

pub struct LeverSim {
    url: String,
    client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SimDelivery {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub body: Value,
    pub attempts: Vec<u16>,
    pub done: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SimRequest {
    pub method: String,
    pub path: String,
    pub key_last4: String,
    pub status: u16,
    pub at_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SimNote {
    pub id: String,
    pub value: String,
    pub perform_as: Option<String>,
}

/// A candidate to create in Lever.
#[derive(Debug, Clone, Default)]
pub struct NewCandidate {
    pub name: String,
    pub tags: Vec<String>,
    pub posting_id: Option<String>,
    pub stage_id: Option<String>,
    pub same_contact_as: Option<String>,
}

impl LeverSim {
    pub async fn start() -> LeverSim {
        Self::start_with(SimOptions::default()).await
    }

    pub async fn start_with(options: SimOptions) -> LeverSim {
        let listener = TcpListener::bind(&options.bind).expect("simulator port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = web::Data::new(Shared {
            state: Arc::new(Mutex::new(state::SimState::new())),
            options,
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(web::JsonConfig::default().limit(1024 * 1024))
                .configure(api::routes)
                .configure(control::routes)
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("simulator listens")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        crate::app::install_crypto_provider();
        LeverSim {
            url,
            client: reqwest::Client::new(),
            handle,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// What Stagepad is configured with, like `https://api.lever.co/v1`.
    pub fn api_base_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    /// Stops the simulator (as if Lever went away).
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .client
            .request(method, format!("{}/_sim{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("simulator control API answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status.is_success(),
            "simulator control {path}: {status} {text}"
        );
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.control(reqwest::Method::GET, path, None).await
    }

    /// An API key with these permissions (None: all of them).
    pub async fn create_api_key(&self, permissions: Option<&[&str]>) -> String {
        let answer = self
            .post("/api-keys", json!({"permissions": permissions}))
            .await;
        answer["key"].as_str().unwrap().to_string()
    }

    pub async fn create_user(&self, name: &str, email: &str) -> String {
        self.post("/users", json!({"name": name, "email": email}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn create_stage(&self, text: &str) -> String {
        self.post("/stages", json!({"text": text})).await["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn delete_stage(&self, id: &str) {
        self.control(reqwest::Method::DELETE, &format!("/stages/{id}"), None)
            .await;
    }

    /// Every stage as (id, name).
    pub async fn stages(&self) -> Vec<(String, String)> {
        let answer = self.get("/stages").await;
        answer
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["id"].as_str().unwrap().to_string(),
                    s["text"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub async fn stage_id(&self, name: &str) -> String {
        self.stages()
            .await
            .into_iter()
            .find(|(_, n)| n == name)
            .expect("a stage with that name")
            .0
    }

    pub async fn create_posting(&self, text: &str, tags: &[&str]) -> String {
        self.post("/postings", json!({"text": text, "tags": tags}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn set_posting_tags(&self, posting_id: &str, tags: &[&str]) {
        self.control(
            reqwest::Method::PUT,
            &format!("/postings/{posting_id}/tags"),
            Some(json!({"tags": tags})),
        )
        .await;
    }

    pub async fn create_candidate(&self, candidate: NewCandidate) -> String {
        let body = json!({
            "name": candidate.name,
            "tags": candidate.tags,
            "posting_id": candidate.posting_id,
            "stage_id": candidate.stage_id,
            "same_contact_as": candidate.same_contact_as,
        });
        self.post("/opportunities", body).await["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn archive(&self, opportunity_id: &str) {
        self.post(
            &format!("/opportunities/{opportunity_id}/archive"),
            json!({}),
        )
        .await;
    }

    /// Moves a candidate to a stage; Lever then delivers candidateStageChange to every
    /// registered URL in the background. Returns the delivery ids.
    pub async fn move_candidate(&self, opportunity_id: &str, stage_id: &str) -> Vec<String> {
        let answer = self
            .post(
                &format!("/opportunities/{opportunity_id}/move"),
                json!({"stage_id": stage_id}),
            )
            .await;
        answer["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect()
    }

    /// The opportunity as Lever's API shows it, plus its notes.
    pub async fn candidate(&self, opportunity_id: &str) -> Value {
        self.get(&format!("/opportunities/{opportunity_id}")).await
    }

    pub async fn links(&self, opportunity_id: &str) -> Vec<String> {
        let view = self.candidate(opportunity_id).await;
        serde_json::from_value(view["links"].clone()).unwrap()
    }

    pub async fn notes(&self, opportunity_id: &str) -> Vec<SimNote> {
        let view = self.candidate(opportunity_id).await;
        serde_json::from_value(view["notes"].clone()).unwrap()
    }

    /// Registers a webhook entry for `event` at `url`; returns its id and signature token.
    pub async fn register_webhook(&self, event: &str, url: &str) -> (String, String) {
        let answer = self
            .post("/webhooks", json!({"event": event, "url": url}))
            .await;
        (
            answer["id"].as_str().unwrap().into(),
            answer["signature_token"].as_str().unwrap().into(),
        )
    }

    pub async fn register_webhook_with_token(
        &self,
        event: &str,
        url: &str,
        token: &str,
    ) -> (String, String) {
        let answer = self
            .post(
                "/webhooks",
                json!({"event": event, "url": url, "signature_token": token}),
            )
            .await;
        (
            answer["id"].as_str().unwrap().into(),
            answer["signature_token"].as_str().unwrap().into(),
        )
    }

    pub async fn regenerate_token(&self, webhook_id: &str) -> String {
        let answer = self
            .post(&format!("/webhooks/{webhook_id}/regenerate"), json!({}))
            .await;
        answer["signature_token"].as_str().unwrap().to_string()
    }

    /// Lever's Verify button: returns the status Stagepad answered (0: no answer).
    pub async fn verify(&self, webhook_id: &str) -> u16 {
        let answer = self
            .post(&format!("/webhooks/{webhook_id}/verify"), json!({}))
            .await;
        answer["status"].as_u64().unwrap() as u16
    }

    pub async fn deliveries(&self) -> Vec<SimDelivery> {
        serde_json::from_value(self.get("/deliveries").await).unwrap()
    }

    /// Lever's "Rerun" of a past delivery: the very same body again.
    pub async fn replay(&self, delivery_id: &str) -> String {
        let answer = self
            .post(&format!("/deliveries/{delivery_id}/replay"), json!({}))
            .await;
        answer["delivery"].as_str().unwrap().to_string()
    }

    /// The next `count` API calls (whose path contains `path_contains`, if given) answer `status`.
    pub async fn fail_next(&self, count: u32, status: u16) {
        self.post("/faults", json!({"count": count, "status": status}))
            .await;
    }

    pub async fn fail_next_on(
        &self,
        count: u32,
        status: u16,
        path_contains: &str,
        retry_after: Option<u64>,
    ) {
        let body = json!({"count": count, "status": status, "path_contains": path_contains, "retry_after": retry_after});
        self.post("/faults", body).await;
    }

    /// The next `count` API calls wait `millis` before answering.
    pub async fn hang_next(&self, count: u32, millis: u64) {
        self.post("/faults", json!({"count": count, "hang_ms": millis}))
            .await;
    }

    /// Every Lever API request so far.
    pub async fn requests(&self) -> Vec<SimRequest> {
        serde_json::from_value(self.get("/requests").await).unwrap()
    }
}
