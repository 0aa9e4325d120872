//! Helpers that act as people would through the API: sign up, log in, invite, join.

use api::ErrorCode;
use reqwest::{Client, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::TestApp;

/// A password that passes every rule.
pub const PASSWORD: &str = "correct horse battery staple";

/// `Accept-Language` as a French-speaking browser sends it.
pub const FRENCH: &str = "fr-FR,fr;q=0.9";

/// Asserts that an answer tells caches it depends on `Accept-Language`, so that they keep the
/// languages apart.
pub fn assert_varies_by_language(response: &Response) {
    let vary: Vec<&str> = response
        .headers()
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        vary.iter()
            .any(|v| v.eq_ignore_ascii_case("accept-language")),
        "caches must keep the languages apart: {vary:?}"
    );
}

/// A person with their own cookie jar, logged in.
pub struct Account {
    pub client: Client,
    pub me: api::MeResponse,
    pub email: String,
    pub password: String,
}

impl Account {
    pub fn id(&self) -> api::UserId {
        self.me.user.id
    }
}

pub fn unique_email(who: &str) -> String {
    format!("{who}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Decodes a JSON answer after checking its status, showing the body when it is not as expected.
pub async fn expect_json<T: DeserializeOwned>(response: Response, status: u16) -> T {
    let actual = response.status().as_u16();
    let body = response.text().await.unwrap();
    if actual >= 500 && actual != status {
        // The cause of a 5xx is only in the server's log.
        let logs = crate::logs::captured();
        let tail: Vec<&str> = logs.lines().filter(|l| l.contains("ERROR")).collect();
        panic!(
            "unexpected {actual}; body: {body}\nserver errors:\n{}",
            tail.join("\n")
        );
    }
    assert_eq!(actual, status, "unexpected status; body: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Checks an error answer's status and code, and returns its message.
pub async fn expect_error(response: Response, status: u16, code: ErrorCode) -> String {
    let body: api::ErrorBody = expect_json(response, status).await;
    assert_eq!(body.code, code, "message: {}", body.message);
    body.message
}

impl TestApp {
    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.unwrap()
    }

    /// A GET as a French-speaking reader's browser makes it ([`FRENCH`]).
    pub async fn get_in_french(&self, client: &Client, path: &str) -> Response {
        client
            .get(self.url(path))
            .header("accept-language", FRENCH)
            .send()
            .await
            .unwrap()
    }

    pub async fn post<B: Serialize>(&self, client: &Client, path: &str, body: &B) -> Response {
        client.post(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn put<B: Serialize>(&self, client: &Client, path: &str, body: &B) -> Response {
        client.put(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn patch<B: Serialize>(&self, client: &Client, path: &str, body: &B) -> Response {
        client
            .patch(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, client: &Client, path: &str) -> Response {
        client
            .delete(self.url(path))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
    }

    /// Signs up a new organization on `plan`; returns its first admin.
    pub async fn sign_up(&self, plan: api::Plan) -> Account {
        self.sign_up_with(self.new_client(), plan).await
    }

    /// Like [`TestApp::sign_up`], through `client` (a browser with settings of its own).
    pub async fn sign_up_with(&self, client: Client, plan: api::Plan) -> Account {
        let email = unique_email("admin");
        let request = api::SignupRequest {
            org_name: format!("Org {}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
            name: "Ada Admin".into(),
            email: email.clone(),
            password: PASSWORD.into(),
            plan,
        };
        let me = expect_json(self.signup(&client, &request).await, 201).await;
        Account {
            client,
            me,
            email,
            password: PASSWORD.into(),
        }
    }

    /// Logs in with a fresh cookie jar (a second browser, say).
    pub async fn log_in(&self, email: &str, password: &str) -> Response {
        let request = api::LoginRequest {
            email: email.into(),
            password: password.into(),
        };
        self.login(&self.new_client(), &request).await
    }

    /// A fresh session's `Cookie` header value, for clients without a cookie jar (sockets).
    pub async fn session_cookie(&self, account: &Account) -> String {
        let response = self.log_in(&account.email, &account.password).await;
        assert_eq!(response.status(), 200);
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn log_in_as(&self, email: &str, password: &str) -> Client {
        let client = self.new_client();
        let request = api::LoginRequest {
            email: email.into(),
            password: password.into(),
        };
        let _: api::MeResponse = expect_json(self.login(&client, &request).await, 200).await;
        client
    }

    pub async fn invite(
        &self,
        admin: &Account,
        email: &str,
        role: api::Role,
    ) -> api::InvitationCreated {
        let request = api::CreateInvitationRequest {
            email: email.into(),
            role,
        };
        expect_json(self.create_invitation(&admin, &request).await, 201).await
    }

    /// The token at the end of an invitation link.
    pub fn token_of(link: &str) -> String {
        link.rsplit('/').next().unwrap().to_string()
    }

    /// An admin invites someone with `role`, who accepts in their own browser.
    pub async fn add_member(&self, admin: &Account, role: api::Role) -> Account {
        let email = unique_email("member");
        let created = self.invite(admin, &email, role).await;
        let client = self.new_client();
        let token = Self::token_of(&created.link);
        let request = api::AcceptInvitationRequest {
            name: "Grace Member".into(),
            password: PASSWORD.into(),
        };
        let me = expect_json(self.accept_invitation(&client, &token, &request).await, 201).await;
        Account {
            client,
            me,
            email,
            password: PASSWORD.into(),
        }
    }
}
