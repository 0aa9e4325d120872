//! Basic auth with API keys, and one permission per endpoint.

use reqwest::Method;
use serde_json::{Value, json};
use tests::lever_sim::{LeverSim, NewOpportunity};

use crate::support::{answer, assert_needs_permission, call, get, http};

#[tokio::test]
async fn missing_wrong_or_malformed_credentials_answer_401() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let stages = format!("{}/stages", sim.api_base_url());

    let none = call(&sim, Method::GET, None, "/stages", None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.error_code(), "Unauthorized");
    assert!(
        none.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );

    let unknown = get(&sim, "not-a-real-key", "/stages").await;
    assert_eq!(
        (unknown.status, unknown.error_code().as_str()),
        (401, "Unauthorized")
    );

    // The key as the password, a password beside the key, or a bearer token: all refused.
    let swapped = answer(http().get(&stages).basic_auth("", Some(&key))).await;
    assert_eq!(swapped.status, 401);
    let with_password = answer(http().get(&stages).basic_auth(&key, Some("secret"))).await;
    assert_eq!(with_password.status, 401);
    let bearer = answer(http().get(&stages).bearer_auth(&key)).await;
    assert_eq!(bearer.status, 401);

    assert_eq!(get(&sim, &key, "/stages").await.status, 200);
    // Unknown endpoints ask for credentials first, then answer 404 in Lever's shape.
    let nowhere = call(&sim, Method::GET, None, "/candidates", None).await;
    assert_eq!(nowhere.status, 401);
    let nowhere = get(&sim, &key, "/candidates").await;
    assert_eq!(
        (nowhere.status, nowhere.error_code().as_str()),
        (404, "ResourceNotFound")
    );
}

#[tokio::test]
async fn every_endpoint_needs_its_own_permission() {
    let sim = LeverSim::start().await;
    let user = sim.create_user("Riley", "riley@lever.example").await;
    let posting = sim.create_posting("Backend engineer", &["coderpad"]).await;
    let opportunity = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            posting_id: Some(posting.clone()),
            ..Default::default()
        })
        .await;
    let stage = sim.stages().await[0].0.clone();
    let endpoints: Vec<(&str, Method, String, Option<Value>, u16)> = vec![
        ("read_stages", Method::GET, "/stages".into(), None, 200),
        (
            "read_stages",
            Method::GET,
            format!("/stages/{stage}"),
            None,
            200,
        ),
        ("read_users", Method::GET, "/users".into(), None, 200),
        (
            "read_users",
            Method::GET,
            format!("/users/{user}"),
            None,
            200,
        ),
        (
            "read_opportunities",
            Method::GET,
            format!("/opportunities/{opportunity}?expand=applications"),
            None,
            200,
        ),
        (
            "read_opportunities",
            Method::GET,
            "/opportunities?limit=1".into(),
            None,
            200,
        ),
        (
            "read_postings",
            Method::GET,
            format!("/postings/{posting}"),
            None,
            200,
        ),
        (
            "read_postings",
            Method::GET,
            "/postings?limit=1".into(),
            None,
            200,
        ),
        (
            "add_links",
            Method::POST,
            format!("/opportunities/{opportunity}/addLinks"),
            Some(json!({"links": ["https://pads.example/1"]})),
            200,
        ),
        (
            "create_notes",
            Method::POST,
            format!("/opportunities/{opportunity}/notes"),
            Some(json!({"value": "Hello", "secret": false, "notifyFollowers": false})),
            201,
        ),
        (
            "read_notes",
            Method::GET,
            format!("/opportunities/{opportunity}/notes"),
            None,
            200,
        ),
    ];
    for (permission, method, path, body, success) in endpoints {
        assert_needs_permission(&sim, permission, method, &path, body.as_ref(), success).await;
    }

    // Writes check the permission before looking the object up.
    let no_writes = sim.create_api_key(Some(&["read_stages"])).await;
    let hidden = call(
        &sim,
        Method::POST,
        Some(&no_writes),
        "/opportunities/does-not-exist/notes",
        Some(&json!({"value": "Hello"})),
    )
    .await;
    assert_eq!(hidden.status, 403);
    // A key with no permission at all is still a valid key: 403, not 401.
    let empty = sim.create_api_key(Some(&[])).await;
    assert_eq!(get(&sim, &empty, "/stages").await.status, 403);
}

/// Like Lever may, reading one opportunity, posting or opportunity's notes answers 404 for an
/// unknown id before looking at the permission: a probe with a made-up id cannot tell a
/// missing permission. The lists (`limit=1`) cannot 404, so they can.
#[tokio::test]
async fn an_unknown_id_answers_404_before_the_read_permission_is_checked() {
    let sim = LeverSim::start().await;
    let posting = sim.create_posting("Backend engineer", &[]).await;
    let opportunity = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            posting_id: Some(posting.clone()),
            ..Default::default()
        })
        .await;
    let no_reads = sim.create_api_key(Some(&["read_stages"])).await;
    for path in [
        "/opportunities/made-up",
        "/postings/made-up",
        "/opportunities/made-up/notes",
    ] {
        let answer = get(&sim, &no_reads, path).await;
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (404, "ResourceNotFound"),
            "{path}"
        );
    }
    for path in [
        format!("/opportunities/{opportunity}"),
        format!("/postings/{posting}"),
        format!("/opportunities/{opportunity}/notes"),
        "/opportunities?limit=1".into(),
        "/postings?limit=1".into(),
    ] {
        assert_eq!(get(&sim, &no_reads, &path).await.status, 403, "{path}");
    }
    let all = sim.create_api_key(None).await;
    let one = get(&sim, &all, "/postings?limit=1").await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["data"][0]["id"], posting.as_str());
    let one = get(&sim, &all, "/opportunities?limit=1").await;
    assert_eq!(one.json()["data"][0]["id"], opportunity.as_str());
    assert_eq!(one.json()["hasNext"], false);
}

/// Confidential jobs and their candidates answer 403 to a key created without confidential
/// access, for reads and writes; lists leave them out unless asked, which such a key may not.
#[tokio::test]
async fn confidential_postings_and_candidates_need_a_key_with_confidential_access() {
    let sim = LeverSim::start().await;
    let secret_job = sim.create_confidential_posting("Stealth CTO", &[]).await;
    let open_job = sim.create_posting("Backend engineer", &[]).await;
    let candidate = sim
        .create_opportunity(NewOpportunity {
            name: "Grace".into(),
            posting_id: Some(secret_job.clone()),
            ..Default::default()
        })
        .await;
    let plain = sim.create_api_key_confidential(false).await;
    let trusted = sim.create_api_key_confidential(true).await;

    for path in [
        format!("/opportunities/{candidate}"),
        format!("/postings/{secret_job}"),
        "/postings?confidentiality=confidential&limit=1".into(),
        "/opportunities?confidentiality=all".into(),
    ] {
        let refused = get(&sim, &plain, &path).await;
        assert_eq!(
            (refused.status, refused.error_code().as_str()),
            (403, "Forbidden"),
            "{path}"
        );
        assert_eq!(get(&sim, &trusted, &path).await.status, 200, "{path}");
    }
    let note = json!({"value": "Hello"});
    let write = format!("/opportunities/{candidate}/notes");
    assert_eq!(
        call(&sim, Method::POST, Some(&plain), &write, Some(&note))
            .await
            .status,
        403
    );
    assert_eq!(
        call(&sim, Method::POST, Some(&trusted), &write, Some(&note))
            .await
            .status,
        201
    );
    // Lists default to non-confidential items, whatever the key.
    for key in [&plain, &trusted] {
        let postings = get(&sim, key, "/postings").await.json();
        let ids: Vec<&str> = postings["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![open_job.as_str()]);
    }
    let confidential = get(&sim, &trusted, "/postings?confidentiality=confidential").await;
    assert_eq!(confidential.json()["data"][0]["id"], secret_job.as_str());
    assert_eq!(
        confidential.json()["data"][0]["confidentiality"],
        "confidential"
    );
}
