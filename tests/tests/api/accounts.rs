//! Sign-up, log-in, sessions, log-out, name, e-mail and password changes, throttling, and
//! client addresses behind reverse proxies.

use std::time::{Duration, Instant};

use api::{ErrorCode, Plan};
use server::auth::throttle::Limit;
use server::proxy::{ForwardedHeader, TrustedProxies};
use tests::accounts::unique_email;
use tests::app::{client_forwarded_for, new_client};
use tests::{PASSWORD, expect_error, expect_json, spawn_app, spawn_app_with};

#[tokio::test]
async fn sign_up_creates_an_organization_and_its_admin_and_logs_in() {
    let app = spawn_app().await;
    let client = new_client();
    let email = unique_email("Founder").to_uppercase();
    let request = api::SignupRequest {
        org_name: "  Acme Hiring  ".into(),
        name: "Ada Lovelace".into(),
        email: email.clone(),
        password: PASSWORD.into(),
        plan: Plan::Team,
    };
    let response = app.signup(&client, &request).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("stagepad_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/")
    );
    let me: api::MeResponse = expect_json(response, 201).await;
    assert_eq!(me.organization.name, "Acme Hiring");
    assert_eq!(me.organization.plan, Plan::Team);
    assert_eq!(me.role, api::Role::Admin);
    assert_eq!(me.user.email, email.to_lowercase());

    let again: api::MeResponse = expect_json(app.me(&client).await, 200).await;
    assert_eq!(again, me);

    // Emails are unique whatever their case.
    let mut twin = request.clone();
    twin.email = email.to_lowercase();
    twin.org_name = "Other".into();
    expect_error(
        app.signup(&new_client(), &twin).await,
        409,
        ErrorCode::EmailTaken,
    )
    .await;
}

#[tokio::test]
async fn passwords_must_be_long_and_uncommon() {
    let app = spawn_app().await;
    let attempt = |password: &str| api::SignupRequest {
        org_name: "Acme".into(),
        name: "Ada".into(),
        email: unique_email("weak"),
        password: password.into(),
        plan: Plan::Personal,
    };
    for password in ["elevenchars", "password1234", "QWERTY123456"] {
        let message = expect_error(
            app.signup(&new_client(), &attempt(password)).await,
            422,
            ErrorCode::WeakPassword,
        )
        .await;
        assert!(
            !message.contains(password),
            "the password is not echoed back"
        );
    }
    let too_long = "x".repeat(257);
    expect_error(
        app.signup(&new_client(), &attempt(&too_long)).await,
        422,
        ErrorCode::WeakPassword,
    )
    .await;
    let _: api::MeResponse = expect_json(
        app.post(&new_client(), "/api/signup", &attempt(&"y".repeat(256)))
            .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn log_in_and_the_same_answer_for_unknown_email_and_wrong_password() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;

    let client = app.log_in_as(&admin.email.to_uppercase(), PASSWORD).await;
    let me: api::MeResponse = expect_json(app.me(&client).await, 200).await;
    assert_eq!(me.user.id, admin.id());

    let mut wrong_times = Vec::new();
    let mut unknown_times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let wrong = expect_error(
            app.log_in(&admin.email, "not the password at all").await,
            401,
            ErrorCode::InvalidCredentials,
        )
        .await;
        wrong_times.push(started.elapsed());
        let started = Instant::now();
        let unknown = expect_error(
            app.log_in(&unique_email("nobody"), "not the password at all")
                .await,
            401,
            ErrorCode::InvalidCredentials,
        )
        .await;
        unknown_times.push(started.elapsed());
        assert_eq!(wrong, unknown);
    }
    // Both run a full Argon2 verification; a lookup alone would be far faster. The fastest of
    // each compares the work itself: a busy machine only ever adds time.
    let wrong: Duration = *wrong_times.iter().min().unwrap();
    let unknown: Duration = *unknown_times.iter().min().unwrap();
    assert!(
        unknown * 4 > wrong && wrong * 4 > unknown,
        "wrong password {wrong:?}, unknown email {unknown:?}"
    );
}

#[tokio::test]
async fn without_a_session_the_api_answers_401() {
    let app = spawn_app().await;
    let client = new_client();
    expect_error(app.me(&client).await, 401, ErrorCode::NotLoggedIn).await;
    let forged = client
        .get(app.url("/api/me"))
        .header("cookie", "stagepad_session=eyJhbGciOiJIUzI1NiJ9.e30.bogus")
        .send()
        .await
        .unwrap();
    expect_error(forged, 401, ErrorCode::NotLoggedIn).await;
}

#[tokio::test]
async fn log_out_ends_every_session_of_the_user() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let other_browser = app.log_in_as(&admin.email, PASSWORD).await;

    let response = app.logout(&admin).await;
    assert_eq!(response.status(), 204);
    let cleared = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    expect_error(app.me(&admin).await, 401, ErrorCode::NotLoggedIn).await;
    expect_error(app.me(&other_browser).await, 401, ErrorCode::NotLoggedIn).await;
}

#[tokio::test]
async fn a_password_change_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let other_browser = app.log_in_as(&admin.email, PASSWORD).await;
    let new_password = "an entirely new passphrase";

    let wrong = api::ChangePasswordRequest {
        current_password: "this is not it at all".into(),
        new_password: new_password.into(),
    };
    expect_error(
        app.change_password(&admin, &wrong).await,
        403,
        ErrorCode::WrongPassword,
    )
    .await;
    let weak = api::ChangePasswordRequest {
        current_password: PASSWORD.into(),
        new_password: "short".into(),
    };
    expect_error(
        app.change_password(&admin, &weak).await,
        422,
        ErrorCode::WeakPassword,
    )
    .await;

    let change = api::ChangePasswordRequest {
        current_password: PASSWORD.into(),
        new_password: new_password.into(),
    };
    assert_eq!(app.change_password(&admin, &change).await.status(), 204);
    let _: api::MeResponse = expect_json(app.me(&admin).await, 200).await;
    expect_error(app.me(&other_browser).await, 401, ErrorCode::NotLoggedIn).await;
    expect_error(
        app.log_in(&admin.email, PASSWORD).await,
        401,
        ErrorCode::InvalidCredentials,
    )
    .await;
    app.log_in_as(&admin.email, new_password).await;
}

/// The audit log's newest entry of `action`, as the admin reads it.
async fn audit_detail(app: &tests::TestApp, reader: &tests::Account, action: &str) -> String {
    let page: api::AuditPage = expect_json(app.audit(reader, "").await, 200).await;
    page.events
        .into_iter()
        .find(|e| e.action == action)
        .unwrap_or_else(|| panic!("no {action} in the audit log"))
        .detail
}

#[tokio::test]
async fn a_user_changes_their_name() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let name = |name: &str| api::ChangeNameRequest { name: name.into() };

    let me: api::MeResponse =
        expect_json(app.change_name(&admin, &name("  Ada King ")).await, 200).await;
    assert_eq!(me.user.name, "Ada King");
    assert_eq!(me.user.email, admin.email);
    let again: api::MeResponse = expect_json(app.me(&admin).await, 200).await;
    assert_eq!(again, me);
    assert_eq!(
        audit_detail(&app, &admin, "name_changed").await,
        "Changed their name from \"Ada Admin\" to \"Ada King\""
    );

    for bad in ["   ", &"x".repeat(101), "two\nlines"] {
        expect_error(
            app.change_name(&admin, &name(bad)).await,
            422,
            ErrorCode::InvalidField,
        )
        .await;
    }
    expect_error(
        app.change_name(&new_client(), &name("Nobody")).await,
        401,
        ErrorCode::NotLoggedIn,
    )
    .await;
}

#[tokio::test]
async fn a_user_changes_their_email_with_their_password_and_stays_logged_in() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let other_browser = app.log_in_as(&admin.email, PASSWORD).await;
    let elsewhere = app.sign_up(Plan::Team).await;
    let change = |password: &str, email: &str| api::ChangeEmailRequest {
        current_password: password.into(),
        new_email: email.into(),
    };
    let new_email = unique_email("Ada.King");

    expect_error(
        app.change_email(&admin, &change("not the password at all", &new_email))
            .await,
        403,
        ErrorCode::WrongPassword,
    )
    .await;
    for bad in ["", "ada", "ada@example", "a b@example.com"] {
        expect_error(
            app.change_email(&admin, &change(PASSWORD, bad)).await,
            422,
            ErrorCode::InvalidEmail,
        )
        .await;
    }
    // Another account's address, however it is typed (here another organization's).
    let taken = format!("  {}  ", elsewhere.email.to_uppercase());
    let message = expect_error(
        app.change_email(&admin, &change(PASSWORD, &taken)).await,
        409,
        ErrorCode::EmailTaken,
    )
    .await;
    assert!(message.contains("already"), "{message}");

    // Typed loosely, stored as sign-up stores it; this session goes on.
    let typed = format!(" {} ", new_email.to_uppercase());
    let me: api::MeResponse = expect_json(
        app.change_email(&admin, &change(PASSWORD, &typed)).await,
        200,
    )
    .await;
    assert_eq!(me.user.email, new_email.to_lowercase());
    assert_eq!(me.user.id, admin.id());
    let again: api::MeResponse = expect_json(app.me(&admin).await, 200).await;
    assert_eq!(again.user.email, new_email.to_lowercase());
    // As with a new password, the other sessions end: whoever else was logged in as this
    // user must log in again, with the new address.
    expect_error(app.me(&other_browser).await, 401, ErrorCode::NotLoggedIn).await;

    // Log-in now takes the new address only.
    expect_error(
        app.log_in(&admin.email, PASSWORD).await,
        401,
        ErrorCode::InvalidCredentials,
    )
    .await;
    app.log_in_as(&new_email, PASSWORD).await;
    // The old address is free again.
    let reuse = change(PASSWORD, &admin.email);
    let _: api::MeResponse = expect_json(app.change_email(&elsewhere, &reuse).await, 200).await;

    let detail = audit_detail(&app, &admin, "email_changed").await;
    assert_eq!(
        detail,
        format!(
            "Changed their email from {} to {}",
            admin.email,
            new_email.to_lowercase()
        )
    );
    assert!(!detail.contains(PASSWORD));
}

/// The e-mail form checks the password: its failures count with log-in's (same account, same
/// address), so a session left open is no faster a password oracle than the log-in page.
#[tokio::test]
async fn wrong_passwords_on_the_account_forms_are_throttled_with_log_in() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let new_email = unique_email("moved");
    // Four guesses on the e-mail form and one on the password form use up the account's five.
    for _ in 0..4 {
        let guess = api::ChangeEmailRequest {
            current_password: "guessing wrongly here".into(),
            new_email: new_email.clone(),
        };
        expect_error(
            app.change_email(&admin, &guess).await,
            403,
            ErrorCode::WrongPassword,
        )
        .await;
    }
    let guess = api::ChangePasswordRequest {
        current_password: "guessing wrongly here".into(),
        new_password: "an entirely new passphrase".into(),
    };
    expect_error(
        app.change_password(&admin, &guess).await,
        403,
        ErrorCode::WrongPassword,
    )
    .await;

    let right = api::ChangeEmailRequest {
        current_password: PASSWORD.into(),
        new_email: new_email.clone(),
    };
    let locked = app.change_email(&admin, &right).await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60, "{retry_after}");
    expect_error(locked, 429, ErrorCode::TooManyRequests).await;
    let change = api::ChangePasswordRequest {
        current_password: PASSWORD.into(),
        new_password: "an entirely new passphrase".into(),
    };
    expect_error(
        app.change_password(&admin, &change).await,
        429,
        ErrorCode::TooManyRequests,
    )
    .await;
    expect_error(
        app.log_in(&admin.email, PASSWORD).await,
        429,
        ErrorCode::TooManyRequests,
    )
    .await;
    // Nothing changed, and the session itself still works.
    let me: api::MeResponse = expect_json(app.me(&admin).await, 200).await;
    assert_eq!(me.user.email, admin.email);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_retry_after() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    for _ in 0..5 {
        expect_error(
            app.log_in(&admin.email, "guessing wrongly here").await,
            401,
            ErrorCode::InvalidCredentials,
        )
        .await;
    }
    let locked = app.log_in(&admin.email, PASSWORD).await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60, "{retry_after}");
    expect_error(locked, 429, ErrorCode::TooManyRequests).await;
    // The session already open is not affected.
    let _: api::MeResponse = expect_json(app.me(&admin).await, 200).await;
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let attempts: Vec<_> = (0..30)
        .map(|_| {
            let app = &app;
            async move {
                app.log_in(&unique_email("spray"), "guessing wrongly here")
                    .await
                    .status()
                    .as_u16()
            }
        })
        .collect();
    let statuses = futures_util::future::join_all(attempts).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let throttled = app.log_in(&admin.email, PASSWORD).await;
    assert!(throttled.headers().contains_key("retry-after"));
    expect_error(throttled, 429, ErrorCode::TooManyRequests).await;
}

#[tokio::test]
async fn log_ins_do_not_stall_the_server() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let logins: Vec<_> = (0..20)
        .map(|_| {
            let app = &app;
            let email = admin.email.clone();
            async move { app.log_in(&email, PASSWORD).await.status().as_u16() }
        })
        .collect();
    let probe = async {
        let mut slowest = Duration::ZERO;
        let mut probes = 0;
        let client = new_client();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let started = Instant::now();
            let response = client.get(app.url("/healthz")).send().await.unwrap();
            assert_eq!(response.status(), 200);
            slowest = slowest.max(started.elapsed());
            probes += 1;
            if probes >= 20 || Instant::now() > deadline {
                return (slowest, probes);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (statuses, (slowest, probes)) = tokio::join!(futures_util::future::join_all(logins), probe);
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert!(probes >= 20);
    // Generous: hashing runs off the request workers, so a probe never waits for it.
    assert!(
        slowest < Duration::from_millis(750),
        "slowest /healthz took {slowest:?}"
    );
}

#[tokio::test]
async fn state_changes_must_be_json_and_same_origin() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let form = admin
        .client
        .post(app.url("/api/logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("x=1")
        .send()
        .await
        .unwrap();
    expect_error(form, 415, ErrorCode::JsonRequired).await;
    let cross_site = admin
        .client
        .post(app.url("/api/logout"))
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    expect_error(cross_site, 403, ErrorCode::CrossOrigin).await;
    let _: api::MeResponse = expect_json(app.me(&admin).await, 200).await;

    let same_site = admin
        .client
        .post(app.url("/api/logout"))
        .header("origin", &app.address)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), 204);
}

/// Signs up a new organization through `client`; returns the admin's e-mail.
async fn sign_up_through(app: &tests::TestApp, client: &reqwest::Client) -> String {
    let email = unique_email("admin");
    let request = api::SignupRequest {
        org_name: "Proxied Org".into(),
        name: "Ada Admin".into(),
        email: email.clone(),
        password: PASSWORD.into(),
        plan: Plan::Team,
    };
    let _: api::MeResponse = expect_json(app.signup(client, &request).await, 201).await;
    email
}

async fn fail_log_in(app: &tests::TestApp, client: &reqwest::Client) -> u16 {
    let request = api::LoginRequest {
        email: unique_email("spray"),
        password: "guessing wrongly here".into(),
    };
    app.login(client, &request).await.status().as_u16()
}

async fn log_in_through(
    app: &tests::TestApp,
    client: &reqwest::Client,
    email: &str,
) -> reqwest::Response {
    let request = api::LoginRequest {
        email: email.into(),
        password: PASSWORD.into(),
    };
    app.login(client, &request).await
}

fn three_failures_per_address(settings: &mut server::Settings) {
    settings.throttle.login_per_address = Limit::new(3, Duration::from_secs(600));
}

#[tokio::test]
async fn behind_a_trusted_proxy_clients_are_throttled_and_audited_by_their_forwarded_address() {
    let app = spawn_app_with(|settings| {
        // The test client connects from 127.0.0.1: it plays the proxy.
        settings.trusted_proxies =
            TrustedProxies::parse("127.0.0.0/8", ForwardedHeader::XForwardedFor).unwrap();
        three_failures_per_address(settings);
    })
    .await;
    let founder = client_forwarded_for("192.0.2.44");
    let email = sign_up_through(&app, &founder).await;

    let guesser = client_forwarded_for("203.0.113.5");
    for _ in 0..3 {
        assert_eq!(fail_log_in(&app, &guesser).await, 401);
    }
    let throttled = log_in_through(&app, &guesser, &email).await;
    assert!(throttled.headers().contains_key("retry-after"));
    expect_error(throttled, 429, ErrorCode::TooManyRequests).await;

    // Another person behind the same proxy is not locked out, even if they put the throttled
    // address in front: only what the proxy appended is believed.
    let colleague = client_forwarded_for("203.0.113.5, 198.51.100.7");
    let _: api::MeResponse = expect_json(log_in_through(&app, &colleague, &email).await, 200).await;

    let page: api::AuditPage = expect_json(app.audit(&colleague, "").await, 200).await;
    let address_of = |action: &str| {
        page.events
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("no {action} in {:?}", page.events))
            .client_address
            .clone()
    };
    assert_eq!(address_of("logged_in").as_deref(), Some("198.51.100.7"));
    assert_eq!(address_of("signed_up").as_deref(), Some("192.0.2.44"));
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_header_changes_nothing() {
    let app = spawn_app_with(three_failures_per_address).await;
    let spoofer = client_forwarded_for("192.0.2.44");
    let email = sign_up_through(&app, &spoofer).await;
    for i in 0..3 {
        let client = client_forwarded_for(&format!("203.0.113.{i}"));
        assert_eq!(fail_log_in(&app, &client).await, 401);
    }
    let throttled = log_in_through(&app, &client_forwarded_for("198.51.100.7"), &email).await;
    expect_error(throttled, 429, ErrorCode::TooManyRequests).await;

    let page: api::AuditPage = expect_json(app.audit(&spoofer, "").await, 200).await;
    let signed_up = page
        .events
        .iter()
        .find(|e| e.action == "signed_up")
        .unwrap();
    assert_eq!(signed_up.client_address.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn a_sign_up_flood_from_one_address_is_refused_with_retry_after() {
    let app = spawn_app_with(|settings| {
        settings.throttle.sign_ups_per_address = Limit::new(3, Duration::from_secs(3600));
    })
    .await;
    let first = app.sign_up(Plan::Team).await;
    let flood: Vec<_> = (0..7)
        .map(|_| {
            let app = &app;
            async move {
                let request = api::SignupRequest {
                    org_name: "Flood Org".into(),
                    name: "Flo Od".into(),
                    email: unique_email("flood"),
                    password: PASSWORD.into(),
                    plan: Plan::Team,
                };
                app.signup(&new_client(), &request).await
            }
        })
        .collect();
    let answers = futures_util::future::join_all(flood).await;
    let mut created = 0;
    for answer in answers {
        if answer.status() == 201 {
            created += 1;
            continue;
        }
        let retry_after: u64 = answer.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after > 0 && retry_after <= 3600, "{retry_after}");
        expect_error(answer, 429, ErrorCode::TooManyRequests).await;
    }
    assert_eq!(created, 2, "three sign-ups per address in all");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM organizations").await,
        3
    );
    // Log-ins from the address go on.
    app.log_in_as(&first.email, PASSWORD).await;
}

#[tokio::test]
async fn a_user_s_console_language_is_saved_with_the_account() {
    let app = spawn_app().await;
    let ada = app.sign_up(Plan::Team).await;
    let me: api::MeResponse = expect_json(app.get(&ada.client, "/api/me").await, 200).await;
    assert_eq!(
        me.language, None,
        "none until chosen: the browser's is used"
    );

    let french = serde_json::json!({ "language": "fr" });
    let me: api::MeResponse =
        expect_json(app.put(&ada.client, "/api/me/language", &french).await, 200).await;
    assert_eq!(me.language, Some(api::i18n::Locale::Fr));
    // Another session of the same user sees it.
    let elsewhere = app.log_in_as(&ada.email, &ada.password).await;
    let me: api::MeResponse = expect_json(app.get(&elsewhere, "/api/me").await, 200).await;
    assert_eq!(me.language, Some(api::i18n::Locale::Fr));

    let german = serde_json::json!({ "language": "de" });
    expect_error(
        app.put(&ada.client, "/api/me/language", &german).await,
        422,
        ErrorCode::InvalidField,
    )
    .await;
    let anonymous = new_client();
    expect_error(
        app.put(&anonymous, "/api/me/language", &french).await,
        401,
        ErrorCode::NotLoggedIn,
    )
    .await;
    // Someone else's choice is theirs alone.
    let grace = app.add_member(&ada, api::Role::Member).await;
    let me: api::MeResponse = expect_json(app.get(&grace.client, "/api/me").await, 200).await;
    assert_eq!(me.language, None);
}

/// Each e-mail change tells whether the new address has an account somewhere, so even with
/// their own password a user cannot ask it at will: a few an hour, then 429 whatever the
/// address.
#[tokio::test]
async fn e_mail_changes_are_limited_so_they_cannot_probe_addresses() {
    let app = spawn_app().await;
    let prober = app.sign_up(Plan::Personal).await;
    let change = |email: &str| api::ChangeEmailRequest {
        current_password: PASSWORD.into(),
        new_email: email.into(),
    };
    for _ in 0..5 {
        let someone = app.sign_up(Plan::Personal).await;
        expect_error(
            app.change_email(&prober, &change(&someone.email)).await,
            409,
            ErrorCode::EmailTaken,
        )
        .await;
    }
    let someone = app.sign_up(Plan::Personal).await;
    let free = unique_email("Free");
    for probe in [someone.email.as_str(), free.as_str()] {
        let response = app.change_email(&prober, &change(probe)).await;
        assert!(response.headers().contains_key("retry-after"));
        expect_error(response, 429, ErrorCode::TooManyRequests).await;
    }
    // Another user is not held back by it.
    let other = app.sign_up(Plan::Personal).await;
    let _: api::MeResponse = expect_json(app.change_email(&other, &change(&free)).await, 200).await;
}
