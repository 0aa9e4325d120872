//! Remote cursors over the pad's WebSocket, black-box: each participant's caret and selection
//! reach the others under the id the server knows them by, moved past edits made meanwhile,
//! thinned when flooded, and never stored.

use std::time::{Duration, Instant};

use api::ot::Selection;
use api::{Plan, RefusalCode};
use tests::accounts::{Account, expect_json};
use tests::pad_client::PadClient;
use tests::{TestApp, spawn_app};

async fn new_pad(app: &TestApp, member: &Account) -> api::PadSummary {
    let request = api::NewPadRequest {
        candidate_name: "Ada".into(),
        job_title: None,
        language: Some("python".into()),
    };
    expect_json(app.create_pad(member, &request).await, 201).await
}

async fn history(app: &TestApp, member: &Account, pad_id: &api::PadId) -> api::PadHistory {
    expect_json(app.pad_history(member, pad_id, "").await, 200).await
}

/// Ada (who typed `text`) and Bob, both at its revision.
async fn two_in_a_pad(app: &TestApp, pad: &api::PadSummary, text: &str) -> (PadClient, PadClient) {
    let mut ada = PadClient::join(app, &pad.id, "Ada", None).await;
    let mut bob = PadClient::join(app, &pad.id, "Bob", None).await;
    ada.edit(text).await;
    ada.settle_at(1).await;
    bob.settle_at(1).await;
    (ada, bob)
}

#[tokio::test]
async fn a_cursor_reaches_the_others_under_its_senders_id_and_not_the_sender() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member).await;
    let (mut ada, mut bob) = two_in_a_pad(&app, &pad, "hello world").await;
    let mut cy = PadClient::join(&app, &pad.id, "Cy", None).await;

    // "world" selected backwards. An id of someone else's in the message is not taken.
    let forged = format!(
        r#"{{"type":"cursor","revision":1,"anchor":11,"head":6,"client_id":"{}"}}"#,
        bob.client_id
    );
    assert!(ada.send_raw(&forged).await);
    let world = Selection {
        anchor: 11,
        head: 6,
    };
    for watcher in [&mut bob, &mut cy] {
        let ada_id = ada.client_id.clone();
        watcher
            .wait_until("Ada's cursor", |c| c.cursor_of(&ada_id).is_some())
            .await;
        assert_eq!(watcher.cursor_of(&ada.client_id), Some((1, world)));
        assert_eq!(watcher.cursors.len(), 1, "{:?}", watcher.cursors);
    }
    // Bob answers with his own; by the time Ada has it, she would have had hers.
    assert!(bob.send_cursor(1, Selection::caret(0)).await);
    let bob_id = bob.client_id.clone();
    ada.wait_until("Bob's cursor", |c| c.cursor_of(&bob_id).is_some())
        .await;
    assert_eq!(
        ada.cursors,
        [(bob.client_id.clone(), 1, Selection::caret(0))],
        "nobody is sent their own cursor"
    );

    // Someone joining now is told where the others are, after the welcome.
    let mut dee = PadClient::join(&app, &pad.id, "Dee", None).await;
    let ada_id = ada.client_id.clone();
    dee.wait_until("both cursors", |c| {
        c.cursor_of(&ada_id).is_some() && c.cursor_of(&bob_id).is_some()
    })
    .await;
    assert_eq!(dee.cursor_of(&ada.client_id), Some((1, world)));

    // Ada leaves: the others are told by the participant list, and newcomers hear nothing
    // of her caret.
    ada.close().await;
    bob.wait_until("Ada offline", |c| !c.shows_online(&ada_id))
        .await;
    let mut eve = PadClient::join(&app, &pad.id, "Eve", None).await;
    eve.wait_until("Bob's cursor", |c| c.cursor_of(&bob_id).is_some())
        .await;
    assert_eq!(eve.cursor_of(&ada_id), None);
}

#[tokio::test]
async fn a_cursor_made_on_an_old_revision_arrives_moved_past_the_edits_since() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member).await;
    let (mut ada, mut bob) = two_in_a_pad(&app, &pad, "hello").await;
    // Bob types in front while Ada, not knowing it yet, puts her caret after "hell".
    bob.edit(">> hello").await;
    bob.settle_at(2).await;
    assert!(ada.send_cursor(1, Selection::caret(4)).await);
    let ada_id = ada.client_id.clone();
    bob.wait_until("Ada's cursor", |c| c.cursor_of(&ada_id).is_some())
        .await;
    assert_eq!(bob.cursor_of(&ada_id), Some((2, Selection::caret(7))));
    // Bob's console places it in its own text the same way: after "hell".
    let placed = bob
        .doc
        .selection_from_server(2, Selection::caret(7))
        .unwrap();
    assert_eq!(&bob.doc.text[..placed.head], ">> hell");

    // Her own typing then carries it along for a newcomer; Bob's typing at it does not.
    ada.settle_at(2).await;
    ada.edit(">> hellXo").await;
    ada.settle_at(3).await;
    bob.settle_at(3).await;
    bob.edit(">> hellXYo").await;
    bob.settle_at(4).await;
    let mut cy = PadClient::join(&app, &pad.id, "Cy", None).await;
    cy.wait_until("Ada's cursor", |c| c.cursor_of(&ada_id).is_some())
        .await;
    assert_eq!(cy.cursor_of(&ada_id), Some((4, Selection::caret(8))));
}

#[tokio::test]
async fn a_flood_of_cursors_is_thinned_to_the_newest_and_the_connection_stays_up() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member).await;
    let (mut ada, mut bob) = two_in_a_pad(&app, &pad, "0123456789").await;
    let started = Instant::now();
    let flood = 2_000;
    for i in 0..flood {
        assert!(
            ada.send_cursor(1, Selection::caret(i % 10)).await,
            "the connection stays open"
        );
    }
    assert!(ada.send_cursor(1, Selection::caret(10)).await);
    let ada_id = ada.client_id.clone();
    bob.wait_until("Ada's last cursor", |c| {
        c.cursor_of(&ada_id) == Some((1, Selection::caret(10)))
    })
    .await;
    let elapsed = started.elapsed();
    let relayed = bob.cursors.len();
    // At most one every 50 ms, the first at once.
    let allowed = 2 + (elapsed.as_millis() / 50) as usize;
    assert!(
        relayed <= allowed,
        "{relayed} cursors relayed in {elapsed:?} (at most {allowed})"
    );
    assert!(relayed < flood / 10, "{relayed} of {flood} relayed");
    assert_eq!(
        bob.cursors.last().map(|(_, _, at)| *at),
        Some(Selection::caret(10)),
        "the newest is relayed last"
    );

    // Ada's connection works as before: her edit is stored and reaches Bob.
    ada.edit("0123456789!").await;
    ada.settle_at(2).await;
    bob.settle_at(2).await;
    assert_eq!(bob.doc.text, "0123456789!");
    assert!(ada.refusals.is_empty(), "{:?}", ada.refusals);
}

#[tokio::test]
async fn cursors_are_never_stored_nor_played_back() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member).await;
    let (mut ada, mut bob) = two_in_a_pad(&app, &pad, "print(1)").await;
    let before = history(&app, &member, &pad.id).await;
    for at in 0..8 {
        assert!(
            ada.send_cursor(
                1,
                Selection {
                    anchor: 0,
                    head: at
                }
            )
            .await
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let ada_id = ada.client_id.clone();
    bob.wait_until("Ada's last cursor", |c| {
        c.cursor_of(&ada_id) == Some((1, Selection { anchor: 0, head: 7 }))
    })
    .await;
    let after = history(&app, &member, &pad.id).await;
    assert_eq!(after, before, "the history is as the edits left it");
    assert_eq!(after.operations.len(), 1);
    // Nor after a restart (nothing was kept anywhere to replay).
    ada.close().await;
    bob.close().await;
    let app = app.restart().await;
    assert_eq!(history(&app, &member, &pad.id).await, before);
}

#[tokio::test]
async fn a_cursor_that_does_not_fit_the_text_is_refused_like_an_edit_that_does_not() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member).await;
    let (mut ada, mut bob) = two_in_a_pad(&app, &pad, "abc").await;
    // Beyond the text at its revision: Ada's editor is out of step, and resynchronises.
    assert!(ada.send_cursor(1, Selection { anchor: 1, head: 4 }).await);
    while ada.pump().await {}
    assert_eq!(ada.refusals.last(), Some(&RefusalCode::InvalidOperation));
    // A revision the pad has not reached.
    let mut cy = PadClient::join(&app, &pad.id, "Cy", None).await;
    assert!(cy.send_cursor(7, Selection::caret(0)).await);
    while cy.pump().await {}
    assert_eq!(cy.refusals.last(), Some(&RefusalCode::InvalidRevision));
    // Not JSON of a cursor at all.
    let mut dee = PadClient::join(&app, &pad.id, "Dee", None).await;
    assert!(
        dee.send_raw(r#"{"type":"cursor","revision":1,"head":-1}"#)
            .await
    );
    while dee.pump().await {}
    assert_eq!(dee.refusals.last(), Some(&RefusalCode::MalformedMessage));
    // A cursor padded out to a large frame: cursors skip the message bucket, so they are small.
    let mut eve = PadClient::join(&app, &pad.id, "Eve", None).await;
    let padded = format!(
        r#"{{"type":"cursor","revision":1,"anchor":0,"head":0{}}}"#,
        " ".repeat(4_000)
    );
    assert!(eve.send_raw(&padded).await);
    while eve.pump().await {}
    assert_eq!(eve.refusals.last(), Some(&RefusalCode::MalformedMessage));

    // Bob heard of none of them, and the pad is untouched.
    bob.edit("abcd").await;
    bob.settle_at(2).await;
    assert!(bob.cursors.is_empty(), "{:?}", bob.cursors);
    assert_eq!(history(&app, &member, &pad.id).await.final_text, "abcd");
}

/// Waits for `what` at most a few seconds: a cursor crossing instances takes one notification.
async fn within<T>(what: &str, waiting: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

#[tokio::test]
async fn a_cursor_crosses_instances_moved_past_the_edits_since_and_goes_with_its_owner() {
    let app = spawn_app().await;
    if !app.uses_postgres() {
        eprintln!("skipped: several instances need STAGEPAD_TEST_POSTGRES_URL");
        return;
    }
    let second = app.another_instance().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member).await;
    let mut ada = PadClient::join(&app, &pad.id, "Ada", None).await;
    let mut bob = PadClient::join(&second, &pad.id, "Bob", None).await;
    let (ada_id, bob_id) = (ada.client_id.clone(), bob.client_id.clone());
    within(
        "Ada online on the second instance",
        bob.wait_until("Ada online", |c| c.shows_online(&ada_id)),
    )
    .await;
    ada.edit("hello world").await;
    within("Ada's edit stored", ada.settle_at(1)).await;
    within("Ada's edit on the second instance", bob.settle_at(1)).await;

    // "world" selected backwards on the first instance reaches Bob on the second, under
    // Ada's id.
    let world = Selection {
        anchor: 11,
        head: 6,
    };
    assert!(ada.send_cursor(1, world).await);
    within(
        "Ada's cursor on the second instance",
        bob.wait_until("Ada's cursor", |c| c.cursor_of(&ada_id).is_some()),
    )
    .await;
    assert_eq!(bob.cursor_of(&ada_id), Some((1, world)));
    assert_eq!(bob.cursors.len(), 1, "{:?}", bob.cursors);

    // Ada types on and puts her caret after what she typed.
    ada.edit("hello world!").await;
    within("Ada's second edit stored", ada.settle_at(2)).await;
    assert!(ada.send_cursor(2, Selection::caret(12)).await);
    within(
        "Ada's new cursor on the second instance",
        bob.wait_until("Ada's second cursor", |c| c.cursors.len() == 2),
    )
    .await;
    assert_eq!(bob.cursor_of(&ada_id), Some((2, Selection::caret(12))));
    assert_eq!(bob.doc.revision, 2, "her edit reached Bob before her caret");

    // Bob types in front while Ada, not knowing it, puts her caret after "hello" (revision 2):
    // it reaches Bob moved past his edit, whichever instance moves it.
    bob.edit(">> hello world!").await;
    within("Bob's edit stored", bob.settle_at(3)).await;
    assert!(ada.send_cursor(2, Selection::caret(5)).await);
    within(
        "Ada's cursor made before Bob's edit",
        bob.wait_until("Ada's third cursor", |c| c.cursors.len() == 3),
    )
    .await;
    assert_eq!(bob.cursor_of(&ada_id), Some((3, Selection::caret(8))));
    let placed = bob
        .doc
        .selection_from_server(3, Selection::caret(8))
        .expect("the cursor fits Bob's text");
    assert_eq!(&bob.doc.text[..placed.head], ">> hello");

    // The second instance keeps her caret for newcomers, carried by her typing at it and
    // moved by Bob's in front of it.
    within("Bob's edit on the first instance", ada.settle_at(3)).await;
    ada.edit(">> helloX world!").await;
    within("Ada's third edit stored", ada.settle_at(4)).await;
    within("Ada's third edit on the second instance", bob.settle_at(4)).await;
    bob.edit("# >> helloX world!").await;
    within("Bob's second edit stored", bob.settle_at(5)).await;
    let mut cy = PadClient::join(&second, &pad.id, "Cy", None).await;
    within(
        "Ada's cursor for a newcomer on the second instance",
        cy.wait_until("Ada's cursor", |c| c.cursor_of(&ada_id).is_some()),
    )
    .await;
    assert_eq!(cy.cursor_of(&ada_id), Some((5, Selection::caret(11))));
    let placed = cy
        .doc
        .selection_from_server(5, Selection::caret(11))
        .expect("fits");
    assert_eq!(&cy.doc.text[..placed.head], "# >> helloX");

    // Ada leaves: the participant list tells Bob, and a newcomer there hears nothing of her
    // caret (only of Bob's, made here).
    assert!(bob.send_cursor(5, Selection::caret(0)).await);
    ada.close().await;
    within(
        "Ada offline on the second instance",
        bob.wait_until("Ada offline", |c| !c.shows_online(&ada_id)),
    )
    .await;
    let mut dee = PadClient::join(&second, &pad.id, "Dee", None).await;
    within(
        "Bob's cursor for a newcomer",
        dee.wait_until("Bob's cursor", |c| c.cursor_of(&bob_id).is_some()),
    )
    .await;
    assert_eq!(dee.cursor_of(&ada_id), None, "{:?}", dee.cursors);
}
