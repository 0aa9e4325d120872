//! Stagepad's Lever client: a trait for the calls Stagepad makes, and its reqwest
//! implementation with Lever's auth, pagination, a per-key request budget shared by the whole
//! process (by every instance, on PostgreSQL), and backoff on 429/503. The base URL comes from
//! the integration, so tests point the real client at the simulator.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, StatusCode, header};
use serde::de::DeserializeOwned;

use super::budget::RequestBudget;
use super::types::*;
use crate::i18n::{Message, Text, msg};
use crate::metrics::LeverAnswer;
use crate::secrets::SecretString;

/// Where to reach one organization's Lever account, and with which key.
#[derive(Clone, Debug)]
pub struct LeverCredentials {
    pub base_url: String,
    pub api_key: SecretString,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeverError {
    #[error("Lever rejected the API key (401)")]
    Unauthorized,
    #[error("the API key is not allowed to use {endpoint} (403)")]
    Forbidden { endpoint: &'static str },
    #[error("Lever has no such object ({endpoint} answered 404)")]
    NotFound { endpoint: &'static str },
    #[error("Lever kept answering 429 (rate limited)")]
    RateLimited,
    #[error("Lever answered {status} to {endpoint}: {message}")]
    Status {
        status: u16,
        endpoint: &'static str,
        message: String,
    },
    #[error("Lever did not answer in time")]
    Timeout,
    #[error("Lever cannot be reached: {0}")]
    Unreachable(String),
    #[error("Lever's answer to {endpoint} is larger than 4 MiB; it was not read")]
    TooLarge { endpoint: &'static str },
    #[error("Lever answered {status} to {endpoint}, a redirect that was not followed: {reason}")]
    Redirected {
        status: u16,
        endpoint: &'static str,
        reason: &'static str,
    },
    #[error("Lever's answer to {endpoint} could not be read: {detail}")]
    Malformed {
        endpoint: &'static str,
        detail: String,
    },
}

impl LeverError {
    /// What went wrong, in the reader's language (the same words as `Display` in English).
    pub fn message(&self) -> Message {
        match self {
            LeverError::Unauthorized => msg(Text::LeverErrorUnauthorized),
            LeverError::Forbidden { endpoint } => {
                msg(Text::LeverErrorForbidden).with("endpoint", endpoint)
            }
            LeverError::NotFound { endpoint } => {
                msg(Text::LeverErrorNotFound).with("endpoint", endpoint)
            }
            LeverError::RateLimited => msg(Text::LeverErrorRateLimited),
            LeverError::Status {
                status,
                endpoint,
                message,
            } => msg(Text::LeverErrorStatus)
                .with("status", status)
                .with("endpoint", endpoint)
                .with("message", message),
            LeverError::Timeout => msg(Text::LeverErrorTimeout),
            LeverError::Unreachable(detail) => {
                msg(Text::LeverErrorUnreachable).with("detail", detail)
            }
            LeverError::TooLarge { endpoint } => {
                msg(Text::LeverErrorTooLarge).with("endpoint", endpoint)
            }
            LeverError::Redirected {
                status,
                endpoint,
                reason,
            } => msg(Text::LeverErrorRedirected)
                .with("status", status)
                .with("endpoint", endpoint)
                .with("reason", reason),
            LeverError::Malformed { endpoint, detail } => msg(Text::LeverErrorMalformed)
                .with("endpoint", endpoint)
                .with("detail", detail),
        }
    }

    /// Worth trying again later: Lever was busy, down or slow, not refusing.
    pub fn is_transient(&self) -> bool {
        match self {
            LeverError::RateLimited | LeverError::Timeout | LeverError::Unreachable(_) => true,
            LeverError::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

#[async_trait]
pub trait LeverApi: Send + Sync {
    /// Every stage, all pages.
    async fn stages(&self, credentials: &LeverCredentials) -> Result<Vec<LeverStage>, LeverError>;
    /// The users with this email (Lever's `email=` filter matches the canonical form exactly:
    /// pass it trimmed and lowercase); deactivated ones too when asked.
    async fn users_by_email(
        &self,
        credentials: &LeverCredentials,
        email: &str,
        include_deactivated: bool,
    ) -> Result<Vec<LeverUser>, LeverError>;
    /// The id of the first item of `list`, read with `limit=1`, if it has any: checks a read
    /// permission, since a list answers even when empty (one object by a made-up id may
    /// answer 404 before Lever looks at the permission).
    async fn probe_list(
        &self,
        credentials: &LeverCredentials,
        list: ProbeList,
    ) -> Result<Option<String>, LeverError>;
    /// The opportunity with its applications expanded (so the posting id is known).
    async fn opportunity(
        &self,
        credentials: &LeverCredentials,
        id: &str,
    ) -> Result<LeverOpportunity, LeverError>;
    async fn posting(
        &self,
        credentials: &LeverCredentials,
        id: &str,
    ) -> Result<LeverPosting, LeverError>;
    async fn add_links(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        links: &[String],
        perform_as: Option<&str>,
    ) -> Result<(), LeverError>;
    /// The id of the opportunity's live note whose last line is `marker`, reading its notes
    /// page by page until found (at most [`MAX_NOTE_PAGES`] pages).
    async fn find_note(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        marker: &str,
    ) -> Result<Option<String>, LeverError>;
    /// Returns the new note's id.
    async fn create_note(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        value: &str,
        perform_as: Option<&str>,
    ) -> Result<String, LeverError>;
    /// Every feedback template, all pages.
    async fn feedback_templates(
        &self,
        credentials: &LeverCredentials,
    ) -> Result<Vec<LeverFeedbackTemplate>, LeverError>;
    /// The id of the opportunity's live feedback form with a text answer whose last line is
    /// `marker`, reading its forms page by page until found (at most [`MAX_NOTE_PAGES`]).
    async fn find_feedback(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        marker: &str,
    ) -> Result<Option<String>, LeverError>;
    /// Files a feedback form as `perform_as` (Lever requires an author here); returns its id
    /// when the answer has one (Lever does not document the answer's body: any 2xx is filed).
    async fn create_feedback(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        perform_as: &str,
        form: &LeverNewFeedback<'_>,
    ) -> Result<Option<String>, LeverError>;
    /// Reads one page (`limit=1`) of an opportunity's notes: checks the read permission.
    async fn probe_notes(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
    ) -> Result<(), LeverError>;
}

/// The lists read to check permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeList {
    Opportunities,
    Postings,
    /// Only keys created with confidential access may list confidential postings.
    ConfidentialPostings,
}

impl ProbeList {
    fn path(self) -> &'static [&'static str] {
        match self {
            ProbeList::Opportunities => &["opportunities"],
            ProbeList::Postings | ProbeList::ConfidentialPostings => &["postings"],
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            ProbeList::Opportunities => "GET /opportunities",
            ProbeList::Postings => "GET /postings",
            ProbeList::ConfidentialPostings => "GET /postings?confidentiality=confidential",
        }
    }

    fn filters(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ProbeList::ConfidentialPostings => &[("confidentiality", "confidential")],
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LeverClientOptions {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    /// Requests per second per API key, across the process, or across every instance on one
    /// PostgreSQL (Lever allows 10).
    pub requests_per_second: f64,
    /// Attempts after the first when Lever answers 429 or 503.
    pub max_retries: u32,
    /// First backoff step; doubled each time, with jitter, capped at `max_backoff`.
    pub backoff_base: Duration,
    pub max_backoff: Duration,
}

impl Default for LeverClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(10),
            requests_per_second: 8.0,
            max_retries: 4,
            backoff_base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

pub struct ReqwestLever {
    http: reqwest::Client,
    options: LeverClientOptions,
    budget: RequestBudget,
}

impl ReqwestLever {
    pub fn new(options: LeverClientOptions) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            // Redirects are followed by hand (see `call`): reqwest's policy would turn a 301 to
            // a POST into a GET, a write into a read, and would follow them to any host.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.total_timeout)
            .user_agent(concat!("Stagepad/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            budget: RequestBudget::in_memory(options.requests_per_second),
            options,
        })
    }

    /// Takes each key's requests from `budget` (shared with other instances, when it is).
    pub fn with_budget(mut self, budget: RequestBudget) -> Self {
        self.budget = budget;
        self
    }

    async fn call<T: DeserializeOwned>(
        &self,
        credentials: &LeverCredentials,
        request: LeverRequest<'_>,
    ) -> Result<T, LeverError> {
        let mut url = endpoint_url(&credentials.base_url, &request)?;
        let mut attempt = 0;
        let mut redirects = 0;
        loop {
            let waiting = std::time::Instant::now();
            self.budget
                .wait_for_turn(credentials.api_key.expose())
                .await;
            crate::metrics::lever_budget_waited(waiting.elapsed());
            let mut builder = self
                .http
                .request(request.method.clone(), url.clone())
                .basic_auth(credentials.api_key.expose(), Some(""))
                .header(header::ACCEPT, "application/json");
            if let Some(body) = &request.body {
                builder = builder.json(body);
            }
            let sending = std::time::Instant::now();
            let sent = builder.send().await;
            let answer = match &sent {
                Ok(response) => LeverAnswer::Status(response.status().as_u16()),
                Err(e) if e.is_timeout() => LeverAnswer::Timeout,
                Err(_) => LeverAnswer::Unreachable,
            };
            crate::metrics::lever_request(request.endpoint, answer, sending.elapsed());
            let outcome = match sent {
                Ok(response) if response.status().is_redirection() => {
                    match redirect_target(&url, &response, request.endpoint) {
                        Ok(next) if redirects < MAX_REDIRECTS => {
                            // The same method and body again (a write stays a write).
                            tracing::info!(
                                endpoint = request.endpoint,
                                status = response.status().as_u16(),
                                "Lever redirected the call; repeating it at the new address"
                            );
                            url = next;
                            redirects += 1;
                            continue;
                        }
                        Ok(_) => Err(Attempt::failed(LeverError::Redirected {
                            status: response.status().as_u16(),
                            endpoint: request.endpoint,
                            reason: "too many redirects",
                        })),
                        Err(error) => Err(Attempt::failed(error)),
                    }
                }
                Ok(response) => self.read(response, request.endpoint).await,
                Err(e) if e.is_timeout() => Err(Attempt::failed(LeverError::Timeout)),
                Err(e) => Err(Attempt::failed(LeverError::Unreachable(
                    describe_transport_error(e),
                ))),
            };
            match outcome {
                Ok(value) => return Ok(value),
                Err(failure) => {
                    // Only when Lever asked to come back later (429, 503 maintenance): it did
                    // not act on the request, so even a write is safe to repeat. Other failures
                    // go back to the caller, whose job retries on its own schedule.
                    let retry = attempt < self.options.max_retries
                        && matches!(
                            failure.error,
                            LeverError::RateLimited | LeverError::Status { status: 503, .. }
                        );
                    if !retry {
                        return Err(failure.error);
                    }
                    let wait = failure.retry_after.unwrap_or_else(|| self.backoff(attempt));
                    tracing::info!(endpoint = request.endpoint, error = %failure.error, wait_ms = wait.as_millis() as u64, "Lever call will be retried");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn read<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
        endpoint: &'static str,
    ) -> Result<T, Attempt> {
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|secs| Duration::from_secs(secs).min(self.options.max_backoff));
        let bytes = read_capped(response, endpoint)
            .await
            .map_err(Attempt::failed)?;
        if status.is_success() {
            // Some write endpoints answer with an empty body.
            let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
                &b"null"[..]
            } else {
                &bytes[..]
            };
            return serde_json::from_slice(bytes).map_err(|e| {
                Attempt::failed(LeverError::Malformed {
                    endpoint,
                    detail: e.to_string(),
                })
            });
        }
        let body: LeverErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
        let error = match status {
            StatusCode::UNAUTHORIZED => LeverError::Unauthorized,
            StatusCode::FORBIDDEN => LeverError::Forbidden { endpoint },
            StatusCode::NOT_FOUND => LeverError::NotFound { endpoint },
            StatusCode::TOO_MANY_REQUESTS => LeverError::RateLimited,
            _ => LeverError::Status {
                status: status.as_u16(),
                endpoint,
                message: if body.message.is_empty() {
                    body.code
                } else {
                    body.message
                },
            },
        };
        Err(Attempt { error, retry_after })
    }

    /// Exponential backoff with full jitter: a random wait up to base·2^attempt (capped).
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .options
            .backoff_base
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.options.max_backoff);
        let fraction: f64 = rand::random_range(0.5..=1.0);
        ceiling.mul_f64(fraction)
    }

    async fn all_pages<T: DeserializeOwned>(
        &self,
        credentials: &LeverCredentials,
        path: &[&str],
        endpoint: &'static str,
        filters: &[(&str, &str)],
    ) -> Result<Vec<T>, LeverError> {
        let mut items = Vec::new();
        let mut offset: Option<String> = None;
        // Bounded: 1,000 pages of 100 is far beyond any real account.
        for _ in 0..1_000 {
            let mut query: Vec<(&str, String)> =
                filters.iter().map(|(k, v)| (*k, v.to_string())).collect();
            query.push(("limit", "100".to_string()));
            if let Some(token) = &offset {
                query.push(("offset", token.clone()));
            }
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let page: LeverPage<T> = self
                .call(
                    credentials,
                    LeverRequest {
                        method: Method::GET,
                        path,
                        endpoint,
                        query: &query,
                        body: None,
                    },
                )
                .await?;
            items.extend(page.data);
            match (page.has_next, page.next) {
                (true, Some(next)) if !next.is_empty() => offset = Some(next),
                _ => return Ok(items),
            }
        }
        Err(LeverError::Malformed {
            endpoint,
            detail: "pagination did not end".into(),
        })
    }

    /// The first item of a list that `pick` picks, reading page by page until found (at most
    /// [`MAX_NOTE_PAGES`] pages: a candidate's notes and forms, newest first, are few).
    async fn find_in_pages<T: DeserializeOwned>(
        &self,
        credentials: &LeverCredentials,
        path: &[&str],
        endpoint: &'static str,
        pick: impl Fn(&T) -> Option<String>,
    ) -> Result<Option<String>, LeverError> {
        let mut offset: Option<String> = None;
        for _ in 0..MAX_NOTE_PAGES {
            let mut query = vec![("limit", "100")];
            if let Some(token) = &offset {
                query.push(("offset", token.as_str()));
            }
            let page: LeverPage<T> = self
                .call(
                    credentials,
                    LeverRequest {
                        method: Method::GET,
                        path,
                        endpoint,
                        query: &query,
                        body: None,
                    },
                )
                .await?;
            if let Some(found) = page.data.iter().find_map(&pick) {
                return Ok(Some(found));
            }
            match (page.has_next, page.next) {
                (true, Some(next)) if !next.is_empty() => offset = Some(next),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }
}

/// Pages of an opportunity's notes read when looking for one: 5,000 notes, far beyond any
/// candidate's; past that the note counts as not found.
pub const MAX_NOTE_PAGES: usize = 50;

/// The most of one answer Stagepad reads. Lever's largest (a page of 100 opportunities) stays
/// far below; a body past it (a broken proxy, a hostile custom host) fails the call instead
/// of filling memory.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Reads the body, giving up as soon as it passes [`MAX_ANSWER_BYTES`] (a declared length
/// over it is refused before reading anything).
async fn read_capped(
    mut response: reqwest::Response,
    endpoint: &'static str,
) -> Result<Vec<u8>, LeverError> {
    let too_large = LeverError::TooLarge { endpoint };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_large);
    }
    let mut body = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(|e| {
            if e.is_timeout() {
                LeverError::Timeout
            } else {
                LeverError::Unreachable(describe_transport_error(e))
            }
        })?;
        let Some(chunk) = chunk else {
            return Ok(body);
        };
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
}

struct LeverRequest<'a> {
    method: Method,
    /// The path's segments after the base URL's, each percent-encoded on its own.
    path: &'a [&'a str],
    /// A fixed name for messages and logs (no ids).
    endpoint: &'static str,
    query: &'a [(&'a str, &'a str)],
    body: Option<serde_json::Value>,
}

struct Attempt {
    error: LeverError,
    retry_after: Option<Duration>,
}

impl Attempt {
    fn failed(error: LeverError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// Redirects followed for one call, at most.
const MAX_REDIRECTS: u32 = 5;

/// Where a redirect leads, when Stagepad may follow it: an address on the same scheme, host
/// and port as the call (the API key goes with the request, and must never reach another
/// host). 303 means "read this instead", which would turn a write into a read: not followed.
fn redirect_target(
    from: &reqwest::Url,
    response: &reqwest::Response,
    endpoint: &'static str,
) -> Result<reqwest::Url, LeverError> {
    let status = response.status().as_u16();
    let refused = |reason| LeverError::Redirected {
        status,
        endpoint,
        reason,
    };
    if !matches!(status, 301 | 302 | 307 | 308) {
        return Err(refused("only 301, 302, 307 and 308 are followed"));
    }
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refused("it gave no Location"))?;
    let next = from
        .join(location)
        .map_err(|_| refused("its Location is not a URL"))?;
    let same_origin = next.scheme() == from.scheme()
        && next.host_str() == from.host_str()
        && next.port_or_known_default() == from.port_or_known_default();
    if !same_origin {
        return Err(refused("it leads to another host"));
    }
    Ok(next)
}

fn describe_transport_error(error: reqwest::Error) -> String {
    if error.is_connect() {
        "the connection was refused or the host is unknown".into()
    } else {
        // Without the URL: it can carry ids, and reqwest's text names the whole address.
        error.without_url().to_string()
    }
}

/// Makes a write to Lever as `author` (`perform_as`). Lever refusing it (400, 403, 404, 422) may
/// mean that user was deactivated since setup: then the write is made as the key's own user
/// rather than not at all. A refusal wrote nothing, so nothing doubles; a refusal for another
/// reason just comes back again.
pub async fn as_author<'a, T, F, Fut>(author: Option<&'a str>, write: F) -> Result<T, LeverError>
where
    F: Fn(Option<&'a str>) -> Fut,
    Fut: std::future::Future<Output = Result<T, LeverError>>,
{
    match write(author).await {
        Err(
            LeverError::Status {
                status: 400 | 422, ..
            }
            | LeverError::Forbidden { .. }
            | LeverError::NotFound { .. },
        ) if author.is_some() => {
            tracing::warn!("Lever refused the pad owner as author; writing as the API key's user");
            write(None).await
        }
        result => result,
    }
}

fn perform_as_query(perform_as: Option<&str>) -> Vec<(&str, &str)> {
    perform_as
        .map(|user| vec![("perform_as", user)])
        .unwrap_or_default()
}

#[async_trait]
impl LeverApi for ReqwestLever {
    async fn stages(&self, credentials: &LeverCredentials) -> Result<Vec<LeverStage>, LeverError> {
        self.all_pages(credentials, &["stages"], "GET /stages", &[])
            .await
    }

    async fn users_by_email(
        &self,
        credentials: &LeverCredentials,
        email: &str,
        include_deactivated: bool,
    ) -> Result<Vec<LeverUser>, LeverError> {
        let mut filters = vec![("email", email)];
        if include_deactivated {
            filters.push(("includeDeactivated", "true"));
        }
        self.all_pages(credentials, &["users"], "GET /users", &filters)
            .await
    }

    async fn probe_list(
        &self,
        credentials: &LeverCredentials,
        list: ProbeList,
    ) -> Result<Option<String>, LeverError> {
        let mut query = list.filters().to_vec();
        query.push(("limit", "1"));
        let page: LeverPage<serde_json::Value> = self
            .call(
                credentials,
                LeverRequest {
                    method: Method::GET,
                    path: list.path(),
                    endpoint: list.endpoint(),
                    query: &query,
                    body: None,
                },
            )
            .await?;
        Ok(page
            .data
            .first()
            .map(|item| item["id"].as_str().unwrap_or_default().to_string()))
    }

    async fn opportunity(
        &self,
        credentials: &LeverCredentials,
        id: &str,
    ) -> Result<LeverOpportunity, LeverError> {
        let path = ["opportunities", id];
        let answer: LeverData<LeverOpportunity> = self
            .call(
                credentials,
                LeverRequest {
                    method: Method::GET,
                    path: &path,
                    endpoint: "GET /opportunities/:id",
                    query: &[("expand", "applications")],
                    body: None,
                },
            )
            .await?;
        Ok(answer.data)
    }

    async fn posting(
        &self,
        credentials: &LeverCredentials,
        id: &str,
    ) -> Result<LeverPosting, LeverError> {
        let path = ["postings", id];
        let answer: LeverData<LeverPosting> = self
            .call(
                credentials,
                LeverRequest {
                    method: Method::GET,
                    path: &path,
                    endpoint: "GET /postings/:id",
                    query: &[],
                    body: None,
                },
            )
            .await?;
        Ok(answer.data)
    }

    async fn add_links(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        links: &[String],
        perform_as: Option<&str>,
    ) -> Result<(), LeverError> {
        let path = ["opportunities", opportunity_id, "addLinks"];
        let body = serde_json::to_value(LeverAddLinks { links }).expect("serializable");
        let _: serde_json::Value = self
            .call(
                credentials,
                LeverRequest {
                    method: Method::POST,
                    path: &path,
                    endpoint: "POST /opportunities/:id/addLinks",
                    query: &perform_as_query(perform_as),
                    body: Some(body),
                },
            )
            .await?;
        Ok(())
    }

    async fn find_note(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        marker: &str,
    ) -> Result<Option<String>, LeverError> {
        let path = ["opportunities", opportunity_id, "notes"];
        self.find_in_pages(
            credentials,
            &path,
            "GET /opportunities/:id/notes",
            |note: &LeverNote| note.ends_with_marker(marker).then(|| note.id.clone()),
        )
        .await
    }

    async fn create_note(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        value: &str,
        perform_as: Option<&str>,
    ) -> Result<String, LeverError> {
        let path = ["opportunities", opportunity_id, "notes"];
        let body = serde_json::to_value(LeverNewNote {
            value,
            secret: false,
            notify_followers: false,
        })
        .expect("serializable");
        let created: LeverData<LeverNoteCreated> = self
            .call(
                credentials,
                LeverRequest {
                    method: Method::POST,
                    path: &path,
                    endpoint: "POST /opportunities/:id/notes",
                    query: &perform_as_query(perform_as),
                    body: Some(body),
                },
            )
            .await?;
        Ok(created.data.note_id)
    }

    async fn feedback_templates(
        &self,
        credentials: &LeverCredentials,
    ) -> Result<Vec<LeverFeedbackTemplate>, LeverError> {
        self.all_pages(
            credentials,
            &["feedback_templates"],
            "GET /feedback_templates",
            &[],
        )
        .await
    }

    async fn find_feedback(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        marker: &str,
    ) -> Result<Option<String>, LeverError> {
        let path = ["opportunities", opportunity_id, "feedback"];
        self.find_in_pages(
            credentials,
            &path,
            "GET /opportunities/:id/feedback",
            |form: &LeverFeedbackForm| form.ends_with_marker(marker).then(|| form.id.clone()),
        )
        .await
    }

    async fn create_feedback(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
        perform_as: &str,
        form: &LeverNewFeedback<'_>,
    ) -> Result<Option<String>, LeverError> {
        let path = ["opportunities", opportunity_id, "feedback"];
        let body = serde_json::to_value(form).expect("serializable");
        let created: serde_json::Value = self
            .call(
                credentials,
                LeverRequest {
                    method: Method::POST,
                    path: &path,
                    endpoint: "POST /opportunities/:id/feedback",
                    query: &[("perform_as", perform_as)],
                    body: Some(body),
                },
            )
            .await?;
        let data = &created["data"];
        Ok(["id", "feedbackId"]
            .iter()
            .find_map(|field| data[*field].as_str())
            .map(String::from))
    }

    async fn probe_notes(
        &self,
        credentials: &LeverCredentials,
        opportunity_id: &str,
    ) -> Result<(), LeverError> {
        let path = ["opportunities", opportunity_id, "notes"];
        let _: LeverPage<serde_json::Value> = self
            .call(
                credentials,
                LeverRequest {
                    method: Method::GET,
                    path: &path,
                    endpoint: "GET /opportunities/:id/notes",
                    query: &[("limit", "1")],
                    body: None,
                },
            )
            .await?;
        Ok(())
    }
}

/// The URL of `request` under `base`. Each segment is percent-encoded on its own (ids come
/// from webhooks: a `/` or `?` in one cannot add a segment or a query). An id that is empty,
/// `.` or `..` (or holds a control character) would still move the path once the URL is normalised
/// (`/opportunities/../notes`): no object has such an id, so Lever is not asked.
fn endpoint_url(base: &str, request: &LeverRequest<'_>) -> Result<reqwest::Url, LeverError> {
    // url drops tabs and line breaks inside a segment before it looks for dot segments
    // (`"..\n"` would become `..`): an id with a control character is no object's either.
    if request
        .path
        .iter()
        .any(|segment| matches!(*segment, "" | "." | "..") || segment.chars().any(char::is_control))
    {
        return Err(LeverError::NotFound {
            endpoint: request.endpoint,
        });
    }
    let not_a_base = |detail: String| {
        LeverError::Unreachable(format!("the Lever address is not a URL: {detail}"))
    };
    let mut url = reqwest::Url::parse(base).map_err(|e| not_a_base(e.to_string()))?;
    url.path_segments_mut()
        .map_err(|()| not_a_base("it cannot have a path".into()))?
        .pop_if_empty()
        .extend(request.path);
    if !request.query.is_empty() {
        url.query_pairs_mut().extend_pairs(request.query);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalog's English is the error's `Display`: the log and the stored English agree.
    #[test]
    fn every_lever_error_says_the_same_in_the_catalog_and_the_log() {
        let errors = [
            LeverError::Unauthorized,
            LeverError::Forbidden {
                endpoint: "GET /stages",
            },
            LeverError::NotFound {
                endpoint: "GET /stages",
            },
            LeverError::RateLimited,
            LeverError::Status {
                status: 400,
                endpoint: "POST /notes",
                message: "bad".into(),
            },
            LeverError::Timeout,
            LeverError::Unreachable("refused".into()),
            LeverError::TooLarge {
                endpoint: "GET /stages",
            },
            LeverError::Redirected {
                status: 302,
                endpoint: "GET /stages",
                reason: "too many redirects",
            },
            LeverError::Malformed {
                endpoint: "GET /stages",
                detail: "EOF".into(),
            },
        ];
        for error in errors {
            let message = error.message();
            assert_eq!(message.render(api::i18n::Locale::En), error.to_string());
            assert_ne!(message.render(api::i18n::Locale::Fr), error.to_string());
        }
    }

    fn url_of(base: &str, path: &[&str]) -> Result<String, LeverError> {
        let request = LeverRequest {
            method: Method::GET,
            path,
            endpoint: "GET /opportunities/:id",
            query: &[("limit", "1")],
            body: None,
        };
        endpoint_url(base, &request).map(String::from)
    }

    #[test]
    fn each_path_segment_is_encoded_on_its_own_under_the_base_path() {
        let url = |base, path| url_of(base, path).unwrap();
        assert_eq!(
            url("https://api.lever.co/v1", &["opportunities", "lead-new"]),
            "https://api.lever.co/v1/opportunities/lead-new?limit=1"
        );
        assert_eq!(
            url(
                "http://127.0.0.1:9/v1/",
                &["opportunities", "../users?x=1#y", "notes"]
            ),
            "http://127.0.0.1:9/v1/opportunities/..%2Fusers%3Fx=1%23y/notes?limit=1"
        );
        for moves_the_path in ["", ".", "..", "..\n", ".\t.", "\r", "a\u{0}b"] {
            assert!(matches!(
                url_of(
                    "https://api.lever.co/v1",
                    &["opportunities", moves_the_path, "notes"]
                ),
                Err(LeverError::NotFound { .. })
            ));
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        crate::install_tls_provider();
        let client = ReqwestLever::new(LeverClientOptions {
            backoff_base: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
            ..Default::default()
        })
        .unwrap();
        for attempt in 0..6 {
            let wait = client.backoff(attempt);
            let ceiling =
                Duration::from_millis(100 * 2u64.pow(attempt)).min(Duration::from_millis(700));
            assert!(
                wait <= ceiling && wait >= ceiling / 2,
                "attempt {attempt}: {wait:?}"
            );
        }
    }
}
