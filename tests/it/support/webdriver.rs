//! A small blocking W3C WebDriver client over plain HTTP + JSON (ureq), for the real
//! Chromium that `tests/stack.sh up` drives through chromedriver
//! (`MADOGUCHI_TEST_CHROMEDRIVER`, e.g. http://127.0.0.1:9515).

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The element key of the W3C protocol.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser at a time: two cores are shared by the whole suite, and Chromium is heavy.
static BROWSER: Mutex<()> = Mutex::new(());

fn endpoint() -> String {
    std::env::var("MADOGUCHI_TEST_CHROMEDRIVER").unwrap_or_else(|_| {
        panic!(
            "MADOGUCHI_TEST_CHROMEDRIVER is not set: start the stack with `bash tests/stack.sh up` and \
             `eval \"$(bash tests/stack.sh env)\"` (chromedriver from chromium-driver; `bash tests/stack.sh install`)"
        )
    })
}

pub struct Session {
    agent: ureq::Agent,
    base: String,
    id: String,
    _turn: MutexGuard<'static, ()>,
}

#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    /// A new headless Chromium of `width`×`height` CSS pixels, page language `lang`.
    pub fn start(width: u32, height: u32, lang: &str) -> Session {
        let turn = BROWSER.lock().unwrap_or_else(|p| p.into_inner());
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let base = endpoint();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    format!("--window-size={width},{height}"),
                    format!("--lang={lang}"),
                    "--hide-scrollbars", "--force-device-scale-factor=1",
                    "--no-first-run", "--disable-extensions", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--font-render-hinting=none",
                ],
                "prefs": { "intl.accept_languages": lang },
            },
        } } });
        let v = post(&agent, &format!("{base}/session"), &caps)
            .unwrap_or_else(|e| panic!("chromedriver at {base} refused a new session: {e}"));
        let id = v["sessionId"].as_str().unwrap_or_else(|| panic!("no sessionId in {v}")).to_string();
        let s = Session { agent, base, id, _turn: turn };
        // The window size of --window-size includes no browser chrome in headless mode, but
        // set the viewport exactly anyway.
        s.cmd("POST", "window/rect", json!({ "width": width, "height": height }));
        s
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}/{}", self.base, self.id, path)
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = self.url(path);
        let r = match method {
            "GET" => get(&self.agent, &url),
            _ => post(&self.agent, &url, &body),
        };
        r.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "url", json!({ "url": url }));
    }

    pub fn try_find(&self, css: &str) -> Option<Element> {
        let url = self.url("element");
        post(&self.agent, &url, &json!({ "using": "css selector", "value": css }))
            .ok()
            .and_then(|v| v[ELEMENT].as_str().map(|s| Element(s.to_string())))
    }

    /// The element matching `css`, waiting up to 10 s for it to appear.
    pub fn find(&self, css: &str) -> Element {
        let start = Instant::now();
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "no element {css} on the page");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("element/{}/click", e.0), json!({}));
    }

    /// Type `text` into the element (real key events).
    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("element/{}/clear", e.0), json!({}));
        self.cmd("POST", &format!("element/{}/value", e.0), json!({ "text": text }));
    }

    pub fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.cmd("GET", &format!("element/{}/text", e.0), Value::Null).as_str().unwrap_or_default().to_string()
    }

    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let e = self.find(css);
        self.cmd("GET", &format!("element/{}/attribute/{name}", e.0), Value::Null).as_str().map(str::to_string)
    }

    /// Run `script` (a function body; `arguments` are `args`) and return its value.
    pub fn exec(&self, script: &str, args: Value) -> Value {
        self.cmd("POST", "execute/sync", json!({ "script": script, "args": args }))
    }

    /// Run `script`, which calls `arguments[arguments.length - 1](result)` when done.
    pub fn exec_async(&self, script: &str, args: Value) -> Value {
        self.cmd("POST", "timeouts", json!({ "script": 120_000 }));
        self.cmd("POST", "execute/async", json!({ "script": script, "args": args }))
    }

    /// PNG of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        let b64 = self.cmd("GET", "screenshot", Value::Null);
        base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or_default()).expect("base64 screenshot")
    }

    /// The browser console (errors, CSP violations) since the last call.
    pub fn console(&self) -> Vec<String> {
        let v = post(&self.agent, &self.url("se/log"), &json!({ "type": "browser" })).unwrap_or(Value::Null);
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| format!("{} {}", e["level"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.agent.delete(&format!("{}/session/{}", self.base, self.id)).call();
    }
}

fn value_of(text: &str, url: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("{url}: not JSON ({e}): {text}"))?;
    if let Some(err) = v["value"]["error"].as_str() {
        return Err(format!("{err}: {}", v["value"]["message"].as_str().unwrap_or("")));
    }
    Ok(v["value"].clone())
}

fn post(agent: &ureq::Agent, url: &str, body: &Value) -> Result<Value, String> {
    let mut r = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .map_err(|e| format!("{url}: {e}"))?;
    let text = r.body_mut().with_config().limit(64 << 20).read_to_string().map_err(|e| e.to_string())?;
    value_of(&text, url)
}

fn get(agent: &ureq::Agent, url: &str) -> Result<Value, String> {
    let mut r = agent.get(url).call().map_err(|e| format!("{url}: {e}"))?;
    let text = r.body_mut().with_config().limit(64 << 20).read_to_string().map_err(|e| e.to_string())?;
    value_of(&text, url)
}
