//! An interview pad from Lever, once ended: the results note goes to the candidate by itself,
//! and the code goes as a note when a member asks, through the job queue, with Lever's errors
//! shown.

use std::time::Duration;

use api::{ErrorCode, Plan};
use tests::accounts::expect_json;
use tests::lever_sim::{LeverSim, NewCandidate};
use tests::pad_client::PadClient;
use tests::poll::wait_for;
use tests::{expect_error, spawn_app};

#[tokio::test]
async fn an_ended_lever_pad_sends_its_results_and_on_request_its_code() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let ada = sim
        .create_candidate(NewCandidate {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_candidate(&ada, &sim.stage_id("Phone interview").await)
        .await;
    let delivery = app.outcome_for(&admin, &ada).await;
    let link = delivery.pad_link.expect("a pad");
    let pad_id = api::PadId::new(link.rsplit('/').next().unwrap());
    let path = format!("/api/pads/{pad_id}");

    let mut candidate = PadClient::join(&app, &pad_id, "Ada", None).await;
    candidate.edit("def add(a, b):\n    return a + b\n").await;
    candidate.settle_at(0).await;
    expect_error(
        app.post(&admin.client, &format!("{path}/lever-note"), &())
            .await,
        409,
        ErrorCode::PadNotEnded,
    )
    .await;

    let _: api::PadView = expect_json(
        app.post(&admin.client, &format!("{path}/end"), &()).await,
        200,
    )
    .await;
    let results = wait_for("the results note", Duration::from_secs(20), || async {
        sim.notes(&ada)
            .await
            .into_iter()
            .find(|n| n.value.starts_with("Interview ended."))
    })
    .await;
    assert!(
        results.value.contains("Language: Python"),
        "{}",
        results.value
    );
    assert!(
        results.value.contains("Participants: Ada"),
        "{}",
        results.value
    );
    assert!(results.value.contains(&link), "{}", results.value);

    // A first sending needs no body (JSON is declared, as for every write).
    let sending: api::PadView = expect_json(
        admin
            .client
            .post(app.url(&format!("{path}/lever-note")))
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(sending.code_note_status, Some(api::RequestStatus::Sending));
    wait_for(
        "the code note to be sent",
        Duration::from_secs(20),
        || async {
            let view: api::PadView = expect_json(app.get(&admin.client, &path).await, 200).await;
            (view.code_note_status == Some(api::RequestStatus::Sent)).then_some(())
        },
    )
    .await;
    let code_note = sim
        .notes(&ada)
        .await
        .into_iter()
        .find(|n| n.value.starts_with("Code from the interview"))
        .expect("the code note");
    assert!(
        code_note.value.contains(
            "Code from the interview (Python):\n\ndef add(a, b):\n    return a + b\n\n\
             Last run: none (the code was not run in the pad)\nPlayback: "
        ),
        "{}",
        code_note.value
    );
    assert!(code_note.value.contains(&link));
    let code_notes = || async {
        sim.notes(&ada)
            .await
            .into_iter()
            .filter(|n| n.value.starts_with("Code from the interview"))
            .count()
    };

    // A second click after it was sent posts nothing: the view says when and who, and
    // sending another note must be asked for.
    let view: api::PadView = expect_json(app.get(&admin.client, &path).await, 200).await;
    let sent = view
        .code_note_sent
        .expect("when the note was sent, and by whom");
    assert_eq!(sent.by.as_deref(), Some(admin.me.user.name.as_str()));
    expect_error(
        app.post(&admin.client, &format!("{path}/lever-note"), &())
            .await,
        409,
        ErrorCode::NoteAlreadySent,
    )
    .await;
    assert_eq!(code_notes().await, 1);
    let send_again = api::LeverWriteRequest {
        again_after: Some(sent.at),
    };

    // Lever refusing: the error shows once the attempts are used up.
    sim.fail_next_on(100, 500, "/notes", None).await;
    let _: api::PadView = expect_json(
        app.post(&admin.client, &format!("{path}/lever-note"), &send_again)
            .await,
        200,
    )
    .await;
    let failed = wait_for("the code note to fail", Duration::from_secs(30), || async {
        let view: api::PadView = expect_json(app.get(&admin.client, &path).await, 200).await;
        (view.code_note_status == Some(api::RequestStatus::Failed)).then_some(view)
    })
    .await;
    assert!(
        failed
            .code_note_error
            .as_deref()
            .unwrap_or("")
            .contains("500"),
        "{failed:?}"
    );
    // The failed second sending leaves the first in Lever: a plain request still posts
    // nothing, and the view still says when the note got there.
    assert_eq!(failed.code_note_sent.as_ref().map(|s| s.at), Some(sent.at));
    expect_error(
        app.post(&admin.client, &format!("{path}/lever-note"), &())
            .await,
        409,
        ErrorCode::NoteAlreadySent,
    )
    .await;
    sim.clear_faults().await;
    assert_eq!(code_notes().await, 1);

    // A pad made by hand has no candidate in Lever.
    let manual: api::PadSummary = expect_json(
        app.post(
            &admin.client,
            "/api/pads",
            &api::NewPadRequest {
                candidate_name: "Walk-in".into(),
                job_title: None,
                language: None,
            },
        )
        .await,
        201,
    )
    .await;
    expect_error(
        app.send_code_note(&admin, &manual.id).await,
        409,
        ErrorCode::NotFromLever,
    )
    .await;
}
