//! Organizations: members, roles, invitations and the plan.

pub mod routes;
pub mod service;
