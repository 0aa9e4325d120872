//! A typed client over the server's JSON API (the wire types are in the `api` crate).

pub use gloo_net::http::Method;
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What went wrong with a call, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: u16,
    pub code: String,
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
            code: "network_error".into(),
            message: format!("Stagepad cannot be reached: {error}"),
        }
    }

    /// The session ended (logged out elsewhere, password changed, deactivated): log in again.
    pub fn is_not_logged_in(&self) -> bool {
        self.status == 401 && self.code == "not_logged_in"
    }

    /// Builds a failure from an error answer, whether or not it carried an `ErrorBody`.
    pub fn from_answer(status: u16, body: Option<api::ErrorBody>) -> Self {
        match body {
            Some(body) => Self {
                status,
                code: body.code,
                message: body.message,
            },
            None => Self {
                status,
                code: "unexpected_answer".into(),
                message: format!("Stagepad answered with status {status}."),
            },
        }
    }
}

impl std::error::Error for ApiFailure {}

/// The body of a state-changing request with nothing to say: the server still wants JSON
/// (its CSRF rule), so this serializes to `{}`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Empty {}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    let response = Request::get(path)
        .send()
        .await
        .map_err(ApiFailure::network)?;
    read_json(response).await
}

/// `POST` a JSON body and read a JSON answer.
pub async fn post<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    read_json(send(Method::POST, path, body).await?).await
}

/// `PUT` a JSON body and read a JSON answer.
pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiFailure> {
    read_json(send(Method::PUT, path, body).await?).await
}

/// `PATCH` a JSON body and read a JSON answer.
pub async fn patch<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    read_json(send(Method::PATCH, path, body).await?).await
}

/// `DELETE` (with the `{}` body the CSRF rule asks for); the server answers 204.
pub async fn delete(path: &str) -> Result<(), ApiFailure> {
    send_no_content(Method::DELETE, path, &Empty {}).await
}

/// Any state-changing call whose success is an empty answer (204), e.g. log-out.
pub async fn send_no_content<B: Serialize>(
    method: Method,
    path: &str,
    body: &B,
) -> Result<(), ApiFailure> {
    let response = send(method, path, body).await?;
    if response.ok() {
        Ok(())
    } else {
        Err(failure_of(response).await)
    }
}

/// Every state-changing request carries `Content-Type: application/json` and a JSON body.
async fn send<B: Serialize>(method: Method, path: &str, body: &B) -> Result<Response, ApiFailure> {
    RequestBuilder::new(path)
        .method(method)
        .json(body)
        .map_err(ApiFailure::network)?
        .send()
        .await
        .map_err(ApiFailure::network)
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    if response.ok() {
        response.json::<T>().await.map_err(ApiFailure::network)
    } else {
        Err(failure_of(response).await)
    }
}

async fn failure_of(response: Response) -> ApiFailure {
    let body = response.json::<api::ErrorBody>().await.ok();
    ApiFailure::from_answer(response.status(), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_prefers_the_servers_words() {
        let failure = ApiFailure::from_answer(
            503,
            Some(api::ErrorBody {
                code: "database_unavailable".into(),
                message: "The database does not answer.".into(),
            }),
        );
        assert_eq!(failure.code, "database_unavailable");
        assert_eq!(failure.to_string(), "The database does not answer.");
        let bare = ApiFailure::from_answer(502, None);
        assert_eq!(bare.to_string(), "Stagepad answered with status 502.");
    }

    #[test]
    fn an_empty_body_is_an_empty_json_object() {
        assert_eq!(serde_json::to_string(&Empty {}).unwrap(), "{}");
    }
}
