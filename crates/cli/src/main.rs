//! `spindle`: Spindle's command-line tool.
//!
//! Exit status: 0 when everything is valid / every directive passed, 1 when a module is
//! rejected or a directive failed, 2 on a usage or I/O error.

#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use spindle_validate::{validate, Features};

const USAGE: &str = "\
spindle: Spindle's command-line tool

Usage:
  spindle validate [--features SET] FILE...
      Decode and validate modules: FILE is a binary module (.wasm) or a text one
      (.wat, or a .wast holding one module). Prints `FILE: valid`, or why it is not.
  spindle wast [--features SET] FILE...
      Run spec-test scripts. Directives that need execution are not run yet: they are
      counted as skipped. Prints each failing directive, then `N passed, N failed`.
  spindle --help
      Print this help.

Options:
  --features SET   wasm1, wasm2, wasm3 (the default) or all

Exit status: 0 on success, 1 if a module is rejected or a directive fails,
2 on a usage or I/O error.
";

/// A usage or I/O error: the message, printed to stderr with exit status 2.
struct Fatal(String);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Fatal(message)) => {
            eprintln!("spindle: {message}");
            eprintln!("Try `spindle --help`.");
            ExitCode::from(2)
        }
    }
}

/// Runs the command; `Ok(true)` when all went well.
fn run(args: &[String]) -> Result<bool, Fatal> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Fatal("no command given".into()));
    };
    match command.as_str() {
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(true)
        }
        "validate" | "wast" => {
            let Some(options) = parse_options(rest)? else {
                print!("{USAGE}");
                return Ok(true);
            };
            if options.files.is_empty() {
                return Err(Fatal(format!(
                    "`spindle {command}` needs at least one FILE"
                )));
            }
            if command == "validate" {
                validate_files(&options)
            } else {
                run_scripts(&options)
            }
        }
        other => Err(Fatal(format!("unknown command `{other}`"))),
    }
}

struct Options {
    features: Features,
    files: Vec<String>,
}

/// The options after the command; `None` when help was asked for.
fn parse_options(args: &[String]) -> Result<Option<Options>, Fatal> {
    let mut options = Options {
        features: Features::wasm3(),
        files: Vec::new(),
    };
    let mut args = args.iter();
    let mut only_files = false;
    while let Some(arg) = args.next() {
        if only_files || !arg.starts_with('-') || arg == "-" {
            options.files.push(arg.clone());
        } else if arg == "--" {
            only_files = true;
        } else if arg == "-h" || arg == "--help" {
            return Ok(None);
        } else if arg == "--features" {
            let set = args
                .next()
                .ok_or_else(|| Fatal("--features needs a value".into()))?;
            options.features = parse_features(set)?;
        } else if let Some(set) = arg.strip_prefix("--features=") {
            options.features = parse_features(set)?;
        } else {
            return Err(Fatal(format!("unknown option `{arg}`")));
        }
    }
    Ok(Some(options))
}

fn parse_features(set: &str) -> Result<Features, Fatal> {
    match set {
        "wasm1" => Ok(Features::wasm1()),
        "wasm2" => Ok(Features::wasm2()),
        "wasm3" => Ok(Features::wasm3()),
        "all" => Ok(Features::all()),
        other => Err(Fatal(format!(
            "unknown feature set `{other}` (expected wasm1, wasm2, wasm3 or all)"
        ))),
    }
}

fn read(file: &str) -> Result<Vec<u8>, Fatal> {
    std::fs::read(file).map_err(|e| Fatal(format!("cannot read {file}: {e}")))
}

/// `spindle validate`: one verdict line per file.
fn validate_files(options: &Options) -> Result<bool, Fatal> {
    let mut all_valid = true;
    for file in &options.files {
        let bytes = read(file)?;
        let verdict = match module_bytes(file, bytes) {
            Ok(binary) => match validate(&binary, &options.features) {
                Ok(()) => None,
                Err(e) => Some(e.to_string()),
            },
            Err(why) => Some(why),
        };
        match verdict {
            None => println!("{file}: valid"),
            Some(why) => {
                all_valid = false;
                println!("{file}: {why}");
            }
        }
    }
    Ok(all_valid)
}

/// The binary module in `bytes`: as is when it is a binary (by its `\0asm` magic or a
/// `.wasm` name), else the text module encoded with `wast`. `Err` says why the text is
/// not a module.
fn module_bytes(file: &str, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let is_wasm_name = Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wasm"));
    if bytes.starts_with(b"\0asm") || is_wasm_name {
        return Ok(bytes);
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "malformed text: not UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let encode = || -> Result<Vec<u8>, wast::Error> {
        let buffer = wast::parser::ParseBuffer::new(&text)?;
        let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer)?;
        wat.encode()
    };
    encode().map_err(|mut e| {
        e.set_path(Path::new(file));
        e.set_text(&text);
        // wast's rendering spans lines (location, source line, caret): indent the rest.
        let mut why = String::from("malformed text: ");
        for (i, line) in e.to_string().lines().enumerate() {
            if i > 0 {
                why.push_str("\n    ");
            }
            let _ = write!(why, "{line}");
        }
        why
    })
}

/// `spindle wast`: the failing directives, then the counts.
fn run_scripts(options: &Options) -> Result<bool, Fatal> {
    let (mut passed, mut failed, mut skipped) = (0u64, 0u64, 0u64);
    for file in &options.files {
        let bytes = read(file)?;
        let text =
            String::from_utf8(bytes).map_err(|_| Fatal(format!("{file} is not UTF-8 text")))?;
        let report = spindle_spec_tests::run_script(file, &text, &options.features);
        for d in &report.directives {
            match &d.outcome {
                spindle_spec_tests::Outcome::Passed
                | spindle_spec_tests::Outcome::PassedTextLevel => passed += 1,
                spindle_spec_tests::Outcome::NotRun => skipped += 1,
                spindle_spec_tests::Outcome::Failed(why) => {
                    failed += 1;
                    println!("{file}:{}: {}: {why}", d.line, d.kind);
                }
            }
        }
    }
    if skipped > 0 {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {failed} failed");
    }
    Ok(failed == 0)
}
