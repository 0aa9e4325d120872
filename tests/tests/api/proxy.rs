//! The README's production setup, run: nginx with the committed example configuration
//! (`deploy/nginx/stagepad.conf`) ending TLS in front of two Stagepad instances on one
//! PostgreSQL database, reached only through it by people, Lever and the pad sockets.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use api::Plan;
use tests::accounts::expect_json;
use tests::lever_sim::{LeverSim, NewCandidate, SimOptions};
use tests::pad_client::PadClient;
use tests::poll::wait_for;
use tests::proxy::Nginx;
use tests::spawn_app_with;

const PHONE: &str = "Phone interview";
const METRICS_TOKEN: &str = "metrics-token-of-the-proxy-test-0123";

/// Where the admin's browser connects from: not the proxy (127.0.0.1, the one trusted).
const BROWSER_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

#[tokio::test]
async fn behind_nginx_instances_run_the_lever_flow_and_a_live_pad_and_see_the_clients_address() {
    let mut proxy = Nginx::prepare();
    let deployed = proxy.instance_settings();
    let mut app = spawn_app_with(move |settings| {
        deployed(settings);
        settings.metrics.token = Some(METRICS_TOKEN.to_owned().into());
    })
    .await;
    // A second instance shares the first one's database and master key, as deployed; SQLite is
    // one server's file, so on SQLite one instance stands behind the proxy.
    let second = if app.uses_postgres() {
        Some(app.another_instance().await)
    } else {
        eprintln!("one instance: two behind the proxy need STAGEPAD_TEST_POSTGRES_URL");
        None
    };
    let instances: Vec<u16> = std::iter::once(app.port)
        .chain(second.as_ref().map(|s| s.port))
        .collect();
    proxy.start(&instances).await;
    app.behind(&proxy);

    // Probes answer through TLS, which browsers are told to keep to; plain http redirects.
    let ready = app.get(&app.client, "/readyz").await;
    assert_eq!(ready.status(), 200, "{}", proxy.error_log());
    assert!(
        ready.headers().contains_key("strict-transport-security"),
        "{:?}",
        ready.headers()
    );
    let plain = tests::app::new_client()
        .get(format!("{}/pads?x=1", proxy.http_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 301);
    assert_eq!(
        plain.headers()["location"],
        "https://pads.example.com/pads?x=1"
    );

    // The metrics are scraped from each instance, never through the public address, token
    // or not.
    let through_proxy = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(through_proxy.status(), 404);
    let direct = tests::app::new_client()
        .get(format!("http://127.0.0.1:{}/metrics", app.port))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 200);

    // An admin's browser on another address, sending its page's origin (the public URL) and
    // an X-Forwarded-For of its own making, which must not be believed.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", proxy.url().parse().unwrap());
    headers.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
    let browser = app
        .client_builder()
        .local_address(IpAddr::V4(BROWSER_ADDRESS))
        .default_headers(headers)
        .build()
        .unwrap();
    let admin = app.sign_up_with(browser, Plan::Enterprise).await;

    // Lever: called directly by the instances, delivering its webhooks to the public URL.
    let sim = LeverSim::start_with(SimOptions {
        trusted_roots: vec![proxy.ca().certificate()],
        ..SimOptions::default()
    })
    .await;
    let lever = app.connect_lever(&admin, &sim, &[PHONE]).await;
    assert!(
        lever.url.starts_with(&format!("{}/", proxy.url())),
        "the webhook URL is the public one: {}",
        lever.url
    );
    let ada = sim
        .create_candidate(NewCandidate {
            name: "Ada Lovelace".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    let sent = sim.move_candidate(&ada, &sim.stage_id(PHONE).await).await;
    let delivery = app.outcome_for(&admin, &ada).await;
    assert_eq!(
        delivery.status,
        api::DeliveryStatus::PadCreated,
        "{delivery:?}"
    );
    for id in sent {
        let delivered = sim.delivery(&id).await;
        assert_eq!(delivered.attempts, vec![200], "{delivered:?}");
        assert_eq!(delivered.url, lever.url);
    }
    let link = delivery.pad_link.expect("the pad's link");
    assert_eq!(sim.links(&ada).await, vec![link.clone()]);
    let pad_id = api::PadId::new(
        link.strip_prefix(&format!("{}/pad/", proxy.url()))
            .expect("the link is on the public URL"),
    );
    let view: api::PadView = expect_json(app.view_pad(&app.new_client(), &pad_id).await, 200).await;
    assert_eq!(view.candidate_name.as_deref(), Some("Ada Lovelace"));

    // The interviewer and the candidate open the pad: wss through nginx, which hands new
    // connections to the instances in turn, so with two instances each has one of them.
    let mut interviewer = PadClient::join(&app, &pad_id, "Ida", None).await;
    let mut candidate = PadClient::join(&app, &pad_id, "Ada", None).await;
    interviewer.edit("fn main() {}").await;
    interviewer.settle_at(1).await;
    candidate.settle_at(1).await;
    assert_eq!(candidate.doc.text, "fn main() {}");
    candidate.edit("fn main() { println!(\"hi\"); }").await;
    candidate.settle_at(2).await;
    interviewer.settle_at(2).await;
    assert_eq!(interviewer.doc.text, "fn main() { println!(\"hi\"); }");
    let candidate_id = candidate.client_id.clone();
    interviewer
        .wait_until("the candidate online", |c| c.shows_online(&candidate_id))
        .await;
    interviewer.close().await;
    candidate.close().await;

    // nginx logs a socket when it closes: which instance each was passed to.
    let sockets = wait_for(
        "nginx to log both sockets",
        Duration::from_secs(10),
        || async {
            let sockets: Vec<Vec<String>> = proxy
                .requests()
                .into_iter()
                .filter(|r| r.status == 101 && r.request.contains("/socket "))
                .map(|r| r.instances)
                .collect();
            (sockets.len() == 2).then_some(sockets)
        },
    )
    .await;
    let used = proxy.instances_used();
    if let Some(second) = &second {
        let both: BTreeSet<String> = [app.port, second.port]
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        assert_eq!(used, both, "both instances answered requests");
        assert_ne!(
            sockets[0],
            sockets[1],
            "the two pad sockets went to different instances:\n{}",
            proxy.access_log()
        );
    } else {
        assert_eq!(used.len(), 1, "{used:?}");
    }
    // The audit log has the browser's own address, forwarded by nginx: neither the proxy's
    // nor the one the browser made up.
    let page: api::AuditPage = expect_json(app.audit(&admin, "").await, 200).await;
    let signed_up = page
        .events
        .iter()
        .find(|e| e.action == "signed_up")
        .unwrap_or_else(|| panic!("no signed_up in {:?}", page.events));
    assert_eq!(
        signed_up.client_address.as_deref(),
        Some(BROWSER_ADDRESS.to_string().as_str()),
        "{:?}",
        page.events
    );
    for event in &page.events {
        if let Some(address) = &event.client_address {
            assert_eq!(address, &BROWSER_ADDRESS.to_string(), "{event:?}");
        }
    }
}
