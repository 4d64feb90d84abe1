//! The e-mails' HTML body: minijinja templates from `templates/mail/`, embedded in the binary,
//! with every value escaped.
//!
//! Its own environment (built like the pages' one, by `platform::templates`): a message
//! needs none of the pages' globals, and an undefined value must fail here.
use std::sync::OnceLock;

use crate::platform::templates::{embedded_templates, environment};

use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, Value, escape_formatter};

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let templates = embedded_templates!["mail/layout.html", "mail/blocks.html", "mail/message.html"];
        environment(&templates, |env| {
            // A misspelt field would silently drop a sentence from a resident's mail: fail
            // instead (every event is rendered by the tests).
            env.set_undefined_behavior(UndefinedBehavior::Strict);
            // The document ends with a newline, as the text body does.
            env.set_keep_trailing_newline(true);
            env.set_formatter(format);
        })
    })
}

/// `.html` templates escape every value, as minijinja does, but with [`escape`]: minijinja
/// also writes `/` as `&#x2f;`, and the address under the button, like its `href`, should
/// read exactly as the one in the plain-text body.
fn format(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    if state.auto_escape() == AutoEscape::Html && !value.is_safe() {
        out.write_str(&escape(&value.to_string())).map_err(Error::from)
    } else {
        escape_formatter(out, state, value)
    }
}

/// Escapes text for HTML element content and quoted attribute values (SVG text too).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The whole HTML document of a message: `subject` as its title, `blocks` as built by
/// `render` (each a map with a `kind`: `para`, `facts`, `link` or `note`).
pub(super) fn message(subject: &str, blocks: Vec<Value>) -> String {
    env()
        .get_template("mail/message.html")
        .and_then(|t| t.render(minijinja::context! { subject, blocks }))
        .expect("the embedded mail templates render every block")
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn values_are_escaped_but_slashes_are_kept() {
        let html = message(
            "Titre & <sujet>",
            vec![context! { kind => "para", text => "Voir https://a.example/b?c=1&d='2' </p>" }],
        );
        assert!(html.contains("<title>Titre &amp; &lt;sujet&gt;</title>"), "{html}");
        assert!(
            html.contains("Voir https://a.example/b?c=1&amp;d=&#39;2&#39; &lt;/p&gt;"),
            "{html}"
        );
    }

    #[test]
    fn line_breaks_in_a_value_become_br() {
        let html = message(
            "Sujet",
            vec![context! { kind => "note", text => "Ville d'Arles\nContact : <a>" }],
        );
        assert!(
            html.contains("Ville d&#39;Arles<br>\nContact : &lt;a&gt;</p>"),
            "{html}"
        );
    }
}
