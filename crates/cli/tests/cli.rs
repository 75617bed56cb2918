//! Runs the built `spindle` binary on the fixtures in `tests/fixtures`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    path.to_str().expect("fixture paths are UTF-8").to_string()
}

/// Writes `bytes` to a fresh file under the test scratch directory.
fn scratch(name: &str, bytes: &[u8]) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

fn spindle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spindle"))
        .args(args)
        .output()
        .expect("spindle runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn assert_status(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// A truncated module: the type section claims 5 bytes and has none.
const MALFORMED: &[u8] = b"\0asm\x01\0\0\0\x01\x05";
/// The empty module.
const EMPTY: &[u8] = b"\0asm\x01\0\0\0";

// ---- usage ----

#[test]
fn help_prints_usage() {
    for args in [&["--help"][..], &["-h"], &["help"], &["validate", "--help"]] {
        let o = spindle(args);
        assert_status(&o, 0);
        let out = stdout(&o);
        assert!(
            out.contains("spindle validate")
                && out.contains("spindle wast")
                && out.contains("spindle run"),
            "{out}"
        );
        assert!(out.contains("--features"), "{out}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["validate"],
        &["wast"],
        &["validate", "--features"],
        &["validate", "--bogus", "x.wat"],
        &["run"],
        &["run", "--bogus", "x.wat"],
        &["run", "x.wat", "--invoke"],
    ] {
        let o = spindle(args);
        assert_status(&o, 2);
        assert!(
            stderr(&o).starts_with("spindle: "),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    }
}

#[test]
fn unknown_feature_set_is_a_usage_error() {
    let o = spindle(&["validate", "--features", "wasm9", &fixture("valid.wat")]);
    assert_status(&o, 2);
    assert!(
        stderr(&o).contains("unknown feature set `wasm9`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn missing_file_is_an_io_error() {
    let missing = fixture("no-such-file.wasm");
    for command in ["validate", "wast", "run"] {
        let o = spindle(&[command, &missing]);
        assert_status(&o, 2);
        assert!(
            stderr(&o).contains(&format!("cannot read {missing}")),
            "{}",
            stderr(&o)
        );
    }
}

// ---- validate: these need no validator ----

#[test]
fn validate_reports_unparsable_text() {
    let file = fixture("bad-text.wat");
    let o = spindle(&["validate", &file]);
    assert_status(&o, 1);
    let out = stdout(&o);
    assert!(
        out.starts_with(&format!("{file}: malformed text: ")),
        "{out}"
    );
    // wast's location: file, line and column.
    assert!(out.contains(&format!("{file}:1:")), "{out}");
}

// ---- validate: these need the real validator ----

#[test]
fn validate_accepts_a_valid_text_module() {
    let file = fixture("valid.wat");
    let o = spindle(&["validate", &file]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), format!("{file}: valid\n"));
}

#[test]
fn validate_accepts_a_valid_binary_module() {
    // Named .bin: a binary is recognised by its magic number, not only by its name.
    for name in ["empty.wasm", "empty.bin"] {
        let file = scratch(name, EMPTY);
        let o = spindle(&["validate", &file]);
        assert_status(&o, 0);
        assert_eq!(stdout(&o), format!("{file}: valid\n"));
    }
}

#[test]
fn validate_rejects_an_invalid_module() {
    let file = fixture("invalid.wat");
    let o = spindle(&["validate", &file]);
    assert_status(&o, 1);
    let out = stdout(&o);
    assert!(out.starts_with(&format!("{file}: invalid: ")), "{out}");
    assert!(out.contains("(in function 0, at offset 0x"), "{out}");
}

#[test]
fn validate_rejects_a_malformed_binary() {
    let file = scratch("truncated.wasm", MALFORMED);
    let o = spindle(&["validate", &file]);
    assert_status(&o, 1);
    let out = stdout(&o);
    assert!(out.starts_with(&format!("{file}: malformed: ")), "{out}");
}

#[test]
fn validate_follows_the_features_flag() {
    let file = fixture("extend8.wat");
    for (args, code) in [
        (&[][..], 0),
        (&["--features", "wasm2"], 0),
        (&["--features=all"], 0),
        (&["--features", "wasm1"], 1),
    ] {
        let mut all = vec!["validate"];
        all.extend_from_slice(args);
        all.push(&file);
        let o = spindle(&all);
        assert_status(&o, code);
        // Under 1.0 the operator may be reported as unknown (malformed) or as needing a
        // feature (invalid); either way the module is rejected.
        let out = stdout(&o);
        let ok = if code == 0 {
            out == format!("{file}: valid\n")
        } else {
            out.starts_with(&format!("{file}: invalid: "))
                || out.starts_with(&format!("{file}: malformed: "))
        };
        assert!(ok, "{args:?}: {out}");
    }
}

#[test]
fn validate_gives_one_verdict_per_file() {
    let (valid, invalid) = (fixture("valid.wat"), fixture("invalid.wat"));
    let o = spindle(&["validate", &valid, &invalid]);
    assert_status(&o, 1);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0], format!("{valid}: valid"));
    assert!(
        lines[1].starts_with(&format!("{invalid}: invalid: ")),
        "{out}"
    );
}

// ---- wast ----

#[test]
fn wast_counts_text_level_and_skipped_directives() {
    // Needs no validator: the one checked directive is rejected by the text parser.
    let file = fixture("text-only.wast");
    let o = spindle(&["wast", &file]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "1 passed, 0 failed, 2 skipped\n");
}

#[test]
fn wast_reports_an_unparsable_script() {
    let file = scratch(
        "unparsable.wast",
        b"(module)\n(assert_return (invoke \"f\")\n",
    );
    let o = spindle(&["wast", &file]);
    assert_status(&o, 1);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("{file}:")) && out.contains(": script: cannot parse"),
        "{out}"
    );
    assert!(out.ends_with("0 passed, 1 failed\n"), "{out}");
}

#[test]
fn wast_passes_a_correct_script() {
    let file = fixture("passing.wast");
    let o = spindle(&["wast", &file]);
    assert_status(&o, 0);
    // module (validated, then instantiated), assert_return, assert_invalid, two
    // assert_malformed.
    assert_eq!(stdout(&o), "6 passed, 0 failed\n");
}

#[test]
fn wast_reports_each_failing_directive() {
    let file = fixture("failing.wast");
    let o = spindle(&["wast", &file]);
    assert_status(&o, 1);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            &format!(
                "{file}:4: assert_invalid: accepted but expected rejection (\"type mismatch\")"
            ),
            &format!("{file}:9: assert_trap: returned [] but expected a trap \"unreachable\""),
            "2 passed, 2 failed, 1 skipped",
        ],
        "{out}"
    );
}

#[test]
fn wast_runs_several_scripts_with_one_total() {
    let (passing, text_only) = (fixture("passing.wast"), fixture("text-only.wast"));
    let o = spindle(&["wast", "--features", "wasm3", &passing, &text_only]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "7 passed, 0 failed, 2 skipped\n");
}

#[test]
fn wast_executes_and_reports_wrong_results() {
    let file = scratch(
        "exec.wast",
        b"(module (func (export \"f\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))\n\
          (assert_return (invoke \"f\" (i32.const 21)) (i32.const 42))\n\
          (assert_return (invoke \"f\" (i32.const 1)) (i32.const 3))\n",
    );
    let o = spindle(&["wast", &file]);
    assert_status(&o, 1);
    assert_eq!(
        stdout(&o),
        format!(
            "{file}:3: assert_return: returned [i32:2] but expected [i32:3]\n3 passed, 1 failed\n"
        )
    );
}

#[test]
fn wast_counts_unsupported_modules_apart() {
    // A function past a limit of the translator: 33,000 `v128` locals take 66,000
    // registers, a frame holds at most 65,535.
    let script = format!(
        "(module (func (export \"f\") (param i32) (result i32) (local{}) (local.get 0)))\n\
          (assert_return (invoke \"f\" (i32.const 1)) (i32.const 1))\n",
        " v128".repeat(33_000)
    );
    let file = scratch("unsupported.wast", script.as_bytes());
    let o = spindle(&["wast", "--features", "all", &file]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "1 passed, 0 failed, 2 unsupported\n");
}

// ---- run ----

#[test]
fn run_calls_main_by_default() {
    // `main` calls spectest's print_i32, which prints as the spec interpreter does.
    let o = spindle(&["run", &fixture("run.wat")]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "42 : i32\n7\n");
}

#[test]
fn run_prefers_start_to_main() {
    let file = scratch(
        "start.wat",
        b"(module (func (export \"main\") (result i32) (i32.const 1))\n\
                  (func (export \"_start\") (result i32) (i32.const 2)))",
    );
    let o = spindle(&["run", &file]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "2\n");
}

#[test]
fn run_invokes_with_typed_arguments() {
    let file = fixture("run.wat");
    for (args, out) in [
        (&["--invoke", "add", "2", "3"][..], "5\n"),
        // Negative arguments are arguments, not options; results are signed.
        (&["--invoke", "add", "-2", "-3"], "-5\n"),
        (&["--invoke", "add", "4294967295", "0"], "-1\n"),
        (&["--invoke=add", "0x10", "1"], "17\n"),
        (&["--invoke", "div", "-7", "2"], "-3\n"),
        (
            &["--invoke", "mixed", "-9223372036854775808", "2.5"],
            "-9223372036854775808\n2.5\n0.5\n",
        ),
        (&["--invoke", "sqrt", "-1"], "NaN\n"),
        (&["--invoke", "sqrt", "0.25"], "0.5\n"),
    ] {
        let mut all = vec!["run", &file];
        all.extend_from_slice(args);
        let o = spindle(&all);
        assert_status(&o, 0);
        assert_eq!(stdout(&o), out, "{args:?}");
    }
    // Options may also come before FILE.
    let o = spindle(&["run", "--invoke", "add", &file, "1", "1"]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "2\n");
}

#[test]
fn run_reports_a_trap_and_exits_1() {
    let o = spindle(&["run", &fixture("run.wat"), "--invoke", "div", "1", "0"]);
    assert_status(&o, 1);
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    // The trap, then the Wasm frames it stopped (offset, function).
    assert_eq!(
        stderr(&o),
        "trap: integer divide by zero\n    0: 0x7c - func[2]\n"
    );
    // A trap in the start function, during instantiation.
    let o = spindle(&["run", &fixture("start-trap.wat")]);
    assert_status(&o, 1);
    assert_eq!(stderr(&o), "trap: unreachable\n    0: 0x1a - start\n");
}

#[test]
fn run_takes_a_binary_module() {
    // (module (func (export "add") (param i32 i32) (result i32)
    //   local.get 0 local.get 1 i32.add))
    let wasm = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f,
        0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,
        0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
    ];
    let file = scratch("add.wasm", &wasm);
    let o = spindle(&["run", &file, "--invoke", "add", "40", "2"]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "42\n");
}

#[test]
fn run_usage_errors_exit_2() {
    let file = fixture("run.wat");
    for (args, message) in [
        (&["--invoke", "nope"][..], "exports no function `nope`"),
        (
            &["--invoke", "add", "1"],
            "`add` takes 2 arguments (i32 i32), 1 given",
        ),
        (
            &["--invoke", "add", "1", "x"],
            "cannot read `x` as an argument of type i32",
        ),
        (
            &["--invoke", "add", "1", "4294967296"],
            "cannot read `4294967296` as an argument of type i32",
        ),
    ] {
        let mut all = vec!["run", &file];
        all.extend_from_slice(args);
        let o = spindle(&all);
        assert_status(&o, 2);
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
    let o = spindle(&["run", &fixture("valid.wat")]);
    assert_status(&o, 2);
    assert!(
        stderr(&o).contains("exports no `_start` or `main` function"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_rejects_bad_modules_with_1() {
    // Invalid.
    let file = fixture("invalid.wat");
    let o = spindle(&["run", &file]);
    assert_status(&o, 1);
    assert!(
        stderr(&o).starts_with(&format!("{file}: invalid: ")),
        "{}",
        stderr(&o)
    );
    // Imports something no one defines.
    let file = scratch(
        "import.wat",
        b"(module (import \"env\" \"f\" (func)) (func (export \"main\")))",
    );
    let o = spindle(&["run", &file]);
    assert_status(&o, 1);
    assert!(stderr(&o).contains("unknown import"), "{}", stderr(&o));
}

#[test]
fn inspect_prints_the_register_bytecode_per_function() {
    let o = spindle(&["inspect", "--ir", &fixture("run.wat")]);
    assert_status(&o, 0);
    let out = stdout(&o);
    assert!(
        out.starts_with("func 1 [I32, I32] -> [I32]"),
        "imports come first: {out}"
    );
    assert!(out.contains("registers:"), "{out}");
    assert!(out.contains("Return src="), "{out}");
    let o = spindle(&["inspect", &fixture("run.wat")]);
    assert_status(&o, 2);
}

// ---- components ----

fn guest(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/components")
        .join(path)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn run_calls_a_component_function_with_wave_arguments() {
    let json = guest("json-processor/json-processor.wasm");
    let o = spindle(&[
        "run",
        &json,
        "--invoke",
        r#"format("{\"b\":1,\"a\":[true,null]}", some({indent: 2, sort-keys: true}))"#,
    ]);
    assert_status(&o, 0);
    assert_eq!(
        stdout(&o),
        "ok(\"{\\n  \\\"a\\\": [\\n    true,\\n    null\\n  ],\\n  \\\"b\\\": 1\\n}\")\n"
    );
    let o = spindle(&["run", &json, "--invoke", r#"minify("[1,")"#]);
    assert_status(&o, 0);
    assert!(stdout(&o).starts_with("err(\""), "{}", stdout(&o));
    let o = spindle(&[
        "run",
        &guest("composed/composed.wasm"),
        "--invoke",
        r#"run("Ada", 2, 3)"#,
    ]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "\"Hello, Ada! 5\"\n");
    // Arguments that do not fit the function's type are a usage error.
    let o = spindle(&["run", &json, "--invoke", "minify(42)"]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("--invoke"), "{}", stderr(&o));
}

#[test]
fn inspect_wit_prints_each_guests_wit() {
    for name in [
        "json-processor/json-processor",
        "kv-store/kv-store",
        "plugin/plugin",
        "utf16/utf16",
        "composed/app",
        "composed/provider",
        "composed/composed",
    ] {
        let wasm = guest(&format!("{name}.wasm"));
        let o = spindle(&["inspect", "--wit", &wasm]);
        assert_status(&o, 0);
        let expected = std::fs::read_to_string(guest(&format!("{name}.wit.expected"))).unwrap();
        assert_eq!(stdout(&o), expected, "{name}");
    }
    // A component that is not valid is refused by Spindle's validator, with the reason.
    let bad = scratch("bad.wat", b"(component (export \"f\" (func 0)))");
    let o = spindle(&["inspect", "--wit", &bad]);
    assert_status(&o, 1);
    assert!(stderr(&o).contains("invalid component"), "{}", stderr(&o));
}

// ---- WASI: preview-1 modules and WASI 0.2 components ----

fn wasi_guest(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/wasi")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

/// The guests' two forms: preview-1 modules and the same adapted to WASI 0.2 components.
const FORMS: [&str; 2] = [".wasm", ".component.wasm"];

#[test]
fn run_executes_a_wasi_command_with_its_arguments_environment_and_exit_status() {
    for form in FORMS {
        let hello = wasi_guest(&format!("hello{form}"));
        let basics = wasi_guest(&format!("basics{form}"));
        let o = spindle(&["run", &hello, "Ada"]);
        assert_status(&o, 0);
        assert_eq!(stdout(&o), "Hello, Ada!\n");
        let o = spindle(&["run", &hello]);
        assert_eq!(stdout(&o), "Hello, world!\n");
        let o = spindle(&["run", "--env", "X=y z", &basics, "env", "X"]);
        assert_eq!(stdout(&o), "y z\n");
        // The preview-1 adapter turns every failing status into `exit(err)`: 1.
        let o = spindle(&["run", &basics, "exit", "7"]);
        assert_status(&o, if form == ".wasm" { 7 } else { 1 });
        let o = spindle(&["run", &basics, "stderr", "to stderr"]);
        assert_eq!(stderr(&o), "to stderr\n");
        // Out of fuel is a trap, not a hang or an exit status.
        let o = spindle(&["run", "--fuel", "1000", &hello]);
        assert_status(&o, 1);
        assert!(stderr(&o).contains("fuel"), "{form}: {}", stderr(&o));
    }
}

#[test]
fn run_gives_a_wasi_command_preopened_directories_and_nothing_outside() {
    for form in FORMS {
        let root =
            std::env::temp_dir().join(format!("spindle-cli-dir{form}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::write(root.join("secret"), "outside").unwrap();
        let dir = format!("{}::/data", root.join("data").display());
        let files = wasi_guest(&format!("files{form}"));
        let run = |args: &[&str]| {
            let mut all = vec!["run", "--dir", &dir, &files];
            all.extend_from_slice(args);
            spindle(&all)
        };
        assert_status(&run(&["write", "/data/a.txt", "hello"]), 0);
        assert_eq!(
            std::fs::read_to_string(root.join("data/a.txt")).unwrap(),
            "hello"
        );
        assert_eq!(stdout(&run(&["cat", "/data/a.txt"])), "hello");
        assert_status(&run(&["mkdir", "/data/sub"]), 0);
        assert_eq!(stdout(&run(&["ls", "/data"])), "a.txt\nsub\n");
        let o = run(&["try", "/data/../secret"]);
        assert_status(&o, 1);
        assert_ne!(stdout(&o), "ok\n");
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn run_bounds_fuel_memory_and_time() {
    let wat = scratch(
        "limits.wat",
        br#"(module (memory 1)
              (func (export "spin") (loop (br 0)))
              (func (export "grow") (result i32) (memory.grow (i32.const 100))))"#,
    );
    let o = spindle(&["run", "--fuel", "100000", &wat, "--invoke", "spin"]);
    assert_status(&o, 1);
    assert!(stderr(&o).contains("fuel"), "{}", stderr(&o));
    let started = std::time::Instant::now();
    let o = spindle(&["run", "--timeout", "200ms", &wat, "--invoke", "spin"]);
    assert_status(&o, 1);
    assert!(stderr(&o).contains("interrupt"), "{}", stderr(&o));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let o = spindle(&["run", "--max-memory", "1MiB", &wat, "--invoke", "grow"]);
    assert_eq!(stdout(&o), "-1\n");
    let o = spindle(&["run", "--max-memory=64MiB", &wat, "--invoke", "grow"]);
    assert_eq!(stdout(&o), "1\n");
    let o = spindle(&["run", "--max-memory", "lots", &wat, "--invoke", "grow"]);
    assert_status(&o, 2);
}

#[test]
fn run_invokes_an_export_of_a_wasi_reactor_after_its_initializer() {
    let o = spindle(&[
        "run",
        &wasi_guest("reactor.wasm"),
        "--invoke",
        "add",
        "2",
        "3",
    ]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "adding 2 and 3\n105\n");
}

#[test]
fn preview_1_poll_waits_for_standard_input_or_the_clock() {
    // Subscriptions: a relative clock of CLOCK ns (userdata 1), reading fd 0 (userdata 2);
    // `run` returns the first event's userdata.
    let wat = |clock_ns: u64| {
        format!(
            r#"(module
              (import "wasi_snapshot_preview1" "poll_oneoff"
                (func $p (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "run") (result i64)
                (i64.store (i32.const 0) (i64.const 1))
                (i32.store8 (i32.const 8) (i32.const 0))
                (i32.store (i32.const 16) (i32.const 1))
                (i64.store (i32.const 24) (i64.const {clock_ns}))
                (i64.store (i32.const 48) (i64.const 2))
                (i32.store8 (i32.const 56) (i32.const 1))
                (i32.store (i32.const 64) (i32.const 0))
                (drop (call $p (i32.const 0) (i32.const 200) (i32.const 2) (i32.const 400)))
                (i64.load (i32.const 200))))"#
        )
    };
    let run = |file: &str, data_after: Option<std::time::Duration>| {
        // Measured from before the spawn: the child's clock cannot start earlier, so the
        // lower bound below holds however the two processes are scheduled.
        let started = std::time::Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_spindle"))
            .args(["run", file, "--invoke", "run"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        if let Some(after) = data_after {
            std::thread::sleep(after);
            use std::io::Write;
            stdin.write_all(b"x").unwrap();
        }
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        (stdout(&out), started.elapsed())
    };
    // Input arrives after 200 ms, long before the 30 s clock: the read event.
    let long = scratch("poll-stdin.wat", wat(30_000_000_000).as_bytes());
    let (out, took) = run(&long, Some(std::time::Duration::from_millis(200)));
    assert_eq!(out, "2\n");
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    // No input (the pipe stays open): the 100 ms clock fires.
    let short = scratch("poll-clock.wat", wat(100_000_000).as_bytes());
    let (out, took) = run(&short, None);
    assert_eq!(out, "1\n");
    assert!(took >= std::time::Duration::from_millis(100), "{took:?}");
}

#[test]
fn wast_takes_a_spec_folders_features_and_spectest_has_table64() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests/folders");
    for folder in ["wasm-v1", "mine"] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        // Two results are Wasm 1.0's "type mismatch", valid since 2.0.
        std::fs::write(
            dir.join(folder).join("multi.wast"),
            r#"(assert_invalid (module (func (result i32 i32) (i32.const 0) (i32.const 1))) "type mismatch")"#,
        )
        .unwrap();
    }
    let v1 = dir.join("wasm-v1/multi.wast");
    let mine = dir.join("mine/multi.wast");
    assert_status(&spindle(&["wast", v1.to_str().unwrap()]), 0);
    assert_status(&spindle(&["wast", mine.to_str().unwrap()]), 1);
    assert_status(
        &spindle(&["wast", "--features", "wasm1", mine.to_str().unwrap()]),
        0,
    );
    let t64 = scratch(
        "table64.wast",
        br#"(module (import "spectest" "table64" (table i64 10 20 funcref))
              (func (export "size") (result i64) (table.size 0)))
            (assert_return (invoke "size") (i64.const 10))"#,
    );
    let o = spindle(&["wast", &t64]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "3 passed, 0 failed\n");
}

/// `--translation lazy-unchecked` creates a module whose unused function is invalid and runs
/// the valid export; calling the invalid one fails then (exit 1, the validation error);
/// eager translation rejects the module up front; an unknown mode is a usage error.
#[test]
fn run_translation_modes() {
    let wat = r#"(module
      (func (export "ok") (result i32) (i32.const 41) (i32.const 1) (i32.add))
      (func (export "bad") (result i32) (i64.const 0)))"#;
    let file = scratch("translation.wat", wat.as_bytes());
    let o = spindle(&[
        "run",
        "--translation",
        "lazy-unchecked",
        &file,
        "--invoke",
        "ok",
    ]);
    assert_status(&o, 0);
    assert_eq!(stdout(&o), "42\n");
    let o = spindle(&[
        "run",
        "--translation=lazy-unchecked",
        &file,
        "--invoke",
        "bad",
    ]);
    assert_status(&o, 1);
    assert!(stderr(&o).contains("type mismatch"), "{}", stderr(&o));
    for mode in ["eager", "lazy"] {
        let o = spindle(&["run", "--translation", mode, &file, "--invoke", "ok"]);
        assert!(!o.status.success(), "{mode}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("type mismatch"),
            "{mode}: {}",
            stderr(&o)
        );
    }
    let o = spindle(&["run", "--translation", "sometimes", &file]);
    assert_status(&o, 2);
}

/// `--parallel-compilation on|off` (on by default) runs the same module either way; any
/// other value is a usage error.
#[test]
fn run_parallel_compilation_switch() {
    let wat =
        r#"(module (func (export "ok") (result i32) (i32.const 41) (i32.const 1) (i32.add)))"#;
    let file = scratch("parallel.wat", wat.as_bytes());
    for switch in ["on", "off"] {
        let o = spindle(&[
            "run",
            "--parallel-compilation",
            switch,
            &file,
            "--invoke",
            "ok",
        ]);
        assert_status(&o, 0);
        assert_eq!(stdout(&o), "42\n");
    }
    let o = spindle(&[
        "run",
        "--parallel-compilation=maybe",
        &file,
        "--invoke",
        "ok",
    ]);
    assert_status(&o, 2);
    assert!(stderr(&o).contains("expected on or off"), "{}", stderr(&o));
}
