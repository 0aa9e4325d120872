//! The console's list pages: "Next page" follows the server's cursor, and the filter, search
//! and page live in the address, so Back and reload keep them (and the fields show them).

use std::time::Duration;

use entity::lever_delivery;
use fantoccini::Locator;
use sea_orm::{ActiveValue::Set, Database, EntityTrait};
use tests::browser::Browser;
use tests::poll::wait_for;
use tests::{expect_json, spawn_app};
use time::OffsetDateTime;

/// The text of every element `css` matches, in page order.
async fn texts(browser: &Browser, css: &str) -> Option<Vec<String>> {
    let cells = browser.client.find_all(Locator::Css(css)).await.ok()?;
    let mut texts = Vec::new();
    for cell in cells {
        texts.push(cell.text().await.ok()?);
    }
    Some(texts)
}

async fn wait_for_texts(
    browser: &Browser,
    css: &str,
    what: &str,
    check: impl Fn(&[String]) -> bool,
) {
    wait_for(what, Duration::from_secs(20), || async {
        texts(browser, css)
            .await
            .filter(|texts| check(texts))
            .map(|_| ())
    })
    .await;
}

async fn wait_for_candidates(browser: &Browser, what: &str, check: impl Fn(&[String]) -> bool) {
    wait_for_texts(browser, "[data-testid=pad-candidate]", what, check).await;
}

/// The `value` of the form field `css` (what a person sees in it).
async fn field_value(browser: &Browser, css: &str) -> String {
    browser
        .element(css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
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
    browser.log_in(&app, &admin).await;
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

#[tokio::test]
async fn the_pads_filter_and_search_survive_reload_and_back() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    // Candidate 0 to 11; the even ones ended.
    for i in 0..12 {
        let pad: api::PadSummary = expect_json(
            app.post(
                &admin.client,
                "/api/pads",
                &api::NewPadRequest {
                    candidate_name: format!("Candidate {i}"),
                    job_title: None,
                    language: None,
                },
            )
            .await,
            201,
        )
        .await;
        if i % 2 == 0 {
            let path = format!("/api/pads/{}/end", pad.id);
            let ended = app.post(&admin.client, &path, &serde_json::json!({})).await;
            assert_eq!(ended.status(), 200);
        }
    }
    let ended: Vec<String> = sorted(
        (0..12)
            .step_by(2)
            .map(|i| format!("Candidate {i}"))
            .collect(),
    );

    let browser = Browser::start().await;
    browser.log_in(&app, &admin).await;
    browser.goto(&app.url("/pads")).await;
    wait_for_candidates(&browser, "every pad", |names| names.len() == 12).await;

    browser
        .element("[data-testid=pad-filter] option[value=ended]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_candidates(&browser, "the ended pads", |names| {
        sorted(names.to_vec()) == ended
    })
    .await;
    browser.fill("input[name=q]", "candidate 1").await;
    wait_for_candidates(&browser, "the ended pad found", |names| {
        names == ["Candidate 10"]
    })
    .await;

    browser.client.refresh().await.unwrap();
    wait_for_candidates(&browser, "the filter and search after a reload", |names| {
        names == ["Candidate 10"]
    })
    .await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.query(), Some("status=ended&q=candidate%201"));
    assert_eq!(
        field_value(&browser, "[data-testid=pad-filter]").await,
        "ended"
    );
    assert_eq!(field_value(&browser, "input[name=q]").await, "candidate 1");

    // The search replaced the filter's history entry: Back returns to the whole list, and the
    // fields say so.
    browser.client.back().await.unwrap();
    wait_for_candidates(&browser, "Back to every pad", |names| names.len() == 12).await;
    assert_eq!(field_value(&browser, "[data-testid=pad-filter]").await, "");
    assert_eq!(field_value(&browser, "input[name=q]").await, "");
    browser.client.forward().await.unwrap();
    wait_for_candidates(&browser, "Forward to the search again", |names| {
        names == ["Candidate 10"]
    })
    .await;
    assert_eq!(field_value(&browser, "input[name=q]").await, "candidate 1");
    browser.close().await;
}

async fn delivery_statuses(browser: &Browser) -> Option<Vec<String>> {
    let rows = browser
        .client
        .find_all(Locator::Css("[data-testid=delivery-row]"))
        .await
        .ok()?;
    let mut statuses = Vec::new();
    for row in rows {
        statuses.push(row.attr("data-status").await.ok()??);
    }
    Some(statuses)
}

async fn wait_for_statuses(browser: &Browser, what: &str, check: impl Fn(&[String]) -> bool) {
    wait_for(what, Duration::from_secs(20), || async {
        delivery_statuses(browser)
            .await
            .filter(|statuses| check(statuses))
            .map(|_| ())
    })
    .await;
}

fn all_dead(statuses: &[String], count: usize) -> bool {
    statuses.len() == count && statuses.iter().all(|s| s == "dead")
}

#[tokio::test]
async fn the_deliveries_filter_search_and_page_survive_reload_and_back() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Enterprise).await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    // Three that made pads, the newest, then 60 that failed for good.
    let rows: Vec<_> = (0..63i64)
        .map(|i| {
            let (status, name) = if i < 3 {
                ("pad_created", format!("Made {i}"))
            } else {
                ("dead", format!("Dead {i}"))
            };
            lever_delivery::ActiveModel {
                id: Set(api::DeliveryId::random()),
                org_id: Set(admin.me.organization.id),
                received_at: Set(now - time::Duration::seconds(i)),
                event: Set("candidateStageChange".into()),
                triggered_at: Set(None),
                opportunity_id: Set(Some(format!("opp-{i}"))),
                to_stage_id: Set(None),
                status: Set(lever_delivery::Status::from_code(status).expect("a delivery status")),
                reason: Set(None),
                detail: Set(Some("Lever answered 503".into())),
                candidate_name: Set(Some(name)),
                pad_id: Set(None),
                attempts: Set(8),
                detail_message: Set(None),
            }
        })
        .collect();
    lever_delivery::Entity::insert_many(rows)
        .exec(&db)
        .await
        .unwrap();

    let browser = Browser::start().await;
    browser.log_in(&app, &admin).await;
    browser
        .goto(&app.url("/integrations/lever/deliveries"))
        .await;
    wait_for_statuses(&browser, "the first page of all", |statuses| {
        statuses.len() == 50 && statuses[0] == "pad_created"
    })
    .await;

    browser
        .element("[data-testid=delivery-filter] option[value=dead]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_statuses(&browser, "the first page of dead ones", |s| all_dead(s, 50)).await;
    browser.click_button("Next page").await;
    wait_for_statuses(&browser, "the second page of dead ones", |s| {
        all_dead(s, 10)
    })
    .await;

    browser.client.refresh().await.unwrap();
    wait_for_statuses(&browser, "the second page after a reload", |s| {
        all_dead(s, 10)
    })
    .await;
    let url = browser.client.current_url().await.unwrap();
    let query = url.query().unwrap_or("");
    assert!(query.starts_with("status=dead&cursor="), "{url}");
    assert_eq!(
        field_value(&browser, "[data-testid=delivery-filter]").await,
        "dead"
    );

    browser.client.back().await.unwrap();
    wait_for_statuses(&browser, "Back to the first page of dead ones", |s| {
        all_dead(s, 50)
    })
    .await;
    assert_eq!(
        field_value(&browser, "[data-testid=delivery-filter]").await,
        "dead"
    );
    browser.client.back().await.unwrap();
    wait_for_statuses(&browser, "Back to the first page of all", |statuses| {
        statuses.len() == 50 && statuses[0] == "pad_created"
    })
    .await;
    assert_eq!(
        field_value(&browser, "[data-testid=delivery-filter]").await,
        ""
    );

    browser.fill("input[name=q]", "made 1").await;
    wait_for_texts(
        &browser,
        "[data-testid=delivery-candidate]",
        "the search's one delivery",
        |names| names == ["Made 1"],
    )
    .await;
    browser.client.refresh().await.unwrap();
    wait_for_texts(
        &browser,
        "[data-testid=delivery-candidate]",
        "the search after a reload",
        |names| names == ["Made 1"],
    )
    .await;
    assert_eq!(field_value(&browser, "input[name=q]").await, "made 1");
    browser.close().await;
}
