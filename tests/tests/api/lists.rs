//! The console's lists page with a cursor and search in the database: walking the cursor gives
//! every row exactly once, in order, and a search or a filter reaches rows of any age.

use api::{ErrorCode, Plan};
use entity::{audit_event, job, lever_delivery, pad, user};
use sea_orm::{ActiveValue::Set, ColumnTrait, Database, EntityTrait, QueryFilter};
use serde::de::DeserializeOwned;
use tests::{Account, TestApp, expect_error, expect_json, spawn_app};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Every page from `path` (which has a query already), following `next_cursor`.
async fn walk<T: DeserializeOwned>(
    app: &TestApp,
    account: &Account,
    path: &str,
    ids: impl Fn(&T) -> Vec<String>,
    next: impl Fn(&T) -> Option<String>,
) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_string(),
        };
        let page: T = expect_json(app.get(&account.client, &url).await, 200).await;
        pages += 1;
        seen.extend(ids(&page));
        match next(&page) {
            Some(c) => cursor = Some(c),
            None => return (seen, pages),
        }
        assert!(pages < 100, "the cursor never ends");
    }
}

/// A whole second, so that every stored time has the same shape.
fn whole_second(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap()
}

fn org_of(account: &Account) -> api::OrgId {
    account.me.organization.id
}

#[tokio::test]
async fn pads_page_by_cursor_and_search_reaches_the_oldest() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let other = app.sign_up(Plan::Team).await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let base = whole_second(OffsetDateTime::now_utc()) - Duration::days(1);
    // 1,100 pads, two to a second (the id decides between them), the oldest one findable by
    // its job title and one whose name holds LIKE's wildcards.
    let mut rows = Vec::new();
    for i in 0..1_100i64 {
        let name = match i {
            1_099 => "Zebulon Oldest".to_string(),
            500 => "Percy 100%_sure".to_string(),
            _ => format!("Candidate {i}"),
        };
        let mut row =
            server::pads::new_pad(org_of(&admin), server::pads::PadSource::Manual, name, None)
                .job_title(Some(
                    if i == 1_099 {
                        "Kernel Hacker"
                    } else {
                        "Engineer"
                    }
                    .into(),
                ))
                .0;
        row.created_at = Set(base - Duration::seconds(i / 2));
        if i % 3 == 0 {
            row.status = Set(server::pads::PadStatus::Ended);
        }
        rows.push(row);
    }
    rows.push(
        server::pads::new_pad(
            org_of(&other),
            server::pads::PadSource::Manual,
            "Zebulon Elsewhere".into(),
            None,
        )
        .0,
    );
    for chunk in rows.chunks(100) {
        pad::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    let mut stored = pad::Entity::find()
        .filter(pad::Column::OrgId.eq(org_of(&admin)))
        .all(&db)
        .await
        .unwrap();
    stored.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let expected: Vec<String> = stored.iter().map(|p| p.id.to_string()).collect();
    let expected_ended: Vec<String> = stored
        .iter()
        .filter(|p| p.status == server::pads::PadStatus::Ended)
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(expected_ended.len(), 367, "every third of 1,100 pads ended");

    let ids = |page: &api::PadsResponse| page.pads.iter().map(|p| p.id.to_string()).collect();
    let next = |page: &api::PadsResponse| page.next_cursor.clone();
    let (seen, pages) = walk(&app, &admin, "/api/pads?limit=200", ids, next).await;
    assert_eq!(pages, 6);
    assert_eq!(seen, expected, "every pad once, newest first");

    let default: api::PadsResponse = expect_json(app.list_pads(&admin, "").await, 200).await;
    assert_eq!(default.pads.len(), 50, "50 to a page unless asked");

    let (ended, _) = walk(&app, &admin, "/api/pads?status=ended&limit=37", ids, next).await;
    assert_eq!(ended, expected_ended, "the filter pages too");

    for (query, name) in [
        ("q=zebulon", "Zebulon Oldest"),
        ("q=kernel%20HACKER", "Zebulon Oldest"),
        ("q=100%25_", "Percy 100%_sure"),
    ] {
        let found: api::PadsResponse = expect_json(app.list_pads(&admin, query).await, 200).await;
        let names: Vec<&str> = found
            .pads
            .iter()
            .map(|p| p.candidate_name.as_str())
            .collect();
        assert_eq!(names, vec![name], "{query}");
        assert_eq!(found.next_cursor, None);
    }
    let wildcard: api::PadsResponse = expect_json(app.list_pads(&admin, "q=_").await, 200).await;
    assert_eq!(wildcard.pads.len(), 1, "_ is a character, not a wildcard");

    for (query, code) in [
        ("limit=0", ErrorCode::InvalidLimit),
        ("limit=201", ErrorCode::InvalidLimit),
        ("cursor=not-a-cursor", ErrorCode::InvalidCursor),
        ("status=lost", ErrorCode::InvalidStatus),
    ] {
        expect_error(app.list_pads(&admin, query).await, 400, code).await;
    }
}

#[tokio::test]
async fn an_old_failed_delivery_is_found_and_retried() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let org_id = org_of(&admin);
    let db = Database::connect(&app.database_url).await.unwrap();
    let base = whole_second(OffsetDateTime::now_utc()) - Duration::hours(1);
    let delivery =
        |i: i64, status: api::DeliveryStatus, opportunity: String| lever_delivery::ActiveModel {
            id: Set(api::DeliveryId::random()),
            org_id: Set(org_id),
            received_at: Set(base - Duration::seconds(i)),
            event: Set("candidateStageChange".into()),
            triggered_at: Set(None),
            opportunity_id: Set(Some(opportunity)),
            to_stage_id: Set(None),
            status: Set(status),
            reason: Set(None),
            detail: Set(Some("Lever answered 503".into())),
            candidate_name: Set(None),
            pad_id: Set(None),
            attempts: Set(8),
            detail_message: Set(None),
        };
    // 260 dead deliveries and as many that made pads, the oldest dead one last of all.
    let mut rows = Vec::new();
    for i in 0..520 {
        let status = if i % 2 == 0 {
            api::DeliveryStatus::PadCreated
        } else {
            api::DeliveryStatus::Dead
        };
        rows.push(delivery(i, status, format!("opp-{i}")));
    }
    let oldest = delivery(600, api::DeliveryStatus::Dead, "opp-oldest".into());
    let oldest_id = oldest.id.clone().unwrap();
    rows.push(oldest);
    for chunk in rows.chunks(100) {
        lever_delivery::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    let mut dead_job = server::jobs::queue::new_job(
        org_id,
        job::Kind::LeverStageChange,
        Some(oldest_id),
        "{}".into(),
        base - Duration::seconds(600),
    );
    dead_job.status = Set(job::Status::Dead);
    dead_job.attempts = Set(8);
    job::Entity::insert(dead_job).exec(&db).await.unwrap();

    let ids = |page: &api::LeverDeliveriesResponse| {
        page.deliveries.iter().map(|d| d.id.to_string()).collect()
    };
    let next = |page: &api::LeverDeliveriesResponse| page.next_cursor.clone();
    let (all, _) = walk(&app, &admin, "/api/lever/deliveries?limit=200", ids, next).await;
    assert_eq!(all.len(), 521);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 521, "no delivery twice");
    assert_eq!(all.last(), Some(&oldest_id.to_string()), "newest first");

    let (dead, pages) = walk(&app, &admin, "/api/lever/deliveries?status=dead", ids, next).await;
    assert_eq!(dead.len(), 261);
    assert_eq!(pages, 6, "50 to a page");
    assert_eq!(dead.last(), Some(&oldest_id.to_string()));

    let found: api::LeverDeliveriesResponse =
        expect_json(app.lever_deliveries(&admin, "q=OPP-OLDEST").await, 200).await;
    assert_eq!(found.deliveries.len(), 1);
    assert!(found.deliveries[0].can_retry);

    let retried: api::LeverDelivery =
        expect_json(app.retry_delivery(&admin, oldest_id).await, 200).await;
    assert_eq!(retried.id, oldest_id);
    assert_eq!(retried.status, api::DeliveryStatus::Queued);

    expect_error(
        app.lever_deliveries(&admin, "limit=500").await,
        400,
        ErrorCode::InvalidLimit,
    )
    .await;
}

#[tokio::test]
async fn the_audit_log_pages_by_cursor_through_every_event() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let org_id = org_of(&admin);
    let db = Database::connect(&app.database_url).await.unwrap();
    let base = whole_second(OffsetDateTime::now_utc()) - Duration::days(2);
    let rows: Vec<audit_event::ActiveModel> = (0..130)
        .map(|i| audit_event::ActiveModel {
            org_id: Set(org_id),
            actor_user_id: Set(None),
            actor_label: Set(None),
            action: Set("login_failed".into()),
            detail: Set(format!("attempt {i}")),
            client_address: Set(None),
            created_at: Set(base + Duration::seconds(i)),
            ..Default::default()
        })
        .collect();
    audit_event::Entity::insert_many(rows)
        .exec(&db)
        .await
        .unwrap();
    let mut ids: Vec<i64> = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(org_id))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let expected: Vec<String> = ids.iter().map(i64::to_string).collect();

    let (seen, pages) = walk(
        &app,
        &admin,
        "/api/audit?limit=50",
        |page: &api::AuditPage| page.events.iter().map(|e| e.id.to_string()).collect(),
        |page: &api::AuditPage| page.next_cursor.clone(),
    )
    .await;
    assert_eq!(pages, 3);
    assert_eq!(seen, expected, "every event once, newest first");
    expect_error(
        app.audit(&admin, "cursor=AAAA").await,
        400,
        ErrorCode::InvalidCursor,
    )
    .await;
}

#[tokio::test]
async fn members_page_by_cursor_and_search_by_name_or_email() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let org_id = org_of(&admin);
    let db = Database::connect(&app.database_url).await.unwrap();
    let base = whole_second(OffsetDateTime::now_utc()) - Duration::days(30);
    let rows: Vec<user::ActiveModel> = (0..230i64)
        .map(|i| user::ActiveModel {
            id: Set(api::UserId::random()),
            org_id: Set(org_id),
            email: Set(format!(
                "member-{i}-{}@example.com",
                Uuid::new_v4().simple()
            )),
            name: Set(if i == 0 {
                "Grace Hopper".into()
            } else {
                format!("Member {i}")
            }),
            password_hash: Set("not a hash".into()),
            role: Set(user::Role::Member),
            status: Set(user::Status::Active),
            token_version: Set(0),
            // Three to a second: the id orders them within it.
            created_at: Set(base + Duration::seconds(i / 3)),
            language: Set(None),
        })
        .collect();
    for chunk in rows.chunks(100) {
        user::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    let mut expected = user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .all(&db)
        .await
        .unwrap();
    expected.sort_by_key(|u| (u.created_at, u.id));
    let expected: Vec<String> = expected.into_iter().map(|u| u.id.to_string()).collect();

    let (seen, pages) = walk(
        &app,
        &admin,
        "/api/members?limit=100",
        |page: &api::MembersResponse| page.members.iter().map(|m| m.id.to_string()).collect(),
        |page: &api::MembersResponse| page.next_cursor.clone(),
    )
    .await;
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 231);
    assert_eq!(seen, expected, "every member once, oldest first");
    assert_eq!(seen.last(), Some(&admin.id().to_string()));

    for query in ["q=grace", "q=HOPPER"] {
        let found: api::MembersResponse = expect_json(app.members(&admin, query).await, 200).await;
        let names: Vec<&str> = found.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, vec!["Grace Hopper"]);
    }
    let by_email: api::MembersResponse = expect_json(
        app.get(
            &admin.client,
            &format!("/api/members?q={}", admin.email.to_uppercase()),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_email.members.len(), 1);
    assert_eq!(by_email.members[0].id, admin.id());
    expect_error(
        app.members(&admin, "limit=1000").await,
        400,
        ErrorCode::InvalidLimit,
    )
    .await;
}
