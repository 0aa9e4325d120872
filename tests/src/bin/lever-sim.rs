//! `make lever-sim` (`cargo run -p tests --bin lever-sim`): a Lever simulator for trying
//! Stagepad without a Lever account. Seeds a small account, prints how to use it, and runs
//! until Ctrl-C or SIGTERM.
//!
//! Environment: `LEVER_SIM_PORT` (8090), `LEVER_SIM_BIND` (127.0.0.1), `LEVER_SIM_API_KEY`
//! (a fixed key instead of a random one), `LEVER_SIM_WEBHOOK_URL` (register Stagepad's
//! webhook URL for candidateStageChange at start, and print its signature token).

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;
use tests::lever_sim::{LeverSim, NewOpportunity, SimOptions};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let bind = env_or("LEVER_SIM_BIND", "127.0.0.1");
    let port = env_or("LEVER_SIM_PORT", "8090");
    let (Ok(bind), Ok(port)) = (bind.parse::<IpAddr>(), port.parse::<u16>()) else {
        eprintln!(
            "LEVER_SIM_BIND must be an IP address and LEVER_SIM_PORT a port number (got {bind:?} and {port:?})"
        );
        return ExitCode::FAILURE;
    };
    let options = SimOptions {
        bind,
        port,
        // Lever's own pace, roughly: retries after 2, 4, 8, 16 and 32 seconds.
        webhook_retry_base: Duration::from_secs(2),
        ..SimOptions::default()
    };
    let sim = match LeverSim::try_start_with(options).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("The Lever simulator cannot listen on {bind}:{port}: {e}");
            eprintln!("Pick another port with LEVER_SIM_PORT=...");
            return ExitCode::FAILURE;
        }
    };
    let key = seed_key(&sim).await;
    let riley = sim
        .create_user("Riley Recruiter", "riley@lever.example")
        .await;
    sim.create_user("Ines Interviewer", "ines@lever.example")
        .await;
    let tagged = sim
        .create_posting("Backend Engineer", &["coderpad", "Engineering"])
        .await;
    let untagged = sim.create_posting("Office Manager", &["Operations"]).await;
    // For the Lever setup's feedback template: a code question and a text question.
    sim.add_feedback_template(json!({
        "text": "Coding interview",
        "fields": [
            {"type": "code", "text": "Solution", "required": false},
            {"type": "textarea", "text": "Interview notes", "required": false},
            {"type": "score-system", "text": "Overall", "required": false,
             "options": [{"text": "Strong hire"}, {"text": "Hire"}, {"text": "No hire"}]},
        ],
    }))
    .await;
    let mut candidates = Vec::new();
    for (name, email, posting, tags) in [
        ("Ada Lovelace", "ada@candidates.example", &tagged, vec![]),
        (
            "Alan Turing",
            "alan@candidates.example",
            &untagged,
            vec!["coderpad".to_string()],
        ),
        (
            "Grace Hopper",
            "grace@candidates.example",
            &untagged,
            vec![],
        ),
    ] {
        let id = sim
            .create_opportunity(NewOpportunity {
                name: name.into(),
                email: email.into(),
                tags,
                posting_id: Some(posting.clone()),
                ..Default::default()
            })
            .await;
        candidates.push((name, id));
    }
    let phone = sim.stage_id("Phone interview").await;
    let control = sim.control_url();
    let webhook = match std::env::var("LEVER_SIM_WEBHOOK_URL") {
        Ok(url) if !url.trim().is_empty() => Some(
            sim.register_webhook("candidateStageChange", url.trim())
                .await,
        ),
        _ => None,
    };

    println!("Lever simulator running.");
    println!();
    println!("  Lever API base URL        {}", sim.api_base_url());
    println!("  API key (all permissions) {key}");
    println!("  Control API               {control}   (GET it for the list of routes)");
    println!("  perform_as user (Riley)   {riley}");
    println!();
    println!("In Stagepad (started with STAGEPAD_LEVER_ALLOW_CUSTOM_BASE_URL=true), step 1:");
    println!("choose \"Custom URL\", paste the base URL and the key above.");
    println!();
    match &webhook {
        Some((id, token)) => {
            println!("Webhook for candidateStageChange registered (id {id}).");
            println!("Its signature token, for step 4: {token}");
        }
        None => {
            println!("Step 3: register Stagepad's webhook URL; the answer has the signature_token");
            println!("to paste in step 4:");
            println!("  curl -s -X POST {control}/webhooks -H 'content-type: application/json' \\");
            println!(
                "       -d '{}'",
                json!({"event": "candidateStageChange", "url": "<Stagepad webhook URL>"})
            );
        }
    }
    let webhook_id = webhook
        .as_ref()
        .map(|(id, _)| id.as_str())
        .unwrap_or("<webhook id>");
    println!();
    println!("Lever's Verify button (answers with the status Stagepad gave):");
    println!("  curl -s -X POST {control}/webhooks/{webhook_id}/verify");
    println!();
    println!("Candidates (Ada's job is tagged coderpad, Alan is tagged himself, Grace is not):");
    for (name, id) in &candidates {
        println!("  {name:<13} {id}");
    }
    println!();
    println!("Move Ada to Phone interview (Stagepad gets a signed candidateStageChange):");
    println!(
        "  curl -s -X POST {control}/opportunities/{}/move -H 'content-type: application/json' \\",
        candidates[0].1
    );
    println!("       -d '{}'", json!({ "stage_id": phone }));
    println!("Then see what Stagepad did in Lever, and how deliveries went:");
    println!("  curl -s {control}/opportunities/{}", candidates[0].1);
    println!("  curl -s {control}/deliveries");
    if !bind.is_loopback() {
        println!();
        println!("Warning: the control API has no auth and listens on {bind}.");
    }
    println!();
    println!("Ctrl-C stops it.");

    wait_for_shutdown().await;
    sim.stop().await;
    ExitCode::SUCCESS
}

/// LEVER_SIM_API_KEY when given (so a restart keeps Stagepad's saved key working).
async fn seed_key(sim: &LeverSim) -> String {
    match std::env::var("LEVER_SIM_API_KEY") {
        Ok(key) if !key.trim().is_empty() => {
            let client = reqwest::Client::new();
            let response = client
                .post(format!("{}/api-keys", sim.control_url()))
                .json(&json!({"key": key.trim()}))
                .send()
                .await
                .expect("the control API answers");
            assert!(
                response.status().is_success(),
                "LEVER_SIM_API_KEY was refused: {}",
                response.text().await.unwrap_or_default()
            );
            key.trim().to_string()
        }
        _ => sim.create_api_key(None).await,
    }
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
