//! Accounts and sessions: sign-up, log-in, log-out, password changes, and the session cookie.

pub mod language;
pub mod password;
pub mod reset;
pub mod routes;
pub mod service;
pub mod session;
pub mod throttle;
