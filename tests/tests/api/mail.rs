//! E-mail through a real SMTP server on loopback (the sink): invitations, password resets,
//! outages, lost answers, limits, and header injection.

use std::time::Duration;

use api::{ErrorCode, MailStatus, PadMailRecipient, Plan, Role};
use tests::accounts::{FRENCH, unique_email};
use tests::app::new_client;
use tests::lever_sim::{LeverSim, NewCandidate};
use tests::smtp_sink::{Received, SmtpSink};
use tests::{PASSWORD, TestApp, expect_error, expect_json, spawn_app, spawn_app_with};

const NEW_PASSWORD: &str = "a brand new passphrase, long enough";

async fn pending(app: &TestApp, admin: &tests::accounts::Account) -> Vec<api::PendingInvitation> {
    let members: api::MembersResponse = expect_json(app.members(admin, "").await, 200).await;
    members.invitations
}

/// Waits until the invitation's latest mail is in `status`.
async fn invitation_mail(
    app: &TestApp,
    admin: &tests::accounts::Account,
    email: &str,
    status: MailStatus,
) -> api::MailView {
    tests::poll::wait_for(
        &format!("the invitation mail to {email} to be {status:?}"),
        Duration::from_secs(20),
        || async {
            pending(app, admin)
                .await
                .into_iter()
                .find(|i| i.email == email)
                .and_then(|i| i.mail)
                .filter(|m| m.status == status)
        },
    )
    .await
}

fn to(message: &Received) -> &str {
    message.to.first().map(String::as_str).unwrap_or_default()
}

async fn ask_reset(app: &TestApp, email: &str) -> reqwest::Response {
    let request = api::PasswordResetRequest {
        email: email.into(),
    };
    app.post(&new_client(), "/api/password-reset", &request)
        .await
}

#[tokio::test]
async fn without_a_mail_server_links_are_copied_and_the_console_is_told() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    assert!(!admin.me.mail_configured);
    let created = app
        .invite(&admin, &unique_email("copied"), Role::Member)
        .await;
    assert!(created.link.contains("/invite/"));
    assert_eq!(created.invitation.mail, None);
    expect_error(
        ask_reset(&app, &admin.email).await,
        503,
        ErrorCode::MailNotConfigured,
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mails").await, 0);
}

#[tokio::test]
async fn an_invitation_is_emailed_and_its_link_makes_an_account() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    assert!(admin.me.mail_configured);
    let email = unique_email("invitee");
    let created = app.invite(&admin, &email, Role::Member).await;

    let messages = sink.wait_for(1).await;
    let message = &messages[0];
    assert_eq!(message.to, vec![email.clone()]);
    assert_eq!(message.from, "pads@stagepad.test");
    assert_eq!(
        message.header("Subject").as_deref(),
        Some(
            format!(
                "Ada Admin invited you to {} on Stagepad",
                admin.me.organization.name
            )
            .as_str()
        )
    );
    let message_id = message.header("Message-ID").expect("a Message-ID");
    assert!(message_id.ends_with("@127.0.0.1>"), "{message_id}");
    let link = message
        .link_starting_with(&format!("{}/invite/", app.address))
        .expect("the link in the text part");
    assert_eq!(
        link, created.link,
        "the mailed link is the one the console shows"
    );
    let html = message.part("text/html").expect("an HTML part");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    let mail = invitation_mail(&app, &admin, &email, MailStatus::Sent).await;
    assert_eq!(mail.to, email);
    assert_eq!(mail.requested_by.as_deref(), Some("Ada Admin"));
    assert!(mail.sent_at.is_some() && mail.error.is_none());

    let accept = api::AcceptInvitationRequest {
        name: "Grace Hopper".into(),
        password: PASSWORD.into(),
    };
    let token = TestApp::token_of(&link);
    let me: api::MeResponse = expect_json(
        app.accept_invitation(&new_client(), &token, &accept).await,
        201,
    )
    .await;
    assert_eq!(me.user.email, email);

    let audit: api::AuditPage = expect_json(app.audit(&admin, "").await, 200).await;
    assert!(
        audit.events.iter().any(|e| e.action == "mail_sent"
            && e.detail.contains(&email)
            && e.detail.contains("invitation")),
        "{:?}",
        audit.events
    );
    // The link is a secret: once sent, the database keeps no readable copy of the message.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM mails WHERE body_sealed IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn an_invitation_speaks_the_admins_language() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    let request = api::CreateInvitationRequest {
        email: unique_email("invitee"),
        role: Role::Admin,
    };
    let response = admin
        .client
        .post(app.url("/api/invitations"))
        .header("Accept-Language", FRENCH)
        .json(&request)
        .send()
        .await
        .unwrap();
    let _: api::InvitationCreated = expect_json(response, 201).await;
    let message = &sink.wait_for(1).await[0];
    let subject = message.header("Subject").unwrap();
    // Its words that are not ASCII are encoded as RFC 2047 says.
    assert!(
        subject.starts_with("Ada Admin vous invite ") && subject.contains("=?utf-8?"),
        "{subject}"
    );
    let text = message.text();
    assert!(text.contains("vous invite à rejoindre"), "{text}");
}

#[tokio::test]
async fn a_resent_invitation_carries_a_new_link_and_the_old_one_stops_working() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    let email = unique_email("invitee");
    let first = app.invite(&admin, &email, Role::Member).await;
    sink.wait_for(1).await;
    let path = format!("/api/invitations/{}/resend", first.invitation.id);
    let resent: api::InvitationCreated =
        expect_json(app.post(&admin.client, &path, &()).await, 200).await;
    assert_eq!(resent.invitation.id, first.invitation.id);
    assert_ne!(resent.link, first.link);
    let messages = sink.wait_for(2).await;
    assert_eq!(
        messages[1].link_starting_with(&format!("{}/invite/", app.address)),
        Some(resent.link.clone())
    );
    expect_error(
        app.preview_invitation(&new_client(), &TestApp::token_of(&first.link))
            .await,
        404,
        ErrorCode::InvitationNotFound,
    )
    .await;
    let preview: api::InvitationPreview = expect_json(
        app.preview_invitation(&new_client(), &TestApp::token_of(&resent.link))
            .await,
        200,
    )
    .await;
    assert_eq!(preview.email, email);
    // Members cannot resend.
    let member = app.add_member(&admin, Role::Member).await;
    expect_error(
        app.post(&member.client, &path, &()).await,
        403,
        ErrorCode::AdminOnly,
    )
    .await;
}

#[tokio::test]
async fn a_revoked_invitation_is_not_mailed_once_the_mail_server_is_back() {
    let sink = SmtpSink::start().await;
    let settings = sink.settings();
    let app = spawn_app_with(move |s| {
        settings(s);
        s.jobs.max_attempts = 1_000;
    })
    .await;
    let admin = app.sign_up(Plan::Team).await;
    sink.set_serving(false);
    let revoked = unique_email("revoked");
    let created = app.invite(&admin, &revoked, Role::Member).await;
    // The server is down: the mail waits, and says why.
    let waiting =
        tests::poll::wait_for("the mail to fail once", Duration::from_secs(20), || async {
            pending(&app, &admin)
                .await
                .into_iter()
                .find_map(|i| i.mail)
                .filter(|m| m.status == MailStatus::Queued && m.error.is_some())
        })
        .await;
    assert!(waiting.error.unwrap().contains("421"));
    let response = app.revoke_invitation(&admin, created.invitation.id).await;
    assert_eq!(response.status(), 204);
    sink.set_serving(true);
    let later = unique_email("later");
    app.invite(&admin, &later, Role::Member).await;
    let messages = sink.wait_for(1).await;
    assert_eq!(to(&messages[0]), later);
    invitation_mail(&app, &admin, &later, MailStatus::Sent).await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM mails WHERE status = 'canceled'")
            .await,
        1
    );
    assert!(sink.messages().iter().all(|m| to(m) != revoked));
}

#[tokio::test]
async fn a_password_reset_round_trip_sets_the_password_and_ends_other_sessions() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    let elsewhere = app.log_in_as(&admin.email, PASSWORD).await;

    // An address without an account gets the same answer, and no mail.
    let nobody = ask_reset(&app, &unique_email("nobody")).await;
    assert_eq!(nobody.status(), 202);
    assert_eq!(
        ask_reset(&app, &admin.email.to_uppercase()).await.status(),
        202
    );
    let messages = sink.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(to(&messages[0]), admin.email);
    // No mail row but the admin's.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mails").await, 1);
    assert_eq!(
        messages[0].header("Subject").as_deref(),
        Some("Reset your Stagepad password")
    );
    let link = messages[0]
        .link_starting_with(&format!("{}/reset-password/", app.address))
        .expect("the reset link");
    let token = TestApp::token_of(&link);
    assert!(token.len() >= 43, "at least 256 bits");
    // Only its hash is kept.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM password_resets WHERE token_hash = '{token}'"
        ))
        .await,
        0
    );

    let path = format!("/api/password-reset/{token}");
    let preview: api::PasswordResetPreview =
        expect_json(app.get(&new_client(), &path).await, 200).await;
    assert_eq!(preview.email, admin.email);
    let weak = api::CompletePasswordResetRequest {
        password: "short".into(),
    };
    expect_error(
        app.post(&new_client(), &path, &weak).await,
        422,
        ErrorCode::WeakPassword,
    )
    .await;

    let browser = new_client();
    let good = api::CompletePasswordResetRequest {
        password: NEW_PASSWORD.into(),
    };
    let me: api::MeResponse = expect_json(app.post(&browser, &path, &good).await, 200).await;
    assert_eq!(me.user.email, admin.email);
    let _: api::MeResponse = expect_json(app.me(&browser).await, 200).await;
    // Every other session is over, the link is spent, and only the new password logs in.
    expect_error(app.me(&elsewhere).await, 401, ErrorCode::NotLoggedIn).await;
    expect_error(app.me(&admin.client).await, 401, ErrorCode::NotLoggedIn).await;
    expect_error(
        app.post(&new_client(), &path, &good).await,
        404,
        ErrorCode::ResetLinkNotFound,
    )
    .await;
    assert_eq!(app.log_in(&admin.email, PASSWORD).await.status(), 401);
    assert_eq!(app.log_in(&admin.email, NEW_PASSWORD).await.status(), 200);
    let audit: api::AuditPage = expect_json(
        app.audit(&app.log_in_as(&admin.email, NEW_PASSWORD).await, "")
            .await,
        200,
    )
    .await;
    let actions: Vec<&str> = audit.events.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"password_reset_asked") && actions.contains(&"password_reset"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn only_the_newest_reset_link_works() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    assert_eq!(ask_reset(&app, &admin.email).await.status(), 202);
    assert_eq!(ask_reset(&app, &admin.email).await.status(), 202);
    let messages = sink.wait_for(2).await;
    let prefix = format!("{}/reset-password/", app.address);
    let tokens: Vec<String> = messages
        .iter()
        .map(|m| TestApp::token_of(&m.link_starting_with(&prefix).unwrap()))
        .collect();
    let (older, newer) = match (
        app.get(&new_client(), &format!("/api/password-reset/{}", tokens[0]))
            .await
            .status()
            .as_u16(),
        app.get(&new_client(), &format!("/api/password-reset/{}", tokens[1]))
            .await
            .status()
            .as_u16(),
    ) {
        (404, 200) => (&tokens[0], &tokens[1]),
        (200, 404) => (&tokens[1], &tokens[0]),
        other => panic!("one link works and one does not: {other:?}"),
    };
    let good = api::CompletePasswordResetRequest {
        password: NEW_PASSWORD.into(),
    };
    expect_error(
        app.post(
            &new_client(),
            &format!("/api/password-reset/{older}"),
            &good,
        )
        .await,
        404,
        ErrorCode::ResetLinkNotFound,
    )
    .await;
    let _: api::MeResponse = expect_json(
        app.post(
            &new_client(),
            &format!("/api/password-reset/{newer}"),
            &good,
        )
        .await,
        200,
    )
    .await;
}

#[tokio::test]
async fn a_password_change_closes_the_reset_links_sent_before() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    assert_eq!(ask_reset(&app, &admin.email).await.status(), 202);
    let link = sink.wait_for(1).await[0]
        .link_starting_with(&format!("{}/reset-password/", app.address))
        .unwrap();
    let path = format!("/api/password-reset/{}", TestApp::token_of(&link));
    let change = api::ChangePasswordRequest {
        current_password: PASSWORD.into(),
        new_password: NEW_PASSWORD.into(),
    };
    let changed = app.put(&admin.client, "/api/me/password", &change).await;
    assert!(changed.status().is_success(), "{}", changed.status());
    expect_error(
        app.get(&new_client(), &path).await,
        404,
        ErrorCode::ResetLinkNotFound,
    )
    .await;
}

#[tokio::test]
async fn a_mail_waits_out_a_mail_server_outage_and_arrives_once() {
    let sink = SmtpSink::start().await;
    let settings = sink.settings();
    let app = spawn_app_with(move |s| {
        settings(s);
        s.jobs.max_attempts = 1_000;
    })
    .await;
    let admin = app.sign_up(Plan::Team).await;
    sink.set_serving(false);
    let email = unique_email("patient");
    app.invite(&admin, &email, Role::Member).await;
    invitation_mail(&app, &admin, &email, MailStatus::Queued).await;
    tests::poll::wait_for(
        "a few refused attempts",
        Duration::from_secs(20),
        || async {
            let tried = app
                .count("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'mail' AND attempts >= 2")
                .await;
            (tried == 1).then_some(())
        },
    )
    .await;
    assert!(sink.messages().is_empty());
    sink.set_serving(true);
    // A refusal for now (451) after the data: not taken, so sent again.
    sink.refuse_next(1);
    let messages = sink.wait_for(1).await;
    assert_eq!(to(&messages[0]), email);
    invitation_mail(&app, &admin, &email, MailStatus::Sent).await;
    // A later mail arrives after it, and the first is still there once.
    let other = unique_email("other");
    app.invite(&admin, &other, Role::Member).await;
    let messages = sink.wait_for(2).await;
    assert_eq!(messages.iter().filter(|m| to(m) == email).count(), 1);
}

#[tokio::test]
async fn a_message_whose_answer_is_lost_is_not_sent_twice() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    sink.drop_next_answer(1);
    let email = unique_email("unconfirmed");
    app.invite(&admin, &email, Role::Member).await;
    let mail = invitation_mail(&app, &admin, &email, MailStatus::Unconfirmed).await;
    assert!(mail.error.is_some());
    let other = unique_email("other");
    app.invite(&admin, &other, Role::Member).await;
    invitation_mail(&app, &admin, &other, MailStatus::Sent).await;
    let messages = sink.messages();
    assert_eq!(messages.iter().filter(|m| to(m) == email).count(), 1);
    let audit: api::AuditPage = expect_json(app.audit(&admin, "").await, 200).await;
    assert!(audit.events.iter().any(|e| e.action == "mail_unconfirmed"));
}

#[tokio::test]
async fn a_recipient_and_an_organization_get_a_limited_number_of_mails() {
    let sink = SmtpSink::start().await;
    let settings = sink.settings();
    let app = spawn_app_with(move |s| {
        settings(s);
        s.mail_limits.per_recipient = 2;
        s.mail_limits.per_organization = 3;
    })
    .await;
    let admin = app.sign_up(Plan::Team).await;
    let email = unique_email("flooded");
    let created = app.invite(&admin, &email, Role::Member).await;
    let path = format!("/api/invitations/{}/resend", created.invitation.id);
    let _: api::InvitationCreated =
        expect_json(app.post(&admin.client, &path, &()).await, 200).await;
    let refused = app.post(&admin.client, &path, &()).await;
    assert!(refused.headers().get("retry-after").is_some());
    expect_error(refused, 429, ErrorCode::TooManyRequests).await;
    let member = app.add_member(&admin, Role::Member).await;
    // The organization's limit (3) was reached by the three invitation mails.
    expect_error(
        app.create_invitation(
            &admin,
            &api::CreateInvitationRequest {
                email: unique_email("one-more"),
                role: Role::Member,
            },
        )
        .await,
        429,
        ErrorCode::TooManyRequests,
    )
    .await;
    // A password reset, which anyone may ask for, does not count against the organization:
    // it still reaches the member (their second mail of the hour, within their limit).
    assert_eq!(ask_reset(&app, &member.email).await.status(), 202);
    tests::poll::wait_for("the reset mail", Duration::from_secs(20), || async {
        sink.messages()
            .iter()
            .find(|m| to(m) == member.email && m.text().contains("/reset-password/"))
            .cloned()
    })
    .await;
    // Another organization's mails to the same address are its own to count.
    let other = app.sign_up(Plan::Team).await;
    let _ = app.invite(&other, &email, Role::Member).await;
}

#[tokio::test]
async fn line_breaks_cannot_add_recipients_or_headers() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    for email in [
        "victim@example.com\r\nBcc: attacker@evil.test",
        "victim@example.com\nBcc: attacker@evil.test",
        "victim@example.com, attacker@evil.test",
    ] {
        let request = api::CreateInvitationRequest {
            email: email.into(),
            role: Role::Member,
        };
        expect_error(
            app.create_invitation(&admin, &request).await,
            422,
            ErrorCode::InvalidEmail,
        )
        .await;
        expect_error(ask_reset(&app, email).await, 422, ErrorCode::InvalidEmail).await;
    }
    let rename = api::ChangeNameRequest {
        name: "Ada\r\nBcc: attacker@evil.test".into(),
    };
    expect_error(
        app.put(&admin.client, "/api/me/name", &rename).await,
        422,
        ErrorCode::InvalidField,
    )
    .await;
    let org = api::RenameOrganizationRequest {
        name: "Acme\r\nBcc: attacker@evil.test".into(),
    };
    expect_error(
        app.put(&admin.client, "/api/organization/name", &org).await,
        422,
        ErrorCode::InvalidField,
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mails").await, 0);
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_pads_link_goes_to_the_candidates_lever_address_and_to_interviewers() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let interviewer = app.add_member(&admin, Role::Member).await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    // Lever's names are whatever was typed there: this one tries to add a header.
    let eve = sim
        .create_candidate(NewCandidate {
            name: "Eve\r\nBcc: attacker@evil.test".into(),
            email: "eve@example.com".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_candidate(&eve, &sim.stage_id("Phone interview").await)
        .await;
    let link = app.outcome_for(&admin, &eve).await.pad_link.expect("a pad");
    let pad_id = link.rsplit('/').next().unwrap().to_string();
    let path = format!("/api/pads/{pad_id}/mail");

    let options: api::PadMailOptions =
        expect_json(app.get(&interviewer.client, &path).await, 200).await;
    assert!(options.mail_configured);
    assert_eq!(
        options.candidate_emails,
        vec!["eve@example.com".to_string()]
    );
    assert!(options.members.iter().any(|m| m.id == interviewer.id()));
    assert!(options.sent.is_empty());

    let request = |to: Vec<PadMailRecipient>, when: &str| api::PadMailRequest {
        to,
        message: Some("Looking forward to it.\nBring your questions.".into()),
        when: Some(when.into()),
    };
    let candidate = PadMailRecipient::Candidate {
        email: "Eve@Example.com".into(),
    };
    // Refused: a time with a line break, an address Lever does not have, nobody at all.
    expect_error(
        app.post(
            &interviewer.client,
            &path,
            &request(vec![candidate.clone()], "Tue\r\nBcc: x@evil.test"),
        )
        .await,
        422,
        ErrorCode::InvalidField,
    )
    .await;
    let stranger = PadMailRecipient::Candidate {
        email: "attacker@evil.test".into(),
    };
    expect_error(
        app.post(
            &interviewer.client,
            &path,
            &request(vec![stranger], "Tuesday"),
        )
        .await,
        422,
        ErrorCode::NoMailRecipient,
    )
    .await;
    expect_error(
        app.post(&interviewer.client, &path, &request(vec![], "Tuesday"))
            .await,
        422,
        ErrorCode::NoMailRecipient,
    )
    .await;

    let to_admin = PadMailRecipient::Member {
        user_id: admin.id(),
    };
    let queued: Vec<api::MailView> = expect_json(
        app.post(
            &interviewer.client,
            &path,
            // Each address once, however often the request names it.
            &request(
                vec![
                    candidate,
                    PadMailRecipient::Candidate {
                        email: "eve@example.com".into(),
                    },
                    to_admin.clone(),
                    to_admin,
                ],
                "Tuesday 3 pm CET",
            ),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(queued.len(), 2);
    // (The interviewer's invitation may have gone out before, or been canceled by the accept.)
    let messages = tests::poll::wait_for("the two pad mails", Duration::from_secs(20), || async {
        let messages: Vec<Received> = sink
            .messages()
            .into_iter()
            .filter(|m| m.text().contains(&link))
            .collect();
        (messages.len() >= 2).then_some(messages)
    })
    .await;
    assert_eq!(messages.len(), 2);
    let to_eve = messages
        .iter()
        .find(|m| to(m) == "eve@example.com")
        .unwrap();
    assert_eq!(to_eve.to, vec!["eve@example.com".to_string()]);
    assert_eq!(to_eve.header("Bcc"), None);
    assert!(!to_eve.data.contains("\r\nBcc:"), "{}", to_eve.data);
    let text = to_eve.text();
    assert!(
        text.contains("Hello Eve Bcc: attacker@evil.test,"),
        "{text}"
    );
    assert!(text.contains("When: Tuesday 3 pm CET"), "{text}");
    assert!(
        text.contains("Looking forward to it.\nBring your questions."),
        "{text}"
    );
    assert!(text.contains(&link), "{text}");
    let to_admin = messages.iter().find(|m| to(m) == admin.email).unwrap();
    assert!(
        to_admin
            .header("Subject")
            .unwrap()
            .starts_with("Interview pad: Eve Bcc:"),
        "{:?}",
        to_admin.header("Subject")
    );
    // Each sending is recorded on the pad.
    let options = tests::poll::wait_for("both mails sent", Duration::from_secs(20), || async {
        let options: api::PadMailOptions =
            expect_json(app.get(&admin.client, &path).await, 200).await;
        (options
            .sent
            .iter()
            .filter(|m| m.status == MailStatus::Sent)
            .count()
            == 2)
            .then_some(options)
    })
    .await;
    assert!(
        options
            .sent
            .iter()
            .all(|m| m.requested_by.as_deref() == Some("Grace Member"))
    );
    // Another organization's member cannot reach the pad.
    let outsider = app.sign_up(Plan::Enterprise).await;
    expect_error(
        app.get(&outsider.client, &path).await,
        404,
        ErrorCode::NotFound,
    )
    .await;
}

#[tokio::test]
async fn the_lever_option_mails_a_new_pads_link_to_the_candidate() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let setup = tests::lever::setup_of(&app, &admin).await;
    assert!(!setup.email_candidate_link, "off by default");
    let stage = sim.stage_id("Phone interview").await;
    let candidate = |name: &str, email: &str| NewCandidate {
        name: name.into(),
        email: email.into(),
        tags: vec!["coderpad".into()],
        ..Default::default()
    };

    // Off: the pad is made and nothing is mailed (the mail would be written with the pad).
    let ada = sim
        .create_candidate(candidate("Ada", "ada@example.com"))
        .await;
    sim.move_candidate(&ada, &stage).await;
    app.outcome_for(&admin, &ada).await.pad_link.expect("a pad");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mails").await, 0);

    let options = api::LeverOptionsRequest {
        tag: setup.tag.clone(),
        notes_enabled: setup.notes_enabled,
        results_notes_enabled: setup.results_notes_enabled,
        email_candidate_link: true,
    };
    let saved: api::LeverSetup = expect_json(
        app.put(&admin.client, "/api/lever/options", &options).await,
        200,
    )
    .await;
    assert!(saved.email_candidate_link);

    let grace = sim
        .create_candidate(candidate("Grace", "grace@example.com"))
        .await;
    sim.move_candidate(&grace, &stage).await;
    let link = app
        .outcome_for(&admin, &grace)
        .await
        .pad_link
        .expect("a pad");
    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0].to, vec!["grace@example.com".to_string()]);
    // A candidate Lever has no address for still gets a pad, and no mail.
    let ghost = sim
        .create_candidate(NewCandidate {
            null_fields: vec!["emails".into()],
            ..candidate("Ghost", "")
        })
        .await;
    sim.move_candidate(&ghost, &stage).await;
    app.outcome_for(&admin, &ghost)
        .await
        .pad_link
        .expect("a pad");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mails").await, 1);
    let text = messages[0].text();
    assert!(
        text.contains("Hello Grace,") && text.contains(&link),
        "{text}"
    );
    let pad_id = link.rsplit('/').next().unwrap();
    let options: api::PadMailOptions = expect_json(
        app.get(&admin.client, &format!("/api/pads/{pad_id}/mail"))
            .await,
        200,
    )
    .await;
    assert_eq!(options.sent.len(), 1);
    assert_eq!(options.sent[0].requested_by, None);
}

/// A pad not made from Lever, and the path that e-mails its link.
async fn plain_pad_mail_path(app: &TestApp, admin: &tests::accounts::Account) -> String {
    let request = api::NewPadRequest {
        candidate_name: "Ada".into(),
        job_title: None,
        language: None,
    };
    let created: api::PadSummary =
        expect_json(app.post(&admin.client, "/api/pads", &request).await, 201).await;
    format!("/api/pads/{}/mail", created.id)
}

/// E-mail a pad's link to one member, with no message.
fn to_member(user_id: api::UserId) -> api::PadMailRequest {
    api::PadMailRequest {
        to: vec![PadMailRecipient::Member { user_id }],
        message: None,
        when: None,
    }
}

/// Mail settings for the sink with a short SMTP step time, for the tests of a silent server.
fn impatient(sink: &SmtpSink) -> impl Fn(&mut server::Settings) + Send + Sync + 'static {
    let settings = sink.settings();
    move |s| {
        settings(s);
        if let Some(mail) = s.mail.as_mut() {
            mail.server.step_timeout = Duration::from_secs(2);
        }
    }
}

#[tokio::test]
async fn a_mail_server_that_hangs_after_the_message_is_not_sent_to_twice() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(impatient(&sink)).await;
    let admin = app.sign_up(Plan::Team).await;
    sink.hang_next_answer(1);
    let email = unique_email("hung");
    app.invite(&admin, &email, Role::Member).await;
    // The whole message went out and no answer came: it may have arrived, so it is not sent
    // again, and the job slot is free for the next mail.
    let mail = invitation_mail(&app, &admin, &email, MailStatus::Unconfirmed).await;
    assert!(mail.error.is_some());
    let other = unique_email("next");
    app.invite(&admin, &other, Role::Member).await;
    invitation_mail(&app, &admin, &other, MailStatus::Sent).await;
    assert_eq!(sink.messages().iter().filter(|m| to(m) == email).count(), 1);
}

#[tokio::test]
async fn a_mail_whose_instance_stopped_mid_send_is_not_sent_again_after_the_restart() {
    let sink = SmtpSink::start().await;
    let settings = sink.settings();
    // Slow enough that the instance stops while the mail server is still silent.
    let app = spawn_app_with(move |s| {
        settings(s);
        if let Some(mail) = s.mail.as_mut() {
            mail.server.step_timeout = Duration::from_secs(30);
        }
    })
    .await;
    let admin = app.sign_up(Plan::Team).await;
    sink.hang_next_answer(1);
    let email = unique_email("interrupted");
    app.invite(&admin, &email, Role::Member).await;
    sink.wait_for(1).await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM mails WHERE status = 'sending'")
            .await,
        1
    );
    let app = app.restart().await;
    // The job runs again (its lease ran out, or the restart requeued it), finds the mail
    // handed over without an answer, and does not send it again.
    tests::poll::wait_for(
        "the mail to be unconfirmed",
        Duration::from_secs(20),
        || async {
            let unconfirmed = app
                .count("SELECT COUNT(*) AS n FROM mails WHERE status = 'unconfirmed'")
                .await;
            (unconfirmed == 1).then_some(())
        },
    )
    .await;
    let other = unique_email("after");
    let admin_client = app.log_in_as(&admin.email, PASSWORD).await;
    let request = api::CreateInvitationRequest {
        email: other.clone(),
        role: Role::Member,
    };
    let _: api::InvitationCreated = expect_json(
        app.post(&admin_client, "/api/invitations", &request).await,
        201,
    )
    .await;
    let messages = sink.wait_for(2).await;
    assert_eq!(messages.iter().filter(|m| to(m) == email).count(), 1);
}

#[tokio::test]
async fn another_organization_cannot_mail_a_pad_or_be_mailed_from_it() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    let outsider = app.sign_up(Plan::Team).await;
    let path = plain_pad_mail_path(&app, &admin).await;
    let to_outsider = to_member(outsider.id());
    // A member of another organization is nobody here.
    expect_error(
        app.post(&admin.client, &path, &to_outsider).await,
        422,
        ErrorCode::NoMailRecipient,
    )
    .await;
    let to_admin = to_member(admin.id());
    // And another organization's member cannot reach this pad at all.
    expect_error(
        app.post(&outsider.client, &path, &to_admin).await,
        404,
        ErrorCode::NotFound,
    )
    .await;
    // A pad not made from Lever has no candidate address to mail.
    let to_candidate = api::PadMailRequest {
        to: vec![PadMailRecipient::Candidate {
            email: "ada@example.com".into(),
        }],
        message: None,
        when: None,
    };
    expect_error(
        app.post(&admin.client, &path, &to_candidate).await,
        422,
        ErrorCode::NoMailRecipient,
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mails").await, 0);
}

#[tokio::test]
async fn an_instance_without_a_mail_server_leaves_mail_to_one_that_has_one() {
    let sink = SmtpSink::start().await;
    let settings = sink.settings();
    // First an instance that queues a mail and runs no job at all.
    let app = spawn_app_with(move |s| {
        settings(s);
        s.jobs.concurrency = 0;
    })
    .await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let email = unique_email("waiting");
    app.invite(&admin, &email, Role::Member).await;
    // Several instances share one database on PostgreSQL only; on SQLite the one instance
    // fails its mail and says why.
    if !app.uses_postgres() {
        let app = app
            .restart_with(|s| {
                s.mail = None;
                s.jobs.concurrency = 8;
                s.jobs.max_attempts = 2;
            })
            .await;
        let failed = invitation_mail(&app, &admin, &email, MailStatus::Failed).await;
        let why = failed.error.expect("why it failed");
        assert!(why.contains("no mail server configured"), "{why}");
        return;
    }
    // Then the same data, served by an instance whose settings name no mail server.
    let app = app
        .restart_with(|s| {
            s.mail = None;
            s.jobs.concurrency = 8;
        })
        .await;
    // Its worker runs the organization's other jobs (a Lever stage change, queued after the
    // mail, which is due)...
    let sim = LeverSim::start().await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let ada = sim
        .create_candidate(NewCandidate {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_candidate(&ada, &sim.stage_id("Phone interview").await)
        .await;
    app.outcome_for(&admin, &ada).await.pad_link.expect("a pad");
    // ...but leaves the mail alone: it neither spends its attempts nor buries it.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'mail' AND attempts = 0")
            .await,
        1
    );
    // An instance with the mail server sends it.
    let app = app.restart_with(sink.settings()).await;
    let messages = sink.wait_for(1).await;
    assert_eq!(to(&messages[0]), email);
    invitation_mail(&app, &admin, &email, MailStatus::Sent).await;
}

#[tokio::test]
async fn mails_done_with_leave_with_the_deliveries_retention_and_queued_ones_stay() {
    use server::retention::{RetentionSettings, sweep};
    let sink = SmtpSink::start().await;
    let settings = sink.settings();
    let app = spawn_app_with(move |s| {
        settings(s);
        s.jobs.max_attempts = 1_000;
    })
    .await;
    let admin = app.sign_up(Plan::Team).await;
    let sent = unique_email("sent");
    app.invite(&admin, &sent, Role::Member).await;
    invitation_mail(&app, &admin, &sent, MailStatus::Sent).await;
    sink.set_serving(false);
    let waiting = unique_email("waiting");
    app.invite(&admin, &waiting, Role::Member).await;
    invitation_mail(&app, &admin, &waiting, MailStatus::Queued).await;

    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    let retention = RetentionSettings::default();
    assert_eq!(
        sweep(&db, &retention, now).await.unwrap().mails,
        0,
        "too young"
    );
    let later = now + time::Duration::days(i64::from(retention.delivery_days) + 1);
    assert_eq!(sweep(&db, &retention, later).await.unwrap().mails, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM mails WHERE status = 'queued'")
            .await,
        1,
        "a mail still to send stays"
    );
}

#[tokio::test]
async fn requests_at_once_cannot_pass_the_limits_together() {
    let sink = SmtpSink::start().await;
    let settings = sink.settings();
    let app = spawn_app_with(move |s| {
        settings(s);
        s.mail_limits.per_recipient = 2;
    })
    .await;
    let admin = app.sign_up(Plan::Team).await;
    let path = plain_pad_mail_path(&app, &admin).await;
    let request = to_member(admin.id());
    let statuses = futures_util::future::join_all((0..20).map(|_| async {
        app.post(&admin.client, &path, &request)
            .await
            .status()
            .as_u16()
    }))
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        18,
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM mails").await, 2);
}
