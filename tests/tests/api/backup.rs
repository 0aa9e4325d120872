//! `stagepad backup` while Lever delivers and a candidate types, and `stagepad restore` into a
//! fresh data folder: the restored server has everything acknowledged before the backup
//! began. "Acknowledged" is what the sender was told: the webhook's 200 (given once the
//! delivery is stored durably) and the pad socket's acknowledgement of an edit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use api::Plan;
use tests::accounts::Account;
use tests::lever::send_stage_change;
use tests::lever_sim::LeverSim;
use tests::pad_client::{PadClient, whole_history};
use tests::poll::wait_for;
use tests::{expect_json, spawn_app};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// What was sent and when, and when it was acknowledged: a delivery's opportunity id, or the
/// pad's text after an edit.
type Sent = Arc<Mutex<Vec<(String, Instant, Option<Instant>)>>>;

/// Settings naming only a SQLite database in `folder`, as `stagepad` would read them.
fn settings_for(folder: &std::path::Path) -> (server::Settings, String) {
    let url = format!("sqlite://{}?mode=rwc", folder.join("stagepad.db").display());
    let folder = folder.display().to_string();
    let settings = server::Settings::from_lookup(|name| match name {
        "STAGEPAD_DATABASE_URL" => Some(url.clone()),
        "STAGEPAD_DATA_DIR" => Some(folder.clone()),
        _ => None,
    })
    .unwrap();
    (settings, url)
}

#[tokio::test]
async fn a_backup_during_a_burst_restores_everything_acknowledged_before_it_began() {
    let app = spawn_app().await;
    if app.uses_postgres() {
        // `stagepad backup` copies the SQLite file; PostgreSQL is backed up with pg_dump (the
        // command says so, and a process test checks it).
        eprintln!("skipped: backups of the SQLite file; PostgreSQL uses pg_dump");
        return;
    }
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let request = api::NewPadRequest {
        candidate_name: "Ada".into(),
        job_title: None,
        language: Some("python".into()),
    };
    let pad: api::PadSummary = expect_json(app.create_pad(&admin, &request).await, 201).await;
    let stop = Arc::new(AtomicBool::new(false));
    // The burst runs until stopped; these bounds only keep a broken test from running forever.
    let give_up_at = Instant::now() + Duration::from_secs(120);
    let going_on = {
        let stop = stop.clone();
        move || !stop.load(Ordering::SeqCst) && Instant::now() < give_up_at
    };

    // Lever: four senders, each delivering one stage change after another.
    let sent: Sent = Arc::default();
    let mut senders = Vec::new();
    for sender in 0..4 {
        let (sent, going_on, url, token) = (
            sent.clone(),
            going_on.clone(),
            lever.url.clone(),
            lever.signature_token.clone(),
        );
        let client = tests::app::new_client();
        senders.push(tokio::spawn(async move {
            for n in 0..5_000 {
                if !going_on() {
                    break;
                }
                let opportunity = format!("opp-{sender}-{n}");
                let at = Instant::now();
                let index = {
                    let mut sent = sent.lock().await;
                    sent.push((opportunity.clone(), at, None));
                    sent.len() - 1
                };
                // A stage Stagepad does not select: the delivery is stored, no job follows.
                let answer =
                    send_stage_change(&client, &url, &token, &opportunity, "unselected").await;
                if answer.status() == 200 {
                    sent.lock().await[index].2 = Some(Instant::now());
                }
            }
        }));
    }
    // A candidate typing one line after another, each acknowledged before the next.
    let edits: Sent = Arc::default();
    let editor = {
        let (edits, going_on) = (edits.clone(), going_on.clone());
        let mut candidate = PadClient::join(&app, &pad.id, "Ada", None).await;
        tokio::spawn(async move {
            let mut text = String::new();
            for n in 0..10_000 {
                if !going_on() {
                    break;
                }
                text.push_str(&format!("line {n}\n"));
                let at = Instant::now();
                candidate.edit(&text).await;
                // Returns once the server acknowledged the edit.
                candidate.settle_at(0).await;
                edits
                    .lock()
                    .await
                    .push((text.clone(), at, Some(Instant::now())));
            }
            candidate.close().await;
        })
    };
    let acknowledged = |min_deliveries: usize, min_edits: usize| {
        let (sent, edits) = (sent.clone(), edits.clone());
        async move {
            let deliveries = sent.lock().await.iter().filter(|s| s.2.is_some()).count();
            let edits = edits.lock().await.len();
            (deliveries >= min_deliveries && edits >= min_edits).then_some(())
        }
    };
    wait_for("a burst under way", Duration::from_secs(30), || {
        acknowledged(30, 10)
    })
    .await;

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("stagepad-backup.db");
    let (live_settings, _) = settings_for(app.data_dir());
    let began = Instant::now();
    let backup = server::admin::backup(&live_settings, &file).await.unwrap();
    let ended = Instant::now();
    assert!(backup.bytes > 0 && backup.migrations > 20, "{backup:?}");
    // The burst goes on past the backup, then stops.
    let (deliveries_then, edits_then) = (
        sent.lock().await.iter().filter(|s| s.2.is_some()).count(),
        edits.lock().await.len(),
    );
    wait_for("the burst to go on", Duration::from_secs(30), || {
        acknowledged(deliveries_then + 10, edits_then + 5)
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for sender in senders {
        sender.await.unwrap();
    }
    editor.await.unwrap();
    let error = server::admin::backup(&live_settings, &file)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("exists already"), "{error}");

    // Restored into a fresh folder, and served from there.
    let fresh = tempfile::tempdir().unwrap();
    let (settings, url) = settings_for(fresh.path());
    let restored = server::admin::restore(&settings, &file).await.unwrap();
    assert!(restored.kept.is_none(), "nothing was there to keep");
    let master_key = app.master_key.clone();
    let restored_app = tests::app::start_on_database(url, master_key, fresh).await;
    assert_eq!(
        restored_app.readiness(&restored_app.client).await.status(),
        200
    );
    let client = restored_app.log_in_as(&admin.email, &admin.password).await;
    let me = expect_json(restored_app.me(&client).await, 200).await;
    let admin_there = Account {
        client,
        me,
        email: admin.email.clone(),
        password: admin.password.clone(),
    };
    // The Lever key is readable: the same master key came along.
    let _: api::LeverStagesResponse =
        expect_json(restored_app.lever_stages(&admin_there).await, 200).await;

    let stored: Vec<String> = restored_app
        .deliveries(&admin_there)
        .await
        .into_iter()
        .filter_map(|d| d.opportunity_id)
        .collect();
    let sent = sent.lock().await;
    let before: Vec<&String> = sent
        .iter()
        .filter(|(_, _, acked)| acked.is_some_and(|at| at < began))
        .map(|(opportunity, _, _)| opportunity)
        .collect();
    assert!(before.len() >= 30, "{} acknowledged before", before.len());
    for opportunity in &before {
        assert!(
            stored.contains(opportunity),
            "{opportunity} was acknowledged before the backup began but is not restored"
        );
    }
    // A point-in-time copy: nothing sent after the backup ended is in it.
    for (opportunity, at, _) in sent.iter().filter(|(_, at, _)| *at > ended) {
        assert!(
            !stored.contains(opportunity),
            "{opportunity} was sent {:?} after the backup ended, yet restored",
            *at - ended
        );
    }

    let history = whole_history(&restored_app, &admin_there.client, &pad.id).await;
    let edits = edits.lock().await;
    let (last_before, _, _) = edits
        .iter()
        .rev()
        .find(|(_, _, acked)| acked.is_some_and(|at| at < began))
        .expect("edits acknowledged before the backup");
    assert!(
        history.final_text.starts_with(last_before.as_str()),
        "the restored pad lacks acknowledged edits:\n{}\nwanted at least:\n{last_before}",
        history.final_text
    );
    if let Some((first_after, _, _)) = edits.iter().find(|(_, at, _)| *at > ended) {
        assert!(
            history.final_text.len() < first_after.len(),
            "an edit typed after the backup ended is restored"
        );
    }
}
