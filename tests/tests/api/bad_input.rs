//! Bad input gets a clear status and `{code, message}` naming the problem; never a 500.

use api::{ErrorCode, Plan};
use tests::app::new_client;
use tests::{expect_error, spawn_app};

#[tokio::test]
async fn malformed_missing_unknown_and_mistyped_fields_are_named() {
    let app = spawn_app().await;
    let client = new_client();
    let signup = app.url("/api/signup");
    let send = |body: &'static str| {
        client
            .post(&signup)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    expect_error(
        send("{\"org_name\": ").await.unwrap(),
        400,
        ErrorCode::MalformedJson,
    )
    .await;
    let missing = expect_error(
        send("{\"org_name\": \"Acme\"}").await.unwrap(),
        422,
        ErrorCode::InvalidField,
    )
    .await;
    assert!(missing.contains("missing field"), "{missing}");
    let unknown = expect_error(
        send(r#"{"org_name":"A","name":"B","email":"a@b.io","password":"long enough pass","plan":"team","admin":true}"#)
            .await
            .unwrap(),
        422,
        ErrorCode::InvalidField,
    )
    .await;
    assert!(unknown.contains("unknown field"), "{unknown}");
    let plan = expect_error(
        send(r#"{"org_name":"A","name":"B","email":"a@b.io","password":"long enough pass","plan":"gold"}"#)
            .await
            .unwrap(),
        422,
        ErrorCode::InvalidField,
    )
    .await;
    assert!(plan.contains("gold"), "{plan}");
    let typed = expect_error(
        send(r#"{"org_name":5,"name":"B","email":"a@b.io","password":"long enough pass","plan":"team"}"#).await.unwrap(),
        422,
        ErrorCode::InvalidField,
    )
    .await;
    assert!(typed.contains("invalid type"), "{typed}");
}

#[tokio::test]
async fn invalid_values_name_the_field() {
    let app = spawn_app().await;
    let request = |org_name: &str, email: &str| api::SignupRequest {
        org_name: org_name.into(),
        name: "Ada".into(),
        email: email.into(),
        password: "a fine long passphrase".into(),
        plan: Plan::Team,
    };
    let empty = expect_error(
        app.signup(&new_client(), &request("   ", "a@b.io")).await,
        422,
        ErrorCode::InvalidField,
    )
    .await;
    assert!(empty.contains("org_name"), "{empty}");
    expect_error(
        app.signup(&new_client(), &request("Acme", "not-an-email"))
            .await,
        422,
        ErrorCode::InvalidEmail,
    )
    .await;
    let long = "x".repeat(101);
    expect_error(
        app.signup(&new_client(), &request(&long, "a@b.io")).await,
        422,
        ErrorCode::InvalidField,
    )
    .await;
}

#[tokio::test]
async fn oversized_bodies_get_413_and_wrong_content_types_415() {
    let app = spawn_app().await;
    let client = new_client();
    let huge = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(70 * 1024)
    );
    let response = client
        .post(app.url("/api/login"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    expect_error(response, 413, ErrorCode::PayloadTooLarge).await;
    let response = client
        .post(app.url("/api/login"))
        .body("email=a")
        .send()
        .await
        .unwrap();
    expect_error(response, 415, ErrorCode::JsonRequired).await;
}

#[tokio::test]
async fn bad_ids_and_queries_are_clear_errors() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    expect_error(
        app.delete(&admin.client, "/api/members/not-a-uuid").await,
        404,
        ErrorCode::NotFound,
    )
    .await;
    expect_error(
        app.audit(&admin, "limit=lots").await,
        400,
        ErrorCode::InvalidQuery,
    )
    .await;
    expect_error(
        app.audit(&admin, "colour=blue").await,
        400,
        ErrorCode::InvalidQuery,
    )
    .await;
}
