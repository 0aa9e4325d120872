use actix_web::{HttpResponse, web};

use crate::error::ApiResult;
use crate::extract::AuthUser;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/pads", web::get().to(list_pads))
        .route("/pads/{id}", web::get().to(view_pad));
}

async fn list_pads(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::list(&state, user.org_id).await?))
}

/// No account needed: the candidate opens the link from the invitation.
async fn view_pad(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::view(&state, &id).await?))
}
