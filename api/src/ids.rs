//! Ids as types: each kind of id is its own newtype, so passing a user's id where an
//! organization's is meant does not compile. On the wire each is its bare value (serde
//! transparent); with the `db` feature each is also a sea-orm column type.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "db", derive(sea_orm::DeriveValueType))]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(Uuid);

        impl $name {
            /// A new random id (UUID v4); server side only, where uuid has its `v4` feature.
            #[cfg(feature = "db")]
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// A new id that sorts by creation time (UUID v7: 48 bits of milliseconds, then
            /// random): rows written in bursts land on the last pages of the id index instead
            /// of dirtying a random page each.
            #[cfg(feature = "db")]
            pub fn time_ordered() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::from_str(text).map(Self)
            }
        }

        #[cfg(feature = "db")]
        impl From<&$name> for sea_orm::Value {
            fn from(id: &$name) -> Self {
                id.0.into()
            }
        }

        #[cfg(feature = "db")]
        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }
    };
}

uuid_id!(
    /// An organization (a tenant).
    OrgId
);
uuid_id!(
    /// A person's account in one organization.
    UserId
);
uuid_id!(
    /// One webhook delivery from Lever, as stored.
    DeliveryId
);
uuid_id!(
    /// A queued job.
    JobId
);
uuid_id!(
    /// An invitation to join an organization.
    InvitationId
);
uuid_id!(
    /// One run of a pad's code.
    RunId
);
uuid_id!(
    /// One e-mail Stagepad sends.
    MailId
);

/// A pad: 128 random bits in 22 URL-safe characters, the part of the link that opens it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "db", derive(sea_orm::DeriveValueType))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PadId(String);

impl PadId {
    /// Wraps text that names a pad. Whether such a pad exists is the store's question.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PadId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// So that queries can filter by a borrowed id.
#[cfg(feature = "db")]
impl From<&PadId> for sea_orm::Value {
    fn from(id: &PadId) -> Self {
        id.0.as_str().into()
    }
}

#[cfg(feature = "db")]
impl sea_orm::TryFromU64 for PadId {
    fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
        Err(sea_orm::DbErr::ConvertFromU64("PadId"))
    }
}

// Random ids need the `db` feature (uuid's v4).
#[cfg(all(test, feature = "db"))]
mod tests {
    use super::*;

    #[test]
    fn ids_travel_as_their_bare_value() {
        let org = OrgId::random();
        let json = serde_json::to_string(&org).unwrap();
        assert_eq!(json, format!("\"{}\"", org.as_uuid()));
        assert_eq!(serde_json::from_str::<OrgId>(&json).unwrap(), org);
        assert_eq!(org.to_string().parse::<OrgId>().unwrap(), org);

        let pad = PadId::new("abc");
        assert_eq!(serde_json::to_string(&pad).unwrap(), "\"abc\"");
    }
}
