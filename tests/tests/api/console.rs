//! The console's files as the server delivers them: index.html for client routes, hashed assets
//! with long cache lifetimes, and the compressed variant the browser asks for.

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use tests::app::console_dir;
use tests::spawn_app;

/// The brotli size the console must stay under.
const WASM_BROTLI_BUDGET: u64 = 400 * 1024;

fn asset_names() -> Vec<String> {
    let dir = console_dir().join("assets");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|_| panic!("{} is missing: run `make console` first", dir.display()));
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".br") && !n.ends_with(".gz"))
        .collect();
    names.sort();
    names
}

fn wasm_name() -> String {
    asset_names()
        .into_iter()
        .find(|n| n.ends_with(".wasm"))
        .expect("the console's wasm in dist/assets")
}

#[tokio::test]
async fn client_routes_get_index_html_without_caching() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/settings/lever", "/pad/abc"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-cache");
        assert!(response.headers().contains_key("content-security-policy"));
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&wasm_name()),
            "index.html names the current wasm"
        );
    }
}

#[tokio::test]
async fn hashed_assets_are_cached_forever_and_compressed_as_asked() {
    let app = spawn_app().await;
    let wasm = wasm_name();
    let on_disk = std::fs::read(console_dir().join("assets").join(&wasm)).unwrap();
    let url = app.url(&format!("/assets/{wasm}"));

    let plain = app.client.get(&url).send().await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(
        plain.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(plain.headers()[CONTENT_TYPE], "application/wasm");
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), on_disk.as_slice());

    for (accept, expected) in [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
    ] {
        let response = app
            .client
            .get(&url)
            .header(ACCEPT_ENCODING, accept)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()[CONTENT_ENCODING],
            expected,
            "Accept-Encoding: {accept}"
        );
        assert_eq!(response.headers()["vary"], "Accept-Encoding");
        let body = response.bytes().await.unwrap();
        assert!(
            body.len() < on_disk.len(),
            "{expected} is smaller than the raw file"
        );
    }

    let missing = app
        .client
        .get(app.url("/assets/app-0000.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[test]
fn wasm_stays_within_the_brotli_budget() {
    let path = console_dir()
        .join("assets")
        .join(format!("{}.br", wasm_name()));
    let size = std::fs::metadata(&path)
        .expect("brotli variant of the wasm")
        .len();
    assert!(
        size <= WASM_BROTLI_BUDGET,
        "the console's wasm is {size} bytes brotli-compressed, over the {WASM_BROTLI_BUDGET} budget"
    );
}
