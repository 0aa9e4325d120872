//! Extractors that carry identity and tenancy into handlers: `AuthUser` (any logged-in user,
//! re-read from the database on every request) and `AdminUser` (an admin of the organization).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use entity::user;
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;
use crate::wire;

/// A logged-in, active user. `org_id` is the tenant every query of this request is scoped to.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub role: api::Role,
    pub name: String,
    pub email: String,
    pub token_version: i32,
}

impl AuthUser {
    /// How the user appears in the audit log.
    pub fn label(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }

    pub fn is_admin(&self) -> bool {
        self.role == api::Role::Admin
    }
}

/// An admin of their organization; members get 403.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl std::ops::Deref for AdminUser {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

/// An admin of an organization on the enterprise plan: who may connect Lever.
#[derive(Debug, Clone)]
pub struct EnterpriseAdmin(pub AuthUser);

impl std::ops::Deref for EnterpriseAdmin {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

impl FromRequest for EnterpriseAdmin {
    type Error = ApiError;
    type Future = LocalFuture<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let admin = AdminUser::from_request(request, payload);
        let request = request.clone();
        Box::pin(async move {
            let AdminUser(user) = admin.await?;
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))?;
            if !crate::orgs::service::plan_includes_lever(&state.db, user.org_id).await? {
                return Err(ApiError::forbidden(
                    "enterprise_required",
                    "The Lever integration needs the Enterprise plan. An admin can switch plans under Settings.",
                ));
            }
            Ok(EnterpriseAdmin(user))
        })
    }
}

/// The address of the client as this server sees it (for the audit log and throttling).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub Option<String>);

impl ClientAddress {
    pub fn as_key(&self) -> &str {
        self.0.as_deref().unwrap_or("unknown")
    }
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn not_logged_in() -> ApiError {
    ApiError::unauthorized("not_logged_in", "Log in to continue.")
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalFuture<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))?;
            let cookie = request
                .cookie(state.sessions.cookie_name())
                .ok_or_else(not_logged_in)?;
            let claims = state
                .sessions
                .verify(cookie.value())
                .ok_or_else(not_logged_in)?;
            let user = user::Entity::find_in_org(claims.org)
                .filter(user::Column::Id.eq(claims.sub))
                .one(&state.db)
                .await?
                .ok_or_else(not_logged_in)?;
            if user.status != user::Status::Active || user.token_version != claims.ver {
                return Err(not_logged_in());
            }
            Ok(AuthUser {
                user_id: user.id,
                org_id: user.org_id,
                role: wire::role(user.role),
                name: user.name,
                email: user.email,
                token_version: user.token_version,
            })
        })
    }
}

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = LocalFuture<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(request, payload);
        Box::pin(async move {
            let user = user.await?;
            if !user.is_admin() {
                return Err(ApiError::forbidden(
                    "admin_only",
                    "Only admins of the organization can do this.",
                ));
            }
            Ok(AdminUser(user))
        })
    }
}

impl FromRequest for ClientAddress {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(ClientAddress(
            request.peer_addr().map(|addr| addr.ip().to_string()),
        )))
    }
}
