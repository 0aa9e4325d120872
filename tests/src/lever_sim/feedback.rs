//! Lever's feedback templates and feedback forms: their wire shapes (the serde derives below are
//! the one place they are written) and the rules a `POST /opportunities/:id/feedback` body
//! must follow.
//!
//! A template: `{"id", "text" (its name), "instructions", "group", "stage", "createdAt",
//! "updatedAt", "fields": [{"id", "type", "text", "description", "required", ...}]}`, the
//! type-specific part being `"language"` (`code`), `"options": [{"text"}]` (`dropdown`,
//! `multiple-choice`, `score-system`, `multiple-select`) or `"scores": [{"text",
//! "description"}]` (`scorecard`); `text`, `textarea`, `yes-no` and `date` have none.
//!
//! A form: `{"id", "type": "interview", "text", "instructions", "baseTemplateId", "user",
//! "panel", "interview", "createdAt", "completedAt", "deletedAt", "fields": [each field of the
//! template with its "value" (null when not given)]}`.
//!
//! A body is `{"baseTemplateId", "fieldValues": [{"id", "value"}], "completedAt"?, "panel"?,
//! "interview"?}`; each value must have its field's type, and every `required` field a
//! non-empty value. Where Lever's documentation leaves a rule open the simulator takes the
//! stricter reading: a scorecard value has one entry per score row, a `date` is whole epoch
//! milliseconds, and a `yes-no` answered `"null"` does not fill a required field.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::state::random_id;

/// A feedback template. Deserialized from the control API, where `id`, the field ids and the
/// timestamps may be left out (see [`FeedbackTemplate::prepare`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackTemplate {
    #[serde(default)]
    pub id: String,
    /// The template's name.
    pub text: String,
    #[serde(default)]
    pub instructions: String,
    #[serde(default)]
    pub group: Value,
    #[serde(default)]
    pub stage: Value,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: i64,
    #[serde(default)]
    pub fields: Vec<TemplateField>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateField {
    #[serde(default)]
    pub id: String,
    #[serde(flatten)]
    pub kind: FieldKind,
    pub text: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub required: bool,
}

/// A field's `type`, with what that type carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FieldKind {
    /// A programming answer, in `language` when the template says.
    Code {
        #[serde(default)]
        language: Option<String>,
    },
    Text,
    Textarea,
    YesNo,
    Dropdown {
        options: Vec<Choice>,
    },
    MultipleChoice {
        options: Vec<Choice>,
    },
    ScoreSystem {
        options: Vec<Choice>,
    },
    MultipleSelect {
        options: Vec<Choice>,
    },
    Scorecard {
        scores: Vec<ScoreRow>,
    },
    Date,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Choice {
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScoreRow {
    pub text: String,
    #[serde(default)]
    pub description: String,
}

/// A feedback form on an opportunity.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackForm {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
    pub instructions: String,
    pub base_template_id: String,
    /// The `perform_as` user.
    pub user: String,
    pub panel: Option<String>,
    pub interview: Option<String>,
    pub created_at: i64,
    pub completed_at: i64,
    pub deleted_at: Option<i64>,
    pub fields: Vec<FormField>,
}

/// A template field as a form carries it: the field, and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    #[serde(flatten)]
    pub field: TemplateField,
    pub value: Value,
}

impl FeedbackTemplate {
    /// Fills in the ids and timestamps left out, and refuses a template Lever could not hold:
    /// no name, a field without text or with an id used twice, a choice without options.
    /// `taken` says whether an id belongs to another template already.
    pub fn prepare(&mut self, now: i64, taken: impl Fn(&str) -> bool) -> Result<(), String> {
        if self.id.is_empty() {
            self.id = random_id();
        } else if taken(&self.id) {
            return Err(format!("A feedback template {:?} exists already", self.id));
        }
        if self.text.trim().is_empty() {
            return Err("text (the template's name) must be non-empty".into());
        }
        if self.created_at == 0 {
            self.created_at = now;
        }
        if self.updated_at == 0 {
            self.updated_at = self.created_at;
        }
        let mut ids: Vec<&str> = Vec::new();
        for field in &mut self.fields {
            if field.id.is_empty() {
                field.id = random_id();
            }
            if field.text.trim().is_empty() {
                return Err(format!("field {:?} needs a non-empty text", field.id));
            }
            let empty = match &field.kind {
                FieldKind::Dropdown { options }
                | FieldKind::MultipleChoice { options }
                | FieldKind::ScoreSystem { options }
                | FieldKind::MultipleSelect { options } => options.is_empty(),
                FieldKind::Scorecard { scores } => scores.is_empty(),
                _ => false,
            };
            if empty {
                return Err(format!("field {:?} needs options (or scores)", field.id));
            }
        }
        for field in &self.fields {
            if ids.contains(&field.id.as_str()) {
                return Err(format!("field id {:?} is used twice", field.id));
            }
            ids.push(&field.id);
        }
        Ok(())
    }

    fn field(&self, id: &str) -> Option<&TemplateField> {
        self.fields.iter().find(|f| f.id == id)
    }
}

/// The form a `POST /opportunities/:id/feedback` body makes, written as `user` at `now`, or
/// the 400's message.
pub fn new_form(
    templates: &[FeedbackTemplate],
    body: &Map<String, Value>,
    user: String,
    now: i64,
) -> Result<FeedbackForm, String> {
    let Some(template_id) = body.get("baseTemplateId").and_then(Value::as_str) else {
        return Err("baseTemplateId is required: the id of a feedback template".into());
    };
    let Some(template) = templates.iter().find(|t| t.id == template_id) else {
        return Err(format!(
            "baseTemplateId {template_id:?} is not a feedback template of this account"
        ));
    };
    let Some(given) = body.get("fieldValues").and_then(Value::as_array) else {
        return Err("fieldValues is required: an array of {id, value}".into());
    };
    let mut values: Vec<(&str, &Value)> = Vec::new();
    for entry in given {
        let (Some(id), Some(value)) = (entry.get("id").and_then(Value::as_str), entry.get("value"))
        else {
            return Err(format!(
                "fieldValues: {entry} must be an object with a string id and a value"
            ));
        };
        let Some(field) = template.field(id) else {
            return Err(format!(
                "fieldValues: {id:?} is not a field of feedback template {template_id:?}"
            ));
        };
        if values.iter().any(|(seen, _)| *seen == id) {
            return Err(format!("fieldValues: field {id:?} is given twice"));
        }
        if !value.is_null() && !fits(&field.kind, value) {
            return Err(format!(
                "fieldValues: field {id:?} takes {}; got {value}",
                expected(&field.kind)
            ));
        }
        values.push((id, value));
    }
    let fields: Vec<FormField> = template
        .fields
        .iter()
        .map(|field| FormField {
            field: field.clone(),
            value: values
                .iter()
                .find(|(id, _)| *id == field.id)
                .map_or(Value::Null, |(_, value)| (*value).clone()),
        })
        .collect();
    if let Some(missing) = fields
        .iter()
        .find(|f| f.field.required && is_empty(&f.field.kind, &f.value))
    {
        return Err(format!(
            "fieldValues: field {:?} ({:?}) is required",
            missing.field.id, missing.field.text
        ));
    }
    let completed_at = match body.get("completedAt") {
        None | Some(Value::Null) => now,
        Some(value) => value
            .as_i64()
            .ok_or("completedAt must be a timestamp in whole epoch milliseconds")?,
    };
    Ok(FeedbackForm {
        id: random_id(),
        kind: "interview",
        text: template.text.clone(),
        instructions: template.instructions.clone(),
        base_template_id: template.id.clone(),
        user,
        panel: optional_string(body, "panel")?,
        interview: optional_string(body, "interview")?,
        created_at: now,
        completed_at,
        deleted_at: None,
        fields,
    })
}

fn optional_string(body: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

/// The option texts of a choice field (none for other types).
fn options(kind: &FieldKind) -> Vec<&str> {
    match kind {
        FieldKind::Dropdown { options }
        | FieldKind::MultipleChoice { options }
        | FieldKind::ScoreSystem { options }
        | FieldKind::MultipleSelect { options } => {
            options.iter().map(|o| o.text.as_str()).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether a (non-null) value has the field's type.
fn fits(kind: &FieldKind, value: &Value) -> bool {
    let options = options(kind);
    let is_option = |v: &Value| v.as_str().is_some_and(|text| options.contains(&text));
    match kind {
        FieldKind::Code { .. } | FieldKind::Textarea => value.is_string(),
        // A one-line answer: Lever's form shows a single-line input for it.
        FieldKind::Text => value.as_str().is_some_and(|text| !text.contains('\n')),
        FieldKind::YesNo => matches!(value.as_str(), Some("yes" | "no" | "null")),
        FieldKind::Dropdown { .. }
        | FieldKind::MultipleChoice { .. }
        | FieldKind::ScoreSystem { .. } => is_option(value),
        FieldKind::MultipleSelect { .. } => value
            .as_array()
            .is_some_and(|chosen| chosen.iter().all(is_option)),
        FieldKind::Scorecard { scores } => value
            .as_array()
            .is_some_and(|rows| rows.len() == scores.len() && rows.iter().all(score_entry)),
        FieldKind::Date => value.as_i64().is_some(),
    }
}

/// `{"score": number, "comment"?: string}` and nothing else.
fn score_entry(entry: &Value) -> bool {
    entry.as_object().is_some_and(|entry| {
        entry.get("score").is_some_and(Value::is_number)
            && entry
                .get("comment")
                .is_none_or(|c| c.is_string() || c.is_null())
            && entry.keys().all(|k| k == "score" || k == "comment")
    })
}

/// What a field takes, for the 400's message.
fn expected(kind: &FieldKind) -> String {
    let quoted = || {
        options(kind)
            .iter()
            .map(|o| format!("{o:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        FieldKind::Code { .. } | FieldKind::Textarea => "a string".into(),
        FieldKind::Text => "a string of one line".into(),
        FieldKind::YesNo => r#""yes", "no" or "null""#.into(),
        FieldKind::Dropdown { .. }
        | FieldKind::MultipleChoice { .. }
        | FieldKind::ScoreSystem { .. } => format!("one of {}", quoted()),
        FieldKind::MultipleSelect { .. } => format!("an array of some of {}", quoted()),
        FieldKind::Scorecard { scores } => format!(
            "an array of {} {{score: number, comment?: string}}, one per score row",
            scores.len()
        ),
        FieldKind::Date => "a timestamp in whole epoch milliseconds".into(),
    }
}

/// No answer: null, blank text, an empty array, or a `yes-no` left at `"null"`.
fn is_empty(kind: &FieldKind, value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => {
            text.trim().is_empty() || (matches!(kind, FieldKind::YesNo) && text == "null")
        }
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn kind(field: Value) -> FieldKind {
        serde_json::from_value::<TemplateField>(field).unwrap().kind
    }

    #[test]
    fn values_must_have_their_fields_type() {
        let choice = kind(json!({"type": "dropdown", "text": "Level",
            "options": [{"text": "Junior"}, {"text": "Senior"}]}));
        let several = kind(json!({"type": "multiple-select", "text": "Areas",
            "options": [{"text": "SQL"}, {"text": "Rust"}]}));
        let card = kind(json!({"type": "scorecard", "text": "Skills",
            "scores": [{"text": "Design"}, {"text": "Testing"}]}));
        let code = kind(json!({"type": "code", "text": "Answer", "language": "python"}));
        let cases = [
            (&code, json!("print(1)"), true),
            (&code, json!(5), false),
            (
                &kind(json!({"type": "yes-no", "text": "Hire?"})),
                json!("yes"),
                true,
            ),
            (
                &kind(json!({"type": "yes-no", "text": "Hire?"})),
                json!(true),
                false,
            ),
            (&choice, json!("Senior"), true),
            (&choice, json!("Staff"), false),
            (&several, json!(["Rust", "SQL"]), true),
            (&several, json!(["Go"]), false),
            (&several, json!("Rust"), false),
            (
                &card,
                json!([{"score": 3}, {"score": 2, "comment": "ok"}]),
                true,
            ),
            (&card, json!([{"score": 3}]), false),
            (&card, json!([{"score": "3"}, {"score": 2}]), false),
            (
                &card,
                json!([{"score": 3, "note": "x"}, {"score": 2}]),
                false,
            ),
            (
                &kind(json!({"type": "date", "text": "When"})),
                json!(1700000000000_i64),
                true,
            ),
            (
                &kind(json!({"type": "date", "text": "When"})),
                json!(1.5),
                false,
            ),
        ];
        for (kind, value, ok) in cases {
            assert_eq!(fits(kind, &value), ok, "{kind:?} {value}");
        }
    }

    #[test]
    fn types_are_levers_names() {
        let names = [
            "code",
            "text",
            "textarea",
            "yes-no",
            "date",
            "dropdown",
            "multiple-choice",
            "score-system",
            "multiple-select",
        ];
        for name in names {
            let field = json!({"type": name, "text": "Q", "options": [{"text": "A"}]});
            let parsed: TemplateField = serde_json::from_value(field).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap()["type"], name);
        }
        let unknown = json!({"type": "essay", "text": "Q"});
        assert!(serde_json::from_value::<TemplateField>(unknown).is_err());
    }
}
