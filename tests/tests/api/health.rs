use tests::spawn_app;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: api::HealthResponse = response.json().await.unwrap();
    assert_eq!(body.status, "ok");
}

#[tokio::test]
async fn readyz_reports_the_database_in_use() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: api::ReadinessResponse = response.json().await.unwrap();
    assert_eq!(body.status, "ready");
    let expected = if app.database_url.starts_with("postgres") {
        api::DatabaseKind::Postgres
    } else {
        api::DatabaseKind::Sqlite
    };
    assert_eq!(body.database, expected);
}

#[tokio::test]
async fn a_restart_on_the_same_database_migrates_again_without_harm() {
    let app = spawn_app().await;
    let app = app.restart().await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn unknown_api_routes_answer_json_404() {
    let app = spawn_app().await;
    for path in ["/api/nothing-here", "/webhooks/unknown", "/api"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: api::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.code, api::ErrorCode::NotFound, "{path}");
        assert!(body.message.contains(path), "{path}: {}", body.message);
    }
    let response = app.client.post(app.url("/some/page")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}
