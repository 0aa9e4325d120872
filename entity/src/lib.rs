//! sea-orm entities, one module per table.
//!
//! Tables with an `org_id` implement [`InOrg`]: `find_in_org`, `update_in_org` and
//! `delete_in_org` start every query already scoped to one organization. Services use them
//! wherever they act for an organization. The compiler does not forbid a bare `find()` or
//! `update_many()`: the few unscoped queries left are the job queue's claim (every
//! organization's due work), retention and pruning sweeps across organizations, lookups by a
//! secret that names the organization (a webhook key, a session), and tables keyed by a pad
//! (its operations, participants, presence, snapshots) once the pad was found in its
//! organization.

pub mod audit_event;
pub mod invitation;
pub mod job;
pub mod lever_delivery;
pub mod lever_forged_count;
pub mod lever_integration;
pub mod lever_seen_token;
pub mod mail;
pub mod organization;
pub mod pad;
pub mod pad_operation;
pub mod pad_participant;
pub mod pad_presence;
pub mod pad_run;
pub mod pad_snapshot;
pub mod password_reset;
pub mod user;

pub use sea_orm;

use api::OrgId;
use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany};

/// A table whose rows belong to one organization.
pub trait InOrg: EntityTrait {
    /// The `org_id` column.
    fn org_column() -> Self::Column;

    fn find_in_org(org_id: OrgId) -> Select<Self> {
        Self::find().filter(Self::org_column().eq(org_id))
    }

    fn update_in_org(org_id: OrgId) -> UpdateMany<Self> {
        Self::update_many().filter(Self::org_column().eq(org_id))
    }

    fn delete_in_org(org_id: OrgId) -> DeleteMany<Self> {
        Self::delete_many().filter(Self::org_column().eq(org_id))
    }
}
