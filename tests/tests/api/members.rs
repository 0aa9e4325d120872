//! Invitations, roles, deactivation, removal, plans, and the last-admin rule.

use api::{ErrorCode, MemberStatus, Plan, Role, UpdateMemberRequest};
use sea_orm::{ConnectionTrait, Database};
use server::auth::throttle::Limit;
use tests::accounts::unique_email;
use tests::app::new_client;
use tests::{PASSWORD, TestApp, expect_error, expect_json, spawn_app, spawn_app_with};

#[tokio::test]
async fn an_invitation_link_is_previewed_accepted_once_and_logs_the_invitee_in() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let email = unique_email("invitee");
    let created = app
        .invite(&admin, &email.to_uppercase(), Role::Member)
        .await;
    assert!(
        created
            .link
            .starts_with(&format!("{}/invite/", app.address)),
        "{}",
        created.link
    );
    let token = TestApp::token_of(&created.link);
    assert!(token.len() >= 43, "at least 256 bits");

    let visitor = new_client();
    let preview: api::InvitationPreview =
        expect_json(app.preview_invitation(&visitor, &token).await, 200).await;
    assert_eq!(preview.organization_name, admin.me.organization.name);
    assert_eq!(preview.email, email);
    assert_eq!(preview.role, Role::Member);
    assert_eq!(preview.invited_by, "Ada Admin");

    let members: api::MembersResponse = expect_json(app.members(&admin, "").await, 200).await;
    assert_eq!(members.invitations.len(), 1);
    assert_eq!(members.invitations[0].email, email);

    let accept = api::AcceptInvitationRequest {
        name: "Grace Hopper".into(),
        password: PASSWORD.into(),
    };
    let path = format!("/api/invitations/{token}/accept");
    let me: api::MeResponse = expect_json(app.post(&visitor, &path, &accept).await, 201).await;
    assert_eq!(me.role, Role::Member);
    assert_eq!(me.organization.id, admin.me.organization.id);
    let _: api::MeResponse = expect_json(app.me(&visitor).await, 200).await;

    expect_error(
        app.post(&new_client(), &path, &accept).await,
        404,
        ErrorCode::InvitationNotFound,
    )
    .await;
    expect_error(
        app.preview_invitation(&new_client(), &token).await,
        404,
        ErrorCode::InvitationNotFound,
    )
    .await;
    let members: api::MembersResponse = expect_json(app.members(&admin, "").await, 200).await;
    assert!(members.invitations.is_empty());
    assert_eq!(members.members.len(), 2);
}

#[tokio::test]
async fn revoked_expired_and_unknown_invitations_do_not_work() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let revoked = app.invite(&admin, &unique_email("r"), Role::Member).await;
    assert_eq!(
        app.revoke_invitation(&admin, revoked.invitation.id)
            .await
            .status(),
        204
    );
    let token = TestApp::token_of(&revoked.link);
    expect_error(
        app.preview_invitation(&new_client(), &token).await,
        404,
        ErrorCode::InvitationNotFound,
    )
    .await;

    let expiring = app.invite(&admin, &unique_email("e"), Role::Member).await;
    let db = Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared(&format!(
        "UPDATE invitations SET expires_at = created_at WHERE email = '{}'",
        expiring.invitation.email
    ))
    .await
    .unwrap();
    let token = TestApp::token_of(&expiring.link);
    let accept = api::AcceptInvitationRequest {
        name: "Late".into(),
        password: PASSWORD.into(),
    };
    expect_error(
        app.accept_invitation(&new_client(), &token, &accept).await,
        404,
        ErrorCode::InvitationNotFound,
    )
    .await;
    expect_error(
        app.get(&new_client(), "/api/invitations/not-a-real-token")
            .await,
        404,
        ErrorCode::InvitationNotFound,
    )
    .await;

    // Someone who already has an account cannot be invited again.
    let request = api::CreateInvitationRequest {
        email: admin.email.clone(),
        role: Role::Member,
    };
    expect_error(
        app.create_invitation(&admin, &request).await,
        409,
        ErrorCode::EmailTaken,
    )
    .await;
}

#[tokio::test]
async fn members_cannot_use_admin_routes() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Enterprise).await;
    let member = app.add_member(&admin, Role::Member).await;
    let c = &member.client;
    let someone = admin.id();
    let responses = vec![
        app.members(c, "").await,
        app.audit(c, "").await,
        app.post(
            c,
            "/api/invitations",
            &api::CreateInvitationRequest {
                email: unique_email("x"),
                role: Role::Admin,
            },
        )
        .await,
        app.put(
            c,
            "/api/organization/plan",
            &api::ChangePlanRequest {
                plan: Plan::Personal,
            },
        )
        .await,
        app.patch(
            c,
            &format!("/api/members/{someone}"),
            &UpdateMemberRequest {
                role: Some(Role::Member),
                status: None,
            },
        )
        .await,
        app.remove_member(c, someone).await,
        app.revoke_invitation(c, api::InvitationId::random()).await,
    ];
    for response in responses {
        expect_error(response, 403, ErrorCode::AdminOnly).await;
    }
    // What members may do.
    let org: api::OrganizationSummary = expect_json(app.organization(c).await, 200).await;
    assert_eq!(org.plan, Plan::Enterprise);
    let me: api::MeResponse = expect_json(app.me(c).await, 200).await;
    assert_eq!(me.role, Role::Member);
}

#[tokio::test]
async fn role_changes_apply_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let member = app.add_member(&admin, Role::Member).await;
    let path = format!("/api/members/{}", member.id());

    let promote = UpdateMemberRequest {
        role: Some(Role::Admin),
        status: None,
    };
    let updated: api::Member =
        expect_json(app.patch(&admin.client, &path, &promote).await, 200).await;
    assert_eq!(updated.role, Role::Admin);
    let _: api::MembersResponse = expect_json(app.members(&member, "").await, 200).await;

    let demote = UpdateMemberRequest {
        role: Some(Role::Member),
        status: None,
    };
    let _: api::Member = expect_json(app.patch(&admin.client, &path, &demote).await, 200).await;
    expect_error(app.members(&member, "").await, 403, ErrorCode::AdminOnly).await;
}

#[tokio::test]
async fn deactivated_members_lose_their_session_and_cannot_log_in_until_reactivated() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let member = app.add_member(&admin, Role::Member).await;
    let path = format!("/api/members/{}", member.id());

    let deactivate = UpdateMemberRequest {
        role: None,
        status: Some(MemberStatus::Deactivated),
    };
    let updated: api::Member =
        expect_json(app.patch(&admin.client, &path, &deactivate).await, 200).await;
    assert_eq!(updated.status, MemberStatus::Deactivated);
    // The open session ends and says why, on every call.
    let message = expect_error(app.me(&member).await, 401, ErrorCode::AccountDeactivated).await;
    assert!(message.contains("admin"), "{message}");
    expect_error(
        app.list_pads(&member, "").await,
        401,
        ErrorCode::AccountDeactivated,
    )
    .await;
    let rename = api::ChangeNameRequest {
        name: "Still Here".into(),
    };
    expect_error(
        app.change_name(&member, &rename).await,
        401,
        ErrorCode::AccountDeactivated,
    )
    .await;
    expect_error(
        app.log_in(&member.email, PASSWORD).await,
        403,
        ErrorCode::AccountDeactivated,
    )
    .await;

    let reactivate = UpdateMemberRequest {
        role: None,
        status: Some(MemberStatus::Active),
    };
    let _: api::Member = expect_json(app.patch(&admin.client, &path, &reactivate).await, 200).await;
    // Reactivation does not bring the old session back.
    expect_error(app.me(&member).await, 401, ErrorCode::NotLoggedIn).await;
    app.log_in_as(&member.email, PASSWORD).await;
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_deactivated_or_removed() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let own = format!("/api/members/{}", admin.id());
    let demote = UpdateMemberRequest {
        role: Some(Role::Member),
        status: None,
    };
    let deactivate = UpdateMemberRequest {
        role: None,
        status: Some(MemberStatus::Deactivated),
    };
    expect_error(
        app.patch(&admin.client, &own, &demote).await,
        409,
        ErrorCode::LastAdmin,
    )
    .await;
    expect_error(
        app.patch(&admin.client, &own, &deactivate).await,
        409,
        ErrorCode::LastAdmin,
    )
    .await;
    expect_error(
        app.delete(&admin.client, &own).await,
        409,
        ErrorCode::LastAdmin,
    )
    .await;

    // A deactivated admin does not count as an active one.
    let second = app.add_member(&admin, Role::Admin).await;
    let second_path = format!("/api/members/{}", second.id());
    let _: api::Member = expect_json(
        app.patch(&admin.client, &second_path, &deactivate).await,
        200,
    )
    .await;
    expect_error(
        app.patch(&admin.client, &own, &demote).await,
        409,
        ErrorCode::LastAdmin,
    )
    .await;

    let reactivate = UpdateMemberRequest {
        role: None,
        status: Some(MemberStatus::Active),
    };
    let _: api::Member = expect_json(
        app.patch(&admin.client, &second_path, &reactivate).await,
        200,
    )
    .await;
    let me: api::Member = expect_json(app.patch(&admin.client, &own, &demote).await, 200).await;
    assert_eq!(me.role, Role::Member);
    expect_error(app.members(&admin, "").await, 403, ErrorCode::AdminOnly).await;
}

#[tokio::test]
async fn a_removed_member_is_gone() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let member = app.add_member(&admin, Role::Member).await;
    assert_eq!(app.remove_member(&admin, member.id()).await.status(), 204);
    expect_error(app.me(&member).await, 401, ErrorCode::NotLoggedIn).await;
    expect_error(
        app.log_in(&member.email, PASSWORD).await,
        401,
        ErrorCode::InvalidCredentials,
    )
    .await;
    let members: api::MembersResponse = expect_json(app.members(&admin, "").await, 200).await;
    assert_eq!(members.members.len(), 1);
    expect_error(
        app.remove_member(&admin, member.id()).await,
        404,
        ErrorCode::NotFound,
    )
    .await;
}

#[tokio::test]
async fn admins_rename_the_organization_and_members_cannot() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let member = app.add_member(&admin, Role::Member).await;
    let before = admin.me.organization.name.clone();
    let rename = |name: &str| api::RenameOrganizationRequest { name: name.into() };

    expect_error(
        app.rename_organization(&member, &rename("Member's Org"))
            .await,
        403,
        ErrorCode::AdminOnly,
    )
    .await;
    for bad in ["  ", &"x".repeat(101), "tab\tname"] {
        expect_error(
            app.rename_organization(&admin, &rename(bad)).await,
            422,
            ErrorCode::InvalidField,
        )
        .await;
    }
    let same: api::OrganizationSummary = expect_json(app.organization(&admin).await, 200).await;
    assert_eq!(same.name, before, "refusals change nothing");

    let renamed: api::OrganizationSummary = expect_json(
        app.rename_organization(&admin, &rename("  Acme Hiring "))
            .await,
        200,
    )
    .await;
    assert_eq!(renamed.name, "Acme Hiring");
    assert_eq!(renamed.plan, Plan::Team);
    // Everyone's next answer names it so.
    let me: api::MeResponse = expect_json(app.me(&member).await, 200).await;
    assert_eq!(me.organization.name, "Acme Hiring");
    let me: api::MeResponse = expect_json(app.me(&admin).await, 200).await;
    assert_eq!(me.organization.name, "Acme Hiring");

    let page: api::AuditPage = expect_json(app.audit(&admin, "").await, 200).await;
    let entry = page
        .events
        .iter()
        .find(|e| e.action == "organization_renamed")
        .expect("the rename is in the audit log");
    assert_eq!(
        entry.detail,
        format!("Renamed the organization from {before:?} to \"Acme Hiring\"")
    );
    assert_eq!(
        page.events
            .iter()
            .filter(|e| e.action == "organization_renamed")
            .count(),
        1,
        "refusals are not logged as renames"
    );
}

#[tokio::test]
async fn admins_change_the_plan() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Personal).await;
    let org: api::OrganizationSummary = expect_json(
        app.put(
            &admin.client,
            "/api/organization/plan",
            &api::ChangePlanRequest {
                plan: Plan::Enterprise,
            },
        )
        .await,
        200,
    )
    .await;
    assert_eq!(org.plan, Plan::Enterprise);
    let me: api::MeResponse = expect_json(app.me(&admin).await, 200).await;
    assert_eq!(me.organization.plan, Plan::Enterprise);
}

/// Personal is "for one interviewer": no invitation, no second active member by accepting an
/// older invitation or by reactivation, and no downgrade while others are active.
#[tokio::test]
async fn the_personal_plan_holds_one_active_member() {
    let app = spawn_app().await;
    let personal = app.sign_up(Plan::Personal).await;
    let refused = expect_error(
        app.create_invitation(
            &personal,
            &api::CreateInvitationRequest {
                email: unique_email("colleague"),
                role: Role::Member,
            },
        )
        .await,
        403,
        ErrorCode::PlanLimit,
    )
    .await;
    assert!(refused.contains("Team"), "{refused}");

    let team = app.sign_up(Plan::Team).await;
    let member = app.add_member(&team, Role::Member).await;
    let to_personal = api::ChangePlanRequest {
        plan: Plan::Personal,
    };
    let refused = expect_error(
        app.change_plan(&team, &to_personal).await,
        409,
        ErrorCode::PlanLimit,
    )
    .await;
    assert!(refused.contains("one"), "{refused}");
    // An invitation sent while on Team, and the other member deactivated: the plan may change,
    // and then neither the invitation nor a reactivation adds a second active member.
    let invited = unique_email("late");
    let created = app.invite(&team, &invited, Role::Member).await;
    let deactivate = |status| UpdateMemberRequest {
        role: None,
        status: Some(status),
    };
    let _: api::Member = expect_json(
        app.update_member(&team, member.id(), &deactivate(MemberStatus::Deactivated))
            .await,
        200,
    )
    .await;
    let org: api::OrganizationSummary =
        expect_json(app.change_plan(&team, &to_personal).await, 200).await;
    assert_eq!(org.plan, Plan::Personal);
    expect_error(
        app.update_member(&team, member.id(), &deactivate(MemberStatus::Active))
            .await,
        403,
        ErrorCode::PlanLimit,
    )
    .await;
    // The invitee hears it before choosing a password, in words meant for them.
    let told = expect_error(
        app.preview_invitation(&new_client(), &TestApp::token_of(&created.link))
            .await,
        403,
        ErrorCode::PlanLimit,
    )
    .await;
    assert!(told.contains("ask whoever invited you"), "{told}");
    expect_error(
        app.accept_invitation(
            &new_client(),
            &TestApp::token_of(&created.link),
            &api::AcceptInvitationRequest {
                name: "Late Joiner".into(),
                password: PASSWORD.into(),
            },
        )
        .await,
        403,
        ErrorCode::PlanLimit,
    )
    .await;
    let members: api::MembersResponse = expect_json(app.members(&team, "").await, 200).await;
    assert_eq!(members.members.len(), 2, "nobody joined");
    assert!(members.members.iter().all(|m| m.email != invited));
}

#[tokio::test]
async fn an_invitation_flood_is_refused_per_organization_with_retry_after() {
    let app = spawn_app_with(|settings| {
        settings.throttle.invitations_per_organization =
            Limit::new(3, std::time::Duration::from_secs(3600));
    })
    .await;
    let admin = app.sign_up(Plan::Team).await;
    let other = app.sign_up(Plan::Team).await;
    for _ in 0..3 {
        app.invite(&admin, &unique_email("invitee"), Role::Member)
            .await;
    }
    let request = api::CreateInvitationRequest {
        email: unique_email("one-too-many"),
        role: Role::Member,
    };
    let refused = app.create_invitation(&admin, &request).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 3600, "{retry_after}");
    expect_error(refused, 429, ErrorCode::TooManyRequests).await;
    let members: api::MembersResponse = expect_json(app.members(&admin, "").await, 200).await;
    assert_eq!(members.invitations.len(), 3);
    // Another organization has its own allowance.
    app.invite(&other, &unique_email("invitee"), Role::Member)
        .await;
}
