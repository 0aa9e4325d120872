//! A long pad's history: read in pages that replay exactly, and opened from its newest
//! snapshot instead of its whole life.

use api::ot::Operation;
use api::{ErrorCode, Plan, ServerMessage};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait};
use tests::accounts::{Account, expect_json};
use tests::pad_client::{PadClient, whole_history};
use tests::{TestApp, expect_error, spawn_app};

async fn new_pad(app: &TestApp, member: &Account) -> api::PadSummary {
    let request = api::NewPadRequest {
        candidate_name: "Ada".into(),
        job_title: None,
        language: Some("python".into()),
    };
    expect_json(app.create_pad(&member, &request).await, 201).await
}

/// Stores `count` edits as if typed (faster than typing them): mostly characters added at the
/// end, every fifth taking the first away. Returns the text they leave.
async fn store_edits(app: &TestApp, pad_id: &api::PadId, count: i64) -> String {
    let db = Database::connect(&app.database_url).await.unwrap();
    let mut text = String::new();
    let mut rows = Vec::new();
    for revision in 1..=count {
        let len = text.chars().count();
        let op = if revision % 5 == 0 && len > 0 {
            Operation::new().delete(1).retain(len - 1)
        } else {
            let c = char::from(b'a' + (revision % 26) as u8).to_string();
            Operation::new().retain(len).insert(&c)
        };
        text = op.apply(&text).unwrap();
        rows.push(entity::pad_operation::ActiveModel {
            pad_id: Set(pad_id.clone()),
            revision: Set(revision),
            client_id: Set(["filler-a", "filler-b"][revision as usize % 2].into()),
            seq: Set(revision),
            at_ms: Set(1_800_000_000_000 + revision * 100),
            op: Set(serde_json::to_string(&op).unwrap()),
        });
    }
    for chunk in rows.chunks(2_000) {
        entity::pad_operation::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    db.close().await.ok();
    text
}

#[tokio::test]
async fn a_long_history_comes_in_pages_that_replay_exactly() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member).await;
    let final_text = store_edits(&app, &pad.id, 12_345).await;

    let path = format!("/api/pads/{}/history", pad.id);
    let first: api::PadHistory = expect_json(app.get(&member.client, &path).await, 200).await;
    assert_eq!(first.operations.len(), 5_000, "one bounded page");
    assert_eq!(first.next_after, Some(5_000));
    // Every page replays to the text it says, and together they are the whole pad.
    let history = whole_history(&app, &member.client, &pad.id).await;
    assert_eq!(history.operations.len(), 12_345);
    assert!(
        history
            .operations
            .iter()
            .enumerate()
            .all(|(i, o)| o.revision == i as u64 + 1)
    );
    assert_eq!(history.final_text, final_text);
    // A page size of its own, and past the end.
    let small: api::PadHistory = expect_json(
        app.get(&member.client, &format!("{path}?after=12000&limit=100"))
            .await,
        200,
    )
    .await;
    assert_eq!(small.operations.len(), 100);
    assert_eq!(small.next_after, Some(12_100));
    let past: api::PadHistory = expect_json(
        app.get(&member.client, &format!("{path}?after=99999"))
            .await,
        200,
    )
    .await;
    assert!(past.operations.is_empty() && past.next_after.is_none());
    assert_eq!(past.final_text, final_text);
    for bad in ["limit=0", "limit=5001", "after=-1", "after=x"] {
        let response = app.get(&member.client, &format!("{path}?{bad}")).await;
        assert_eq!(response.status(), 400, "{bad}");
    }
    expect_error(
        app.get(&member.client, &format!("{path}?limit=0")).await,
        400,
        ErrorCode::InvalidLimit,
    )
    .await;
}

#[tokio::test]
async fn a_long_pad_opens_from_its_newest_snapshot() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member).await;
    let text = store_edits(&app, &pad.id, 3_500).await;
    let snapshots = format!(
        "SELECT COUNT(*) AS n FROM pad_snapshots WHERE pad_id = '{}'",
        pad.id
    );
    assert_eq!(app.count(&snapshots).await, 0);

    // The first opening replays the whole pad, and keeps a snapshot of it.
    let first = PadClient::join(&app, &pad.id, "Ada", None).await;
    assert_eq!(first.doc.text, text);
    assert_eq!(app.count(&snapshots).await, 1);
    first.close().await;

    // An early edit becomes unreadable: the pad still opens (from the snapshot, replaying
    // nothing from before it), and a reconnecting client still gets what it missed.
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared(&format!(
        "UPDATE pad_operations SET op = 'not an edit' WHERE pad_id = '{}' AND revision = 10",
        pad.id
    ))
    .await
    .unwrap();
    db.close().await.ok();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut again = loop {
        // The room of the first connection closes once it is gone.
        let client = PadClient::join(&app, &pad.id, "Ada", None).await;
        if client.doc.text == text {
            break client;
        }
        assert!(tokio::time::Instant::now() < deadline);
    };
    let typed = format!("{text}!");
    again.edit(&typed).await;
    again.settle_at(3_501).await;
    let mut socket = tests::pad_client::open_socket(&app, &pad.id, None).await;
    tests::pad_client::send(
        &mut socket,
        &api::ClientMessage::Join {
            client_id: None,
            secret: None,
            name: Some("Late".into()),
            since_revision: Some(2_600),
        },
    )
    .await;
    let Some(ServerMessage::Welcome { revision, text, .. }) =
        tests::pad_client::receive(&mut socket).await
    else {
        panic!("a welcome");
    };
    assert_eq!(
        (revision, text),
        (2_600, None),
        "the edits since 2,600 follow"
    );
    let mut last = 0;
    for _ in 0..901 {
        match tests::pad_client::receive(&mut socket).await {
            Some(ServerMessage::Op { revision, .. }) => last = revision,
            other => panic!("an edit, not {other:?}"),
        }
    }
    assert_eq!(last, 3_501);
}
