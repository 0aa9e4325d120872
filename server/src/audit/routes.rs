use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::extract::AdminUser;
use crate::i18n::requested_locale;
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
    http: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let request = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let locale = requested_locale(http.headers());
    let page = super::page(&state.db, admin.org_id, &request, locale).await?;
    // Worded in the request's language (`i18n::localize_errors` adds the Vary header).
    Ok(HttpResponse::Ok().json(page))
}
