//! The words of each e-mail, in the recipient's language, as plain text and HTML; and the
//! message as it goes out. Words from elsewhere (a candidate's name from Lever, a job title)
//! are made one clean line before they go near a header, and escaped in the HTML.

use api::i18n::Locale;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::{Bodies, MailSettings};
use crate::i18n::{Text, msg};

/// An e-mail's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The longest subject, in characters.
const SUBJECT_MAX_CHARS: usize = 200;

/// One line without control characters (CR and LF above all: they would start a new header),
/// whitespace runs made one space, at most `max` characters.
pub fn one_line(value: &str, max: usize) -> String {
    let spaced: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut line = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = line.char_indices().nth(max) {
        line.truncate(cut);
    }
    line
}

fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Paragraphs, then a link (its label and address), then more paragraphs.
struct Layout {
    before: Vec<String>,
    link_label: String,
    link: String,
    after: Vec<String>,
}

impl Layout {
    fn compose(self, subject: String) -> Composed {
        let mut text = self.before.join("\n\n");
        text.push_str("\n\n");
        text.push_str(&self.link);
        for paragraph in &self.after {
            text.push_str("\n\n");
            text.push_str(paragraph);
        }
        text.push('\n');
        let paragraph =
            |words: &str| format!("<p>{}</p>\n", escape_html(words).replace('\n', "<br>\n"));
        let mut html = String::from(
            "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif; line-height: 1.5\">\n",
        );
        for words in &self.before {
            html.push_str(&paragraph(words));
        }
        let link = escape_html(&self.link);
        html.push_str(&format!(
            "<p><a href=\"{link}\" style=\"font-weight: bold\">{}</a></p>\n<p style=\"color: #555\">{link}</p>\n",
            escape_html(&self.link_label)
        ));
        for words in &self.after {
            html.push_str(&paragraph(words));
        }
        html.push_str("</body></html>\n");
        Composed {
            subject: one_line(&subject, SUBJECT_MAX_CHARS),
            text,
            html,
        }
    }
}

pub fn invitation(
    locale: Locale,
    organization: &str,
    inviter: &str,
    role: Text,
    link: &str,
    expires: time::OffsetDateTime,
) -> Composed {
    let organization = one_line(organization, 200);
    let inviter = one_line(inviter, 200);
    let expires = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        expires.year(),
        u8::from(expires.month()),
        expires.day(),
        expires.hour(),
        expires.minute()
    );
    Layout {
        before: vec![
            msg(Text::MailInvitationBody)
                .with("inviter", &inviter)
                .with("organization", &organization)
                .with_text("role", role)
                .render(locale),
            msg(Text::MailInvitationAction)
                .with("expires", expires)
                .render(locale),
        ],
        link_label: msg(Text::MailInvitationLink)
            .with("organization", &organization)
            .render(locale),
        link: link.to_string(),
        after: vec![footer(locale, &organization)],
    }
    .compose(
        msg(Text::MailInvitationSubject)
            .with("inviter", &inviter)
            .with("organization", &organization)
            .render(locale),
    )
}

pub fn password_reset(locale: Locale, email: &str, link: &str, minutes: i64) -> Composed {
    Layout {
        before: vec![
            msg(Text::MailResetBody).with("email", email).render(locale),
            msg(Text::MailResetAction)
                .with("minutes", minutes)
                .render(locale),
        ],
        link_label: msg(Text::MailResetLink).render(locale),
        link: link.to_string(),
        after: vec![msg(Text::MailResetIgnore).render(locale)],
    }
    .compose(msg(Text::MailResetSubject).render(locale))
}

/// What a pad's e-mail says, to the candidate or a member.
pub struct PadLink<'a> {
    pub organization: &'a str,
    pub candidate: &'a str,
    pub job: Option<&'a str>,
    pub link: &'a str,
    pub sender: &'a str,
    pub message: Option<&'a str>,
    pub when: Option<&'a str>,
}

impl PadLink<'_> {
    fn extras(&self, locale: Locale, before: &mut Vec<String>) {
        if let Some(when) = self.when {
            before.push(
                msg(Text::MailPadWhen)
                    .with("when", one_line(when, 200))
                    .render(locale),
            );
        }
        if let Some(message) = self.message {
            before.push(format!(
                "{}\n{}",
                msg(Text::MailPadMessage)
                    .with("sender", one_line(self.sender, 200))
                    .render(locale),
                message.trim()
            ));
        }
    }

    pub fn to_candidate(&self, locale: Locale) -> Composed {
        let organization = one_line(self.organization, 200);
        let candidate = one_line(self.candidate, 200);
        let body = match self.job.map(|job| one_line(job, 200)) {
            Some(job) if !job.is_empty() => msg(Text::MailPadCandidateBody).with("job", job),
            _ => msg(Text::MailPadCandidateBodyNoJob),
        };
        let mut before = vec![
            body.with("candidate", &candidate)
                .with("organization", &organization)
                .render(locale),
        ];
        self.extras(locale, &mut before);
        before.push(msg(Text::MailPadCandidateAction).render(locale));
        Layout {
            before,
            link_label: msg(Text::MailPadLink).render(locale),
            link: self.link.to_string(),
            after: vec![footer(locale, &organization)],
        }
        .compose(
            msg(Text::MailPadCandidateSubject)
                .with("organization", &organization)
                .render(locale),
        )
    }

    pub fn to_member(&self, locale: Locale) -> Composed {
        let organization = one_line(self.organization, 200);
        let candidate = one_line(self.candidate, 200);
        let body = match self.job.map(|job| one_line(job, 200)) {
            Some(job) if !job.is_empty() => msg(Text::MailPadMemberBody).with("job", job),
            _ => msg(Text::MailPadMemberBodyNoJob),
        };
        let mut before = vec![
            body.with("sender", one_line(self.sender, 200))
                .with("candidate", &candidate)
                .render(locale),
        ];
        self.extras(locale, &mut before);
        before.push(
            msg(Text::MailPadMemberAction)
                .with("organization", &organization)
                .render(locale),
        );
        Layout {
            before,
            link_label: msg(Text::MailPadLink).render(locale),
            link: self.link.to_string(),
            after: vec![footer(locale, &organization)],
        }
        .compose(
            msg(Text::MailPadMemberSubject)
                .with("candidate", &candidate)
                .render(locale),
        )
    }
}

fn footer(locale: Locale, organization: &str) -> String {
    msg(Text::MailFooter)
        .with("organization", organization)
        .render(locale)
}

/// The message as it goes out: both parts, its own `Message-ID`, in one language.
pub fn message(
    settings: &MailSettings,
    mail: &entity::mail::Model,
    bodies: Bodies,
) -> Result<lettre::Message, String> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|e| format!("the address {} is not one: {e}", mail.recipient))?;
    lettre::Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(one_line(&mail.subject, SUBJECT_MAX_CHARS))
        .message_id(Some(mail.message_id.clone()))
        .date(mail.created_at.into())
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(bodies.text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(bodies.html),
                ),
        )
        .map_err(|e| format!("the message cannot be built: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_takes_out_line_breaks_and_control_characters() {
        assert_eq!(
            one_line("Eve\r\nBcc: x@evil.test\u{0}  Smith\t", 100),
            "Eve Bcc: x@evil.test Smith"
        );
        assert_eq!(one_line("ééééé", 3), "ééé");
    }

    #[test]
    fn html_escapes_words_from_elsewhere_and_text_keeps_them() {
        let composed = PadLink {
            organization: "Acme <b>",
            candidate: "Eve\r\nBcc: x@evil.test",
            job: Some("Engineer & \"Lead\""),
            link: "http://pads.test/pad/abc?x=1&y=2",
            sender: "Ada",
            message: Some("See you <soon>\nBring water"),
            when: Some("Tuesday\r\n3 pm"),
        }
        .to_candidate(Locale::En);
        assert_eq!(composed.subject, "Your coding interview with Acme <b>");
        assert!(composed.text.contains("Hello Eve Bcc: x@evil.test"));
        assert!(composed.text.contains("When: Tuesday 3 pm"));
        assert!(composed.text.contains("http://pads.test/pad/abc?x=1&y=2"));
        assert!(composed.html.contains("Acme &lt;b&gt;"));
        assert!(composed.html.contains("Engineer &amp; &quot;Lead&quot;"));
        assert!(
            composed
                .html
                .contains("See you &lt;soon&gt;<br>\nBring water")
        );
        assert!(
            composed
                .html
                .contains("href=\"http://pads.test/pad/abc?x=1&amp;y=2\"")
        );
        assert!(!composed.html.contains("<soon>") && !composed.html.contains("<b>"));
    }

    #[test]
    fn each_message_speaks_the_recipients_language() {
        let expires = time::macros::datetime!(2026-12-10 09:30 UTC);
        let en = invitation(
            Locale::En,
            "Acme",
            "Ada",
            Text::RoleMember,
            "http://l",
            expires,
        );
        let fr = invitation(
            Locale::Fr,
            "Acme",
            "Ada",
            Text::RoleMember,
            "http://l",
            expires,
        );
        assert_eq!(en.subject, "Ada invited you to Acme on Stagepad");
        assert!(fr.subject.starts_with("Ada vous invite"));
        assert!(en.text.contains("2026-12-10 09:30") && fr.text.contains("2026-12-10 09:30"));
        let reset = password_reset(Locale::Fr, "ada@example.com", "http://r", 30);
        assert!(reset.text.contains("30 minutes") && reset.text.contains("http://r"));
    }
}
