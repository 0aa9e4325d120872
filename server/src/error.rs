//! The one error type of the HTTP boundary. Every error answer is `api::ErrorBody` with a stable
//! snake_case code; a 5xx says nothing internal and logs its cause chain instead.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, error::JsonPayloadError};
use api::ErrorCode;
use api::i18n::Locale;

use crate::i18n::{ErrorWords, Message, Text, msg};

pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: Message,
    retry_after_secs: Option<u64>,
    cause: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// An error with the errors that caused it, outermost first: `a: b: c`.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<Message>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
            cause: None,
        }
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<Message>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: ErrorCode, message: impl Into<Message>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn unauthorized(code: ErrorCode, message: impl Into<Message>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: ErrorCode, message: impl Into<Message>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found(message: impl Into<Message>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn conflict(code: ErrorCode, message: impl Into<Message>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn too_many_requests(message: impl Into<Message>, retry_after_secs: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyRequests,
            message,
        );
        error.retry_after_secs = Some(retry_after_secs.max(1));
        error
    }

    pub fn service_unavailable(code: ErrorCode, message: impl Into<Message>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    /// An unexpected failure: the client learns only that it happened.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            msg(Text::ErrorInternal),
        );
        error.cause = Some(cause.into());
        error
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message in English, as logs and tests read it.
    pub fn message(&self) -> String {
        self.message.render(Locale::En)
    }

    /// The message in `locale`, for an answer that carries it as a field.
    pub fn message_in(&self, locale: Locale) -> String {
        self.message.render(locale)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code.as_str(),
            self.message()
        )?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause:#})")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            match &self.cause {
                Some(cause) => {
                    tracing::error!(code = self.code.as_str(), error = %format!("{cause:#}"), "request failed")
                }
                None => {
                    tracing::warn!(code = self.code.as_str(), message = %self.message(), "request failed")
                }
            }
        }
        let mut response = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        // Said again in the request's language by `i18n::localize_errors`.
        response.extensions_mut().insert(ErrorWords {
            code: self.code,
            message: self.message.clone(),
        });
        response.json(api::ErrorBody {
            code: self.code,
            message: self.message(),
        })
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::internal(error)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::internal(anyhow::anyhow!("blocking task failed: {error}"))
    }
}

/// Turns actix's JSON extractor failures into answers that name the problem.
pub fn json_error(error: JsonPayloadError, _request: &HttpRequest) -> actix_web::Error {
    let api_error = match &error {
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            msg(Text::RequestBodyNotJson),
        ),
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            msg(Text::RequestBodyTooLarge).with("limit", limit),
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::unprocessable(
            ErrorCode::InvalidField,
            msg(Text::RequestJsonDoesNotFit).with("detail", e),
        ),
        JsonPayloadError::Deserialize(e) => ApiError::bad_request(
            ErrorCode::MalformedJson,
            msg(Text::RequestJsonMalformed).with("detail", e),
        ),
        _ => ApiError::bad_request(
            ErrorCode::UnreadableBody,
            msg(Text::RequestBodyUnreadable).with("detail", &error),
        ),
    };
    api_error.into()
}

pub fn path_error(error: actix_web::error::PathError, _request: &HttpRequest) -> actix_web::Error {
    ApiError::not_found(msg(Text::RequestNoSuchObject).with("detail", error)).into()
}

pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    _request: &HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request(
        ErrorCode::InvalidQuery,
        msg(Text::RequestQueryDoesNotFit).with("detail", error),
    )
    .into()
}
