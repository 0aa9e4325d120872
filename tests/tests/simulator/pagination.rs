//! `limit`, `offset` = the previous `next`, `hasNext`; tokens that punish mangling.

use serde_json::Value;
use tests::lever_sim::LeverSim;

use crate::support::{Answer, answer, get, http};

/// GET a list page with `offset` percent-encoded properly, as a careful client sends it.
async fn page(
    sim: &LeverSim,
    key: &str,
    list: &str,
    limit: Option<u32>,
    offset: Option<&str>,
) -> Answer {
    let mut query: Vec<(&str, String)> = vec![];
    if let Some(limit) = limit {
        query.push(("limit", limit.to_string()));
    }
    if let Some(offset) = offset {
        query.push(("offset", offset.to_string()));
    }
    let request = http()
        .get(format!("{}{list}", sim.api_base_url()))
        .basic_auth(key, Some(""))
        .query(&query);
    answer(request).await
}

/// Every item of a list, page by page; also returns the page sizes.
async fn walk(
    sim: &LeverSim,
    key: &str,
    list: &str,
    limit: Option<u32>,
) -> (Vec<Value>, Vec<usize>) {
    let mut items = vec![];
    let mut sizes = vec![];
    let mut offset: Option<String> = None;
    for _ in 0..50 {
        let answer = page(sim, key, list, limit, offset.as_deref()).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let body = answer.json();
        let data = body["data"].as_array().unwrap().clone();
        sizes.push(data.len());
        items.extend(data);
        if body["hasNext"] == true {
            offset = Some(
                body["next"]
                    .as_str()
                    .expect("next when hasNext")
                    .to_string(),
            );
        } else {
            assert!(
                body.get("next").is_none(),
                "no next on the last page: {body}"
            );
            return (items, sizes);
        }
    }
    panic!("pagination never ended");
}

#[tokio::test]
async fn more_than_100_stages_come_in_pages_with_opaque_tokens() {
    let sim = LeverSim::start().await;
    for i in 0..150 {
        sim.create_stage(&format!("Stage {i:03}")).await;
    }
    let expected: Vec<String> = sim.stages().await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(expected.len(), 158, "Lever's 8 default stages and 150 more");
    assert!(
        expected.contains(&"lead-new".to_string()),
        "slug ids among uuids"
    );
    let key = sim.create_api_key(None).await;

    let (items, sizes) = walk(&sim, &key, "/stages", None).await;
    assert_eq!(sizes, vec![100, 58], "limit defaults to 100");
    let ids: Vec<&str> = items.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, expected);
    assert!(items.iter().all(|s| s["text"].is_string()));

    let (items, sizes) = walk(&sim, &key, "/stages", Some(40)).await;
    assert_eq!(sizes, vec![40, 40, 40, 38]);
    assert_eq!(items.len(), 158);

    // The token needs encoding, and only an encoded (or decoded-then-encoded) one works.
    let first = page(&sim, &key, "/stages", None, None).await.json();
    let token = first["next"].as_str().unwrap().to_string();
    assert!(token.contains('%') && token.contains('+'), "{token}");
    let decoded = percent_decode(&token);
    assert_ne!(decoded, token);
    for accepted in [token.as_str(), decoded.as_str()] {
        let second = page(&sim, &key, "/stages", None, Some(accepted)).await;
        assert_eq!(second.status, 200, "{accepted}: {}", second.text);
        assert_eq!(second.json()["data"].as_array().unwrap().len(), 58);
    }
    let raw = get(&sim, &key, &format!("/stages?offset={token}")).await;
    assert_eq!(
        (raw.status, raw.error_code().as_str()),
        (400, "BadRequest"),
        "an unencoded token"
    );
    let made_up = page(&sim, &key, "/stages", None, Some("abc")).await;
    assert_eq!(made_up.status, 400);
    assert_eq!(get(&sim, &key, "/stages?offset=").await.status, 400);

    for limit in ["0", "101", "ten", "-1", "2.5", ""] {
        let bad = get(&sim, &key, &format!("/stages?limit={limit}")).await;
        assert_eq!(
            (bad.status, bad.error_code().as_str()),
            (400, "BadRequest"),
            "limit={limit}"
        );
    }
    let one = get(&sim, &key, "/stages?limit=1").await.json();
    assert_eq!(one["data"].as_array().unwrap().len(), 1);
    assert_eq!(one["hasNext"], true);
    let hundred = get(&sim, &key, "/stages?limit=100").await.json();
    assert_eq!(hundred["data"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn users_page_the_same_way_and_tokens_stay_with_their_list() {
    let sim = LeverSim::start().await;
    for i in 0..120 {
        sim.create_user(&format!("User {i}"), &format!("user{i}@lever.example"))
            .await;
    }
    let key = sim.create_api_key(None).await;
    let (users, sizes) = walk(&sim, &key, "/users", Some(50)).await;
    assert_eq!(sizes, vec![50, 50, 20]);
    let names: Vec<String> = users
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (0..120).map(|i| format!("User {i}")).collect();
    assert_eq!(names, expected);
    for field in ["id", "name", "email", "accessRole"] {
        assert!(users[0][field].is_string(), "{field} in {}", users[0]);
    }
    let (_, sizes) = walk(&sim, &key, "/users", None).await;
    assert_eq!(sizes, vec![100, 20]);

    // A users token is no stages token.
    let token = page(&sim, &key, "/users", Some(1), None).await.json()["next"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        page(&sim, &key, "/stages", None, Some(&token)).await.status,
        400
    );
    assert_eq!(
        page(&sim, &key, "/users", None, Some(&token)).await.status,
        200
    );
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
