//! The pad's link in the hands of strangers and intruders: an ended pad gives nothing away, a
//! participant's identity cannot be taken over, and nobody can make a pad or its room grow
//! without bound.

use api::{ClientMessage, ErrorCode, Plan, RefusalCode, ServerMessage};
use tests::accounts::{Account, expect_json};
use tests::pad_client::{PadClient, open_socket, receive, send, whole_history};
use tests::{TestApp, spawn_app};

async fn new_pad(app: &TestApp, member: &Account, candidate: &str) -> api::PadSummary {
    let request = api::NewPadRequest {
        candidate_name: candidate.into(),
        job_title: None,
        language: Some("python".into()),
    };
    expect_json(app.create_pad(&member, &request).await, 201).await
}

async fn end(app: &TestApp, member: &Account, pad_id: &api::PadId) {
    let _: api::PadView = expect_json(app.end_pad(&member, pad_id).await, 200).await;
}

/// Everything the server says to a fresh connection that joins with `join`, until it closes.
async fn answers_to(app: &TestApp, pad_id: &api::PadId, join: ClientMessage) -> Vec<ServerMessage> {
    let mut socket = open_socket(app, pad_id, None).await;
    send(&mut socket, &join).await;
    let mut answers = Vec::new();
    while let Some(message) = receive(&mut socket).await {
        answers.push(message);
    }
    answers
}

/// Joins as a new guest and leaves at once; waits for room when the address is at its limit of
/// sockets (the server may not have seen earlier ones close yet).
async fn join_and_leave(app: &TestApp, pad_id: &api::PadId, name: &str) {
    let url = format!("ws://127.0.0.1:{}/api/pads/{pad_id}/socket", app.port);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut socket = loop {
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok((socket, _)) => break socket,
            Err(e) => {
                assert!(tokio::time::Instant::now() < deadline, "no socket: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    let mut join = guest_join(None, None);
    if let ClientMessage::Join { name: given, .. } = &mut join {
        *given = Some(name.into());
    }
    send(&mut socket, &join).await;
    let welcome = receive(&mut socket).await;
    assert!(
        matches!(welcome, Some(ServerMessage::Welcome { .. })),
        "{welcome:?}"
    );
    let _ = socket.close(None).await;
}

fn guest_join(client_id: Option<&str>, since_revision: Option<u64>) -> ClientMessage {
    ClientMessage::Join {
        client_id: client_id.map(str::to_string),
        secret: None,
        name: Some("Stranger".into()),
        since_revision,
    }
}

#[tokio::test]
async fn an_ended_pad_gives_its_code_to_no_stranger() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut candidate = PadClient::join(&app, &pad.id, "Ada", None).await;
    candidate.edit("API_KEY = 'hunter2'").await;
    candidate.settle_at(1).await;
    end(&app, &member, &pad.id).await;
    candidate.wait_until("the end", |c| c.ended).await;
    let participants = "SELECT COUNT(*) AS n FROM pad_participants";
    let before = app.count(participants).await;

    // Neither as a newcomer, nor as a reconnecting client asking for the past edits, nor under
    // the candidate's own id.
    for join in [
        guest_join(None, None),
        guest_join(None, Some(0)),
        guest_join(Some(&candidate.client_id), Some(0)),
    ] {
        let answers = answers_to(&app, &pad.id, join).await;
        assert!(
            !answers.iter().any(|m| matches!(
                m,
                ServerMessage::Welcome { .. }
                    | ServerMessage::Op { .. }
                    | ServerMessage::Participants { .. }
            )),
            "an ended pad answered a stranger with {answers:?}"
        );
        assert!(
            answers.iter().any(
                |m| matches!(m, ServerMessage::Error { code, .. } if *code == RefusalCode::PadEnded)
            ),
            "the stranger is told the interview ended: {answers:?}"
        );
    }
    assert_eq!(
        app.count(participants).await,
        before,
        "a refused join is no participant"
    );
    // Members still have the code, through playback.
    let history = whole_history(&app, &member.client, &pad.id).await;
    assert_eq!(history.final_text, "API_KEY = 'hunter2'");
}

#[tokio::test]
async fn a_second_link_holder_cannot_take_over_the_candidates_identity() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut candidate = PadClient::join(&app, &pad.id, "Ada", None).await;
    candidate.edit("a").await;
    candidate.settle_at(1).await;
    let mut watcher = PadClient::join(&app, &pad.id, "Watcher", None).await;
    let candidate_id = candidate.client_id.clone();
    watcher
        .wait_until("the candidate's id, public", |c| {
            c.participants.iter().any(|p| p.client_id == candidate_id)
        })
        .await;

    // The intruder joins under that id without its secret, and types.
    let mut intruder = open_socket(&app, &pad.id, None).await;
    send(&mut intruder, &guest_join(Some(&candidate.client_id), None)).await;
    let Some(ServerMessage::Welcome {
        client_id,
        last_seq,
        secret,
        ..
    }) = receive(&mut intruder).await
    else {
        panic!("a welcome");
    };
    assert_ne!(client_id, candidate.client_id, "another participant");
    assert_eq!(last_seq, 0, "nothing of the candidate's");
    assert!(secret.is_some(), "a new participant gets its own secret");
    send(
        &mut intruder,
        &ClientMessage::Op {
            revision: 1,
            seq: 2,
            op: api::ot::Operation::new().retain(1).insert("X"),
        },
    )
    .await;

    // The candidate's next edit is stored, not taken for a repeat.
    candidate.edit("ab").await;
    candidate.settle_at(2).await;
    let history = whole_history(&app, &member.client, &pad.id).await;
    let by_candidate: Vec<_> = history
        .operations
        .iter()
        .filter(|o| o.client_id == candidate.client_id)
        .collect();
    assert_eq!(by_candidate.len(), 2, "both of the candidate's edits");
    assert!(
        !by_candidate
            .iter()
            .any(|o| format!("{:?}", o.op).contains('X')),
        "nothing of the intruder's is credited to the candidate"
    );
}

#[tokio::test]
async fn a_reloaded_tab_rejoins_as_itself_and_a_member_is_one_participant_everywhere() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let cookie = app.session_cookie(&member).await;
    let mut candidate = PadClient::join(&app, &pad.id, "Ada", None).await;
    let secret = candidate.secret.clone().expect("a guest gets a secret");
    candidate.edit("x = 1").await;
    candidate.settle_at(1).await;
    // The interviewer on a laptop, then on a second device too.
    let laptop = PadClient::join(&app, &pad.id, "ignored", Some(&cookie)).await;
    let mut phone = PadClient::join(&app, &pad.id, "ignored", Some(&cookie)).await;
    assert_eq!(
        laptop.client_id, phone.client_id,
        "one member, one participant"
    );
    assert!(phone.secret.is_none(), "a member needs no secret");

    // The candidate reloads the page: same id, same secret, nothing missed, no ghost.
    let mut reloaded = PadClient::join_as(
        &app,
        &pad.id,
        Some((&candidate.client_id, &secret)),
        "Ada",
        None,
        None,
    )
    .await;
    assert_eq!(reloaded.client_id, candidate.client_id);
    assert_eq!(reloaded.doc.text, "x = 1");
    // Its numbering goes on from its last edit: the next one is stored, not taken for a repeat.
    reloaded.edit("x = 12").await;
    reloaded.settle_at(2).await;
    phone
        .wait_until("two people listed", |c| c.participants.len() == 2)
        .await;
    let recorded = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM pad_participants WHERE pad_id = '{}'",
            pad.id
        ))
        .await;
    assert_eq!(recorded, 2, "no participant per reload or per device");
    drop(candidate);
    drop(laptop);
}

#[tokio::test]
async fn opening_the_pad_again_closes_the_older_connection_and_loses_no_edit() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut first = PadClient::join(&app, &pad.id, "Ada", None).await;
    first.edit("a").await;
    first.settle_at(1).await;
    let secret = first.secret.clone().unwrap();
    let mut second = PadClient::join_as(
        &app,
        &pad.id,
        Some((&first.client_id, &secret)),
        "Ada",
        None,
        None,
    )
    .await;
    // The older tab is told, and refused if it still types: its numbers would collide.
    first.edit("ab").await;
    first
        .wait_until("the older tab's refusal", |c| {
            c.refusals.contains(&RefusalCode::OpenedElsewhere)
        })
        .await;
    second.edit("ac").await;
    second.settle_at(2).await;
    let history = whole_history(&app, &member.client, &pad.id).await;
    assert_eq!(history.final_text, "ac");
}

#[tokio::test]
async fn a_pad_bounds_its_connections_participants_and_names() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let socket_url = format!("ws://127.0.0.1:{}/api/pads/{}/socket", app.port, pad.id);

    // Ten sockets from one address (all tests come from 127.0.0.1); the eleventh is refused
    // before the upgrade, with a clear error.
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(open_socket(&app, &pad.id, None).await);
    }
    let refused = tokio_tungstenite::connect_async(socket_url.as_str()).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
            let body =
                String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).to_string();
            let error: api::ErrorBody =
                serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
            assert_eq!(error.code, ErrorCode::TooManyConnections, "{body}");
        }
        other => panic!("the eleventh socket was not refused: {other:?}"),
    }
    // Closing one makes room again.
    drop(held.pop());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match tokio_tungstenite::connect_async(socket_url.as_str()).await {
            Ok((socket, _)) => {
                held.push(socket);
                break;
            }
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("no room after a close: {e}"),
        }
    }
    drop(held);

    // Names are one line of at most 50 characters.
    for name in ["Ada\nLovelace", &"x".repeat(51)] {
        let mut socket = open_socket(&app, &pad.id, None).await;
        send(
            &mut socket,
            &ClientMessage::Join {
                client_id: None,
                secret: None,
                name: Some(name.into()),
                since_revision: None,
            },
        )
        .await;
        assert_eq!(
            tests::pad_client::expect_refusal(&mut socket).await,
            RefusalCode::NameRequired
        );
    }

    // Each new guest is a participant: after 50, newcomers are refused; who is there stays.
    let first = PadClient::join(&app, &pad.id, "Guest 0", None).await;
    let secret = first.secret.clone().unwrap();
    let first_id = first.client_id.clone();
    first.close().await;
    for i in 1..50 {
        join_and_leave(&app, &pad.id, &format!("Guest {i}")).await;
    }
    let answers = answers_to(&app, &pad.id, guest_join(None, None)).await;
    assert!(
        answers.iter().any(
            |m| matches!(m, ServerMessage::Error { code, .. } if *code == RefusalCode::TooManyParticipants)
        ),
        "{answers:?}"
    );
    let back = PadClient::join_as(
        &app,
        &pad.id,
        Some((&first_id, &secret)),
        "Guest 0",
        None,
        None,
    )
    .await;
    assert_eq!(
        back.client_id, first_id,
        "a participant already there rejoins"
    );
    // Guests filling the pad do not lock the interviewer out.
    let cookie = app.session_cookie(&member).await;
    let interviewer = PadClient::join(&app, &pad.id, "ignored", Some(&cookie)).await;
    assert!(interviewer.client_id.starts_with('m'));
}

#[tokio::test]
async fn a_pad_refuses_empty_edits_and_stops_at_its_edit_limit() {
    use api::ot::Operation;
    use sea_orm::{ActiveValue::Set, Database, EntityTrait};

    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut writer = PadClient::join(&app, &pad.id, "Ada", None).await;
    writer.edit("ab").await;
    writer.settle_at(1).await;
    // An edit that changes nothing is refused: it would only grow the history.
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(&mut socket, &guest_join(None, None)).await;
    assert!(matches!(
        receive(&mut socket).await,
        Some(ServerMessage::Welcome { .. })
    ));
    send(
        &mut socket,
        &ClientMessage::Op {
            revision: 1,
            seq: 1,
            op: Operation::new().retain(2),
        },
    )
    .await;
    assert_eq!(
        tests::pad_client::expect_refusal(&mut socket).await,
        RefusalCode::EmptyEdit
    );
    writer.close().await;

    // A pad whose history reached the limit (typed and erased, over and over) takes no more.
    let db = Database::connect(&app.database_url).await.unwrap();
    let limit = 100_000;
    let rows: Vec<_> = (2..=limit)
        .map(|revision: i64| {
            // Revision 1 left "ab": add a character, then take it away again.
            let op = if revision % 2 == 0 {
                Operation::new().retain(2).insert("x")
            } else {
                Operation::new().retain(2).delete(1)
            };
            entity::pad_operation::ActiveModel {
                pad_id: Set(pad.id.clone()),
                revision: Set(revision),
                client_id: Set("filler-client".into()),
                seq: Set(revision),
                at_ms: Set(1_800_000_000_000 + revision),
                op: Set(serde_json::to_string(&op).unwrap()),
            }
        })
        .collect();
    for chunk in rows.chunks(2_000) {
        entity::pad_operation::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    db.close().await.ok();
    let mut late = PadClient::join(&app, &pad.id, "Late", None).await;
    assert_eq!(late.doc.text, "abx", "the last filler edit added an x");
    late.edit("abxc").await;
    late.wait_until("the refusal at the limit", |c| {
        c.refusals.contains(&RefusalCode::TooManyEdits)
    })
    .await;
    let history = whole_history(&app, &member.client, &pad.id).await;
    assert_eq!(history.operations.len(), limit as usize);
    assert_eq!(history.final_text, "abx");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_socket_limit() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let app = tests::spawn_app_with(|settings| {
        settings.trusted_proxies = server::proxy::TrustedProxies::parse(
            "127.0.0.1",
            server::proxy::ForwardedHeader::XForwardedFor,
        )
        .unwrap();
    })
    .await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let url = format!("ws://127.0.0.1:{}/api/pads/{}/socket", app.port, pad.id);
    let from = |client: &str| {
        let mut request = url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("x-forwarded-for", client.parse().unwrap());
        request
    };
    let mut held = Vec::new();
    for _ in 0..10 {
        let (socket, _) = tokio_tungstenite::connect_async(from("203.0.113.7"))
            .await
            .expect("within the limit");
        held.push(socket);
    }
    let refused = tokio_tungstenite::connect_async(from("203.0.113.7")).await;
    assert!(
        matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 429),
        "{refused:?}"
    );
    // Another client behind the same proxy is not held back by the first.
    let (other, _) = tokio_tungstenite::connect_async(from("198.51.100.9"))
        .await
        .expect("another client's own limit");
    drop(other);
    drop(held);
}

#[tokio::test]
async fn joining_again_through_another_instance_closes_the_older_connection() {
    let app = spawn_app().await;
    if !app.uses_postgres() {
        eprintln!("skipped: several instances need STAGEPAD_TEST_POSTGRES_URL");
        return;
    }
    let second = app.another_instance().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut here = PadClient::join(&app, &pad.id, "Ada", None).await;
    here.edit("a").await;
    here.settle_at(1).await;
    let secret = here.secret.clone().unwrap();
    let mut there = PadClient::join_as(
        &second,
        &pad.id,
        Some((&here.client_id, &secret)),
        "Ada",
        None,
        None,
    )
    .await;
    assert_eq!(there.client_id, here.client_id);
    // The older connection types at once, before its instance can have heard of the newer:
    // not stored, whatever it heard, or its number would collide with the newer's.
    here.edit("aX").await;
    here.wait_until("the older connection's close", |c| {
        c.refusals.contains(&RefusalCode::OpenedElsewhere)
    })
    .await;
    there.edit("ab").await;
    there.settle_at(2).await;
    let history = whole_history(&app, &member.client, &pad.id).await;
    assert_eq!(history.final_text, "ab");
}

#[tokio::test]
async fn a_member_typing_in_two_tabs_on_two_instances_never_diverges() {
    let app = spawn_app().await;
    if !app.uses_postgres() {
        eprintln!("skipped: several instances need STAGEPAD_TEST_POSTGRES_URL");
        return;
    }
    let second = app.another_instance().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let cookie = app.session_cookie(&member).await;
    let mut one = PadClient::join(&app, &pad.id, "M", Some(&cookie)).await;
    let mut two = PadClient::join(&second, &pad.id, "M", Some(&cookie)).await;
    // Both number their first edit 1: only the newer tab's is stored, the older is told.
    one.edit("from tab one").await;
    two.edit("from tab two").await;
    two.settle_at(1).await;
    one.wait_until("the older tab's refusal", |c| {
        c.refusals.contains(&RefusalCode::OpenedElsewhere)
    })
    .await;
    let history = whole_history(&app, &member.client, &pad.id).await;
    assert_eq!(history.final_text, "from tab two");
    assert_eq!(two.doc.text, history.final_text);
}

/// A session that cannot be checked (here: the accounts table unreadable) is an error, not an
/// outsider: before, a member then saw the stranger's view of an ended pad.
#[tokio::test]
async fn a_session_that_cannot_be_checked_is_an_error_not_an_outsider() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    end(&app, &member, &pad.id).await;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared("ALTER TABLE users RENAME TO users_away")
        .await
        .unwrap();
    let answer = app.view_pad(&member, &pad.id).await;
    let status = answer.status().as_u16();
    let body = answer.text().await.unwrap();
    db.execute_unprepared("ALTER TABLE users_away RENAME TO users")
        .await
        .unwrap();
    assert_eq!(status, 500, "{body}");
    let error: api::ErrorBody =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(error.code, ErrorCode::InternalError, "{body}");
    // A visitor with no session at all still gets the outsider's view.
    let view: api::PadView =
        expect_json(app.view_pad(&tests::app::new_client(), &pad.id).await, 200).await;
    assert!(!view.member);
}
