//! `MemberPad`: a pad of the caller's organization, as handlers receive it. The extractor
//! finds the pad named in the path within the logged-in user's organization (another
//! organization's pad answers 404, as a missing one does), so a handler cannot forget to.

use api::PadId;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use entity::pad;

use crate::error::ApiError;
use crate::extract::AuthUser;
use crate::state::AppState;

pub struct MemberPad {
    user: AuthUser,
    pad: pad::Model,
}

impl MemberPad {
    pub fn user(&self) -> &AuthUser {
        &self.user
    }

    pub fn pad(&self) -> &pad::Model {
        &self.pad
    }
}

impl FromRequest for MemberPad {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(request, payload);
        let request = request.clone();
        Box::pin(async move {
            let user = user.await?;
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))?;
            let pad_id = PadId::new(request.match_info().get("id").unwrap_or_default());
            let pad = super::find_for_member(state, &user, &pad_id).await?;
            Ok(MemberPad { user, pad })
        })
    }
}
