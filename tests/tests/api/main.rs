//! Black-box API tests: each starts the real server with its own database.

mod accounts;
mod audit;
mod bad_input;
mod console;
mod fuzz;
mod health;
mod lever_client;
mod lever_ingest;
mod lever_jobs;
mod lever_notes_real;
mod lever_pipeline;
mod lever_plan;
mod lever_real;
mod lever_secrets;
mod lever_setup;
mod lever_setup_real;
mod lists;
mod members;
mod migrations;
mod pads_history;
mod pads_lever;
mod pads_live;
mod pads_security;
mod retention;
mod storage;
mod tenancy;
