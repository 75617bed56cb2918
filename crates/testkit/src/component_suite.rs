//! The Component Model reference tests (`.wast` files), with every component they hold
//! encoded (by `wast`): shared by the component decoder's and the component validator's
//! differential tests.
//!
//! The tests are read from `SPINDLE_COMPONENT_SUITE` or
//! `/work/shared/testsuites/component-model`; when neither is a directory, [`suite_cases`]
//! prints what is skipped and returns `None`.

use std::path::{Path, PathBuf};

use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, Wat};

pub const SUITE_ENV: &str = "SPINDLE_COMPONENT_SUITE";
pub const SUITE_DEFAULT: &str = "/work/shared/testsuites/component-model";

pub fn suite_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(SUITE_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(SUITE_DEFAULT));
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "SKIPPED: the Component Model reference tests are absent ({} is not a directory; \
             set {SUITE_ENV}): suite agreement, truncation and mutation tests not run",
            dir.display()
        );
        None
    }
}

pub fn wast_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            wast_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "wast") {
            out.push(path);
        }
    }
}

/// A component of a `.wast` file, encoded.
pub struct Case {
    pub line: usize,
    pub directive: &'static str,
    pub bytes: Vec<u8>,
}

/// What a file gave: its components, the ones `wast` could not encode, and the top-level
/// forms it could not parse (line, why).
#[derive(Default)]
pub struct FileCases {
    pub cases: Vec<Case>,
    pub not_encodable: Vec<(usize, String)>,
    pub unparsed_forms: Vec<(usize, String)>,
}

fn is_component(q: &QuoteWat<'_>) -> bool {
    matches!(
        q,
        QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..)
    )
}

fn collect(directives: Vec<WastDirective<'_>>, text: &str, line_base: usize, out: &mut FileCases) {
    for directive in directives {
        let line = line_base + directive.span().linecol_in(text).0 + 1;
        let (name, encoded) = match directive {
            WastDirective::Module(mut q) | WastDirective::ModuleDefinition(mut q)
                if is_component(&q) =>
            {
                ("component", q.encode())
            }
            WastDirective::AssertMalformed { mut module, .. }
            | WastDirective::AssertMalformedCustom { mut module, .. }
                if is_component(&module) =>
            {
                ("assert_malformed", module.encode())
            }
            WastDirective::AssertInvalid { mut module, .. }
            | WastDirective::AssertInvalidCustom { mut module, .. }
                if is_component(&module) =>
            {
                ("assert_invalid", module.encode())
            }
            WastDirective::AssertUnlinkable {
                module: mut w @ Wat::Component(_),
                ..
            } => ("assert_unlinkable", w.encode()),
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(mut w @ Wat::Component(_)),
                ..
            }
            | WastDirective::AssertReturn {
                exec: WastExecute::Wat(mut w @ Wat::Component(_)),
                ..
            }
            | WastDirective::AssertException {
                exec: WastExecute::Wat(mut w @ Wat::Component(_)),
                ..
            }
            | WastDirective::AssertSuspension {
                exec: WastExecute::Wat(mut w @ Wat::Component(_)),
                ..
            } => ("instantiation", w.encode()),
            WastDirective::Thread(thread) => {
                collect(thread.directives, text, line_base, out);
                continue;
            }
            _ => continue,
        };
        match encoded {
            Ok(bytes) => out.cases.push(Case {
                line,
                directive: name,
                bytes,
            }),
            Err(e) => out
                .not_encodable
                .push((line, e.to_string().lines().next().unwrap_or("").to_string())),
        }
    }
}

fn parse_wast(text: &str, line_base: usize, out: &mut FileCases) -> Result<(), String> {
    let buf = ParseBuffer::new(text).map_err(|e| e.to_string())?;
    let wast = parser::parse::<Wast>(&buf).map_err(|e| e.to_string())?;
    collect(wast.directives, text, line_base, out);
    Ok(())
}

/// The components of a file. When `wast` cannot parse the whole file (a directive in a
/// syntax it no longer accepts), each top-level form is parsed on its own and only the
/// forms it rejects are skipped (listed in `unparsed_forms`).
pub fn file_cases(path: &Path) -> Result<FileCases, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut out = FileCases::default();
    if parse_wast(&text, 0, &mut out).is_ok() {
        return Ok(out);
    }
    out = FileCases::default();
    for (start, form) in top_level_forms(&text) {
        let line_base = text[..start].matches('\n').count();
        if let Err(e) = parse_wast(form, line_base, &mut out) {
            let first = e.lines().next().unwrap_or("").to_string();
            out.unparsed_forms.push((line_base + 1, first));
        }
    }
    Ok(out)
}

/// The top-level parenthesised forms of a `.wast` text, with their byte offsets (strings and
/// both kinds of comments are skipped over).
pub fn top_level_forms(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let (mut forms, mut depth, mut start, mut i) = (Vec::new(), 0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b';' if b.get(i + 1) == Some(&b';') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' if b.get(i + 1) == Some(&b';') => {
                let mut nesting = 0;
                while i < b.len() {
                    if b[i] == b'(' && b.get(i + 1) == Some(&b';') {
                        nesting += 1;
                        i += 2;
                    } else if b[i] == b';' && b.get(i + 1) == Some(&b')') {
                        nesting -= 1;
                        i += 2;
                        if nesting == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' => {
                if depth == 0 {
                    start = i;
                }
                depth += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    forms.push((start, &text[start..=i]));
                }
            }
            _ => {}
        }
        i += 1;
    }
    forms
}

/// Every `.wast` file of the suite (path relative to the suite) with its components, or
/// `None` (after printing why) when the suite is absent.
pub fn suite_cases() -> Option<Vec<(String, Result<FileCases, String>)>> {
    let dir = suite_dir()?;
    let mut files = Vec::new();
    wast_files(&dir, &mut files);
    Some(
        files
            .iter()
            .map(|p| {
                let name = p.strip_prefix(&dir).unwrap_or(p).display().to_string();
                (name, file_cases(p))
            })
            .collect(),
    )
}
