//! "E-mail the link", for members on a live pad: the link goes to the candidate (at an address
//! Lever has for them) and to interviewers picked among the organization's members, with an
//! optional time and message; below, every e-mail of this pad's link and how it stands.
//!
//! The fields and the list are markup built in plain functions (every value escaped) and set in
//! one go; Send reads the fields from the form. A view per field and per row would cost the
//! wasm several kilobytes more, for a panel that is rarely opened.

use std::time::Duration;

use ::api::{MailStatus, MailView, PadId, PadMailOptions, PadMailRecipient, PadMailRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use super::cursors::escape_into;
use crate::api::{Answer, Client};
use crate::components::guard::{error_note, failure_message};
use crate::i18n::{Text, t, tf, tn};
use crate::text::{format_time, mail_badge, mail_status};

/// While an e-mail is waiting or being sent, the list is asked for again this often…
const POLL_EVERY: Duration = Duration::from_secs(2);
/// …this many times at most after opening, a send or a Refresh (then Refresh is there).
const POLLS: u64 = 60;

/// Whether an e-mail may still change by itself (it is waiting or on its way).
pub fn pending(mail: &MailView) -> bool {
    matches!(mail.status, MailStatus::Queued | MailStatus::Sending)
}

/// Who asked for an e-mail and when: a member, or the Lever option when the pad was made.
pub fn asked(mail: &MailView) -> String {
    // Not `format_clock`: it asks `OffsetDateTime::now_utc`, which panics in the browser.
    let at = format_time(mail.created_at);
    match &mail.requested_by {
        Some(name) => tf(Text::PadMailAskedBy, &[("name", name), ("at", &at)]),
        None => tf(Text::PadMailAutomatic, &[("at", &at)]),
    }
}

/// Appends markup and escaped text, in order.
fn put(html: &mut String, parts: &[(&str, &str)]) {
    for (markup, text) in parts {
        html.push_str(markup);
        escape_into(html, text);
    }
}

/// The time and message fields, their lengths the server's (`PAD_MAIL_*_MAX_CHARS`, checked by
/// a test): written out, as no `format!` is needed for them.
const WHEN_FIELD: &str =
    "</span><input type=\"text\" name=\"when\" maxlength=\"200\"></label><label>";
const MESSAGE_FIELD: &str = "<textarea name=\"message\" rows=\"3\" maxlength=\"2000\"></textarea></label><button type=\"submit\">";

/// The form's fields: the candidate (at the addresses Lever has, the first picked), the
/// organization's members, when, and a message; Send. Without e-mail on this Stagepad, a note.
pub fn fields_html(options: &PadMailOptions) -> String {
    let mut out = String::new();
    if !options.mail_configured {
        put(
            &mut out,
            &[
                (
                    "<p class=\"notice\" data-testid=\"pad-mail-not-configured\">",
                    t(Text::PadMailNotConfigured),
                ),
                ("</p>", ""),
            ],
        );
        return out;
    }
    let emails = &options.candidate_emails;
    put(
        &mut out,
        &[
            ("<fieldset><legend>", t(Text::PadsColumnCandidate)),
            ("</legend>", ""),
        ],
    );
    match emails.first() {
        None => {
            let note = match &options.candidate_emails_error {
                Some(error) => tf(Text::PadMailCandidateUnknown, &[("error", error)]),
                None => t(Text::PadMailNoCandidateAddress).into(),
            };
            put(&mut out, &[("<p class=\"hint\">", &note), ("</p>", "")]);
        }
        Some(first) => {
            put(
                &mut out,
                &[
                    (
                        "<label class=\"choice\"><input type=\"checkbox\" name=\"candidate\" value=\"",
                        first,
                    ),
                    ("\"><span>", t(Text::PadMailCandidate)),
                ],
            );
            if emails.len() == 1 {
                put(
                    &mut out,
                    &[
                        ("</span> <span class=\"hint\">", first),
                        ("</span></label>", ""),
                    ],
                );
            } else {
                put(
                    &mut out,
                    &[(
                        "</span></label><select name=\"candidate_email\" aria-label=\"",
                        t(Text::FormFieldEmail),
                    )],
                );
                out.push_str("\">");
                for email in emails {
                    put(&mut out, &[("<option>", email), ("</option>", "")]);
                }
                out.push_str("</select>");
            }
        }
    }
    put(
        &mut out,
        &[
            (
                "</fieldset><fieldset><legend>",
                t(Text::PadMailInterviewers),
            ),
            ("</legend>", ""),
        ],
    );
    for member in &options.members {
        put(
            &mut out,
            &[
                (
                    "<label class=\"choice\"><input type=\"checkbox\" name=\"member\" value=\"",
                    &member.id.to_string(),
                ),
                ("\"><span>", &member.name),
                (" <span class=\"hint\">", &member.email),
                ("</span></span></label>", ""),
            ],
        );
    }
    put(
        &mut out,
        &[
            ("</fieldset><label>", t(Text::PadMailWhen)),
            ("<span class=\"hint\">", t(Text::PadMailWhenHint)),
            (WHEN_FIELD, t(Text::PadMailMessage)),
            (MESSAGE_FIELD, t(Text::PadMailSend)),
            ("</button>", ""),
        ],
    );
    out
}

/// The e-mails of the link, newest first: to whom, how it stands, who asked and when (or why
/// the list could not be read).
pub fn list_html(answer: &Answer<PadMailOptions>) -> String {
    let mut out = String::new();
    match answer {
        Err(failure) => put(
            &mut out,
            &[
                ("<li class=\"error\" role=\"alert\">", &failure.message),
                ("</li>", ""),
            ],
        ),
        Ok(options) if options.sent.is_empty() => put(
            &mut out,
            &[
                ("<li class=\"muted\">", t(Text::PadMailNoneYet)),
                ("</li>", ""),
            ],
        ),
        Ok(options) => {
            for mail in &options.sent {
                put(
                    &mut out,
                    &[
                        ("<li data-testid=\"pad-mail-row\">", &mail.to),
                        (" <span class=\"", mail_badge(mail.status)),
                        ("\">", &mail_status(mail)),
                        ("</span> <span class=\"hint\">", &asked(mail)),
                        ("</span></li>", ""),
                    ],
                );
            }
        }
    }
    out
}

/// A control of the form as Send finds it: its name, value, and whether it is ticked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    pub name: String,
    pub value: String,
    pub checked: bool,
}

/// The request the form's controls make: the candidate first (at the address chosen among
/// several, else the box's own), then the members ticked. Nobody ticked, or too many, is the
/// server's to say.
pub fn request_from(controls: &[Control]) -> PadMailRequest {
    let value = |name: &str| {
        controls
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.value.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut to = Vec::new();
    for control in controls.iter().filter(|c| c.checked) {
        match control.name.as_str() {
            "candidate" => to.insert(
                0,
                PadMailRecipient::Candidate {
                    email: value("candidate_email").unwrap_or_else(|| control.value.clone()),
                },
            ),
            "member" => to.extend(
                control
                    .value
                    .parse()
                    .map(|user_id| PadMailRecipient::Member { user_id }),
            ),
            _ => {}
        }
    }
    PadMailRequest {
        to,
        message: value("message"),
        when: value("when"),
    }
}

/// The controls of `form` (a `<form>` element), read through their DOM properties.
fn controls(form: &JsValue) -> Vec<Control> {
    let get = |of: &JsValue, name: &str| {
        js_sys::Reflect::get(of, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
    };
    let elements = get(form, "elements");
    let count = get(&elements, "length").as_f64().unwrap_or(0.0) as u32;
    (0..count)
        .map(|index| {
            let control = js_sys::Reflect::get_u32(&elements, index).unwrap_or(JsValue::UNDEFINED);
            Control {
                name: get(&control, "name").as_string().unwrap_or_default(),
                value: get(&control, "value").as_string().unwrap_or_default(),
                checked: get(&control, "checked").is_truthy(),
            }
        })
        .collect()
}

/// What the panel knows from the server. Copy it freely: handles to signals, which go away
/// with the panel (a timer that fires later then finds them gone and stops).
#[derive(Clone, Copy)]
struct Mails {
    client: Client,
    pad_id: StoredValue<PadId>,
    /// The form's fields, built from the first good answer (a refresh leaves them, and what
    /// is ticked and typed, alone).
    fields: RwSignal<String>,
    /// The e-mails as of the last answer, or why they could not be read.
    list: RwSignal<String>,
    /// Polls left, and whether a timer is set to ask again.
    polls: StoredValue<u64, LocalStorage>,
    timer: StoredValue<bool, LocalStorage>,
}

impl Mails {
    /// Asks the server now; keeps asking while an e-mail is pending, `POLLS` times at most.
    fn refresh(self) {
        let Some(pad_id) = self.pad_id.try_get_value() else {
            return;
        };
        spawn_local(async move {
            let answer = self.client.pad_mail(&pad_id).await;
            let waiting = answer
                .as_ref()
                .is_ok_and(|options| options.sent.iter().any(pending));
            if self.list.try_set(list_html(&answer)).is_some() {
                return; // the panel is gone
            }
            if let Ok(options) = &answer
                && self.fields.with_untracked(String::is_empty)
            {
                self.fields.set(fields_html(options));
            }
            let left = self.polls.get_value();
            if waiting && left > 0 && !self.timer.get_value() {
                self.polls.set_value(left - 1);
                self.timer.set_value(true);
                set_timeout(
                    move || {
                        if self.timer.try_set_value(false).is_none() {
                            self.refresh();
                        }
                    },
                    POLL_EVERY,
                );
            }
        });
    }

    /// Asks again now, with a fresh allowance of polls.
    fn refresh_now(self) {
        self.polls.set_value(POLLS);
        self.refresh();
    }
}

/// The button that opens the panel, in the pad's bar; the panel, once opened, takes a line of
/// its own under the bar (it loads only then, and stops asking once closed).
#[component]
pub fn MailLink(pad_id: PadId) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <button
            type="button"
            class="secondary"
            data-testid="mail-link-toggle"
            on:click=move |_| open.update(|open| *open = !*open)
        >
            {t(Text::PadMailOpen)}
        </button>
        {move || open.get().then(|| view! { <MailPanel pad_id=pad_id.clone()/> })}
    }
}

#[component]
fn MailPanel(pad_id: PadId) -> impl IntoView {
    let mails = Mails {
        client: Client::get(),
        pad_id: StoredValue::new(pad_id),
        fields: RwSignal::new(String::new()),
        list: RwSignal::new(String::new()),
        polls: StoredValue::new_local(POLLS),
        timer: StoredValue::new_local(false),
    };
    mails.refresh();
    let pending = RwSignal::new(false);
    // What the last Send came to: how many it went to, or a problem.
    let done = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let Some(form) = ev.target() else { return };
        let request = request_from(&controls(&form));
        let count = request.to.len() as u64;
        let pad_id = mails.pad_id.get_value();
        pending.set(true);
        done.set(None);
        spawn_local(async move {
            let answer = mails.client.mail_pad_link(&pad_id, &request).await;
            if pending.try_set(false).is_some() {
                return; // the panel is gone
            }
            let sent = answer.is_ok();
            problem.set(failure_message(Some(answer)));
            done.set(sent.then(|| tn(count, Text::PadMailDoneOne, Text::PadMailDoneOther)));
            mails.refresh_now();
        });
    };

    view! {
        <section class="card" style="order:1;flex-basis:100%" data-testid="pad-mail">
            <h2>{t(Text::PadMailOpen)}</h2>
            <form class="form" data-testid="pad-mail-form" on:submit=on_submit novalidate inner_html=move || mails.fields.get()></form>
            {move || error_note(problem.get())}
            {move || done.get().map(|words| view! {
                <p class="notice ok" role="status" data-testid="pad-mail-done">{words}</p>
            })}
            <div class="title-row">
                <h3>{t(Text::PadMailHistory)}</h3>
                <button type="button" class="secondary small" on:click=move |_| mails.refresh_now()>
                    {t(Text::ListRefresh)}
                </button>
            </div>
            <ul class="links" data-testid="pad-mails" inner_html=move || mails.list.get()></ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::api::{MailableMember, UserId};
    use time::OffsetDateTime;

    fn uid(n: u128) -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn mail(status: MailStatus, requested_by: Option<&str>) -> MailView {
        MailView {
            to: "eve@example.com".into(),
            status,
            requested_by: requested_by.map(Into::into),
            created_at: OffsetDateTime::UNIX_EPOCH,
            sent_at: None,
            error: None,
        }
    }

    fn options(candidate_emails: &[&str]) -> PadMailOptions {
        PadMailOptions {
            mail_configured: true,
            candidate_emails: candidate_emails.iter().map(|e| e.to_string()).collect(),
            candidate_emails_error: None,
            members: vec![MailableMember {
                id: uid(7),
                name: "<b>Grace</b> & \"co\"".into(),
                email: "grace@example.com".into(),
            }],
            sent: Vec::new(),
        }
    }

    fn control(name: &str, value: &str, checked: bool) -> Control {
        Control {
            name: name.into(),
            value: value.into(),
            checked,
        }
    }

    #[test]
    fn the_form_makes_a_request_with_the_candidate_first() {
        let grace = uid(7).to_string();
        let ada = uid(8).to_string();
        let request = request_from(&[
            control("member", &grace, true),
            control("member", &ada, false),
            control("candidate", "eve@example.com", true),
            control("candidate_email", "eve@home.example", false),
            control("when", "  Tuesday 3 pm CET ", false),
            control("message", " ", false),
        ]);
        assert_eq!(
            request,
            PadMailRequest {
                to: vec![
                    PadMailRecipient::Candidate {
                        email: "eve@home.example".into()
                    },
                    PadMailRecipient::Member { user_id: uid(7) },
                ],
                message: None,
                when: Some("Tuesday 3 pm CET".into()),
            }
        );
        // One address: the box's own; nobody ticked: nobody asked for (the server says so).
        let one = request_from(&[control("candidate", "eve@example.com", true)]);
        assert_eq!(
            one.to,
            [PadMailRecipient::Candidate {
                email: "eve@example.com".into()
            }]
        );
        assert!(
            request_from(&[control("member", &grace, false)])
                .to
                .is_empty()
        );
    }

    #[test]
    fn the_fields_offer_the_candidate_s_addresses_and_the_members_escaped() {
        let one = fields_html(&options(&["eve@example.com"]));
        assert!(
            one.contains("name=\"candidate\" value=\"eve@example.com\""),
            "{one}"
        );
        assert!(!one.contains("<select"), "{one}");
        assert!(
            one.contains(&format!("name=\"member\" value=\"{}\"", uid(7))),
            "{one}"
        );
        // A member's name is text, never markup.
        assert!(
            one.contains("&lt;b&gt;Grace&lt;/b&gt; &amp; &quot;co&quot;"),
            "{one}"
        );
        assert!(!one.contains("<b>"), "{one}");
        // The fields' limits are the server's.
        let when = format!(
            "name=\"when\" maxlength=\"{}\"",
            ::api::PAD_MAIL_WHEN_MAX_CHARS
        );
        let message = format!(
            "name=\"message\" rows=\"3\" maxlength=\"{}\"",
            ::api::PAD_MAIL_MESSAGE_MAX_CHARS
        );
        assert!(one.contains(&when), "{one}");
        assert!(one.contains(&message), "{one}");

        // Several addresses: a choice, the first first.
        let two = fields_html(&options(&["eve@example.com", "eve@home.example"]));
        assert!(
            two.contains(
                "<select name=\"candidate_email\" aria-label=\"Email\"><option>eve@example.com</option><option>eve@home.example</option></select>"
            ),
            "{two}"
        );

        // None: why, and the members can still be e-mailed.
        let mut down = options(&[]);
        down.candidate_emails_error = Some("Lever does not answer.".into());
        let down = fields_html(&down);
        assert!(!down.contains("name=\"candidate\""), "{down}");
        assert!(down.contains("Lever does not answer."), "{down}");
        assert!(down.contains("name=\"member\""), "{down}");
        assert!(
            fields_html(&options(&[])).contains("Only pads made from Lever"),
            "no Lever, no address"
        );

        let mut off = options(&["eve@example.com"]);
        off.mail_configured = false;
        let off = fields_html(&off);
        assert!(
            off.contains("E-mail is not set up on this Stagepad"),
            "{off}"
        );
        assert!(!off.contains("<input"), "no form without e-mail: {off}");
    }

    #[test]
    fn the_list_says_how_each_mail_stands_and_who_asked() {
        let mut answer = options(&[]);
        assert!(list_html(&Ok(answer.clone())).contains("not been e-mailed yet"));
        answer.sent = vec![
            mail(MailStatus::Sent, Some("Grace <3")),
            mail(MailStatus::Queued, None),
        ];
        let list = list_html(&Ok(answer));
        assert!(
            list.contains(
                "eve@example.com <span class=\"badge ok\">E-mailed</span> <span class=\"hint\">by Grace &lt;3, 1970-01-01 00:00:00 UTC</span>"
            ),
            "{list}"
        );
        assert!(
            list.contains("automatically when the pad was made"),
            "{list}"
        );
        assert_eq!(list.matches("data-testid=\"pad-mail-row\"").count(), 2);
        let failed = list_html(&Err(crate::api::ApiFailure {
            status: 502,
            code: None,
            message: "Stagepad <down>".into(),
        }));
        assert!(failed.contains("Stagepad &lt;down&gt;"), "{failed}");
    }

    #[test]
    fn mails_say_who_asked_and_whether_they_may_still_change() {
        assert_eq!(
            asked(&mail(MailStatus::Sent, Some("Grace"))),
            "by Grace, 1970-01-01 00:00:00 UTC"
        );
        assert_eq!(
            asked(&mail(MailStatus::Sent, None)),
            "automatically when the pad was made, 1970-01-01 00:00:00 UTC"
        );
        assert!(pending(&mail(MailStatus::Queued, None)));
        assert!(pending(&mail(MailStatus::Sending, None)));
        assert!(!pending(&mail(MailStatus::Sent, None)));
        assert!(!pending(&mail(MailStatus::Failed, None)));
        crate::i18n::set_locale(::api::i18n::Locale::Fr);
        assert_eq!(
            tn(1, Text::PadMailDoneOne, Text::PadMailDoneOther),
            "Envoyé à 1 personne."
        );
        assert_eq!(
            tn(2, Text::PadMailDoneOne, Text::PadMailDoneOther),
            "Envoyé à 2 personnes."
        );
        crate::i18n::set_locale(::api::i18n::Locale::En);
        assert_eq!(
            tn(2, Text::PadMailDoneOne, Text::PadMailDoneOther),
            "Sent to 2 people."
        );
    }
}
