//! Structured logs: human-readable by default, JSON with CRENEAU_LOG_FORMAT=json. The level
//! comes from CRENEAU_LOG, else RUST_LOG, else `info`; colours only on a terminal, so a log
//! file holds plain text.
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Logs written on the thread that logs them: for the demo and the one-off commands, whose
/// lines must come out in order with what they print.
pub fn init(json: bool) {
    install(json, std::io::stdout);
}

/// Logs handed to a thread of their own, which writes them to standard output: a serving
/// instance writes an access line per request, and writing it on the request's own thread
/// took a fifth of the cached reads' throughput (`docs/benchmarks.md`, row (a)). No line is
/// dropped: when the buffer is full, the logging thread waits for the writer. Keep the guard
/// until the process ends; dropping it writes what is left.
pub fn init_off_thread(json: bool) -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    install(json, writer);
    guard
}

fn install<W>(json: bool, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_env("CRENEAU_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(writer);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// An outside error's text (an SMTP server's rejection, a database's detail) with every
/// e-mail address and phone number blanked, fit for the logs: servers quote the recipient
/// ("550 5.1.1 <jeanne@exemple.fr>: unknown user") and we never log a resident's contact.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Words are cut at whitespace and at the brackets and quotes servers put around addresses.
    let is_cut = |c: char| c.is_whitespace() || "<>()[]\"',;".contains(c);
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(is_cut).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        if word.contains('@') {
            out.push_str("[adresse]");
        } else {
            out.push_str(&redact_digits(word));
        }
        let sep_len = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..sep_len]);
        rest = &tail[sep_len..];
    }
    redact_spaced_numbers(&out)
}

/// A phone number written as one word ("+33612345678", "0612345678", "06.12.34.56.78") is
/// blanked, and so is any run of 8 digits or more inside a word ("tel:0612345678"). Dates,
/// IP addresses and status codes stay.
fn redact_digits(word: &str) -> String {
    let digits = word.chars().filter(char::is_ascii_digit).count();
    if digits < 8 {
        return word.to_string();
    }
    let bare = word.strip_prefix('+').unwrap_or(word);
    let dotted_pairs = bare
        .split('.')
        .all(|g| g.len() == 2 && g.chars().all(|c| c.is_ascii_digit()));
    if dotted_pairs {
        return "[numéro]".into();
    }
    let mut out = String::new();
    let mut run = String::new();
    for c in word.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if run.len() >= 8 {
            // A `+` just before the run belongs to the number.
            if out.ends_with('+') {
                out.pop();
            }
            out.push_str("[numéro]");
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// "06 12 34 56 78": groups of digits split by single spaces, 8 digits or more in all.
fn redact_spaced_numbers(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let digits_only = |w: &str| !w.is_empty() && w.len() <= 4 && w.chars().all(|c| c.is_ascii_digit() || c == '+');
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let mut j = i;
        let mut count = 0;
        while j < words.len() && digits_only(words[j]) {
            count += words[j].chars().filter(char::is_ascii_digit).count();
            j += 1;
        }
        if j - i >= 3 && count >= 8 {
            out.push("[numéro]".into());
            i = j;
        } else {
            out.push(words[i].to_string());
            i += 1;
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn an_smtp_rejection_loses_the_address_it_quotes() {
        assert_eq!(
            redact("550 5.1.1 <Jeanne.Martin@exemple.fr>: Recipient address rejected"),
            "550 5.1.1 <[adresse]>: Recipient address rejected"
        );
        assert_eq!(redact("unknown user jeanne@exemple.fr."), "unknown user [adresse]");
    }

    #[test]
    fn phone_numbers_in_any_common_shape_are_blanked_but_status_codes_stay() {
        for (raw, want) in [
            ("call +33612345678 now", "call [numéro] now"),
            ("call 06 12 34 56 78 now", "call [numéro] now"),
            ("call 06.12.34.56.78", "call [numéro]"),
            ("tel:0612345678", "tel:[numéro]"),
            ("421 4.7.0 try again in 300 s", "421 4.7.0 try again in 300 s"),
            (
                "at 2026-12-01 from 192.168.100.200",
                "at 2026-12-01 from 192.168.100.200",
            ),
        ] {
            assert_eq!(redact(raw), want, "{raw}");
        }
    }
}
