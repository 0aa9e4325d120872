use ::api::{
    CreateInvitationRequest, InvitationCreated, Member, MemberStatus, MembersResponse,
    PendingInvitation, Role, UpdateMemberRequest,
};
use ::api::{InvitationId, UserId};
use leptos::prelude::*;

use crate::api::{ApiFailure, Client};
use crate::components::confirm::InlineConfirm;
use crate::components::copy::{CopyRow, CopyWhat};
use crate::components::guard::{AdminOnly, error_note, failure_message};
use crate::components::list::{DataTable, ListCard, Listing, SearchBox};
use crate::i18n::{Text, t, tf};
use crate::state::Session;
use crate::text::{
    ROLES, email_problem, format_date, mail_badge, mail_status, role_from_value, role_label,
    role_summary, role_value, status_label,
};

/// Something an admin does to the organization's people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Role(UserId, Role),
    Status(UserId, MemberStatus),
    Remove(UserId),
    Revoke(InvitationId),
    /// Sends the invitation again with a new link.
    Resend(InvitationId),
}

impl Change {
    /// The `PATCH` body, for changes that are one.
    pub fn update(&self) -> Option<UpdateMemberRequest> {
        match self {
            Change::Role(_, role) => Some(UpdateMemberRequest {
                role: Some(*role),
                status: None,
            }),
            Change::Status(_, status) => Some(UpdateMemberRequest {
                role: None,
                status: Some(*status),
            }),
            Change::Remove(_) | Change::Revoke(_) | Change::Resend(_) => None,
        }
    }

    /// Whether this changes what the acting admin may do (their own role or status).
    pub fn touches(&self, user_id: UserId) -> bool {
        matches!(self, Change::Role(id, _) | Change::Status(id, _) if *id == user_id)
    }

    /// Sends the change; a resent invitation's new link goes to `resent`.
    async fn send(
        self,
        client: Client,
        resent: RwSignal<Option<InvitationCreated>>,
    ) -> Result<(), ApiFailure> {
        match self {
            Change::Role(id, _) | Change::Status(id, _) => {
                let update = self.update().expect("role and status changes are updates");
                client.update_member(id, &update).await.map(|_| ())
            }
            Change::Remove(id) => client.remove_member(id).await,
            Change::Revoke(id) => client.revoke_invitation(id).await,
            Change::Resend(id) => {
                let created = client.resend_invitation(id).await?;
                resent.set(Some(created));
                Ok(())
            }
        }
    }
}

/// The button that flips a member's status: its text and the status it asks for.
pub fn status_toggle(status: MemberStatus) -> (&'static str, MemberStatus) {
    match status {
        MemberStatus::Active => (t(Text::MembersDeactivate), MemberStatus::Deactivated),
        MemberStatus::Deactivated => (t(Text::MembersReactivate), MemberStatus::Active),
    }
}

/// The action that sends a `Change`.
type Changes = Action<Change, Result<(), ApiFailure>>;

/// Whether this Stagepad sends e-mail (invitations are e-mailed; else their links are copied).
fn mail_configured(session: Session) -> bool {
    untrack(move || session.me()).is_some_and(|me| me.mail_configured)
}

#[component]
pub fn Members() -> impl IntoView {
    view! {
        <AdminOnly title=t(Text::MembersTitle) sentence=Text::GuardAdminOnlyMembers>
            <MembersAdmin/>
        </AdminOnly>
    }
}

fn member_headers() -> [&'static str; 6] {
    [
        t(Text::MembersColumnName),
        t(Text::MembersColumnEmail),
        t(Text::MembersColumnRole),
        t(Text::MembersColumnStatus),
        t(Text::MembersColumnJoined),
        "",
    ]
}

fn invitation_headers() -> [&'static str; 5] {
    [
        t(Text::MembersColumnEmail),
        t(Text::MembersColumnRole),
        t(Text::MembersColumnInvitedBy),
        t(Text::MembersColumnExpires),
        "",
    ]
}

#[component]
fn MembersAdmin() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let listing = Listing::new("/members", move |place| client.members(place));
    let resent = RwSignal::new(None::<InvitationCreated>);
    let change = Action::new_local(move |change: &Change| {
        let change = *change;
        async move {
            let answer = change.send(client, resent).await;
            // Refetch even after a refusal, so that every control shows the server's truth.
            listing.refetch();
            if answer.is_ok()
                && session
                    .user_id_untracked()
                    .is_some_and(|me| change.touches(me))
            {
                session.reload();
            }
            answer
        }
    });
    let mailing = mail_configured(session);
    let busy = Signal::derive(move || change.pending().get());
    let confirm_remove = RwSignal::new(None::<UserId>);
    let show = move |page: MembersResponse| {
        let me = session.user_id_untracked();
        view! {
            <DataTable
                testid="members"
                class="members"
                headers=member_headers()
                items=page.members
                row=move |member| member_row(member, me, change, busy, confirm_remove)
            />
            <h2>{t(Text::MembersPendingInvitations)}</h2>
            <DataTable
                testid="invitations"
                headers=invitation_headers()
                items=page.invitations
                row=move |invitation| invitation_row(invitation, change, mailing, busy)
                empty=t(Text::MembersNoPendingInvitations)
            />
            {move || resent.get().map(|created| view! { <InvitationLink created resent=true/> })}
        }
    };

    view! {
        <ListCard
            title=t(Text::MembersTitle)
            listing
            loading=t(Text::MembersLoading)
            problem=Signal::derive(move || failure_message(change.value().get()))
            refresh=mailing
            show
        >
            <p class="muted">
                {role_summary(Role::Admin)} " " {role_summary(Role::Member)} " "
                {t(Text::MembersDeactivatedNote)}
            </p>
            <div class="filters">
                <SearchBox listing placeholder=t(Text::MembersSearch)/>
            </div>
        </ListCard>
        <InviteForm listing/>
    }
}

fn member_row(
    member: Member,
    me: Option<UserId>,
    change: Changes,
    busy: Signal<bool>,
    confirm_remove: RwSignal<Option<UserId>>,
) -> impl IntoView {
    let id = member.id;
    let is_me = me == Some(id);
    let (toggle_label, toggled) = status_toggle(member.status);
    let name = member.name.clone();
    let status_class = match member.status {
        MemberStatus::Active => "badge ok",
        MemberStatus::Deactivated => "badge warn",
    };
    view! {
        <tr data-testid="member-row">
            <td>
                {member.name.clone()}
                {is_me.then(|| view! { " " <span class="badge">{t(Text::MembersYou)}</span> })}
            </td>
            <td>{member.email.clone()}</td>
            <td>
                <select
                    name="role"
                    aria-label=tf(Text::MembersRoleOf, &[("name", &member.name)])
                    // A refused change re-renders this row in place: put the server's
                    // role back in the control the person changed.
                    prop:value=role_value(member.role)
                    disabled=move || busy.get()
                    on:change=move |ev| {
                        if let Some(role) = role_from_value(&event_target_value(&ev)) {
                            change.dispatch_local(Change::Role(id, role));
                        }
                    }
                >
                    {ROLES
                        .into_iter()
                        .map(|role| {
                            view! {
                                <option value=role_value(role) selected=role == member.role>
                                    {role_label(role)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </td>
            <td>
                <span class=status_class>{status_label(member.status)}</span>
            </td>
            <td class="nowrap">{format_date(member.joined_at)}</td>
            <td class="actions">
                <button
                    type="button"
                    class="secondary"
                    disabled=move || busy.get()
                    on:click=move |_| {
                        change.dispatch_local(Change::Status(id, toggled));
                    }
                >
                    {toggle_label}
                </button>
                {move || {
                    if confirm_remove.get() == Some(id) {
                        let name = name.clone();
                        view! {
                            <InlineConfirm
                                question=tf(Text::MembersRemoveQuestion, &[("name", &name)])
                                yes=t(Text::MembersRemoveYes)
                                busy=busy
                                on_yes=Callback::new(move |()| {
                                    confirm_remove.set(None);
                                    change.dispatch_local(Change::Remove(id));
                                })
                                on_cancel=Callback::new(move |()| confirm_remove.set(None))
                            />
                        }
                            .into_any()
                    } else {
                        view! {
                            <button
                                type="button"
                                class="danger"
                                disabled=move || busy.get()
                                on:click=move |_| confirm_remove.set(Some(id))
                            >
                                {t(Text::MembersRemove)}
                            </button>
                        }
                            .into_any()
                    }
                }}
            </td>
        </tr>
    }
}

fn invitation_row(
    invitation: PendingInvitation,
    change: Changes,
    mailing: bool,
    busy: Signal<bool>,
) -> impl IntoView {
    let id = invitation.id;
    let mail = invitation.mail.map(|mail| {
        let class = mail_badge(mail.status);
        view! { " " <span class=class data-testid="invitation-mail">{mail_status(&mail)}</span> }
    });
    view! {
        <tr data-testid="invitation-row">
            <td>{invitation.email} {mail}</td>
            <td>{role_label(invitation.role)}</td>
            <td>{invitation.invited_by}</td>
            <td class="nowrap">{format_date(invitation.expires_at)}</td>
            <td class="actions">
                {mailing
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="secondary"
                                disabled=move || busy.get()
                                on:click=move |_| {
                                    change.dispatch_local(Change::Resend(id));
                                }
                            >
                                {t(Text::MembersResend)}
                            </button>
                        }
                    })}
                <button
                    type="button"
                    class="danger"
                    disabled=move || busy.get()
                    on:click=move |_| {
                        change.dispatch_local(Change::Revoke(id));
                    }
                >
                    {t(Text::MembersRevoke)}
                </button>
            </td>
        </tr>
    }
}

#[component]
fn InviteForm(listing: Listing<MembersResponse>) -> impl IntoView {
    let client = Client::get();
    let mailing = mail_configured(Session::get());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(role_value(Role::Member).to_string());
    let invite = Action::new_local(move |request: &CreateInvitationRequest| {
        let request = request.clone();
        async move {
            let answer = client.create_invitation(&request).await;
            if answer.is_ok() {
                email.set(String::new());
                listing.refetch();
            }
            answer
        }
    });
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = CreateInvitationRequest {
            email: email.get_untracked().trim().to_string(),
            role: role_from_value(&role.get_untracked()).unwrap_or(Role::Member),
        };
        problem.set(email_problem(&request.email));
        if problem.get_untracked().is_none() {
            invite.dispatch_local(request);
        }
    };
    let message = move || {
        problem
            .get()
            .or_else(|| failure_message(invite.value().get()))
    };
    let created = move || invite.value().get().and_then(Result::ok);

    view! {
        <section class="card">
            <h2>{t(Text::MembersInviteTitle)}</h2>
            {(!mailing)
                .then(|| {
                    view! {
                        <p class="muted" data-testid="mail-not-configured">
                            {t(Text::MembersInviteNoMail)}
                        </p>
                    }
                })}
            <form class="form" data-testid="invite-form" on:submit=on_submit novalidate>
                <label>
                    {t(Text::MembersInviteEmail)}
                    <input type="email" name="email" autocomplete="off" required bind:value=email/>
                </label>
                <label>
                    {t(Text::MembersInviteRole)}
                    <select name="role" bind:value=role>
                        {ROLES
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <option value=role_value(r) selected=move || role.get() == role_value(r)>
                                        {role_label(r)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                {move || error_note(message())}
                <button type="submit" disabled=move || invite.pending().get()>
                    {move || {
                        t(
                            if invite.pending().get() {
                                Text::MembersInviteCreating
                            } else {
                                Text::MembersInviteCreate
                            },
                        )
                    }}
                </button>
            </form>
            {move || created().map(|created| view! { <InvitationLink created/> })}
        </section>
    }
}

/// A new invitation link (`resent`: replacing an invitation's earlier one), and whether it was
/// e-mailed or is to be sent by hand.
#[component]
fn InvitationLink(created: InvitationCreated, #[prop(optional)] resent: bool) -> impl IntoView {
    let invitation = &created.invitation;
    let (said, email) = match &invitation.mail {
        Some(mail) => (Text::MembersInviteMailed, &mail.to),
        None => (Text::MembersInviteSendLink, &invitation.email),
    };
    let said = tf(
        said,
        &[("email", email), ("role", role_label(invitation.role))],
    );
    let testids = if resent {
        ["invitation-resent", "resent-link"]
    } else {
        ["invitation-created", "invitation-link"]
    };
    view! {
        <div class="invitation-link" data-testid=testids[0]>
            <p>{said} {resent.then(|| t(Text::MembersInviteOldLinkDead))}</p>
            <CopyRow
                value=created.link
                label=t(Text::MembersInviteLink)
                testid=testids[1]
                what=CopyWhat::Link
                select_on_focus=true
            />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_carry_the_right_body() {
        let id = UserId::from_uuid(uuid::Uuid::from_u128(7));
        let role = Change::Role(id, Role::Admin);
        assert_eq!(
            serde_json::to_string(&role.update().unwrap()).unwrap(),
            r#"{"role":"admin"}"#
        );
        let status = Change::Status(id, MemberStatus::Deactivated);
        assert_eq!(
            serde_json::to_string(&status.update().unwrap()).unwrap(),
            r#"{"status":"deactivated"}"#
        );
        assert_eq!(Change::Remove(id).update(), None);
        let invitation = InvitationId::from_uuid(uuid::Uuid::from_u128(8));
        assert_eq!(Change::Revoke(invitation).update(), None);
        assert_eq!(Change::Resend(invitation).update(), None);
    }

    #[test]
    fn only_own_role_or_status_changes_touch_the_session() {
        let me = UserId::from_uuid(uuid::Uuid::from_u128(1));
        let other = UserId::from_uuid(uuid::Uuid::from_u128(2));
        assert!(Change::Role(me, Role::Member).touches(me));
        assert!(!Change::Role(other, Role::Member).touches(me));
        assert!(!Change::Remove(me).touches(me));
    }

    #[test]
    fn the_headers_have_a_button_column_last() {
        assert_eq!(
            member_headers(),
            ["Name", "Email", "Role", "Status", "Joined", ""]
        );
        assert_eq!(
            invitation_headers(),
            ["Email", "Role", "Invited by", "Expires", ""]
        );
    }

    #[test]
    fn the_status_button_speaks_the_reader_s_language() {
        crate::i18n::set_locale(::api::i18n::Locale::Fr);
        assert_eq!(
            status_toggle(MemberStatus::Active),
            ("Désactiver", MemberStatus::Deactivated)
        );
        crate::i18n::set_locale(::api::i18n::Locale::En);
    }

    #[test]
    fn the_status_button_offers_the_opposite() {
        assert_eq!(
            status_toggle(MemberStatus::Active),
            ("Deactivate", MemberStatus::Deactivated)
        );
        assert_eq!(
            status_toggle(MemberStatus::Deactivated),
            ("Reactivate", MemberStatus::Active)
        );
    }
}
