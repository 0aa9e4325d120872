//! The operators' commands as the server lives them: a master key rotated under running
//! servers, and an organization disabled and enabled again. (The binary's own output is
//! tested in server/tests/admin.rs.)

use std::time::Duration;

use api::{ErrorCode, Plan, Role};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter};
use server::admin::{OrgChange, rotate, set_disabled};
use server::secrets::{Keyring, MasterKey};
use tests::lever::send_stage_change;
use tests::lever_sim::LeverSim;
use tests::poll::wait_for;
use tests::smtp_sink::SmtpSink;
use tests::{expect_error, expect_json, spawn_app_with};

/// What the server can do only with its Lever secrets opened: call Lever with the API key
/// (stages), show the webhook URL (its key) and accept a signed delivery (the token).
async fn secrets_work(
    app: &tests::TestApp,
    admin: &tests::Account,
    lever: &tests::lever::ConnectedLever,
) {
    let _: api::LeverStagesResponse = expect_json(app.lever_stages(admin).await, 200).await;
    let webhook: api::LeverWebhookResponse = expect_json(app.lever_webhook(admin).await, 200).await;
    let url = webhook.url.clone();
    let answer = send_stage_change(
        &app.client,
        &url,
        &lever.signature_token,
        &format!("opp-{}", uuid::Uuid::new_v4().simple()),
        "not-a-selected-stage",
    )
    .await;
    assert_eq!(answer.status(), 200, "a signed delivery is accepted");
}

#[tokio::test]
async fn a_rotated_master_key_reads_every_secret_while_and_after_servers_run() {
    let app = spawn_app_with(|_| {}).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let old = app.master_key.clone();
    let new = MasterKey::generate();

    // Step 1: the server runs with the new key, the old one as previous; old secrets open.
    let previous = old.clone();
    let app = app
        .stop()
        .await
        .start_with_key(new.clone(), move |s| {
            s.previous_master_keys = vec![previous.clone()]
        })
        .await;
    secrets_work(&app, &admin_again(&app, &admin).await, &lever).await;

    // Step 2: the rotation, while that server runs; then again (nothing left to do).
    let db = Database::connect(&app.database_url).await.unwrap();
    let keyring = Keyring::new(new.clone(), vec![old.clone()]);
    let rotated = rotate(&db, &keyring).await.unwrap();
    assert_eq!(
        rotated.lever_secrets, 3,
        "API key, webhook key, token: {rotated:?}"
    );
    assert!(rotated.unreadable.is_empty(), "{rotated:?}");
    let again = rotate(&db, &keyring).await.unwrap();
    assert_eq!(
        (again.lever_secrets, again.already_current),
        (0, 3),
        "{again:?}"
    );
    // The old key alone opens nothing any more: an error naming each, never a success.
    let old_only = rotate(&db, &Keyring::new(old.clone(), vec![]))
        .await
        .unwrap_err()
        .to_string();
    assert!(old_only.contains("3 could not be opened"), "{old_only}");
    for field in ["api_key", "webhook_key", "signature_token"] {
        assert!(
            old_only.contains(&format!("the Lever {field}")),
            "{old_only}"
        );
    }
    db.close().await.ok();
    let admin = admin_again(&app, &admin).await;
    secrets_work(&app, &admin, &lever).await;

    // Step 3: restarted with the new key only, it still reads every secret.
    let app = app
        .stop()
        .await
        .start_with_key(new, |s| s.previous_master_keys.clear())
        .await;
    secrets_work(&app, &admin_again(&app, &admin).await, &lever).await;
}

/// A server still running with the old key saves the Lever API key again (under the old key)
/// right after the rotation sealed it anew: a trigger plays that server, at every rewrite.
/// The rotation must say what is left under the old key, not claim success.
#[tokio::test]
async fn a_rotation_does_not_claim_success_while_a_server_seals_under_the_old_key() {
    let app = spawn_app_with(|_| {}).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let old = app.master_key.clone();
    let new = MasterKey::generate();
    let db = Database::connect(&app.database_url).await.unwrap();
    let old_key_server = if app.uses_postgres() {
        vec![
            "CREATE FUNCTION old_key_server() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF pg_trigger_depth() = 1 THEN \
                 UPDATE lever_integrations SET api_key_sealed = OLD.api_key_sealed \
                 WHERE org_id = NEW.org_id; \
               END IF; RETURN NULL; END $$",
            "CREATE TRIGGER old_key_server AFTER UPDATE OF api_key_sealed ON lever_integrations \
             FOR EACH ROW EXECUTE FUNCTION old_key_server()",
        ]
    } else {
        // SQLite runs no trigger from a trigger's own update (recursive_triggers is off).
        vec![
            "CREATE TRIGGER old_key_server AFTER UPDATE OF api_key_sealed ON lever_integrations \
             BEGIN UPDATE lever_integrations SET api_key_sealed = OLD.api_key_sealed \
             WHERE org_id = NEW.org_id; END",
        ]
    };
    for statement in old_key_server {
        db.execute_unprepared(statement).await.unwrap();
    }
    let keyring = Keyring::new(new.clone(), vec![old.clone()]);
    let error = rotate(&db, &keyring).await.unwrap_err().to_string();
    let org_id = admin.me.organization.id;
    assert!(
        error.contains(&format!(
            "the Lever api_key of organization {org_id} (sealed with key {})",
            old.id()
        )),
        "{error}"
    );
    assert!(error.contains("still runs with an old"), "{error}");
    assert!(
        !error.contains("webhook_key"),
        "those were sealed anew: {error}"
    );

    // Once that server is gone, the rotation finishes.
    let drop = if app.uses_postgres() {
        "DROP TRIGGER old_key_server ON lever_integrations"
    } else {
        "DROP TRIGGER old_key_server"
    };
    db.execute_unprepared(drop).await.unwrap();
    let rotated = rotate(&db, &keyring).await.unwrap();
    assert_eq!(rotated.lever_secrets, 1, "{rotated:?}");
    db.close().await.ok();
}

/// The same person logged in again on a restarted server (a new port: cookies do not follow).
async fn admin_again(app: &tests::TestApp, admin: &tests::Account) -> tests::Account {
    let client = app.log_in_as(&admin.email, &admin.password).await;
    let me = expect_json(app.me(&client).await, 200).await;
    tests::Account {
        client,
        me,
        email: admin.email.clone(),
        password: admin.password.clone(),
    }
}

/// On PostgreSQL the webhook keeps what it read for an hour, so the refusal can only come from
/// the change being told to it at once.
fn long_cache_on_postgres(settings: &mut server::Settings) {
    if !settings.uses_sqlite() {
        settings.lever_webhook_cache_ttl = Duration::from_secs(3600);
    }
}

#[tokio::test]
async fn a_disabled_organization_is_refused_everywhere_until_enabled_again() {
    let app = spawn_app_with(long_cache_on_postgres).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let other = app.sign_up(Plan::Team).await;
    let request = api::NewPadRequest {
        candidate_name: "Ada".into(),
        job_title: None,
        language: Some("python".into()),
    };
    let pad: api::PadSummary = expect_json(app.create_pad(&admin, &request).await, 201).await;
    let deliver = || {
        send_stage_change(
            &app.client,
            &lever.url,
            &lever.signature_token,
            "opp-disabled",
            "not-a-selected-stage",
        )
    };
    assert_eq!(deliver().await.status(), 200);
    let org_id = admin.me.organization.id;
    // An invitation sent before (its link copied: no mail server here).
    let invited = app
        .invite(
            &admin,
            &tests::accounts::unique_email("invitee"),
            Role::Member,
        )
        .await;
    let invitation_token = tests::TestApp::token_of(&invited.link);
    let accept = api::AcceptInvitationRequest {
        name: "Late Joiner".into(),
        password: tests::PASSWORD.into(),
    };

    let db = Database::connect(&app.database_url).await.unwrap();
    let (_, changed) = set_disabled(&db, org_id, OrgChange::Disable).await.unwrap();
    assert!(changed);
    let (_, changed) = set_disabled(&db, org_id, OrgChange::Disable).await.unwrap();
    assert!(!changed, "disabling twice changes nothing");
    assert!(
        set_disabled(&db, api::OrgId::random(), OrgChange::Disable)
            .await
            .unwrap_err()
            .to_string()
            .contains("no organization has the id")
    );

    // The open session ends, saying why; log-in is refused.
    expect_error(
        app.me(&admin.client).await,
        401,
        ErrorCode::OrganizationDisabled,
    )
    .await;
    expect_error(
        app.log_in(&admin.email, &admin.password).await,
        403,
        ErrorCode::OrganizationDisabled,
    )
    .await;
    // The pad's link, for the candidate too.
    let outsider = app.new_client();
    expect_error(
        app.view_pad(&outsider, &pad.id).await,
        403,
        ErrorCode::OrganizationDisabled,
    )
    .await;
    let socket = outsider
        .get(app.url(&format!("/api/pads/{}/socket", pad.id)))
        .send()
        .await
        .unwrap();
    expect_error(socket, 403, ErrorCode::OrganizationDisabled).await;
    // To a member of another organization, the pad does not exist (not: it is disabled).
    expect_error(app.end_pad(&other, &pad.id).await, 404, ErrorCode::NotFound).await;
    // The invitation's link is refused, and not used up.
    expect_error(
        app.accept_invitation(&app.new_client(), &invitation_token, &accept)
            .await,
        403,
        ErrorCode::OrganizationDisabled,
    )
    .await;
    // Lever's deliveries: at once on PostgreSQL (told), within the cache's second on SQLite.
    let refused = if app.uses_postgres() {
        deliver().await
    } else {
        wait_for("the webhook to refuse", Duration::from_secs(5), || async {
            let answer = deliver().await;
            (answer.status() != 200).then_some(answer)
        })
        .await
    };
    expect_error(refused, 403, ErrorCode::OrganizationDisabled).await;
    // Other organizations go on.
    let _: api::MeResponse = expect_json(app.me(&other.client).await, 200).await;

    let (_, changed) = set_disabled(&db, org_id, OrgChange::Enable).await.unwrap();
    assert!(changed);
    db.close().await.ok();
    let admin_client = app.log_in_as(&admin.email, &admin.password).await;
    let _: api::PadView = expect_json(app.view_pad(&outsider, &pad.id).await, 200).await;
    let _: api::MeResponse = expect_json(
        app.accept_invitation(&app.new_client(), &invitation_token, &accept)
            .await,
        201,
    )
    .await;
    let page: api::AuditPage = expect_json(app.audit(&admin_client, "").await, 200).await;
    let actions: Vec<&str> = page.events.iter().map(|e| e.action.as_str()).collect();
    let disabled = page
        .events
        .iter()
        .find(|e| e.action == "organization_disabled")
        .expect("the disable is audited");
    assert!(
        disabled.detail.contains("Disabled the organization"),
        "{}",
        disabled.detail
    );
    assert!(actions.contains(&"organization_enabled"), "{actions:?}");
    assert!(
        page.events
            .iter()
            .any(|e| e.action == "login_failed" && e.detail.contains("disabled")),
        "the refused log-in is audited: {actions:?}"
    );
    let answer = if app.uses_postgres() {
        deliver().await
    } else {
        wait_for(
            "the webhook to accept again",
            Duration::from_secs(5),
            || async {
                let answer = deliver().await;
                (answer.status() == 200).then_some(answer)
            },
        )
        .await
    };
    assert_eq!(answer.status(), 200);
}

/// A disabled organization's queued work (here its mail) waits: not sent, not buried, and no
/// new password reset link is mailed nor an old one usable; enabled again, the work is done.
#[tokio::test]
async fn a_disabled_organizations_jobs_wait_until_it_is_enabled() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(Plan::Team).await;
    let other = app.sign_up(Plan::Team).await;
    let org_id = admin.me.organization.id;
    // A reset link mailed before the organization is disabled.
    let ask_reset = |email: String| {
        let app = &app;
        async move {
            let request = api::PasswordResetRequest { email };
            app.post(&app.new_client(), "/api/password-reset", &request)
                .await
        }
    };
    assert_eq!(ask_reset(admin.email.clone()).await.status(), 202);
    let reset_link = sink.wait_for(1).await[0]
        .link_starting_with(&format!("{}/reset-password/", app.address))
        .expect("the reset link");
    let reset_path = format!(
        "/api/password-reset/{}",
        tests::TestApp::token_of(&reset_link)
    );

    // The mail server is down: the invitation's mail fails and waits for its retry.
    sink.set_serving(false);
    let email = tests::accounts::unique_email("waiting");
    app.invite(&admin, &email, Role::Member).await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let mail_jobs = || async {
        entity::job::Entity::find()
            .filter(entity::job::Column::OrgId.eq(org_id))
            .filter(entity::job::Column::Kind.eq(entity::job::Kind::Mail))
            // The reset link's mail went already.
            .filter(entity::job::Column::Status.ne(entity::job::Status::Done))
            .all(&db)
            .await
            .unwrap()
    };
    let queued_attempts = || async {
        let jobs = mail_jobs().await;
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        (jobs[0].status == entity::job::Status::Queued).then_some(jobs[0].attempts)
    };
    wait_for(
        "the mail's first run to fail",
        Duration::from_secs(20),
        || async { queued_attempts().await.filter(|attempts| *attempts >= 1) },
    )
    .await;
    set_disabled(&db, org_id, OrgChange::Disable).await.unwrap();
    // Disabled between the query above and the next claim, it may have run once more.
    let before = wait_for("the mail to wait", Duration::from_secs(5), queued_attempts).await;
    sink.set_serving(true);
    // Past the retry's time (500 ms at most here), the worker runs another organization's
    // mail, queued later: a due job of the disabled one would have been claimed with it.
    let retried_by = std::time::Instant::now() + Duration::from_millis(600);
    while std::time::Instant::now() < retried_by {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let control = tests::accounts::unique_email("control");
    app.invite(&other, &control, Role::Member).await;
    wait_for(
        "the other organization's mail",
        Duration::from_secs(20),
        || async {
            sink.messages()
                .iter()
                .any(|m| m.to.contains(&control))
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        queued_attempts().await,
        Some(before),
        "the disabled organization's mail neither ran nor was buried"
    );
    assert!(!sink.messages().iter().any(|m| m.to.contains(&email)));
    // No new reset link is mailed, and the one mailed before is refused (not used up).
    let mailed = sink.messages().len();
    assert_eq!(ask_reset(admin.email.clone()).await.status(), 202);
    expect_error(
        app.get(&app.new_client(), &reset_path).await,
        403,
        ErrorCode::OrganizationDisabled,
    )
    .await;
    let new_password = api::CompletePasswordResetRequest {
        password: "a brand new passphrase, long enough".into(),
    };
    expect_error(
        app.post(&app.new_client(), &reset_path, &new_password)
            .await,
        403,
        ErrorCode::OrganizationDisabled,
    )
    .await;

    set_disabled(&db, org_id, OrgChange::Enable).await.unwrap();
    wait_for(
        "the waiting mail to go",
        Duration::from_secs(20),
        || async {
            sink.messages()
                .iter()
                .any(|m| m.to.contains(&email))
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        sink.messages().len(),
        mailed + 1,
        "the reset asked while disabled mailed nothing"
    );
    let _: api::MeResponse = expect_json(
        app.post(&app.new_client(), &reset_path, &new_password)
            .await,
        200,
    )
    .await;
}
