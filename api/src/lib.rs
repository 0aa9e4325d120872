//! Wire types of Stagepad's HTTP API.
//!
//! Shared by the server (which produces them), the console (which compiles to wasm and
//! consumes them) and the black-box tests. Only serde, uuid and time live here so that the
//! wasm build stays small and free of server crates; the `db` feature (server side only) adds
//! sea-orm so that ids and enums are column types too.

#[macro_use]
mod vocab;

mod account;
mod audit;
mod error;
mod health;
pub mod i18n;
mod ids;
mod lever;
mod mail;
mod members;
pub mod ot;
mod pads;
pub mod playback;
mod runs;

pub use account::*;
pub use audit::*;
pub use error::ErrorBody;
pub use error::{ErrorCode, RefusalCode};
pub use health::{DatabaseKind, HealthResponse, ReadinessResponse};
pub use ids::{DeliveryId, InvitationId, JobId, MailId, OrgId, PadId, RunId, UserId};
pub use lever::*;
pub use mail::*;
pub use members::*;
pub use pads::*;
pub use runs::*;

/// Rows per page of a list when `limit` is not given.
pub const PAGE_LIMIT_DEFAULT: u32 = 50;
/// The largest `limit` a list accepts.
pub const PAGE_LIMIT_MAX: u32 = 200;
