use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::extract::AdminUser;
use crate::paging::PageRequest;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(list_audit_events));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    cursor: Option<String>,
    limit: Option<u64>,
}

async fn list_audit_events(
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let request = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let page = super::page(&state.db, admin.org_id, &request).await?;
    Ok(HttpResponse::Ok().json(page))
}
