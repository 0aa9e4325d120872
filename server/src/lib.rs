//! Stagepad's server as a library: `Application::build(settings)` wires everything, so `main`
//! and the black-box tests start exactly the same server.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod config;
pub mod console;
pub mod csrf;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod i18n;
pub mod jobs;
pub mod lever;
pub mod mail;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod orgs;
pub mod pads;
pub mod paging;
pub mod proxy;
pub mod retention;
pub mod runs;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod validate;
pub mod wire;

pub use config::Settings;

/// reqwest is built without a bundled TLS provider; every client needs this one installed.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
pub use startup::Application;
