//! Logging: `tracing` to stdout, as text or (with `STAGEPAD_LOG_FORMAT=json`) one JSON object per
//! line; and a request log that never writes query strings or secret-bearing path segments.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=warn";

/// Installs the global subscriber; the filter comes from `STAGEPAD_LOG` (RUST_LOG syntax).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("STAGEPAD_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if let Err(e) = result {
        eprintln!("logging was already set up: {e}");
    }
}

/// Middleware: one line per request with method, redacted path, status and duration.
pub async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = redact_path(request.path());
    let response = next.call(request).await?;
    let status = response.status().as_u16();
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %path, status, millis, "request");
    } else {
        tracing::info!(%method, %path, status, millis, "request");
    }
    Ok(response)
}

/// Webhook keys, pad ids and invitation tokens travel in paths; a log must not hold them.
/// Any long segment is treated as such a secret.
pub fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.len() >= 16 {
                ":redacted"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn long_segments_are_redacted() {
        assert_eq!(
            redact_path("/webhooks/lever/4f9c2a7d1e8b3c6a5f0e9d8c7b6a5f4e"),
            "/webhooks/lever/:redacted"
        );
        assert_eq!(redact_path("/api/lever/setup"), "/api/lever/setup");
    }
}
