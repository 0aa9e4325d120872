//! The Lever integration: the client, the four-step setup, and webhook ingest.

pub mod budget;
pub mod client;
pub mod deliveries;
pub mod delivery_writer;
pub mod feedback;
pub mod integration;
pub mod notes;
pub mod pipeline;
pub mod routes;
pub mod rules;
pub mod setup;
pub mod signature;
pub mod types;
pub mod webhook;
pub mod webhook_cache;

/// Lever's hosts by environment. A custom base URL (the simulator) needs the server setting.
pub fn base_url(
    environment: api::LeverEnvironment,
    custom: Option<&str>,
    allow_custom: bool,
) -> Result<String, crate::error::ApiError> {
    use api::LeverEnvironment::*;
    Ok(match environment {
        Production => "https://api.lever.co/v1".into(),
        Sandbox => "https://api.sandbox.lever.co/v1".into(),
        Eu => "https://api.eu.lever.co/v1".into(),
        Custom => {
            if !allow_custom {
                return Err(crate::error::ApiError::unprocessable(
                    api::ErrorCode::CustomBaseUrlDisabled,
                    crate::i18n::msg(crate::i18n::Text::LeverBaseUrlCustomDisabled),
                ));
            }
            let url = custom
                .map(str::trim)
                .unwrap_or_default()
                .trim_end_matches('/');
            let valid = (url.starts_with("http://") || url.starts_with("https://"))
                && url.len() <= 500
                && !url.contains(char::is_whitespace);
            if !valid {
                return Err(crate::error::ApiError::unprocessable(
                    api::ErrorCode::InvalidField,
                    crate::i18n::msg(crate::i18n::Text::LeverBaseUrlInvalid),
                ));
            }
            url.to_string()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::LeverEnvironment;

    #[test]
    fn known_environments_ignore_any_custom_url_and_custom_needs_the_setting() {
        assert_eq!(
            base_url(LeverEnvironment::Sandbox, Some("http://evil"), true).unwrap(),
            "https://api.sandbox.lever.co/v1"
        );
        assert_eq!(
            base_url(LeverEnvironment::Custom, Some("http://x"), false)
                .unwrap_err()
                .code(),
            api::ErrorCode::CustomBaseUrlDisabled
        );
        assert_eq!(
            base_url(
                LeverEnvironment::Custom,
                Some("http://127.0.0.1:9/v1/"),
                true
            )
            .unwrap(),
            "http://127.0.0.1:9/v1"
        );
        assert!(base_url(LeverEnvironment::Custom, Some("file:///etc"), true).is_err());
    }
}
