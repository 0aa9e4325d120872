//! The live pad over its WebSocket, black-box: convergence under concurrent edits, storage
//! before acknowledgement, reconnects and restarts, bad input, ending and playback.

use api::playback::Timeline;
use api::{ClientMessage, ErrorCode, Plan, RefusalCode, ServerMessage};
use futures_util::SinkExt;
use sea_orm::{ActiveModelTrait, Database, IntoActiveModel, Set};
use tests::accounts::{Account, expect_json};
use tests::pad_client::{PadClient, close_code, expect_refusal, open_socket, receive, send};
use tests::{TestApp, expect_error, spawn_app};
use tokio_tungstenite::tungstenite::Message;

async fn new_pad(app: &TestApp, member: &Account, candidate: &str) -> api::PadSummary {
    let request = api::NewPadRequest {
        candidate_name: candidate.into(),
        job_title: Some("Backend Engineer".into()),
        language: Some("rust".into()),
    };
    expect_json(app.create_pad(&member, &request).await, 201).await
}

async fn history(app: &TestApp, member: &Account, pad_id: &api::PadId) -> api::PadHistory {
    expect_json(app.pad_history(&member, pad_id, "").await, 200).await
}

/// A tiny deterministic generator, so a failure reproduces from its seed.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

fn random_edit(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    if !chars.is_empty() && rng.below(4) == 0 {
        let end = (at + 1 + rng.below(3)).min(chars.len());
        chars.drain(at.min(end)..end);
    } else {
        let piece = ["x", "fn ", "\n", "ü", "{}", "    "][rng.below(6)];
        for (i, c) in piece.chars().enumerate() {
            chars.insert(at + i, c);
        }
    }
    chars.into_iter().collect()
}

#[tokio::test]
async fn three_clients_editing_concurrently_converge_everywhere_and_in_storage() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut clients = Vec::new();
    for name in ["Ada", "Bob", "Cy"] {
        clients.push(PadClient::join(&app, &pad.id, name, None).await);
    }
    let mut rng = Rng(0x5EED_1234_ABCD);
    // At least 400 random steps and 100 stored edits, however fast the server answers (an
    // edit is merged into the next while its predecessor waits for its acknowledgement). A step
    // every 10 ms keeps each client near 20 messages a second: fast typing, within the limit.
    let mut steps = 0;
    while steps < 400 || clients.iter().map(|c| c.doc.revision).max() < Some(100) {
        steps += 1;
        assert!(steps < 5_000, "the server stored too few edits");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        let who = rng.below(3);
        match rng.below(3) {
            0 | 1 => {
                let edited = random_edit(&mut rng, &clients[who].doc.text);
                clients[who].edit(&edited).await;
            }
            _ => clients[who].pump_ready().await,
        }
    }
    for client in clients.iter_mut() {
        client.settle_at(0).await;
    }
    let stored = history(&app, &member, &pad.id).await;
    let revision = stored.operations.len() as u64;
    assert!(revision > 100, "many edits were made: {revision}");
    for client in clients.iter_mut() {
        client.settle_at(revision).await;
        assert_eq!(client.doc.text, stored.final_text, "{}", client.client_id);
    }
    // Storage holds it across a restart.
    let app = app.restart().await;
    assert_eq!(
        history(&app, &member, &pad.id).await.final_text,
        stored.final_text
    );
}

#[tokio::test]
async fn playback_shows_at_every_moment_what_the_editors_showed() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut typist = PadClient::join(&app, &pad.id, "Ada", None).await;
    let mut watcher = PadClient::join(&app, &pad.id, "Bob", None).await;
    // What the watcher's editor showed at each revision.
    let mut seen = vec![(0u64, String::new())];
    let code = "fn main() {\n    println!(\"hi\");\n}\n";
    let mut typed = String::new();
    for c in code.chars() {
        typed.push(c);
        typist.edit(&typed).await;
        typist.settle_at(0).await;
        let revision = typist.doc.revision;
        watcher.settle_at(revision).await;
        seen.push((revision, watcher.doc.text.clone()));
    }
    // The watcher deletes a line, too.
    let shorter = watcher.doc.text.replace("    println!(\"hi\");\n", "");
    watcher.edit(&shorter).await;
    watcher.settle_at(0).await;
    seen.push((watcher.doc.revision, watcher.doc.text.clone()));

    let stored = history(&app, &member, &pad.id).await;
    let timeline = Timeline::new(&stored);
    for (revision, text) in &seen {
        assert_eq!(
            &timeline.text_at(*revision as usize),
            text,
            "at revision {revision}"
        );
        // Scrubbing to the moment that revision appeared shows it too (unless the next edit
        // came within the same millisecond: then the later one is what stood at that moment).
        let next_same_ms = timeline.play_ms_of(*revision as usize + 1)
            == timeline.play_ms_of(*revision as usize)
            && (*revision as usize) < timeline.revisions();
        if *revision > 0 && !next_same_ms {
            let at = timeline.play_ms_of(*revision as usize);
            assert_eq!(timeline.text_at(timeline.revision_at(at)), *text);
        }
    }
    assert_eq!(stored.participants.len(), 2);
    assert_ne!(stored.participants[0].color, stored.participants[1].color);
}

#[tokio::test]
async fn presence_language_and_reconnects_with_unacknowledged_edits() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let cookie = app.session_cookie(&member).await;
    let mut interviewer = PadClient::join(&app, &pad.id, "ignored", Some(&cookie)).await;
    let mut candidate = PadClient::join(&app, &pad.id, "Ada", None).await;
    interviewer
        .wait_until("two people online", |c| {
            c.participants.iter().filter(|p| p.online).count() == 2
        })
        .await;
    let names: Vec<&str> = interviewer
        .participants
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        names,
        [member.me.user.name.as_str(), "Ada"],
        "members join under their account name"
    );
    assert_eq!(candidate.language, "rust");

    candidate.set_language("go").await;
    interviewer
        .wait_until("the language to change", |c| c.language == "go")
        .await;

    candidate.edit("package main\n").await;
    candidate.settle_at(0).await;
    // Typed while the connection is down: kept and sent after reconnecting.
    let pad_id = pad.id.clone();
    candidate.edit("package main\n\nfunc main() {}\n").await;
    let mut candidate = candidate.reconnect(&app, &pad_id, "Ada").await;
    candidate.settle_at(0).await;
    interviewer.settle_at(candidate.doc.revision).await;
    assert_eq!(interviewer.doc.text, "package main\n\nfunc main() {}\n");
    assert_eq!(candidate.doc.text, interviewer.doc.text);
    candidate.close().await;
    interviewer
        .wait_until("the candidate to show offline", |c| {
            c.participants.iter().filter(|p| p.online).count() == 1
        })
        .await;
}

#[tokio::test]
async fn a_restart_mid_session_loses_nothing_acknowledged() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut candidate = PadClient::join(&app, &pad.id, "Ada", None).await;
    candidate.edit("print('before')\n").await;
    candidate.settle_at(0).await;
    let acknowledged = candidate.doc.revision;
    // The first edit started the interview.
    let view: api::PadView = expect_json(app.view_pad(&member, &pad.id).await, 200).await;
    assert_eq!(view.status, api::PadStatus::InProgress);

    // A stopping server tells its participants to reconnect (1012) instead of holding them,
    // and a connection still to join too.
    let mut joining = open_socket(&app, &pad.id, None).await;
    let restarting = tokio::spawn(app.restart());
    assert_eq!(candidate.close_code().await, Some(1012));
    assert_eq!(close_code(&mut joining).await, Some(1012));
    let app = restarting.await.unwrap();
    let mut candidate = candidate.reconnect(&app, &pad.id, "Ada").await;
    assert_eq!(candidate.doc.revision, acknowledged);
    candidate.edit("print('before')\nprint('after')\n").await;
    candidate.settle_at(0).await;
    let mut late = PadClient::join(&app, &pad.id, "Bob", None).await;
    late.settle_at(candidate.doc.revision).await;
    assert_eq!(late.doc.text, "print('before')\nprint('after')\n");
}

#[tokio::test]
async fn bad_input_is_refused_and_never_touches_the_pad() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut writer = PadClient::join(&app, &pad.id, "Ada", None).await;
    writer.edit("safe").await;
    writer.settle_at(0).await;

    let join = |name: &str| ClientMessage::Join {
        client_id: None,
        secret: None,
        name: Some(name.into()),
        since_revision: None,
    };
    // Not JSON.
    let mut socket = open_socket(&app, &pad.id, None).await;
    socket.send(Message::text("{nope")).await.unwrap();
    assert_eq!(
        expect_refusal(&mut socket).await,
        RefusalCode::MalformedMessage
    );
    // An edit before joining; a guest without a name.
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(
        &mut socket,
        &ClientMessage::Language {
            language: "go".into(),
        },
    )
    .await;
    assert_eq!(expect_refusal(&mut socket).await, RefusalCode::JoinRequired);
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(&mut socket, &join("  ")).await;
    assert_eq!(expect_refusal(&mut socket).await, RefusalCode::NameRequired);

    // An edit reaching past the end of the text, and one for a revision not yet there.
    for (op, revision, code) in [
        (
            api::ot::Operation::new().retain(10).insert("!"),
            1,
            RefusalCode::InvalidOperation,
        ),
        (
            api::ot::Operation::new().retain(4).insert("!"),
            9,
            RefusalCode::InvalidRevision,
        ),
    ] {
        let mut socket = open_socket(&app, &pad.id, None).await;
        send(&mut socket, &join("Mallory")).await;
        assert!(matches!(
            receive(&mut socket).await,
            Some(ServerMessage::Welcome { .. })
        ));
        send(
            &mut socket,
            &ClientMessage::Op {
                revision,
                seq: 1,
                op,
            },
        )
        .await;
        assert_eq!(expect_refusal(&mut socket).await, code);
    }
    // An edit number that skips ahead (it would make the author's next edits look repeated).
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(&mut socket, &join("Mallory")).await;
    assert!(matches!(
        receive(&mut socket).await,
        Some(ServerMessage::Welcome { .. })
    ));
    let op = api::ot::Operation::new().retain(4).insert("!");
    send(
        &mut socket,
        &ClientMessage::Op {
            revision: 1,
            seq: u64::MAX,
            op,
        },
    )
    .await;
    assert_eq!(expect_refusal(&mut socket).await, RefusalCode::InvalidSeq);
    // A member's participant id cannot be taken by someone else: who joins under it without
    // the member's session is someone new.
    let cookie = app.session_cookie(&member).await;
    let interviewer = PadClient::join(&app, &pad.id, "x", Some(&cookie)).await;
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(
        &mut socket,
        &ClientMessage::Join {
            client_id: Some(interviewer.client_id.clone()),
            secret: Some("a guess".into()),
            name: Some("Mallory".into()),
            since_revision: None,
        },
    )
    .await;
    let Some(ServerMessage::Welcome { client_id, .. }) = receive(&mut socket).await else {
        panic!("a welcome");
    };
    assert_ne!(client_id, interviewer.client_id);
    drop(socket);
    // The attempt did not count as the interviewer leaving.
    let mut observer = PadClient::join(&app, &pad.id, "Observer", None).await;
    observer
        .wait_until("the list with the observer", |c| {
            c.participants.iter().any(|p| p.client_id == c.client_id)
        })
        .await;
    let shown = |id: &str| observer.participants.iter().find(|p| p.client_id == id);
    assert!(shown(&interviewer.client_id).is_some_and(|p| p.online));
    observer.close().await;
    // Counts beyond any text are not even read.
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(&mut socket, &join("Mallory")).await;
    socket
        .send(Message::text(format!(
            r#"{{"type":"op","revision":1,"seq":1,"op":[{0},{0},"x",6]}}"#,
            i64::MAX
        )))
        .await
        .unwrap();
    assert_eq!(
        expect_refusal(&mut socket).await,
        RefusalCode::MalformedMessage
    );
    // Oversized, binary, unknown language.
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(&mut socket, &join("Mallory")).await;
    let huge = api::ot::Operation::new()
        .retain(4)
        .insert(&"x".repeat(300 * 1024));
    send(
        &mut socket,
        &ClientMessage::Op {
            revision: 1,
            seq: 1,
            op: huge,
        },
    )
    .await;
    assert_eq!(
        expect_refusal(&mut socket).await,
        RefusalCode::ProtocolError
    );
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(&mut socket, &join("Mallory")).await;
    socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(expect_refusal(&mut socket).await, RefusalCode::TextOnly);
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(&mut socket, &join("Mallory")).await;
    send(
        &mut socket,
        &ClientMessage::Language {
            language: "cobol".into(),
        },
    )
    .await;
    assert_eq!(
        expect_refusal(&mut socket).await,
        RefusalCode::InvalidLanguage
    );
    // A flood (of an edit the server already has, so that only the rate trips it, however
    // slow storage is).
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(&mut socket, &join("Mallory")).await;
    for _ in 0..400 {
        if !send(
            &mut socket,
            &ClientMessage::Op {
                revision: 0,
                seq: 0,
                op: api::ot::Operation::new().insert("x"),
            },
        )
        .await
        {
            break;
        }
    }
    assert_eq!(
        expect_refusal(&mut socket).await,
        RefusalCode::TooManyMessages
    );

    // The pad is as the honest writer left it.
    let stored = history(&app, &member, &pad.id).await;
    assert_eq!(stored.final_text, "safe");
    assert_eq!(stored.operations.len(), 1);
    writer.pump_ready().await;
    assert_eq!(writer.doc.text, "safe");
    // A pad that does not exist has no socket.
    let missing = app
        .client
        .get(app.url("/api/pads/AAAAAAAAAAAAAAAAAAAAAA/socket"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn ending_makes_the_pad_read_only_and_playback_is_for_members() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let outsider = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut candidate = PadClient::join(&app, &pad.id, "Ada", None).await;
    candidate.edit("SELECT 1;").await;
    candidate.settle_at(0).await;

    let path = format!("/api/pads/{}", pad.id);
    expect_error(
        app.post(&outsider.client, &format!("{path}/end"), &())
            .await,
        404,
        ErrorCode::NotFound,
    )
    .await;
    let ended: api::PadView = expect_json(
        app.post(&member.client, &format!("{path}/end"), &()).await,
        200,
    )
    .await;
    assert_eq!(ended.status, api::PadStatus::Ended);
    assert!(ended.ended_at.is_some());
    candidate.wait_until("the ended notice", |c| c.ended).await;
    let stranger = tests::app::new_client();
    let view: api::PadView = expect_json(app.get(&stranger, &path).await, 200).await;
    assert_eq!(view.status, api::PadStatus::Ended);
    assert_eq!(
        view.candidate_name, None,
        "the link shows only that it ended"
    );
    expect_error(
        app.get(&stranger, &format!("{path}/history")).await,
        401,
        ErrorCode::NotLoggedIn,
    )
    .await;
    expect_error(
        app.get(&outsider.client, &format!("{path}/history")).await,
        404,
        ErrorCode::NotFound,
    )
    .await;
    let stored = history(&app, &member, &pad.id).await;
    assert_eq!(stored.final_text, "SELECT 1;", "nothing after the end");

    // A late edit is refused with a clear message, and a late joiner is told the news, then
    // refused, before anything of the pad is sent.
    candidate.edit("SELECT 1;!").await;
    candidate
        .wait_until("the refusal of the late edit", |c| {
            c.refusals.contains(&RefusalCode::PadEnded)
        })
        .await;
    let mut socket = open_socket(&app, &pad.id, None).await;
    send(
        &mut socket,
        &ClientMessage::Join {
            client_id: None,
            secret: None,
            name: Some("Late".into()),
            since_revision: None,
        },
    )
    .await;
    let news = receive(&mut socket).await;
    assert!(matches!(news, Some(ServerMessage::Ended)), "{news:?}");
    assert_eq!(expect_refusal(&mut socket).await, RefusalCode::PadEnded);
    let listed: api::PadsResponse =
        expect_json(app.list_pads(&member, "status=ended&q=ad").await, 200).await;
    assert_eq!(listed.pads.len(), 1);
    // The pad's id is the secret part of its link: logs name the pad some other way.
    assert!(
        !tests::logs::captured().contains(pad.id.as_str()),
        "a pad id reached the logs"
    );
}

#[tokio::test]
async fn participants_of_a_stopped_instance_go_offline() {
    let app = spawn_app().await;
    if !app.uses_postgres() {
        eprintln!("skipped: presence across instances needs STAGEPAD_TEST_POSTGRES_URL");
        return;
    }
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    // Ghost joined through an instance that keeps its presence fresh, for now.
    let db = Database::connect(&app.database_url).await.unwrap();
    let ghost = "ghost-client-1";
    entity::pad_participant::ActiveModel {
        pad_id: Set(pad.id.clone()),
        client_id: Set(ghost.into()),
        name: Set("Ghost".into()),
        color: Set("#888888".into()),
        user_id: Set(None),
        joined_at: Set(time::OffsetDateTime::now_utc()),
        secret_hash: Set(None),
        connected_at: Set(None),
    }
    .insert(&db)
    .await
    .unwrap();
    let presence = entity::pad_presence::ActiveModel {
        pad_id: Set(pad.id.clone()),
        client_id: Set(ghost.into()),
        instance_id: Set("an-instance-that-will-crash".into()),
        seen_at: Set(time::OffsetDateTime::now_utc()),
    }
    .insert(&db)
    .await
    .unwrap();
    let mut ada = PadClient::join(&app, &pad.id, "Ada", None).await;
    ada.wait_until("Ghost online", |c| c.shows_online(ghost))
        .await;

    // That instance stops refreshing: a minute later Ghost is shown offline (here noticed
    // at the next arrival; otherwise at the next refresh, every 10 seconds).
    let mut stale = presence.into_active_model();
    stale.seen_at = Set(time::OffsetDateTime::now_utc() - time::Duration::minutes(1));
    stale.update(&db).await.unwrap();
    let _bob = PadClient::join(&app, &pad.id, "Bob", None).await;
    // Only who is connected is listed.
    ada.wait_until("Ghost offline", |c| {
        c.participants.len() == 2 && !c.shows_online(ghost)
    })
    .await;

    // An instance stopped as deployments do says so: Cy, connected through it, goes offline.
    let second = app.another_instance().await;
    let cy = PadClient::join(&second, &pad.id, "Cy", None).await;
    ada.wait_until("Cy online", |c| c.shows_online(&cy.client_id))
        .await;
    second.stop().await;
    ada.wait_until("Cy offline after the stop", |c| {
        !c.shows_online(&cy.client_id)
    })
    .await;
}

#[tokio::test]
async fn participants_on_two_instances_of_one_postgres_edit_together() {
    let app = spawn_app().await;
    if !app.uses_postgres() {
        eprintln!("skipped: several instances need STAGEPAD_TEST_POSTGRES_URL");
        return;
    }
    let second = app.another_instance().await;
    let member = app.sign_up(Plan::Team).await;
    let pad = new_pad(&app, &member, "Ada").await;
    let mut here = PadClient::join(&app, &pad.id, "Ada", None).await;
    let mut there = PadClient::join(&second, &pad.id, "Bob", None).await;
    // Each sees the other, connected through the other instance, online.
    let (ada, bob) = (here.client_id.clone(), there.client_id.clone());
    here.wait_until("Bob online from the other instance", |c| {
        c.shows_online(&bob)
    })
    .await;
    there
        .wait_until("Ada online from the other instance", |c| {
            c.shows_online(&ada)
        })
        .await;
    let mut rng = Rng(0xC0FF_EE00_1234);
    for _ in 0..300 {
        let client = if rng.below(2) == 0 {
            &mut here
        } else {
            &mut there
        };
        if rng.below(3) == 0 {
            client.pump_ready().await;
        } else {
            let edited = random_edit(&mut rng, &client.doc.text);
            client.edit(&edited).await;
        }
    }
    here.settle_at(0).await;
    there.settle_at(0).await;
    let stored = history(&app, &member, &pad.id).await;
    let revision = stored.operations.len() as u64;
    here.settle_at(revision).await;
    there.settle_at(revision).await;
    assert_eq!(here.doc.text, stored.final_text);
    assert_eq!(there.doc.text, stored.final_text);

    there.set_language("kotlin").await;
    here.wait_until("the language from the other instance", |c| {
        c.language == "kotlin"
    })
    .await;
    // Leaving through one instance shows on the other.
    there.close().await;
    here.wait_until("Bob offline", |c| !c.shows_online(&bob))
        .await;
    let before_end = here.doc.text.clone();
    let _: api::PadView = expect_json(second.end_pad(&member, &pad.id).await, 200).await;
    // An edit sent to this instance right after the other ended the pad is not stored, even
    // if the news has not arrived here yet.
    here.edit(&format!("{before_end}late")).await;
    here.wait_until("the end from the other instance", |c| c.ended)
        .await;
    assert_eq!(history(&app, &member, &pad.id).await.final_text, before_end);
}
