//! A typed client over the server's JSON API (the wire types are in the `api` crate).

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

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    let response = gloo_net::http::Request::get(path)
        .send()
        .await
        .map_err(ApiFailure::network)?;
    if response.ok() {
        response.json::<T>().await.map_err(ApiFailure::network)
    } else {
        let body = response.json::<api::ErrorBody>().await.ok();
        Err(ApiFailure::from_answer(response.status(), body))
    }
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
}
