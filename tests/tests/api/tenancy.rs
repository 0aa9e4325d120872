//! Each organization is a sealed room: every route that takes an id, tried by organization A
//! with organization B's ids, answers 404 and changes nothing.

use api::{ErrorCode, MemberStatus, Plan, Role, UpdateMemberRequest};
use tests::{expect_error, expect_json, spawn_app};

#[tokio::test]
async fn another_organizations_ids_answer_404_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.sign_up(Plan::Enterprise).await;
    let b = app.sign_up(Plan::Enterprise).await;
    let b_member = app.add_member(&b, Role::Member).await;
    let b_invitation = app
        .invite(&b, &tests::accounts::unique_email("pending"), Role::Admin)
        .await;
    let before: api::MembersResponse = expect_json(app.members(&b, "").await, 200).await;
    let b_audit_before: api::AuditPage = expect_json(app.audit(&b, "").await, 200).await;

    for target in [b.id(), b_member.id()] {
        let path = format!("/api/members/{target}");
        for change in [
            UpdateMemberRequest {
                role: Some(Role::Member),
                status: None,
            },
            UpdateMemberRequest {
                role: Some(Role::Admin),
                status: None,
            },
            UpdateMemberRequest {
                role: None,
                status: Some(MemberStatus::Deactivated),
            },
        ] {
            expect_error(
                app.patch(&a.client, &path, &change).await,
                404,
                ErrorCode::NotFound,
            )
            .await;
        }
        expect_error(app.delete(&a.client, &path).await, 404, ErrorCode::NotFound).await;
    }
    expect_error(
        app.revoke_invitation(&a, b_invitation.invitation.id).await,
        404,
        ErrorCode::NotFound,
    )
    .await;

    // A sees only its own people and its own log.
    let a_members: api::MembersResponse = expect_json(app.members(&a, "").await, 200).await;
    assert_eq!(a_members.members.len(), 1);
    assert!(a_members.invitations.is_empty());
    let a_audit: api::AuditPage = expect_json(app.audit(&a, "").await, 200).await;
    assert!(
        a_audit
            .events
            .iter()
            .all(|e| !e.detail.contains(&b_member.email))
    );
    let a_org: api::OrganizationSummary = expect_json(app.organization(&a).await, 200).await;
    assert_eq!(a_org.id, a.me.organization.id);

    // B is untouched.
    let after: api::MembersResponse = expect_json(app.members(&b, "").await, 200).await;
    assert_eq!(after, before);
    let b_audit_after: api::AuditPage = expect_json(app.audit(&b, "").await, 200).await;
    assert_eq!(b_audit_after, b_audit_before);
    let _: api::MeResponse = expect_json(app.me(&b_member).await, 200).await;
}

#[tokio::test]
async fn a_session_cannot_be_moved_to_another_organization() {
    let app = spawn_app().await;
    let a = app.sign_up(Plan::Team).await;
    let b = app.sign_up(Plan::Team).await;
    // Each session answers for its own organization only, whatever the other does.
    let me_a: api::MeResponse = expect_json(app.me(&a).await, 200).await;
    let me_b: api::MeResponse = expect_json(app.me(&b).await, 200).await;
    assert_ne!(me_a.organization.id, me_b.organization.id);
    let _: api::OrganizationSummary = expect_json(
        app.put(
            &b.client,
            "/api/organization/plan",
            &api::ChangePlanRequest {
                plan: Plan::Enterprise,
            },
        )
        .await,
        200,
    )
    .await;
    let org_a: api::OrganizationSummary = expect_json(app.organization(&a).await, 200).await;
    assert_eq!(org_a.plan, Plan::Team);
}
