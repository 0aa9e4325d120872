//! The Lever setup in a real browser: an enterprise admin walks the four steps against the
//! Lever simulator, presses Verify in "Lever", and the page turns to "Connection verified".

use fantoccini::Locator;
use tests::browser::Browser;
use tests::lever_sim::{LeverSim, NewCandidate};
use tests::spawn_app;

#[tokio::test]
async fn an_admin_connects_lever_and_sees_the_connection_verified() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(api::Plan::Enterprise).await;
    let api_key = sim.create_api_key(None).await;

    let browser = Browser::logged_in(&app, &admin).await;
    browser.click_link("Lever").await;
    browser.wait_for_path("/integrations/lever").await;
    browser
        .wait_for_text("[data-testid=connection-status]", "Not connected yet")
        .await;

    // Step 1: the simulator's address and key.
    browser
        .element("select[name=environment] option[value=custom]")
        .await
        .click()
        .await
        .unwrap();
    browser.fill("[name=base_url]", &sim.api_base_url()).await;
    browser.fill("[name=api_key]", &api_key).await;
    // Lever is slow to answer: the button says what is going on meanwhile.
    sim.hang_next(1, 1_500).await;
    browser.click_button_in("step-1", "Update").await;
    let busy = browser
        .wait_for_text(
            "[data-testid=step-1] button[type=submit]",
            "Checking the key with Lever…",
        )
        .await;
    assert!(!busy.is_empty());
    browser
        .wait_for_text(
            "[data-testid=saved-key]",
            &format!("ending in {}", &api_key[api_key.len() - 4..]),
        )
        .await;
    let key_field = browser
        .element("[name=api_key]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        key_field.as_deref(),
        Some(""),
        "the key leaves the page once saved"
    );

    // Step 2: two stages by name.
    for stage in ["Phone interview", "On-site interview"] {
        let xpath = format!("//*[@data-testid='step-2']//label[normalize-space()='{stage}']/input");
        let checkbox = tests::poll::wait_for(stage, std::time::Duration::from_secs(20), || async {
            browser.client.find(Locator::XPath(&xpath)).await.ok()
        })
        .await;
        checkbox.click().await.unwrap();
    }
    browser.click_button_in("step-2", "Update").await;
    browser
        .wait_for_text(
            "[data-testid=stages-saved]",
            "Saved: pads are created at 2 stages.",
        )
        .await;
    browser
        .wait_for_text("[data-testid=next-step]", "Next: step 3")
        .await;

    // Step 3: the URL goes into Lever, which answers with a signature token.
    let url = browser
        .element("[data-testid=webhook-url]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        url.starts_with(&format!("{}/webhooks/lever/", app.address)),
        "{url}"
    );
    let (webhook_id, token) = sim.register_webhook("candidateStageChange", &url).await;

    // Verify pressed in Lever before step 4: refused, and the page says what to do.
    assert_eq!(sim.verify(&webhook_id).await, 401);
    browser
        .wait_for_text(
            "[data-testid=last-refusal]",
            "no signature token is saved yet: do step 4",
        )
        .await;

    // Step 4: the token, and the admin as pad owner (the default).
    browser.fill("[name=signature_token]", &token).await;
    browser.click_button_in("step-4", "Update").await;
    browser
        .wait_for_text("[data-testid=saved-token]", "pads are owned by Ada Admin")
        .await;
    browser
        .wait_for_text(
            "[data-testid=connection-status]",
            "Waiting for Lever's Verify",
        )
        .await;

    // Verify in Lever; the page notices by itself.
    assert_eq!(sim.verify(&webhook_id).await, 200);
    browser
        .wait_for_text("[data-testid=connection-status]", "Connection verified")
        .await;
    browser
        .wait_for_text("[data-testid=last-delivery]", "Last request from Lever")
        .await;
    assert!(
        browser
            .client
            .find(Locator::Css("[data-testid=last-refusal]"))
            .await
            .is_err(),
        "the refusal is over once Lever's request is accepted"
    );
    browser.screenshot_if_asked("lever-setup").await;

    // The options say when they are saved.
    browser.fill("[name=tag]", "interview-pad").await;
    browser.click_button_in("options", "Update").await;
    browser
        .wait_for_text(
            "[data-testid=options-saved]",
            "Saved: the options are in effect",
        )
        .await;
    assert_eq!(
        browser
            .element("[name=tag]")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("interview-pad")
    );

    // The deliveries call Verify's sample what it is.
    browser.click_link("Deliveries").await;
    browser
        .wait_for_text("[data-testid=deliveries]", "Lever's Verify test")
        .await;
    browser
        .wait_for_text("[data-testid=deliveries]", "Answered: the connection works")
        .await;

    let page = browser.client.source().await.unwrap();
    assert!(
        !page.contains(&api_key) && !page.contains(&token),
        "secrets are not in the page"
    );
    browser.close().await;
}

/// The guide's "Using the integration": tag a candidate in Lever, move it to a selected stage,
/// and the console shows the delivery and the pad while Lever shows the link on the candidate.
#[tokio::test]
async fn a_tagged_candidate_moved_in_lever_shows_up_as_a_delivery_and_a_pad() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(api::Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let phone = sim.stage_id("Phone interview").await;

    let ada = sim
        .create_candidate(NewCandidate {
            name: "Ada Lovelace".into(),
            ..Default::default()
        })
        .await;
    sim.set_tags(&ada, &["coderpad"]).await;
    sim.move_candidate(&ada, &phone).await;
    // A second one whose link Lever keeps refusing, until it recovers and the admin retries.
    let bob = sim
        .create_candidate(NewCandidate {
            name: "Bob Babbage".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    app.outcome_for(&admin, &ada).await;
    sim.fail_next_on(100, 500, &format!("/{bob}/addLinks"), None)
        .await;
    sim.move_candidate(&bob, &phone).await;
    assert_eq!(
        app.outcome_for(&admin, &bob).await.status,
        api::DeliveryStatus::Dead
    );
    sim.clear_faults().await;

    let browser = Browser::logged_in(&app, &admin).await;
    browser.click_link("Deliveries").await;
    browser
        .wait_for_path("/integrations/lever/deliveries")
        .await;
    browser
        .wait_for_text("[data-status=pad_created]", "Ada Lovelace")
        .await;
    browser
        .wait_for_text("[data-status=dead]", "Failed for good after 8 attempts")
        .await;

    // Only the failed ones.
    browser
        .element("[data-testid=delivery-filter] option[value=dead]")
        .await
        .click()
        .await
        .unwrap();
    tests::poll::wait_for(
        "the filter to leave only the dead delivery",
        std::time::Duration::from_secs(20),
        || async {
            let rows = browser
                .client
                .find_all(Locator::Css("[data-testid=delivery-row]"))
                .await
                .ok()?;
            (rows.len() == 1).then_some(())
        },
    )
    .await;
    browser.click_button("Retry").await;
    browser
        .element("[data-testid=delivery-filter] option[value='']")
        .await
        .click()
        .await
        .unwrap();
    tests::poll::wait_for(
        "Bob's retried delivery to create his pad",
        std::time::Duration::from_secs(20),
        || async {
            browser.click_button("Refresh").await;
            let row = browser
                .client
                .find(Locator::XPath(
                    "//tr[@data-status='pad_created'][.//td[normalize-space()='Bob Babbage']]",
                ))
                .await
                .ok()?;
            Some(row)
        },
    )
    .await;
    browser.screenshot_if_asked("lever-deliveries").await;

    browser.click_link("Pads").await;
    browser.wait_for_path("/pads").await;
    browser
        .wait_for_text("[data-testid=pads]", "Ada Lovelace")
        .await;
    let pads = app.pads(&admin).await;
    let ada_pad = pads
        .iter()
        .find(|p| p.candidate_name == "Ada Lovelace")
        .expect("Ada's pad");
    assert_eq!(sim.links(&ada).await, vec![ada_pad.link.clone()]);
    assert_eq!(sim.links(&bob).await.len(), 1);
    browser.screenshot_if_asked("pads").await;

    // The candidate's link opens the pad.
    browser.goto(&ada_pad.link).await;
    browser
        .wait_for_text("[data-testid=pad-title]", "Ada Lovelace")
        .await;
    browser
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;
    browser.close().await;
}
