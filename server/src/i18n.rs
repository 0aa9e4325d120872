//! The language of the API's messages: error bodies keep their stable `code` and carry their
//! `message` in the language the request asks for with `Accept-Language` (English otherwise).
//! Messages are catalog texts (`api/locales/server.<language>.txt`) made into words only when
//! the answer leaves, by [`localize_errors`].

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
pub use api::i18n::server::Text;
use api::i18n::{Locale, fill};

/// What an error says, in no language yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A catalog text and its placeholders' values.
    Text(Text, Vec<(&'static str, String)>),
    /// Words the same in every language: quoted from elsewhere (Lever's own error, say).
    Verbatim(String),
}

impl Message {
    /// Fills `{name}` with `value` (values are not translated: names, numbers, quotes).
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        if let Message::Text(_, values) = &mut self {
            values.push((name, value.to_string()));
        }
        self
    }

    pub fn render(&self, locale: Locale) -> String {
        match self {
            Message::Text(text, values) => {
                let values: Vec<(&str, &str)> =
                    values.iter().map(|(k, v)| (*k, v.as_str())).collect();
                fill(text.get(locale), &values)
            }
            Message::Verbatim(words) => words.clone(),
        }
    }
}

impl From<Text> for Message {
    fn from(text: Text) -> Self {
        Message::Text(text, Vec::new())
    }
}

impl From<String> for Message {
    fn from(words: String) -> Self {
        Message::Verbatim(words)
    }
}

impl From<&str> for Message {
    fn from(words: &str) -> Self {
        Message::Verbatim(words.to_owned())
    }
}

/// Shorthand for a catalog message: `msg(Text::NoSuchMember).with("name", name)`.
pub fn msg(text: Text) -> Message {
    text.into()
}

/// The language a request asks for.
pub fn requested_locale(headers: &header::HeaderMap) -> Locale {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map_or(Locale::En, Locale::negotiate)
}

/// An error answer's code and message, left on the response by `ApiError` so that this
/// middleware can say it in the request's language.
#[derive(Debug, Clone)]
pub struct ErrorWords {
    pub code: api::ErrorCode,
    pub message: Message,
}

/// Rewrites an error body in the request's language, when that is not English (the body was
/// made in English). Bodies without [`ErrorWords`] pass untouched.
pub async fn localize_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let locale = requested_locale(request.headers());
    let response = next.call(request).await?;
    if locale == Locale::En {
        return Ok(response.map_into_left_body());
    }
    let words = response
        .response()
        .extensions()
        .get::<ErrorWords>()
        .cloned();
    let Some(words) = words else {
        return Ok(response.map_into_left_body());
    };
    let body = api::ErrorBody {
        code: words.code,
        message: words.message.render(locale),
    };
    let json = serde_json::to_vec(&body).map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(response
        .map_body(|_, _| actix_web::body::BoxBody::new(json))
        .map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_worded_in_the_language_asked_for() {
        let message = msg(Text::ErrorInternal);
        assert!(
            message
                .render(Locale::En)
                .starts_with("Something went wrong")
        );
        assert!(message.render(Locale::Fr).starts_with("Une erreur"));
        let verbatim = Message::from("Lever said no");
        assert_eq!(verbatim.render(Locale::Fr), "Lever said no");
    }

    #[test]
    fn quoted_words_fill_a_translated_sentence() {
        let refusal = msg(Text::FieldsTooLong)
            .with("field", "org_name")
            .with("max", 100);
        assert_eq!(
            refusal.render(Locale::En),
            "org_name must be at most 100 printable characters."
        );
        assert_eq!(
            refusal.render(Locale::Fr),
            "org_name doit faire au plus 100 caractères imprimables."
        );
        let detail = "EOF while parsing an object at line 1 column 13";
        let malformed = msg(Text::RequestJsonMalformed).with("detail", detail);
        assert_eq!(
            malformed.render(Locale::En),
            format!("The body is not valid JSON: {detail}.")
        );
        assert_eq!(
            malformed.render(Locale::Fr),
            format!("Le corps n'est pas du JSON valide : {detail}.")
        );
    }

    #[test]
    fn the_language_comes_from_accept_language() {
        let mut headers = header::HeaderMap::new();
        assert_eq!(requested_locale(&headers), Locale::En);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            header::HeaderValue::from_static("fr-CA,fr;q=0.9,en;q=0.5"),
        );
        assert_eq!(requested_locale(&headers), Locale::Fr);
    }
}
