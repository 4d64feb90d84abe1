//! The pages, used over HTTP the way a browser without JavaScript uses them: GET a form, POST
//! it with the cookie and the hidden CSRF field, follow the 303 by hand.
use std::sync::Mutex;

use creneau_tests::app::TestApp;
use reqwest::{StatusCode, header::HeaderMap, redirect::Policy};

mod appointments;
mod appointments_console;
mod config;
mod find;
mod planning;
mod security;
mod sessions_console;
mod staff;
mod workshops;

/// A browser without JavaScript: keeps cookies, does not follow redirects on its own.
pub struct Visitor<'a> {
    pub app: &'a TestApp,
    client: reqwest::Client,
    cookies: Mutex<Vec<(String, String)>>,
}

/// One answer: status, headers, body.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// Where a 303 sends the browser.
    pub fn location(&self) -> String {
        assert_eq!(
            self.status,
            StatusCode::SEE_OTHER,
            "expected a redirect, got:\n{}",
            self.body
        );
        self.header("location")
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="csrf" value=""#)
            .unwrap_or_else(|| panic!("no CSRF field in:\n{}", self.body));
        let rest = &self.body[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    /// Whether the body holds `text`, reading `&#x27;` and `&#x2f;` (how the templates
    /// escape `'` and `/`) as the characters they stand for.
    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text) || self.body.replace("&#x27;", "'").replace("&#x2f;", "/").contains(text)
    }

    /// The text of `<title>`.
    pub fn title(&self) -> String {
        let start = self.body.find("<title>").expect("a title") + "<title>".len();
        let end = self.body.find("</title>").unwrap();
        self.body[start..end].to_string()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Visitor<'a> {
        Visitor {
            app,
            client: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
            cookies: Mutex::new(Vec::new()),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&self, headers: &HeaderMap) {
        let mut jar = self.cookies.lock().unwrap();
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            jar.retain(|(k, _)| k != name);
            if !value.is_empty() && !v.contains("Max-Age=0") {
                jar.push((name.to_string(), value.to_string()));
            }
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        let mut jar = self.cookies.lock().unwrap();
        jar.retain(|(k, _)| k != name);
        jar.push((name.into(), value.into()));
    }

    async fn read(&self, resp: reqwest::Response) -> Page {
        let status = resp.status();
        let headers = resp.headers().clone();
        self.keep_cookies(&headers);
        let body = resp.text().await.unwrap();
        Page { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Page {
        let resp = self
            .client
            .get(format!("{}{}", self.app.base, path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.read(resp).await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let resp = self
            .client
            .post(format!("{}{}", self.app.base, path))
            .header("cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.read(resp).await
    }

    /// GETs `form_path`, then POSTs `fields` to `action` with the page's CSRF token.
    pub async fn submit(&self, form_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.get(form_path).await;
        assert_eq!(form.status, StatusCode::OK, "{form_path}:\n{}", form.body);
        let csrf = form.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Signs in on the staff pages.
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        self.submit(
            "/staff/connexion",
            "/staff/connexion",
            &[("email", email), ("password", password)],
        )
        .await
    }
}
