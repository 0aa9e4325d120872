//! Closed sets of names shared by the wire, the database and the console.

/// Declares an enum whose variants travel and are stored as fixed snake_case text: serde on
/// the wire and, with the `db` feature, sea-orm's `DeriveActiveEnum` in a text column. One
/// list of `Variant = "text"` pairs feeds both, plus `as_str`, `from_code` and `ALL`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            // `tt`, not `literal`: a `literal` fragment reaches derive macros wrapped in an
            // invisible group, which utoipa's reading of `#[serde(rename = ...)]` misses.
            $( $(#[$variant_meta:meta])* $variant:ident = $text:tt, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(
            feature = "db",
            sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::None)")
        )]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                #[serde(rename = $text)]
                #[cfg_attr(feature = "db", sea_orm(string_value = $text))]
                $variant,
            )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name on the wire and in the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == code)
            }
        }

        // By hand rather than derived: one string and a lookup in `ALL`, where serde's derive
        // writes a visitor per enum and per input format, which weighs on the console's wasm.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let code = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                Self::from_code(&code).ok_or_else(|| {
                    <D::Error as serde::de::Error>::unknown_variant(&code, &[$($text),+])
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::*;

    fn round_trips<T>(all: &[T])
    where
        T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + serde::Serialize,
        T: serde::de::DeserializeOwned,
    {
        for value in all {
            let json = serde_json::to_string(value).unwrap();
            assert_eq!(json, format!("\"{value}\""));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *value);
        }
    }

    #[test]
    fn every_name_is_the_same_on_the_wire_and_in_as_str() {
        round_trips(Plan::ALL);
        round_trips(Role::ALL);
        round_trips(LeverEnvironment::ALL);
        round_trips(PadStatus::ALL);
        round_trips(PadSource::ALL);
        round_trips(RequestStatus::ALL);
        round_trips(DeliveryStatus::ALL);
        round_trips(DeliveryReason::ALL);
        round_trips(MemberStatus::ALL);
        round_trips(RunStatus::ALL);
        round_trips(RunStream::ALL);
        assert_eq!(
            DeliveryReason::from_code("not_tagged"),
            Some(DeliveryReason::NotTagged)
        );
        assert_eq!(DeliveryReason::from_code("Not_Tagged"), None);
    }
}
