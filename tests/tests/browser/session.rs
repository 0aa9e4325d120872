//! A session that ends on the server (here: the password changed in another session) sends the
//! console back to the log-in page at the next call, also from the pad page, which guests may
//! open too and which used to show the refusal instead; the page says why, and logging in
//! returns to the page that was open.

use tests::browser::Browser;
use tests::{PASSWORD, expect_json, spawn_app};

#[tokio::test]
async fn a_call_on_the_pad_page_after_the_session_ended_goes_back_to_log_in() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let pad: api::PadSummary = expect_json(
        app.post(
            &admin.client,
            "/api/pads",
            &api::NewPadRequest {
                candidate_name: "Ada Lovelace".into(),
                job_title: None,
                language: None,
            },
        )
        .await,
        201,
    )
    .await;

    let browser = Browser::logged_in(&app, &admin).await;
    browser.goto(&app.url(&format!("/pad/{}", pad.id))).await;
    browser
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;

    // Elsewhere the password changes: every other session of the admin ends, this one too.
    let changed = app
        .put(
            &admin.client,
            "/api/me/password",
            &api::ChangePasswordRequest {
                current_password: PASSWORD.into(),
                new_password: "a different password, long enough".into(),
            },
        )
        .await;
    assert_eq!(changed.status(), 204);

    browser.click_button("End interview").await;
    browser.click_button("Yes, end it for everyone").await;
    browser.wait_for_path("/login").await;
    browser.wait_for_text("h1", "Log in").await;
    browser.wait_for_text(".session-links", "Sign up").await;
    // The page says why, and logging in again returns to the pad.
    browser
        .wait_for_text("[data-testid=login-notice]", "Your session ended")
        .await;
    browser.fill("[name=email]", &admin.email).await;
    browser
        .fill("[name=password]", "a different password, long enough")
        .await;
    browser.click_button("Log in").await;
    browser.wait_for_path(&format!("/pad/{}", pad.id)).await;
    browser
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;

    // Log out says so.
    browser.click_css("[data-testid=logout]").await;
    browser
        .wait_for_text("[data-testid=login-notice]", "You are logged out.")
        .await;

    let view: api::PadView = expect_json(app.view_pad(&admin, &pad.id).await, 200).await;
    assert_ne!(
        view.status,
        api::PadStatus::Ended,
        "the refused call ended nothing"
    );
    browser.close().await;
}

/// A member deactivated by an admin while their console is open: the next call ends the
/// session, and the log-in page says that an admin removed their access to the organization.
#[tokio::test]
async fn a_deactivated_members_open_session_says_their_access_was_removed() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let member = app.add_member(&admin, api::Role::Member).await;
    let org = admin.me.organization.name.clone();
    let browser = Browser::logged_in(&app, &member).await;

    let deactivate = api::UpdateMemberRequest {
        role: None,
        status: Some(api::MemberStatus::Deactivated),
    };
    let _: api::Member = expect_json(
        app.update_member(&admin, member.id(), &deactivate).await,
        200,
    )
    .await;

    browser.click_link("Pads").await;
    browser.wait_for_path("/login").await;
    browser
        .wait_for_text(
            "[data-testid=login-notice]",
            &format!("Your access to {org} was removed by an admin."),
        )
        .await;
    // Logging in again is refused in words.
    browser.fill("[name=email]", &member.email).await;
    browser.fill("[name=password]", PASSWORD).await;
    browser.click_button("Log in").await;
    browser.wait_for_text(".error", "deactivated").await;
    browser.close().await;
}
