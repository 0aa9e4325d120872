//! "E-mail the link" in a real browser, against an SMTP sink and the Lever simulator: an
//! interviewer e-mails a Lever pad's link to the candidate (at the address Lever has) and to a
//! colleague, with a time and a message; both mails arrive, and the page lists both as
//! e-mailed. The candidate, on the same link, sees no such panel.

use std::time::Duration;

use fantoccini::Locator;
use tests::browser::Browser;
use tests::lever_sim::{LeverSim, NewCandidate};
use tests::poll::wait_for;
use tests::smtp_sink::{Received, SmtpSink};
use tests::spawn_app_with;

const PATIENCE: Duration = Duration::from_secs(20);

fn addressed_to<'a>(messages: &'a [Received], email: &str) -> &'a Received {
    messages
        .iter()
        .find(|m| m.to == [email])
        .unwrap_or_else(|| panic!("no mail to {email}"))
}

#[tokio::test]
async fn an_interviewer_emails_the_pads_link_to_the_candidate_and_a_colleague() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(api::Plan::Enterprise).await;
    // Her invitation is the sink's first mail.
    let interviewer = app.add_member(&admin, api::Role::Member).await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let eve = sim
        .create_candidate(NewCandidate {
            name: "Eve Example".into(),
            email: "eve@example.com".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_candidate(&eve, &sim.stage_id("Phone interview").await)
        .await;
    let link = app
        .outcome_for(&admin, &eve)
        .await
        .pad_link
        .expect("a pad link");
    let invitations = sink.wait_for(1).await.len();

    // The interviewer opens the pad; the panel stays closed until asked for.
    let browser = Browser::logged_in(&app, &interviewer).await;
    browser.goto(&link).await;
    browser
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;
    assert!(
        browser
            .client
            .find(Locator::Css("[data-testid=pad-mail]"))
            .await
            .is_err(),
        "the panel is closed at first"
    );
    browser.click_button("E-mail the link").await;
    // The candidate's address in Lever, and the organization's members.
    browser
        .wait_for_text("[data-testid=pad-mail-form]", "eve@example.com")
        .await;
    browser
        .wait_for_text("[data-testid=pad-mail-form]", &admin.email)
        .await;
    browser
        .wait_for_text(
            "[data-testid=pad-mails]",
            "The link has not been e-mailed yet.",
        )
        .await;

    // Nobody ticked: the server's refusal shows by the form, and nothing is sent.
    browser.click_button_in("pad-mail-form", "Send").await;
    browser
        .wait_for_text("[data-testid=pad-mail] p.error", "Pick at least one person")
        .await;

    browser
        .click_css("[data-testid=pad-mail-form] input[name=candidate]")
        .await;
    let colleague = format!(
        "//*[@data-testid='pad-mail-form']//label[contains(., '{}')]/input",
        admin.email
    );
    browser
        .client
        .find(Locator::XPath(&colleague))
        .await
        .expect("the colleague's checkbox")
        .click()
        .await
        .unwrap();
    let when = browser.element("[name=when]").await;
    assert_eq!(
        when.attr("maxlength").await.unwrap().as_deref(),
        Some(api::PAD_MAIL_WHEN_MAX_CHARS.to_string().as_str())
    );
    browser.fill("[name=when]", "Tuesday 3 pm CET").await;
    browser
        .fill("[name=message]", "Looking forward to it.")
        .await;
    browser.click_button_in("pad-mail-form", "Send").await;
    browser
        .wait_for_text("[data-testid=pad-mail-done]", "Sent to 2 people.")
        .await;

    // Both arrive: the candidate's at Lever's address, with the link, the time and the words.
    let messages = sink.wait_for(invitations + 2).await;
    assert_eq!(messages.len(), invitations + 2, "one mail each, no more");
    let to_eve = addressed_to(&messages, "eve@example.com").text();
    assert!(to_eve.contains(&link), "{to_eve}");
    assert!(to_eve.contains("Tuesday 3 pm CET"), "{to_eve}");
    assert!(to_eve.contains("Looking forward to it."), "{to_eve}");
    let to_admin = addressed_to(&messages, &admin.email).text();
    assert!(to_admin.contains(&link), "{to_admin}");

    // The page's list follows them until both are e-mailed, without a click.
    wait_for("both mails listed as e-mailed", PATIENCE, || async {
        let rows = browser
            .client
            .find_all(Locator::Css("[data-testid=pad-mail-row]"))
            .await
            .ok()?;
        let mut texts = Vec::new();
        for row in rows {
            texts.push(row.text().await.ok()?);
        }
        let listed = |email: &str| {
            texts
                .iter()
                .any(|t| t.contains(email) && t.contains("E-mailed") && t.contains("by Grace"))
        };
        (texts.len() == 2 && listed("eve@example.com") && listed(&admin.email)).then_some(())
    })
    .await;
    browser.screenshot_if_asked("pad-mail").await;
    browser.close().await;

    // The candidate, on the same link without an account, has no such panel.
    let candidate = Browser::start().await;
    candidate.goto(&link).await;
    candidate.fill("[name=display_name]", "Eve").await;
    candidate.click_button("Join the pad").await;
    candidate
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;
    let extras = candidate
        .client
        .find_all(Locator::Css(
            "[data-testid=mail-link-toggle], [data-testid=pad-mail], [data-testid=copy-candidate-link]",
        ))
        .await
        .unwrap();
    assert!(extras.is_empty(), "a candidate sees no e-mail panel");
    candidate.close().await;
}
