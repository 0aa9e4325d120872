//! Extractors that carry identity and tenancy into handlers: `AuthUser` (any logged-in user,
//! re-read from the database on every request) and `AdminUser` (an admin of the organization).

use api::{OrgId, UserId};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use api::ErrorCode;
use entity::InOrg;
use entity::user;
use sea_orm::{ColumnTrait, QueryFilter};

use crate::error::ApiError;
use crate::i18n::{Text, msg};
use crate::proxy;
use crate::state::AppState;
use crate::wire;

/// A logged-in, active user. `org_id` is the tenant every query of this request is scoped to.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: UserId,
    pub org_id: OrgId,
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

/// An admin of their organization; members get 403. Only the extractor makes one: holding it
/// proves the check was made.
#[derive(Debug, Clone)]
pub struct AdminUser(AuthUser);

impl AdminUser {
    pub fn user(&self) -> &AuthUser {
        &self.0
    }
}

impl std::ops::Deref for AdminUser {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

/// An admin of an organization on the enterprise plan: who may connect Lever. Only the
/// extractor makes one.
#[derive(Debug, Clone)]
pub struct EnterpriseAdmin(AuthUser);

impl EnterpriseAdmin {
    pub fn user(&self) -> &AuthUser {
        &self.0
    }
}

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
                    ErrorCode::EnterpriseRequired,
                    msg(Text::RequestEnterpriseRequired),
                ));
            }
            Ok(EnterpriseAdmin(user))
        })
    }
}

/// The client's address, for the audit log and throttling: the peer, or behind trusted proxies
/// the address they forward (see [`crate::proxy::client_address`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(Option<IpAddr>);

impl ClientAddress {
    pub fn from_ip(ip: IpAddr) -> Self {
        Self(Some(ip))
    }

    /// For work no request started.
    pub fn unknown() -> Self {
        Self(None)
    }

    pub fn ip(&self) -> Option<IpAddr> {
        self.0
    }
}

/// A genuine session of a member of an organization an operator has disabled since: over, and
/// says why.
fn organization_disabled() -> ApiError {
    ApiError::unauthorized(
        ErrorCode::OrganizationDisabled,
        msg(Text::RequestOrganizationDisabled),
    )
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn not_logged_in() -> ApiError {
    ApiError::unauthorized(ErrorCode::NotLoggedIn, msg(Text::RequestNotLoggedIn))
}

/// A genuine session of an account deactivated since: over, like any ended session, but it says
/// why, so the console can tell the person instead of just asking them to log in.
fn access_removed() -> ApiError {
    ApiError::unauthorized(
        ErrorCode::AccountDeactivated,
        msg(Text::RequestAccountDeactivated),
    )
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
            if user.status != user::Status::Active {
                return Err(access_removed());
            }
            if user.token_version != claims.ver {
                return Err(not_logged_in());
            }
            if crate::orgs::service::is_disabled(&state.db, user.org_id).await? {
                return Err(organization_disabled());
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

/// Who opens a page anyone may see: a logged-in user, or nobody. Unlike `Option<AuthUser>`,
/// a session that could not be checked (the database failing) is an error, not an outsider's
/// view of a member's page.
pub enum Viewer {
    Anonymous,
    User(AuthUser),
}

impl Viewer {
    pub fn user(&self) -> Option<&AuthUser> {
        match self {
            Viewer::Anonymous => None,
            Viewer::User(user) => Some(user),
        }
    }

    pub fn into_user(self) -> Option<AuthUser> {
        match self {
            Viewer::Anonymous => None,
            Viewer::User(user) => Some(user),
        }
    }
}

impl FromRequest for Viewer {
    type Error = ApiError;
    type Future = LocalFuture<Self>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(request, payload);
        Box::pin(async move {
            match user.await {
                Ok(user) => Ok(Viewer::User(user)),
                Err(e)
                    if matches!(
                        e.code(),
                        ErrorCode::NotLoggedIn
                            | ErrorCode::AccountDeactivated
                            | ErrorCode::OrganizationDisabled
                    ) =>
                {
                    Ok(Viewer::Anonymous)
                }
                Err(e) => Err(e),
            }
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
                    ErrorCode::AdminOnly,
                    msg(Text::RequestAdminOnly),
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
        let Some(state) = request.app_data::<web::Data<AppState>>() else {
            return std::future::ready(Err(ApiError::internal(anyhow::anyhow!(
                "AppState missing"
            ))));
        };
        let proxies = &state.settings.trusted_proxies;
        // A value that is not visible ASCII is an unreadable hop, which ends the walk.
        let lines: Vec<&str> = request
            .headers()
            .get_all(proxies.header().name())
            .map(|value| value.to_str().unwrap_or("unreadable"))
            .collect();
        let peer = request.peer_addr().map(|addr| addr.ip());
        std::future::ready(Ok(ClientAddress(proxy::client_address(
            peer, proxies, &lines,
        ))))
    }
}
