//! Runs WebAssembly spec-test scripts (`.wast`) against Spindle: its validator, and its
//! interpreter through the embedding API (crate `spindle`).
//!
//! Every binary module the runner meets is also validated by `wasmparser` under the same
//! feature set ([`wasmparser_features`]); where the two disagree, the directive fails.
//!
//! Validation checks:
//! - `module` (and `module definition`, binary, text or quote): must decode and validate;
//! - `assert_malformed`, `assert_invalid`: must be rejected. A text module that `wast`
//!   itself cannot parse or encode never reaches us; it counts as rejected "at text level".
//!   The modules of `assert_unlinkable` and `assert_trap (module ...)` must validate: each
//!   gives one `module` check besides its own directive.
//!
//! Execution, in one store per script with the `spectest` host module:
//! - `module` also gives an `instantiate` entry: compiled, linked, start function run
//!   (`module definition` only compiles; `module instance` instantiates a definition);
//! - `register`, `invoke`, `assert_return` (NaN patterns, references, `either`),
//!   `assert_trap` (a call, or a module: `assert_uninstantiable`), `assert_exhaustion`,
//!   `assert_unlinkable`. A trap or link error with another text than the script's is a
//!   failure counted apart ([`Outcome::WrongMessage`]).
//! - A module the translator does not support yet (SIMD, GC, ...: the translator's "not
//!   supported by the translator yet" error) makes every directive that needs it
//!   [`Outcome::Unsupported`], neither passed nor failed; so do modules importing from a
//!   name it was registered under.
//! - Not run: `thread`/`wait` and what is
//!   inside a thread (modules there are still validated), `assert_suspension`, custom
//!   section assertions, components.
//!
//! Each script runs on its own thread, watched: a directive that runs longer than
//! [`directive_timeout`] ends the script with a failure (the thread is left behind).

#![forbid(unsafe_code)]

#[cfg(feature = "all-proposals")]
pub mod component;
pub mod exec;
pub mod report;
mod suites;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use spindle::Val;
use spindle_validate::Features;
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, Wat};

use exec::{check_results, expect_error, ExecError, Session, Verdict};

/// Our `Features` as wasmparser's (one mapping, kept in `spindle-testkit`).
pub use spindle_testkit::wasmparser_features;
pub use suites::{features_label, run_all_suites, run_suite, suite_features, suite_names};

/// Kind of a `module` check (also `module definition`, and the module of an
/// `assert_unlinkable` or uninstantiable `assert_trap`).
pub const MODULE: &str = "module";
/// Kind of an `assert_malformed` directive.
pub const ASSERT_MALFORMED: &str = "assert_malformed";
/// Kind of an `assert_invalid` directive.
pub const ASSERT_INVALID: &str = "assert_invalid";
/// Kind of the instantiation of a `module` (or `module instance`), or of the compilation
/// of a `module definition` that fails.
pub const INSTANTIATE: &str = "instantiate";
pub const ASSERT_RETURN: &str = "assert_return";
/// `assert_trap` on a call (or a `get`).
pub const ASSERT_TRAP: &str = "assert_trap";
/// `assert_trap` on a module: its instantiation must trap.
pub const ASSERT_UNINSTANTIABLE: &str = "assert_uninstantiable";
pub const ASSERT_UNLINKABLE: &str = "assert_unlinkable";
pub const ASSERT_EXHAUSTION: &str = "assert_exhaustion";
pub const INVOKE: &str = "invoke";
pub const REGISTER: &str = "register";
/// Kind given to a script that cannot be parsed at all, or whose runner failed (always a
/// failure).
pub const SCRIPT: &str = "script";
/// The validation kinds, in table order.
pub const CHECKED_KINDS: [&str; 3] = [MODULE, ASSERT_MALFORMED, ASSERT_INVALID];
/// The execution kinds, in table order.
pub const EXEC_KINDS: [&str; 8] = [
    INSTANTIATE,
    ASSERT_RETURN,
    ASSERT_TRAP,
    ASSERT_UNINSTANTIABLE,
    ASSERT_UNLINKABLE,
    ASSERT_EXHAUSTION,
    INVOKE,
    REGISTER,
];

/// How long one directive may run before its script is reported as failed: 10 s, or
/// `SPINDLE_SPEC_TIMEOUT_SECS` seconds.
pub fn directive_timeout() -> Duration {
    std::env::var("SPINDLE_SPEC_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(Duration::from_secs(10), Duration::from_secs_f64)
}

/// What happened to one directive (or to one module check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Checked, and Spindle (and wasmparser, for validation) did what the script expects.
    Passed,
    /// An `assert_malformed`/`assert_invalid` module that `wast` could not parse or
    /// encode: rejected before reaching us, so it passes, but is counted apart.
    PassedTextLevel,
    /// Checked and wrong (or disagreeing with wasmparser, or the runner could not
    /// produce the module): why.
    Failed(String),
    /// Trapped or failed to link as expected, but with another message: why. A failure.
    WrongMessage(String),
    /// Not run: needs what Spindle does not do yet (threads, exceptions, components).
    NotRun,
    /// Not run: needs a module the translator does not support yet: what it lacks.
    Unsupported(String),
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
    /// One of the kinds above, or the not-run directive's name (`thread`, ...).
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
        matches!(self.outcome, Outcome::Failed(_) | Outcome::WrongMessage(_))
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

/// Parses `text` as a `.wast` script and runs every directive under `features`, with
/// [`directive_timeout`]. `label` names the script in the report. Never panics on bad
/// input: a script that does not parse gives one failing `script` entry.
pub fn run_script(label: &str, text: &str, features: &Features) -> ScriptReport {
    run_script_with_timeout(label, text, features, directive_timeout())
}

/// [`run_script`] with the given limit on each directive's time. The script runs on a
/// thread of its own; when a directive is still running after `timeout`, the report ends
/// with a failure for it and the thread is left running, detached.
pub fn run_script_with_timeout(
    label: &str,
    text: &str,
    features: &Features,
    timeout: Duration,
) -> ScriptReport {
    let progress = Arc::new(Mutex::new(Progress::default()));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = {
        let progress = progress.clone();
        let text = text.to_string();
        let features = *features;
        std::thread::Builder::new()
            .name(format!("wast {label}"))
            .stack_size(32 << 20)
            .spawn(move || {
                let ran = catch_unwind(AssertUnwindSafe(|| {
                    run_directives(&text, &features, progress.clone())
                }));
                if let Err(payload) = ran {
                    lock(&progress).out.push(DirectiveReport {
                        line: 0,
                        kind: SCRIPT,
                        outcome: Outcome::Failed(format!(
                            "the runner {PANICKED}{}",
                            panic_message(&*payload)
                        )),
                        differential: None,
                    });
                }
                let _ = done_tx.send(());
            })
    };
    let worker = match worker {
        Ok(w) => w,
        Err(e) => {
            return ScriptReport {
                label: label.to_string(),
                directives: vec![DirectiveReport {
                    line: 0,
                    kind: SCRIPT,
                    outcome: Outcome::Failed(format!("runner: cannot start a thread: {e}")),
                    differential: None,
                }],
            }
        }
    };
    let poll = Duration::from_millis(100).min(timeout);
    loop {
        match done_rx.recv_timeout(poll) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                let _ = worker.join();
                break;
            }
            Err(RecvTimeoutError::Timeout) => {
                let mut p = lock(&progress);
                if let Some((line, kind, since)) = p.current {
                    if since.elapsed() > timeout {
                        p.out.push(DirectiveReport {
                            line,
                            kind,
                            outcome: Outcome::Failed(format!(
                                "timeout: still running after {timeout:.1?}; the rest of \
                                 the script was not run"
                            )),
                            differential: None,
                        });
                        // The worker is left behind (detached); its later reports go
                        // nowhere.
                        break;
                    }
                }
            }
        }
    }
    let directives = std::mem::take(&mut lock(&progress).out);
    ScriptReport {
        label: label.to_string(),
        directives,
    }
}

/// What a script's thread has done so far, shared with its watchdog.
#[derive(Default)]
struct Progress {
    out: Vec<DirectiveReport>,
    /// The directive being run: line, kind, since when.
    current: Option<(usize, &'static str, Instant)>,
}

fn lock(p: &Mutex<Progress>) -> MutexGuard<'_, Progress> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

fn run_directives(text: &str, features: &Features, progress: Arc<Mutex<Progress>>) {
    let mut runner = Runner {
        lines: LineIndex::new(text),
        features: *features,
        wasmparser: wasmparser_features(features),
        progress,
        session: Session::new(features),
        in_thread: false,
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
        runner.push(DirectiveReport {
            line,
            kind: SCRIPT,
            outcome: Outcome::Failed(format!("cannot parse the script: {}", e.message())),
            differential: None,
        });
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

/// The validators' verdict on a module that must be valid.
enum Checked {
    /// Spindle accepted these bytes.
    Accepted(Vec<u8>),
    /// Not accepted (or not checked): why, for the directives that need the module.
    Rejected(String),
}

/// The main kind of a directive, for the watchdog's report.
fn kind_of(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) | WastDirective::ModuleDefinition(_) => MODULE,
        WastDirective::ModuleInstance { .. } => INSTANTIATE,
        WastDirective::AssertMalformed { .. } => ASSERT_MALFORMED,
        WastDirective::AssertInvalid { .. } => ASSERT_INVALID,
        WastDirective::AssertUnlinkable { .. } => ASSERT_UNLINKABLE,
        WastDirective::AssertTrap {
            exec: WastExecute::Wat(_),
            ..
        } => ASSERT_UNINSTANTIABLE,
        WastDirective::AssertTrap { .. } => ASSERT_TRAP,
        WastDirective::AssertReturn { .. } => ASSERT_RETURN,
        WastDirective::AssertExhaustion { .. } => ASSERT_EXHAUSTION,
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::Register { .. } => REGISTER,
        WastDirective::Invoke(_) => INVOKE,
        WastDirective::Wait { .. } => "wait",
        WastDirective::Thread(_) => "thread",
    }
}

struct Runner {
    lines: LineIndex,
    features: Features,
    wasmparser: wasmparser::WasmFeatures,
    progress: Arc<Mutex<Progress>>,
    session: Session,
    /// Inside a `thread`: nothing is executed (modules are still validated).
    in_thread: bool,
}

impl Runner {
    fn push(&self, report: DirectiveReport) {
        lock(&self.progress).out.push(report);
    }

    fn push_outcome(&self, line: usize, kind: &'static str, outcome: Outcome) {
        self.push(DirectiveReport {
            line,
            kind,
            outcome,
            differential: None,
        });
    }

    /// The entry of a step that must succeed.
    fn push_result(&self, line: usize, kind: &'static str, result: Result<(), ExecError>) {
        let outcome = match result {
            Ok(()) => Outcome::Passed,
            Err(ExecError::Unsupported(what)) => Outcome::Unsupported(what),
            Err(e) => Outcome::Failed(e.to_string()),
        };
        self.push_outcome(line, kind, outcome);
    }

    fn push_verdict(&self, line: usize, kind: &'static str, verdict: Verdict) {
        let outcome = match verdict {
            Verdict::Passed => Outcome::Passed,
            Verdict::WrongMessage(why) => Outcome::WrongMessage(why),
            Verdict::Failed(why) => Outcome::Failed(why),
            Verdict::Unsupported(what) => Outcome::Unsupported(what),
        };
        self.push_outcome(line, kind, outcome);
    }

    fn not_run(&self, line: usize, kind: &'static str) {
        self.push_outcome(line, kind, Outcome::NotRun);
    }

    fn directive(&mut self, directive: WastDirective<'_>) {
        let line = self.lines.line(directive.span().offset());
        lock(&self.progress).current = Some((line, kind_of(&directive), Instant::now()));
        let run = !self.in_thread;
        match directive {
            WastDirective::Module(module) => {
                let name = module.name();
                match self.expect_valid(line, module) {
                    _ if !run => self.not_run(line, INSTANTIATE),
                    Checked::Accepted(bytes) => {
                        let result = guarded_exec(|| self.session.module(name, &bytes));
                        self.push_result(line, INSTANTIATE, result);
                    }
                    Checked::Rejected(why) => self.session.module_not_accepted(name, why),
                }
            }
            WastDirective::ModuleDefinition(module) => {
                let name = module.name();
                match self.expect_valid(line, module) {
                    _ if !run => {}
                    Checked::Accepted(bytes) => {
                        let result = guarded_exec(|| self.session.define(name, &bytes));
                        if result.is_err() {
                            self.push_result(line, INSTANTIATE, result);
                        }
                    }
                    Checked::Rejected(why) => self.session.definition_not_accepted(name, why),
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                if run {
                    let result = guarded_exec(|| self.session.module_instance(instance, module));
                    self.push_result(line, INSTANTIATE, result);
                } else {
                    self.not_run(line, INSTANTIATE);
                }
            }
            WastDirective::AssertMalformed {
                module, message, ..
            } => self.expect_rejected(line, ASSERT_MALFORMED, module, message),
            WastDirective::AssertInvalid {
                module, message, ..
            } => self.expect_rejected(line, ASSERT_INVALID, module, message),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let checked = self.expect_valid(line, QuoteWat::Wat(module));
                self.expect_instantiation_error(line, ASSERT_UNLINKABLE, checked, true, message);
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(module),
                message,
                ..
            } => {
                let checked = self.expect_valid(line, QuoteWat::Wat(module));
                self.expect_instantiation_error(
                    line,
                    ASSERT_UNINSTANTIABLE,
                    checked,
                    false,
                    message,
                );
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                if run {
                    let result = self.execute(exec);
                    self.push_verdict(line, ASSERT_TRAP, expect_error(result, false, message));
                } else {
                    self.not_run(line, ASSERT_TRAP);
                }
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                if run {
                    let result = self
                        .execute(exec)
                        .and_then(|vals| check_results(&results, &vals));
                    self.push_result(line, ASSERT_RETURN, result);
                } else {
                    self.not_run(line, ASSERT_RETURN);
                }
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                if run {
                    let result = self.invoke(&call);
                    self.push_verdict(
                        line,
                        ASSERT_EXHAUSTION,
                        expect_error(result, false, message),
                    );
                } else {
                    self.not_run(line, ASSERT_EXHAUSTION);
                }
            }
            WastDirective::Register { name, module, .. } => {
                if run {
                    let result = guarded_exec(|| self.session.register(name, module));
                    self.push_result(line, REGISTER, result);
                } else {
                    self.not_run(line, REGISTER);
                }
            }
            WastDirective::Invoke(call) => {
                if run {
                    let result = self.invoke(&call).map(drop);
                    self.push_result(line, INVOKE, result);
                } else {
                    self.not_run(line, INVOKE);
                }
            }
            WastDirective::AssertException { exec, .. } => {
                if run {
                    // An exception that leaves the call is Spindle's "uncaught exception".
                    let result = self.execute(exec);
                    self.push_verdict(
                        line,
                        "assert_exception",
                        expect_error(result, false, "uncaught exception"),
                    );
                } else {
                    self.not_run(line, "assert_exception");
                }
            }
            WastDirective::AssertSuspension { .. } => self.not_run(line, "assert_suspension"),
            WastDirective::AssertMalformedCustom { .. } => {
                self.not_run(line, "assert_malformed_custom")
            }
            WastDirective::AssertInvalidCustom { .. } => {
                self.not_run(line, "assert_invalid_custom")
            }
            WastDirective::Wait { .. } => self.not_run(line, "wait"),
            WastDirective::Thread(thread) => {
                // The thread itself needs shared-memory execution; the modules inside it
                // are still checked, nothing inside is run.
                self.not_run(line, "thread");
                let outer = std::mem::replace(&mut self.in_thread, true);
                for directive in thread.directives {
                    self.directive(directive);
                }
                self.in_thread = outer;
            }
        }
    }

    fn invoke(&mut self, call: &WastInvoke<'_>) -> Result<Vec<Val>, ExecError> {
        guarded_exec(|| self.session.invoke(call.module, call.name, &call.args))
    }

    /// Runs the action of an `assert_return`/`assert_trap`: its results.
    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>, ExecError> {
        match exec {
            WastExecute::Invoke(call) => self.invoke(&call),
            WastExecute::Get { module, global, .. } => {
                guarded_exec(|| self.session.get(module, global))
            }
            WastExecute::Wat(mut module) => {
                let bytes = module.encode().map_err(|e| {
                    ExecError::Other(format!(
                        "runner: wast cannot encode this module: {}",
                        e.message()
                    ))
                })?;
                guarded_exec(|| self.session.instantiate_only(&bytes, true)).map(|()| Vec::new())
            }
        }
    }

    /// `assert_unlinkable` (`want_link`) or `assert_trap (module ...)`.
    fn expect_instantiation_error(
        &mut self,
        line: usize,
        kind: &'static str,
        checked: Checked,
        want_link: bool,
        message: &str,
    ) {
        if self.in_thread {
            return self.not_run(line, kind);
        }
        let verdict = match checked {
            Checked::Accepted(bytes) => {
                let result = guarded_exec(|| self.session.instantiate_only(&bytes, !want_link));
                expect_error(result, want_link, message)
            }
            Checked::Rejected(why) => Verdict::Failed(why),
        };
        self.push_verdict(line, kind, verdict);
    }

    fn expect_valid(&mut self, line: usize, mut module: QuoteWat<'_>) -> Checked {
        if is_component(&module) {
            self.not_run(line, "component");
            return Checked::Rejected("a component".into());
        }
        match module.encode() {
            Ok(bytes) => {
                let report = self.check(line, MODULE, &bytes, true, "");
                let accepted =
                    matches!(report.differential, Some(Differential { ours: Ok(()), .. }));
                self.push(report);
                if accepted {
                    Checked::Accepted(bytes)
                } else {
                    Checked::Rejected(format!("the validator rejected the module at line {line}"))
                }
            }
            Err(e) => {
                let why = format!("runner: wast cannot encode this module: {}", e.message());
                self.push_outcome(line, MODULE, Outcome::Failed(why.clone()));
                Checked::Rejected(why)
            }
        }
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
        self.push(report);
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

/// A caught panic's message.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string payload".to_string())
}

/// Runs a validator, turning a panic into an error message.
fn guarded(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(format!("{PANICKED}{}", panic_message(&*payload))))
}

/// Runs an execution step, turning a panic into an error.
fn guarded_exec<T>(f: impl FnOnce() -> Result<T, ExecError>) -> Result<T, ExecError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Err(ExecError::Other(format!(
            "{PANICKED}{}",
            panic_message(&*payload)
        )))
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

    fn kinds_and_outcomes(report: &ScriptReport) -> Vec<(usize, &'static str, Outcome)> {
        report
            .directives
            .iter()
            .map(|d| (d.line, d.kind, d.outcome.clone()))
            .collect()
    }

    #[test]
    fn execution_directives_run() {
        let script = "(module (func (export \"f\") (result i32) (i32.const 7)))\n\
                      (invoke \"f\")\n\
                      (assert_return (invoke \"f\") (i32.const 7))\n\
                      (register \"m\")\n";
        let report = run_script("x.wast", script, &Features::wasm3());
        assert_eq!(
            kinds_and_outcomes(&report),
            [
                (1, MODULE, Outcome::Passed),
                (1, INSTANTIATE, Outcome::Passed),
                (2, INVOKE, Outcome::Passed),
                (3, ASSERT_RETURN, Outcome::Passed),
                (4, REGISTER, Outcome::Passed),
            ]
        );
        // The module was fed to both validators.
        let differential = report.directives[0].differential.as_ref().unwrap();
        assert!(differential.expect_valid);
        assert_eq!(differential.wasmparser, Ok(()));
    }

    #[test]
    fn wrong_results_fail_with_both_values() {
        let script = "(module (func (export \"f\") (param i32) (result i32) (local.get 0)))\n\
                      (assert_return (invoke \"f\" (i32.const -3)) (i32.const 3))\n\
                      (assert_return (invoke \"f\" (i32.const -3)))\n\
                      (assert_return (invoke \"g\"))\n";
        let report = run_script("x.wast", script, &Features::wasm3());
        let d = &report.directives[2];
        assert_eq!(
            d.outcome,
            Outcome::Failed("returned [i32:-3] but expected [i32:3]".into())
        );
        assert!(report.directives[3].failed(), "result count");
        let Outcome::Failed(why) = &report.directives[4].outcome else {
            panic!("{:?}", report.directives[4])
        };
        assert!(why.contains("no exported function \"g\""), "{why}");
    }

    #[test]
    fn floats_nan_patterns_and_references() {
        let script = r#"(module
              (func (export "div") (param f32 f32) (result f32) (f32.div (local.get 0) (local.get 1)))
              (func (export "neg") (param f64) (result f64) (f64.neg (local.get 0)))
              (func (export "id") (param externref) (result externref) (local.get 0))
              (func $g)
              (elem declare func $g)
              (func (export "fref") (result funcref) (ref.func $g))
              (func (export "null") (result funcref) (ref.null func))
              (global (export "g") f64 (f64.const -0.5)))
            (assert_return (invoke "div" (f32.const 0) (f32.const 0)) (f32.const nan:canonical))
            (assert_return (invoke "div" (f32.const 0) (f32.const 0)) (f32.const nan:arithmetic))
            (assert_return (invoke "div" (f32.const 1) (f32.const 2)) (f32.const 0.5))
            (assert_return (invoke "neg" (f64.const nan:0x4)) (f64.const -nan:0x4))
            (assert_return (invoke "neg" (f64.const 1)) (f64.const nan:arithmetic))
            (assert_return (invoke "id" (ref.extern 5)) (ref.extern 5))
            (assert_return (invoke "id" (ref.extern 5)) (ref.extern 6))
            (assert_return (invoke "id" (ref.null extern)) (ref.null extern))
            (assert_return (invoke "fref") (ref.func))
            (assert_return (invoke "null") (ref.null func))
            (assert_return (invoke "null") (ref.null extern))
            (assert_return (invoke "div" (f32.const 1) (f32.const 2)) (either (f32.const 1) (f32.const 0.5)))
            (assert_return (get "g") (f64.const -0.5))
            "#;
        let report = run_script("x.wast", script, &Features::wasm3());
        let outcomes: Vec<bool> = report.directives[2..].iter().map(|d| d.passed()).collect();
        assert_eq!(
            outcomes,
            [true, true, true, true, false, true, false, true, true, true, false, true, true],
            "{:#?}",
            report.directives
        );
    }

    #[test]
    fn traps_are_matched_by_message() {
        let script = "(module (func (export \"div\") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0))))\n\
                      (assert_trap (invoke \"div\" (i32.const 0)) \"integer divide by zero\")\n\
                      (assert_trap (invoke \"div\" (i32.const 0)) \"unreachable\")\n\
                      (assert_trap (invoke \"div\" (i32.const 1)) \"integer divide by zero\")\n\
                      (assert_return (invoke \"div\" (i32.const 0)) (i32.const 0))\n";
        let report = run_script("x.wast", script, &Features::wasm3());
        let outcomes = kinds_and_outcomes(&report);
        assert_eq!(outcomes[2], (2, ASSERT_TRAP, Outcome::Passed));
        assert_eq!(
            outcomes[3],
            (
                3,
                ASSERT_TRAP,
                Outcome::WrongMessage(
                    "trapped with \"integer divide by zero\", expected \"unreachable\"".into()
                )
            )
        );
        assert_eq!(
            outcomes[4],
            (
                4,
                ASSERT_TRAP,
                Outcome::Failed(
                    "returned [i32:1] but expected a trap \"integer divide by zero\"".into()
                )
            )
        );
        assert_eq!(
            outcomes[5],
            (
                5,
                ASSERT_RETURN,
                Outcome::Failed("trap: integer divide by zero".into())
            )
        );
    }

    #[test]
    fn exhaustion_is_a_trap() {
        let script = "(module (func $f (export \"f\") (call $f)))\n\
                      (assert_exhaustion (invoke \"f\") \"call stack exhausted\")\n";
        let report = run_script("x.wast", script, &Features::wasm3());
        assert_eq!(
            report.directives[2],
            DirectiveReport {
                line: 2,
                kind: ASSERT_EXHAUSTION,
                outcome: Outcome::Passed,
                differential: None
            }
        );
    }

    #[test]
    fn spectest_registration_and_names() {
        let script = r#"(module $A
              (import "spectest" "global_i32" (global i32))
              (import "spectest" "global_f64" (global f64))
              (import "spectest" "print_i32" (func (param i32)))
              (import "spectest" "memory" (memory 1))
              (import "spectest" "table" (table 10 funcref))
              (func (export "g") (result i32) (call 0 (i32.const 1)) (global.get 0))
              (func (export "h") (result f64) (global.get 1)))
            (register "a" $A)
            (module $B (import "a" "g" (func $g (result i32)))
              (func (export "twice") (result i32) (i32.add (call $g) (call $g))))
            (assert_return (invoke "twice") (i32.const 1332))
            (assert_return (invoke $A "g") (i32.const 666))
            (assert_return (invoke $A "h") (f64.const 666.6))
            (assert_return (invoke $C "g") (i32.const 666))
            "#;
        let report = run_script("x.wast", script, &Features::wasm3());
        let passed: Vec<bool> = report.directives.iter().map(|d| d.passed()).collect();
        assert_eq!(
            passed,
            [true, true, true, true, true, true, true, true, false],
            "{:#?}",
            report.directives
        );
    }

    #[test]
    fn instantiation_failures() {
        let script = "(assert_unlinkable (module (import \"m\" \"f\" (func))) \"unknown import\")\n\
                      (assert_unlinkable (module (import \"spectest\" \"print_i32\" (func (param i64)))) \"incompatible import type\")\n\
                      (assert_trap (module (func unreachable) (start 0)) \"unreachable\")\n\
                      (assert_trap (module (memory 1) (data (i32.const 65536) \"a\")) \"out of bounds memory access\")\n\
                      (assert_unlinkable (module (func (export \"f\"))) \"unknown import\")\n\
                      (module (func unreachable) (start 0))\n\
                      (assert_return (invoke \"f\"))\n";
        let report = run_script("x.wast", script, &Features::wasm3());
        let outcomes = kinds_and_outcomes(&report);
        let expected_kinds = [
            (1, MODULE),
            (1, ASSERT_UNLINKABLE),
            (2, MODULE),
            (2, ASSERT_UNLINKABLE),
            (3, MODULE),
            (3, ASSERT_UNINSTANTIABLE),
            (4, MODULE),
            (4, ASSERT_UNINSTANTIABLE),
            (5, MODULE),
            (5, ASSERT_UNLINKABLE),
            (6, MODULE),
            (6, INSTANTIATE),
            (7, ASSERT_RETURN),
        ];
        let kinds: Vec<_> = outcomes.iter().map(|(l, k, _)| (*l, *k)).collect();
        assert_eq!(kinds, expected_kinds);
        for i in [1, 3, 5, 7] {
            assert_eq!(outcomes[i].2, Outcome::Passed, "{:?}", outcomes[i]);
        }
        assert_eq!(
            outcomes[9].2,
            Outcome::Failed("instantiated but expected a link error \"unknown import\"".into())
        );
        assert_eq!(outcomes[11].2, Outcome::Failed("trap: unreachable".into()));
        let Outcome::Failed(why) = &outcomes[12].2 else {
            panic!("{outcomes:?}")
        };
        assert!(
            why.starts_with("no instance: its instantiation failed"),
            "{why}"
        );
    }

    #[test]
    fn module_definitions_and_instances() {
        let script = "(module definition $M (global (export \"g\") (mut i32) (i32.const 0))\n\
                        (func (export \"inc\") (global.set 0 (i32.add (global.get 0) (i32.const 1)))))\n\
                      (module instance $I1 $M)\n\
                      (module instance $I2 $M)\n\
                      (invoke $I1 \"inc\")\n\
                      (assert_return (get $I1 \"g\") (i32.const 1))\n\
                      (assert_return (get $I2 \"g\") (i32.const 0))\n\
                      (module instance $I3 $N)\n";
        let report = run_script("x.wast", script, &Features::wasm3());
        let passed: Vec<(usize, bool)> = report
            .directives
            .iter()
            .map(|d| (d.line, d.passed()))
            .collect();
        assert_eq!(
            passed,
            [
                (1, true),
                (3, true),
                (4, true),
                (5, true),
                (6, true),
                (7, true),
                (8, false)
            ],
            "{:#?}",
            report.directives
        );
    }

    /// What the translator says of a frame past its register limit.
    const TOO_MANY_REGISTERS: &str = "locals in more than 65,534 registers";

    /// Locals for 66,000 registers.
    fn big_locals() -> String {
        format!("(local{})", " v128".repeat(33_000))
    }

    #[test]
    fn unsupported_modules_are_neither_passed_nor_failed() {
        // Past a limit of the translator: 33,000 `v128` locals take 66,000 registers, a
        // frame holds at most 65,535.
        let script = format!(
            "(module $W (func (export \"f\") (param i32) (result i32) {BIG_LOCALS}\n\
                        (local.get 0)))\n\
                      (assert_return (invoke \"f\" (i32.const 1)) (i32.const 1))\n\
                      (register \"w\" $W)\n\
                      (module (import \"w\" \"f\" (func (param i32) (result i32))))\n\
                      (assert_trap (invoke \"g\") \"unreachable\")\n",
            BIG_LOCALS = big_locals()
        );
        let report = run_script("x.wast", &script, &Features::all());
        let outcomes = kinds_and_outcomes(&report);
        assert_eq!(outcomes[0], (1, MODULE, Outcome::Passed));
        let unsupported = Outcome::Unsupported(TOO_MANY_REGISTERS.into());
        for (i, kind) in [
            (1, INSTANTIATE),
            (2, ASSERT_RETURN),
            (3, REGISTER),
            (5, INSTANTIATE),
            (6, ASSERT_TRAP),
        ] {
            assert_eq!(outcomes[i].1, kind);
            assert_eq!(outcomes[i].2, unsupported, "{:?}", outcomes[i]);
        }
        assert!(report.failures().next().is_none());
    }

    #[test]
    fn what_an_unsupported_module_shares_is_unsupported_too() {
        let script = format!(
            "(module $M (memory (export \"mem\") 1)\n\
                        (func (export \"load\") (result i32) (i32.load (i32.const 0))))\n\
                      (register \"M\" $M)\n\
                      (assert_return (invoke $M \"load\") (i32.const 0))\n\
                      (module (import \"M\" \"mem\" (memory 1)) (data (i32.const 0) \"\\01\")\n\
                        \n\
                        (func (result i32) {BIG_LOCALS}\n\
                          (i32.const 0)))\n\
                      (assert_return (invoke $M \"load\") (i32.const 1))\n\
                      (module $T (tag (export \"t\")))\n\
                      (register \"T\" $T)\n\
                      (module (import \"T\" \"t\" (tag)))\n",
            BIG_LOCALS = big_locals()
        );
        let report = run_script("x.wast", &script, &Features::all());
        let outcomes = kinds_and_outcomes(&report);
        assert_eq!(outcomes[3], (4, ASSERT_RETURN, Outcome::Passed));
        let unsupported = |what: &str| Outcome::Unsupported(what.into());
        assert_eq!(
            outcomes[5],
            (5, INSTANTIATE, unsupported(TOO_MANY_REGISTERS))
        );
        assert_eq!(
            outcomes[6],
            (9, ASSERT_RETURN, unsupported(TOO_MANY_REGISTERS))
        );
        // Tags link like everything else.
        assert_eq!(outcomes[11], (12, INSTANTIATE, Outcome::Passed));
        assert_eq!(outcomes.len(), 12);
        assert!(report.failures().next().is_none(), "{outcomes:#?}");
    }

    #[test]
    fn a_hanging_directive_fails_its_script() {
        let script = "(module (func (export \"spin\") (loop (br 0))))\n\
                      (invoke \"spin\")\n\
                      (invoke \"spin\")\n";
        let report = run_script_with_timeout(
            "x.wast",
            script,
            &Features::wasm3(),
            Duration::from_millis(300),
        );
        let last = report.directives.last().unwrap();
        assert_eq!((last.line, last.kind), (2, INVOKE));
        let Outcome::Failed(why) = &last.outcome else {
            panic!("{last:?}")
        };
        assert!(why.starts_with("timeout: still running after"), "{why}");
        assert_eq!(report.directives.len(), 3);
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
    fn modules_inside_threads_are_checked() {
        let script = "(module)\n(thread $T (module (memory 1 1 shared)) (invoke \"x\"))\n(wait $T)";
        let report = run_script("x.wast", script, &Features::all());
        let kinds: Vec<_> = report.directives.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [
                MODULE,
                INSTANTIATE,
                "thread",
                MODULE,
                INSTANTIATE,
                INVOKE,
                "wait"
            ]
        );
        assert_eq!(report.directives[6].line, 3);
        assert!(report.directives[2..]
            .iter()
            .all(|d| d.outcome == Outcome::NotRun || d.kind == MODULE));
        let inner = report.directives[3].differential.as_ref().unwrap();
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
