//! E-mail in a real browser, against an SMTP sink: a forgotten password is reset with the
//! e-mailed link (which then logs in, works once, and replaces the old password); invitations
//! say they were e-mailed, show how their e-mail stands and can be resent with a new link; and
//! without a mail server the console says links go by hand.

use std::time::Duration;

use api::ErrorCode;
use fantoccini::Locator;
use tests::accounts::unique_email;
use tests::browser::Browser;
use tests::poll::wait_for;
use tests::smtp_sink::SmtpSink;
use tests::{PASSWORD, expect_error, spawn_app, spawn_app_with};

const PATIENCE: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_forgotten_password_is_reset_with_the_emailed_link() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let account = app.sign_up(api::Plan::Team).await;
    let new_password = "nine bright kites above the dunes";

    // From the log-in page to the request for a link.
    let browser = Browser::start().await;
    browser.goto(&app.url("/login")).await;
    browser.click_link("Forgot password?").await;
    browser.wait_for_path("/forgot-password").await;
    browser.fill("[name=email]", &account.email).await;
    browser.click_button("Send me a link").await;
    let said = browser
        .wait_for_text(
            "[data-testid=reset-asked]",
            "a link to choose a new password is on its way. It works for 30 minutes.",
        )
        .await;
    assert!(said.contains(&account.email), "{said}");

    // The e-mail carries the link, to this Stagepad's public address.
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, [account.email.as_str()]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Reset your Stagepad password")
    );
    let link = mail
        .link_starting_with(&app.url("/reset-password/"))
        .expect("the e-mail has the reset link");

    // The link names the account; a new password logs in.
    browser.goto(&link).await;
    browser
        .wait_for_text("[data-testid=reset-email]", &account.email)
        .await;
    browser.fill("[name=password]", "too short").await;
    browser.click_button("Save and log in").await;
    browser
        .wait_for_text(".error", "The password needs at least 12 characters")
        .await;
    browser.fill("[name=password]", new_password).await;
    browser.click_button("Save and log in").await;
    let whoami = format!("Ada Admin · {} · Admin", account.me.organization.name);
    browser.wait_for_text("[data-testid=whoami]", &whoami).await;
    browser.wait_for_path("/").await;

    // The link works once, and the page says where to get another.
    browser.goto(&link).await;
    browser
        .wait_for_text(
            "[data-testid=reset-gone]",
            "This link was used, replaced by a newer one or has expired.",
        )
        .await;
    browser.click_link("Ask for a new link").await;
    browser.wait_for_path("/forgot-password").await;
    browser.element("[name=email]").await;

    // The new password logs in, the old one no longer does, and the session the account had
    // before the reset is over.
    assert_eq!(app.log_in(&account.email, new_password).await.status(), 200);
    expect_error(
        app.log_in(&account.email, PASSWORD).await,
        401,
        ErrorCode::InvalidCredentials,
    )
    .await;
    expect_error(
        app.get(&account.client, "/api/me").await,
        401,
        ErrorCode::NotLoggedIn,
    )
    .await;
    browser.close().await;
}

#[tokio::test]
async fn an_invitation_is_emailed_and_can_be_resent_with_a_new_link() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(sink.settings()).await;
    let admin = app.sign_up(api::Plan::Team).await;
    let invitee = unique_email("grace");

    let browser = Browser::logged_in(&app, &admin).await;
    browser.click_link("Members").await;
    browser
        .wait_for_text("[data-testid=members]", &admin.email)
        .await;
    let notes = browser
        .client
        .find_all(Locator::Css("[data-testid=mail-not-configured]"))
        .await
        .unwrap();
    assert!(
        notes.is_empty(),
        "mail is configured, yet the page says not"
    );
    browser
        .fill("[data-testid=invite-form] [name=email]", &invitee)
        .await;
    browser.click_button("Create invitation link").await;
    browser
        .wait_for_text(
            "[data-testid=invitation-created]",
            &format!("The invitation was e-mailed to {invitee} (Member)."),
        )
        .await;
    let shown = link_in(&browser, "invitation-link").await;

    // The e-mail carries the link the page shows, and the list says it went.
    let first = sink.wait_for(1).await.remove(0);
    assert_eq!(first.to, [invitee.as_str()]);
    assert_eq!(
        first.link_starting_with(&app.url("/invite/")).as_deref(),
        Some(shown.as_str())
    );
    wait_until_listed(&browser, "E-mailed").await;

    // Resent: a new link, e-mailed too; the first one stops working.
    browser.click_button_in("invitations", "Resend").await;
    browser
        .wait_for_text(
            "[data-testid=invitation-resent]",
            "The previous link no longer works.",
        )
        .await;
    let resent = link_in(&browser, "resent-link").await;
    assert_ne!(resent, shown, "a resend makes a new link");
    let second = sink.wait_for(2).await.remove(1);
    assert_eq!(second.to, [invitee.as_str()]);
    assert_eq!(
        second.link_starting_with(&app.url("/invite/")).as_deref(),
        Some(resent.as_str())
    );
    let old_token = shown.rsplit('/').next().unwrap();
    let new_token = resent.rsplit('/').next().unwrap();
    expect_error(
        app.preview_invitation(&admin, old_token).await,
        404,
        ErrorCode::InvitationNotFound,
    )
    .await;
    assert_eq!(
        app.preview_invitation(&admin, new_token).await.status(),
        200
    );
    wait_until_listed(&browser, "E-mailed").await;
    browser.close().await;
}

#[tokio::test]
async fn without_a_mail_server_the_console_says_links_go_by_hand() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;

    // No link can be e-mailed: the page says whom to ask.
    let visitor = Browser::start().await;
    visitor.goto(&app.url("/forgot-password")).await;
    visitor.fill("[name=email]", &admin.email).await;
    visitor.click_button("Send me a link").await;
    visitor
        .wait_for_text(
            ".error",
            "E-mail is not set up on this Stagepad, so it cannot send you a link.",
        )
        .await;
    visitor.close().await;

    // Invitation links are copied by hand, as before, and cannot be resent by e-mail.
    let browser = Browser::logged_in(&app, &admin).await;
    browser.click_link("Members").await;
    browser
        .wait_for_text(
            "[data-testid=mail-not-configured]",
            "copy the invitation link and send it yourself",
        )
        .await;
    let invitee = unique_email("grace");
    browser
        .fill("[data-testid=invite-form] [name=email]", &invitee)
        .await;
    browser.click_button("Create invitation link").await;
    browser
        .wait_for_text(
            "[data-testid=invitation-created]",
            &format!("Send this link to {invitee} (Member)."),
        )
        .await;
    assert!(
        link_in(&browser, "invitation-link")
            .await
            .starts_with(&app.url("/invite/"))
    );
    browser
        .wait_for_text("[data-testid=invitations]", &invitee)
        .await;
    let extras = browser
        .client
        .find_all(Locator::Css(
            "[data-testid=invitation-mail], [data-testid=invitations] button.secondary",
        ))
        .await
        .unwrap();
    assert!(
        extras.is_empty(),
        "no e-mail status nor Resend without mail"
    );
    browser.close().await;
}

/// The link in the copy field whose `data-testid` is `testid`, once it shows one.
async fn link_in(browser: &Browser, testid: &str) -> String {
    wait_for("the invitation link", PATIENCE, || async {
        let field = browser
            .client
            .find(Locator::Css(&format!("[data-testid={testid}]")))
            .await
            .ok()?;
        field.prop("value").await.ok()?.filter(|v| !v.is_empty())
    })
    .await
}

/// Refreshes the members page until its one pending invitation's e-mail shows `status`.
async fn wait_until_listed(browser: &Browser, status: &str) {
    wait_for(
        &format!("the invitation to show {status:?}"),
        PATIENCE,
        || async {
            let shown = browser
                .client
                .find(Locator::Css("[data-testid=invitation-mail]"))
                .await
                .ok();
            if let Some(shown) = shown
                && shown.text().await.ok()? == status
            {
                return Some(());
            }
            let refresh = browser
                .client
                .find(Locator::XPath("//button[normalize-space()='Refresh']"))
                .await
                .ok()?;
            let _ = refresh.click().await;
            None
        },
    )
    .await
}
