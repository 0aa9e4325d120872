//! Calling the simulator's Lever API as a client would, and a tiny webhook receiver.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tests::lever_sim::{LeverSim, PERMISSIONS};
use tests::poll::wait_for;

pub fn http() -> reqwest::Client {
    tests::app::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// An answer of the Lever API.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// Lever's error shape: `{"code", "message"}` with a non-empty message. Returns the code.
    pub fn error_code(&self) -> String {
        let body = self.json();
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "an error body has a message: {body}"
        );
        assert_eq!(
            body.as_object().unwrap().len(),
            2,
            "only code and message: {body}"
        );
        body["code"].as_str().expect("a code").to_string()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

/// A request to `{api_base_url}{path_and_query}`, the path and query sent exactly as given.
pub async fn call(
    sim: &LeverSim,
    method: Method,
    key: Option<&str>,
    path_and_query: &str,
    body: Option<&Value>,
) -> Answer {
    let mut request = http().request(method, format!("{}{path_and_query}", sim.api_base_url()));
    if let Some(key) = key {
        request = request.basic_auth(key, Some(""));
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    answer(request).await
}

pub async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the simulator answers");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

pub async fn get(sim: &LeverSim, key: &str, path_and_query: &str) -> Answer {
    call(sim, Method::GET, Some(key), path_and_query, None).await
}

pub async fn post(sim: &LeverSim, key: &str, path_and_query: &str, body: &Value) -> Answer {
    call(sim, Method::POST, Some(key), path_and_query, Some(body)).await
}

/// The ids of a list answer's `data`, in order.
pub fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

/// A call that needs `permission`: a key with every other permission gets Lever's 403 naming
/// the endpoint, a key with only that one gets `success`.
pub async fn assert_needs_permission(
    sim: &LeverSim,
    permission: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
    success: u16,
) {
    let others: Vec<&str> = PERMISSIONS
        .iter()
        .copied()
        .filter(|p| *p != permission)
        .collect();
    let without = sim.create_api_key(Some(&others)).await;
    let refused = call(sim, method.clone(), Some(&without), path, body).await;
    assert_eq!(refused.status, 403, "{method} {path} without {permission}");
    assert_eq!(refused.error_code(), "Forbidden");
    let endpoint = path.split('?').next().unwrap();
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains(endpoint),
        "the message names {endpoint}: {}",
        refused.text
    );

    let only = sim.create_api_key(Some(&[permission])).await;
    let allowed = call(sim, method.clone(), Some(&only), path, body).await;
    assert_eq!(
        allowed.status, success,
        "{method} {path} with only {permission}: {}",
        allowed.text
    );
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A webhook receiver on 127.0.0.1:0 that answers the given statuses in order (then 200),
/// after `delay`, and keeps what it got. A 3xx points at `/elsewhere` on the same server.
pub struct Receiver {
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    handle: ServerHandle,
}

impl Receiver {
    pub async fn start(statuses: Vec<u16>) -> Receiver {
        Self::start_with(statuses, Duration::ZERO).await
    }

    pub async fn start_with(statuses: Vec<u16>, delay: Duration) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let root = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(VecDeque::from(statuses)));
        let (store, elsewhere) = (seen.clone(), format!("{root}/elsewhere"));
        let server = HttpServer::new(move || {
            let store = store.clone();
            let answers = answers.clone();
            let elsewhere = elsewhere.clone();
            App::new().default_service(web::to(move |request: HttpRequest, body: web::Bytes| {
                let store = store.clone();
                let answers = answers.clone();
                let elsewhere = elsewhere.clone();
                async move {
                    let header = |name: &str| {
                        request
                            .headers()
                            .get(name)
                            .map(|v| v.to_str().unwrap_or_default().to_string())
                    };
                    store.lock().unwrap().push(Received {
                        method: request.method().to_string(),
                        path: request.path().to_string(),
                        content_type: header("content-type"),
                        user_agent: header("user-agent"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let status = answers.lock().unwrap().pop_front().unwrap_or(200);
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let mut response =
                        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
                    if (300..400).contains(&status) {
                        response.insert_header(("location", elsewhere));
                    }
                    response.body("{}")
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url: format!("{root}/hook"),
            seen,
            handle,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits (with a deadline) until at least `count` requests came.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        wait_for(
            &format!("{count} requests at the receiver"),
            Duration::from_secs(10),
            || async {
                let seen = self.received();
                (seen.len() >= count).then_some(seen)
            },
        )
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// A loopback URL where nothing listens.
pub fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/hook")
}
