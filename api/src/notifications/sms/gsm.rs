//! The GSM 03.38 7-bit alphabet: what one SMS segment can carry at full length. A single
//! character outside it (ê, ç, œ, a typographic quote, a no-break space) would turn the whole
//! text into UCS-2 and cut a segment from 160 to 70 characters, so texts are transliterated.

/// The basic alphabet (one septet each). `\n` and `\r` included.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: two septets each (an escape, then the character).
const EXTENDED: &str = "^{}\\[~]|€";

/// One segment alone, and each segment of a concatenated text (7 septets go to its header).
pub const SINGLE: usize = 160;
pub const PER_PART: usize = 153;

fn septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Whether every character is in the alphabet (basic or extension).
pub fn is_gsm(text: &str) -> bool {
    text.chars().all(|c| septets(c).is_some())
}

/// Length in septets (the extension characters count two).
pub fn length(text: &str) -> usize {
    text.chars().map(|c| septets(c).unwrap_or(2)).sum()
}

/// How many SMS a GSM text costs.
pub fn segments(text: &str) -> usize {
    match length(text) {
        0 => 1,
        n if n <= SINGLE => 1,
        n => n.div_ceil(PER_PART),
    }
}

/// The text with everything outside the alphabet replaced by its nearest GSM spelling:
/// `ê` → `e`, `ç` → `c`, `œ` → `oe`, quotes and dashes straightened, every kind of space a
/// plain one; anything else without a spelling becomes `?`.
pub fn transliterate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if septets(c).is_some() {
            out.push(c);
            continue;
        }
        let s: &str = match c {
            'â' | 'á' | 'ã' | 'ā' => "a",
            'À' | 'Â' | 'Á' | 'Ã' => "A",
            'ê' | 'ë' | 'ē' | 'ę' => "e",
            'È' | 'Ê' | 'Ë' => "E",
            'î' | 'ï' | 'í' => "i",
            'Î' | 'Ï' | 'Í' | 'Ì' => "I",
            'ô' | 'ó' | 'õ' => "o",
            'Ô' | 'Ó' | 'Ò' | 'Õ' => "O",
            'û' | 'ú' => "u",
            'Û' | 'Ù' | 'Ú' => "U",
            'ÿ' | 'ý' => "y",
            'Ÿ' | 'Ý' => "Y",
            'ç' | 'ć' | 'č' => "c",
            'Ć' | 'Č' => "C",
            'ñ' => "n",
            'œ' => "oe",
            'Œ' => "OE",
            'š' => "s",
            'Š' => "S",
            'ž' => "z",
            'Ž' => "Z",
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2032}' | '`' | '´' => "'",
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '«' | '»' => "\"",
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
            '\u{2026}' => "...",
            '·' | '\u{2022}' => ".",
            '\t' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\u{2002}' | '\u{2003}' => " ",
            '°' => "o",
            _ => "?",
        };
        out.push_str(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_letters_outside_the_alphabet_are_spelled_without_their_accent() {
        assert_eq!(
            transliterate("Fête à l’hôtel, garçon, cœur"),
            "Fete à l'hotel, garcon, coeur"
        );
        assert_eq!(
            transliterate("«\u{a0}Créer\u{a0}» — 14\u{a0}h\u{202f}30…"),
            "\" Créer \" - 14 h 30..."
        );
        assert!(is_gsm(&transliterate("ÂÊÎÔÛ âêîôû ëïüÿ ç œ Œ ’ “ ” – · 😀")));
    }

    #[test]
    fn letters_already_in_the_alphabet_are_kept() {
        let s = "é è ù à É Ç ä ö ü";
        assert_eq!(transliterate(s), s);
        assert!(is_gsm(s));
        assert!(!is_gsm("ê"));
    }

    #[test]
    fn segments_count_160_alone_then_153_each_and_extension_characters_twice() {
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        assert_eq!(length("€"), 2);
        assert_eq!(segments(&format!("{}€", "a".repeat(159))), 2);
    }
}
