//! Many pads edited at once: edits of different pads are stored together (group commit), and
//! none acknowledged may be lost, doubled or reordered, even as pads end meanwhile.

use api::ot::Operation;
use api::{ClientMessage, Plan, RefusalCode, ServerMessage};
use futures_util::future::join_all;
use tests::accounts::{Account, expect_json};
use tests::pad_client::{PadClient, Socket, open_socket, receive, send, whole_history};
use tests::{TestApp, spawn_app};

async fn new_pad(app: &TestApp, member: &Account, candidate: &str) -> api::PadId {
    let request = api::NewPadRequest {
        candidate_name: candidate.into(),
        job_title: None,
        language: None,
    };
    let pad: api::PadSummary = expect_json(app.create_pad(member, &request).await, 201).await;
    pad.id
}

const PADS: usize = 50;
const EDITS_EACH: usize = 30;

/// `who`'s `n`th edit: a token no other edit makes.
fn token(who: char, n: usize) -> String {
    format!("{who}{n:02};")
}

/// One participant typing `EDITS_EACH` tokens without waiting for acknowledgements (edits
/// merge while one is in flight, as in the console), each at the start of the text or at its
/// end.
async fn type_tokens(mut client: PadClient, who: char, at_start: bool) -> PadClient {
    for n in 1..=EDITS_EACH {
        let text = if at_start {
            format!("{}{}", token(who, n), client.doc.text)
        } else {
            format!("{}{}", client.doc.text, token(who, n))
        };
        client.edit(&text).await;
        client.pump_ready().await;
    }
    client
}

#[tokio::test]
async fn many_pads_typed_in_at_once_store_every_acknowledged_edit_once_in_order() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let mut pads = Vec::new();
    for i in 0..PADS {
        pads.push(new_pad(&app, &member, &format!("Candidate {i}")).await);
    }
    let mut pairs = Vec::new();
    for pad_id in &pads {
        let mut first = PadClient::join(&app, pad_id, "First", None).await;
        let mut second = PadClient::join(&app, pad_id, "Second", None).await;
        // A divider, so the start and the end of the text are never the same place (two
        // inserts there at once may land either way round).
        first.edit("|").await;
        first.settle_at(1).await;
        second.settle_at(1).await;
        pairs.push((first, second));
    }
    // Both participants of every pad type at once.
    let typed = join_all(pairs.into_iter().map(|(first, second)| async {
        futures_util::join!(
            type_tokens(first, 'a', true),
            type_tokens(second, 'b', false)
        )
    }))
    .await;
    // What the first always puts at the start comes out newest first; the second's, in order.
    let expected: String = (1..=EDITS_EACH)
        .rev()
        .map(|n| token('a', n))
        .chain(["|".to_string()])
        .chain((1..=EDITS_EACH).map(|n| token('b', n)))
        .collect();
    for (pad_id, (mut first, mut second)) in pads.iter().zip(typed) {
        first.settle_at(0).await;
        second.settle_at(0).await;
        let revision = first.doc.revision.max(second.doc.revision);
        first.settle_at(revision).await;
        second.settle_at(revision).await;
        let stored = whole_history(&app, &member.client, pad_id).await;
        assert_eq!(stored.final_text, expected, "stored text of {pad_id}");
        assert_eq!(first.doc.text, expected);
        assert_eq!(second.doc.text, expected);
        // Every acknowledged edit is a stored revision, numbered without a gap or a double.
        assert_eq!(stored.operations.len() as u64, revision);
        for (i, operation) in stored.operations.iter().enumerate() {
            assert_eq!(operation.revision, i as u64 + 1);
        }
    }
    // Stored means stored: the same after a restart.
    let app = app.restart().await;
    for pad_id in &pads {
        let stored = whole_history(&app, &member.client, pad_id).await;
        assert_eq!(stored.final_text, expected);
    }
}

/// Joins as a guest over a bare socket; the client id the welcome gives.
async fn join_guest(app: &TestApp, pad_id: &api::PadId) -> (Socket, String) {
    let mut socket = open_socket(app, pad_id, None).await;
    let join = ClientMessage::Join {
        client_id: None,
        secret: None,
        name: Some("Typist".into()),
        since_revision: None,
    };
    assert!(send(&mut socket, &join).await);
    loop {
        match receive(&mut socket).await {
            Some(ServerMessage::Welcome { client_id, .. }) => return (socket, client_id),
            Some(_) => {}
            None => panic!("closed before the welcome"),
        }
    }
}

/// Sends one edit at a time, each appending a numbered token, until one is refused because
/// the pad ended. Returns the text made by the edits the server acknowledged.
async fn type_until_ended(mut socket: Socket, client_id: String) -> String {
    let mut acknowledged = String::new();
    for seq in 1u64.. {
        // Within the socket's message rate (40 a second after a burst of 120) however late the
        // end comes on a busy machine.
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let piece = format!("{seq};");
        let len = acknowledged.chars().count();
        let op = Operation::new().retain(len).insert(&piece);
        let edit = ClientMessage::Op {
            revision: seq - 1,
            seq,
            op,
        };
        if !send(&mut socket, &edit).await {
            return acknowledged;
        }
        loop {
            match receive(&mut socket).await {
                Some(ServerMessage::Op {
                    client_id: author,
                    seq: acked,
                    ..
                }) if author == client_id && acked == seq => {
                    acknowledged.push_str(&piece);
                    break;
                }
                Some(ServerMessage::Error { code, .. }) => {
                    assert_eq!(code, RefusalCode::PadEnded, "the only refusal is the end");
                    return acknowledged;
                }
                Some(_) => {}
                // Closed without a word about this edit: it was not acknowledged.
                None => return acknowledged,
            }
        }
    }
    unreachable!()
}

#[tokio::test]
async fn an_edit_racing_its_pads_end_is_either_stored_and_acknowledged_or_refused() {
    let app = spawn_app().await;
    let member = app.sign_up(Plan::Team).await;
    let mut typists = Vec::new();
    for i in 0..40 {
        let pad_id = new_pad(&app, &member, &format!("Candidate {i}")).await;
        let (socket, client_id) = join_guest(&app, &pad_id).await;
        typists.push((pad_id, socket, client_id));
    }
    // Every pad is typed in while it ends, each after its own short while, so ends land among
    // edits in flight, stored in batches with other pads' edits.
    let races = typists
        .into_iter()
        .enumerate()
        .map(|(i, (pad_id, socket, client_id))| {
            let (app, member) = (&app, &member);
            async move {
                let typing = type_until_ended(socket, client_id);
                let ending = async {
                    tokio::time::sleep(std::time::Duration::from_millis(20 + 3 * i as u64)).await;
                    let path = format!("/api/pads/{pad_id}/end");
                    let ended: api::PadView =
                        expect_json(app.post(&member.client, &path, &()).await, 200).await;
                    assert_eq!(ended.status, api::PadStatus::Ended);
                };
                let (acknowledged, ()) = futures_util::join!(typing, ending);
                (pad_id, acknowledged)
            }
        });
    let mut edits_before_the_ends = 0;
    for (pad_id, acknowledged) in join_all(races).await {
        edits_before_the_ends += acknowledged.matches(';').count();
        let stored = whole_history(&app, &member.client, &pad_id).await;
        assert_eq!(
            stored.final_text, acknowledged,
            "stored is exactly what was acknowledged"
        );
    }
    assert!(
        edits_before_the_ends > 0,
        "the pads were typed in before they ended"
    );
}
