//! Messages kept in the database and worded when read, in the reader's language: an audit
//! detail, a delivery's or a job's failure. What is stored is the catalog key and the
//! placeholders' values (words quoted as they are, or catalog texts with values of their own);
//! the English wording is stored beside it for older readers and whoever reads the database, and
//! is what shows when the catalog no longer has the key or its placeholders changed.

use api::i18n::{Locale, fill};
use serde::{Deserialize, Serialize};

use super::{Message, Text};

/// A catalog message as stored: `{"key": "lever.job.confidential", "values": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub key: String,
    #[serde(default)]
    pub values: Vec<StoredValue>,
}

/// One placeholder's value: `{"name": "plan", "value": "plan.team", "is_text": true}` is a
/// catalog text (its key, with its own values if it has any), worded in the reader's language;
/// `is_text: false` is words quoted as they are (names, addresses, Lever's own words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredValue {
    pub name: String,
    pub value: String,
    pub is_text: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<StoredValue>,
}

impl Message {
    /// The message as stored; `None` for words with no catalog text ([`Message::Verbatim`]).
    pub fn stored(&self) -> Option<StoredMessage> {
        let Message::Text(text, values) = self else {
            return None;
        };
        Some(StoredMessage {
            key: text.key().to_string(),
            values: stored_values(values),
        })
    }

    /// The stored form as JSON, for a text column.
    pub fn stored_json(&self) -> Option<String> {
        self.stored()
            .map(|stored| serde_json::to_string(&stored).expect("a stored message is JSON"))
    }
}

fn stored_values(values: &[(&'static str, Message)]) -> Vec<StoredValue> {
    values
        .iter()
        .map(|(name, value)| match value {
            Message::Verbatim(words) => StoredValue {
                name: name.to_string(),
                value: words.clone(),
                is_text: false,
                values: Vec::new(),
            },
            Message::Text(inner, inner_values) => StoredValue {
                name: name.to_string(),
                value: inner.key().to_string(),
                is_text: true,
                values: stored_values(inner_values),
            },
        })
        .collect()
}

impl StoredMessage {
    /// The message in `locale`, when its key and every text in its values are still in the
    /// catalog and every placeholder has a value.
    pub fn word(&self, locale: Locale) -> Option<String> {
        word(&self.key, &self.values, locale)
    }
}

/// A stored message (JSON, as [`Message::stored_json`] wrote it) in `locale`, or `english`
/// when there is none, it can no longer be worded, or it is not the message of this English:
/// an instance that predates the message column (a rolling deploy, a rollback) writes only the
/// English and would leave an earlier failure's message beside it. English readers get the
/// English as stored.
pub fn worded_or(json: Option<&str>, english: String, locale: Locale) -> String {
    if locale == Locale::En {
        return english;
    }
    let Some(stored) = json.and_then(|json| serde_json::from_str::<StoredMessage>(json).ok())
    else {
        return english;
    };
    // The English may have been cut to fit its column.
    let same = stored
        .word(Locale::En)
        .is_some_and(|words| !english.is_empty() && words.starts_with(&english));
    match same.then(|| stored.word(locale)).flatten() {
        Some(words) => words,
        None => english,
    }
}

/// A stored text (its English, and the message as JSON) in the language of the request being
/// answered.
pub fn in_request_language(english: Option<String>, json: Option<&str>) -> Option<String> {
    english.map(|english| worded_or(json, english, super::request_locale()))
}

/// A stored key and values (as JSON) in `locale`: the audit log keeps them in two columns.
pub fn word_parts(key: &str, values_json: Option<&str>, locale: Locale) -> Option<String> {
    let values: Vec<StoredValue> = match values_json {
        Some(json) => serde_json::from_str(json).ok()?,
        None => Vec::new(),
    };
    word(key, &values, locale)
}

fn word(key: &str, values: &[StoredValue], locale: Locale) -> Option<String> {
    let template = text_of(key)?.get(locale);
    let words = values
        .iter()
        .map(|v| {
            let words = if v.is_text {
                word(&v.value, &v.values, locale)?
            } else {
                v.value.clone()
            };
            Some((v.name.as_str(), words))
        })
        .collect::<Option<Vec<_>>>()?;
    // The catalog may have changed its placeholders since: then the English stays.
    if !placeholders(template)
        .iter()
        .all(|name| words.iter().any(|(n, _)| n == name))
    {
        return None;
    }
    let words: Vec<(&str, &str)> = words.iter().map(|(n, w)| (*n, w.as_str())).collect();
    Some(fill(template, &words))
}

fn text_of(key: &str) -> Option<Text> {
    Text::ALL.iter().copied().find(|text| text.key() == key)
}

/// The `{name}`s of a catalog text.
fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{msg, plan_name};

    #[test]
    fn a_stored_message_is_worded_in_each_language() {
        let detail = msg(Text::AuditDetailPlanChanged)
            .with_text("from", plan_name(api::Plan::Team))
            .with_text("to", plan_name(api::Plan::Enterprise));
        let json = detail.stored_json().unwrap();
        let english = detail.render(Locale::En);
        assert_eq!(english, "Changed the plan from Team to Enterprise");
        assert_eq!(worded_or(Some(&json), english.clone(), Locale::En), english);
        assert_eq!(
            worded_or(Some(&json), english.clone(), Locale::Fr),
            "Passage de l'offre Équipe à l'offre Entreprise"
        );
        // Cut to fit its column, the English still names the same message.
        let cut: String = english.chars().take(10).collect();
        assert_eq!(
            worded_or(Some(&json), cut, Locale::Fr),
            "Passage de l'offre Équipe à l'offre Entreprise"
        );
    }

    #[test]
    fn a_message_left_beside_other_english_is_not_shown() {
        let earlier = msg(Text::JobsPadGone).stored_json().unwrap();
        let english = "Lever answered 503 to GET /stages: busy".to_string();
        assert_eq!(
            worded_or(Some(&earlier), english.clone(), Locale::Fr),
            english
        );
    }

    #[test]
    fn texts_inside_texts_keep_their_own_values() {
        let inner = msg(Text::FieldsTooLong)
            .with("field", "name")
            .with("max", 100);
        let outer = msg(Text::JobsTryingAgain).with_message("error", inner);
        let json = outer.stored_json().unwrap();
        let english = outer.render(Locale::En);
        for locale in [Locale::En, Locale::Fr] {
            assert_eq!(
                worded_or(Some(&json), english.clone(), locale),
                outer.render(locale)
            );
        }
        assert!(outer.render(Locale::Fr).contains("au plus 100"));
    }

    #[test]
    fn unknown_keys_and_missing_values_keep_the_english() {
        let english = || "Removed Ada".to_string();
        let detail = msg(Text::AuditDetailMemberRemoved).with("member", "Ada");
        let mut gone = detail.stored().unwrap();
        gone.key = "audit.detail.no_longer_here".into();
        let gone = serde_json::to_string(&gone).unwrap();
        assert_eq!(worded_or(Some(&gone), english(), Locale::Fr), english());
        let mut missing = detail.stored().unwrap();
        missing.values.clear();
        let missing = serde_json::to_string(&missing).unwrap();
        assert_eq!(worded_or(Some(&missing), english(), Locale::Fr), english());
        assert_eq!(
            worded_or(Some("not json"), english(), Locale::Fr),
            english()
        );
        assert_eq!(worded_or(None, english(), Locale::Fr), english());
        assert_eq!(Message::Verbatim("as is".into()).stored(), None);
    }

    #[test]
    fn audit_rows_written_before_nesting_still_read() {
        let values = r#"[{"name":"from","value":"plan.team","is_text":true},{"name":"to","value":"plan.enterprise","is_text":true}]"#;
        assert_eq!(
            word_parts("audit.detail.plan_changed", Some(values), Locale::En).as_deref(),
            Some("Changed the plan from Team to Enterprise")
        );
    }
}
