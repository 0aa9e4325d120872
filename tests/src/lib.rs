//! The black-box test harness: the real server on a free port with a fresh database, a
//! cookie-keeping HTTP client, a headless browser, and polling helpers.

pub mod accounts;
pub mod app;
pub mod browser;
pub mod endpoints;
pub mod figures;
pub mod lever;
pub mod lever_sim;
pub mod logs;
pub mod pad_client;
pub mod poll;
pub mod proxy;
pub mod smtp_sink;

pub use accounts::{Account, PASSWORD, expect_error, expect_json};
pub use app::{TestApp, spawn_app, spawn_app_with};
pub use endpoints::Caller;
