//! The Lever setup against real Lever's rules (issue 11): https-only webhooks, permission probes
//! that a 404 cannot fool, and confidential candidates.

use api::{ErrorCode, Plan};
use tests::accounts::{Account, assert_varies_by_language, expect_json};
use tests::lever::{save_key, setup_of};
use tests::lever_sim::{LeverSim, NewOpportunity, PERMISSIONS};
use tests::{TestApp, expect_error, spawn_app, spawn_app_with};

const PHONE: &str = "Phone interview";

// ---- point 7: Lever delivers only to https ----

#[tokio::test]
async fn an_http_public_url_is_warned_about_at_step_3_without_blocking() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let key = sim.create_api_key(None).await;
    let saved: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &key).await, 200).await;
    assert!(saved.credentials.done);
    let webhook = setup_of(&app, &admin).await.webhook;
    assert!(
        webhook
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("http://")),
        "the URL is still given for local tries: {webhook:?}"
    );
    let warning = webhook
        .https_warning
        .expect("a warning for an http public URL");
    for words in ["https", "STAGEPAD_PUBLIC_URL", "Behind a reverse proxy"] {
        assert!(warning.contains(words), "{words:?} in {warning}");
    }
    // In the language the console asks for, as its error messages are.
    let french = app.get_in_french(&admin.client, "/api/lever/setup").await;
    assert_varies_by_language(&french);
    let french: api::LeverSetup = expect_json(french, 200).await;
    let warning = french.webhook.https_warning.expect("the warning in French");
    assert!(
        warning.starts_with("Lever n'envoie ses webhooks qu'à des adresses https"),
        "{warning}"
    );
    assert!(warning.contains("STAGEPAD_PUBLIC_URL"), "{warning}");
}

#[tokio::test]
async fn an_https_public_url_gets_no_warning() {
    let app = spawn_app_with(|settings| {
        settings.public_url = "https://pads.example.com".into();
    })
    .await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let key = sim.create_api_key(None).await;
    let _: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &key).await, 200).await;
    let webhook = setup_of(&app, &admin).await.webhook;
    assert!(
        webhook
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://pads.example.com/webhooks/lever/")),
        "{webhook:?}"
    );
    assert_eq!(webhook.https_warning, None);
}

// ---- point 6: permission probes a 404 cannot fool, and writes refused after setup ----

const ALL_BUT_READ_POSTINGS: [&str; 5] = [
    "read_stages",
    "read_opportunities",
    "read_users",
    "add_links",
    "create_notes",
];

#[tokio::test]
async fn a_key_without_read_postings_is_reported_missing_at_step_1() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    // Lever answers 404 for a made-up posting id before checking the permission.
    let key = sim.create_api_key(Some(&ALL_BUT_READ_POSTINGS)).await;
    let message = expect_error(
        save_key(&app, &admin, &sim, &key).await,
        422,
        ErrorCode::LeverPermissionsMissing,
    )
    .await;
    assert!(message.contains("Read postings"), "{message}");
    assert!(!message.contains("Read opportunities"), "{message}");
    assert!(!setup_of(&app, &admin).await.credentials.done);

    let no_opportunities = sim
        .create_api_key(Some(&[
            "read_stages",
            "read_postings",
            "add_links",
            "create_notes",
        ]))
        .await;
    let message = expect_error(
        save_key(&app, &admin, &sim, &no_opportunities).await,
        422,
        ErrorCode::LeverPermissionsMissing,
    )
    .await;
    assert!(message.contains("Read opportunities"), "{message}");
}

#[tokio::test]
async fn a_key_that_loses_the_notes_permission_shows_it_after_the_first_refused_write() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    assert_eq!(
        setup_of(&app, &admin).await.credentials.permission_missing,
        None
    );

    let mut reduced: Vec<&str> = PERMISSIONS.to_vec();
    reduced.retain(|p| *p != "create_notes");
    sim.set_key_permissions(&lever.api_key, &reduced).await;
    let candidate = sim
        .create_opportunity(NewOpportunity {
            name: "Ada Lovelace".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_opportunity(&candidate, &sim.stage_id(PHONE).await)
        .await;
    let delivery = app.outcome_for(&admin, &candidate).await;
    assert_eq!(delivery.status, api::DeliveryStatus::Dead, "{delivery:?}");
    let setup = setup_of(&app, &admin).await;
    let missing = setup
        .credentials
        .permission_missing
        .expect("the refused note shows on the setup");
    assert!(missing.contains("Create notes"), "{missing}");
    assert!(setup.credentials.done, "the key itself still works");
    // Stored when Lever refused, worded when read: in French for a French reader.
    let french: api::LeverSetup = expect_json(
        app.get_in_french(&admin.client, "/api/lever/setup").await,
        200,
    )
    .await;
    let french = french.credentials.permission_missing.unwrap_or_default();
    assert!(
        french.starts_with("Lever a refusé") && french.contains("Create notes"),
        "{french}"
    );

    // Given back in Lever and saved again: the state clears.
    sim.set_key_permissions(&lever.api_key, &PERMISSIONS).await;
    let saved: api::LeverSetup =
        expect_json(save_key(&app, &admin, &sim, &lever.api_key).await, 200).await;
    assert_eq!(saved.credentials.permission_missing, None);
}

// ---- point 1: confidential candidates ----

/// A tagged candidate of a confidential job, moved into the selected stage: the delivery's
/// outcome.
async fn confidential_candidate_moved(
    app: &TestApp,
    sim: &LeverSim,
    admin: &Account,
) -> api::LeverDelivery {
    let secret_job = sim
        .create_confidential_posting("Stealth CTO", &["coderpad"])
        .await;
    let candidate = sim
        .create_opportunity(NewOpportunity {
            name: "Grace Hopper".into(),
            tags: vec!["coderpad".into()],
            posting_id: Some(secret_job),
            ..Default::default()
        })
        .await;
    sim.move_opportunity(&candidate, &sim.stage_id(PHONE).await)
        .await;
    app.outcome_for(admin, &candidate).await
}

#[tokio::test]
async fn a_confidential_candidates_delivery_says_to_create_a_key_with_confidential_access() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    // Keys are created without confidential access unless asked.
    let _lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    let delivery = confidential_candidate_moved(&app, &sim, &admin).await;
    assert_eq!(delivery.status, api::DeliveryStatus::Dead, "{delivery:?}");
    let error = delivery.error.expect("why it failed");
    assert!(
        error.starts_with("Confidential candidate") && error.contains("new API key"),
        "{error}"
    );
    assert!(
        error.contains("Allow access to confidential data"),
        "{error}"
    );
    assert!(
        !error.contains("edit") && !error.contains("not allowed"),
        "{error}"
    );
    assert!(app.pads(&admin).await.is_empty());

    // Stored when it happened, worded when read: a French reader reads it in French.
    let french: api::LeverDeliveriesResponse = expect_json(
        app.get_in_french(&admin.client, "/api/lever/deliveries?limit=200")
            .await,
        200,
    )
    .await;
    let french = french
        .deliveries
        .into_iter()
        .find(|d| d.id == delivery.id)
        .and_then(|d| d.error)
        .expect("the same error");
    assert!(
        french.starts_with("Candidat confidentiel") && french.contains("nouvelle clé d'API"),
        "{french}"
    );
}

#[tokio::test]
async fn step_1_reports_whether_the_key_has_confidential_access() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    sim.create_confidential_posting("Stealth CTO", &[]).await;

    let plain = sim.create_api_key_confidential(false).await;
    let saved: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &plain).await, 200).await;
    assert!(saved.credentials.done, "a key without it still works");
    assert_eq!(saved.credentials.confidential_access, Some(false));
    assert_eq!(
        setup_of(&app, &admin).await.credentials.confidential_access,
        Some(false)
    );

    let trusted = sim.create_api_key_confidential(true).await;
    let saved: api::LeverSetup =
        expect_json(save_key(&app, &admin, &sim, &trusted).await, 200).await;
    assert_eq!(saved.credentials.confidential_access, Some(true));
}

/// A key replaced by one without confidential access: Lever refuses it a confidential
/// candidate's notes (403), which is the candidate's confidentiality, not a permission taken
/// from the key. The note says so; step 1 raises no "permission missing" alarm.
#[tokio::test]
async fn a_confidential_candidates_refused_note_is_not_a_missing_permission() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &[PHONE]).await;
    let trusted = sim.create_api_key_confidential(true).await;
    let _: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &trusted).await, 200).await;
    let delivery = confidential_candidate_moved(&app, &sim, &admin).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    let pad_id = delivery
        .pad_link
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();

    let plain = sim.create_api_key_confidential(false).await;
    let _: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &plain).await, 200).await;
    let path = format!("/api/pads/{pad_id}");
    let _: api::PadView = expect_json(
        app.post(&admin.client, &format!("{path}/end"), &()).await,
        200,
    )
    .await;
    let _: api::PadView = expect_json(
        app.post(&admin.client, &format!("{path}/lever-note"), &())
            .await,
        200,
    )
    .await;
    let failed = tests::poll::wait_for(
        "the code note's outcome",
        std::time::Duration::from_secs(30),
        || async {
            let view: api::PadView = expect_json(app.get(&admin.client, &path).await, 200).await;
            (view.code_note_status == Some(api::RequestStatus::Failed)).then_some(view)
        },
    )
    .await;
    let error = failed.code_note_error.unwrap_or_default();
    assert!(error.starts_with("Confidential candidate"), "{error}");
    let setup = setup_of(&app, &admin).await;
    assert_eq!(setup.credentials.permission_missing, None, "{setup:?}");
}
