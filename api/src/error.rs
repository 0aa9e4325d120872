use serde::{Deserialize, Serialize};

/// The body of every error answer: a stable snake_case `code` for programs and a `message`
/// for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}
