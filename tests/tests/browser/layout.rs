//! Every page fits its width: from 1280 px (a laptop) to 390 px (a phone) nothing sticks out of
//! its card or of the window, inline confirmations included, and the header wraps instead of
//! pushing Log out off the screen. Ending a pad from the list asks first.

use std::time::Duration;

use tests::accounts::{Account, expect_json};
use tests::browser::Browser;
use tests::lever_sim::{LeverSim, NewCandidate};
use tests::{TestApp, spawn_app};

/// A laptop, a small laptop, a tablet and a phone.
const WIDTHS: [u32; 4] = [1280, 1024, 820, 390];

/// What sticks out: the page wider than the window, a card or the header that scrolls
/// sideways, or an element whose right edge lies past its card's.
const OVERFLOWS: &str = r#"
const problems = [];
const width = window.innerWidth;
const page = document.documentElement.scrollWidth;
if (page > width + 1) problems.push(`the page is ${page} px wide in a ${width} px window`);
for (const box of document.querySelectorAll('.card, .site-header')) {
  const name = (box.querySelector('h1, h2') || box).textContent.trim().slice(0, 40);
  if (box.scrollWidth > box.clientWidth + 1) {
    problems.push(`"${name}" scrolls sideways (${box.scrollWidth} > ${box.clientWidth})`);
  }
  const edge = box.getBoundingClientRect().right;
  for (const element of box.querySelectorAll('*')) {
    const right = element.getBoundingClientRect().right;
    if (element.getClientRects().length > 0 && right > edge + 1) {
      const text = (element.textContent || '').trim().slice(0, 40);
      problems.push(`in "${name}", <${element.tagName.toLowerCase()}> "${text}" ends at ${Math.round(right)} past ${Math.round(edge)}`);
      break;
    }
  }
}
// A checkbox or radio stretched across its form pushes its label aside.
for (const choice of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
  const wide = choice.getBoundingClientRect().width;
  if (wide > 40) problems.push(`a ${choice.type} "${choice.name}" is ${Math.round(wide)} px wide`);
}
return problems;
"#;

/// Sets the window (and so the layout viewport) to `width`.
async fn resize(browser: &Browser, width: u32) {
    browser.client.set_window_size(width, 900).await.unwrap();
    let inner = browser
        .client
        .execute("return window.innerWidth", vec![])
        .await
        .unwrap();
    assert_eq!(inner.as_u64(), Some(u64::from(width)), "the viewport width");
}

/// Waits until `ready` (a CSS selector) is on the page, then until nothing overflows (the page
/// may still be laying out what it loaded); fails with what still sticks out after 5 s.
async fn assert_fits(browser: &Browser, ready: &str, what: &str) {
    browser.element(ready).await;
    let mut problems = Vec::new();
    for _ in 0..50 {
        let found = browser.client.execute(OVERFLOWS, vec![]).await.unwrap();
        problems = serde_json::from_value::<Vec<String>>(found).unwrap();
        if problems.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let width = browser
        .client
        .execute("return window.innerWidth", vec![])
        .await
        .unwrap();
    browser
        .screenshot_if_asked(&format!("overflow-{}", what.replace(['/', ' '], "_")))
        .await;
    panic!("{what} at {width} px: {problems:#?}");
}

/// An organization with something in every list, with long names where people type them.
async fn busy_organization(app: &TestApp, sim: &LeverSim) -> Account {
    let admin = app.sign_up(api::Plan::Enterprise).await;
    app.connect_lever(&admin, sim, &["Phone interview"]).await;
    let candidate = sim
        .create_candidate(NewCandidate {
            name: "Maximiliana Alexandrovna Konstantinopoulou-Smythe".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_candidate(&candidate, &sim.stage_id("Phone interview").await)
        .await;
    app.outcome_for(&admin, &candidate).await;
    for i in 0..2 {
        let _: api::PadSummary = expect_json(
            app.create_pad(
                &admin,
                &api::NewPadRequest {
                    candidate_name: format!("Bartholomew Fitzgerald-Worthington the {i}th"),
                    job_title: Some("Senior Staff Backend Engineer, Payments Platform".into()),
                    language: None,
                },
            )
            .await,
            201,
        )
        .await;
    }
    app.add_member(&admin, api::Role::Member).await;
    app.invite(
        &admin,
        "someone.with.a.rather.long.address@subsidiary.example-company.com",
        api::Role::Member,
    )
    .await;
    admin
}

#[tokio::test]
async fn every_page_fits_a_laptop_and_a_phone_and_ending_from_the_list_asks_first() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = busy_organization(&app, &sim).await;
    let browser = Browser::start().await;

    // Logged out: the landing page and the sign-up form with its long plan choices.
    for width in WIDTHS {
        resize(&browser, width).await;
        browser.goto(&app.url("/")).await;
        assert_fits(&browser, "h1", "the landing page").await;
        browser.goto(&app.url("/signup")).await;
        assert_fits(&browser, "select[name=plan]", "sign-up").await;
    }

    browser.log_in(&app, &admin).await;
    let pages = [
        ("/", "[data-testid=home]"),
        ("/pads", "[data-testid=pad-row]"),
        ("/members", "[data-testid=member-row]"),
        (
            "/integrations/lever/deliveries",
            "[data-testid=delivery-row]",
        ),
        ("/audit", "[data-testid=audit-row]"),
        ("/settings", "[data-testid=current-plan]"),
        ("/account", "h1"),
        ("/integrations/lever", "[data-testid=step-overview]"),
    ];
    for width in WIDTHS {
        resize(&browser, width).await;
        for (path, ready) in pages {
            browser.goto(&app.url(path)).await;
            assert_fits(&browser, ready, path).await;
        }

        // The inline confirmations fit their rows too.
        browser.goto(&app.url("/members")).await;
        browser.click_button("Remove").await;
        assert_fits(&browser, ".confirm", "the members' Remove confirmation").await;
        browser.click_button("Cancel").await;

        browser.goto(&app.url("/pads")).await;
        browser.click_button("End").await;
        assert_fits(
            &browser,
            "[data-testid=confirm-end]",
            "the pads' End confirmation",
        )
        .await;
        browser.click_button("Cancel").await;
    }

    // End in the list only asked: every pad still runs, until "Yes, end".
    let running = |pads: api::PadsResponse| {
        pads.pads
            .iter()
            .filter(|p| p.status != api::PadStatus::Ended)
            .count()
    };
    let pads: api::PadsResponse = expect_json(app.list_pads(&admin, "").await, 200).await;
    assert_eq!(running(pads), 3, "asking to end ends nothing");
    browser.click_button("End").await;
    browser.click_button("Yes, end").await;
    browser
        .wait_for_text("[data-testid=pad-row][data-status=ended]", "")
        .await;
    let pads: api::PadsResponse = expect_json(app.list_pads(&admin, "").await, 200).await;
    assert_eq!(running(pads), 2, "one pad ended once confirmed");
    browser.close().await;
}
