//! Basic auth with API keys, and one permission per endpoint.

use reqwest::Method;
use serde_json::{Value, json};
use tests::lever_sim::{LeverSim, NewOpportunity, PERMISSIONS};

use crate::support::{answer, call, get, http};

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
            "read_postings",
            Method::GET,
            format!("/postings/{posting}"),
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
        let others: Vec<&str> = PERMISSIONS
            .iter()
            .copied()
            .filter(|p| *p != permission)
            .collect();
        let without = sim.create_api_key(Some(&others)).await;
        let refused = call(&sim, method.clone(), Some(&without), &path, body.as_ref()).await;
        assert_eq!(refused.status, 403, "{method} {path} without {permission}");
        assert_eq!(refused.error_code(), "Forbidden");
        let endpoint = path.split('?').next().unwrap();
        assert!(
            refused.json()["message"]
                .as_str()
                .unwrap()
                .contains(endpoint),
            "the message names {endpoint}: {}",
            refused.text
        );

        let only = sim.create_api_key(Some(&[permission])).await;
        let allowed = call(&sim, method.clone(), Some(&only), &path, body.as_ref()).await;
        assert_eq!(
            allowed.status, success,
            "{method} {path} with only {permission}: {}",
            allowed.text
        );
    }

    // The permission is checked before the object is looked up.
    let no_opportunities = sim.create_api_key(Some(&["read_stages"])).await;
    let hidden = get(&sim, &no_opportunities, "/opportunities/does-not-exist").await;
    assert_eq!(hidden.status, 403);
    // A key with no permission at all is still a valid key: 403, not 401.
    let empty = sim.create_api_key(Some(&[])).await;
    assert_eq!(get(&sim, &empty, "/stages").await.status, 403);
}
