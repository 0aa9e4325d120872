//! The console's lists page: "Next page" follows the server's cursor, and the filter, search
//! and page live in the address, so Back and reload keep them.

use std::time::Duration;

use fantoccini::Locator;
use sea_orm::{ActiveValue::Set, Database, EntityTrait};
use tests::browser::Browser;
use tests::poll::wait_for;
use tests::{PASSWORD, spawn_app};
use time::OffsetDateTime;

async fn candidates(browser: &Browser) -> Option<Vec<String>> {
    let cells = browser
        .client
        .find_all(Locator::Css("[data-testid=pad-candidate]"))
        .await
        .ok()?;
    let mut names = Vec::new();
    for cell in cells {
        names.push(cell.text().await.ok()?);
    }
    Some(names)
}

async fn wait_for_candidates(browser: &Browser, what: &str, check: impl Fn(&[String]) -> bool) {
    wait_for(what, Duration::from_secs(20), || async {
        candidates(browser)
            .await
            .filter(|names| check(names))
            .map(|_| ())
    })
    .await;
}

#[tokio::test]
async fn the_pads_list_pages_and_keeps_its_place_in_the_address() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    // 60 pads, Candidate 0 the newest: the first page shows 0 to 49.
    let rows: Vec<_> = (0..60i64)
        .map(|i| {
            let mut row = server::pads::new_pad(
                admin.me.organization.id,
                server::pads::PadSource::Manual,
                format!("Candidate {i}"),
                None,
            )
            .0;
            row.created_at = Set(now - time::Duration::minutes(i));
            row
        })
        .collect();
    entity::pad::Entity::insert_many(rows)
        .exec(&db)
        .await
        .unwrap();

    let browser = Browser::start().await;
    browser.goto(&app.url("/login")).await;
    browser.fill("[name=email]", &admin.email).await;
    browser.fill("[name=password]", PASSWORD).await;
    browser.click_button("Log in").await;
    browser.wait_for_path("/").await;
    browser.goto(&app.url("/pads")).await;
    wait_for_candidates(&browser, "the first page", |names| {
        names.len() == 50 && names[0] == "Candidate 0"
    })
    .await;

    browser.click_button("Next page").await;
    wait_for_candidates(&browser, "the second page", |names| {
        names.len() == 10 && names[9] == "Candidate 59"
    })
    .await;
    let url = browser.client.current_url().await.unwrap();
    assert!(url.query().unwrap_or("").contains("cursor="), "{url}");
    assert!(
        !browser
            .element("[data-testid=next-page]")
            .await
            .is_enabled()
            .await
            .unwrap(),
        "the last page has no next"
    );

    browser.client.back().await.unwrap();
    wait_for_candidates(&browser, "Back to the first page", |names| {
        names.len() == 50 && names[0] == "Candidate 0"
    })
    .await;

    browser.fill("input[name=q]", "candidate 57").await;
    wait_for_candidates(&browser, "the search's one pad", |names| {
        names == ["Candidate 57"]
    })
    .await;
    browser.client.refresh().await.unwrap();
    wait_for_candidates(&browser, "the search to survive a reload", |names| {
        names == ["Candidate 57"]
    })
    .await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.query(), Some("q=candidate%2057"));
    browser.close().await;
}
