//! Reading exported XLSX files back with a reader we did not write: Python's openpyxl.
//! Outside CI a machine without it skips those checks (and says so); in CI it must be there
//! (`.ci/run` installs it), so a missing openpyxl fails the test instead of skipping it.
use std::io::Write;
use std::process::Command;

/// A cell as openpyxl reads it: its value (`null` when empty) and its data type (`s` for a
/// string, `n` for a number, `f` for a formula).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct XlsxCell {
    pub value: serde_json::Value,
    pub data_type: String,
}

const READER: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
rows = [[{"value": c.value, "data_type": c.data_type} for c in row] for row in ws.iter_rows()]
print(json.dumps({"sheet": ws.title, "rows": rows}))
"#;

/// Whether `python3 -c "import openpyxl"` works; in CI it must.
pub fn openpyxl_available() -> bool {
    let there = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !there && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but Python's openpyxl is missing (python3 -m pip install --user openpyxl)");
    }
    if !there {
        eprintln!("skipped the XLSX read-back: python3 -m pip install --user openpyxl");
    }
    there
}

/// The sheet's name and every row of the first sheet of `bytes`, as openpyxl reads them.
pub fn read_xlsx(bytes: &[u8]) -> (String, Vec<Vec<XlsxCell>>) {
    let mut file = tempfile_path();
    file.1.write_all(bytes).unwrap();
    let out = Command::new("python3")
        .args(["-c", READER, file.0.to_str().unwrap()])
        .output()
        .expect("running python3");
    std::fs::remove_file(&file.0).ok();
    assert!(
        out.status.success(),
        "openpyxl could not read the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[derive(serde::Deserialize)]
    struct Read {
        sheet: String,
        rows: Vec<Vec<XlsxCell>>,
    }
    let read: Read = serde_json::from_slice(&out.stdout).unwrap();
    (read.sheet, read.rows)
}

fn tempfile_path() -> (std::path::PathBuf, std::fs::File) {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    let path = std::env::temp_dir().join(format!("creneau-export-{n:016x}.xlsx"));
    let file = std::fs::File::create(&path).unwrap();
    (path, file)
}
