//! The accounts story in a real browser: an admin signs up, logs out and in, invites a member;
//! the member joins in a second browser and cannot reach admin pages; the admin reads it all
//! in the audit log.

use std::time::Duration;

use fantoccini::Locator;
use tests::browser::Browser;
use tests::poll::wait_for;
use tests::spawn_app;

const PATIENCE: Duration = Duration::from_secs(20);

/// The `data-action` of every audit row shown, top (newest) first, once `expected` are all in.
async fn audit_actions(browser: &Browser, expected: &[&str]) -> Vec<String> {
    wait_for("the audit log to show every action", PATIENCE, || async {
        let rows = browser
            .client
            .find_all(Locator::Css("[data-testid=audit-row]"))
            .await
            .ok()?;
        let mut actions = Vec::new();
        for row in rows {
            actions.push(row.attr("data-action").await.ok()??);
        }
        expected
            .iter()
            .all(|action| actions.iter().any(|a| a == action))
            .then_some(actions)
    })
    .await
}

#[tokio::test]
async fn an_admin_invites_a_member_who_cannot_reach_admin_pages() {
    let app = spawn_app().await;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let unique = &unique[..10];
    let org = format!("Acme {unique}");
    let admin_email = format!("ada-{unique}@example.com");
    let member_email = format!("grace-{unique}@example.com");
    let admin_password = "plum tractor under the glass roof";
    let member_password = "seven quiet herons over the bay";
    let new_member_password = "eight loud gulls past the pier";

    // Sign up: the organization's first admin, logged in and sent home.
    let admin = Browser::start().await;
    admin.goto(&app.url("/signup")).await;
    admin.fill("[name=org_name]", &org).await;
    admin.fill("[name=name]", "Ada Lovelace").await;
    admin.fill("[name=email]", &admin_email).await;
    admin.fill("[name=password]", admin_password).await;
    admin
        .element("select[name=plan]")
        .await
        .select_by_value("team")
        .await
        .expect("choose a plan");
    admin.click_button("Create organization").await;
    let admin_whoami = format!("Ada Lovelace · {org} · Admin");
    admin
        .wait_for_text("[data-testid=whoami]", &admin_whoami)
        .await;
    admin.wait_for_path("/").await;
    admin.wait_for_text("[data-testid=home-plan]", "Team").await;
    admin.wait_for_text("[data-testid=nav]", "Members").await;

    // Log out, then log in again.
    admin.click_button("Log out").await;
    admin.wait_for_text("h1", "Log in").await;
    admin
        .wait_for_text("[data-testid=login-notice]", "You are logged out.")
        .await;
    admin.wait_for_text(".session-links", "Sign up").await;
    // Logged out, a page behind log-in sends the visitor to the log-in page.
    admin.goto(&app.url("/audit")).await;
    admin.wait_for_path("/login").await;
    admin.fill("[name=email]", &admin_email).await;
    admin
        .fill("[name=password]", "not the password at all")
        .await;
    admin.click_button("Log in").await;
    let refusal = admin.wait_for_text(".error", "").await;
    assert!(
        !refusal.trim().is_empty(),
        "a wrong password is refused in words"
    );
    admin.fill("[name=password]", admin_password).await;
    admin.click_button("Log in").await;
    admin
        .wait_for_text("[data-testid=whoami]", &admin_whoami)
        .await;
    // Back to the page asked for before logging in.
    admin.wait_for_path("/audit").await;
    admin.click_link("Home").await;
    admin.wait_for_path("/").await;

    // Invite a member and read the link the page shows once.
    admin.click_link("Members").await;
    admin
        .wait_for_text("[data-testid=members]", &admin_email)
        .await;
    admin
        .fill("[data-testid=invite-form] [name=email]", &member_email)
        .await;
    admin
        .element("[data-testid=invite-form] select[name=role]")
        .await
        .select_by_value("member")
        .await
        .expect("choose a role");
    admin.click_button("Create invitation link").await;
    let link = wait_for("the invitation link", PATIENCE, || async {
        let field = admin
            .client
            .find(Locator::Css("[data-testid=invitation-link]"))
            .await
            .ok()?;
        field.prop("value").await.ok()?.filter(|v| !v.is_empty())
    })
    .await;
    assert!(
        link.starts_with(&app.url("/invite/")),
        "{link} is an invitation link to this Stagepad"
    );
    admin
        .wait_for_text("[data-testid=invitations]", &member_email)
        .await;

    // The invitee joins in a browser of their own.
    let member = Browser::start().await;
    member.goto(&link).await;
    member
        .wait_for_text("[data-testid=invitation-organization]", &org)
        .await;
    member
        .wait_for_text("[data-testid=invitation-email]", &member_email)
        .await;
    member
        .wait_for_text("[data-testid=invitation-role]", "Member")
        .await;
    member.fill("[name=name]", "Grace Hopper").await;
    member.fill("[name=password]", member_password).await;
    member.click_button("Join organization").await;
    member
        .wait_for_text(
            "[data-testid=whoami]",
            &format!("Grace Hopper · {org} · Member"),
        )
        .await;
    member.wait_for_path("/").await;
    member
        .wait_for_text("[data-testid=home-role]", "Member")
        .await;

    // A member is shown no admin links, and admin pages say so instead of showing data.
    let nav = member.wait_for_text("[data-testid=nav]", "Account").await;
    for admin_page in ["Members", "Settings", "Audit log"] {
        assert!(
            !nav.contains(admin_page),
            "member's nav shows {admin_page}: {nav}"
        );
    }
    let admin_links = member
        .client
        .find_all(Locator::Css(
            "a[href='/members'], a[href='/settings'], a[href='/audit']",
        ))
        .await
        .unwrap();
    assert!(admin_links.is_empty(), "a member sees links to admin pages");
    member.goto(&app.url("/members")).await;
    member
        .wait_for_text("[data-testid=admin-only]", "Only admins can manage members")
        .await;
    let tables = member
        .client
        .find_all(Locator::Css(
            "[data-testid=members], [data-testid=invite-form]",
        ))
        .await
        .unwrap();
    assert!(tables.is_empty(), "a member sees the members page's data");
    member.goto(&app.url("/audit")).await;
    member
        .wait_for_text(
            "[data-testid=admin-only]",
            "Only admins can read the audit log",
        )
        .await;

    // Any logged-in person can change their own password.
    member.click_link("Account").await;
    member
        .fill("[name=current_password]", member_password)
        .await;
    member
        .fill("[name=new_password]", new_member_password)
        .await;
    member
        .fill("[name=confirm_password]", new_member_password)
        .await;
    member.click_button("Change password").await;
    member.wait_for_text(".ok", "Password changed").await;
    member.close().await;

    // The admin sees the new member, then everything in the audit log, newest first.
    admin.click_link("Home").await;
    admin.click_link("Members").await;
    admin
        .wait_for_text("[data-testid=members]", "Grace Hopper")
        .await;
    admin.screenshot_if_asked("members").await;

    // The last admin cannot demote themselves: the refusal is shown and the role stays.
    let own_role = format!(
        "//tr[@data-testid='member-row'][contains(., '{admin_email}')]//select[@name='role']"
    );
    admin
        .client
        .find(Locator::XPath(&own_role))
        .await
        .expect("the admin's own row")
        .select_by_value("member")
        .await
        .expect("choose a role");
    let refusal = admin.wait_for_text(".error", "admin").await;
    assert!(!refusal.trim().is_empty());
    wait_for("the role to show Admin again", PATIENCE, || async {
        let select = admin.client.find(Locator::XPath(&own_role)).await.ok()?;
        (select.prop("value").await.ok()?? == "admin").then_some(())
    })
    .await;

    // Lever needs Enterprise: Home points to Settings (nothing is "below" there), the settings
    // say so, and the upgrade shows everywhere at once.
    admin.click_link("Home").await;
    let notice = admin
        .wait_for_text(
            "[data-testid=home-lever-notice]",
            "switch to Enterprise under Settings",
        )
        .await;
    assert!(!notice.contains("below"), "{notice}");
    admin.click_link("Settings").await;
    admin
        .wait_for_text("[data-testid=lever-notice]", "requires the Enterprise plan")
        .await;
    admin
        .element("input[name=plan][value=enterprise]")
        .await
        .click()
        .await
        .expect("choose Enterprise");
    admin.click_button("Change plan").await;
    admin
        .wait_for_text(
            "[data-testid=lever-notice]",
            "includes the Lever integration",
        )
        .await;
    admin
        .wait_for_text("[data-testid=current-plan]", "Enterprise")
        .await;
    admin
        .wait_for_text(
            "[data-testid=plan-saved]",
            "Saved: the plan is now Enterprise.",
        )
        .await;
    admin.click_link("Home").await;
    admin
        .wait_for_text("[data-testid=home-plan]", "Enterprise")
        .await;

    // Leaving Enterprise asks first (Lever stops); Cancel keeps the plan.
    admin.click_link("Settings").await;
    let choose_team = || async {
        admin
            .element("input[name=plan][value=team]")
            .await
            .click()
            .await
            .expect("choose Team");
    };
    choose_team().await;
    admin.click_button("Change plan").await;
    admin
        .wait_for_text("[data-testid=confirm-plan]", "Lever stops creating pads")
        .await;
    admin.click_button("Cancel").await;
    // Asking changed nothing: the page loaded afresh still says Enterprise.
    admin.goto(&app.url("/settings")).await;
    admin
        .wait_for_text("[data-testid=current-plan]", "Enterprise")
        .await;
    choose_team().await;
    admin.click_button("Change plan").await;
    admin.click_button("Yes, leave Enterprise").await;
    admin
        .wait_for_text("[data-testid=current-plan]", "Team")
        .await;
    admin
        .wait_for_text("[data-testid=plan-saved]", "Saved: the plan is now Team.")
        .await;

    admin.click_link("Audit log").await;
    let expected = [
        "signed_up",
        "logged_in",
        "login_failed",
        "logged_out",
        "invitation_created",
        "member_joined",
        "password_changed",
        "plan_changed",
    ];
    let actions = audit_actions(&admin, &expected).await;
    let position = |action: &str| actions.iter().position(|a| a == action).unwrap();
    assert_eq!(actions[0], "plan_changed", "newest first: {actions:?}");
    assert!(
        position("password_changed") < position("member_joined")
            && position("member_joined") < position("invitation_created")
            && position("invitation_created") < position("logged_out")
            && position("logged_out") < position("signed_up"),
        "newest first: {actions:?}"
    );
    assert_eq!(actions.last().map(String::as_str), Some("signed_up"));
    let log = admin
        .wait_for_text("[data-testid=audit]", "Grace Hopper")
        .await;
    assert!(log.contains("Ada Lovelace"), "{log}");
    assert!(
        [admin_password, member_password, new_member_password]
            .iter()
            .all(|password| !log.contains(password)),
        "no password in the audit log"
    );
    admin.close().await;
}

/// A problem shows next to the field it is about, the password's hint gives way to the
/// password's error, and a skip link leads past the header.
#[tokio::test]
async fn sign_up_problems_sit_next_to_their_fields() {
    let app = spawn_app().await;
    let taken = app.sign_up(api::Plan::Team).await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/signup")).await;
    browser.fill("[name=org_name]", "Acme").await;
    browser.fill("[name=name]", "Ada Lovelace").await;
    browser.fill("[name=email]", &taken.email).await;
    browser.fill("[name=password]", "short").await;
    browser.click_button("Create organization").await;
    browser
        .wait_for_text(
            "label:has([name=password]) .error",
            "at least 12 characters",
        )
        .await;
    assert!(
        browser
            .client
            .find(Locator::Css("[data-testid=password-hint]"))
            .await
            .is_err(),
        "the hint gives way to the error"
    );

    // The server's refusal of the e-mail sits under the e-mail.
    browser
        .fill("[name=password]", "correct horse battery staple")
        .await;
    browser.click_button("Create organization").await;
    let refusal = browser
        .wait_for_text("label:has([name=email]) .error", "")
        .await;
    assert!(!refusal.trim().is_empty());
    browser
        .wait_for_text("[data-testid=password-hint]", "")
        .await;

    let skip = browser.element(".skip-link").await;
    assert_eq!(
        skip.attr("href").await.unwrap().as_deref(),
        Some("#main"),
        "a skip link to the content"
    );
    browser.element("main#main").await;
    browser.close().await;
}

/// The text of the home page's line about the page at `href`.
async fn home_line(browser: &Browser, href: &str) -> String {
    let line = browser
        .element(&format!("[data-testid=home] li:has(a[href='{href}'])"))
        .await;
    line.text().await.expect("the line's text")
}

/// Home says what Account and Settings do, and they do it: a name, an e-mail address (with the
/// password) and the organization's name change, each problem under its field, and the
/// header follows.
#[tokio::test]
async fn account_and_settings_change_names_and_email_as_home_says() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let other = app.sign_up(api::Plan::Team).await;
    let org = admin.me.organization.name.clone();
    let browser = Browser::logged_in(&app, &admin).await;

    let account = home_line(&browser, "/account").await;
    assert!(
        account.contains("name") && account.contains("email") && account.contains("password"),
        "{account}"
    );
    let settings = home_line(&browser, "/settings").await;
    assert!(
        settings.contains("name") && settings.contains("plan"),
        "{settings}"
    );

    // The name.
    browser.click_link("Account").await;
    browser
        .fill("[data-testid=name-form] [name=name]", " ")
        .await;
    browser.click_button("Save name").await;
    browser
        .wait_for_text("label:has([name=name]) .error", "Enter your name")
        .await;
    browser
        .fill("[data-testid=name-form] [name=name]", "Ada King")
        .await;
    browser.click_button("Save name").await;
    browser
        .wait_for_text(
            "[data-testid=name-saved]",
            "Saved: your name is now Ada King.",
        )
        .await;
    browser
        .wait_for_text("[data-testid=whoami]", &format!("Ada King · {org} · Admin"))
        .await;

    // The e-mail address: taken, then the wrong password, each under its field, then done.
    browser.fill("[name=email]", &other.email).await;
    browser.fill("[name=password]", tests::PASSWORD).await;
    browser.click_button("Change email").await;
    browser
        .wait_for_text("label:has([name=email]) .error", "uses this email already")
        .await;
    let new_email = tests::accounts::unique_email("ada.king");
    browser.fill("[name=email]", &new_email).await;
    browser
        .fill("[name=password]", "not the password at all")
        .await;
    browser.click_button("Change email").await;
    browser
        .wait_for_text("label:has([name=password]) .error", "not right")
        .await;
    assert!(
        browser
            .client
            .find(Locator::Css("label:has([name=email]) .error"))
            .await
            .is_err(),
        "the e-mail's old problem is gone"
    );
    browser.fill("[name=password]", tests::PASSWORD).await;
    browser.click_button("Change email").await;
    browser
        .wait_for_text("[data-testid=email-saved]", &new_email)
        .await;
    browser
        .wait_for_text("[data-testid=account-facts]", &new_email)
        .await;
    // Still logged in after a reload.
    browser.goto(&app.url("/account")).await;
    browser
        .wait_for_text("[data-testid=account-facts]", &new_email)
        .await;

    // The password: a common one is refused under the new password, without "Long enough".
    browser
        .fill("[name=current_password]", tests::PASSWORD)
        .await;
    browser.fill("[name=new_password]", "password1234").await;
    browser
        .fill("[name=confirm_password]", "password1234")
        .await;
    browser
        .wait_for_text(
            "[data-testid=password-form] [data-testid=password-hint]",
            "Long enough",
        )
        .await;
    browser.click_button("Change password").await;
    browser
        .wait_for_text("label:has([name=new_password]) .error", "too common")
        .await;
    assert!(
        browser
            .client
            .find(Locator::Css(
                "[data-testid=password-form] [data-testid=password-hint]"
            ))
            .await
            .is_err(),
        "no 'Long enough' above 'too common'"
    );
    browser
        .fill("[name=current_password]", "not the password at all")
        .await;
    browser
        .fill("[name=new_password]", "eight loud gulls past the pier")
        .await;
    browser
        .fill("[name=confirm_password]", "eight loud gulls past the pier")
        .await;
    browser.click_button("Change password").await;
    browser
        .wait_for_text("label:has([name=current_password]) .error", "not right")
        .await;

    // The organization's name, in Settings.
    browser.click_link("Settings").await;
    browser.fill("[name=organization_name]", "  ").await;
    browser.click_button("Rename").await;
    browser
        .wait_for_text(
            "label:has([name=organization_name]) .error",
            "Enter the organization's name",
        )
        .await;
    browser
        .fill("[name=organization_name]", "Acme Hiring")
        .await;
    browser.click_button("Rename").await;
    browser
        .wait_for_text(
            "[data-testid=organization-renamed]",
            "Saved: the organization is now called Acme Hiring.",
        )
        .await;
    browser
        .wait_for_text("[data-testid=organization-name]", "Acme Hiring")
        .await;
    browser
        .wait_for_text("[data-testid=whoami]", "Ada King · Acme Hiring · Admin")
        .await;
    browser.click_link("Home").await;
    browser
        .wait_for_text("[data-testid=home-organization]", "Acme Hiring")
        .await;

    // The e-mail change ended the user's other sessions, this API client's among them.
    tests::expect_error(app.me(&admin).await, 401, api::ErrorCode::NotLoggedIn).await;
    let again = app.log_in_as(&new_email, &admin.password).await;
    let me: api::MeResponse = tests::expect_json(app.me(&again).await, 200).await;
    assert_eq!(
        (
            me.user.name.as_str(),
            me.user.email.as_str(),
            me.organization.name.as_str()
        ),
        ("Ada King", new_email.as_str(), "Acme Hiring")
    );
    browser.close().await;
}

/// Log-in and joining put the server's refusal under the field it concerns; a common password
/// hides the "Long enough" hint.
#[tokio::test]
async fn log_in_and_join_problems_sit_next_to_their_fields() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/login")).await;
    browser.fill("[name=email]", "ada").await;
    browser.click_button("Log in").await;
    browser
        .wait_for_text("label:has([name=email]) .error", "not an email address")
        .await;
    browser.fill("[name=email]", &admin.email).await;
    browser
        .fill("[name=password]", "not the password at all")
        .await;
    browser.click_button("Log in").await;
    browser
        .wait_for_text("label:has([name=password]) .error", "wrong")
        .await;
    assert!(
        browser
            .client
            .find(Locator::Css("label:has([name=email]) .error"))
            .await
            .is_err(),
        "the e-mail's old problem is gone"
    );

    let invited = app
        .invite(
            &admin,
            &tests::accounts::unique_email("grace"),
            api::Role::Member,
        )
        .await;
    browser.goto(&invited.link).await;
    browser.fill("[name=name]", " ").await;
    browser.click_button("Join organization").await;
    browser
        .wait_for_text("label:has([name=name]) .error", "Enter your name")
        .await;
    browser.fill("[name=name]", "Grace Hopper").await;
    browser.fill("[name=password]", "password1234").await;
    browser
        .wait_for_text("[data-testid=password-hint]", "Long enough")
        .await;
    browser.click_button("Join organization").await;
    browser
        .wait_for_text("label:has([name=password]) .error", "too common")
        .await;
    assert!(
        browser
            .client
            .find(Locator::Css("[data-testid=password-hint]"))
            .await
            .is_err(),
        "no 'Long enough' above 'too common'"
    );
    browser
        .fill("[name=password]", "seven quiet herons over the bay")
        .await;
    browser.click_button("Join organization").await;
    browser
        .wait_for_text("[data-testid=whoami]", "Grace Hopper")
        .await;
    browser.close().await;
}
