//! Helpers that connect an organization to the Lever simulator through the setup API.

use crate::accounts::{Account, expect_json};
use crate::app::TestApp;
use crate::lever_sim::LeverSim;

/// What step 3 and 4 left behind: Lever's webhook entry and Stagepad's URL for it.
pub struct ConnectedLever {
    pub webhook_id: String,
    pub signature_token: String,
    pub url: String,
    pub api_key: String,
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
        let _: api::LeverSetup = expect_json(
            self.put(&admin.client, "/api/lever/credentials", &credentials)
                .await,
            200,
        )
        .await;
        let live: api::LeverStagesResponse =
            expect_json(self.get(&admin.client, "/api/lever/stages").await, 200).await;
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
            self.put(
                &admin.client,
                "/api/lever/stages",
                &api::LeverStagesRequest { stage_ids },
            )
            .await,
            200,
        )
        .await;
        let webhook: api::LeverWebhookResponse =
            expect_json(self.get(&admin.client, "/api/lever/webhook").await, 200).await;
        let (webhook_id, signature_token) = sim
            .register_webhook("candidateStageChange", &webhook.url)
            .await;
        let token = api::LeverTokenRequest {
            signature_token: signature_token.clone(),
            pad_owner_id: admin.id(),
        };
        let _: api::LeverSetup = expect_json(
            self.put(&admin.client, "/api/lever/token", &token).await,
            200,
        )
        .await;
        ConnectedLever {
            webhook_id,
            signature_token,
            url: webhook.url,
            api_key,
        }
    }

    pub async fn deliveries(&self, admin: &Account) -> Vec<api::LeverDelivery> {
        let answer: api::LeverDeliveriesResponse =
            expect_json(self.get(&admin.client, "/api/lever/deliveries").await, 200).await;
        answer.deliveries
    }
}
