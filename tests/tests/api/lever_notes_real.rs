//! Notes are posted once (issue 11, point 3): Lever takes no idempotency key, so a note whose
//! answer was lost (a 5xx or a timeout after Lever stored it) must not be posted again when
//! the job retries. Every note Stagepad writes ends with a marker line; a retry looks for it.

use std::time::Duration;

use api::Plan;
use tests::accounts::{Account, expect_json};
use tests::lever::{Setup, connected};
use tests::lever_sim::{LeverSim, NewOpportunity, PERMISSIONS, SimNote};
use tests::poll::wait_for;
use tests::{TestApp, spawn_app};

const PHONE: &str = "Phone interview";

/// The client in tests gives up after 2 s: an answer held 4 s is lost to it.
const PAST_THE_TIMEOUT_MS: u64 = 4_000;

async fn new_candidate(sim: &LeverSim) -> String {
    sim.create_opportunity(NewOpportunity {
        name: "Ada".into(),
        tags: vec!["coderpad".into()],
        ..Default::default()
    })
    .await
}

/// Moves the candidate into the selected stage and returns its pad link once the stage change
/// has its outcome.
async fn pad_for(app: &TestApp, sim: &LeverSim, admin: &Account, ada: &str) -> String {
    sim.move_opportunity(ada, &sim.stage_id(PHONE).await).await;
    let delivery = app.outcome_for(admin, ada).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    delivery.pad_link.expect("a pad")
}

async fn notes_starting(sim: &LeverSim, ada: &str, start: &str) -> Vec<SimNote> {
    sim.notes(ada)
        .await
        .into_iter()
        .filter(|n| n.value.starts_with(start))
        .collect()
}

fn last_line(note: &SimNote) -> &str {
    note.value.lines().last().unwrap_or_default()
}

async fn pad_view(app: &TestApp, admin: &Account, pad_id: &api::PadId) -> api::PadView {
    expect_json(app.view_pad(&admin, pad_id).await, 200).await
}

async fn end_pad(app: &TestApp, admin: &Account, pad_id: &api::PadId) {
    let _: api::PadView = expect_json(app.end_pad(&admin, pad_id).await, 200).await;
}

/// Asks for the code note as the console does: naming the sending it shows, if any (a second
/// request is a "send again").
async fn request_code_note(app: &TestApp, admin: &Account, pad_id: &api::PadId) {
    let shown = pad_view(app, admin, pad_id).await.code_note_sent;
    let request = api::LeverWriteRequest {
        again_after: shown.map(|sent| sent.at),
    };
    let path = format!("/api/pads/{pad_id}/lever-note");
    let _: api::PadView = expect_json(app.post(&admin.client, &path, &request).await, 200).await;
}

async fn code_note_sent(app: &TestApp, admin: &Account, pad_id: &api::PadId) {
    wait_for(
        "the code note to be sent",
        Duration::from_secs(30),
        || async {
            let view = pad_view(app, admin, pad_id).await;
            (view.code_note_status == Some(api::RequestStatus::Sent)).then_some(())
        },
    )
    .await;
}

fn pad_id_of(link: &str) -> api::PadId {
    api::PadId::new(link.rsplit('/').next().unwrap())
}

#[tokio::test]
async fn a_pad_created_note_whose_answer_was_lost_is_in_lever_once() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    for lost in [(Some(500), None), (None, Some(PAST_THE_TIMEOUT_MS))] {
        let ada = new_candidate(&sim).await;
        sim.lose_answer_next_on(1, &format!("{ada}/notes"), lost.0, lost.1)
            .await;
        let link = pad_for(&app, &sim, &admin, &ada).await;
        assert!(sim.faults().await.is_empty(), "the note was posted");
        let notes = notes_starting(&sim, &ada, "Interview pad created").await;
        assert_eq!(notes.len(), 1, "{lost:?}: {notes:#?}");
        assert_eq!(
            last_line(&notes[0]),
            format!("Stagepad pad created · {link}")
        );
    }
}

#[tokio::test]
async fn a_results_note_whose_answer_was_lost_is_in_lever_once() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let ada = new_candidate(&sim).await;
    let link = pad_for(&app, &sim, &admin, &ada).await;
    sim.lose_answer_next_on(1, &format!("{ada}/notes"), Some(502), None)
        .await;
    end_pad(&app, &admin, &pad_id_of(&link)).await;
    // The retry has happened once a call on the notes answers 2xx after the lost one: a
    // second post (the defect) or a look at the notes (then nothing more is posted).
    wait_for(
        "the results note's retry",
        Duration::from_secs(30),
        || async {
            let calls: Vec<_> = sim
                .requests()
                .await
                .into_iter()
                .filter(|r| r.path.ends_with(&format!("{ada}/notes")))
                .collect();
            let lost = calls.iter().find(|r| r.status == 502)?;
            calls
                .iter()
                .any(|r| r.seq > lost.seq && (200..300).contains(&r.status))
                .then_some(())
        },
    )
    .await;
    // A moment for a post that would follow the look.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let notes = notes_starting(&sim, &ada, "Interview ended.").await;
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert_eq!(last_line(&notes[0]), format!("Stagepad results · {link}"));
}

#[tokio::test]
async fn a_code_note_whose_answer_was_lost_is_in_lever_once_and_a_new_request_posts_again() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let ada = new_candidate(&sim).await;
    let link = pad_for(&app, &sim, &admin, &ada).await;
    let pad_id = pad_id_of(&link);
    end_pad(&app, &admin, &pad_id).await;
    // The results note first, so that the fault below meets the code note.
    wait_for("the results note", Duration::from_secs(30), || async {
        let notes = notes_starting(&sim, &ada, "Interview ended.").await;
        (!notes.is_empty()).then_some(())
    })
    .await;
    for lost in [(None, Some(PAST_THE_TIMEOUT_MS)), (Some(500), None)] {
        let before = notes_starting(&sim, &ada, "Code from the interview")
            .await
            .len();
        sim.lose_answer_next_on(1, &format!("{ada}/notes"), lost.0, lost.1)
            .await;
        request_code_note(&app, &admin, &pad_id).await;
        code_note_sent(&app, &admin, &pad_id).await;
        let notes = notes_starting(&sim, &ada, "Code from the interview").await;
        // Each request is one note: the second request is not mistaken for the first's retry.
        assert_eq!(notes.len(), before + 1, "{lost:?}: {notes:#?}");
        let marker = last_line(notes.last().unwrap());
        assert!(
            marker.starts_with(&format!("Stagepad code · {link} · request ")),
            "{marker}"
        );
    }
}

#[tokio::test]
async fn without_the_read_notes_permission_step_1_says_so_and_notes_are_still_posted() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let setup: api::LeverSetup = expect_json(app.lever_setup(&admin).await, 200).await;
    assert!(
        setup.credentials.optional_permissions_missing.is_empty(),
        "{setup:?}"
    );

    // The account has a candidate, whose notes step 1 reads: an unknown candidate's notes
    // answer 404 before Lever looks at the permission, so a made-up id would tell nothing.
    new_candidate(&sim).await;
    let without: Vec<&str> = PERMISSIONS
        .iter()
        .copied()
        .filter(|p| *p != "read_notes")
        .collect();
    let api_key = sim.create_api_key(Some(&without)).await;
    let credentials = api::LeverCredentialsRequest {
        environment: api::LeverEnvironment::Custom,
        base_url: Some(sim.api_base_url()),
        api_key,
    };
    let saved: api::LeverSetup =
        expect_json(app.save_lever_credentials(&admin, &credentials).await, 200).await;
    assert!(saved.credentials.done);
    let missing = &saved.credentials.optional_permissions_missing;
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("Read notes") && missing[0].contains("GET /opportunities/:id/notes"),
        "{missing:?}"
    );
    let shown: api::LeverSetup = expect_json(app.lever_setup(&admin).await, 200).await;
    assert_eq!(&shown.credentials.optional_permissions_missing, missing);

    // Today's behaviour: the note is posted again after a lost answer, and the job succeeds.
    let ada = new_candidate(&sim).await;
    sim.lose_answer_next_on(1, &format!("{ada}/notes"), Some(500), None)
        .await;
    pad_for(&app, &sim, &admin, &ada).await;
    let notes = notes_starting(&sim, &ada, "Interview pad created").await;
    assert_eq!(notes.len(), 2, "{notes:#?}");
    let refused_reads = sim
        .requests()
        .await
        .iter()
        .filter(|r| r.path.ends_with(&format!("{ada}/notes")) && r.method == "GET")
        .count();
    assert!(refused_reads <= 1, "{refused_reads} reads of the notes");
}

/// The permission taken from the key after step 1: the first retry that is refused the notes
/// (of a candidate the key can read) keeps that on the setup, so step 1 says it.
#[tokio::test]
async fn read_notes_taken_away_after_setup_shows_in_step_1_after_the_first_refusal() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    let without: Vec<&str> = PERMISSIONS
        .iter()
        .copied()
        .filter(|p| *p != "read_notes")
        .collect();
    sim.set_key_permissions(&lever.api_key, &without).await;
    let ada = new_candidate(&sim).await;
    sim.lose_answer_next_on(1, &format!("{ada}/notes"), Some(500), None)
        .await;
    pad_for(&app, &sim, &admin, &ada).await;
    // Posted again without the look, as before the look existed.
    assert_eq!(
        notes_starting(&sim, &ada, "Interview pad created")
            .await
            .len(),
        2
    );
    let setup: api::LeverSetup = expect_json(app.lever_setup(&admin).await, 200).await;
    let missing = &setup.credentials.optional_permissions_missing;
    assert!(
        missing.len() == 1 && missing[0].contains("Read notes"),
        "{missing:?}"
    );
}

/// Lever calls that may hang far longer than a run lasts here.
fn patient(settings: &mut server::Settings) {
    settings.lever_client.total_timeout = Duration::from_secs(60);
}

#[tokio::test]
async fn a_note_stored_before_the_server_went_down_is_not_posted_again_after_the_restart() {
    let mut app = tests::spawn_app_with(patient).await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &[PHONE]).await;
    let ada = new_candidate(&sim).await;
    // Lever stores the note and its answer never comes: the server goes down meanwhile, as if
    // it had crashed between Lever's answer and recording the note.
    sim.lose_answer_next_on(1, &format!("{ada}/notes"), None, Some(60_000))
        .await;
    sim.move_opportunity(&ada, &sim.stage_id(PHONE).await).await;
    wait_for(
        "Lever to store the note",
        Duration::from_secs(30),
        || async {
            (!notes_starting(&sim, &ada, "Interview pad created")
                .await
                .is_empty())
            .then_some(())
        },
    )
    .await;
    // On the same port: the public URL, and so the pad link in the marker, stays the same.
    app = app.restart_on_same_port().await;

    let delivery = wait_for(
        "the pad_created outcome",
        Duration::from_secs(30),
        || async {
            app.deliveries(&admin).await.into_iter().find(|d| {
                d.opportunity_id.as_deref() == Some(ada.as_str())
                    && d.status == api::DeliveryStatus::PadCreated
            })
        },
    )
    .await;
    assert_eq!(delivery.attempts, 2, "{delivery:?}");
    let notes = notes_starting(&sim, &ada, "Interview pad created").await;
    assert_eq!(notes.len(), 1, "{notes:#?}");
}
