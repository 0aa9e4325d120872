//! `GET /users`: `email=` finds a user by the canonical (trimmed, lowercase) address exactly,
//! and deactivated users show only with `includeDeactivated=true`.

use tests::lever_sim::LeverSim;

use crate::support::{get, ids};

#[tokio::test]
async fn users_are_found_by_canonical_email_and_deactivated_ones_on_request() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let riley = sim.create_user("Riley", "Riley.Doe@Lever.example").await;
    let sam = sim.create_user("Sam", "sam@lever.example").await;

    let found = get(&sim, &key, "/users?email=riley.doe%40lever.example").await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(ids(&found.json()), vec![riley.clone()]);
    // Exact: another case or spacing is another address.
    for other in [
        "Riley.Doe%40Lever.example",
        "riley.doe%40lever.exampl",
        "%20riley.doe%40lever.example",
    ] {
        let answer = get(&sim, &key, &format!("/users?email={other}")).await;
        assert_eq!(ids(&answer.json()), Vec::<String>::new(), "{other}");
    }
    assert_eq!(ids(&get(&sim, &key, "/users").await.json()).len(), 2);

    sim.deactivate_user(&sam).await;
    let active = get(&sim, &key, "/users").await.json();
    assert_eq!(ids(&active), vec![riley.clone()]);
    assert_eq!(
        ids(&get(&sim, &key, "/users?email=sam%40lever.example")
            .await
            .json()),
        Vec::<String>::new()
    );
    let all = get(
        &sim,
        &key,
        "/users?email=sam%40lever.example&includeDeactivated=true",
    )
    .await
    .json();
    assert_eq!(ids(&all), vec![sam.clone()]);
    assert!(all["data"][0]["deactivatedAt"].as_i64().is_some());
    let bad = get(&sim, &key, "/users?includeDeactivated=yes").await;
    assert_eq!((bad.status, bad.error_code().as_str()), (400, "BadRequest"));
}
