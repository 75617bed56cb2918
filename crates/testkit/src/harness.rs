//! Running seeded loops of [`check_agreement`] and reporting on them.

use crate::oracle::{check_agreement, features_name, Disagreement, Verdict};
use spindle_validate::Features;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Cases per kind for the seeded loops: `SPINDLE_DIFF_CASES` if set, else `default`.
pub fn case_count(default: usize) -> usize {
    match std::env::var("SPINDLE_DIFF_CASES") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SPINDLE_DIFF_CASES={v:?}: not a count")),
        Err(_) => default,
    }
}

/// The base seed of the seeded loops: `SPINDLE_DIFF_SEED` if set (decimal or 0x-hex), else a
/// fixed one, so that `cargo test` is reproducible.
pub fn base_seed() -> u64 {
    const DEFAULT: u64 = 0x5eed_5917_d1e0_0001;
    match std::env::var("SPINDLE_DIFF_SEED") {
        Ok(v) => {
            let v = v.trim();
            let parsed = match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("SPINDLE_DIFF_SEED={v:?}: not a number"))
        }
        Err(_) => DEFAULT,
    }
}

/// Where failing inputs are saved: `$CARGO_TARGET_DIR/diff-failures`, or the workspace's
/// `target/diff-failures`.
pub fn failure_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        // crates/testkit -> the workspace root.
        None => match Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2) {
            Some(root) => root.join("target"),
            None => PathBuf::from("target"),
        },
    };
    target.join("diff-failures")
}

/// One disagreement found by a [`DiffRun`].
#[derive(Debug)]
pub struct Failure {
    /// How to regenerate the input (seed, origin, mutations).
    pub label: String,
    /// The saved input, if it was saved.
    pub path: Option<PathBuf>,
    pub disagreement: Disagreement,
}

/// A differential run: counts verdicts, keeps the disagreements, saves their inputs.
#[derive(Debug)]
pub struct DiffRun {
    name: String,
    started: Instant,
    checked: u64,
    valid: u64,
    /// Agreements only thanks to a known wasmparser bug.
    excused: u64,
    failures: Vec<Failure>,
}

/// Inputs saved per run (every disagreement is counted; only the first ones are saved).
const SAVE_LIMIT: usize = 20;
/// Disagreements listed in the panic message.
const REPORT_LIMIT: usize = 8;

impl DiffRun {
    pub fn new(name: &str) -> DiffRun {
        DiffRun {
            name: name.to_string(),
            started: Instant::now(),
            checked: 0,
            valid: 0,
            excused: 0,
            failures: Vec::new(),
        }
    }

    /// Checks one input; on disagreement records it (and saves the input) under the label
    /// `label()` computes. Returns whether the validators agreed.
    ///
    /// A panic in a validator is not caught; on its way out it saves the input (as
    /// `<run>-panic-<features>.wasm`) and prints the label, so the case can be replayed.
    pub fn check(
        &mut self,
        bytes: &[u8],
        features: &Features,
        label: impl FnOnce() -> String,
    ) -> bool {
        self.checked += 1;
        let mut guard = PanicReport {
            run: &self.name,
            bytes,
            features,
            label: Some(label),
        };
        let result = check_agreement(bytes, features);
        let label = guard.label.take().expect("label taken once");
        drop(guard);
        match result {
            Ok(Verdict::Valid) => {
                self.valid += 1;
                true
            }
            Ok(Verdict::OracleBug { .. }) => {
                self.excused += 1;
                true
            }
            Ok(Verdict::Invalid { .. }) => true,
            Err(disagreement) => {
                let label = label();
                let path = (self.failures.len() < SAVE_LIMIT)
                    .then(|| self.save(bytes, features))
                    .flatten();
                self.failures.push(Failure {
                    label,
                    path,
                    disagreement,
                });
                false
            }
        }
    }

    fn save(&self, bytes: &[u8], features: &Features) -> Option<PathBuf> {
        let file = format!(
            "{}-{:04}-{}.wasm",
            self.name,
            self.failures.len(),
            features_name(features)
        );
        save_input(&file, bytes)
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }

    pub fn valid(&self) -> u64 {
        self.valid
    }

    /// Inputs we accept that wasmparser rejects only because of a known bug of its own.
    pub fn excused(&self) -> u64 {
        self.excused
    }

    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// One line: inputs checked, how many both accepted, both rejected, excused (known
    /// wasmparser bugs), disagreements, time.
    pub fn summary(&self) -> String {
        let disagreements = self.failures.len() as u64;
        format!(
            "{}: checked {} inputs ({} valid, {} invalid, {} excused), {} disagreements, in {:.1?}",
            self.name,
            self.checked,
            self.valid,
            self.checked - self.valid - self.excused - disagreements,
            self.excused,
            disagreements,
            self.elapsed()
        )
    }

    /// The summary and the first disagreements with their labels and saved inputs.
    pub fn report(&self) -> String {
        let mut out = self.summary();
        for f in self.failures.iter().take(REPORT_LIMIT) {
            let _ = write!(out, "\n  - {}\n    {}", f.label, f.disagreement);
            if let Some(path) = &f.path {
                let _ = write!(out, "\n    saved to {}", path.display());
            }
        }
        if self.failures.len() > REPORT_LIMIT {
            let _ = write!(
                out,
                "\n  ... and {} more",
                self.failures.len() - REPORT_LIMIT
            );
        }
        out
    }

    /// Prints the summary; panics with the report if the validators ever disagreed.
    pub fn finish(self) {
        println!("{}", self.summary());
        assert!(self.failures.is_empty(), "{}", self.report());
    }
}

/// Writes `bytes` to `file` in [`failure_dir`].
fn save_input(file: &str, bytes: &[u8]) -> Option<PathBuf> {
    let dir = failure_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(file);
    std::fs::write(&path, bytes).ok()?;
    Some(path)
}

/// Armed while the validators run: if one panics, the unwinding drops this, which saves the
/// input and says which case it was. The panic itself goes on.
struct PanicReport<'a, F: FnOnce() -> String> {
    run: &'a str,
    bytes: &'a [u8],
    features: &'a Features,
    label: Option<F>,
}

impl<F: FnOnce() -> String> Drop for PanicReport<'_, F> {
    fn drop(&mut self) {
        if let (true, Some(label)) = (std::thread::panicking(), self.label.take()) {
            let file = format!("{}-panic-{}.wasm", self.run, features_name(self.features));
            let saved = match save_input(&file, self.bytes) {
                Some(path) => format!("saved to {}", path.display()),
                None => "could not save it".to_string(),
            };
            eprintln!(
                "{}: a validator panicked on {}; input {saved}",
                self.run,
                label()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spindle_validate::ValidateError;

    #[test]
    fn counts_agreements_and_reports_disagreements() {
        let mut run = DiffRun::new("harness-selftest");
        // Both reject garbage.
        assert!(run.check(b"nope", &Features::all(), || unreachable!("agreed")));
        assert_eq!(
            (run.checked(), run.valid(), run.failures().len()),
            (1, 0, 0)
        );
        // A made-up disagreement goes through the same reporting.
        run.failures.push(Failure {
            label: "case 7".into(),
            path: None,
            disagreement: Disagreement {
                features: Features::all(),
                len: 8,
                ours: Err(ValidateError::invalid(0, "x")),
                theirs: Ok(()),
            },
        });
        let report = run.report();
        assert!(
            report.starts_with("harness-selftest: checked 1 inputs"),
            "{report}"
        );
        assert!(report.contains("1 disagreements"), "{report}");
        assert!(
            report.contains("- case 7\n    validators disagree on 8 bytes under all"),
            "{report}"
        );
        let finished = std::panic::catch_unwind(move || run.finish());
        assert!(
            finished.is_err(),
            "finish must fail a run with disagreements"
        );
    }

    #[test]
    fn a_panic_while_checking_saves_the_input() {
        let path = failure_dir().join("harness-selftest-panic-wasm1.wasm");
        let _ = std::fs::remove_file(&path);
        let features = Features::wasm1();
        let unwound = std::panic::catch_unwind(|| {
            let _guard = PanicReport {
                run: "harness-selftest",
                bytes: b"\0asm-selftest",
                features: &features,
                label: Some(|| "selftest case".to_string()),
            };
            panic!("validator bug");
        });
        assert!(unwound.is_err(), "the panic must go on");
        assert_eq!(std::fs::read(&path).unwrap(), b"\0asm-selftest");
        // Disarmed (label taken), the guard saves nothing.
        std::fs::remove_file(&path).unwrap();
        drop(PanicReport {
            run: "harness-selftest",
            bytes: b"x",
            features: &features,
            label: None::<fn() -> String>,
        });
        assert!(!path.exists());
    }

    #[test]
    fn failure_dir_is_under_target() {
        let dir = failure_dir();
        assert!(dir.ends_with("diff-failures"));
    }
}
