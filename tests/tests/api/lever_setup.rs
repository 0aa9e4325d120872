//! The four-step Lever setup against the Lever simulator, with the real Lever client.

use api::{ConnectionState, ErrorCode, LeverEnvironment, Plan, Role};
use tests::lever::{save_key, setup_of};
use tests::lever_sim::LeverSim;
use tests::{expect_error, expect_json, spawn_app};

const STAGE_CHANGE: &str = "candidateStageChange";

#[tokio::test]
async fn an_admin_walks_the_four_steps_and_lever_verifies_the_connection() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let api_key = sim.create_api_key(None).await;

    let empty = setup_of(&app, &admin).await;
    assert!(
        !empty.credentials.done && !empty.stages.done && !empty.webhook.done && !empty.token.done
    );
    assert_eq!(empty.connection, ConnectionState::NotConnected);
    assert_eq!(empty.tag, "coderpad");

    // Step 1.
    let after_key: api::LeverSetup =
        expect_json(save_key(&app, &admin, &sim, &api_key).await, 200).await;
    assert!(after_key.credentials.done);
    assert_eq!(
        after_key.credentials.api_key_last4.as_deref(),
        Some(&api_key[api_key.len() - 4..])
    );
    assert_eq!(
        after_key.credentials.environment,
        Some(LeverEnvironment::Custom)
    );
    let url = after_key
        .webhook
        .url
        .clone()
        .expect("a webhook URL once the key is saved");
    let key = url.rsplit('/').next().unwrap();
    assert!(url.starts_with(&format!("{}/webhooks/lever/", app.address)));
    assert!(key.len() >= 22, "at least 128 random bits: {key}");

    // Step 2: live stages with names; the selection is stored by id and shown by name.
    let stages: api::LeverStagesResponse = expect_json(app.lever_stages(&admin).await, 200).await;
    let phone = stages
        .stages
        .iter()
        .find(|s| s.name == "Phone interview")
        .expect("Lever's stages by name");
    let onsite = stages
        .stages
        .iter()
        .find(|s| s.name == "On-site interview")
        .unwrap();
    let request = api::LeverStagesRequest {
        stage_ids: vec![phone.id.clone(), onsite.id.clone()],
    };
    let after_stages: api::LeverSetup =
        expect_json(app.save_lever_stages(&admin, &request).await, 200).await;
    assert!(after_stages.stages.done);
    let names: Vec<&str> = after_stages
        .stages
        .selected
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, vec!["Phone interview", "On-site interview"]);
    let again: api::LeverStagesResponse = expect_json(app.lever_stages(&admin).await, 200).await;
    assert_eq!(again.stages.iter().filter(|s| s.selected).count(), 2);

    // Step 3: the URL goes into Lever.
    let webhook: api::LeverWebhookResponse =
        expect_json(app.lever_webhook(&admin).await, 200).await;
    assert_eq!(webhook.url, url);
    let (webhook_id, token) = sim.register_webhook(STAGE_CHANGE, &webhook.url).await;
    assert_eq!(setup_of(&app, &admin).await.last_refused, None);

    // Verify pressed in Lever before step 4: refused, and the setup says why.
    assert_eq!(sim.verify(&webhook_id).await, 401);
    let early = setup_of(&app, &admin).await;
    let refused = early.last_refused.expect("the refused request");
    assert_eq!(refused.reason, api::DeliveryReason::BadSignature);
    assert_eq!(early.last_delivery_at, None);

    // Step 4, then Lever's Verify.
    let request = api::LeverTokenRequest {
        signature_token: token,
        pad_owner_id: admin.id(),
    };
    let after_token: api::LeverSetup =
        expect_json(app.save_lever_token(&admin, &request).await, 200).await;
    assert!(after_token.token.done && after_token.webhook.done);
    assert_eq!(after_token.token.pad_owner.as_ref().unwrap().id, admin.id());
    // Lever has nobody with the owner's email: links and notes carry the key's user.
    assert_eq!(after_token.token.lever_author, None);
    assert_eq!(after_token.connection, ConnectionState::WaitingForVerify);

    assert_eq!(sim.verify(&webhook_id).await, 200);
    let verified = setup_of(&app, &admin).await;
    assert!(
        matches!(verified.connection, ConnectionState::Verified { .. }),
        "{:?}",
        verified.connection
    );
    assert!(verified.last_delivery_at.is_some());
    assert_eq!(
        verified.last_refused, None,
        "a refusal older than the last accepted request is over"
    );

    let audit: api::AuditPage = expect_json(app.audit(&admin, "").await, 200).await;
    let actions: Vec<&str> = audit.events.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "lever_credentials_saved",
        "lever_stages_saved",
        "lever_token_saved",
    ] {
        assert!(actions.contains(&expected), "{actions:?}");
    }
}

#[tokio::test]
async fn a_wrong_key_is_reported_and_nothing_is_saved() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let message = expect_error(
        save_key(&app, &admin, &sim, "not-a-key-lever-knows").await,
        422,
        ErrorCode::LeverKeyRejected,
    )
    .await;
    assert!(message.contains("401"), "{message}");
    assert!(!setup_of(&app, &admin).await.credentials.done);
}

#[tokio::test]
async fn each_missing_permission_is_named() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;

    let read_only = sim
        .create_api_key(Some(&[
            "read_stages",
            "read_opportunities",
            "read_postings",
        ]))
        .await;
    let message = expect_error(
        save_key(&app, &admin, &sim, &read_only).await,
        422,
        ErrorCode::LeverPermissionsMissing,
    )
    .await;
    assert!(
        message.contains("Add links to opportunities") && message.contains("Create notes"),
        "{message}"
    );
    assert!(!message.contains("Read stages"), "{message}");

    let no_stages = sim
        .create_api_key(Some(&[
            "read_opportunities",
            "read_postings",
            "add_links",
            "create_notes",
        ]))
        .await;
    let message = expect_error(
        save_key(&app, &admin, &sim, &no_stages).await,
        422,
        ErrorCode::LeverPermissionsMissing,
    )
    .await;
    assert!(message.contains("Read stages (GET /stages)"), "{message}");
    assert!(!setup_of(&app, &admin).await.credentials.done);
}

#[tokio::test]
async fn lever_down_or_slow_is_reported_plainly() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    let request = api::LeverCredentialsRequest {
        environment: LeverEnvironment::Custom,
        base_url: Some(dead_url.clone()),
        api_key: "some-key".into(),
    };
    let message = expect_error(
        app.save_lever_credentials(&admin, &request).await,
        502,
        ErrorCode::LeverUnreachable,
    )
    .await;
    assert!(message.contains(&dead_url), "{message}");

    let sim = LeverSim::start().await;
    let api_key = sim.create_api_key(None).await;
    sim.hang_next(1, 4_000).await;
    expect_error(
        save_key(&app, &admin, &sim, &api_key).await,
        504,
        ErrorCode::LeverTimeout,
    )
    .await;

    sim.fail_next(1, 500).await;
    expect_error(
        save_key(&app, &admin, &sim, &api_key).await,
        502,
        ErrorCode::LeverError,
    )
    .await;
    assert!(!setup_of(&app, &admin).await.credentials.done);
}

#[tokio::test]
async fn more_than_a_hundred_stages_are_all_listed() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    for i in 0..150 {
        sim.create_stage(&format!("Extra stage {i:03}")).await;
    }
    let expected = sim.stages().await.len();
    assert!(expected > 150);
    let api_key = sim.create_api_key(None).await;
    let _: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &api_key).await, 200).await;
    let stages: api::LeverStagesResponse = expect_json(app.lever_stages(&admin).await, 200).await;
    assert_eq!(stages.stages.len(), expected);
    assert!(stages.stages.iter().any(|s| s.name == "Extra stage 149"));
}

#[tokio::test]
async fn members_and_other_plans_are_refused() {
    let app = spawn_app().await;
    let team = app.sign_up(Plan::Team).await;
    let enterprise = app.sign_up(Plan::Enterprise).await;
    let member = app.add_member(&enterprise, Role::Member).await;
    let key = api::LeverCredentialsRequest {
        environment: LeverEnvironment::Production,
        base_url: None,
        api_key: "k".into(),
    };
    for (who, code) in [
        (&team.client, ErrorCode::EnterpriseRequired),
        (&member.client, ErrorCode::AdminOnly),
    ] {
        expect_error(app.lever_setup(who).await, 403, code).await;
        expect_error(app.save_lever_credentials(who, &key).await, 403, code).await;
        expect_error(app.lever_stages(who).await, 403, code).await;
        expect_error(
            app.put(
                who,
                "/api/lever/stages",
                &api::LeverStagesRequest {
                    stage_ids: vec!["x".into()],
                },
            )
            .await,
            403,
            code,
        )
        .await;
        expect_error(app.lever_webhook(who).await, 403, code).await;
        expect_error(app.rotate_lever_webhook(who).await, 403, code).await;
        let token = api::LeverTokenRequest {
            signature_token: "t".into(),
            pad_owner_id: team.id(),
        };
        expect_error(app.save_lever_token(who, &token).await, 403, code).await;
        let options = api::LeverOptionsRequest {
            tag: "x".into(),
            notes_enabled: false,
            results_notes_enabled: false,
            email_candidate_link: false,
        };
        expect_error(app.save_lever_options(who, &options).await, 403, code).await;
    }
    // Disconnecting needs only an admin: a downgraded organization must be able to leave.
    expect_error(
        app.disconnect_lever(&member).await,
        403,
        ErrorCode::AdminOnly,
    )
    .await;
    assert_eq!(app.disconnect_lever(&team).await.status(), 204);
    // After an upgrade the same admin may.
    let _: api::OrganizationSummary = expect_json(
        app.put(
            &team.client,
            "/api/organization/plan",
            &api::ChangePlanRequest {
                plan: Plan::Enterprise,
            },
        )
        .await,
        200,
    )
    .await;
    let _: api::LeverSetup = expect_json(app.lever_setup(&team).await, 200).await;
}

#[tokio::test]
async fn a_token_lever_does_not_sign_with_is_shown_until_the_right_one_is_pasted() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let (webhook_id, _) = (lever.webhook_id.clone(), lever.signature_token.clone());
    assert_eq!(sim.verify(&webhook_id).await, 200);

    // The admin regenerates the token in Lever but has not pasted it yet. Verify's sample
    // fails in Lever, but only a stage change (which no other entry sends) shows a mismatch.
    let new_token = sim.regenerate_token(&webhook_id).await;
    assert_eq!(sim.verify(&webhook_id).await, 401);
    assert!(matches!(
        setup_of(&app, &admin).await.connection,
        ConnectionState::Verified { .. }
    ));
    let ada = sim
        .create_candidate(tests::lever_sim::NewCandidate {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;
    let sent = sim
        .move_candidate(&ada, &sim.stage_id("Phone interview").await)
        .await
        .remove(0);
    // Lever gives up on it (a retry after the paste below would verify the connection).
    tests::poll::wait_for(
        "Lever to give up on the stage change",
        std::time::Duration::from_secs(20),
        || async { sim.delivery(&sent).await.done.then_some(()) },
    )
    .await;
    tests::poll::wait_for(
        "the console to show the mismatch",
        std::time::Duration::from_secs(20),
        || async {
            matches!(
                setup_of(&app, &admin).await.connection,
                ConnectionState::SignatureMismatch { .. }
            )
            .then_some(())
        },
    )
    .await;

    let request = api::LeverTokenRequest {
        signature_token: new_token,
        pad_owner_id: admin.id(),
    };
    let pasted: api::LeverSetup =
        expect_json(app.save_lever_token(&admin, &request).await, 200).await;
    assert_eq!(pasted.connection, ConnectionState::WaitingForVerify);
    assert_eq!(sim.verify(&webhook_id).await, 200);
    assert!(matches!(
        setup_of(&app, &admin).await.connection,
        ConnectionState::Verified { .. }
    ));
}

#[tokio::test]
async fn rotating_the_url_retires_the_old_one_and_unknown_keys_are_404() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let (old_webhook, token) = (lever.webhook_id.clone(), lever.signature_token.clone());
    let old: api::LeverWebhookResponse = expect_json(app.lever_webhook(&admin).await, 200).await;

    let new: api::LeverWebhookResponse =
        expect_json(app.rotate_lever_webhook(&admin).await, 200).await;
    assert_ne!(new.url, old.url);
    assert_eq!(sim.verify(&old_webhook).await, 404);
    let (new_webhook, _) = sim
        .register_webhook_with_token(STAGE_CHANGE, &new.url, &token)
        .await;
    assert_eq!(sim.verify(&new_webhook).await, 200);

    let response = app
        .client
        .post(app.url("/webhooks/lever/no-such-key"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    expect_error(response, 404, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn the_pad_owner_must_be_an_active_member_of_this_organization() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let stranger = app.sign_up(Plan::Enterprise).await;
    let api_key = sim.create_api_key(None).await;
    let _: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &api_key).await, 200).await;
    let request = api::LeverTokenRequest {
        signature_token: "sig-token".into(),
        pad_owner_id: stranger.id(),
    };
    expect_error(
        app.save_lever_token(&admin, &request).await,
        422,
        ErrorCode::InvalidPadOwner,
    )
    .await;

    let member = app.add_member(&admin, Role::Member).await;
    let request = api::LeverTokenRequest {
        signature_token: "sig-token".into(),
        pad_owner_id: member.id(),
    };
    let setup: api::LeverSetup =
        expect_json(app.save_lever_token(&admin, &request).await, 200).await;
    assert_eq!(setup.token.pad_owner.unwrap().name, "Grace Member");
}

#[tokio::test]
async fn the_tag_and_notes_option_are_editable() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let api_key = sim.create_api_key(None).await;
    let _: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &api_key).await, 200).await;
    let request = api::LeverOptionsRequest {
        tag: "  live-coding ".into(),
        notes_enabled: false,
        results_notes_enabled: false,
        email_candidate_link: false,
    };
    let setup: api::LeverSetup =
        expect_json(app.save_lever_options(&admin, &request).await, 200).await;
    assert_eq!(setup.tag, "live-coding");
    assert!(!setup.notes_enabled);
    assert!(!setup.results_notes_enabled);
    let empty = api::LeverOptionsRequest {
        tag: "   ".into(),
        notes_enabled: true,
        results_notes_enabled: true,
        email_candidate_link: false,
    };
    expect_error(
        app.save_lever_options(&admin, &empty).await,
        422,
        ErrorCode::InvalidField,
    )
    .await;
}

#[tokio::test]
async fn disconnect_erases_the_connection_and_disables_the_url() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let (webhook_id, _) = (lever.webhook_id.clone(), lever.signature_token.clone());
    assert_eq!(app.disconnect_lever(&admin).await.status(), 204);
    let setup = setup_of(&app, &admin).await;
    assert!(!setup.credentials.done && !setup.token.done && setup.webhook.url.is_none());
    assert_eq!(sim.verify(&webhook_id).await, 404);
    expect_error(
        app.lever_stages(&admin).await,
        409,
        ErrorCode::StepIncomplete,
    )
    .await;
    let audit: api::AuditPage = expect_json(app.audit(&admin, "").await, 200).await;
    assert_eq!(audit.events[0].action, "lever_disconnected");
}

#[tokio::test]
async fn signed_and_forged_requests_to_the_webhook() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let (_, token) = (lever.webhook_id.clone(), lever.signature_token.clone());
    let webhook: api::LeverWebhookResponse =
        expect_json(app.lever_webhook(&admin).await, 200).await;

    let triggered_at = time::OffsetDateTime::now_utc().unix_timestamp() * 1000 + 123;
    let nonce = "a".repeat(48);
    let good = server::lever::signature::sign(&token, &nonce, triggered_at);
    let body = |signature: &str| {
        serde_json::json!({"triggeredAt": triggered_at, "event": "candidateStageChange",
                           "data": {"opportunityId": "o1", "toStageId": "s1"},
                           "token": nonce, "signature": signature})
    };
    let forged = app
        .client
        .post(&webhook.url)
        .json(&body(&"0".repeat(64)))
        .send()
        .await
        .unwrap();
    expect_error(forged, 401, ErrorCode::InvalidSignature).await;
    assert!(matches!(
        setup_of(&app, &admin).await.connection,
        ConnectionState::SignatureMismatch { .. }
    ));
    let garbage = app
        .client
        .post(&webhook.url)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    expect_error(garbage, 400, ErrorCode::MalformedJson).await;
    let huge = app
        .client
        .post(&webhook.url)
        .header("content-type", "application/json")
        .body(vec![b' '; 70 * 1024])
        .send()
        .await
        .unwrap();
    expect_error(huge, 413, ErrorCode::PayloadTooLarge).await;
    let signed = app
        .client
        .post(&webhook.url)
        .json(&body(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200);
    assert!(matches!(
        setup_of(&app, &admin).await.connection,
        ConnectionState::Verified { .. }
    ));
}

#[tokio::test]
async fn a_selected_stage_that_lever_no_longer_has_is_flagged() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let doomed = sim.create_stage("Take-home review").await;
    let phone = sim.stage_id("Phone interview").await;
    let api_key = sim.create_api_key(None).await;
    let _: api::LeverSetup = expect_json(save_key(&app, &admin, &sim, &api_key).await, 200).await;
    let request = api::LeverStagesRequest {
        stage_ids: vec![phone.clone(), doomed.clone()],
    };
    let saved: api::LeverSetup =
        expect_json(app.save_lever_stages(&admin, &request).await, 200).await;
    assert!(saved.stages.selected.iter().all(|s| !s.missing));

    sim.delete_stage(&doomed).await;
    let live: api::LeverStagesResponse = expect_json(app.lever_stages(&admin).await, 200).await;
    assert!(live.stages.iter().all(|s| s.id != doomed));
    let setup = setup_of(&app, &admin).await;
    let flagged: Vec<(&str, bool)> = setup
        .stages
        .selected
        .iter()
        .map(|s| (s.name.as_str(), s.missing))
        .collect();
    assert_eq!(
        flagged,
        vec![("Phone interview", false), ("Take-home review", true)]
    );

    // Saving a stage Lever does not have is refused by name.
    let request = api::LeverStagesRequest {
        stage_ids: vec![doomed],
    };
    expect_error(
        app.save_lever_stages(&admin, &request).await,
        422,
        ErrorCode::UnknownStage,
    )
    .await;
    let none = api::LeverStagesRequest { stage_ids: vec![] };
    expect_error(
        app.save_lever_stages(&admin, &none).await,
        422,
        ErrorCode::NoStages,
    )
    .await;
}
