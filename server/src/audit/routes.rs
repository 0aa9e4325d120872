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

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Events per page: 1 to 200, 50 when absent.
    limit: Option<u64>,
}

/// One page of the organization's audit log, newest first (admins).
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "audit",
    security(("session" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of events.", body = api::AuditPage),
        (status = 400, description = "`invalid_cursor`, `invalid_limit`, `invalid_query`: the query does not fit.", body = api::ErrorBody),
        (status = 403, description = "`admin_only`: only admins may read the audit log.", body = api::ErrorBody),
    ),
)]
pub async fn list_audit_events(
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
