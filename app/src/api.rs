//! The console's one way to the server: a client bound to the session, with one method per
//! endpoint of the JSON API (the wire types are in the `api` crate). Every answer passes through
//! the session, so a "not logged in" answer to any call ends the session here too, and the
//! console goes back to the log-in page; no page has to remember it.

use ::api::{
    AcceptInvitationRequest, AuditPage, ChangeEmailRequest, ChangeNameRequest,
    ChangePasswordRequest, ChangePlanRequest, CompletePasswordResetRequest,
    CreateInvitationRequest, DeliveryId, ErrorCode, InvitationCreated, InvitationId,
    InvitationPreview, LanguagesResponse, LeverCredentialsRequest, LeverDeliveriesResponse,
    LeverDelivery, LeverFeedbackTemplateRequest, LeverFeedbackTemplatesResponse,
    LeverOptionsRequest, LeverSetup, LeverStagesRequest, LeverStagesResponse, LeverTokenRequest,
    LeverWebhookResponse, LoginRequest, MeResponse, Member, MembersResponse, NewPadRequest,
    OrganizationSummary, PadHistory, PadId, PadMailOptions, PadMailRequest, PadSummary, PadView,
    PadsResponse, PasswordResetPreview, PasswordResetRequest, ReadinessResponse,
    RenameOrganizationRequest, SignupRequest, UpdateMemberRequest, UserId,
};
use futures::future::LocalBoxFuture;
use gloo_net::http::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::components::pager::ListPlace;
use crate::state::Session;

/// What went wrong with a call, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: u16,
    /// `None` when Stagepad could not be reached or its answer carried no `ErrorBody`.
    pub code: Option<ErrorCode>,
    pub message: String,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ApiFailure {
    fn network(error: impl std::fmt::Display) -> Self {
        Self {
            status: 0,
            code: None,
            message: crate::i18n::tf(
                crate::i18n::Text::ApiUnreachable,
                &[("error", &error.to_string())],
            ),
        }
    }

    /// The session ended (logged out elsewhere, password changed, the account deactivated):
    /// log in again.
    pub fn ends_session(&self) -> bool {
        self.status == 401
            && matches!(
                self.code,
                Some(ErrorCode::NotLoggedIn | ErrorCode::AccountDeactivated)
            )
    }

    /// Builds a failure from an error answer, whether or not it carried an `ErrorBody`.
    pub fn from_answer(status: u16, body: Option<::api::ErrorBody>) -> Self {
        match body {
            Some(body) => Self {
                status,
                code: Some(body.code),
                message: body.message,
            },
            None => Self {
                status,
                code: None,
                message: crate::i18n::tf(
                    crate::i18n::Text::ApiStatus,
                    &[("status", &status.to_string())],
                ),
            },
        }
    }
}

impl std::error::Error for ApiFailure {}

pub type Answer<T> = Result<T, ApiFailure>;

/// The body of a state-changing request with nothing to say: the server still wants JSON
/// (its CSRF rule), so this serializes to `{}`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Empty {}

/// The server's client, bound to the session. Copy it freely.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    session: Session,
}

impl Client {
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// The client of the session the app provides.
    pub fn get() -> Self {
        Self::new(Session::get())
    }

    // Accounts.

    /// Who is logged in.
    pub async fn me(self) -> Answer<MeResponse> {
        self.fetch("/api/me").await
    }

    pub async fn sign_up(self, request: &SignupRequest) -> Answer<MeResponse> {
        self.call(Method::POST, "/api/signup", request).await
    }

    pub async fn log_in(self, request: &LoginRequest) -> Answer<MeResponse> {
        self.call(Method::POST, "/api/login", request).await
    }

    pub async fn log_out(self) -> Answer<()> {
        self.call_empty(Method::POST, "/api/logout", &Empty {})
            .await
    }

    pub async fn change_password(self, request: &ChangePasswordRequest) -> Answer<()> {
        self.call_empty(Method::PUT, "/api/me/password", request)
            .await
    }

    pub async fn change_name(self, request: &ChangeNameRequest) -> Answer<MeResponse> {
        self.call(Method::PUT, "/api/me/name", request).await
    }

    /// Remembers the console's language for the logged-in user.
    pub async fn save_language(self, language: ::api::i18n::Locale) -> Answer<MeResponse> {
        let request = ::api::ChangeLanguageRequest { language };
        self.call(Method::PUT, "/api/me/language", &request).await
    }

    pub async fn change_email(self, request: &ChangeEmailRequest) -> Answer<MeResponse> {
        self.call(Method::PUT, "/api/me/email", request).await
    }

    /// E-mails a link to choose a new password, if the address has an account (no account
    /// needed; the answer is the same either way).
    pub async fn ask_password_reset(self, request: &PasswordResetRequest) -> Answer<()> {
        self.call_empty(Method::POST, "/api/password-reset", request)
            .await
    }

    /// The account a password reset link is for (no account needed).
    pub async fn password_reset(self, token: &str) -> Answer<PasswordResetPreview> {
        self.fetch(&reset_path(token)).await
    }

    /// Sets the new password and logs in.
    pub async fn reset_password(
        self,
        token: &str,
        request: &CompletePasswordResetRequest,
    ) -> Answer<MeResponse> {
        self.call(Method::POST, &reset_path(token), request).await
    }

    // The organization and its people.

    pub async fn organization(self) -> Answer<OrganizationSummary> {
        self.fetch("/api/organization").await
    }

    pub async fn change_plan(self, request: &ChangePlanRequest) -> Answer<OrganizationSummary> {
        self.call(Method::PUT, "/api/organization/plan", request)
            .await
    }

    pub async fn rename_organization(
        self,
        request: &RenameOrganizationRequest,
    ) -> Answer<OrganizationSummary> {
        self.call(Method::PUT, "/api/organization/name", request)
            .await
    }

    /// A page of members (and the pending invitations).
    pub async fn members(self, place: ListPlace) -> Answer<MembersResponse> {
        self.fetch(&place.api_url("/api/members")).await
    }

    pub async fn update_member(self, id: UserId, request: &UpdateMemberRequest) -> Answer<Member> {
        self.call(Method::PATCH, &member_path(id), request).await
    }

    pub async fn remove_member(self, id: UserId) -> Answer<()> {
        self.call_empty(Method::DELETE, &member_path(id), &Empty {})
            .await
    }

    pub async fn create_invitation(
        self,
        request: &CreateInvitationRequest,
    ) -> Answer<InvitationCreated> {
        self.call(Method::POST, "/api/invitations", request).await
    }

    /// Sends an invitation again with a new link (the old one stops working).
    pub async fn resend_invitation(self, id: InvitationId) -> Answer<InvitationCreated> {
        let path = format!("{}/resend", invitation_path(&id.to_string()));
        self.call(Method::POST, &path, &Empty {}).await
    }

    pub async fn revoke_invitation(self, id: InvitationId) -> Answer<()> {
        self.call_empty(Method::DELETE, &invitation_path(&id.to_string()), &Empty {})
            .await
    }

    /// What an invitation link offers (no account needed).
    pub async fn invitation(self, token: &str) -> Answer<InvitationPreview> {
        self.fetch(&invitation_path(token)).await
    }

    pub async fn accept_invitation(
        self,
        token: &str,
        request: &AcceptInvitationRequest,
    ) -> Answer<MeResponse> {
        let path = format!("{}/accept", invitation_path(token));
        self.call(Method::POST, &path, request).await
    }

    pub async fn audit(self, place: ListPlace) -> Answer<AuditPage> {
        self.fetch(&place.api_url("/api/audit")).await
    }

    // Pads.

    pub async fn pads(self, place: ListPlace) -> Answer<PadsResponse> {
        self.fetch(&place.api_url("/api/pads")).await
    }

    pub async fn create_pad(self, request: &NewPadRequest) -> Answer<PadSummary> {
        self.call(Method::POST, "/api/pads", request).await
    }

    /// A pad as the viewer may see it (no account needed).
    pub async fn pad(self, id: &PadId) -> Answer<PadView> {
        self.fetch(&pad_path(id, "")).await
    }

    pub async fn end_pad(self, id: &PadId) -> Answer<PadView> {
        self.call(Method::POST, &pad_path(id, "/end"), &Empty {})
            .await
    }

    /// One page of an ended pad's history: the first, or the one after revision `after`.
    pub async fn pad_history(self, id: &PadId, after: Option<u64>) -> Answer<PadHistory> {
        let path = match after {
            Some(after) => pad_path(id, &format!("/history?after={after}")),
            None => pad_path(id, "/history"),
        };
        self.fetch(&path).await
    }

    /// Sends an ended Lever pad's code to the candidate's notes in Lever (`again_after`: the
    /// sending shown, to send again).
    pub async fn send_code_note(
        self,
        id: &PadId,
        again_after: Option<time::OffsetDateTime>,
    ) -> Answer<PadView> {
        let request = ::api::LeverWriteRequest { again_after };
        self.call(Method::POST, &pad_path(id, "/lever-note"), &request)
            .await
    }

    /// Files an ended Lever pad's code as a feedback form in Lever (`again_after`: the filing
    /// shown, to file again).
    pub async fn send_feedback(
        self,
        id: &PadId,
        again_after: Option<time::OffsetDateTime>,
    ) -> Answer<PadView> {
        let request = ::api::LeverWriteRequest { again_after };
        let path = pad_path(id, "/lever-feedback");
        self.call(Method::POST, &path, &request).await
    }

    /// Whom a pad's link can be e-mailed to, and every e-mail of it so far.
    pub async fn pad_mail(self, id: &PadId) -> Answer<PadMailOptions> {
        self.fetch(&pad_path(id, "/mail")).await
    }

    /// E-mails a pad's link. The server answers the e-mails queued; the console reads them
    /// from [`Client::pad_mail`] instead (decoding the answer here would cost the wasm more).
    pub async fn mail_pad_link(self, id: &PadId, request: &PadMailRequest) -> Answer<()> {
        self.call_empty(Method::POST, &pad_path(id, "/mail"), request)
            .await
    }

    /// Every language of the pad's selector, and whether this server can run it (no account
    /// needed: guests run code too).
    pub async fn languages(self) -> Answer<LanguagesResponse> {
        self.fetch("/api/languages").await
    }

    // Lever.

    pub async fn lever_setup(self) -> Answer<LeverSetup> {
        self.fetch("/api/lever/setup").await
    }

    pub async fn save_lever_credentials(
        self,
        request: &LeverCredentialsRequest,
    ) -> Answer<LeverSetup> {
        self.call(Method::PUT, "/api/lever/credentials", request)
            .await
    }

    pub async fn lever_stages(self) -> Answer<LeverStagesResponse> {
        self.fetch("/api/lever/stages").await
    }

    pub async fn save_lever_stages(self, request: &LeverStagesRequest) -> Answer<LeverSetup> {
        self.call(Method::PUT, "/api/lever/stages", request).await
    }

    pub async fn rotate_lever_webhook(self) -> Answer<LeverWebhookResponse> {
        self.call(Method::POST, "/api/lever/webhook/rotate", &Empty {})
            .await
    }

    pub async fn save_lever_token(self, request: &LeverTokenRequest) -> Answer<LeverSetup> {
        self.call(Method::PUT, "/api/lever/token", request).await
    }

    pub async fn save_lever_options(self, request: &LeverOptionsRequest) -> Answer<LeverSetup> {
        self.call(Method::PUT, "/api/lever/options", request).await
    }

    pub async fn lever_feedback_templates(self) -> Answer<LeverFeedbackTemplatesResponse> {
        self.fetch("/api/lever/feedback-templates").await
    }

    pub async fn choose_lever_feedback_template(
        self,
        request: &LeverFeedbackTemplateRequest,
    ) -> Answer<LeverSetup> {
        self.call(Method::PUT, "/api/lever/feedback-template", request)
            .await
    }

    pub async fn lever_deliveries(self, place: ListPlace) -> Answer<LeverDeliveriesResponse> {
        self.fetch(&place.api_url("/api/lever/deliveries")).await
    }

    pub async fn retry_lever_delivery(self, id: DeliveryId) -> Answer<LeverDelivery> {
        let path = format!("/api/lever/deliveries/{id}/retry");
        self.call(Method::POST, &path, &Empty {}).await
    }

    pub async fn disconnect_lever(self) -> Answer<()> {
        self.call_empty(Method::DELETE, "/api/lever", &Empty {})
            .await
    }

    /// Whether the server is ready (its database answers).
    pub async fn readiness(self) -> Answer<ReadinessResponse> {
        self.fetch("/readyz").await
    }

    // The plumbing under every call.

    /// A `GET` and its JSON answer.
    async fn fetch<T: DeserializeOwned>(self, path: &str) -> Answer<T> {
        let answer = exchange(Method::GET, path, None).await;
        self.observe(answer.and_then(|text| decode(&text)))
    }

    /// A state-changing call whose success is a JSON answer.
    async fn call<B: Serialize, T: DeserializeOwned>(
        self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Answer<T> {
        let answer = exchange(method, path, Some(encode(body)?)).await;
        self.observe(answer.and_then(|text| decode(&text)))
    }

    /// A state-changing call whose success is an empty answer (204, 202).
    async fn call_empty<B: Serialize>(self, method: Method, path: &str, body: &B) -> Answer<()> {
        let answer = exchange(method, path, Some(encode(body)?)).await;
        self.observe(answer.map(|_| ()))
    }

    /// Every answer passes the session: "not logged in" ends it here too.
    fn observe<T>(self, answer: Answer<T>) -> Answer<T> {
        self.session.observe(answer)
    }
}

fn member_path(id: UserId) -> String {
    format!("/api/members/{id}")
}

/// The id (admins revoking) and the link's token (invitees) share this path.
fn invitation_path(id_or_token: &str) -> String {
    format!("/api/invitations/{id_or_token}")
}

fn reset_path(token: &str) -> String {
    format!("/api/password-reset/{token}")
}

fn pad_path(id: &PadId, rest: &str) -> String {
    format!("/api/pads/{id}{rest}")
}

fn encode<B: Serialize>(body: &B) -> Answer<String> {
    serde_json::to_string(body).map_err(ApiFailure::network)
}

fn decode<T: DeserializeOwned>(text: &str) -> Answer<T> {
    serde_json::from_str(text).map_err(ApiFailure::network)
}

/// Sends a request and reads its answer's text, a refusal becoming an [`ApiFailure`]: the one
/// path every call takes, not generic (and boxed, so not inlined into each call), so that the
/// wasm holds it once. A `GET` carries no body; every state-changing request carries
/// `Content-Type: application/json` and a JSON body (the server's CSRF rule).
fn exchange(
    method: Method,
    path: &str,
    json: Option<String>,
) -> LocalBoxFuture<'_, Answer<String>> {
    Box::pin(async move {
        // The server's messages come back in the console's language.
        let builder = RequestBuilder::new(path)
            .method(method)
            .header("Accept-Language", crate::i18n::locale().as_str());
        let request = match json {
            None => builder.build(),
            Some(json) => builder
                .header("Content-Type", "application/json")
                .body(json),
        };
        let response = request
            .map_err(ApiFailure::network)?
            .send()
            .await
            .map_err(ApiFailure::network)?;
        if response.ok() {
            return response.text().await.map_err(ApiFailure::network);
        }
        let body = response.text().await.ok();
        let body = body.and_then(|text| serde_json::from_str::<::api::ErrorBody>(&text).ok());
        Err(ApiFailure::from_answer(response.status(), body))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_prefers_the_servers_words() {
        let failure = ApiFailure::from_answer(
            503,
            Some(::api::ErrorBody {
                code: ErrorCode::DatabaseUnavailable,
                message: "The database does not answer.".into(),
            }),
        );
        assert_eq!(failure.code, Some(ErrorCode::DatabaseUnavailable));
        assert_eq!(failure.to_string(), "The database does not answer.");
        let bare = ApiFailure::from_answer(502, None);
        assert_eq!(bare.to_string(), "Stagepad answered with status 502.");
    }

    #[test]
    fn an_empty_body_is_an_empty_json_object() {
        assert_eq!(serde_json::to_string(&Empty {}).unwrap(), "{}");
    }

    #[test]
    fn paths_name_the_object() {
        let id = UserId::from_uuid(uuid::Uuid::from_u128(7));
        assert_eq!(member_path(id), format!("/api/members/{id}"));
        assert_eq!(invitation_path("tok"), "/api/invitations/tok");
        assert_eq!(reset_path("tok"), "/api/password-reset/tok");
        assert_eq!(pad_path(&PadId::new("p1"), "/end"), "/api/pads/p1/end");
    }
}
