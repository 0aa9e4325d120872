//! The operators' commands as the server lives them: a master key rotated under running
//! servers, and an organization disabled and enabled again. (The binary's own output is
//! tested in server/tests/admin.rs.)

use std::time::Duration;

use api::{ErrorCode, Plan};
use sea_orm::Database;
use server::admin::{OrgChange, rotate, set_disabled};
use server::secrets::{Keyring, MasterKey};
use tests::lever::send_stage_change;
use tests::lever_sim::LeverSim;
use tests::poll::wait_for;
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
    // The old key alone opens nothing any more.
    let old_only = rotate(&db, &Keyring::new(old.clone(), vec![]))
        .await
        .unwrap();
    assert_eq!(old_only.unreadable.len(), 3, "{old_only:?}");
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
