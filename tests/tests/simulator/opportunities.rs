//! Opportunities, postings, links and notes, in Lever's shapes.

use reqwest::Method;
use serde_json::{Value, json};
use tests::lever_sim::{LeverSim, NewOpportunity};

use crate::support::{answer, call, get, http, post};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Epoch milliseconds from about now (not seconds, not a float).
fn assert_recent_ms(value: &Value) {
    let ms = value
        .as_i64()
        .unwrap_or_else(|| panic!("{value} is not an integer"));
    assert!(
        (now_ms() - ms).abs() < 120_000,
        "{ms} is not epoch ms of about now"
    );
}

#[tokio::test]
async fn an_opportunity_reads_as_lever_shows_it() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let riley = sim.create_user("Riley", "riley@lever.example").await;
    let posting = sim.create_posting("Backend engineer", &["coderpad"]).await;
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Ada Lovelace".into(),
            email: "ada@candidates.example".into(),
            tags: vec!["Referral".into()],
            posting_id: Some(posting.clone()),
            ..Default::default()
        })
        .await;

    let expanded = get(
        &sim,
        &key,
        &format!("/opportunities/{id}?expand=applications"),
    )
    .await;
    assert_eq!(expanded.status, 200);
    let o = &expanded.json()["data"];
    assert_eq!(o["id"], json!(id));
    assert_eq!(o["name"], "Ada Lovelace");
    assert!(o["contact"].is_string() && o["contact"] != json!(id));
    assert_eq!(o["emails"], json!(["ada@candidates.example"]));
    assert_eq!(
        o["stage"], "applicant-new",
        "an applicant starts in New applicant"
    );
    assert_eq!(o["tags"], json!(["Referral", "coderpad"]));
    assert_eq!(o["archived"], Value::Null);
    assert_eq!(o["links"], json!([]));
    assert!(o["urls"]["show"].is_string());
    assert_recent_ms(&o["createdAt"]);
    let changes = o["stageChanges"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["toStageId"], "applicant-new");
    assert_eq!(changes[0]["toStageIndex"], 3);
    assert_eq!(changes[0]["userId"], json!(riley));
    assert_recent_ms(&changes[0]["updatedAt"]);
    let applications = o["applications"].as_array().unwrap();
    assert_eq!(applications.len(), 1);
    assert_eq!(applications[0]["posting"], json!(posting));
    assert_eq!(applications[0]["type"], "posting");

    // Without expand, applications are plain ids; expand may repeat.
    let plain = get(&sim, &key, &format!("/opportunities/{id}"))
        .await
        .json();
    assert_eq!(plain["data"]["applications"][0], applications[0]["id"]);
    let both = get(
        &sim,
        &key,
        &format!("/opportunities/{id}?expand=applications&expand=stage"),
    )
    .await
    .json();
    assert_eq!(
        both["data"]["stage"],
        json!({"id": "applicant-new", "text": "New applicant"})
    );
    assert!(both["data"]["applications"][0].is_object());
    let bogus = get(
        &sim,
        &key,
        &format!("/opportunities/{id}?expand=everything"),
    )
    .await;
    assert_eq!(
        (bogus.status, bogus.error_code().as_str()),
        (400, "BadRequest")
    );

    // A move shows in stage and stageChanges.
    let phone = sim.stage_id("Phone interview").await;
    sim.move_opportunity(&id, &phone).await;
    let moved = get(&sim, &key, &format!("/opportunities/{id}"))
        .await
        .json();
    assert_eq!(moved["data"]["stage"], json!(phone));
    let changes = moved["data"]["stageChanges"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1]["toStageId"], json!(phone));
    assert_eq!(changes[1]["toStageIndex"], 5);

    let missing = get(&sim, &key, "/opportunities/no-such-id").await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (404, "ResourceNotFound")
    );

    // A lead without a job has no application; an archived one says when.
    let lead = sim
        .create_opportunity(NewOpportunity {
            name: "Lin".into(),
            archived: true,
            ..Default::default()
        })
        .await;
    let lead = get(
        &sim,
        &key,
        &format!("/opportunities/{lead}?expand=applications"),
    )
    .await
    .json();
    assert_eq!(lead["data"]["stage"], "lead-new");
    assert_eq!(lead["data"]["applications"], json!([]));
    assert_recent_ms(&lead["data"]["archived"]["archivedAt"]);
    assert!(lead["data"]["archived"]["reason"].is_string());
}

#[tokio::test]
async fn an_opportunity_keeps_the_posting_tags_it_was_created_with() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let posting = sim
        .create_posting("Backend engineer", &["Engineering"])
        .await;
    let before = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            posting_id: Some(posting.clone()),
            ..Default::default()
        })
        .await;
    sim.set_posting_tags(&posting, &["Engineering", "coderpad"])
        .await;
    let after = sim
        .create_opportunity(NewOpportunity {
            name: "Grace".into(),
            posting_id: Some(posting.clone()),
            ..Default::default()
        })
        .await;

    let tags = |body: Value| body["data"]["tags"].clone();
    let path = |id: &str| format!("/opportunities/{id}?expand=applications");
    assert_eq!(
        tags(get(&sim, &key, &path(&before)).await.json()),
        json!(["Engineering"])
    );
    assert_eq!(
        tags(get(&sim, &key, &path(&after)).await.json()),
        json!(["Engineering", "coderpad"])
    );
    // The job itself shows its tags as they are now.
    let job = get(&sim, &key, &format!("/postings/{posting}")).await;
    assert_eq!(job.status, 200);
    assert_eq!(
        job.json()["data"]["tags"],
        json!(["Engineering", "coderpad"])
    );
    assert_eq!(job.json()["data"]["text"], "Backend engineer");
    let missing = get(&sim, &key, "/postings/no-such-posting").await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (404, "ResourceNotFound")
    );

    // Tags set in Lever later replace the opportunity's own list.
    sim.set_tags(&before, &["coderpad"]).await;
    assert_eq!(
        tags(get(&sim, &key, &path(&before)).await.json()),
        json!(["coderpad"])
    );
}

#[tokio::test]
async fn links_live_on_the_contact_and_are_not_deduplicated() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let riley = sim.create_user("Riley", "riley@lever.example").await;
    let new = |email: &str| NewOpportunity {
        name: "Ada".into(),
        email: email.into(),
        ..Default::default()
    };
    let first = sim.create_opportunity(new("ada@candidates.example")).await;
    let second = sim.create_opportunity(new("ADA@candidates.example")).await;
    let stranger = sim
        .create_opportunity(new("someone@candidates.example"))
        .await;
    let link = "https://stagepad.example/pads/1";

    let added = post(
        &sim,
        &key,
        &format!("/opportunities/{first}/addLinks?perform_as={riley}"),
        &json!({"links": [link]}),
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(added.text, "", "an empty body: clients must accept any 2xx");
    for id in [&first, &second] {
        assert_eq!(sim.opportunity_links(id).await, vec![link]);
        let view = get(&sim, &key, &format!("/opportunities/{id}"))
            .await
            .json();
        assert_eq!(view["data"]["links"], json!([link]));
    }
    assert!(sim.opportunity_links(&stranger).await.is_empty());
    // A retried call adds it again: Lever has no idempotency key.
    post(
        &sim,
        &key,
        &format!("/opportunities/{second}/addLinks"),
        &json!({"links": [link]}),
    )
    .await;
    assert_eq!(sim.opportunity_links(&first).await, vec![link, link]);

    let path = format!("/opportunities/{first}/addLinks");
    for bad in [
        json!({}),
        json!({"links": []}),
        json!({"links": link}),
        json!({"links": [1]}),
        json!([link]),
    ] {
        let refused = post(&sim, &key, &path, &bad).await;
        assert_eq!(
            (refused.status, refused.error_code().as_str()),
            (400, "BadRequest"),
            "{bad}"
        );
    }
    let not_json = answer(
        http()
            .post(format!("{}{path}", sim.api_base_url()))
            .basic_auth(&key, Some(""))
            .header("content-type", "application/json")
            .body("{links:"),
    )
    .await;
    assert_eq!(not_json.status, 400);
    let form = answer(
        http()
            .post(format!("{}{path}", sim.api_base_url()))
            .basic_auth(&key, Some(""))
            .header("content-type", "text/plain")
            .body(json!({"links": [link]}).to_string()),
    )
    .await;
    assert_eq!(form.status, 400, "JSON needs its content type");
    let unknown_user = post(
        &sim,
        &key,
        &format!("{path}?perform_as=nobody"),
        &json!({"links": [link]}),
    )
    .await;
    assert_eq!(unknown_user.status, 400);
    let missing = post(
        &sim,
        &key,
        "/opportunities/nope/addLinks",
        &json!({"links": [link]}),
    )
    .await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (404, "ResourceNotFound")
    );
    assert_eq!(
        sim.opportunity_links(&first).await.len(),
        2,
        "refused calls add nothing"
    );
}

#[tokio::test]
async fn notes_answer_201_with_their_id_and_are_read_back() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let riley = sim.create_user("Riley", "riley@lever.example").await;
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;
    let path = format!("/opportunities/{id}/notes");
    let created = post(
        &sim,
        &key,
        &format!("{path}?perform_as={riley}"),
        &json!({"value": "Pad: https://stagepad.example/pads/1", "secret": false, "notifyFollowers": false}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let note_id = created.json()["data"]["noteId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        sim.opportunity_notes(&id).await,
        vec![(
            note_id,
            "Pad: https://stagepad.example/pads/1".to_string(),
            Some(riley.clone())
        )]
    );
    let plain = post(&sim, &key, &path, &json!({"value": "No author"})).await;
    assert_eq!(plain.status, 201);
    let notes = sim.notes(&id).await;
    assert_eq!(notes[1].perform_as, None);
    assert!(!notes[1].secret && !notes[1].notify_followers);

    for bad in [
        json!({"value": ""}),
        json!({"value": "   "}),
        json!({}),
        json!({"value": 5}),
        json!({"value": "x", "secret": "no"}),
        json!({"value": "x", "notifyFollowers": 1}),
    ] {
        let refused = post(&sim, &key, &path, &bad).await;
        assert_eq!(
            (refused.status, refused.error_code().as_str()),
            (400, "BadRequest"),
            "{bad}"
        );
    }
    let unknown_user = post(
        &sim,
        &key,
        &format!("{path}?perform_as=nobody"),
        &json!({"value": "x"}),
    )
    .await;
    assert_eq!(unknown_user.status, 400);
    let missing = call(
        &sim,
        Method::POST,
        Some(&key),
        "/opportunities/nope/notes",
        Some(&json!({"value": "x"})),
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(sim.notes(&id).await.len(), 2, "refused calls add nothing");
}

#[tokio::test]
async fn anonymised_and_partial_records_answer_nulls() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let anonymous = sim
        .create_opportunity(NewOpportunity {
            name: "Ada Lovelace".into(),
            tags: vec!["coderpad".into()],
            anonymized: true,
            ..Default::default()
        })
        .await;
    let o = get(&sim, &key, &format!("/opportunities/{anonymous}"))
        .await
        .json();
    let o = &o["data"];
    assert_eq!(o["isAnonymized"], json!(true));
    for field in ["name", "emails", "links"] {
        assert_eq!(o[field], Value::Null, "{field}: {o}");
    }
    assert_eq!(o["tags"], json!(["coderpad"]), "tags are not personal");

    let partial = sim
        .create_opportunity(NewOpportunity {
            name: "Grace".into(),
            null_fields: vec!["tags".into(), "stageChanges".into(), "applications".into()],
            ..Default::default()
        })
        .await;
    let o = get(
        &sim,
        &key,
        &format!("/opportunities/{partial}?expand=applications"),
    )
    .await
    .json();
    let o = &o["data"];
    assert_eq!(o["isAnonymized"], json!(false));
    assert_eq!(o["name"], "Grace");
    for field in ["tags", "stageChanges", "applications"] {
        assert_eq!(o[field], Value::Null, "{field}: {o}");
    }
    assert_eq!(o["stage"], "lead-new", "the current stage is still there");

    // Only the fields real records were seen to null.
    let refused = http()
        .post(format!("{}/opportunities", sim.control_url()))
        .json(&json!({"name": "X", "null_fields": ["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn notes_record_the_mentions_lever_would_notify() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;
    let path = format!("/opportunities/{id}/notes");
    let value = "Ping @riley and @ada.l about it (not ＠wide)";
    assert_eq!(
        post(&sim, &key, &path, &json!({ "value": value }))
            .await
            .status,
        201
    );
    assert_eq!(
        post(&sim, &key, &path, &json!({"value": "Nobody"}))
            .await
            .status,
        201
    );
    let notes = sim.notes(&id).await;
    assert_eq!(notes[0].mentions, vec!["riley", "ada.l"]);
    assert!(notes[1].mentions.is_empty());
}

#[tokio::test]
async fn notes_are_listed_newest_first_in_pages_as_lever_lists_them() {
    let sim = LeverSim::start().await;
    let key = sim.create_api_key(None).await;
    let id = sim
        .create_opportunity(NewOpportunity {
            name: "Ada".into(),
            ..Default::default()
        })
        .await;
    let other = sim
        .create_opportunity(NewOpportunity {
            name: "Bo".into(),
            ..Default::default()
        })
        .await;
    let path = format!("/opportunities/{id}/notes");
    for i in 0..3 {
        let created = post(&sim, &key, &path, &json!({"value": format!("Note {i}")})).await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    post(
        &sim,
        &key,
        &format!("/opportunities/{other}/notes"),
        &json!({"value": "Elsewhere"}),
    )
    .await;

    let first = get(&sim, &key, &format!("{path}?limit=2")).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let body = first.json();
    assert_eq!(body["hasNext"], true);
    let values: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["fields"][0]["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, vec!["Note 2", "Note 1"]);
    let note = &body["data"][0];
    assert!(note["id"].is_string() && note["createdAt"].is_i64());
    assert!(note["deletedAt"].is_null());
    let next = body["next"].as_str().unwrap();
    let url = format!("{}{path}", sim.api_base_url());
    let second = answer(
        http()
            .get(&url)
            .basic_auth(&key, Some(""))
            .query(&[("limit", "2"), ("offset", next)]),
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.text);
    let body = second.json();
    assert_eq!(body["data"][0]["fields"][0]["value"], "Note 0");
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["hasNext"], false);

    let missing = get(&sim, &key, "/opportunities/nobody/notes").await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (404, "ResourceNotFound")
    );
}
