//! Feedback forms (issue 11, "Beyond"): an admin picks a Lever feedback template with a code
//! question; on an ended Lever pad a member's "Send as feedback" files it on the candidate as
//! that member's Lever user, with the final code and the playback link, once.

use std::time::Duration;

use api::{ErrorCode, Role};
use serde_json::{Value, json};
use tests::TestApp;
use tests::accounts::{Account, expect_error, expect_json};
use tests::lever::{Setup, connected, save_key};
use tests::lever_sim::{LeverSim, NewOpportunity, PERMISSIONS};
use tests::pad_client::PadClient;
use tests::poll::wait_for;

const PHONE: &str = "Phone interview";
const CODE: &str = "@cache\ndef add(a, b):\n    return a + b";

/// A template Stagepad can file: a code question, a text question and an optional score.
async fn coding_template(sim: &LeverSim) -> Value {
    sim.add_feedback_template(json!({
        "text": "Coding interview",
        "fields": [
            {"type": "score-system", "text": "Overall", "required": false,
             "options": [{"text": "Hire"}, {"text": "No hire"}]},
            {"type": "code", "text": "Solution", "required": true, "language": "python"},
            {"type": "textarea", "text": "Interview notes", "required": false},
        ],
    }))
    .await
}

/// [`coding_template`], chosen in the setup.
async fn chosen_coding_template(app: &TestApp, sim: &LeverSim, admin: &Account) -> Value {
    let template = coding_template(sim).await;
    let _: api::LeverSetup =
        expect_json(choose(app, admin, template["id"].as_str()).await, 200).await;
    template
}

fn field_id(template: &Value, kind: &str) -> String {
    template["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == kind)
        .and_then(|f| f["id"].as_str())
        .expect("a field of that type")
        .to_string()
}

async fn choose(app: &TestApp, admin: &Account, template_id: Option<&str>) -> reqwest::Response {
    app.put(
        &admin.client,
        "/api/lever/feedback-template",
        &api::LeverFeedbackTemplateRequest {
            template_id: template_id.map(String::from),
        },
    )
    .await
}

/// A pad for a new tagged candidate, with `CODE` written in it, ended: (candidate, pad id).
async fn ended_pad(app: &TestApp, sim: &LeverSim, admin: &Account) -> (String, api::PadId) {
    let ada = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_opportunity(&ada, &sim.stage_id(PHONE).await).await;
    let delivery = app.outcome_for(admin, &ada).await;
    let link = delivery.pad_link.expect("a pad");
    let pad_id = api::PadId::new(link.rsplit('/').next().unwrap());
    let mut candidate = PadClient::join(app, &pad_id, "Ada", None).await;
    candidate.edit(CODE).await;
    candidate.settle_at(0).await;
    let _: api::PadView = expect_json(app.end_pad(&admin, &pad_id).await, 200).await;
    (ada, pad_id)
}

async fn request_feedback(
    app: &TestApp,
    member: &Account,
    pad_id: &api::PadId,
) -> reqwest::Response {
    app.send_feedback(&member, pad_id).await
}

/// The pad once its feedback request has an outcome (`sent` or `failed`).
async fn feedback_outcome(app: &TestApp, member: &Account, pad_id: &api::PadId) -> api::PadView {
    wait_for(
        "the feedback form's outcome",
        Duration::from_secs(30),
        || async {
            let view: api::PadView = expect_json(app.view_pad(&member, pad_id).await, 200).await;
            matches!(
                view.feedback_status,
                Some(api::RequestStatus::Sent | api::RequestStatus::Failed)
            )
            .then_some(view)
        },
    )
    .await
}

fn answer(form: &Value, field: &str) -> String {
    form["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == field)
        .and_then(|f| f["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_admin_picks_a_template_stagepad_can_fill() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let good = coding_template(&sim).await;
    let without_code = sim
        .add_feedback_template(json!({
            "text": "Culture fit",
            "fields": [{"type": "textarea", "text": "Notes", "required": false}],
        }))
        .await;
    let scored = sim
        .add_feedback_template(json!({
            "text": "Scored coding",
            "fields": [
                {"type": "code", "text": "Solution", "required": false},
                {"type": "textarea", "text": "Notes", "required": false},
                {"type": "yes-no", "text": "Would you hire?", "required": true},
            ],
        }))
        .await;

    let listed: api::LeverFeedbackTemplatesResponse =
        expect_json(app.lever_feedback_templates(&admin).await, 200).await;
    let by_name = |name: &str| {
        listed
            .templates
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} listed: {listed:?}"))
            .clone()
    };
    let coding = by_name("Coding interview");
    assert_eq!(coding.code_field.as_deref(), Some("Solution"));
    assert_eq!(coding.text_field.as_deref(), Some("Interview notes"));
    assert_eq!(coding.unusable, None);
    assert!(!coding.selected);
    let culture = by_name("Culture fit");
    assert!(
        culture
            .unusable
            .as_deref()
            .unwrap()
            .contains("no code question"),
        "{culture:?}"
    );
    let hire = by_name("Scored coding");
    assert!(
        hire.unusable
            .as_deref()
            .unwrap()
            .contains("Would you hire?"),
        "{hire:?}"
    );

    for (template, code) in [
        (&without_code, ErrorCode::TemplateUnusable),
        (&scored, ErrorCode::TemplateUnusable),
    ] {
        expect_error(
            choose(&app, &admin, template["id"].as_str()).await,
            422,
            code,
        )
        .await;
    }
    let one_line = sim
        .add_feedback_template(json!({
            "text": "Quick coding",
            "fields": [
                {"type": "code", "text": "Solution", "required": false},
                {"type": "text", "text": "One line", "required": false},
            ],
        }))
        .await;
    let message = expect_error(
        choose(&app, &admin, one_line["id"].as_str()).await,
        422,
        ErrorCode::TemplateUnusable,
    )
    .await;
    assert!(message.contains("no paragraph question"), "{message}");
    expect_error(
        choose(&app, &admin, Some("no-such-template")).await,
        422,
        ErrorCode::UnknownTemplate,
    )
    .await;
    expect_error(
        choose(&app, &admin, Some("   ")).await,
        422,
        ErrorCode::InvalidField,
    )
    .await;

    let setup: api::LeverSetup =
        expect_json(choose(&app, &admin, good["id"].as_str()).await, 200).await;
    let chosen = setup.feedback_template.expect("a template chosen");
    assert_eq!(chosen.name, "Coding interview");
    let listed: api::LeverFeedbackTemplatesResponse =
        expect_json(app.lever_feedback_templates(&admin).await, 200).await;
    assert!(
        listed
            .templates
            .iter()
            .any(|t| t.selected && t.name == "Coding interview")
    );

    // Members may not choose; None stops offering feedback forms.
    let member = app.add_member(&admin, Role::Member).await;
    expect_error(choose(&app, &member, None).await, 403, ErrorCode::AdminOnly).await;
    let setup: api::LeverSetup = expect_json(choose(&app, &admin, None).await, 200).await;
    assert_eq!(setup.feedback_template, None);
}

#[tokio::test]
async fn send_as_feedback_files_the_form_as_the_member_who_clicks() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let template = chosen_coding_template(&app, &sim, &admin).await;
    let member = app.add_member(&admin, Role::Member).await;
    // Lever's e-mail filter matches the canonical (lowercase) form.
    let grace = sim
        .create_user("Grace Member", &member.email.to_uppercase())
        .await;
    let (ada, pad_id) = ended_pad(&app, &sim, &admin).await;

    let view: api::PadView = expect_json(app.view_pad(&member, &pad_id).await, 200).await;
    assert!(view.feedback_available);
    let sending: api::PadView =
        expect_json(request_feedback(&app, &member, &pad_id).await, 200).await;
    assert_eq!(sending.feedback_status, Some(api::RequestStatus::Sending));

    let done = feedback_outcome(&app, &member, &pad_id).await;
    assert_eq!(
        done.feedback_status,
        Some(api::RequestStatus::Sent),
        "{done:?}"
    );

    let forms = sim.feedback_forms(&ada).await;
    assert_eq!(forms.len(), 1, "{forms:#?}");
    let form = &forms[0];
    assert_eq!(form["user"], grace.as_str(), "filed as the member");
    assert_eq!(form["baseTemplateId"], template["id"]);
    assert_eq!(
        answer(form, &field_id(&template, "code")),
        CODE,
        "the code as written, @ included"
    );
    let text = answer(form, &field_id(&template, "textarea"));
    let link = format!("{}/pad/{pad_id}", app.address);
    assert!(text.contains(&format!("Playback: {link}")), "{text}");
    assert!(text.contains("Language: Python"), "{text}");
    assert!(text.contains("Last run:"), "{text}");
    let marker = text.lines().last().unwrap();
    assert!(
        marker.starts_with(&format!("Stagepad feedback · {link} · request ")),
        "{text}"
    );
    // The code note is a separate choice: nothing was posted as a note.
    assert!(
        !sim.notes(&ada)
            .await
            .iter()
            .any(|n| n.value.contains("Code from the interview"))
    );
}

#[tokio::test]
async fn a_feedback_form_whose_answer_was_lost_is_filed_once() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    chosen_coding_template(&app, &sim, &admin).await;
    sim.create_user("Admin", &admin.email).await;
    let (ada, pad_id) = ended_pad(&app, &sim, &admin).await;
    sim.lose_answer_next_on(1, &format!("{ada}/feedback"), Some(502), None)
        .await;
    let _: api::PadView = expect_json(request_feedback(&app, &admin, &pad_id).await, 200).await;
    let done = feedback_outcome(&app, &admin, &pad_id).await;
    assert_eq!(
        done.feedback_status,
        Some(api::RequestStatus::Sent),
        "{done:?}"
    );
    assert!(sim.faults().await.is_empty(), "the answer was lost once");
    assert_eq!(sim.feedback_forms(&ada).await.len(), 1);
}

#[tokio::test]
async fn a_member_lever_does_not_know_gets_a_clear_reason_and_no_form() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    chosen_coding_template(&app, &sim, &admin).await;
    let (ada, pad_id) = ended_pad(&app, &sim, &admin).await;

    let _: api::PadView = expect_json(request_feedback(&app, &admin, &pad_id).await, 200).await;
    let failed = feedback_outcome(&app, &admin, &pad_id).await;
    assert_eq!(failed.feedback_status, Some(api::RequestStatus::Failed));
    let error = failed.feedback_error.unwrap_or_default();
    assert!(
        error.contains("no user with your e-mail") && error.contains("as a note"),
        "{error}"
    );
    // Stored when it happened, worded when read: a French reader reads it in French.
    let french: api::PadView = expect_json(
        app.get_in_french(&admin.client, &format!("/api/pads/{pad_id}"))
            .await,
        200,
    )
    .await;
    let french = french.feedback_error.unwrap_or_default();
    assert!(
        french.starts_with("Lever n'a aucun utilisateur avec votre e-mail")
            && french.contains(&admin.email.to_lowercase()),
        "{french}"
    );

    let gone = sim.create_user("Admin", &admin.email).await;
    sim.deactivate_user(&gone).await;
    let _: api::PadView = expect_json(request_feedback(&app, &admin, &pad_id).await, 200).await;
    let failed = feedback_outcome(&app, &admin, &pad_id).await;
    assert!(
        failed
            .feedback_error
            .unwrap_or_default()
            .contains("deactivated"),
        "a deactivated Lever user is named as such"
    );
    assert!(sim.feedback_forms(&ada).await.is_empty());
}

#[tokio::test]
async fn without_a_template_or_the_permission_feedback_is_refused_clearly() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let (_, pad_id) = ended_pad(&app, &sim, &admin).await;
    let view: api::PadView = expect_json(app.view_pad(&admin, &pad_id).await, 200).await;
    assert!(!view.feedback_available);
    expect_error(
        request_feedback(&app, &admin, &pad_id).await,
        409,
        ErrorCode::NoFeedbackTemplate,
    )
    .await;

    // A key without "read feedback templates": the picker says which permission to add.
    let limited: Vec<&str> = PERMISSIONS
        .iter()
        .copied()
        .filter(|p| *p != "read_feedback_templates")
        .collect();
    let key = sim.create_api_key(Some(&limited)).await;
    let _: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &key).await, 200).await;
    let message = expect_error(
        app.lever_feedback_templates(&admin).await,
        422,
        ErrorCode::LeverPermissionsMissing,
    )
    .await;
    assert!(message.contains("Read feedback templates"), "{message}");
}

/// Lever's `email=` filter is checked, not trusted, and two active users with the member's
/// e-mail leave the author unknown: the form is filed as nobody rather than as the wrong one.
#[tokio::test]
async fn two_lever_users_with_the_members_e_mail_file_nothing() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    chosen_coding_template(&app, &sim, &admin).await;
    sim.create_user("Admin", &admin.email).await;
    sim.create_user("Admin again", &admin.email).await;
    let (ada, pad_id) = ended_pad(&app, &sim, &admin).await;
    let _: api::PadView = expect_json(request_feedback(&app, &admin, &pad_id).await, 200).await;
    let failed = feedback_outcome(&app, &admin, &pad_id).await;
    assert_eq!(failed.feedback_status, Some(api::RequestStatus::Failed));
    let error = failed.feedback_error.unwrap_or_default();
    assert!(error.contains("2 active users"), "{error}");
    assert!(sim.feedback_forms(&ada).await.is_empty());
}

/// A template deleted in Lever after it was chosen: the member learns that, not a riddle.
#[tokio::test]
async fn a_template_deleted_in_lever_fails_with_that_reason() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let template = chosen_coding_template(&app, &sim, &admin).await;
    sim.create_user("Admin", &admin.email).await;
    let (ada, pad_id) = ended_pad(&app, &sim, &admin).await;
    sim.delete_feedback_template(template["id"].as_str().unwrap())
        .await;
    let _: api::PadView = expect_json(request_feedback(&app, &admin, &pad_id).await, 200).await;
    let failed = feedback_outcome(&app, &admin, &pad_id).await;
    let error = failed.feedback_error.unwrap_or_default();
    assert!(error.contains("deleted in Lever"), "{error}");
    assert!(sim.feedback_forms(&ada).await.is_empty());
}

/// An answer lost, and a key that may not read feedback to look for the form: filing again
/// would most likely make a second form, so the member is told to look in Lever instead.
#[tokio::test]
async fn a_lost_answer_without_read_feedback_is_not_filed_again() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let without: Vec<&str> = PERMISSIONS
        .iter()
        .copied()
        .filter(|p| *p != "read_feedback")
        .collect();
    let key = sim.create_api_key(Some(&without)).await;
    let _: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &key).await, 200).await;
    chosen_coding_template(&app, &sim, &admin).await;
    sim.create_user("Admin", &admin.email).await;
    let (ada, pad_id) = ended_pad(&app, &sim, &admin).await;
    sim.lose_answer_next_on(1, &format!("{ada}/feedback"), Some(502), None)
        .await;
    let _: api::PadView = expect_json(request_feedback(&app, &admin, &pad_id).await, 200).await;
    let failed = feedback_outcome(&app, &admin, &pad_id).await;
    assert_eq!(failed.feedback_status, Some(api::RequestStatus::Failed));
    let error = failed.feedback_error.unwrap_or_default();
    assert!(
        error.contains("look at the candidate's feedback"),
        "{error}"
    );
    assert_eq!(sim.feedback_forms(&ada).await.len(), 1, "filed once");
}

/// A second click while the first request is on its way is refused, and one form is filed;
/// once filed, only an explicit "send again" files another.
#[tokio::test]
async fn a_second_click_while_sending_files_nothing_more() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    chosen_coding_template(&app, &sim, &admin).await;
    sim.create_user("Admin", &admin.email).await;
    let (ada, pad_id) = ended_pad(&app, &sim, &admin).await;
    // Lever is slow to list the templates: the first request is still on its way.
    sim.hang_next_on(1, 1_500, "/feedback_templates").await;
    let _: api::PadView = expect_json(request_feedback(&app, &admin, &pad_id).await, 200).await;
    expect_error(
        request_feedback(&app, &admin, &pad_id).await,
        409,
        ErrorCode::FeedbackInProgress,
    )
    .await;
    let done = feedback_outcome(&app, &admin, &pad_id).await;
    assert_eq!(
        done.feedback_status,
        Some(api::RequestStatus::Sent),
        "{done:?}"
    );
    assert_eq!(sim.feedback_forms(&ada).await.len(), 1);

    // Once filed, another click is refused too, until "send again" is asked for.
    let sent = done.feedback_sent.expect("when it was filed, and by whom");
    assert_eq!(sent.by.as_deref(), Some(admin.me.user.name.as_str()));
    expect_error(
        request_feedback(&app, &admin, &pad_id).await,
        409,
        ErrorCode::FeedbackAlreadySent,
    )
    .await;
    assert_eq!(sim.feedback_forms(&ada).await.len(), 1);
    let again: api::PadView = expect_json(
        app.post(
            &admin.client,
            &format!("/api/pads/{pad_id}/lever-feedback"),
            &api::LeverWriteRequest {
                again_after: Some(sent.at),
            },
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again.feedback_status, Some(api::RequestStatus::Sending));
    let done = feedback_outcome(&app, &admin, &pad_id).await;
    assert_eq!(done.feedback_status, Some(api::RequestStatus::Sent));
    assert_eq!(
        sim.feedback_forms(&ada).await.len(),
        2,
        "filed again on request"
    );
    assert!(done.feedback_sent.expect("sent").at > sent.at);

    // A page still showing the first sending cannot file a third form.
    expect_error(
        app.post(
            &admin.client,
            &format!("/api/pads/{pad_id}/lever-feedback"),
            &api::LeverWriteRequest {
                again_after: Some(sent.at),
            },
        )
        .await,
        409,
        ErrorCode::FeedbackAlreadySent,
    )
    .await;
    assert_eq!(sim.feedback_forms(&ada).await.len(), 2);
}
