//! Feedback templates and feedback forms: templates listed with their fields, forms written as
//! a required `perform_as` user, and every value checked against its template field.

use reqwest::Method;
use serde_json::{Value, json};
use tests::lever_sim::{LeverSim, NewOpportunity};

use crate::support::{Answer, answer, assert_needs_permission, call, get, http, ids, post};

/// A template with a required Python code field and one field of every other type.
fn coding_interview() -> Value {
    let options = |texts: &[&str]| {
        json!(
            texts
                .iter()
                .map(|t| json!({ "text": t }))
                .collect::<Vec<_>>()
        )
    };
    json!({
        "text": "Coding interview",
        "instructions": "Ask one problem; paste the final code.",
        "fields": [
            {"type": "code", "text": "Final code", "language": "python", "required": true},
            {"type": "text", "text": "Summary"},
            {"type": "textarea", "text": "Details", "description": "What happened"},
            {"type": "yes-no", "text": "Would hire?"},
            {"type": "dropdown", "text": "Level", "options": options(&["Junior", "Senior"])},
            {"type": "multiple-choice", "text": "Track", "options": options(&["Backend", "Frontend"])},
            {"type": "score-system", "text": "Overall", "options": options(&["1", "2", "3", "4"])},
            {"type": "multiple-select", "text": "Topics", "options": options(&["SQL", "Rust"])},
            {"type": "scorecard", "text": "Skills", "scores": [
                {"text": "Design", "description": "Structure"},
                {"text": "Testing", "description": "Edge cases"},
            ]},
            {"type": "date", "text": "Interviewed on"},
        ],
    })
}

/// The id of the template field with this text.
fn field(template: &Value, text: &str) -> String {
    template["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["text"] == text)
        .and_then(|f| f["id"].as_str())
        .unwrap_or_else(|| panic!("no field {text:?} in {template}"))
        .to_string()
}

/// A simulator with a key holding every permission, an active user, a candidate and the
/// coding-interview template (as stored).
struct Setup {
    sim: LeverSim,
    key: String,
    user: String,
    opportunity: String,
    template: Value,
}

impl Setup {
    async fn new() -> Setup {
        let sim = LeverSim::start().await;
        let key = sim.create_api_key(None).await;
        let user = sim.create_user("Ines", "ines@lever.example").await;
        let opportunity = sim
            .create_opportunity(NewOpportunity {
                name: "Ada".into(),
                ..Default::default()
            })
            .await;
        let template = sim.add_feedback_template(coding_interview()).await;
        Setup {
            sim,
            key,
            user,
            opportunity,
            template,
        }
    }

    fn field(&self, text: &str) -> String {
        field(&self.template, text)
    }

    /// A body with a code answer and a summary.
    fn code_answer(&self, code: &str) -> Value {
        json!({
            "baseTemplateId": self.template["id"],
            "fieldValues": [
                {"id": self.field("Final code"), "value": code},
                {"id": self.field("Summary"), "value": "Solid"},
            ],
        })
    }

    /// POSTs a form to the setup's opportunity, as `perform_as` when given. These tests make
    /// more calls than the key's burst of 20 allows at once: a 429 is waited out (bounded),
    /// since the rate limit is not what they check.
    async fn give(&self, perform_as: Option<&str>, body: &Value) -> Answer {
        let mut path = format!("/opportunities/{}/feedback", self.opportunity);
        if let Some(user) = perform_as {
            path = format!("{path}?perform_as={user}");
        }
        for _ in 0..50 {
            let answer = post(&self.sim, &self.key, &path, body).await;
            if answer.status != 429 {
                return answer;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        panic!("the simulator kept answering 429 to {path}");
    }
}

/// A 400 in Lever's shape whose message contains `needle`.
fn assert_bad_request(refused: &Answer, needle: &str, what: &str) {
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (400, "BadRequest"),
        "{what}: {}",
        refused.text
    );
    let message = refused.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains(needle),
        "{what}: {message:?} names {needle:?}"
    );
}

#[tokio::test]
async fn templates_are_listed_in_pages_with_their_fields() {
    let Setup {
        sim, key, template, ..
    } = Setup::new().await;
    let second = sim
        .add_feedback_template(
            json!({"text": "Culture", "fields": [{"type": "textarea", "text": "Notes"}]}),
        )
        .await;
    let third = sim
        .add_feedback_template(
            json!({"text": "Debrief", "fields": [{"type": "yes-no", "text": "Hire?"}]}),
        )
        .await;
    let all = [&template, &second, &third].map(|t| t["id"].as_str().unwrap().to_string());

    let first = get(&sim, &key, "/feedback_templates?limit=2").await;
    assert_eq!(first.status, 200, "{}", first.text);
    let body = first.json();
    assert_eq!(ids(&body), all[..2]);
    assert_eq!(body["hasNext"], true);
    let next = body["next"].as_str().unwrap();
    let rest = answer(
        http()
            .get(format!("{}/feedback_templates", sim.api_base_url()))
            .basic_auth(&key, Some(""))
            .query(&[("limit", "2"), ("offset", next)]),
    )
    .await
    .json();
    assert_eq!(ids(&rest), all[2..]);
    assert_eq!(rest["hasNext"], false);

    // Lever's shape, each field with its id, type and what its type carries.
    let listed = &body["data"][0];
    assert_eq!(listed["text"], "Coding interview");
    assert_eq!(
        listed["instructions"],
        "Ask one problem; paste the final code."
    );
    assert_eq!(
        (&listed["group"], &listed["stage"]),
        (&Value::Null, &Value::Null)
    );
    assert!(listed["createdAt"].is_i64() && listed["updatedAt"].is_i64());
    let fields = listed["fields"].as_array().unwrap();
    let types: Vec<&str> = fields.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "code",
            "text",
            "textarea",
            "yes-no",
            "dropdown",
            "multiple-choice",
            "score-system",
            "multiple-select",
            "scorecard",
            "date"
        ]
    );
    assert!(
        fields
            .iter()
            .all(|f| f["id"].is_string() && f["text"].is_string())
    );
    assert_eq!(fields[0]["language"], "python");
    assert_eq!(
        (&fields[0]["required"], &fields[1]["required"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(fields[2]["description"], "What happened");
    assert_eq!(
        fields[4]["options"],
        json!([{"text": "Junior"}, {"text": "Senior"}])
    );
    assert_eq!(
        fields[8]["scores"][1],
        json!({"text": "Testing", "description": "Edge cases"})
    );
    assert_eq!(
        listed, &template,
        "the list shows the template as it was stored"
    );

    let one = get(&sim, &key, &format!("/feedback_templates/{}", all[1])).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json()["data"], second);
    let missing = get(&sim, &key, "/feedback_templates/no-such-template").await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (404, "ResourceNotFound")
    );

    sim.delete_feedback_template(&all[1]).await;
    let after = get(&sim, &key, "/feedback_templates").await.json();
    assert_eq!(ids(&after), [all[0].clone(), all[2].clone()]);
    let gone = get(&sim, &key, &format!("/feedback_templates/{}", all[1])).await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn a_form_is_given_as_a_user_and_listed_with_its_values() {
    let setup = Setup::new().await;
    let Setup {
        sim,
        key,
        user,
        opportunity,
        template,
    } = &setup;
    let code = "def add(a, b):\n    return a + b\n";
    let mut body = setup.code_answer(code);
    body["panel"] = json!("Onsite");
    body["completedAt"] = json!(1_700_000_000_000_i64);
    let created = setup.give(Some(user), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let form = created.json()["data"].clone();
    assert!(
        form["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{form}"
    );
    assert_eq!(form["type"], "interview");
    assert_eq!(form["user"], json!(user));
    assert_eq!(form["text"], "Coding interview");
    assert_eq!(form["instructions"], template["instructions"]);
    assert_eq!(form["baseTemplateId"], template["id"]);
    assert_eq!(form["panel"], "Onsite");
    assert_eq!(form["interview"], Value::Null);
    assert_eq!(form["completedAt"], 1_700_000_000_000_i64);
    assert!(form["createdAt"].is_i64());
    assert_eq!(form["deletedAt"], Value::Null);
    let fields = form["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 10, "every template field, answered or not");
    assert_eq!(fields[0]["id"], json!(setup.field("Final code")));
    assert_eq!(
        (&fields[0]["type"], &fields[0]["language"]),
        (&json!("code"), &json!("python"))
    );
    assert_eq!(fields[0]["value"], code);
    assert_eq!(fields[1]["value"], "Solid");
    assert!(fields[2..].iter().all(|f| f["value"].is_null()), "{form}");

    // Read back over the API and the control API, and logged with its perform_as.
    let listed = get(sim, key, &format!("/opportunities/{opportunity}/feedback")).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.json()["data"], json!([form.clone()]));
    assert_eq!(listed.json()["hasNext"], false);
    assert_eq!(sim.feedback_forms(opportunity).await, vec![form.clone()]);
    let posts: Vec<_> = sim
        .requests()
        .await
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].path,
        format!("/v1/opportunities/{opportunity}/feedback")
    );
    assert_eq!(posts[0].query, format!("perform_as={user}"));
    assert_eq!(posts[0].status, 201);

    // No idempotency: the same body again is a second form; lists page like Lever's.
    let again = setup.give(Some(user), &body).await;
    assert_eq!(again.status, 201);
    assert_ne!(again.json()["data"]["id"], form["id"]);
    let page = get(
        sim,
        key,
        &format!("/opportunities/{opportunity}/feedback?limit=1"),
    )
    .await;
    assert_eq!(
        ids(&page.json()),
        [form["id"].as_str().unwrap()],
        "oldest first"
    );
    assert_eq!(page.json()["hasNext"], true);
    assert_eq!(sim.feedback_forms(opportunity).await.len(), 2);

    let elsewhere = sim
        .create_opportunity(NewOpportunity {
            name: "Bo".into(),
            ..Default::default()
        })
        .await;
    assert!(sim.feedback_forms(&elsewhere).await.is_empty());
    for method in [Method::GET, Method::POST] {
        let path = format!("/opportunities/nobody/feedback?perform_as={user}");
        let missing = call(sim, method.clone(), Some(key), &path, Some(&body)).await;
        assert_eq!(
            (missing.status, missing.error_code().as_str()),
            (404, "ResourceNotFound"),
            "{method}"
        );
    }
}

#[tokio::test]
async fn perform_as_is_required_and_names_an_active_user() {
    let setup = Setup::new().await;
    let body = setup.code_answer("print(1)");
    let missing = setup.give(None, &body).await;
    assert_bad_request(&missing, "perform_as is required", "no perform_as");

    let retired = setup.sim.create_user("Old", "old@lever.example").await;
    setup.sim.deactivate_user(&retired).await;
    for (user, what) in [(retired.as_str(), "deactivated"), ("nobody", "unknown")] {
        let refused = setup.give(Some(user), &body).await;
        assert_bad_request(&refused, "perform_as", what);
    }
    assert!(
        setup
            .sim
            .feedback_forms(&setup.opportunity)
            .await
            .is_empty()
    );
    assert_eq!(setup.give(Some(&setup.user), &body).await.status, 201);
}

#[tokio::test]
async fn values_are_checked_against_the_template_fields() {
    let setup = Setup::new().await;
    let code = setup.field("Final code");
    let with = |extra: Value| {
        let mut body = setup.code_answer("print(1)");
        body["fieldValues"].as_array_mut().unwrap().push(extra);
        body
    };
    let answer_to =
        |text: &str, value: Value| with(json!({"id": setup.field(text), "value": value}));
    let template_id = setup.template["id"].clone();
    let cases: Vec<(Value, String)> = vec![
        (json!([]), "JSON object".into()),
        (json!({"fieldValues": []}), "baseTemplateId".into()),
        (
            json!({"baseTemplateId": "no-such-template", "fieldValues": []}),
            "no-such-template".into(),
        ),
        (
            json!({ "baseTemplateId": template_id }),
            "fieldValues".into(),
        ),
        (
            with(json!({"id": "no-such-field", "value": "x"})),
            "no-such-field".into(),
        ),
        (
            with(json!({ "id": code, "value": "again" })),
            "twice".into(),
        ),
        (
            with(json!({ "id": setup.field("Summary") })),
            "value".into(),
        ),
        (
            json!({"baseTemplateId": template_id, "fieldValues": [{"id": code, "value": 42}]}),
            code.clone(),
        ),
        (answer_to("Level", json!("Staff")), setup.field("Level")),
        (answer_to("Track", json!(["Backend"])), setup.field("Track")),
        (answer_to("Overall", json!(5)), setup.field("Overall")),
        (answer_to("Topics", json!(["Go"])), setup.field("Topics")),
        (
            answer_to("Would hire?", json!("maybe")),
            setup.field("Would hire?"),
        ),
        (
            answer_to("Summary", json!(["Solid"])),
            setup.field("Summary"),
        ),
        // A one-line question takes one line.
        (
            answer_to("Summary", json!("Solid\nwork")),
            setup.field("Summary"),
        ),
        (
            answer_to("Skills", json!([{"score": "high"}, {"score": 2}])),
            setup.field("Skills"),
        ),
        (
            answer_to("Skills", json!([{"score": 3}])),
            setup.field("Skills"),
        ),
        (
            answer_to("Interviewed on", json!("yesterday")),
            setup.field("Interviewed on"),
        ),
        (
            json!({"baseTemplateId": template_id, "fieldValues": [{"id": setup.field("Summary"), "value": "Solid"}]}),
            format!("{code:?} (\"Final code\") is required"),
        ),
        (
            json!({"baseTemplateId": template_id, "fieldValues": [{"id": code, "value": "  \n"}]}),
            "required".into(),
        ),
        (
            json!({"baseTemplateId": template_id, "fieldValues": [{"id": code, "value": null}]}),
            "required".into(),
        ),
        (
            {
                let mut body = setup.code_answer("print(1)");
                body["completedAt"] = json!("today");
                body
            },
            "completedAt".into(),
        ),
    ];
    for (body, needle) in &cases {
        let refused = setup.give(Some(&setup.user), body).await;
        assert_bad_request(&refused, needle, &body.to_string());
    }
    assert!(
        setup
            .sim
            .feedback_forms(&setup.opportunity)
            .await
            .is_empty(),
        "refused calls store nothing"
    );

    // Every type answered as it should be is accepted and stored as given.
    let answers = [
        ("textarea", "Details", json!("Long\ntext")),
        ("yes-no", "Would hire?", json!("yes")),
        ("dropdown", "Level", json!("Senior")),
        ("multiple-choice", "Track", json!("Backend")),
        ("score-system", "Overall", json!("3")),
        ("multiple-select", "Topics", json!(["Rust", "SQL"])),
        (
            "scorecard",
            "Skills",
            json!([{"score": 3, "comment": "clear"}, {"score": 2}]),
        ),
        ("date", "Interviewed on", json!(1_700_000_000_000_i64)),
    ];
    let mut body = setup.code_answer("print(1)");
    for (_, text, value) in &answers {
        body["fieldValues"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": setup.field(text), "value": value}));
    }
    let created = setup.give(Some(&setup.user), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let form = created.json()["data"].clone();
    for (kind, text, value) in &answers {
        let id = setup.field(text);
        let stored = form["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == json!(id))
            .unwrap();
        assert_eq!(&stored["value"], value, "{kind}");
    }
}

#[tokio::test]
async fn a_deleted_template_is_refused() {
    let setup = Setup::new().await;
    let body = setup.code_answer("print(1)");
    assert_eq!(setup.give(Some(&setup.user), &body).await.status, 201);
    setup
        .sim
        .delete_feedback_template(setup.template["id"].as_str().unwrap())
        .await;
    let refused = setup.give(Some(&setup.user), &body).await;
    assert_bad_request(&refused, "baseTemplateId", "a deleted template");
    let forms = setup.sim.feedback_forms(&setup.opportunity).await;
    assert_eq!(forms.len(), 1, "the earlier form stays");
    assert_eq!(forms[0]["fields"][0]["value"], "print(1)");
}

#[tokio::test]
async fn each_feedback_endpoint_needs_its_permission() {
    let setup = Setup::new().await;
    let Setup {
        sim,
        user,
        opportunity,
        template,
        ..
    } = &setup;
    let body = setup.code_answer("print(1)");
    let endpoints: Vec<(&str, Method, String, Option<&Value>, u16)> = vec![
        (
            "read_feedback_templates",
            Method::GET,
            "/feedback_templates".into(),
            None,
            200,
        ),
        (
            "read_feedback_templates",
            Method::GET,
            format!("/feedback_templates/{}", template["id"].as_str().unwrap()),
            None,
            200,
        ),
        (
            "create_feedback",
            Method::POST,
            format!("/opportunities/{opportunity}/feedback?perform_as={user}"),
            Some(&body),
            201,
        ),
        (
            "read_feedback",
            Method::GET,
            format!("/opportunities/{opportunity}/feedback"),
            None,
            200,
        ),
    ];
    for (permission, method, path, body, success) in endpoints {
        assert_needs_permission(sim, permission, method, &path, body, success).await;
    }
    assert_eq!(
        sim.feedback_forms(opportunity).await.len(),
        1,
        "only the allowed POST stored a form"
    );
}

#[tokio::test]
async fn a_confidential_candidates_feedback_needs_confidential_access() {
    let setup = Setup::new().await;
    let sim = &setup.sim;
    let job = sim.create_confidential_posting("Stealth CTO", &[]).await;
    let candidate = sim
        .create_opportunity(NewOpportunity {
            name: "Grace".into(),
            posting_id: Some(job),
            ..Default::default()
        })
        .await;
    let plain = sim.create_api_key_confidential(false).await;
    let trusted = sim.create_api_key_confidential(true).await;
    let write = format!(
        "/opportunities/{candidate}/feedback?perform_as={}",
        setup.user
    );
    let read = format!("/opportunities/{candidate}/feedback");
    let body = setup.code_answer("print(1)");

    let refused = post(sim, &plain, &write, &body).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (403, "Forbidden")
    );
    assert_eq!(get(sim, &plain, &read).await.status, 403);
    assert!(sim.feedback_forms(&candidate).await.is_empty());

    assert_eq!(post(sim, &trusted, &write, &body).await.status, 201);
    let listed = get(sim, &trusted, &read).await;
    assert_eq!(listed.status, 200);
    assert_eq!(ids(&listed.json()).len(), 1);
}

#[tokio::test]
async fn a_lost_answer_still_stores_exactly_one_form() {
    let setup = Setup::new().await;
    let sim = &setup.sim;
    sim.lose_answer_next_on(1, "/feedback", Some(500), None)
        .await;
    // Reads pass by the fault without using it up.
    assert_eq!(
        get(sim, &setup.key, "/feedback_templates").await.status,
        200
    );
    let read = format!("/opportunities/{}/feedback", setup.opportunity);
    assert_eq!(get(sim, &setup.key, &read).await.status, 200);

    let lost = setup
        .give(Some(&setup.user), &setup.code_answer("print(1)"))
        .await;
    assert_eq!(
        (lost.status, lost.error_code().as_str()),
        (500, "InternalServerError")
    );
    assert!(sim.faults().await.is_empty(), "used up by the write");
    let forms = sim.feedback_forms(&setup.opportunity).await;
    assert_eq!(forms.len(), 1, "stored despite the 500: {forms:?}");
    assert_eq!(forms[0]["user"], json!(setup.user));
    let listed = get(sim, &setup.key, &read).await.json();
    assert_eq!(ids(&listed), [forms[0]["id"].as_str().unwrap()]);
}
