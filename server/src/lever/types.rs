//! Lever's wire format, as ../shared/lever-api.md describes it. Only the fields Stagepad reads;
//! everything else Lever sends is ignored.

use serde::{Deserialize, Deserializer, Serialize};

/// `null` read as the empty value: anonymised or partial records answer `null` for names,
/// tags, links, stage changes, applications and e-mails rather than leaving them out.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `{"data": ...}` around every successful answer.
#[derive(Debug, Deserialize)]
pub struct LeverData<T> {
    pub data: T,
}

/// A page of a list: pass `next` back as `offset` while `hasNext` is true.
#[derive(Debug, Deserialize)]
pub struct LeverPage<T> {
    pub data: Vec<T>,
    #[serde(rename = "hasNext", default)]
    pub has_next: bool,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LeverStage {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LeverUser {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Epoch ms; null while active.
    #[serde(default, rename = "deactivatedAt")]
    pub deactivated_at: Option<i64>,
}

impl LeverUser {
    /// Whether Lever has `email` (canonical: trimmed, any case) on this user: the `email=`
    /// filter's answer is checked, not trusted.
    pub fn has_email(&self, email: &str) -> bool {
        self.email
            .as_deref()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case(email.trim()))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverStageChange {
    /// Empty when Lever sends `null` (a partial record): such an entry matches no stage.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub to_stage_id: String,
    #[serde(default)]
    pub updated_at: Option<i64>,
}

/// With `expand=applications` an application is an object; without it, a plain id.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LeverApplication {
    Expanded {
        #[serde(default)]
        posting: Option<String>,
    },
    Id(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverOpportunity {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub name: String,
    #[serde(default)]
    pub contact: Option<String>,
    /// The current stage id.
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub stage_changes: Vec<LeverStageChange>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
    /// `null` while active; an object once archived.
    #[serde(default)]
    pub archived: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub links: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub applications: Vec<LeverApplication>,
    /// Read only so that a `null` here is known to be harmless.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub emails: Vec<String>,
}

impl LeverOpportunity {
    pub fn is_archived(&self) -> bool {
        self.archived.as_ref().is_some_and(|a| !a.is_null())
    }

    /// The posting of the (at most one) application, when expanded.
    pub fn posting_id(&self) -> Option<&str> {
        self.applications.iter().find_map(|a| match a {
            LeverApplication::Expanded { posting } => posting.as_deref(),
            LeverApplication::Id(_) => None,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LeverPosting {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub text: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct LeverAddLinks<'a> {
    pub links: &'a [String],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverNewNote<'a> {
    pub value: &'a str,
    pub secret: bool,
    pub notify_followers: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverNoteCreated {
    pub note_id: String,
}

/// A note as `GET /opportunities/:id/notes` lists it: only what tells whether it is one
/// Stagepad posted.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverNote {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fields: Vec<LeverNoteField>,
    /// Epoch ms once deleted in Lever.
    #[serde(default)]
    pub deleted_at: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct LeverNoteField {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub value: String,
}

impl LeverNote {
    /// Whether this live note ends with `marker` as its last line (the line Stagepad puts
    /// last; text inside the note, such as a candidate's code, cannot stand in for it).
    pub fn ends_with_marker(&self, marker: &str) -> bool {
        self.deleted_at.is_none()
            && self
                .fields
                .iter()
                .any(|field| last_line_is(&field.value, marker))
    }
}

/// Whether the last non-blank line of `text` is `marker`.
fn last_line_is(text: &str, marker: &str) -> bool {
    text.lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .is_some_and(|line| line.trim() == marker)
}

/// A feedback template as `GET /feedback_templates` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct LeverFeedbackTemplate {
    pub id: String,
    /// Its name.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub text: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fields: Vec<LeverFeedbackTemplateField>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LeverFeedbackTemplateField {
    pub id: String,
    /// `code`, `text`, `textarea`, `yes-no`, `dropdown`, `score-system`, `scorecard`, ...
    #[serde(rename = "type", default, deserialize_with = "null_as_empty")]
    pub kind: String,
    /// The question.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub text: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub required: bool,
}

/// `POST /opportunities/:id/feedback` (with `perform_as`, required there).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverNewFeedback<'a> {
    pub base_template_id: &'a str,
    pub field_values: Vec<LeverFieldValue<'a>>,
    /// Epoch ms: the form is complete, not a draft.
    pub completed_at: i64,
}

#[derive(Debug, Serialize)]
pub struct LeverFieldValue<'a> {
    pub id: &'a str,
    pub value: &'a str,
}

/// A feedback form as Lever answers or lists it: only what tells whether Stagepad filed it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverFeedbackForm {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub fields: Vec<LeverFeedbackFormField>,
    #[serde(default)]
    pub deleted_at: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct LeverFeedbackFormField {
    /// A string for text and code questions; numbers, lists or objects for others.
    #[serde(default)]
    pub value: serde_json::Value,
}

impl LeverFeedbackForm {
    /// Whether this live form has a text answer whose last line is `marker`.
    pub fn ends_with_marker(&self, marker: &str) -> bool {
        self.deleted_at.is_none()
            && self.fields.iter().any(|field| {
                field
                    .value
                    .as_str()
                    .is_some_and(|text| last_line_is(text, marker))
            })
    }
}

/// Lever's error body.
#[derive(Debug, Default, Deserialize)]
pub struct LeverErrorBody {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// A webhook delivery as Lever posts it. The body is not signed: only (token, triggeredAt).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeverWebhook {
    /// When Lever sent it, in milliseconds since the Unix epoch.
    pub triggered_at: i64,
    /// `candidateStageChange` for a stage change (Verify sends another event).
    pub event: String,
    /// The event's details; for a stage change `opportunityId` and `toStageId` among others.
    #[serde(default)]
    pub data: serde_json::Value,
    /// Present only when a signing token was generated for the entry in Lever.
    #[serde(default)]
    pub signature: Option<String>,
    /// Unique per delivery: signed with `triggeredAt`, a replay repeats it.
    #[serde(default)]
    pub token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expanded_opportunity_reads_as_lever_sends_it() {
        let body = r#"{"data": {"id": "o1", "name": "Ada", "contact": "c1", "stage": "s2",
            "stageChanges": [{"toStageId": "s1", "toStageIndex": 0, "userId": "u", "updatedAt": 1},
                             {"toStageId": "s2", "toStageIndex": 1, "userId": "u", "updatedAt": 2}],
            "tags": ["CoderPad", "Engineering"], "archived": null, "links": [],
            "urls": {"show": "https://hire.lever.co/candidates/o1"},
            "applications": [{"id": "a1", "posting": "p1", "type": "posting"}]}}"#;
        let opportunity: LeverData<LeverOpportunity> = serde_json::from_str(body).unwrap();
        let o = opportunity.data;
        assert_eq!(o.posting_id(), Some("p1"));
        assert!(!o.is_archived());
        assert_eq!(o.stage_changes.len(), 2);

        let partial: LeverOpportunity = serde_json::from_str(
            r#"{"id": "o3", "stageChanges": [{"toStageId": null, "updatedAt": null}]}"#,
        )
        .unwrap();
        assert_eq!(partial.stage_changes[0].to_stage_id, "");

        let plain: LeverOpportunity = serde_json::from_str(
            r#"{"id": "o2", "applications": ["a9"], "archived": {"archivedAt": 5, "reason": "r"}}"#,
        )
        .unwrap();
        assert_eq!(plain.posting_id(), None);
        assert!(plain.is_archived());
    }

    #[test]
    fn a_note_is_known_by_its_last_line_while_not_deleted() {
        let page: LeverPage<LeverNote> = serde_json::from_str(
            r#"{"data": [
                {"id": "n1", "text": null, "fields": [{"type": "note", "text": "", "value": "Hi\nStagepad results · https://p/1\n"}], "deletedAt": null},
                {"id": "n2", "fields": [{"type": "note", "value": "Stagepad results · https://p/1\nmore"}]},
                {"id": "n3", "fields": [{"value": "Stagepad results · https://p/1"}], "deletedAt": 5},
                {"id": "n4", "fields": null}
            ], "hasNext": false}"#,
        )
        .unwrap();
        let found: Vec<&str> = page
            .data
            .iter()
            .filter(|n| n.ends_with_marker("Stagepad results · https://p/1"))
            .map(|n| n.id.as_str())
            .collect();
        assert_eq!(found, vec!["n1"]);
    }

    #[test]
    fn nulls_of_anonymised_and_partial_records_read_as_empty() {
        let o: LeverOpportunity = serde_json::from_str(
            r#"{"id": "o3", "name": null, "tags": null, "links": null, "stageChanges": null,
                "applications": null, "emails": null, "contact": null, "stage": "s1"}"#,
        )
        .unwrap();
        assert!(o.name.is_empty() && o.tags.is_empty() && o.links.is_empty());
        assert!(o.stage_changes.is_empty() && o.applications.is_empty() && o.emails.is_empty());
        let p: LeverPosting =
            serde_json::from_str(r#"{"id": "p1", "text": null, "tags": null}"#).unwrap();
        assert!(p.text.is_empty() && p.tags.is_empty());
    }
}
