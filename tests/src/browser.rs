//! Headless Chromium driven over WebDriver: chromedriver on a free loopback port, one browser
//! session per simulated person.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::TestApp;
use crate::accounts::Account;
use crate::poll::wait_for;

const PATIENCE: Duration = Duration::from_secs(20);

/// A chromedriver process and the browser session it drives. Call `close` at the end of a test;
/// dropping it without closing still stops chromedriver and its browsers.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
        Browser::start_speaking("en-US,en").await
    }

    /// A browser whose person reads `languages` (an `Accept-Language` list, e.g. `fr-FR,fr`):
    /// its requests and `navigator.languages` say so.
    pub async fn start_speaking(languages: &str) -> Browser {
        let port = free_port();
        let mut command = Command::new(chromedriver_path());
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so that stopping it also stops the browsers it started.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command
            .spawn()
            .expect("chromedriver runs (make test installs Debian's chromium-driver)");
        let profile = tempfile::tempdir().expect("browser profile folder");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_path(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--disable-sync", "--disable-quic",
                    "--window-size=1280,900",
                    format!("--lang={}", languages.split(',').next().unwrap_or("en-US")),
                    format!("--accept-lang={languages}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": languages }
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let client = wait_for(
            "chromedriver to accept a session",
            Duration::from_secs(20),
            || {
                let capabilities = capabilities.clone();
                let url = url.clone();
                async move {
                    ClientBuilder::new(HttpConnector::new())
                        .capabilities(capabilities)
                        .connect(&url)
                        .await
                        .ok()
                }
            },
        )
        .await;
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// A browser logged in to `app` as `account` (on the home page).
    pub async fn logged_in(app: &TestApp, account: &Account) -> Browser {
        let browser = Browser::start().await;
        browser.log_in(app, account).await;
        browser
    }

    /// Logs in through the log-in page, as a person does, and waits for the home page.
    pub async fn log_in(&self, app: &TestApp, account: &Account) {
        self.goto(&app.url("/login")).await;
        self.fill("[name=email]", &account.email).await;
        self.fill("[name=password]", &account.password).await;
        self.click_button("Log in").await;
        self.wait_for_path("/").await;
    }

    /// Picks a language in the header's picker, as a person does (`"en"`, `"fr"`).
    pub async fn pick_language(&self, code: &str) {
        self.element(&format!("[data-testid=ui-language] option[value={code}]"))
            .await
            .click()
            .await
            .expect("pick a language");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Waits until an element matching `css` shows text containing `expected`, and returns it.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        let what = format!("{css} to show {expected:?}");
        wait_for(&what, Duration::from_secs(20), || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            let text = element.text().await.ok()?;
            text.contains(expected).then_some(text)
        })
        .await
    }

    /// Waits for an element matching `css` to be on the page.
    pub async fn element(&self, css: &str) -> Element {
        wait_for(&format!("{css} to appear"), PATIENCE, || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Types `value` into the field matching `css`, replacing what was there.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.element(css).await;
        field.clear().await.expect("clear a field");
        field.send_keys(value).await.expect("type into a field");
    }

    /// Clicks the enabled button whose text is `text`, once it is there.
    pub async fn click_button(&self, text: &str) {
        self.click(&format!("//button[normalize-space()='{text}']"), text)
            .await;
    }

    /// Clicks the button `text` inside the element whose `data-testid` is `testid` (for pages
    /// with several buttons of the same name).
    pub async fn click_button_in(&self, testid: &str, text: &str) {
        self.click(
            &format!("//*[@data-testid='{testid}']//button[normalize-space()='{text}']"),
            text,
        )
        .await;
    }

    /// Clicks the element matching `css` once it is there and enabled.
    pub async fn click_css(&self, css: &str) {
        let element = wait_for(&format!("{css} to be enabled"), PATIENCE, || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            element.is_enabled().await.ok()?.then_some(element)
        })
        .await;
        element.click().await.expect("click an element");
    }

    async fn click(&self, xpath: &str, text: &str) {
        let button = wait_for(&format!("an enabled button {text:?}"), PATIENCE, || async {
            let button = self.client.find(Locator::XPath(xpath)).await.ok()?;
            button.is_enabled().await.ok()?.then_some(button)
        })
        .await;
        button.click().await.expect("click a button");
    }

    pub async fn click_link(&self, text: &str) {
        wait_for(&format!("a link {text:?}"), PATIENCE, || async {
            self.client.find(Locator::LinkText(text)).await.ok()
        })
        .await
        .click()
        .await
        .expect("click a link");
    }

    pub async fn wait_for_path(&self, path: &str) {
        wait_for(&format!("the address to be {path}"), PATIENCE, || async {
            let url = self.client.current_url().await.ok()?;
            (url.path() == path).then_some(())
        })
        .await;
    }

    /// Saves a screenshot as `<name>.png` in the folder `STAGEPAD_SCREENSHOTS` names, if set.
    pub async fn screenshot_if_asked(&self, name: &str) {
        if let Ok(dir) = std::env::var("STAGEPAD_SCREENSHOTS") {
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)
                .expect("save the screenshot");
        }
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        self.stop_driver();
    }

    fn stop_driver(&mut self) {
        let pgid = self.driver.id() as i32;
        if pgid > 1 {
            #[allow(unsafe_code)]
            // SAFETY: killpg only sends a signal; pgid is the group this test made for chromedriver.
            unsafe {
                libc::killpg(pgid, libc::SIGTERM);
            }
        }
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if matches!(self.driver.try_wait(), Ok(None)) {
            self.stop_driver();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn chromedriver_path() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into())
}

fn chromium_path() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}
