//! Checks of user-typed fields, each refusing with a code and a sentence that names the field.

use api::ErrorCode;

use crate::error::ApiError;
use crate::i18n::{Text, msg};

pub const MAX_NAME_CHARS: usize = 100;
const MAX_EMAIL_CHARS: usize = 254;

/// A trimmed, non-empty name of at most 100 characters.
pub fn name(field: &'static str, value: &str) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            msg(Text::FieldsEmpty).with("field", field),
        ));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS || trimmed.chars().any(char::is_control) {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            msg(Text::FieldsTooLong)
                .with("field", field)
                .with("max", MAX_NAME_CHARS),
        ));
    }
    Ok(trimmed.to_string())
}

/// A plausible email address, lower-cased: emails are compared without regard to case.
pub fn email(value: &str) -> Result<String, ApiError> {
    let email = value.trim().to_lowercase();
    let plausible = email.len() <= MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if plausible {
        Ok(email)
    } else {
        Err(ApiError::unprocessable(
            ErrorCode::InvalidEmail,
            msg(Text::FieldsEmailInvalid),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.io",
            "ada@.com",
        ] {
            assert_eq!(
                email(bad).unwrap_err().code(),
                ErrorCode::InvalidEmail,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Ada  ").unwrap(), "Ada");
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(101)).is_err());
        assert!(name("name", "tab\tname").is_err());
    }
}
