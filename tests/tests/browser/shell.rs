use tests::browser::Browser;
use tests::spawn_app;

#[tokio::test]
async fn the_console_renders_from_wasm() {
    let app = spawn_app().await;
    let html = app
        .client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("Interview pads that open themselves"),
        "the text must come from wasm"
    );

    let browser = Browser::start().await;
    browser.goto(&app.url("/")).await;
    browser
        .wait_for_text("h1", "Interview pads that open themselves")
        .await;
    browser
        .wait_for_text("[data-testid=server-status]", "Server ready")
        .await;

    // An unknown client route is rendered by the app's router, not by the server.
    browser.goto(&app.url("/no/such/page")).await;
    browser.wait_for_text("h1", "Page not found").await;
    browser.close().await;
}
