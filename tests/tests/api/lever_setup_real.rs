//! The Lever setup against real Lever's rules (issue 11): https-only webhooks, permission probes
//! that a 404 cannot fool, and confidential candidates.

use api::{LeverEnvironment, Plan};
use tests::accounts::{Account, expect_json};
use tests::lever_sim::LeverSim;
use tests::{TestApp, spawn_app, spawn_app_with};

async fn save_key(
    app: &TestApp,
    admin: &Account,
    sim: &LeverSim,
    api_key: &str,
) -> reqwest::Response {
    let request = api::LeverCredentialsRequest {
        environment: LeverEnvironment::Custom,
        base_url: Some(sim.api_base_url()),
        api_key: api_key.into(),
    };
    app.put(&admin.client, "/api/lever/credentials", &request)
        .await
}

async fn setup_of(app: &TestApp, admin: &Account) -> api::LeverSetup {
    expect_json(app.get(&admin.client, "/api/lever/setup").await, 200).await
}

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
