//! A Lever simulator, at least as strict as ../shared/lever-api.md.
//!
//! One HTTP server with two surfaces:
//! - the Lever API under `/v1` (Basic auth with per-endpoint permissions, a token bucket of
//!   10 requests/s with bursts of 20 per key, opaque pagination tokens, Lever's error bodies,
//!   injectable faults): see `api.rs`;
//! - a control API under `/_sim` for tests and demos (`make lever-sim`): keys, users, stages,
//!   postings, opportunities, feedback templates, stage moves, webhooks, Verify, faults,
//!   read-backs (links, notes, feedback forms, API calls): see `control.rs` (`GET /_sim` lists
//!   its routes).
//!
//! Feedback templates and forms, their wire shapes and the rules for a form's body, live in
//! `feedback.rs`.
//!
//! `LeverSim`'s methods drive the control API over HTTP, so the by-hand API is the one tested.

mod api;
mod control;
mod feedback;
mod pagination;
mod query;
mod state;
mod webhooks;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use state::{EVENTS, PERMISSIONS};
pub use webhooks::{sign, signed_body, signed_text};

/// How to run a simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Address to listen on (127.0.0.1 unless told otherwise).
    pub bind: IpAddr,
    /// 0: a free port.
    pub port: u16,
    /// The wait before the first retry of a failed delivery; it doubles for each later one.
    pub webhook_retry_base: Duration,
    /// Retries after the first attempt (Lever: about five).
    pub webhook_retries: u32,
    /// How long one delivery attempt (or Verify) may take.
    pub webhook_timeout: Duration,
    /// Whether 429 answers carry `Retry-After` (unknown for real Lever, so off by default).
    pub rate_limit_retry_after: bool,
    /// Certificate authorities webhooks to https trust besides the system's (a test's proxy).
    pub trusted_roots: Vec<reqwest::Certificate>,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            webhook_retry_base: Duration::from_millis(50),
            webhook_retries: 5,
            webhook_timeout: Duration::from_secs(10),
            rate_limit_retry_after: false,
            trusted_roots: Vec::new(),
        }
    }
}

/// What the handlers share: the simulated Lever account, and how to behave.
#[derive(Clone)]
pub(crate) struct Shared {
    state: Arc<Mutex<state::SimState>>,
    options: SimOptions,
    /// `http://host:port`, for links such as `urls.show`.
    root_url: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, state::SimState> {
        // A panicking handler must not take the whole simulator down with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A fault injected into the Lever API: the next `count` matching calls (after auth) answer
/// `kind`. Over the control API: `{"count": 2, "type": "status", "status": 503,
/// "retry_after": 1, "path_contains": "/stages"}`, `{"count": 1, "type": "hang",
/// "millis": 3000}` or `{"count": 1, "type": "oversized", "bytes": 67108864}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub count: u32,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Only calls whose path (like `/v1/opportunities/x/addLinks`) contains this.
    #[serde(default)]
    pub path_contains: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer this status with Lever's error body (and `Retry-After: secs` when given).
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Wait this long, then answer normally.
    Hang { millis: u64 },
    /// Answer 200 with a body of this many bytes, streamed without a `Content-Length` (a
    /// JSON string that never ends): a client must stop reading, not buffer it all.
    Oversized { bytes: u64 },
    /// Answer `status` (301 unless told) with `Location: location`: a path on the simulator
    /// (like `/v1/opportunities/x/notes`) or a whole URL (another host).
    Redirect {
        #[serde(default = "moved_permanently")]
        status: u16,
        location: String,
    },
    /// A write Lever carries out but whose answer is lost (Lever stored the note, then the
    /// answer never arrives): answer `status` (a 5xx) after storing, or, with `millis`, wait
    /// that long (past the client's timeout) before answering. Only writes (POST) use it up;
    /// a read whose path also matches passes by.
    StoredThenLost {
        #[serde(default)]
        status: Option<u16>,
        #[serde(default)]
        millis: Option<u64>,
    },
}

fn moved_permanently() -> u16 {
    301
}

/// A candidate to create in Lever. Opportunities with the same email share one contact (and
/// so one set of links), as Lever deduplicates people by email.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewOpportunity {
    pub name: String,
    /// Empty: a made-up address of its own (a new contact).
    pub email: String,
    /// The opportunity's own tags; the posting's tags (as they are now) are added to them.
    pub tags: Vec<String>,
    pub posting_id: Option<String>,
    /// None: `applicant-new` with a posting, `lead-new` without.
    pub stage_id: Option<String>,
    pub archived: bool,
    /// An anonymised record (Lever's data protection): `name`, `emails` and `links` answer
    /// `null` and `isAnonymized` is true.
    pub anonymized: bool,
    /// Fields of the opportunity answered as `null`, as partial records show them: any of
    /// `name`, `tags`, `links`, `stageChanges`, `applications`, `emails`.
    pub null_fields: Vec<String>,
}

/// The older name of [`NewOpportunity`].
pub type NewCandidate = NewOpportunity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// An event (such as a stage move): retried until 2xx, up to `webhook_retries` times.
    Event,
    /// Lever's Verify button: its sample, sent once.
    Verify,
    /// Lever's Rerun: an earlier delivery's exact body, sent once.
    Replay,
    /// Whatever body a test forged, sent once with Lever's headers.
    Raw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Succeeded,
    Failed,
}

/// One POST the simulator made (or is making) to a webhook URL, with all its attempts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimDelivery {
    pub id: String,
    pub kind: DeliveryKind,
    pub webhook_id: Option<String>,
    /// The body's `event`, when it has one.
    pub event: Option<String>,
    pub url: String,
    /// The body as JSON (`null` when a forged body is not JSON).
    pub body: Value,
    /// The exact bytes sent.
    pub raw_body: String,
    /// Each attempt's HTTP status, in order (0: no answer).
    pub attempts: Vec<u16>,
    /// Each attempt with its timing and error.
    pub attempt_details: Vec<SimAttempt>,
    pub state: DeliveryState,
    /// No more attempts will come (succeeded, or failed for good).
    pub done: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimAttempt {
    /// The status answered; 0 when none came (refused, timed out, reset).
    pub status: u16,
    /// Why no status came.
    pub error: Option<String>,
    /// When the attempt started, in ms since the simulator started.
    pub at_ms: u64,
    pub duration_ms: u64,
}

/// One call to the Lever API, as the simulator saw it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimRequest {
    /// Arrival order.
    pub seq: u64,
    pub method: String,
    /// Without the query, like `/v1/stages`.
    pub path: String,
    pub query: String,
    /// The last four characters of the Basic-auth user name (the API key), or "".
    pub key_last4: String,
    /// The status answered; 0 while still being answered (or if the caller gave up).
    pub status: u16,
    /// Arrival, in ms since the simulator started.
    pub at_ms: u64,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimNote {
    pub id: String,
    pub value: String,
    pub secret: bool,
    pub notify_followers: bool,
    pub perform_as: Option<String>,
    pub created_at: i64,
    /// Whom the note mentions, as Lever reads `@word` in `value` (each would be notified and
    /// e-mailed): every `@` followed by a letter, digit, `.`, `_` or `-`, stricter than Lever.
    #[serde(default)]
    pub mentions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimWebhook {
    pub id: String,
    pub event: String,
    pub url: String,
    /// None: no signing token was generated, so bodies carry no `signature` nor `token`.
    pub signature_token: Option<String>,
}

/// A running simulator. Dropping it stops the server.
pub struct LeverSim {
    url: String,
    client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

impl LeverSim {
    /// On 127.0.0.1, a free port, test-speed retries.
    pub async fn start() -> LeverSim {
        Self::start_with(SimOptions::default()).await
    }

    pub async fn start_with(options: SimOptions) -> LeverSim {
        match Self::try_start_with(options.clone()).await {
            Ok(sim) => sim,
            Err(e) => panic!(
                "the Lever simulator cannot listen on {}:{}: {e}",
                options.bind, options.port
            ),
        }
    }

    pub async fn try_start_with(options: SimOptions) -> std::io::Result<LeverSim> {
        crate::app::install_crypto_provider();
        let listener = TcpListener::bind(SocketAddr::new(options.bind, options.port))?;
        let address = listener.local_addr()?;
        let url = match address.ip() {
            ip if ip.is_unspecified() => format!("http://127.0.0.1:{}", address.port()),
            _ => format!("http://{address}"),
        };
        let shared = web::Data::new(Shared {
            state: Arc::new(Mutex::new(state::SimState::new())),
            options,
            root_url: url.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(web::PayloadConfig::new(1024 * 1024))
                .app_data(control::json_config())
                .configure(api::routes)
                .configure(control::routes)
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client for the control API");
        Ok(LeverSim {
            url,
            client,
            handle,
        })
    }

    /// The root, like `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What Stagepad is configured with, like `https://api.lever.co/v1`.
    pub fn api_base_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    /// The control API's root.
    pub fn control_url(&self) -> String {
        format!("{}/_sim", self.url)
    }

    /// Stops the simulator, as if Lever went away (connections are refused afterwards).
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .client
            .request(method.clone(), format!("{}/_sim{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => panic!("the simulator's control API did not answer {method} {path}: {e}"),
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "simulator control API {method} {path}: {status} {text}"
        );
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("the control API answers JSON")
        }
    }

    async fn get(&self, path: &str) -> Value {
        self.control(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Value {
        self.control(reqwest::Method::DELETE, path, None).await
    }

    // ---- keys, users, stages, postings ----

    /// A new API key with these permissions (None: all of [`PERMISSIONS`]).
    pub async fn create_api_key(&self, permissions: Option<&[&str]>) -> String {
        let answer = self
            .post("/api-keys", json!({ "permissions": permissions }))
            .await;
        string(&answer["key"])
    }

    /// A key with every permission, created with or without "Allow access to confidential
    /// data".
    pub async fn create_api_key_confidential(&self, confidential: bool) -> String {
        let answer = self
            .post("/api-keys", json!({ "confidential": confidential }))
            .await;
        string(&answer["key"])
    }

    /// A confidential job: it and its candidates need a key with confidential access.
    pub async fn create_confidential_posting(&self, text: &str, tags: &[&str]) -> String {
        let answer = self
            .post(
                "/postings",
                json!({ "text": text, "tags": tags, "confidential": true }),
            )
            .await;
        string(&answer["id"])
    }

    /// Gives an existing key these permissions, as an admin editing it in Lever would.
    pub async fn set_key_permissions(&self, key: &str, permissions: &[&str]) {
        self.put(
            &format!("/api-keys/{key}/permissions"),
            json!({ "permissions": permissions }),
        )
        .await;
    }

    /// Returns the user's id (usable as `perform_as`).
    pub async fn create_user(&self, name: &str, email: &str) -> String {
        let answer = self
            .post("/users", json!({ "name": name, "email": email }))
            .await;
        string(&answer["id"])
    }

    /// Deactivates a user: `GET /users` shows them only with `includeDeactivated=true`, and
    /// `perform_as` naming them is refused.
    pub async fn deactivate_user(&self, id: &str) {
        self.post(&format!("/users/{}/deactivate", segment(id)), json!({}))
            .await;
    }

    /// Removes a user, as deactivating them in Lever does for `perform_as`.
    pub async fn delete_user(&self, id: &str) {
        self.delete(&format!("/users/{}", segment(id))).await;
    }

    /// A stage at the end of the pipeline; returns its (uuid) id.
    pub async fn create_stage(&self, text: &str) -> String {
        string(&self.post("/stages", json!({ "text": text })).await["id"])
    }

    /// Removes a stage from the pipeline (a stage Stagepad selected may disappear).
    pub async fn delete_stage(&self, id: &str) {
        self.delete(&format!("/stages/{}", segment(id))).await;
    }

    /// Every stage in pipeline order, as (id, text).
    pub async fn stages(&self) -> Vec<(String, String)> {
        let answer = self.get("/stages").await;
        answer
            .as_array()
            .expect("a list of stages")
            .iter()
            .map(|s| (string(&s["id"]), string(&s["text"])))
            .collect()
    }

    /// The id of the stage with this text.
    pub async fn stage_id(&self, text: &str) -> String {
        self.stages()
            .await
            .into_iter()
            .find(|(_, t)| t == text)
            .unwrap_or_else(|| panic!("the simulator has no stage named {text:?}"))
            .0
    }

    pub async fn create_posting(&self, text: &str, tags: &[&str]) -> String {
        let answer = self
            .post("/postings", json!({ "text": text, "tags": tags }))
            .await;
        string(&answer["id"])
    }

    /// Changes a job's tags. Existing opportunities keep the tags they inherited.
    pub async fn set_posting_tags(&self, posting_id: &str, tags: &[&str]) {
        self.put(
            &format!("/postings/{}/tags", segment(posting_id)),
            json!({ "tags": tags }),
        )
        .await;
    }

    // ---- opportunities ----

    pub async fn create_opportunity(&self, new: NewOpportunity) -> String {
        let body = serde_json::to_value(new).expect("serializable");
        string(&self.post("/opportunities", body).await["id"])
    }

    /// The older name of [`LeverSim::create_opportunity`].
    pub async fn create_candidate(&self, new: NewCandidate) -> String {
        self.create_opportunity(new).await
    }

    /// Replaces the opportunity's tags (all of them, inherited ones included).
    pub async fn set_tags(&self, opportunity_id: &str, tags: &[&str]) {
        self.put(
            &format!("/opportunities/{}/tags", segment(opportunity_id)),
            json!({ "tags": tags }),
        )
        .await;
    }

    /// Archives the opportunity (and queues `candidateArchiveChange` to webhooks for it).
    pub async fn archive(&self, opportunity_id: &str) {
        self.post(
            &format!("/opportunities/{}/archive", segment(opportunity_id)),
            json!({ "archived": true }),
        )
        .await;
    }

    /// Moves the opportunity to a stage: records the stage change and queues a signed
    /// `candidateStageChange` to every webhook registered for it. Returns at once, with the
    /// ids of the queued deliveries (see [`LeverSim::deliveries`]).
    pub async fn move_opportunity(&self, opportunity_id: &str, to_stage_id: &str) -> Vec<String> {
        let answer = self
            .post(
                &format!("/opportunities/{}/move", segment(opportunity_id)),
                json!({ "stage_id": to_stage_id }),
            )
            .await;
        strings(&answer["deliveries"])
    }

    /// The older name of [`LeverSim::move_opportunity`].
    pub async fn move_candidate(&self, opportunity_id: &str, to_stage_id: &str) -> Vec<String> {
        self.move_opportunity(opportunity_id, to_stage_id).await
    }

    /// The opportunity as `GET /v1/opportunities/:id?expand=applications` shows it, plus its
    /// `notes` (which Lever's opportunity does not carry).
    pub async fn opportunity(&self, opportunity_id: &str) -> Value {
        self.get(&format!("/opportunities/{}", segment(opportunity_id)))
            .await
    }

    /// The links on the opportunity's contact, in the order they were added (duplicates kept).
    pub async fn opportunity_links(&self, opportunity_id: &str) -> Vec<String> {
        let path = format!("/opportunities/{}/links", segment(opportunity_id));
        strings(&self.get(&path).await)
    }

    /// The older name of [`LeverSim::opportunity_links`].
    pub async fn links(&self, opportunity_id: &str) -> Vec<String> {
        self.opportunity_links(opportunity_id).await
    }

    /// Notes as (note id, value, perform_as).
    pub async fn opportunity_notes(
        &self,
        opportunity_id: &str,
    ) -> Vec<(String, String, Option<String>)> {
        self.notes(opportunity_id)
            .await
            .into_iter()
            .map(|n| (n.id, n.value, n.perform_as))
            .collect()
    }

    /// Notes with every detail.
    pub async fn notes(&self, opportunity_id: &str) -> Vec<SimNote> {
        let path = format!("/opportunities/{}/notes", segment(opportunity_id));
        serde_json::from_value(self.get(&path).await).expect("notes")
    }

    // ---- feedback ----

    /// Stores a feedback template, Lever's shape: `{"text" (its name), "instructions"?,
    /// "fields": [{"type", "text", "description"?, "required"?, "language"? (code),
    /// "options"?: [{"text"}] (dropdown, multiple-choice, score-system, multiple-select),
    /// "scores"?: [{"text", "description"?}] (scorecard)}]}`. Returns it as stored, with the
    /// ids (its own and each field's) and timestamps filled in where left out.
    pub async fn add_feedback_template(&self, template: Value) -> Value {
        self.post("/feedback-templates", template).await
    }

    /// Removes a template: it leaves `GET /feedback_templates`, and a form based on it is then
    /// refused (400). Forms already made keep their fields.
    pub async fn delete_feedback_template(&self, id: &str) {
        self.delete(&format!("/feedback-templates/{}", segment(id)))
            .await;
    }

    /// The opportunity's feedback forms, oldest first, as `GET /v1/opportunities/:id/feedback`
    /// shows them (each template field with its `value`, and the `user` it was given as).
    pub async fn feedback_forms(&self, opportunity_id: &str) -> Vec<Value> {
        let path = format!("/opportunities/{}/feedback", segment(opportunity_id));
        serde_json::from_value(self.get(&path).await).expect("feedback forms")
    }

    // ---- webhooks ----

    /// A webhook entry for `event` at `url`; returns its id and its own signature token.
    pub async fn register_webhook(&self, event: &str, url: &str) -> (String, String) {
        let answer = self
            .post("/webhooks", json!({ "event": event, "url": url }))
            .await;
        (string(&answer["id"]), string(&answer["signature_token"]))
    }

    /// Like [`LeverSim::register_webhook`], with a chosen signature token.
    pub async fn register_webhook_with_token(
        &self,
        event: &str,
        url: &str,
        signature_token: &str,
    ) -> (String, String) {
        let body = json!({ "event": event, "url": url, "signature_token": signature_token });
        let answer = self.post("/webhooks", body).await;
        (string(&answer["id"]), string(&answer["signature_token"]))
    }

    /// A webhook entry without a signing token (Lever signs only once one is generated):
    /// its bodies carry no `signature` and no `token`. Returns its id.
    pub async fn register_unsigned_webhook(&self, event: &str, url: &str) -> String {
        let body = json!({ "event": event, "url": url, "signed": false });
        string(&self.post("/webhooks", body).await["id"])
    }

    pub async fn webhooks(&self) -> Vec<SimWebhook> {
        serde_json::from_value(self.get("/webhooks").await).expect("webhooks")
    }

    pub async fn delete_webhook(&self, webhook_id: &str) {
        self.delete(&format!("/webhooks/{}", segment(webhook_id)))
            .await;
    }

    /// Lever's "generate" or "regenerate": a new signature token for the entry; returns it.
    pub async fn regenerate_token(&self, webhook_id: &str) -> String {
        let path = format!("/webhooks/{}/regenerate", segment(webhook_id));
        string(&self.post(&path, json!({})).await["signature_token"])
    }

    /// Lever's Verify button: its sample (`candidateHired`, empty `data`), signed with the
    /// entry's token, sent once. Returns the status answered (0: no answer).
    pub async fn verify(&self, webhook_id: &str) -> u16 {
        let path = format!("/webhooks/{}/verify", segment(webhook_id));
        status(&self.post(&path, json!({})).await)
    }

    /// Queues a signed delivery of any event to every webhook registered for it.
    pub async fn trigger_event(&self, event: &str, data: Value) -> Vec<String> {
        let answer = self
            .post("/events", json!({ "event": event, "data": data }))
            .await;
        strings(&answer["deliveries"])
    }

    /// Every delivery so far, oldest first, with each attempt.
    pub async fn deliveries(&self) -> Vec<SimDelivery> {
        serde_json::from_value(self.get("/deliveries").await).expect("deliveries")
    }

    pub async fn delivery(&self, delivery_id: &str) -> SimDelivery {
        let path = format!("/deliveries/{}", segment(delivery_id));
        serde_json::from_value(self.get(&path).await).expect("a delivery")
    }

    /// Lever's "Rerun": the earlier delivery's exact body (same token and signature), sent
    /// once to the entry's current URL. Returns the status answered (0: no answer).
    pub async fn replay_delivery(&self, delivery_id: &str) -> u16 {
        let path = format!("/deliveries/{}/replay", segment(delivery_id));
        status(&self.post(&path, json!({})).await)
    }

    /// Like [`LeverSim::replay_delivery`], returning the new delivery's id (already done).
    pub async fn replay(&self, delivery_id: &str) -> String {
        let path = format!("/deliveries/{}/replay", segment(delivery_id));
        string(&self.post(&path, json!({})).await["delivery"])
    }

    /// POSTs `body` as is, once, with Lever's headers: for forged or altered deliveries
    /// (see [`signed_body`]). Returns the status answered (0: no answer).
    pub async fn send_raw_webhook(&self, url: &str, body: &str) -> u16 {
        let answer = self
            .post("/raw-webhooks", json!({ "url": url, "body": body }))
            .await;
        status(&answer)
    }

    // ---- faults and the request log ----

    pub async fn inject_fault(&self, fault: Fault) {
        let body = serde_json::to_value(fault).expect("serializable");
        self.post("/faults", body).await;
    }

    /// The next `count` API calls answer `status`.
    pub async fn fail_next(&self, count: u32, status: u16) {
        self.inject_fault(Fault {
            count,
            kind: FaultKind::Status {
                status,
                retry_after: None,
            },
            path_contains: None,
        })
        .await;
    }

    /// The next `count` API calls whose path contains `path_contains` answer `status`.
    pub async fn fail_next_on(
        &self,
        count: u32,
        status: u16,
        path_contains: &str,
        retry_after: Option<u64>,
    ) {
        self.inject_fault(Fault {
            count,
            kind: FaultKind::Status {
                status,
                retry_after,
            },
            path_contains: Some(path_contains.into()),
        })
        .await;
    }

    /// The next `count` API calls whose path contains `path_contains` answer 301 with
    /// `Location: location` (a path on the simulator, or a whole URL).
    pub async fn redirect_next_on(&self, count: u32, path_contains: &str, location: &str) {
        self.inject_fault(Fault {
            count,
            kind: FaultKind::Redirect {
                status: 301,
                location: location.into(),
            },
            path_contains: Some(path_contains.into()),
        })
        .await;
    }

    /// The next `count` API calls wait `millis` before answering.
    pub async fn hang_next(&self, count: u32, millis: u64) {
        self.inject_fault(Fault {
            count,
            kind: FaultKind::Hang { millis },
            path_contains: None,
        })
        .await;
    }

    /// The next `count` API calls whose path contains `path_contains` wait `millis` before
    /// answering.
    pub async fn hang_next_on(&self, count: u32, millis: u64, path_contains: &str) {
        self.inject_fault(Fault {
            count,
            kind: FaultKind::Hang { millis },
            path_contains: Some(path_contains.into()),
        })
        .await;
    }

    /// The next `count` API calls whose path contains `path_contains` answer 200 with a body
    /// of `bytes` bytes.
    pub async fn oversize_next_on(&self, count: u32, bytes: u64, path_contains: &str) {
        self.inject_fault(Fault {
            count,
            kind: FaultKind::Oversized { bytes },
            path_contains: Some(path_contains.into()),
        })
        .await;
    }

    /// The next `count` writes whose path contains `path_contains` are carried out, then their
    /// answer is lost: `status` after storing (a 5xx), or with `millis` an answer that comes
    /// only that long later.
    pub async fn lose_answer_next_on(
        &self,
        count: u32,
        path_contains: &str,
        status: Option<u16>,
        millis: Option<u64>,
    ) {
        self.inject_fault(Fault {
            count,
            kind: FaultKind::StoredThenLost { status, millis },
            path_contains: Some(path_contains.into()),
        })
        .await;
    }

    /// Faults not used up yet.
    pub async fn faults(&self) -> Vec<Fault> {
        serde_json::from_value(self.get("/faults").await).expect("faults")
    }

    pub async fn clear_faults(&self) {
        self.delete("/faults").await;
    }

    /// Every Lever API call so far, in arrival order.
    pub async fn requests(&self) -> Vec<SimRequest> {
        serde_json::from_value(self.get("/requests").await).expect("requests")
    }

    pub async fn clear_requests(&self) {
        self.delete("/requests").await;
    }
}

impl Drop for LeverSim {
    fn drop(&mut self) {
        // The stop command is sent at once; nobody needs to wait for it.
        drop(self.handle.stop(false));
    }
}

fn string(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("the control API answered {value} where a string was due"))
        .to_string()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("the control API answered {value} where a list was due"))
        .iter()
        .map(string)
        .collect()
}

fn status(answer: &Value) -> u16 {
    answer["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or_else(|| panic!("the control API answered {answer} without a status"))
}

/// Ids in control paths: keep them one path segment.
fn segment(id: &str) -> String {
    query::percent_encode(id)
}
