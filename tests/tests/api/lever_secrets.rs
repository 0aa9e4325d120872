//! A canary API key and signature token go through every step; neither may ever appear in a
//! response body or a log line.

use api::{LeverEnvironment, Plan};
use tests::lever_sim::LeverSim;
use tests::{expect_json, spawn_app};

#[tokio::test]
async fn canary_secrets_never_appear_in_responses_or_logs() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let canary_key = sim.create_api_key(None).await;
    assert!(canary_key.len() >= 16);
    let mut bodies = Vec::new();
    let mut record = |text: String| bodies.push(text);

    let request = api::LeverCredentialsRequest {
        environment: LeverEnvironment::Custom,
        base_url: Some(sim.api_base_url()),
        api_key: canary_key.clone(),
    };
    record(
        app.save_lever_credentials(&admin, &request)
            .await
            .text()
            .await
            .unwrap(),
    );
    let stages: api::LeverStagesResponse = expect_json(app.lever_stages(&admin).await, 200).await;
    record(serde_json::to_string(&stages).unwrap());
    let chosen = api::LeverStagesRequest {
        stage_ids: vec![stages.stages[0].id.clone()],
    };
    record(
        app.save_lever_stages(&admin, &chosen)
            .await
            .text()
            .await
            .unwrap(),
    );
    let webhook: api::LeverWebhookResponse =
        expect_json(app.lever_webhook(&admin).await, 200).await;
    let (webhook_id, canary_token) = sim
        .register_webhook("candidateStageChange", &webhook.url)
        .await;
    let token = api::LeverTokenRequest {
        signature_token: canary_token.clone(),
        pad_owner_id: admin.id(),
    };
    record(
        app.save_lever_token(&admin, &token)
            .await
            .text()
            .await
            .unwrap(),
    );
    // A wrong token too, so the failure paths log what they log.
    let wrong = api::LeverTokenRequest {
        signature_token: format!("{canary_token}x"),
        pad_owner_id: admin.id(),
    };
    record(
        app.save_lever_token(&admin, &wrong)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(sim.verify(&webhook_id).await, 401);
    record(
        app.save_lever_token(&admin, &token)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(sim.verify(&webhook_id).await, 200);
    record(app.lever_setup(&admin).await.text().await.unwrap());
    record(app.audit(&admin, "").await.text().await.unwrap());
    record(
        app.put(
            &admin.client,
            "/api/lever/credentials",
            &api::LeverCredentialsRequest {
                api_key: format!("{canary_key}-wrong"),
                ..request.clone()
            },
        )
        .await
        .text()
        .await
        .unwrap(),
    );

    let logs = tests::logs::captured();
    assert!(
        logs.contains("Lever webhook received"),
        "the log capture works"
    );
    for secret in [&canary_key, &canary_token] {
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs");
        for body in &bodies {
            assert!(
                !body.contains(secret.as_str()),
                "a secret reached a response: {body}"
            );
        }
    }
    let setup: api::LeverSetup = expect_json(app.lever_setup(&admin).await, 200).await;
    assert_eq!(
        setup.credentials.api_key_last4.unwrap(),
        canary_key[canary_key.len() - 4..]
    );
}
