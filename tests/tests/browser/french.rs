//! The console in French, as a French-speaking admin meets it: a browser that prefers French
//! gets French from the first page, signs up, walks the four Lever steps against the simulator
//! and sees the connection verified, every step in French; the API's refusals come in French
//! too; the header's picker switches languages and the choice follows the user to another
//! browser. The expected words come from the French catalog, so the test follows its wording.

use api::i18n::Locale;
use api::i18n::console::Text;
use fantoccini::Locator;
use tests::browser::Browser;
use tests::lever_sim::LeverSim;
use tests::spawn_app;

/// A French text, or its part before the first placeholder (to find it in a filled sentence).
fn fr(text: Text) -> String {
    let words = text.get(Locale::Fr);
    words.split('{').next().unwrap_or(words).trim().to_owned()
}

fn en(text: Text) -> String {
    let words = text.get(Locale::En);
    words.split('{').next().unwrap_or(words).trim().to_owned()
}

async fn document_language(browser: &Browser) -> String {
    browser
        .client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_french_speaking_admin_signs_up_and_connects_lever_in_french() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let api_key = sim.create_api_key(None).await;

    let browser = Browser::start_speaking("fr-FR,fr;q=0.9,en;q=0.5").await;
    browser.goto(&app.url("/signup")).await;
    browser
        .wait_for_text(".site-header", &fr(Text::NavLogIn))
        .await;
    assert_eq!(document_language(&browser).await, "fr");

    // Sign-up: the form's own check, then the server's refusal, both in French.
    browser.fill("[name=org_name]", "Acme").await;
    browser.fill("[name=name]", "Ada Admin").await;
    browser.fill("[name=email]", "ada@example.com").await;
    browser.fill("[name=password]", "court").await;
    browser.click_css("form button[type=submit]").await;
    browser
        .wait_for_text(
            "label:has([name=password]) .error",
            &fr(Text::FormPasswordTooShort),
        )
        .await;
    browser.fill("[name=password]", "password1234").await;
    browser.click_css("form button[type=submit]").await;
    let common = browser
        .wait_for_text("label:has([name=password]) .error", "")
        .await;
    assert!(
        common.contains("mot de passe"),
        "the server's refusal is in French: {common}"
    );

    browser
        .fill("[name=password]", "correct horse battery staple")
        .await;
    browser
        .element("select[name=plan] option[value=enterprise]")
        .await
        .click()
        .await
        .unwrap();
    browser.click_css("form button[type=submit]").await;
    browser.wait_for_path("/").await;
    browser
        .wait_for_text("[data-testid=nav]", &fr(Text::NavMembers))
        .await;
    browser
        .wait_for_text("[data-testid=whoami]", &fr(Text::RoleAdmin))
        .await;

    // The four Lever steps, in French.
    browser.click_link(&fr(Text::NavLever)).await;
    browser.wait_for_path("/integrations/lever").await;
    browser
        .wait_for_text(
            "[data-testid=connection-status]",
            &fr(Text::LeverConnectionNotConnected),
        )
        .await;
    browser
        .element("select[name=environment] option[value=custom]")
        .await
        .click()
        .await
        .unwrap();
    browser.fill("[name=base_url]", &sim.api_base_url()).await;
    browser.fill("[name=api_key]", &api_key).await;
    sim.hang_next(1, 1_500).await;
    browser
        .click_css("[data-testid=step-1] button[type=submit]")
        .await;
    browser
        .wait_for_text(
            "[data-testid=step-1] button[type=submit]",
            &fr(Text::LeverCredentialsChecking),
        )
        .await;
    browser
        .wait_for_text("[data-testid=saved-key]", &fr(Text::LeverCredentialsSaved))
        .await;

    for stage in ["Phone interview", "On-site interview"] {
        let xpath = format!("//*[@data-testid='step-2']//label[normalize-space()='{stage}']/input");
        let checkbox = tests::poll::wait_for(stage, std::time::Duration::from_secs(20), || async {
            browser.client.find(Locator::XPath(&xpath)).await.ok()
        })
        .await;
        checkbox.click().await.unwrap();
    }
    browser
        .click_css("[data-testid=step-2] button[type=submit]")
        .await;
    let saved = browser
        .wait_for_text(
            "[data-testid=stages-saved]",
            &fr(Text::LeverStagesSavedOther),
        )
        .await;
    assert!(saved.contains(" 2 "), "{saved}");

    let url = browser
        .element("[data-testid=webhook-url]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    let (webhook_id, token) = sim.register_webhook("candidateStageChange", &url).await;
    assert_eq!(sim.verify(&webhook_id).await, 401);
    browser
        .wait_for_text(
            "[data-testid=last-refusal]",
            &fr(Text::LeverRefusalNoTokenYet),
        )
        .await;

    browser.fill("[name=signature_token]", &token).await;
    browser
        .click_css("[data-testid=step-4] button[type=submit]")
        .await;
    browser
        .wait_for_text("[data-testid=saved-token]", &fr(Text::LeverTokenSaved))
        .await;
    browser
        .wait_for_text(
            "[data-testid=connection-status]",
            &fr(Text::LeverConnectionWaiting),
        )
        .await;
    assert_eq!(sim.verify(&webhook_id).await, 200);
    browser
        .wait_for_text(
            "[data-testid=connection-status]",
            &fr(Text::LeverConnectionVerified),
        )
        .await;
    browser.screenshot_if_asked("lever-setup-fr").await;

    browser.click_link(&fr(Text::NavDeliveries)).await;
    browser
        .wait_for_text(
            "[data-testid=deliveries]",
            &fr(Text::DeliveryEventLeverVerify),
        )
        .await;
    browser
        .wait_for_text(
            "[data-testid=deliveries]",
            &fr(Text::DeliveryOutcomeVerified),
        )
        .await;

    // The picker switches at once, and the choice is saved with the account.
    browser.pick_language("en").await;
    browser
        .wait_for_text("[data-testid=nav]", &en(Text::NavMembers))
        .await;
    assert_eq!(document_language(&browser).await, "en");
    browser.pick_language("fr").await;
    browser
        .wait_for_text("[data-testid=nav]", &fr(Text::NavMembers))
        .await;
    // Saved by the time the server is asked (the picker saves in the background).
    let api = app
        .log_in_as("ada@example.com", "correct horse battery staple")
        .await;
    tests::poll::wait_for(
        "the saved language to be French",
        std::time::Duration::from_secs(10),
        || async {
            let me: api::MeResponse = app.get(&api, "/api/me").await.json().await.ok()?;
            (me.language == Some(Locale::Fr)).then_some(())
        },
    )
    .await;
    browser.close().await;

    // Another browser, one that prefers English: once logged in, the saved French wins.
    let elsewhere = Browser::start().await;
    elsewhere.goto(&app.url("/login")).await;
    elsewhere
        .wait_for_text(".site-header", &en(Text::NavLogIn))
        .await;
    elsewhere.fill("[name=email]", "ada@example.com").await;
    elsewhere
        .fill("[name=password]", "correct horse battery staple")
        .await;
    elsewhere.click_css("form button[type=submit]").await;
    elsewhere
        .wait_for_text("[data-testid=nav]", &fr(Text::NavMembers))
        .await;
    assert_eq!(document_language(&elsewhere).await, "fr");
    elsewhere.close().await;
}

#[tokio::test]
async fn a_language_the_account_could_not_save_says_so_and_a_later_save_clears_it() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let browser = Browser::logged_in(&app, &admin).await;
    browser
        .wait_for_text("[data-testid=nav]", &en(Text::NavMembers))
        .await;

    // The server is gone: the page still switches, and says the account did not keep it.
    let stopped = app.stop().await;
    browser.pick_language("fr").await;
    browser
        .wait_for_text("[data-testid=nav]", &fr(Text::NavMembers))
        .await;
    browser
        .wait_for_text(
            "[data-testid=language-save-failed]",
            &fr(Text::AppLanguageNotSaved),
        )
        .await;

    // Back again: the next choice is saved, and the notice goes.
    let app = stopped.start_on_same_port().await;
    browser.pick_language("en").await;
    tests::poll::wait_for(
        "the notice to go once a save succeeds",
        std::time::Duration::from_secs(10),
        || async {
            let gone = browser
                .client
                .find_all(Locator::Css("[data-testid=language-save-failed]"))
                .await
                .ok()?
                .is_empty();
            gone.then_some(())
        },
    )
    .await;
    let me: api::MeResponse = app
        .get(&admin.client, "/api/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.language, Some(Locale::En));
    browser.close().await;
}
