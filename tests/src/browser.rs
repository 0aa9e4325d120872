//! Headless Chromium driven over WebDriver: chromedriver on a free loopback port, one browser
//! session per simulated person.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::poll::wait_for;

/// A chromedriver process and the browser session it drives. Call `close` at the end of a test;
/// dropping it without closing still stops chromedriver and its browsers.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
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
                    format!("--user-data-dir={}", profile.path().display()),
                ]
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
