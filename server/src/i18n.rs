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

pub mod stored;

/// What an error says, in no language yet. Plain strings do not turn into one: a message
/// meant for people is a catalog text, and words quoted from elsewhere fill its placeholders
/// (or, rarely, go in as an explicit [`Message::Verbatim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A catalog text and its placeholders' values, each said in the same language.
    Text(Text, Vec<(&'static str, Message)>),
    /// Words the same in every language: quoted from elsewhere (Lever's own error, say).
    Verbatim(String),
}

impl Message {
    /// Fills `{name}` with `value` as it is (names, numbers, quotes: not translated).
    pub fn with(self, name: &'static str, value: impl ToString) -> Self {
        self.with_message(name, Message::Verbatim(value.to_string()))
    }

    /// Fills `{name}` with a catalog text, said in the message's language (a plan's name, say).
    pub fn with_text(self, name: &'static str, text: Text) -> Self {
        self.with_message(name, text.into())
    }

    /// Fills `{name}` with a whole message, said in the message's language (a cause inside a
    /// sentence, say).
    pub fn with_message(mut self, name: &'static str, value: Message) -> Self {
        if let Message::Text(_, values) = &mut self {
            values.push((name, value));
        }
        self
    }

    pub fn render(&self, locale: Locale) -> String {
        match self {
            Message::Text(text, values) => {
                let values: Vec<(&str, String)> = values
                    .iter()
                    .map(|(name, value)| (*name, value.render(locale)))
                    .collect();
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

/// A plan's name in messages: `msg(..).with_text("plan", plan_name(plan))`.
pub fn plan_name(plan: api::Plan) -> Text {
    match plan {
        api::Plan::Personal => Text::PlanPersonal,
        api::Plan::Team => Text::PlanTeam,
        api::Plan::Enterprise => Text::PlanEnterprise,
    }
}

/// Shorthand for a catalog message: `msg(Text::NoSuchMember).with("name", name)`.
pub fn msg(text: Text) -> Message {
    text.into()
}

tokio::task_local! {
    /// The language of the request being answered, for answers that carry words besides
    /// errors (set by [`localize_errors`] around each request).
    static REQUEST_LOCALE: Locale;
}

/// The language of the request being answered (English outside one).
pub fn request_locale() -> Locale {
    REQUEST_LOCALE
        .try_with(|locale| *locale)
        .unwrap_or_default()
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

/// Answers each request in its language: runs it with [`request_locale`] set, rewrites an
/// error body (made in English, with [`ErrorWords`] left on the response) when another
/// language is asked for, and adds `Vary: Accept-Language` to every `/api/` answer and every
/// error answer, so caches keep the languages apart.
pub async fn localize_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let locale = requested_locale(request.headers());
    let api = request.path().starts_with("/api/");
    let mut response = REQUEST_LOCALE.scope(locale, next.call(request)).await?;
    let is_error = response.response().extensions().contains::<ErrorWords>();
    if api || is_error {
        response.headers_mut().append(
            header::VARY,
            header::HeaderValue::from_static("accept-language"),
        );
    }
    if !is_error || locale == Locale::En {
        return Ok(response.map_into_left_body());
    }
    let body = {
        let extensions = response.response().extensions();
        let words = extensions.get::<ErrorWords>().expect("checked above");
        api::ErrorBody {
            code: words.code,
            message: words.message.render(locale),
        }
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
        let verbatim = Message::Verbatim("Lever said no".into());
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
    fn a_plan_is_named_in_the_message_language() {
        let refusal = msg(Text::OrgsPlanLimitNoRoom).with_text("plan", plan_name(api::Plan::Team));
        assert!(
            refusal
                .render(Locale::En)
                .starts_with("The Team plan is for one interviewer"),
            "{}",
            refusal.render(Locale::En)
        );
        assert!(
            refusal
                .render(Locale::Fr)
                .starts_with("L'offre Équipe est prévue"),
            "{}",
            refusal.render(Locale::Fr)
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

#[cfg(test)]
mod catalog_use {
    use super::Text;

    /// The server's catalogs hold only the messages it sends.
    #[test]
    fn every_catalog_text_is_used_by_the_server() {
        let unused = api::i18n::unused_texts(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            Text::ALL
                .iter()
                .map(|text| (format!("{text:?}"), text.key())),
        );
        assert!(unused.is_empty(), "unused messages: {unused:?}");
    }
}
