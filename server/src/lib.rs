//! Stagepad's server as a library: `Application::build(settings)` wires everything, so `main`
//! and the black-box tests start exactly the same server.

pub mod config;
pub mod console;
pub mod db;
pub mod error;
pub mod health;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use config::Settings;
pub use startup::Application;
