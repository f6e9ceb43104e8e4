//! Curated code lists, kept as tab-separated files in `data/` (one header line, then rows).
//! They are compiled in, so generation needs no files at run time.

/// One row of a code list: the columns in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub cols: Vec<&'static str>,
}

impl Row {
    /// Column `i`, or "" when the row is shorter.
    pub fn col(&self, i: usize) -> &'static str {
        self.cols.get(i).copied().unwrap_or("")
    }
}

/// Parses a tab-separated list: the first line is the header; blank lines and lines starting
/// with `#` are skipped.
pub fn parse(text: &'static str) -> Vec<Row> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| Row {
            cols: l.split('\t').map(str::trim).collect(),
        })
        .collect()
}

/// Declares a lazily parsed code list from `data/<file>`:
/// `code_list!(pub fn icd10() = "icd10se.tsv");`
#[macro_export]
macro_rules! code_list {
    ($vis:vis fn $name:ident() = $file:literal) => {
        $vis fn $name() -> &'static [$crate::codes::Row] {
            static LIST: std::sync::OnceLock<Vec<$crate::codes::Row>> = std::sync::OnceLock::new();
            LIST.get_or_init(|| $crate::codes::parse(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/", $file))))
        }
    };
}

code_list!(pub fn given_names_female() = "given_names_female.tsv");
code_list!(pub fn given_names_male() = "given_names_male.tsv");
code_list!(pub fn family_names() = "family_names.tsv");
code_list!(pub fn conditions() = "conditions.tsv");
