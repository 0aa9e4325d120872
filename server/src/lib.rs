//! Stagepad's server as a library: `Application::build(settings)` wires everything, so `main`
//! and the black-box tests start exactly the same server.

pub mod audit;
pub mod auth;
pub mod config;
pub mod console;
pub mod csrf;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod orgs;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod validate;
pub mod wire;

pub use config::Settings;
pub use startup::Application;
