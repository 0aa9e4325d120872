//! Liveness and readiness probes for load balancers and orchestration.

use actix_web::{HttpResponse, web};
use api::ErrorCode;
use sea_orm::ConnectionTrait;

use crate::db::database_kind;
use crate::error::{ApiError, ApiResult};
use crate::i18n::{Text, msg};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(get_health))
        .route("/readyz", web::get().to(get_readiness));
}

/// Liveness: the process is up and serving.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Up.", body = api::HealthResponse)),
)]
pub async fn get_health() -> HttpResponse {
    HttpResponse::Ok().json(api::HealthResponse {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Readiness: the process can do its work, i.e. its database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready.", body = api::ReadinessResponse),
        (status = 503, description = "`database_unavailable`: the database does not answer.", body = api::ErrorBody),
    ),
)]
pub async fn get_readiness(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.db.execute_unprepared("SELECT 1").await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check: database unreachable");
        ApiError::service_unavailable(
            ErrorCode::DatabaseUnavailable,
            msg(Text::HealthDatabaseUnavailable),
        )
    })?;
    Ok(HttpResponse::Ok().json(api::ReadinessResponse {
        status: "ready".into(),
        database: database_kind(&state.db),
    }))
}
