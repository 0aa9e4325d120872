//! `make lever-sim`: a Lever simulator for trying Stagepad without a Lever account.

use std::time::Duration;

use tests::lever_sim::{LeverSim, NewCandidate, SimOptions};

#[tokio::main]
async fn main() {
    let bind = std::env::var("LEVER_SIM_BIND").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("LEVER_SIM_PORT").unwrap_or_else(|_| "8090".into());
    let sim = LeverSim::start_with(SimOptions {
        bind: format!("{bind}:{port}"),
        webhook_retry_base: Duration::from_secs(2),
        ..SimOptions::default()
    })
    .await;

    let key = sim.create_api_key(None).await;
    sim.create_user("Riley Recruiter", "riley@lever.example")
        .await;
    sim.create_user("Ines Interviewer", "ines@lever.example")
        .await;
    let tagged = sim
        .create_posting("Backend Engineer", &["coderpad", "Engineering"])
        .await;
    let untagged = sim.create_posting("Office Manager", &["Operations"]).await;
    let mut candidates = Vec::new();
    for (name, posting, tags) in [
        ("Ada Lovelace", &tagged, vec![]),
        ("Alan Turing", &untagged, vec!["coderpad".to_string()]),
        ("Grace Hopper", &untagged, vec![]),
    ] {
        let id = sim
            .create_candidate(NewCandidate {
                name: name.into(),
                tags,
                posting_id: Some(posting.clone()),
                ..Default::default()
            })
            .await;
        candidates.push((name, id));
    }
    let stages = sim.stages().await;
    let phone = &stages
        .iter()
        .find(|(_, n)| n == "Phone interview")
        .unwrap()
        .0;
    let control = format!("{}/_sim", sim.url());

    println!("Lever simulator running.\n");
    println!("  Lever API base URL : {}", sim.api_base_url());
    println!("  API key (all permissions): {key}");
    println!("  Control API        : {control}\n");
    println!(
        "In Stagepad (started with STAGEPAD_LEVER_ALLOW_CUSTOM_BASE_URL=true), pick \"Custom URL\" in step 1."
    );
    println!("Register Stagepad's webhook URL, then copy the printed signature_token into step 4:");
    println!("  curl -s -X POST {control}/webhooks -H 'content-type: application/json' \\");
    println!(
        "       -d '{{\"event\": \"candidateStageChange\", \"url\": \"<Stagepad webhook URL>\"}}'"
    );
    println!("Lever's Verify button:");
    println!("  curl -s -X POST {control}/webhooks/<webhook id>/verify");
    println!("Candidates (Ada's job is tagged coderpad, Alan is tagged himself, Grace is not):");
    for (name, id) in &candidates {
        println!("  {name:<13} {id}");
    }
    println!("Move one to Phone interview:");
    println!(
        "  curl -s -X POST {control}/opportunities/{}/move -H 'content-type: application/json' \\",
        candidates[0].1
    );
    println!("       -d '{{\"stage_id\": \"{phone}\"}}'");
    println!(
        "See its links and notes:  curl -s {control}/opportunities/{}\n",
        candidates[0].1
    );
    println!("Ctrl-C stops it.");

    tokio::signal::ctrl_c().await.expect("wait for Ctrl-C");
    sim.stop().await;
}
