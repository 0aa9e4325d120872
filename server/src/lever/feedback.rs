//! Feedback forms: the admin picks one of Lever's feedback templates (it needs a code question
//! for the final code and a text question for the playback link), and a member's "Send as
//! feedback" files it on the candidate as that member. Lever's `POST .../feedback` takes no
//! idempotency key, so the text answer ends with a marker line and a run after the first looks
//! for it before filing again, as notes do.

use api::ErrorCode;
use api::i18n::Locale;
use entity::{job, lever_integration};
use sea_orm::Set;

use super::client::{LeverCredentials, LeverError};
use super::integration::{self, Integration};
use super::setup;
use super::types::{LeverFeedbackTemplate, LeverFieldValue, LeverNewFeedback};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientAddress, EnterpriseAdmin};
use crate::i18n::{Message, Text, msg};
use crate::jobs::{self, JobError};
use crate::state::AppState;

/// The question type that takes several lines of text: the playback link, the last run and
/// the marker line go into the first. (A one-line `text` question cannot hold the marker on a
/// line of its own.)
const PARAGRAPH_TYPE: &str = "textarea";
const CODE_TYPE: &str = "code";

/// The questions of a template Stagepad fills, or why it cannot file it.
#[derive(Debug, PartialEq, Eq)]
pub struct Fillable<'a> {
    pub code_field: &'a str,
    pub text_field: &'a str,
}

/// Which questions Stagepad answers in `template`: its first code question and its first
/// paragraph question. A template without them, or with another required question (a score, a
/// recommendation: an interviewer's to give), cannot be filed by Stagepad.
pub fn fillable(template: &LeverFeedbackTemplate) -> Result<Fillable<'_>, Message> {
    let code = template.fields.iter().find(|f| f.kind == CODE_TYPE);
    let text = template.fields.iter().find(|f| f.kind == PARAGRAPH_TYPE);
    let (Some(code), Some(text)) = (code, text) else {
        return Err(msg(match code {
            None => Text::LeverFeedbackNoCodeQuestion,
            Some(_) => Text::LeverFeedbackNoParagraphQuestion,
        }));
    };
    let others_required: Vec<&str> = template
        .fields
        .iter()
        .filter(|f| f.required && f.id != code.id && f.id != text.id)
        .map(|f| f.text.as_str())
        .collect();
    if !others_required.is_empty() {
        return Err(msg(Text::LeverFeedbackInterviewerAnswersRequired)
            .with("questions", others_required.join(", ")));
    }
    Ok(Fillable {
        code_field: &code.id,
        text_field: &text.id,
    })
}

/// The template chosen in the setup, as the setup page shows it.
pub fn chosen(row: &lever_integration::Model) -> Option<api::ChosenFeedbackTemplate> {
    Some(api::ChosenFeedbackTemplate {
        id: row.feedback_template_id.clone()?,
        name: row.feedback_template_name.clone().unwrap_or_default(),
    })
}

/// Lever's templates read with the key, or the error the admin sees: a 403 names the
/// permission to add.
async fn read_templates(
    state: &AppState,
    credentials: &LeverCredentials,
) -> ApiResult<Vec<LeverFeedbackTemplate>> {
    state
        .lever
        .feedback_templates(credentials)
        .await
        .map_err(|e| match e {
            LeverError::Forbidden { .. } => ApiError::unprocessable(
                ErrorCode::LeverPermissionsMissing,
                msg(Text::LeverFeedbackTemplatesForbidden),
            ),
            other => setup::explain(&other, &credentials.base_url),
        })
}

/// `GET /api/lever/feedback-templates`: Lever's templates, live, each with the questions
/// Stagepad would fill or why it cannot (in `locale`).
pub async fn templates(
    state: &AppState,
    admin: &EnterpriseAdmin,
    locale: Locale,
) -> ApiResult<api::LeverFeedbackTemplatesResponse> {
    let integration = integration::load_required(&state.db, admin.org_id).await?;
    let credentials = integration.credentials(state)?;
    let templates = read_templates(state, &credentials).await?;
    let selected = integration.row.feedback_template_id.as_deref();
    Ok(api::LeverFeedbackTemplatesResponse {
        templates: templates
            .iter()
            .map(|template| {
                let question = |id: &str| {
                    template
                        .fields
                        .iter()
                        .find(|f| f.id == id)
                        .map(|f| f.text.clone())
                };
                let (code_field, text_field, unusable) = match fillable(template) {
                    Ok(fill) => (question(fill.code_field), question(fill.text_field), None),
                    Err(why) => (None, None, Some(why.render(locale))),
                };
                api::LeverFeedbackTemplateChoice {
                    id: template.id.clone(),
                    name: template.text.clone(),
                    code_field,
                    text_field,
                    unusable,
                    selected: selected == Some(template.id.as_str()),
                }
            })
            .collect(),
    })
}

/// `PUT /api/lever/feedback-template`: files this template from now on (read again from Lever
/// so its questions are current), or stops offering "Send as feedback" with `None`.
pub async fn choose_template(
    state: &AppState,
    admin: &EnterpriseAdmin,
    request: api::LeverFeedbackTemplateRequest,
    client: &ClientAddress,
) -> ApiResult<api::LeverSetup> {
    let integration = integration::load_required(&state.db, admin.org_id).await?;
    let chosen = match request.template_id.as_deref().map(str::trim) {
        None => None,
        Some(id) if id.is_empty() || id.chars().count() > 200 => {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidField,
                msg(Text::LeverFeedbackTemplateIdInvalid),
            ));
        }
        Some(id) => {
            let credentials = integration.credentials(state)?;
            let templates = read_templates(state, &credentials).await?;
            let template = templates.into_iter().find(|t| t.id == id).ok_or_else(|| {
                ApiError::unprocessable(
                    ErrorCode::UnknownTemplate,
                    msg(Text::LeverFeedbackUnknownTemplate),
                )
            })?;
            fillable(&template)
                .map_err(|why| ApiError::unprocessable(ErrorCode::TemplateUnusable, why))?;
            Some((template.id, template.text))
        }
    };
    let detail = match &chosen {
        Some((_, name)) => {
            msg(Text::AuditDetailLeverFeedbackTemplate).with("template", format!("{name:?}"))
        }
        None => msg(Text::AuditDetailLeverFeedbackNone),
    };
    setup::change_integration(
        state,
        admin,
        client,
        &integration,
        "lever_feedback_template_saved",
        detail,
        |row| {
            let (id, name) = chosen.unzip();
            row.feedback_template_id = Set(id);
            row.feedback_template_name = Set(name);
        },
    )
    .await?;
    setup::setup(state, admin).await
}

/// What one feedback form says.
pub struct FeedbackForm<'a> {
    pub opportunity_id: &'a str,
    /// The member's Lever user, whom the form is filed as.
    pub author: &'a str,
    pub code: &'a str,
    /// Ends with `marker`.
    pub text: &'a str,
    pub marker: &'a str,
}

/// Files `form` with the chosen template unless an earlier run of this job already did (on a
/// run after the first, the candidate's forms are searched for the marker). The template is
/// read again first: it may have been changed or deleted in Lever since it was chosen.
pub async fn file_once(
    state: &AppState,
    job: &job::Model,
    integration: &Integration,
    credentials: &LeverCredentials,
    form: FeedbackForm<'_>,
) -> Result<(), JobError> {
    let Some(template_id) = integration.row.feedback_template_id.as_deref() else {
        return Err(JobError::permanent(Text::LeverJobNoTemplate));
    };
    let templates = state.lever.feedback_templates(credentials).await?;
    let Some(template) = templates.iter().find(|t| t.id == template_id) else {
        return Err(JobError::permanent(Text::LeverJobTemplateDeleted));
    };
    let fill = fillable(template).map_err(|why| {
        JobError::permanent(
            msg(Text::LeverJobTemplateChanged)
                .with("template", &template.text)
                .with_message("why", why),
        )
    })?;
    if job.attempts > 1 {
        match state
            .lever
            .find_feedback(credentials, form.opportunity_id, form.marker)
            .await
        {
            Ok(Some(_)) => {
                tracing::info!(job_id = %job.id, "an earlier run's feedback form is already in Lever; not filed again");
                return Ok(());
            }
            Ok(None) => {}
            // An earlier run's answer was lost: filing without looking would most likely make
            // a second form on the candidate.
            Err(LeverError::Forbidden { .. }) => {
                return Err(JobError::permanent(Text::LeverJobFeedbackLostUnverifiable));
            }
            // Whether the form is there is unknown: file nothing until Lever can tell.
            Err(e) => return Err(e.into()),
        }
    }
    jobs::hold_lease(state, job).await?;
    let filed = state
        .lever
        .create_feedback(
            credentials,
            form.opportunity_id,
            form.author,
            &LeverNewFeedback {
                base_template_id: &template.id,
                field_values: vec![
                    LeverFieldValue {
                        id: fill.code_field,
                        value: form.code,
                    },
                    LeverFieldValue {
                        id: fill.text_field,
                        value: form.text,
                    },
                ],
                completed_at: time::OffsetDateTime::now_utc().unix_timestamp() * 1_000,
            },
        )
        .await;
    match filed {
        Ok(_) => Ok(()),
        Err(LeverError::Forbidden { .. }) => {
            Err(JobError::permanent(Text::LeverJobFeedbackForbidden))
        }
        Err(e @ LeverError::Status { status: 400, .. }) => Err(JobError::permanent(
            msg(Text::LeverJobFeedbackRefused).with_message("error", e.message()),
        )),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(fields: serde_json::Value) -> LeverFeedbackTemplate {
        serde_json::from_value(serde_json::json!({"id": "t1", "text": "Coding", "fields": fields}))
            .unwrap()
    }

    #[test]
    fn a_template_is_filled_in_its_first_code_and_text_questions() {
        let t = template(serde_json::json!([
            {"id": "f0", "type": "score-system", "text": "Score", "required": false},
            {"id": "f1", "type": "code", "text": "Solution", "required": true},
            {"id": "f2", "type": "code", "text": "Other", "required": false},
            {"id": "f3", "type": "textarea", "text": "Notes", "required": false},
        ]));
        assert_eq!(
            fillable(&t),
            Ok(Fillable {
                code_field: "f1",
                text_field: "f3"
            })
        );
    }

    #[test]
    fn templates_stagepad_cannot_file_say_why() {
        let no_code = template(serde_json::json!([{"id": "a", "type": "textarea", "text": "T"}]));
        let why = |t: &LeverFeedbackTemplate| fillable(t).unwrap_err().render(Locale::En);
        assert!(why(&no_code).contains("no code question"));
        let one_line = template(serde_json::json!([
            {"id": "a", "type": "code", "text": "C"},
            {"id": "b", "type": "text", "text": "One line"},
        ]));
        assert!(why(&one_line).contains("no paragraph question"));
        let scored = template(serde_json::json!([
            {"id": "a", "type": "code", "text": "C"},
            {"id": "b", "type": "textarea", "text": "T"},
            {"id": "c", "type": "score-system", "text": "Overall rating", "required": true},
        ]));
        assert!(why(&scored).contains("(Overall rating)"));
        assert!(
            fillable(&scored)
                .unwrap_err()
                .render(Locale::Fr)
                .contains("(Overall rating)")
        );
    }
}
