//! Runs WebAssembly spec-test scripts (`.wast`) against Spindle's validator.
//!
//! Every binary module the runner meets is also validated by `wasmparser` under the same
//! feature set ([`wasmparser_features`]); where the two disagree, the directive fails.
//!
//! What runs today (there is no execution yet):
//! - `module` (and `module definition`, binary, text or quote): must decode and validate;
//! - `assert_malformed`, `assert_invalid`: must be rejected. A text module that `wast`
//!   itself cannot parse or encode never reaches us; it counts as rejected "at text level".
//!
//! Every other directive is counted as not yet run, never as passed. The modules of
//! `assert_unlinkable` and `assert_trap (module ...)` (uninstantiable) must still validate:
//! each gives one `module` check besides its not-run directive.

#![forbid(unsafe_code)]

mod differential;
pub mod report;
mod suites;

use std::panic::{catch_unwind, AssertUnwindSafe};

use spindle_validate::Features;
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, Wat};

pub use differential::wasmparser_features;
pub use suites::{features_label, run_all_suites, run_suite, suite_features, suite_names};

/// Kind of a `module` check (also `module definition`, and the module of an
/// `assert_unlinkable` or uninstantiable `assert_trap`).
pub const MODULE: &str = "module";
/// Kind of an `assert_malformed` directive.
pub const ASSERT_MALFORMED: &str = "assert_malformed";
/// Kind of an `assert_invalid` directive.
pub const ASSERT_INVALID: &str = "assert_invalid";
/// Kind given to a script that cannot be parsed at all (always a failure).
pub const SCRIPT: &str = "script";
/// The kinds that are checked today, in table order.
pub const CHECKED_KINDS: [&str; 3] = [MODULE, ASSERT_MALFORMED, ASSERT_INVALID];

/// What happened to one directive (or to one module check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Checked, and Spindle and wasmparser both did what the script expects.
    Passed,
    /// An `assert_malformed`/`assert_invalid` module that `wast` could not parse or
    /// encode: rejected before reaching us, so it passes, but is counted apart.
    PassedTextLevel,
    /// Checked and wrong (or disagreeing with wasmparser, or the runner could not
    /// produce the module): why.
    Failed(String),
    /// Needs execution or linking, which does not exist yet.
    NotRun,
}

/// Spindle's and wasmparser's verdicts on the same bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Differential {
    /// Whether the script expects the module to be accepted.
    pub expect_valid: bool,
    /// Spindle: `Ok` or its error message.
    pub ours: Result<(), String>,
    /// wasmparser: `Ok` or its error message.
    pub wasmparser: Result<(), String>,
}

impl Differential {
    /// Spindle and wasmparser accept or reject alike.
    pub fn agree(&self) -> bool {
        self.ours.is_ok() == self.wasmparser.is_ok()
    }

    /// wasmparser does what the script expects (evidence that the features are right).
    pub fn wasmparser_matches_spec(&self) -> bool {
        self.wasmparser.is_ok() == self.expect_valid
    }
}

/// One directive's (or module check's) result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectiveReport {
    /// 1-based line of the directive in its script.
    pub line: usize,
    /// `module`, `assert_malformed`, `assert_invalid`, or the not-run directive's name
    /// (`assert_return`, `register`, `thread`, ...), or `script`.
    pub kind: &'static str,
    pub outcome: Outcome,
    /// Present when a binary was fed to both validators.
    pub differential: Option<Differential>,
}

impl DirectiveReport {
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Passed | Outcome::PassedTextLevel)
    }

    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_))
    }
}

/// The results of one script.
#[derive(Clone, Debug)]
pub struct ScriptReport {
    /// How the script is named in reports, e.g. `wasm-v3/i32.wast`.
    pub label: String,
    pub directives: Vec<DirectiveReport>,
}

impl ScriptReport {
    /// The failing directives, in script order.
    pub fn failures(&self) -> impl Iterator<Item = &DirectiveReport> {
        self.directives.iter().filter(|d| d.failed())
    }
}

/// Parses `text` as a `.wast` script and runs every directive under `features`.
/// `label` names the script in the report. Never panics on bad input: a script that
/// does not parse gives one failing `script` entry.
pub fn run_script(label: &str, text: &str, features: &Features) -> ScriptReport {
    let mut runner = Runner {
        lines: LineIndex::new(text),
        features: *features,
        wasmparser: wasmparser_features(features),
        out: Vec::new(),
    };
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let parsed = ParseBuffer::new_with_lexer(lexer).and_then(|buf| {
        let wast = parser::parse::<Wast<'_>>(&buf)?;
        for directive in wast.directives {
            runner.directive(directive);
        }
        Ok(())
    });
    if let Err(e) = parsed {
        let line = runner.lines.line(e.span().offset());
        runner.out.push(DirectiveReport {
            line,
            kind: SCRIPT,
            outcome: Outcome::Failed(format!("cannot parse the script: {}", e.message())),
            differential: None,
        });
    }
    ScriptReport {
        label: label.to_string(),
        directives: runner.out,
    }
}

/// Byte offset to 1-based line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

struct Runner {
    lines: LineIndex,
    features: Features,
    wasmparser: wasmparser::WasmFeatures,
    out: Vec<DirectiveReport>,
}

impl Runner {
    fn directive(&mut self, directive: WastDirective<'_>) {
        let line = self.lines.line(directive.span().offset());
        match directive {
            WastDirective::Module(module) | WastDirective::ModuleDefinition(module) => {
                self.expect_valid(line, module)
            }
            WastDirective::AssertMalformed {
                module, message, ..
            } => self.expect_rejected(line, ASSERT_MALFORMED, module, message),
            WastDirective::AssertInvalid {
                module, message, ..
            } => self.expect_rejected(line, ASSERT_INVALID, module, message),
            WastDirective::AssertUnlinkable { module, .. } => {
                self.expect_valid(line, QuoteWat::Wat(module));
                self.not_run(line, "assert_unlinkable");
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(module),
                ..
            } => {
                self.expect_valid(line, QuoteWat::Wat(module));
                self.not_run(line, "assert_uninstantiable");
            }
            WastDirective::AssertTrap { .. } => self.not_run(line, "assert_trap"),
            WastDirective::AssertReturn { .. } => self.not_run(line, "assert_return"),
            WastDirective::AssertExhaustion { .. } => self.not_run(line, "assert_exhaustion"),
            WastDirective::AssertException { .. } => self.not_run(line, "assert_exception"),
            WastDirective::AssertSuspension { .. } => self.not_run(line, "assert_suspension"),
            WastDirective::AssertMalformedCustom { .. } => {
                self.not_run(line, "assert_malformed_custom")
            }
            WastDirective::AssertInvalidCustom { .. } => {
                self.not_run(line, "assert_invalid_custom")
            }
            WastDirective::ModuleInstance { .. } => self.not_run(line, "module instance"),
            WastDirective::Register { .. } => self.not_run(line, "register"),
            WastDirective::Invoke(_) => self.not_run(line, "invoke"),
            WastDirective::Wait { .. } => self.not_run(line, "wait"),
            WastDirective::Thread(thread) => {
                // The thread itself needs execution; the modules inside it are still
                // checked.
                self.not_run(line, "thread");
                for directive in thread.directives {
                    self.directive(directive);
                }
            }
        }
    }

    fn not_run(&mut self, line: usize, kind: &'static str) {
        self.out.push(DirectiveReport {
            line,
            kind,
            outcome: Outcome::NotRun,
            differential: None,
        });
    }

    fn expect_valid(&mut self, line: usize, mut module: QuoteWat<'_>) {
        if is_component(&module) {
            return self.not_run(line, "component");
        }
        let report = match module.encode() {
            Ok(bytes) => self.check(line, MODULE, &bytes, true, ""),
            Err(e) => DirectiveReport {
                line,
                kind: MODULE,
                outcome: Outcome::Failed(format!(
                    "runner: wast cannot encode this module: {}",
                    e.message()
                )),
                differential: None,
            },
        };
        self.out.push(report);
    }

    fn expect_rejected(
        &mut self,
        line: usize,
        kind: &'static str,
        mut module: QuoteWat<'_>,
        message: &str,
    ) {
        if is_component(&module) {
            return self.not_run(line, "component");
        }
        let report = match module.encode() {
            Ok(bytes) => self.check(line, kind, &bytes, false, message),
            Err(_) => DirectiveReport {
                line,
                kind,
                outcome: Outcome::PassedTextLevel,
                differential: None,
            },
        };
        self.out.push(report);
    }

    /// Feeds `bytes` to Spindle and to wasmparser and judges both against the script.
    fn check(
        &self,
        line: usize,
        kind: &'static str,
        bytes: &[u8],
        expect_valid: bool,
        spec_message: &str,
    ) -> DirectiveReport {
        let ours = guarded(|| {
            spindle_validate::validate(bytes, &self.features).map_err(|e| e.to_string())
        });
        let wasmparser = guarded(|| {
            wasmparser::Validator::new_with_features(self.wasmparser)
                .validate_all(bytes)
                .map(drop)
                .map_err(|e| e.to_string())
        });
        let differential = Differential {
            expect_valid,
            ours,
            wasmparser,
        };
        let mut why = Vec::new();
        match (&differential.ours, expect_valid) {
            // A panic is a bug even where the script expects a rejection.
            (Err(e), _) if e.starts_with(PANICKED) => why.push(e.clone()),
            (Ok(()), true) | (Err(_), false) => {}
            (Err(e), true) => why.push(e.clone()),
            (Ok(()), false) => why.push(format!(
                "accepted but expected rejection (\"{spec_message}\")"
            )),
        }
        // The spec decides pass or fail. A disagreement with wasmparser is reported beside
        // it (the `wp≠us` column, and in the reason of a failure), never hidden.
        if !why.is_empty() && !differential.agree() {
            why.push(match &differential.wasmparser {
                Ok(()) => "wasmparser disagrees: it accepts".to_string(),
                Err(e) => format!("wasmparser disagrees: it rejects: {e}"),
            });
        }
        let outcome = if why.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed(why.join("; "))
        };
        DirectiveReport {
            line,
            kind,
            outcome,
            differential: Some(differential),
        }
    }
}

fn is_component(module: &QuoteWat<'_>) -> bool {
    matches!(
        module,
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
    )
}

/// How a caught panic's message starts.
const PANICKED: &str = "panicked: ";

/// Runs a validator, turning a panic into an error message.
fn guarded(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string payload".to_string());
        Err(format!("{PANICKED}{what}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_maps_offsets_to_lines() {
        let index = LineIndex::new("a\nbc\n\nd");
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(1), 1);
        assert_eq!(index.line(2), 2);
        assert_eq!(index.line(5), 3);
        assert_eq!(index.line(6), 4);
    }

    #[test]
    fn unparsable_script_is_one_failure() {
        let report = run_script("x.wast", "(module\n (func)\n", &Features::wasm3());
        assert_eq!(report.directives.len(), 1);
        assert_eq!(report.directives[0].kind, SCRIPT);
        assert!(report.directives[0].failed());
    }

    #[test]
    fn execution_directives_are_not_run() {
        let script = "(module (func (export \"f\")))\n(invoke \"f\")\n(assert_return (invoke \"f\"))\n(register \"m\")\n";
        let report = run_script("x.wast", script, &Features::wasm3());
        let kinds: Vec<_> = report.directives.iter().map(|d| (d.line, d.kind)).collect();
        assert_eq!(
            kinds,
            [
                (1, MODULE),
                (2, "invoke"),
                (3, "assert_return"),
                (4, "register")
            ]
        );
        assert!(report.directives[1..]
            .iter()
            .all(|d| d.outcome == Outcome::NotRun));
        // The module was fed to both validators.
        let differential = report.directives[0].differential.as_ref().unwrap();
        assert!(differential.expect_valid);
        assert_eq!(differential.wasmparser, Ok(()));
    }

    #[test]
    fn unparsable_quote_module_is_rejected_at_text_level() {
        let script = "(assert_malformed (module quote \"(func (i32.const))\") \"x\")";
        let report = run_script("x.wast", script, &Features::wasm3());
        assert_eq!(report.directives.len(), 1);
        assert_eq!(report.directives[0].kind, ASSERT_MALFORMED);
        assert_eq!(report.directives[0].outcome, Outcome::PassedTextLevel);
        assert_eq!(report.directives[0].differential, None);
    }

    #[test]
    fn binary_assert_malformed_reaches_both_validators() {
        // A wrong magic number: nobody may accept it.
        let script =
            "(assert_malformed (module binary \"\\00asn\" \"\\01\\00\\00\\00\") \"magic\")";
        let report = run_script("x.wast", script, &Features::wasm3());
        let d = &report.directives[0];
        assert_eq!(d.kind, ASSERT_MALFORMED);
        assert_eq!(d.outcome, Outcome::Passed, "{d:?}");
        let differential = d.differential.as_ref().unwrap();
        assert!(differential.ours.is_err() && differential.wasmparser.is_err());
    }

    #[test]
    fn unlinkable_module_gives_a_module_check_and_a_not_run() {
        let script = "(assert_unlinkable (module (import \"m\" \"f\" (func))) \"unknown import\")";
        let report = run_script("x.wast", script, &Features::wasm3());
        let kinds: Vec<_> = report.directives.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [MODULE, "assert_unlinkable"]);
        assert_eq!(report.directives[1].outcome, Outcome::NotRun);
        assert!(report.directives[0].differential.is_some());
    }

    #[test]
    fn modules_inside_threads_are_checked() {
        let script = "(module)\n(thread $T (module (memory 1 1 shared)) (invoke \"x\"))\n(wait $T)";
        let report = run_script("x.wast", script, &Features::all());
        let kinds: Vec<_> = report.directives.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [MODULE, "thread", MODULE, "invoke", "wait"]);
        assert_eq!(report.directives[4].line, 3);
        let inner = report.directives[2].differential.as_ref().unwrap();
        assert_eq!(
            inner.wasmparser,
            Ok(()),
            "the inner module was checked with threads on"
        );
    }

    #[test]
    fn wasmparser_rejecting_a_valid_module_is_recorded() {
        // Shared memory needs the threads feature, which wasm3 lacks: wasmparser rejects,
        // so the module check fails whatever Spindle says.
        let script = "(module (memory 1 1 shared))";
        let report = run_script("x.wast", script, &Features::wasm3());
        let d = &report.directives[0];
        assert!(d.failed());
        assert!(d.differential.as_ref().unwrap().wasmparser.is_err());
        assert!(!d.differential.as_ref().unwrap().wasmparser_matches_spec());
    }
}
