//! XLSX with `rust_xlsxwriter`, in its constant-memory mode: each row goes to a temporary
//! file as soon as it is written, so a year of rows costs no more memory than one. What it
//! cannot do is stream the *answer*: an XLSX file is a zip whose directory comes last, so the
//! whole file is assembled (in a second temporary file) before its first byte can be sent.
//! CSV, on the other hand, streams end to end.
//!
//! Text is always written with `write_string`: a name such as `=HYPERLINK(…)` is a string cell
//! (shown as typed, never run as a formula), so it needs no `'` as CSV does and comes out
//! exactly as it was given.
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::Cell;

/// Excel's limit on a sheet's name; longer names are cut.
const SHEET_NAME_MAX: usize = 31;

/// A workbook of one sheet, filled a row at a time.
pub struct SheetWriter {
    workbook: Workbook,
    row: u32,
    columns: u16,
}

impl SheetWriter {
    /// A sheet named `name` whose first row is `titles`, in bold.
    pub fn new(name: &str, titles: &[&str]) -> Result<SheetWriter, XlsxError> {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        let name: String = name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(SHEET_NAME_MAX)
            .collect();
        if !name.is_empty() {
            sheet.set_name(&name)?;
        }
        let bold = Format::new().set_bold();
        for (col, title) in titles.iter().enumerate() {
            let col = u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)?;
            sheet.write_string_with_format(0, col, *title, &bold)?;
        }
        let columns = u16::try_from(titles.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
        Ok(SheetWriter {
            workbook,
            row: 1,
            columns,
        })
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        self.workbook.worksheet_from_index(0)
    }

    /// Appends one row.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        let row = self.row;
        let sheet = self.sheet()?;
        for (col, cell) in cells.iter().enumerate() {
            let col = u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)?;
            match cell {
                Cell::Empty => {}
                // Exact up to 2^53, far beyond any count or id here.
                #[allow(clippy::cast_precision_loss)]
                Cell::Int(n) => {
                    sheet.write_number(row, col, *n as f64)?;
                }
                Cell::Text(t) => {
                    sheet.write_string(row, col, t)?;
                }
            }
        }
        self.row = self.row.checked_add(1).ok_or(XlsxError::RowColumnLimitError)?;
        Ok(())
    }

    /// Writes the finished file to `out` (a temporary file, or a buffer in the tests).
    pub fn finish<W: std::io::Write + std::io::Seek + Send>(mut self, out: W) -> Result<(), XlsxError> {
        let (last_row, columns) = (self.row, self.columns);
        if columns > 0 {
            let sheet = self.sheet()?;
            sheet.autofilter(0, 0, last_row.saturating_sub(1), columns - 1)?;
            sheet.set_freeze_panes(1, 0)?;
        }
        self.workbook.save_to_writer(out)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    fn sheet_xml(bytes: Vec<u8>) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        xml
    }

    #[test]
    fn text_that_looks_like_a_formula_is_a_string_cell_never_a_formula() {
        let mut w = SheetWriter::new("Inscrits", &["Nom", "Places"]).unwrap();
        w.row(&[Cell::text("=HYPERLINK(\"http://x\",\"y\")"), Cell::Int(-2)])
            .unwrap();
        w.row(&[Cell::text("Élodie"), Cell::Empty]).unwrap();
        let mut out = Cursor::new(Vec::new());
        w.finish(&mut out).unwrap();
        let xml = sheet_xml(out.into_inner());
        assert!(!xml.contains("<f>"), "{xml}");
        assert!(xml.contains("<t>=HYPERLINK(\"http://x\",\"y\")</t>"), "{xml}");
        assert!(xml.contains("<v>-2</v>"), "{xml}");
        assert!(xml.contains("Élodie"), "{xml}");
    }

    #[test]
    fn an_empty_export_is_a_sheet_with_its_header_row_only() {
        let w = SheetWriter::new("Rendez-vous: 2026/12", &["Date", "Heure"]).unwrap();
        let mut out = Cursor::new(Vec::new());
        w.finish(&mut out).unwrap();
        let xml = sheet_xml(out.into_inner());
        assert!(xml.contains("Date") && xml.contains("Heure"), "{xml}");
        assert!(!xml.contains("<row r=\"2\""), "{xml}");
    }
}
