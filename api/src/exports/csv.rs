//! CSV as RFC 4180 describes it, for spreadsheets: UTF-8 with a byte-order mark (without it
//! Excel reads the accents as Windows-1252), CRLF line ends, a field quoted when it holds a
//! comma, a quote, a CR or an LF, its quotes doubled.
//!
//! Formula injection: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a CR would
//! be taken for a formula by Excel or LibreOffice (`=HYPERLINK(…)` in a name field). Such a
//! cell is written with a leading `'`, which the spreadsheet shows as text and which a reader
//! of the file can see and strip. Numbers written as [`Cell::Int`] are never changed: `-3` is
//! a number, not a formula.
use super::Cell;

/// What goes before the header row.
pub const BOM: &[u8] = "\u{feff}".as_bytes();

/// Whether a spreadsheet would read this text as the start of a formula.
pub fn needs_neutralising(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Appends one record (a row of cells) and its CRLF to `out`.
pub fn write_record<'a>(out: &mut Vec<u8>, cells: impl IntoIterator<Item = &'a Cell>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match cell {
            Cell::Empty => {}
            Cell::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Cell::Text(t) => write_text(out, t),
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// The header row: titles are ours, but they go through the same escaping.
pub fn write_header(out: &mut Vec<u8>, titles: &[&str]) {
    let cells: Vec<Cell> = titles.iter().map(|t| Cell::Text((*t).to_string())).collect();
    write_record(out, &cells);
}

fn write_text(out: &mut Vec<u8>, text: &str) {
    let guard = needs_neutralising(text);
    let quote = guard || text.contains([',', '"', '\r', '\n']);
    if quote {
        out.push(b'"');
    }
    if guard {
        out.push(b'\'');
    }
    for b in text.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    if quote {
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cells: &[Cell]) -> String {
        let mut out = Vec::new();
        write_record(&mut out, cells);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_record_ends_with_crlf_and_quotes_only_what_needs_quoting() {
        let cells = [
            Cell::text("Élodie Dupré"),
            Cell::text("Arles, centre"),
            Cell::text("dit \"Lolo\""),
            Cell::text("deux\nlignes"),
            Cell::Empty,
            Cell::Int(3),
        ];
        assert_eq!(
            line(&cells),
            "Élodie Dupré,\"Arles, centre\",\"dit \"\"Lolo\"\"\",\"deux\nlignes\",,3\r\n"
        );
    }

    #[test]
    fn a_text_that_a_spreadsheet_would_run_as_a_formula_is_made_inert() {
        for risky in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+33 6",
            "-1+2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            let written = line(&[Cell::text(risky)]);
            assert!(written.starts_with("\"'"), "{risky:?} came out as {written:?}");
        }
        assert_eq!(line(&[Cell::text("=1+1")]), "\"'=1+1\"\r\n");
        assert_eq!(line(&[Cell::text("a=b")]), "a=b\r\n");
    }

    #[test]
    fn a_negative_number_stays_a_number() {
        assert_eq!(line(&[Cell::Int(-3), Cell::Int(0)]), "-3,0\r\n");
    }

    #[test]
    fn the_file_reads_back_with_a_csv_reader_cell_for_cell() {
        let mut out = BOM.to_vec();
        write_header(&mut out, &["Nom", "Téléphone"]);
        write_record(&mut out, &[Cell::text("Zoé, \"la\" grande"), Cell::text("=2+3")]);
        assert!(out.starts_with(&[0xEF, 0xBB, 0xBF]));
        let mut reader = ::csv::ReaderBuilder::new().from_reader(&out[BOM.len()..]);
        assert_eq!(reader.headers().unwrap(), vec!["Nom", "Téléphone"]);
        let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], "Zoé, \"la\" grande");
        assert_eq!(&rows[0][1], "'=2+3");
    }
}
