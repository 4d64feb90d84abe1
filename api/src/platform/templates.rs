//! The minijinja setup the pages and the e-mails share: templates embedded in the binary
//! (so one file is the whole deployment), blocks trimmed so the markup reads as written.
use minijinja::Environment;

/// `[(name, source)]` of templates under `api/templates/`, read at compile time.
macro_rules! embedded_templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $name)))),*]
    };
}
pub(crate) use embedded_templates;

/// An environment holding `templates`, with the caller's own rules (undefined values,
/// formatter, trailing newline) set by `configure` before the templates compile.
/// `.html` templates escape every value: a name or a note is data.
pub(crate) fn environment(
    templates: &[(&'static str, &'static str)],
    configure: impl FnOnce(&mut Environment<'static>),
) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    configure(&mut env);
    for (name, source) in templates {
        env.add_template(name, source).expect("the embedded templates compile");
    }
    env
}
