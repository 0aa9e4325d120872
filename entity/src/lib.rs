//! sea-orm entities, one module per table.
//!
//! Tenant tables carry `org_id`; each exposes a `find_in_org(org_id)` helper, and services query
//! tenant data only through it, so a forgotten filter cannot leak another organization's rows.

pub mod audit_event;
pub mod invitation;
pub mod job;
pub mod lever_delivery;
pub mod lever_forged_count;
pub mod lever_integration;
pub mod lever_seen_token;
pub mod organization;
pub mod pad;
pub mod pad_operation;
pub mod pad_participant;
pub mod pad_presence;
pub mod pad_snapshot;
pub mod user;

pub use sea_orm;
