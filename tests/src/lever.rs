//! Helpers that connect an organization to the Lever simulator through the setup API.

use crate::accounts::{Account, expect_json};
use crate::app::TestApp;
use std::time::Duration;

use crate::lever_sim::{LeverSim, signed_body};
use crate::poll::wait_for;

/// What step 3 and 4 left behind: Lever's webhook entry and Stagepad's URL for it.
pub struct ConnectedLever {
    pub webhook_id: String,
    pub signature_token: String,
    pub url: String,
    pub api_key: String,
}

/// A fresh server and Lever simulator, with an Enterprise organization connected to it.
pub struct Setup {
    pub app: TestApp,
    pub sim: LeverSim,
    pub admin: Account,
    pub lever: ConnectedLever,
}

/// Starts a server and a simulator and connects a new Enterprise organization with `stages`.
pub async fn connected(stages: &[&str]) -> Setup {
    let app = crate::app::spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(api::Plan::Enterprise).await;
    let lever = app.connect_lever(&admin, &sim, stages).await;
    Setup {
        app,
        sim,
        admin,
        lever,
    }
}

/// Step 1: saves `api_key` with the simulator as a custom Lever base URL.
pub async fn save_key(
    app: &TestApp,
    admin: &Account,
    sim: &LeverSim,
    api_key: &str,
) -> reqwest::Response {
    let request = api::LeverCredentialsRequest {
        environment: api::LeverEnvironment::Custom,
        base_url: Some(sim.api_base_url()),
        api_key: api_key.into(),
    };
    app.save_lever_credentials(&admin, &request).await
}

/// What the setup page shows now.
pub async fn setup_of(app: &TestApp, admin: &Account) -> api::LeverSetup {
    expect_json(app.lever_setup(&admin).await, 200).await
}

impl TestApp {
    /// Steps 1 to 4 with an all-permissions key and the given stages (by name).
    pub async fn connect_lever(
        &self,
        admin: &Account,
        sim: &LeverSim,
        stage_names: &[&str],
    ) -> ConnectedLever {
        let api_key = sim.create_api_key(None).await;
        let credentials = api::LeverCredentialsRequest {
            environment: api::LeverEnvironment::Custom,
            base_url: Some(sim.api_base_url()),
            api_key: api_key.clone(),
        };
        let _: api::LeverSetup =
            expect_json(self.save_lever_credentials(&admin, &credentials).await, 200).await;
        let live: api::LeverStagesResponse =
            expect_json(self.lever_stages(&admin).await, 200).await;
        let stage_ids = stage_names
            .iter()
            .map(|name| {
                live.stages
                    .iter()
                    .find(|s| s.name == *name)
                    .expect("a stage by that name")
                    .id
                    .clone()
            })
            .collect();
        let _: api::LeverSetup = expect_json(
            self.save_lever_stages(&admin, &api::LeverStagesRequest { stage_ids })
                .await,
            200,
        )
        .await;
        let webhook: api::LeverWebhookResponse =
            expect_json(self.lever_webhook(&admin).await, 200).await;
        let (webhook_id, signature_token) = sim
            .register_webhook("candidateStageChange", &webhook.url)
            .await;
        let token = api::LeverTokenRequest {
            signature_token: signature_token.clone(),
            pad_owner_id: admin.id(),
        };
        let _: api::LeverSetup =
            expect_json(self.save_lever_token(&admin, &token).await, 200).await;
        ConnectedLever {
            webhook_id,
            signature_token,
            url: webhook.url,
            api_key,
        }
    }

    /// The newest 200 deliveries, newest first.
    pub async fn deliveries(&self, admin: &Account) -> Vec<api::LeverDelivery> {
        let answer: api::LeverDeliveriesResponse =
            expect_json(self.lever_deliveries(&admin, "limit=200").await, 200).await;
        answer.deliveries
    }

    /// The organization's newest 200 pads, newest first.
    pub async fn pads(&self, account: &Account) -> Vec<api::PadSummary> {
        let answer: api::PadsResponse =
            expect_json(self.list_pads(&account, "limit=200").await, 200).await;
        answer.pads
    }

    /// Waits until every stage change of the organization has an outcome (no delivery queued
    /// or failing) and returns the deliveries, newest first.
    pub async fn settled_deliveries(&self, admin: &Account) -> Vec<api::LeverDelivery> {
        wait_for(
            "every delivery to have an outcome",
            Duration::from_secs(30),
            || async {
                let deliveries = self.deliveries(admin).await;
                deliveries
                    .iter()
                    .all(|d| {
                        !matches!(
                            d.status,
                            api::DeliveryStatus::Queued | api::DeliveryStatus::Failed
                        )
                    })
                    .then_some(deliveries)
            },
        )
        .await
    }

    /// The outcome of the newest stage change for `opportunity_id`, once it has one (replays
    /// and refused deliveries do not count: they have no work to finish).
    pub async fn outcome_for(&self, admin: &Account, opportunity_id: &str) -> api::LeverDelivery {
        wait_for(
            "the stage change's outcome",
            Duration::from_secs(30),
            || async {
                self.deliveries(admin).await.into_iter().find(|d| {
                    d.opportunity_id.as_deref() == Some(opportunity_id)
                        && !matches!(
                            d.status.as_str(),
                            "queued" | "failed" | "duplicate" | "rejected"
                        )
                })
            },
        )
        .await
    }
}

impl ConnectedLever {
    /// Posts a stage change signed with this webhook's token, as Lever would (a fresh token).
    pub async fn post_stage_change(
        &self,
        client: &reqwest::Client,
        opportunity_id: &str,
        to_stage_id: &str,
    ) -> u16 {
        send_stage_change(
            client,
            &self.url,
            &self.signature_token,
            opportunity_id,
            to_stage_id,
        )
        .await
        .status()
        .as_u16()
    }
}

/// Posts a stage change signed with `signature_token` to `url` (a webhook's, perhaps on
/// another instance), as Lever would (a fresh token); answers the webhook's answer.
pub async fn send_stage_change(
    client: &reqwest::Client,
    url: &str,
    signature_token: &str,
    opportunity_id: &str,
    to_stage_id: &str,
) -> reqwest::Response {
    let body = signed_body(
        signature_token,
        "candidateStageChange",
        serde_json::json!({"opportunityId": opportunity_id, "toStageId": to_stage_id,
            "fromStageId": null, "contactId": "c"}),
    );
    client
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("the webhook answers")
}
