//! Real Lever, not just an easy simulator (issue 11): what real records, webhook bodies, notes,
//! user look-ups and redirects look like, and that Stagepad copes with each.

use std::time::{Duration, Instant};

use api::{ErrorCode, Plan};
use futures_util::future::join_all;
use tests::accounts::{Account, expect_json};
use tests::lever::{Setup, connected};
use tests::lever_sim::{LeverSim, NewOpportunity};
use tests::pad_client::PadClient;
use tests::poll::wait_for;
use tests::{TestApp, expect_error, spawn_app};

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

const PHONE: &str = "Phone interview";

// ---- point 8: nulls in anonymised or partial records ----

#[tokio::test]
async fn an_anonymised_candidate_still_gets_a_pad() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let anonymous = sim
        .create_opportunity(NewOpportunity {
            name: "Ada Lovelace".into(),
            tags: vec!["coderpad".into()],
            anonymized: true,
            ..Default::default()
        })
        .await;
    sim.move_opportunity(&anonymous, &sim.stage_id(PHONE).await)
        .await;
    let delivery = app.outcome_for(&admin, &anonymous).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    assert_eq!(
        delivery.candidate_name.as_deref(),
        Some("Unnamed candidate (anonymised in Lever)")
    );
    assert_eq!(sim.links(&anonymous).await.len(), 1);
    assert_eq!(sim.notes(&anonymous).await.len(), 1);
    assert!(
        app.settled_deliveries(&admin)
            .await
            .iter()
            .all(|d| d.status != api::DeliveryStatus::Dead && d.error.is_none()),
        "no delivery failed"
    );
}

#[tokio::test]
async fn a_partial_record_with_nulls_is_decided_not_failed() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let phone = sim.stage_id(PHONE).await;
    // No history and no applications, but tagged and now in the stage: a pad.
    let tagged = sim
        .create_opportunity(NewOpportunity {
            name: "Grace Hopper".into(),
            tags: vec!["coderpad".into()],
            null_fields: vec![
                "stageChanges".into(),
                "applications".into(),
                "emails".into(),
                "links".into(),
            ],
            ..Default::default()
        })
        .await;
    sim.move_opportunity(&tagged, &phone).await;
    let delivery = app.outcome_for(&admin, &tagged).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    assert_eq!(delivery.candidate_name.as_deref(), Some("Grace Hopper"));

    // No tags at all (null): not tagged, decided without a failure.
    let untagged = sim
        .create_opportunity(NewOpportunity {
            name: "Lin".into(),
            null_fields: vec!["tags".into(), "name".into()],
            ..Default::default()
        })
        .await;
    sim.move_opportunity(&untagged, &phone).await;
    let delivery = app.outcome_for(&admin, &untagged).await;
    assert_eq!(
        (delivery.status, delivery.reason),
        (
            api::DeliveryStatus::Ignored,
            Some(api::DeliveryReason::NotTagged)
        ),
        "{delivery:?}"
    );
    assert!(delivery.error.is_none(), "{delivery:?}");
}

// ---- point 4: webhook bodies Lever really sends ----

async fn connection(app: &TestApp, admin: &Account) -> api::ConnectionState {
    let setup: api::LeverSetup = expect_json(app.lever_setup(&admin).await, 200).await;
    setup.connection
}

#[tokio::test]
async fn a_body_without_a_signature_is_refused_shown_and_capped() {
    let Setup {
        app,
        sim,
        admin,
        lever,
    } = connected(&[PHONE]).await;
    // The admin saved the entry in Lever without generating its signing token.
    sim.delete_webhook(&lever.webhook_id).await;
    sim.register_unsigned_webhook("candidateStageChange", &lever.url)
        .await;
    let ada = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    let sent = sim
        .move_opportunity(&ada, &sim.stage_id(PHONE).await)
        .await
        .remove(0);
    let delivery = wait_for("Lever to give up", Duration::from_secs(20), || async {
        let d = sim.delivery(&sent).await;
        d.done.then_some(d)
    })
    .await;
    assert!(delivery.attempts.iter().all(|s| *s == 401), "{delivery:?}");
    let shown = app.deliveries(&admin).await;
    assert!(!shown.is_empty());
    assert!(
        shown
            .iter()
            .all(|d| d.status == api::DeliveryStatus::Rejected
                && d.reason == Some(api::DeliveryReason::NoSignature)),
        "{shown:?}"
    );
    assert_eq!(shown[0].opportunity_id, None, "unsigned data is not kept");
    assert!(sim.links(&ada).await.is_empty());

    // Answered 401 with a message that says what to do, not 400 "malformed".
    let unsigned = serde_json::json!({"triggeredAt": now_ms(), "event": "candidateStageChange",
        "data": {"opportunityId": ada, "toStageId": "s1"}});
    let answer = app
        .client
        .post(&lever.url)
        .json(&unsigned)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let error: api::ErrorBody = answer.json().await.unwrap();
    assert_eq!(error.code, ErrorCode::NoSignature);
    assert!(error.message.contains("step 4"), "{}", error.message);

    // A flood of them is counted, not stored: the cap on rejected deliveries holds.
    let started = Instant::now();
    let answers =
        join_all((0..30).map(|_| app.client.post(&lever.url).json(&unsigned).send())).await;
    for answer in answers {
        assert_eq!(answer.unwrap().status(), 401);
    }
    let minutes = started.elapsed().as_secs() / 60 + 1;
    let recorded = app
        .count("SELECT COUNT(*) AS n FROM lever_deliveries WHERE reason = 'no_signature'")
        .await as u64;
    let listing: api::LeverDeliveriesResponse =
        expect_json(app.lever_deliveries(&admin, "").await, 200).await;
    assert!(recorded <= 20 * (minutes + 1), "{recorded} stored");
    assert_eq!(
        listing.rejected_not_recorded + recorded,
        delivery.attempts.len() as u64 + 31
    );
}

#[tokio::test]
async fn verify_samples_and_other_entries_do_not_show_a_mismatch() {
    let Setup {
        app,
        sim,
        admin,
        lever,
    } = connected(&[PHONE]).await;
    assert_eq!(sim.verify(&lever.webhook_id).await, 200);
    assert!(matches!(
        connection(&app, &admin).await,
        api::ConnectionState::Verified { .. }
    ));
    // The admin also pointed other events at the URL: each entry has a token of its own.
    let (hired, _) = sim.register_webhook("candidateHired", &lever.url).await;
    let (_, _) = sim
        .register_webhook("candidateArchiveChange", &lever.url)
        .await;
    assert_eq!(sim.verify(&hired).await, 401, "not our token: refused");
    let ada = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;
    sim.archive(&ada).await;
    wait_for(
        "the archive change to be refused",
        Duration::from_secs(20),
        || async {
            sim.deliveries()
                .await
                .into_iter()
                .find(|d| d.event.as_deref() == Some("candidateArchiveChange") && d.done)
        },
    )
    .await;
    assert!(
        matches!(
            connection(&app, &admin).await,
            api::ConnectionState::Verified { .. }
        ),
        "other entries' deliveries do not flip the console into a mismatch"
    );
    // A stage change signed with another token does.
    let forged = tests::lever_sim::signed_body(
        "another-token",
        "candidateStageChange",
        serde_json::json!({"opportunityId": ada, "toStageId": "s1"}),
    );
    let answer = app
        .client
        .post(&lever.url)
        .json(&forged)
        .send()
        .await
        .unwrap();
    expect_error(answer, 401, ErrorCode::InvalidSignature).await;
    assert!(matches!(
        connection(&app, &admin).await,
        api::ConnectionState::SignatureMismatch { .. }
    ));
}

// ---- point 2: candidate-written text must not notify Lever users ----

/// A Lever candidate with a pad; returns (opportunity id, pad id).
async fn candidate_with_pad(
    app: &TestApp,
    sim: &LeverSim,
    admin: &Account,
) -> (String, api::PadId) {
    let ada = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_opportunity(&ada, &sim.stage_id(PHONE).await).await;
    let link = app.outcome_for(admin, &ada).await.pad_link.expect("a pad");
    let pad_id = api::PadId::new(link.rsplit('/').next().unwrap());
    (ada, pad_id)
}

async fn end_pad(app: &TestApp, admin: &Account, pad_id: &api::PadId) {
    let _: api::PadView = expect_json(app.end_pad(&admin, pad_id).await, 200).await;
}

/// Asks for the code note and returns it once Lever has it.
async fn code_note(
    app: &TestApp,
    sim: &LeverSim,
    admin: &Account,
    ada: &str,
    pad_id: &api::PadId,
) -> tests::lever_sim::SimNote {
    let _: api::PadView = expect_json(app.send_code_note(&admin, pad_id).await, 200).await;
    wait_for("the code note", Duration::from_secs(30), || async {
        sim.notes(ada)
            .await
            .into_iter()
            .find(|n| n.value.starts_with("Code from the interview"))
    })
    .await
}

#[tokio::test]
async fn candidate_text_in_notes_mentions_nobody_and_code_stays_plain_text() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    sim.create_user("Riley", "riley@lever.example").await;
    let (ada, pad_id) = candidate_with_pad(&app, &sim, &admin).await;
    let mut guest = PadClient::join(&app, &pad_id, "Eve @riley", None).await;
    let code =
        "# ask @riley for a raise\n@cache\ndef add(a, b):\n    if a:\n        return a + b\n";
    guest.edit(code).await;
    guest.settle_at(0).await;
    end_pad(&app, &admin, &pad_id).await;

    let results = wait_for("the results note", Duration::from_secs(30), || async {
        sim.notes(&ada)
            .await
            .into_iter()
            .find(|n| n.value.starts_with("Interview ended."))
    })
    .await;
    assert_eq!(results.mentions, Vec::<String>::new(), "{}", results.value);
    assert!(results.value.contains("Eve ＠riley"), "{}", results.value);

    let note = code_note(&app, &sim, &admin, &ada, &pad_id).await;
    assert_eq!(note.mentions, Vec::<String>::new(), "{}", note.value);
    assert!(!note.value.contains("```"), "no Markdown: {}", note.value);
    let lines: Vec<&str> = note.value.lines().collect();
    assert_eq!(lines[0], "Code from the interview (Python):");
    assert!(
        note.value
            .contains("＠cache\ndef add(a, b):\n    if a:\n        return a + b\n"),
        "indentation kept: {}",
        note.value
    );
    assert!(lines[lines.len() - 2].starts_with("Playback: "));
    assert!(lines.last().unwrap().starts_with("Stagepad code · "));
}

#[tokio::test]
async fn a_code_note_is_bounded_with_a_clear_cut() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let (ada, pad_id) = candidate_with_pad(&app, &sim, &admin).await;
    let mut guest = PadClient::join(&app, &pad_id, "Ada", None).await;
    let line = format!("x = {}\n", "1".repeat(95)); // 100 characters
    guest.edit(&line.repeat(1_500)).await; // 150,000 characters
    guest.settle_at(0).await;
    end_pad(&app, &admin, &pad_id).await;
    let note = code_note(&app, &sim, &admin, &ada, &pad_id).await;
    let length = note.value.chars().count();
    assert!(length <= 100_000, "{length} characters");
    assert!(note.value.contains("x = 1111"));
    assert!(
        note.value.lines().any(|l| l.starts_with("[Cut here:")),
        "a marker line says where it was cut"
    );
    let lines: Vec<&str> = note.value.lines().collect();
    assert!(
        lines[lines.len() - 2].starts_with("Playback: ")
            && lines[lines.len() - 1].starts_with("Stagepad code · "),
        "the playback link and the marker survive the cut"
    );
}

// ---- point 9: the pad owner's Lever user, by e-mail ----

async fn setup_of(app: &TestApp, admin: &Account) -> api::LeverSetup {
    expect_json(app.lever_setup(&admin).await, 200).await
}

#[tokio::test]
async fn the_pad_owners_lever_user_is_asked_for_by_email_not_listed() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    // More users than one page holds; Lever keeps e-mails in their canonical form.
    for i in 0..105 {
        sim.create_user(&format!("User {i}"), &format!("user{i}@lever.example"))
            .await;
    }
    let in_lever = sim
        .create_user("Admin In Lever", &admin.email.to_lowercase())
        .await;
    sim.clear_requests().await;
    app.connect_lever(&admin, &sim, &[PHONE]).await;
    let setup = setup_of(&app, &admin).await;
    assert_eq!(setup.token.lever_author.as_deref(), Some("Admin In Lever"));
    assert!(!setup.token.lever_author_deactivated);
    let user_reads: Vec<_> = sim
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path == "/v1/users")
        .collect();
    assert!(!user_reads.is_empty());
    assert!(
        user_reads.iter().all(|r| r.query.contains("email=")),
        "every read asks for one address: {user_reads:?}"
    );
    // Links and notes carry that user.
    let ada = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_opportunity(&ada, &sim.stage_id(PHONE).await).await;
    assert_eq!(
        app.outcome_for(&admin, &ada).await.status,
        api::DeliveryStatus::PadCreated
    );
    assert_eq!(
        sim.notes(&ada).await[0].perform_as.as_deref(),
        Some(in_lever.as_str())
    );
}

#[tokio::test]
async fn a_deactivated_lever_user_is_explained_not_used() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let in_lever = sim.create_user("Admin In Lever", &admin.email).await;
    sim.deactivate_user(&in_lever).await;
    app.connect_lever(&admin, &sim, &[PHONE]).await;
    let setup = setup_of(&app, &admin).await;
    assert_eq!(setup.token.lever_author, None);
    assert!(setup.token.lever_author_deactivated, "{:?}", setup.token);
    let ada = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_opportunity(&ada, &sim.stage_id(PHONE).await).await;
    assert_eq!(
        app.outcome_for(&admin, &ada).await.status,
        api::DeliveryStatus::PadCreated
    );
    assert_eq!(
        sim.notes(&ada).await[0].perform_as,
        None,
        "the key's own user"
    );
}

// ---- point 5: redirects on writes ----

#[tokio::test]
async fn a_redirected_write_is_posted_again_never_turned_into_a_read() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let ada = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    for write in ["addLinks", "notes"] {
        let path = format!("/v1/opportunities/{ada}/{write}");
        sim.redirect_next_on(1, &path, &path).await;
    }
    // A read is redirected too (this fault comes last, so the writes keep theirs).
    let read = format!("/v1/opportunities/{ada}");
    sim.redirect_next_on(1, &read, &format!("{read}?expand=applications"))
        .await;
    sim.clear_requests().await;
    sim.move_opportunity(&ada, &sim.stage_id(PHONE).await).await;
    let delivery = app.outcome_for(&admin, &ada).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    assert_eq!(sim.links(&ada).await.len(), 1);
    assert_eq!(sim.notes(&ada).await.len(), 1);
    let requests = sim.requests().await;
    for write in ["addLinks", "notes"] {
        let calls: Vec<(&str, u16)> = requests
            .iter()
            .filter(|r| r.path.ends_with(&format!("/{write}")))
            .map(|r| (r.method.as_str(), r.status))
            .collect();
        assert_eq!(
            calls,
            vec![
                ("POST", 301),
                ("POST", if write == "notes" { 201 } else { 200 })
            ],
            "{write}: posted again to the new location, never read"
        );
    }
    let reads: Vec<u16> = requests
        .iter()
        .filter(|r| r.path == read && r.method == "GET")
        .map(|r| r.status)
        .collect();
    assert_eq!(&reads[..2], &[301, 200], "a read follows the redirect");
}

#[tokio::test]
async fn a_write_redirected_to_another_host_fails_clearly() {
    let Setup {
        app, sim, admin, ..
    } = connected(&[PHONE]).await;
    let ada = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    let path = format!("/v1/opportunities/{ada}/addLinks");
    // The same simulator under another host name: following it would work, and is refused.
    let port = sim.url().rsplit(':').next().unwrap().to_string();
    let elsewhere = format!("http://localhost:{port}{path}");
    sim.redirect_next_on(100, &path, &elsewhere).await;
    sim.move_opportunity(&ada, &sim.stage_id(PHONE).await).await;
    let failed = wait_for("the failure to show", Duration::from_secs(30), || async {
        app.deliveries(&admin)
            .await
            .into_iter()
            .find(|d| d.error.is_some())
    })
    .await;
    let error = failed.error.unwrap_or_default();
    assert!(error.contains("redirect"), "{error}");
    assert!(error.contains("301"), "{error}");
    assert!(
        sim.requests()
            .await
            .iter()
            .all(|r| !(r.path == path && r.method == "GET")),
        "never turned into a read"
    );
}
