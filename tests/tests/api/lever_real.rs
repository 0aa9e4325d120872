//! Real Lever, not just an easy simulator (issue 11): what real records, webhook bodies, notes,
//! user look-ups and redirects look like, and that Stagepad copes with each.

use api::Plan;
use tests::accounts::Account;
use tests::lever::ConnectedLever;
use tests::lever_sim::{LeverSim, NewOpportunity};
use tests::{TestApp, spawn_app};

const PHONE: &str = "Phone interview";

struct Setup {
    app: TestApp,
    sim: LeverSim,
    admin: Account,
    lever: ConnectedLever,
}

async fn connected(stages: &[&str]) -> Setup {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, stages).await;
    Setup {
        app,
        sim,
        admin,
        lever,
    }
}

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
    assert_eq!(delivery.status, "pad_created", "{delivery:?}");
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
            .all(|d| d.status != "dead" && d.error.is_none()),
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
    assert_eq!(delivery.status, "pad_created", "{delivery:?}");
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
        (delivery.status.as_str(), delivery.reason.as_deref()),
        ("ignored", Some("not_tagged")),
        "{delivery:?}"
    );
    assert!(delivery.error.is_none(), "{delivery:?}");
}
