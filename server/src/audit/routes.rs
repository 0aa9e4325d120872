use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::extract::AdminUser;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(list_audit_events));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<u64>,
}

async fn list_audit_events(
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let page = super::page(
        &state.db,
        admin.org_id,
        query.before,
        query.limit.unwrap_or(super::DEFAULT_PAGE),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}
