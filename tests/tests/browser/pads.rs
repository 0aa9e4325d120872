//! Two people in one pad, in two real browsers: the candidate (no account) and the
//! interviewer type and see each other's text; the interviewer ends the interview, the
//! candidate sees that it ended, the interviewer plays it back to an intermediate moment and
//! sends the code to Lever, where it lands in the candidate's notes.

use std::time::Duration;

use fantoccini::Locator;
use tests::browser::Browser;
use tests::lever_sim::{LeverSim, NewCandidate};
use tests::poll::wait_for;
use tests::spawn_app;

async fn editor_text(browser: &Browser) -> Option<String> {
    browser
        .client
        .find(Locator::Css("[data-testid=editor]"))
        .await
        .ok()?
        .prop("value")
        .await
        .ok()?
}

async fn wait_for_editor(browser: &Browser, expected: &str) {
    wait_for(
        &format!("the editor to show {expected:?}"),
        Duration::from_secs(20),
        || async { (editor_text(browser).await.as_deref() == Some(expected)).then_some(()) },
    )
    .await;
}

/// Opens the pad's link as a guest, gives the name and waits until connected.
async fn join_as_guest(link: &str, name: &str) -> Browser {
    let browser = Browser::start().await;
    browser.goto(link).await;
    browser.fill("[name=display_name]", name).await;
    browser.click_button("Join the pad").await;
    browser
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;
    browser
}

#[tokio::test]
async fn candidate_and_interviewer_share_a_pad_then_play_it_back_and_send_the_code() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(api::Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let ada = sim
        .create_candidate(NewCandidate {
            name: "Ada Lovelace".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_candidate(&ada, &sim.stage_id("Phone interview").await)
        .await;
    let link = app
        .outcome_for(&admin, &ada)
        .await
        .pad_link
        .expect("a pad link");

    let interviewer = Browser::logged_in(&app, &admin).await;
    interviewer.goto(&link).await;
    interviewer
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;

    let candidate = join_as_guest(&link, "Ada").await;
    interviewer
        .wait_for_text("[data-testid=participants]", "Ada")
        .await;

    let first = "def add(a, b):\n";
    candidate
        .element("[data-testid=editor]")
        .await
        .send_keys(first)
        .await
        .unwrap();
    wait_for_editor(&interviewer, first).await;
    let interviewer_editor = interviewer.element("[data-testid=editor]").await;
    // The caret goes to the end, then the interviewer types the body (Tab indents).
    interviewer
        .client
        .execute(
            "const t = document.querySelector('[data-testid=editor]'); t.focus(); t.setSelectionRange(t.value.length, t.value.length);",
            vec![],
        )
        .await
        .unwrap();
    interviewer_editor
        .send_keys("\u{E004}return a + b\n")
        .await
        .unwrap();
    let full = "def add(a, b):\n    return a + b\n";
    wait_for_editor(&interviewer, full).await;
    wait_for_editor(&candidate, full).await;
    interviewer.screenshot_if_asked("pad-live").await;

    interviewer.click_button("End interview").await;
    interviewer.click_button("Yes, end it for everyone").await;
    candidate
        .wait_for_text("[data-testid=pad-ended]", "This interview has ended")
        .await;
    let candidate_page = candidate.client.source().await.unwrap();
    assert!(
        !candidate_page.contains("return a + b"),
        "the candidate's link shows nothing but the end"
    );

    // Playback: the final code, then scrubbed back to the candidate's line alone.
    interviewer
        .wait_for_text("[data-testid=playback-code]", "return a + b")
        .await;
    // The playback says whose interview it is, when, how long and in what; the scrubber tells
    // time in the interview, and the code has line numbers like the live editor.
    interviewer
        .wait_for_text("[data-testid=playback-title]", "Playback: Ada Lovelace")
        .await;
    let context = interviewer
        .wait_for_text("[data-testid=playback-context]", "Python")
        .await;
    assert!(context.contains("took "), "{context}");
    let moment = interviewer
        .wait_for_text("[data-testid=moment]", " of ")
        .await;
    assert!(!moment.contains("Edit "), "{moment}");
    interviewer
        .wait_for_text(".playback-editor .gutter", "1\n2\n3")
        .await;
    let history: api::PadHistory = tests::expect_json(
        app.pad_history(
            &admin,
            &api::PadId::new(link.rsplit('/').next().unwrap()),
            "",
        )
        .await,
        200,
    )
    .await;
    let timeline = api::playback::Timeline::new(&history);
    let revision = (1..=timeline.revisions())
        .find(|r| timeline.text_at(*r) == first)
        .expect("a moment with only the candidate's line");
    let position = timeline.play_ms_of(revision) + 1;
    interviewer
        .client
        .execute(
            "const r = document.querySelector('[data-testid=timeline]'); r.value = arguments[0]; r.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![serde_json::json!(position.to_string())],
        )
        .await
        .unwrap();
    wait_for(
        "the playback to show the intermediate state",
        Duration::from_secs(20),
        || async {
            let shown = interviewer
                .client
                .find(Locator::Css("[data-testid=playback-code]"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (shown.trim_end() == first.trim_end()).then_some(())
        },
    )
    .await;
    interviewer.screenshot_if_asked("pad-playback").await;

    interviewer.click_button("Send as note").await;
    // Once sent, the page says when and by whom, and a second click cannot post a second
    // note by accident: the button asks to send again.
    interviewer
        .wait_for_text(
            "[data-testid=note-status]",
            "in the candidate's notes in Lever: sent 20",
        )
        .await;
    interviewer
        .wait_for_text(
            "[data-testid=note-status]",
            &format!(" by {}.", admin.me.user.name),
        )
        .await;
    let code_notes = || async {
        sim.notes(&ada)
            .await
            .into_iter()
            .filter(|n| n.value.starts_with("Code from the interview"))
            .collect::<Vec<_>>()
    };
    let notes = code_notes().await;
    assert!(
        notes.iter().any(|n| n
            .value
            .contains("Code from the interview (Python):\n\ndef add(a, b):\n    return a + b\n")),
        "{notes:?}"
    );
    assert_eq!(notes.len(), 1, "{notes:?}");
    let first_button = interviewer
        .client
        .find(Locator::XPath("//button[normalize-space()='Send as note']"))
        .await;
    assert!(first_button.is_err(), "sent: the button says \"again\" now");
    interviewer.click_button("Send note again").await;
    wait_for("a second code note", Duration::from_secs(20), || async {
        (code_notes().await.len() == 2).then_some(())
    })
    .await;

    // A pad nobody typed in says there is nothing to play.
    let empty = manual_pad(&app, &admin, "No Show").await;
    let _: api::PadView = tests::expect_json(app.end_pad(&admin, &empty.id).await, 200).await;
    interviewer.goto(&empty.link).await;
    interviewer
        .wait_for_text("[data-testid=nothing-to-play]", "Nothing to play")
        .await;
    interviewer
        .wait_for_text("[data-testid=playback-title]", "Playback: No Show")
        .await;
    candidate.close().await;
    interviewer.close().await;
}

#[tokio::test]
async fn typing_goes_on_while_the_server_restarts_and_nothing_is_lost() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let pad = manual_pad(&app, &admin, "Grace").await;
    let candidate = join_as_guest(&pad.link, "Grace").await;
    let watcher = join_as_guest(&pad.link, "Watcher").await;

    let editor = candidate.element("[data-testid=editor]").await;
    editor.send_keys("package main\n").await.unwrap();
    wait_for_editor(&watcher, "package main\n").await;

    // The server goes away; the candidate notices and keeps typing.
    let stopped = app.stop().await;
    candidate
        .wait_for_text("[data-testid=connection]", "Reconnecting")
        .await;
    editor.send_keys("func main() {}\n").await.unwrap();
    // It comes back: both pages reconnect by themselves, and what was typed meanwhile arrives.
    let app = stopped.start_on_same_port().await;
    candidate
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;
    let expected = "package main\nfunc main() {}\n";
    wait_for_editor(&watcher, expected).await;
    editor.send_keys("// go on\n").await.unwrap();
    let expected = "package main\nfunc main() {}\n// go on\n";
    wait_for_editor(&watcher, expected).await;
    let history: api::PadHistory =
        tests::expect_json(app.pad_history(&admin, &pad.id, "").await, 200).await;
    assert_eq!(history.final_text, expected);
    candidate.close().await;
    watcher.close().await;
}

/// The candidate picks French in the header mid-interview: the page switches to French
/// (built anew once what she typed has reached the server), rejoins as her, and nothing she
/// typed is lost; typing goes on.
#[tokio::test]
async fn the_language_changes_mid_interview_and_nothing_typed_is_lost() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let pad = manual_pad(&app, &admin, "Ada").await;
    let candidate = join_as_guest(&pad.link, "Ada").await;
    let watcher = join_as_guest(&pad.link, "Watcher").await;

    let editor = candidate.element("[data-testid=editor]").await;
    editor.send_keys("print(1)\n").await.unwrap();
    // Picked while those keys may still be on their way.
    candidate.pick_language("fr").await;
    candidate
        .wait_for_text(
            "[data-testid=connection]",
            api::i18n::console::Text::PadConnectionConnected.get(api::i18n::Locale::Fr),
        )
        .await;
    wait_for_editor(&candidate, "print(1)\n").await;
    wait_for_editor(&watcher, "print(1)\n").await;

    let editor = candidate.element("[data-testid=editor]").await;
    editor.send_keys("print(2)\n").await.unwrap();
    wait_for_editor(&watcher, "print(1)\nprint(2)\n").await;
    let history: api::PadHistory =
        tests::expect_json(app.pad_history(&admin, &pad.id, "").await, 200).await;
    assert_eq!(history.final_text, "print(1)\nprint(2)\n");
    let names: Vec<&str> = history
        .participants
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["Ada", "Watcher"], "she rejoined as herself");

    // The server goes away while she types: her edits wait in the page, so the page is not
    // built anew in English until they have reached the server, once it is back.
    let stopped = app.stop().await;
    let editor = candidate.element("[data-testid=editor]").await;
    editor.send_keys("print(3)\n").await.unwrap();
    candidate.pick_language("en").await;
    let app = stopped.start_on_same_port().await;
    candidate
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;
    wait_for_editor(&watcher, "print(1)\nprint(2)\nprint(3)\n").await;
    let history: api::PadHistory =
        tests::expect_json(app.pad_history(&admin, &pad.id, "").await, 200).await;
    assert_eq!(history.final_text, "print(1)\nprint(2)\nprint(3)\n");
    candidate.close().await;
    watcher.close().await;
}

async fn manual_pad(
    app: &tests::TestApp,
    admin: &tests::accounts::Account,
    candidate: &str,
) -> api::PadSummary {
    tests::expect_json(
        app.post(
            &admin.client,
            "/api/pads",
            &api::NewPadRequest {
                candidate_name: candidate.into(),
                job_title: None,
                language: Some("python".into()),
            },
        )
        .await,
        201,
    )
    .await
}

#[tokio::test]
async fn a_reloaded_page_rejoins_as_the_same_participant_and_no_name_leaks_to_another_pad() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let pad = manual_pad(&app, &admin, "Grace").await;
    let other_pad = manual_pad(&app, &admin, "Linus").await;
    let candidate = join_as_guest(&pad.link, "Grace").await;
    let watcher = join_as_guest(&pad.link, "Watcher").await;
    candidate
        .element("[data-testid=editor]")
        .await
        .send_keys("x")
        .await
        .unwrap();
    wait_for_editor(&watcher, "x").await;

    // A reload: no name asked again, the same participant, and typing goes on.
    for _ in 0..2 {
        candidate.client.refresh().await.unwrap();
        candidate
            .wait_for_text("[data-testid=connection]", "Connected")
            .await;
    }
    wait_for_editor(&candidate, "x").await;
    candidate
        .client
        .execute(
            "const t = document.querySelector('[data-testid=editor]'); t.focus(); t.setSelectionRange(1, 1);",
            vec![],
        )
        .await
        .unwrap();
    candidate
        .element("[data-testid=editor]")
        .await
        .send_keys("y")
        .await
        .unwrap();
    wait_for_editor(&watcher, "xy").await;
    let chips = wait_for(
        "two chips in the watcher's list",
        Duration::from_secs(20),
        || async {
            let chips = watcher
                .client
                .find_all(Locator::Css("[data-testid=participants] li"))
                .await
                .ok()?;
            let mut names = Vec::new();
            for chip in chips {
                names.push(chip.text().await.ok()?);
            }
            (names.len() == 2).then_some(names)
        },
    )
    .await;
    assert_eq!(chips, ["Grace", "Watcher"]);
    let history: api::PadHistory =
        tests::expect_json(app.pad_history(&admin, &pad.id, "").await, 200).await;
    let names: Vec<&str> = history
        .participants
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["Grace", "Watcher"], "no ghost per reload");

    // Another pad in the same tab asks for a name afresh, without the one typed here.
    candidate.goto(&other_pad.link).await;
    let field = candidate.element("[name=display_name]").await;
    assert_eq!(field.prop("value").await.unwrap().as_deref(), Some(""));
    candidate.close().await;
    watcher.close().await;
}

/// Issue 11's feedback forms, as an admin does them: pick the template in the Lever setup's
/// options, then on the ended pad click "Send as feedback"; the form lands on the candidate in
/// Lever, filed as the admin's Lever user, with the final code.
#[tokio::test]
async fn an_admin_picks_a_feedback_template_and_sends_an_ended_pad_as_feedback() {
    let app = spawn_app().await;
    let sim = LeverSim::start().await;
    let admin = app.sign_up(api::Plan::Enterprise).await;
    app.connect_lever(&admin, &sim, &["Phone interview"]).await;
    let lever_user = sim.create_user("Admin", &admin.email).await;
    let template = sim
        .add_feedback_template(serde_json::json!({
            "text": "Coding interview",
            "fields": [
                {"type": "code", "text": "Solution", "required": true},
                {"type": "textarea", "text": "Notes", "required": false},
            ],
        }))
        .await;
    let ada = sim
        .create_candidate(NewCandidate {
            name: "Ada Lovelace".into(),
            tags: vec!["coderpad".into()],
            ..Default::default()
        })
        .await;
    sim.move_candidate(&ada, &sim.stage_id("Phone interview").await)
        .await;
    let link = app
        .outcome_for(&admin, &ada)
        .await
        .pad_link
        .expect("a pad link");
    let pad_id = api::PadId::new(link.rsplit('/').next().unwrap());
    let mut candidate = tests::pad_client::PadClient::join(&app, &pad_id, "Ada", None).await;
    candidate.edit("print('hi')\n").await;
    candidate.settle_at(0).await;
    let _: api::PadView = tests::expect_json(app.end_pad(&admin, &pad_id).await, 200).await;

    let browser = Browser::logged_in(&app, &admin).await;
    browser.goto(&app.url("/integrations/lever")).await;
    let id = template["id"].as_str().unwrap();
    browser
        .element(&format!(
            "select[name=feedback_template] option[value='{id}']"
        ))
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text(
            "[data-testid=feedback-fields]",
            "Code goes into \"Solution\"",
        )
        .await;
    browser.click_button("Save template").await;
    browser
        .wait_for_text("[data-testid=feedback-current]", "\"Coding interview\"")
        .await;

    browser.goto(&link).await;
    browser
        .wait_for_text("[data-testid=final-code]", "print('hi')")
        .await;
    browser.click_button("Send as feedback").await;
    browser
        .wait_for_text(
            "[data-testid=feedback-status]",
            "filed as the member who sent it",
        )
        .await;
    browser.screenshot_if_asked("pad-feedback").await;
    let forms = sim.feedback_forms(&ada).await;
    assert_eq!(forms.len(), 1, "{forms:#?}");
    assert_eq!(forms[0]["user"], lever_user.as_str());
    assert!(forms[0].to_string().contains("print('hi')"), "{forms:#?}");
    candidate.close().await;
    browser.close().await;
}

/// Issue 13: the candidate types a program and clicks Run; the interviewer and the candidate
/// both see its output stream in and how it ended; once the interview has ended, the
/// interviewer's playback lists the run with its output.
#[tokio::test]
async fn a_run_shows_in_both_browsers_and_in_playback() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let pad = manual_pad(&app, &admin, "Ada").await;

    let interviewer = Browser::logged_in(&app, &admin).await;
    interviewer.goto(&pad.link).await;
    interviewer
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;
    let candidate = join_as_guest(&pad.link, "Ada").await;

    let program = "print(\"hello from the pad\")";
    candidate
        .element("[data-testid=editor]")
        .await
        .send_keys(program)
        .await
        .unwrap();
    wait_for_editor(&interviewer, program).await;
    interviewer
        .wait_for_text("[data-testid=run-status]", "Nothing has run yet")
        .await;
    candidate.click_css("[data-testid=run-button]").await;

    for browser in [&candidate, &interviewer] {
        browser
            .wait_for_text("[data-testid=run-output]", "hello from the pad")
            .await;
        let status = browser
            .wait_for_text("[data-testid=run-status]", "Exited with code 0")
            .await;
        assert!(status.starts_with("Run by Ada"), "{status}");
        // The run is over: Run is back, Stop is gone.
        browser.element("[data-testid=run-button]").await;
        assert!(
            browser
                .client
                .find(Locator::Css("[data-testid=stop-button]"))
                .await
                .is_err()
        );
    }
    let piece = interviewer
        .element("[data-testid=run-output] [data-stream=stdout]")
        .await;
    assert_eq!(piece.text().await.unwrap().trim(), "hello from the pad");
    interviewer.screenshot_if_asked("pad-run").await;

    interviewer.click_button("End interview").await;
    interviewer.click_button("Yes, end it for everyone").await;
    candidate
        .wait_for_text("[data-testid=pad-ended]", "This interview has ended")
        .await;

    // Playback: the slider starts at the end, where the run shows; the final code lists it.
    interviewer
        .wait_for_text("[data-testid=playback-code]", "hello from the pad")
        .await;
    interviewer
        .wait_for_text("[data-testid=run-status]", "Exited with code 0")
        .await;
    let entry = interviewer
        .wait_for_text("[data-testid=run-list]", "Exited with code 0")
        .await;
    assert!(entry.contains("Ada"), "{entry}");
    interviewer
        .click_css("[data-testid=run-entry] summary")
        .await;
    interviewer
        .wait_for_text("[data-testid=run-entry] pre", "hello from the pad")
        .await;
    interviewer.screenshot_if_asked("pad-run-playback").await;
    candidate.close().await;
    interviewer.close().await;
}

/// The candidate's page is the interview, not Stagepad's storefront: it names the organization
/// and offers no Log in or Sign up; a language change is announced; the interviewer can copy
/// the candidate's link and leave the editor from the keyboard; a broken link explains itself.
#[tokio::test]
async fn the_candidate_sees_who_interviews_them_and_a_broken_link_says_so() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let pad = manual_pad(&app, &admin, "Ada Lovelace").await;
    let candidate = join_as_guest(&pad.link, "Ada").await;
    candidate
        .wait_for_text(
            "[data-testid=pad-organization]",
            &format!("Interview with {}", admin.me.organization.name),
        )
        .await;
    let header = candidate
        .element(".site-header")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !header.contains("Sign up") && !header.contains("Log in"),
        "{header}"
    );

    // Someone changes the language: the page says so.
    let mut interviewer = tests::pad_client::PadClient::join(&app, &pad.id, "Grace", None).await;
    interviewer.set_language("go").await;
    candidate
        .wait_for_text(
            "[data-testid=language-notice]",
            "The pad's language is now Go.",
        )
        .await;
    interviewer.close().await;

    // A link that leads to no pad: a page that says so, with a way back.
    candidate.goto(&app.url("/pad/no-such-pad-at-all")).await;
    candidate
        .wait_for_text("[data-testid=pad-not-found]", "This pad link does not work")
        .await;
    candidate.click_link("Go to Stagepad's home page").await;
    candidate.wait_for_path("/").await;
    candidate.close().await;

    // The interviewer copies the candidate's link, and Escape then Tab leaves the editor.
    let member = Browser::logged_in(&app, &admin).await;
    member.goto(&pad.link).await;
    member
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;
    member.click_css("[data-testid=copy-candidate-link]").await;
    member
        .wait_for_text("[data-testid=copy-link-status]", "")
        .await;
    let editor = member.element("[data-testid=editor]").await;
    let label = editor.attr("aria-label").await.unwrap().unwrap_or_default();
    assert!(label.contains("Code editor"), "{label}");
    editor.click().await.unwrap();
    editor.send_keys("x").await.unwrap();
    editor.send_keys("\u{E00C}\u{E004}").await.unwrap();
    let focused = member
        .client
        .execute(
            "return document.activeElement && document.activeElement.dataset.testid",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(
        focused.as_str(),
        Some("editor"),
        "Escape then Tab moves on from the editor"
    );
    wait_for_editor(&member, "x").await;
    member.close().await;
}

/// Where the first remote caret on the page stands, as its viewer sees it: the owner's name on
/// its label, its colour, the text before it in the editor, and how far (in pixels) it stands
/// from the place of the character after that text in the highlighted code. None while the
/// page shows no caret, or several.
const REMOTE_CARET: &str = r#"
    const carets = document.querySelectorAll('[data-testid=remote-caret]');
    if (carets.length !== 1) return null;
    const caret = carets[0];
    const layer = caret.closest('.remote-cursors');
    const before = document.createRange();
    before.setStart(layer, 0);
    before.setEndBefore(caret);
    const text = before.toString();
    // The same place in the highlighted text underneath.
    const walker = document.createTreeWalker(document.querySelector('.code-layer .highlight'), NodeFilter.SHOW_TEXT);
    let left = text.length, node = null, offset = 0;
    while ((node = walker.nextNode())) {
        if (node.length >= left) { offset = left; break; }
        left -= node.length;
    }
    const range = document.createRange();
    range.setStart(node, offset);
    range.setEnd(node, offset);
    const at = range.getBoundingClientRect().left;
    const caretAt = caret.getBoundingClientRect().left + 1;
    return {
        name: caret.querySelector('.remote-name').textContent,
        color: getComputedStyle(caret).borderLeftColor,
        label: getComputedStyle(caret.querySelector('.remote-name')).backgroundColor,
        before: text,
        off_by: Math.abs(at - caretAt),
        selected: Array.from(layer.querySelectorAll(':scope > span:not(.remote-caret)')).map(s => s.textContent).join(''),
    };
"#;

/// `#2563eb` as browsers compute it: `rgb(37, 99, 235)`.
fn rgb(hex: &str) -> String {
    let channel = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).unwrap();
    format!("rgb({}, {}, {})", channel(1), channel(3), channel(5))
}

/// Issue 15's remote cursors: when the candidate moves her caret, the interviewer sees it in
/// her colour with her name, between the same characters; her selection shows tinted; her own
/// page shows no caret of hers; when she leaves, it goes.
#[tokio::test]
async fn each_participant_sees_the_others_caret_in_their_colour_with_their_name() {
    let app = spawn_app().await;
    let admin = app.sign_up(api::Plan::Team).await;
    let pad = manual_pad(&app, &admin, "Ada").await;
    let candidate = join_as_guest(&pad.link, "Ada").await;
    let interviewer = Browser::logged_in(&app, &admin).await;
    interviewer.goto(&pad.link).await;
    interviewer
        .wait_for_text("[data-testid=connection]", "Connected")
        .await;
    let editor = candidate.element("[data-testid=editor]").await;
    editor.send_keys("def f():\n    hello world").await.unwrap();
    wait_for_editor(&interviewer, "def f():\n    hello world").await;
    let history: api::PadHistory =
        tests::expect_json(app.pad_history(&admin, &pad.id, "").await, 200).await;
    let ada = history
        .participants
        .iter()
        .find(|p| p.name == "Ada")
        .expect("Ada joined");

    // Home, then five to the right: after "    h" on the second line.
    editor
        .send_keys("\u{E011}\u{E014}\u{E014}\u{E014}\u{E014}\u{E014}")
        .await
        .unwrap();
    let caret = wait_for(
        "Ada's caret after \"    h\"",
        Duration::from_secs(20),
        || async {
            let seen = interviewer
                .client
                .execute(REMOTE_CARET, vec![])
                .await
                .ok()?;
            (seen["before"] == "def f():\n    h").then_some(seen)
        },
    )
    .await;
    assert_eq!(caret["name"], "Ada");
    assert_eq!(caret["color"], rgb(&ada.color).as_str());
    assert_eq!(caret["label"], rgb(&ada.color).as_str());
    assert!(
        caret["off_by"].as_f64().unwrap() <= 3.0,
        "the caret stands where the text has it: {caret}"
    );
    assert_eq!(caret["selected"], "");
    // Her own page shows nobody's caret: the interviewer never moved his.
    let own = candidate
        .client
        .execute(
            "return document.querySelectorAll('[data-testid=remote-caret]').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(own, 0);

    // Shift+End selects "ello world": tinted for the interviewer, the caret at its end.
    editor.send_keys("\u{E008}\u{E010}\u{E000}").await.unwrap();
    let selected = wait_for("Ada's selection", Duration::from_secs(20), || async {
        let seen = interviewer
            .client
            .execute(REMOTE_CARET, vec![])
            .await
            .ok()?;
        (seen["selected"] == "ello world").then_some(seen)
    })
    .await;
    assert_eq!(selected["before"], "def f():\n    hello world");
    interviewer.screenshot_if_asked("pad-remote-cursor").await;

    // The interviewer types before her caret: it stays on her text.
    interviewer
        .client
        .execute(
            "const t = document.querySelector('[data-testid=editor]'); t.focus(); t.setSelectionRange(0, 0);",
            vec![],
        )
        .await
        .unwrap();
    interviewer
        .element("[data-testid=editor]")
        .await
        .send_keys("# x\n")
        .await
        .unwrap();
    wait_for_editor(&candidate, "# x\ndef f():\n    hello world").await;
    let moved = interviewer
        .client
        .execute(REMOTE_CARET, vec![])
        .await
        .unwrap();
    assert_eq!(moved["selected"], "ello world", "{moved}");
    // And the candidate now sees the interviewer's caret, after what he typed.
    wait_for(
        "the interviewer's caret",
        Duration::from_secs(20),
        || async {
            let seen = candidate.client.execute(REMOTE_CARET, vec![]).await.ok()?;
            (seen["before"] == "# x\n").then_some(())
        },
    )
    .await;

    candidate.close().await;
    wait_for("Ada's caret to go", Duration::from_secs(20), || async {
        let count = interviewer
            .client
            .execute(
                "return document.querySelectorAll('[data-testid=remote-caret]').length",
                vec![],
            )
            .await
            .ok()?;
        (count == 0).then_some(())
    })
    .await;
    interviewer.close().await;
}
