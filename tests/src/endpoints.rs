//! One method per endpoint of the API, so that tests read like the product
//! (`app.create_pad(&member, &request)`) and a changed route is changed here only.
//!
//! Each answers the raw response: a test decides whether it expects JSON (`expect_json`) or
//! an error (`expect_error`). Bodies are typed; a test that sends a malformed body on purpose
//! uses `TestApp::post` and friends with a path of its own.

use reqwest::{Client, Response};

use crate::accounts::Account;
use crate::app::TestApp;

/// Who makes a call: an account (with its session) or a bare client (a second browser, a
/// visitor without a session, one behind a proxy).
pub trait Caller {
    fn client(&self) -> &Client;
}

impl Caller for Account {
    fn client(&self) -> &Client {
        &self.client
    }
}

impl Caller for Client {
    fn client(&self) -> &Client {
        self
    }
}

impl<T: Caller + ?Sized> Caller for &T {
    fn client(&self) -> &Client {
        (**self).client()
    }
}

/// `?query` when there is one: lists take their filters as written (a test may send a bad one).
fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.trim_start_matches('?'))
    }
}

impl TestApp {
    // Accounts.

    pub async fn signup(&self, who: &impl Caller, request: &api::SignupRequest) -> Response {
        self.post(who.client(), "/api/signup", request).await
    }

    pub async fn login(&self, who: &impl Caller, request: &api::LoginRequest) -> Response {
        self.post(who.client(), "/api/login", request).await
    }

    pub async fn logout(&self, who: &impl Caller) -> Response {
        self.post(who.client(), "/api/logout", &serde_json::json!({}))
            .await
    }

    pub async fn me(&self, who: &impl Caller) -> Response {
        self.get(who.client(), "/api/me").await
    }

    pub async fn change_password(
        &self,
        who: &impl Caller,
        request: &api::ChangePasswordRequest,
    ) -> Response {
        self.put(who.client(), "/api/me/password", request).await
    }

    pub async fn change_name(
        &self,
        who: &impl Caller,
        request: &api::ChangeNameRequest,
    ) -> Response {
        self.put(who.client(), "/api/me/name", request).await
    }

    pub async fn change_email(
        &self,
        who: &impl Caller,
        request: &api::ChangeEmailRequest,
    ) -> Response {
        self.put(who.client(), "/api/me/email", request).await
    }

    // The organization, its members and invitations.

    pub async fn organization(&self, who: &impl Caller) -> Response {
        self.get(who.client(), "/api/organization").await
    }

    pub async fn rename_organization(
        &self,
        who: &impl Caller,
        request: &api::RenameOrganizationRequest,
    ) -> Response {
        self.put(who.client(), "/api/organization/name", request)
            .await
    }

    pub async fn change_plan(
        &self,
        who: &impl Caller,
        request: &api::ChangePlanRequest,
    ) -> Response {
        self.put(who.client(), "/api/organization/plan", request)
            .await
    }

    pub async fn members(&self, who: &impl Caller, query: &str) -> Response {
        self.get(who.client(), &with_query("/api/members", query))
            .await
    }

    pub async fn update_member(
        &self,
        who: &impl Caller,
        id: api::UserId,
        request: &api::UpdateMemberRequest,
    ) -> Response {
        self.patch(who.client(), &format!("/api/members/{id}"), request)
            .await
    }

    pub async fn remove_member(&self, who: &impl Caller, id: api::UserId) -> Response {
        self.delete(who.client(), &format!("/api/members/{id}"))
            .await
    }

    pub async fn create_invitation(
        &self,
        who: &impl Caller,
        request: &api::CreateInvitationRequest,
    ) -> Response {
        self.post(who.client(), "/api/invitations", request).await
    }

    pub async fn preview_invitation(&self, who: &impl Caller, token: &str) -> Response {
        self.get(who.client(), &format!("/api/invitations/{token}"))
            .await
    }

    pub async fn revoke_invitation(&self, who: &impl Caller, id: api::InvitationId) -> Response {
        self.delete(who.client(), &format!("/api/invitations/{id}"))
            .await
    }

    pub async fn accept_invitation(
        &self,
        who: &impl Caller,
        token: &str,
        request: &api::AcceptInvitationRequest,
    ) -> Response {
        self.post(
            who.client(),
            &format!("/api/invitations/{token}/accept"),
            request,
        )
        .await
    }

    pub async fn audit(&self, who: &impl Caller, query: &str) -> Response {
        self.get(who.client(), &with_query("/api/audit", query))
            .await
    }

    // Lever setup.

    pub async fn lever_setup(&self, who: &impl Caller) -> Response {
        self.get(who.client(), "/api/lever/setup").await
    }

    pub async fn save_lever_credentials(
        &self,
        who: &impl Caller,
        request: &api::LeverCredentialsRequest,
    ) -> Response {
        self.put(who.client(), "/api/lever/credentials", request)
            .await
    }

    pub async fn lever_stages(&self, who: &impl Caller) -> Response {
        self.get(who.client(), "/api/lever/stages").await
    }

    pub async fn save_lever_stages(
        &self,
        who: &impl Caller,
        request: &api::LeverStagesRequest,
    ) -> Response {
        self.put(who.client(), "/api/lever/stages", request).await
    }

    pub async fn lever_webhook(&self, who: &impl Caller) -> Response {
        self.get(who.client(), "/api/lever/webhook").await
    }

    pub async fn rotate_lever_webhook(&self, who: &impl Caller) -> Response {
        self.post(
            who.client(),
            "/api/lever/webhook/rotate",
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn save_lever_token(
        &self,
        who: &impl Caller,
        request: &api::LeverTokenRequest,
    ) -> Response {
        self.put(who.client(), "/api/lever/token", request).await
    }

    pub async fn save_lever_options(
        &self,
        who: &impl Caller,
        request: &api::LeverOptionsRequest,
    ) -> Response {
        self.put(who.client(), "/api/lever/options", request).await
    }

    pub async fn lever_feedback_templates(&self, who: &impl Caller) -> Response {
        self.get(who.client(), "/api/lever/feedback-templates")
            .await
    }

    pub async fn choose_feedback_template(
        &self,
        who: &impl Caller,
        request: &api::LeverFeedbackTemplateRequest,
    ) -> Response {
        self.put(who.client(), "/api/lever/feedback-template", request)
            .await
    }

    pub async fn lever_deliveries(&self, who: &impl Caller, query: &str) -> Response {
        self.get(who.client(), &with_query("/api/lever/deliveries", query))
            .await
    }

    pub async fn retry_delivery(&self, who: &impl Caller, id: api::DeliveryId) -> Response {
        self.post(
            who.client(),
            &format!("/api/lever/deliveries/{id}/retry"),
            &(),
        )
        .await
    }

    pub async fn disconnect_lever(&self, who: &impl Caller) -> Response {
        self.delete(who.client(), "/api/lever").await
    }

    // Pads.

    pub async fn list_pads(&self, who: &impl Caller, query: &str) -> Response {
        self.get(who.client(), &with_query("/api/pads", query))
            .await
    }

    pub async fn create_pad(&self, who: &impl Caller, request: &api::NewPadRequest) -> Response {
        self.post(who.client(), "/api/pads", request).await
    }

    pub async fn view_pad(&self, who: &impl Caller, id: &api::PadId) -> Response {
        self.get(who.client(), &format!("/api/pads/{id}")).await
    }

    pub async fn end_pad(&self, who: &impl Caller, id: &api::PadId) -> Response {
        self.post(who.client(), &format!("/api/pads/{id}/end"), &())
            .await
    }

    pub async fn pad_history(&self, who: &impl Caller, id: &api::PadId, query: &str) -> Response {
        self.get(
            who.client(),
            &with_query(&format!("/api/pads/{id}/history"), query),
        )
        .await
    }

    pub async fn send_code_note(&self, who: &impl Caller, id: &api::PadId) -> Response {
        self.post(who.client(), &format!("/api/pads/{id}/lever-note"), &())
            .await
    }

    pub async fn send_feedback(&self, who: &impl Caller, id: &api::PadId) -> Response {
        self.post(who.client(), &format!("/api/pads/{id}/lever-feedback"), &())
            .await
    }

    pub async fn languages(&self, who: &impl Caller) -> Response {
        self.get(who.client(), "/api/languages").await
    }

    // Health.

    pub async fn health(&self, who: &impl Caller) -> Response {
        self.get(who.client(), "/healthz").await
    }

    pub async fn readiness(&self, who: &impl Caller) -> Response {
        self.get(who.client(), "/readyz").await
    }
}
