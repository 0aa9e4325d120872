//! Black-box API tests: each starts the real server with its own database.

mod console;
mod health;
