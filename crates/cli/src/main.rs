//! `spindle`: Spindle's command-line tool.
//!
//! Exit status: 0 when everything is valid / every directive passed / the function
//! returned, 1 when a module is rejected, a directive failed or a call trapped, 2 on a
//! usage or I/O error.

#![forbid(unsafe_code)]

mod component;

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use spindle::{Engine, Linker, Module, Store, Val, ValType};
use spindle_validate::{validate, Features};

const USAGE: &str = "\
spindle: Spindle's command-line tool

Usage:
  spindle validate [--features SET] FILE...
      Decode and validate modules: FILE is a binary module (.wasm) or a text one
      (.wat, or a .wast holding one module). Prints `FILE: valid`, or why it is not.
  spindle wast [--features SET] FILE...
      Run spec-test scripts, every directive, with the `spectest` host module (scripts
      of components run through the component layer). Prints
      each failing directive, then `N passed, N failed`, and how many were skipped
      (not run yet) or unsupported (the translator cannot take their module yet).
  spindle run [--features SET] FILE [--invoke NAME] [ARG...]
      Instantiate FILE (.wasm or .wat; its only imports may come from `spectest`) and
      call the export NAME (default `_start`, else `main`) with the ARGs, read by the
      export's parameter types (integers in decimal or 0x-hex, floats as Rust reads
      them, `null` for a null reference). Prints each result on its own line: integers
      as signed decimals, floats as Rust prints them, v128 as 0x-hex. On a trap, prints
      its message to stderr and exits with 1.
  spindle run [--dir HOST[::GUEST]]... [--env NAME=VALUE]... [--inherit-env]
              [--allow-tcp IP:PORT]... [--allow-udp IP:PORT]...
              [--fuel N] [--max-memory SIZE] [--timeout DURATION]
              [--translation MODE] [--parallel-compilation on|off] WASI_COMMAND [ARG...]
      Run a WASI command: a preview-1 module (importing `wasi_snapshot_preview1`: its
      `_start`) or a WASI 0.2 component (its `wasi:cli/run`), with ARGs as its
      arguments after FILE, standard streams inherited, the environment given by --env
      (and the host's with --inherit-env), the host directory HOST visible as GUEST
      (default: the same path; nothing outside it is reachable), and the network only
      at the addresses --allow-tcp/--allow-udp name (port 0: any port of that IP;
      components only, preview 1 has no sockets); its exit status is spindle's.
      --translation eager|lazy|lazy-unchecked picks when bodies are translated (lazy:
      at first call; lazy-unchecked: also validated then, an invalid body reported at
      its call); --parallel-compilation off compiles a big module on one thread instead
      of every core (less memory, slower start). --fuel, --max-memory (e.g. 64MiB) and --timeout (e.g. 10s, 500ms) bound the run
      (also with --invoke); past them the guest traps. With --invoke NAME ARGS, a WASI
      module (a reactor) gets WASI too: `_initialize` runs, then NAME.
  spindle run COMPONENT --invoke 'NAME(ARGS)'
      Instantiate a component (binary or text; WASI 0.2 is linked for its imports, with
      the options above) and call its function NAME (a root export, or a function of an
      exported interface) with ARGS in the WAVE text format, e.g.
      --invoke 'minify(\"[1, 2]\")'. Prints each result in WAVE.
  spindle inspect --ir [--features SET] FILE
      Print the register bytecode Spindle runs, per function (lazily translated
      functions are translated for this).
  spindle inspect --wit COMPONENT
      Print the WIT of a component (binary or text): the world of its imports and
      exports, with the interfaces and types they use.
  spindle --help
      Print this help.

Options:
  --features SET   wasm1, wasm2, wasm3 (the default) or all; `spindle wast` without it
                   runs each script with its folder's features when the folder is a
                   spec suite's (wasm-v1, wasm-v2, threads, memory64, ...)

Exit status: 0 on success, 1 if a module is rejected, a directive fails or a call
traps, 2 on a usage or I/O error.
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
        "run" => run_export(rest),
        "inspect" => inspect(rest),
        other => Err(Fatal(format!("unknown command `{other}`"))),
    }
}

struct Options {
    /// `--features`; when not given, each script gets its folder's (the spec suite's
    /// folder names: `wasm-v1` is Wasm 1.0, `threads` adds threads to it, ...; any other
    /// folder: Wasm 3.0).
    features: Option<Features>,
    files: Vec<String>,
}

/// The options after the command; `None` when help was asked for.
fn parse_options(args: &[String]) -> Result<Option<Options>, Fatal> {
    let mut options = Options {
        features: None,
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
            options.features = Some(parse_features(set)?);
        } else if let Some(set) = arg.strip_prefix("--features=") {
            options.features = Some(parse_features(set)?);
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
            Ok(binary) => match validate(
                &binary,
                options.features.as_ref().unwrap_or(&Features::wasm3()),
            ) {
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
    let (mut passed, mut failed, mut skipped, mut unsupported) = (0u64, 0u64, 0u64, 0u64);
    for file in &options.files {
        let bytes = read(file)?;
        let text =
            String::from_utf8(bytes).map_err(|_| Fatal(format!("{file} is not UTF-8 text")))?;
        // A script of components (the Component Model's reference tests) runs through the
        // component layer; any other through the core runner.
        let report = if text.contains("(component") {
            spindle_spec_tests::component::run_component_script(file, &text)
        } else {
            let features = options.features.unwrap_or_else(|| {
                let folder = std::path::Path::new(file)
                    .parent()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                spindle_spec_tests::suite_features(&folder)
            });
            spindle_spec_tests::run_script(file, &text, &features)
        };
        for d in &report.directives {
            match &d.outcome {
                spindle_spec_tests::Outcome::Passed
                | spindle_spec_tests::Outcome::PassedTextLevel => passed += 1,
                spindle_spec_tests::Outcome::NotRun => skipped += 1,
                spindle_spec_tests::Outcome::Unsupported(_) => unsupported += 1,
                spindle_spec_tests::Outcome::Failed(why)
                | spindle_spec_tests::Outcome::WrongMessage(why) => {
                    failed += 1;
                    println!("{file}:{}: {}: {why}", d.line, d.kind);
                }
            }
        }
    }
    let mut summary = format!("{passed} passed, {failed} failed");
    if skipped > 0 {
        summary.push_str(&format!(", {skipped} skipped"));
    }
    if unsupported > 0 {
        summary.push_str(&format!(", {unsupported} unsupported"));
    }
    println!("{summary}");
    Ok(failed == 0)
}

/// What `spindle run` was asked.
struct RunOptions {
    features: Features,
    file: String,
    invoke: Option<String>,
    args: Vec<String>,
    /// WASI: environment variables given (`--env`), and whether the host's are inherited.
    env: Vec<(String, String)>,
    inherit_env: bool,
    /// WASI: preopened directories (`--dir HOST[::GUEST]`): host path, guest path.
    dirs: Vec<(String, String)>,
    /// WASI: addresses the guest may bind, connect and send to (`--allow-tcp`,
    /// `--allow-udp`).
    allow_tcp: Vec<std::net::SocketAddr>,
    allow_udp: Vec<std::net::SocketAddr>,
    /// Limits: fuel for the run, the largest memory, the wall-clock time.
    fuel: Option<u64>,
    max_memory: Option<u64>,
    timeout: Option<std::time::Duration>,
    /// `--translation eager|lazy|lazy-unchecked`: when function bodies are translated
    /// (and, for `lazy-unchecked`, validated).
    translation: spindle::Translation,
    /// `--parallel-compilation on|off`: a big module's bodies compiled on every core.
    parallel_compilation: bool,
}

/// A size: bytes, or with a unit (`K`/`KiB`, `M`/`MiB`, `G`/`GiB`, powers of 1024).
fn parse_size(s: &str) -> Result<u64, Fatal> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| Fatal(format!("`{s}` is not a size (e.g. 64MiB)")))?;
    let mul = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(Fatal(format!("`{s}`: unknown size unit"))),
    };
    n.checked_mul(mul)
        .ok_or_else(|| Fatal(format!("`{s}` is too large")))
}

/// A duration: a number with `ms`, `s` (the default), `m` or `h`.
fn parse_duration(s: &str) -> Result<std::time::Duration, Fatal> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| Fatal(format!("`{s}` is not a duration (e.g. 10s)")))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(Fatal(format!("`{s}`: unknown duration unit"))),
    };
    std::time::Duration::try_from_secs_f64(secs).map_err(|_| Fatal(format!("`{s}`: bad duration")))
}

/// The options of `spindle run`; `None` when help was asked for. Before FILE, only
/// options; after it, `--invoke NAME` (and `--`) are options and everything else,
/// `-5` included, is an argument.
fn parse_run_options(args: &[String]) -> Result<Option<RunOptions>, Fatal> {
    let mut features = Features::wasm3();
    let mut file = None;
    let mut invoke = None;
    let mut call_args = Vec::new();
    let mut env = Vec::new();
    let mut inherit_env = false;
    let mut dirs = Vec::new();
    let (mut allow_tcp, mut allow_udp) = (Vec::new(), Vec::new());
    let mut fuel = None;
    let mut max_memory = None;
    let mut timeout = None;
    let mut translation = spindle::Translation::Eager;
    let mut parallel_compilation = true;
    let mut only_args = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if only_args {
            if file.is_none() {
                file = Some(arg.clone());
            } else {
                call_args.push(arg.clone());
            }
        } else if arg == "--" {
            only_args = true;
        } else if arg == "--invoke" {
            let name = args
                .next()
                .ok_or_else(|| Fatal("--invoke needs a NAME".into()))?;
            invoke = Some(name.clone());
        } else if let Some(name) = arg.strip_prefix("--invoke=") {
            invoke = Some(name.to_string());
        } else if file.is_some() {
            call_args.push(arg.clone());
        } else if arg == "-h" || arg == "--help" {
            return Ok(None);
        } else if arg == "--features" {
            let set = args
                .next()
                .ok_or_else(|| Fatal("--features needs a value".into()))?;
            features = parse_features(set)?;
        } else if let Some(set) = arg.strip_prefix("--features=") {
            features = parse_features(set)?;
        } else if arg == "--inherit-env" {
            inherit_env = true;
        } else if let Some(flag) = [
            "--fuel",
            "--max-memory",
            "--timeout",
            "--allow-tcp",
            "--allow-udp",
            "--translation",
            "--parallel-compilation",
            "--env",
            "--dir",
        ]
        .into_iter()
        .find(|f| arg == f || arg.starts_with(&format!("{f}=")))
        {
            let value = match arg.strip_prefix(&format!("{flag}=")) {
                Some(v) => v.to_string(),
                None => args
                    .next()
                    .ok_or_else(|| Fatal(format!("{flag} needs a value")))?
                    .clone(),
            };
            match flag {
                "--fuel" => {
                    fuel = Some(value.parse().map_err(|_| {
                        Fatal(format!("--fuel {value}: not a number of fuel units"))
                    })?)
                }
                "--max-memory" => max_memory = Some(parse_size(&value)?),
                "--timeout" => timeout = Some(parse_duration(&value)?),
                "--translation" => {
                    translation = match value.as_str() {
                        "eager" => spindle::Translation::Eager,
                        "lazy" => spindle::Translation::Lazy,
                        "lazy-unchecked" => spindle::Translation::LazyUnchecked,
                        other => {
                            return Err(Fatal(format!(
                                "--translation {other}: expected eager, lazy or lazy-unchecked"
                            )))
                        }
                    }
                }
                "--parallel-compilation" => {
                    parallel_compilation = match value.as_str() {
                        "on" => true,
                        "off" => false,
                        other => {
                            return Err(Fatal(format!(
                                "--parallel-compilation {other}: expected on or off"
                            )))
                        }
                    }
                }
                "--env" => {
                    let (name, value) = value
                        .split_once('=')
                        .ok_or_else(|| Fatal(format!("--env {value}: expected NAME=VALUE")))?;
                    env.push((name.to_string(), value.to_string()));
                }
                "--dir" => dirs.push(match value.split_once("::") {
                    Some((h, g)) => (h.to_string(), g.to_string()),
                    None => (value.clone(), value.clone()),
                }),
                _ => {
                    let addr: std::net::SocketAddr = value.parse().map_err(|_| {
                        Fatal(format!(
                            "{flag} {value}: expected IP:PORT (port 0: any port)"
                        ))
                    })?;
                    if flag == "--allow-tcp" {
                        allow_tcp.push(addr)
                    } else {
                        allow_udp.push(addr)
                    }
                }
            }
        } else if arg.starts_with('-') && arg != "-" {
            return Err(Fatal(format!("unknown option `{arg}`")));
        } else {
            file = Some(arg.clone());
        }
    }
    let file = file.ok_or_else(|| Fatal("`spindle run` needs a FILE".into()))?;
    Ok(Some(RunOptions {
        features,
        file,
        invoke,
        args: call_args,
        env,
        inherit_env,
        dirs,
        allow_tcp,
        allow_udp,
        fuel,
        max_memory,
        timeout,
        translation,
        parallel_compilation,
    }))
}

/// `spindle run`: instantiate, call one export, print its results.
fn run_export(args: &[String]) -> Result<bool, Fatal> {
    let Some(options) = parse_run_options(args)? else {
        print!("{USAGE}");
        return Ok(true);
    };
    let file = &options.file;
    let binary = match module_bytes(file, read(file)?) {
        Ok(b) => b,
        Err(why) => {
            eprintln!("{file}: {why}");
            return Ok(false);
        }
    };
    if component::is_component(&binary) {
        return component::run(file, &binary, &options).map_err(Fatal);
    }
    let mut config = spindle::Config::new();
    config
        .features(options.features)
        .translation(options.translation)
        .parallel_compilation(options.parallel_compilation)
        .consume_fuel(options.fuel.is_some())
        .epoch_interruption(options.timeout.is_some());
    let engine = Engine::new(&config).map_err(|e| Fatal(e.to_string()))?;
    let module = match Module::new(&engine, &binary) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{file}: {e}");
            return Ok(false);
        }
    };
    // The module keeps what it needs (its code, or its bytes when translation is lazy):
    // the file's bytes would only add their size to the run's peak memory.
    drop(binary);
    if module
        .imports()
        .any(|i| i.module() == "wasi_snapshot_preview1")
    {
        return run_wasi_command(&engine, &module, &options);
    }
    let mut store = Store::new(&engine, limits(&options));
    apply_limits(&mut store, &engine, &options, |t| t)?;
    let mut linker = Linker::new(&engine);
    spindle_spec_tests::exec::define_spectest(&mut store, &mut linker, true)
        .map_err(|e| Fatal(format!("cannot define the spectest module: {e}")))?;
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(i) => i,
        Err(e) => {
            report_error(file, &e);
            return Ok(false);
        }
    };
    let name = match &options.invoke {
        Some(name) => name.clone(),
        None => ["_start", "main"]
            .into_iter()
            .find(|n| instance.get_func(&store, n).is_some())
            .ok_or_else(|| {
                Fatal(format!(
                    "{file} exports no `_start` or `main` function: name one with --invoke"
                ))
            })?
            .to_string(),
    };
    call_export(&mut store, &instance, file, &name, &options.args)
}

/// Calls export `name` of `instance` with `args` read by its parameter types, and prints
/// each result on its own line; a trap is reported (`Ok(false)`).
fn call_export<T: 'static>(
    store: &mut Store<T>,
    instance: &spindle::Instance,
    file: &str,
    name: &str,
    args: &[String],
) -> Result<bool, Fatal> {
    let func = instance
        .get_func(&*store, name)
        .ok_or_else(|| Fatal(format!("{file} exports no function `{name}`")))?;
    let ty = func.ty(&*store);
    if args.len() != ty.params.len() {
        return Err(Fatal(format!(
            "`{name}` takes {} arguments ({}), {} given",
            ty.params.len(),
            type_list(&ty.params),
            args.len()
        )));
    }
    let params = args
        .iter()
        .zip(&ty.params)
        .map(|(arg, t)| {
            parse_arg(arg, *t)
                .ok_or_else(|| Fatal(format!("cannot read `{arg}` as an argument of type {t}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut results = vec![Val::I32(0); ty.results.len()];
    match func.call(&mut *store, &params, &mut results) {
        Ok(()) => {
            // What the guest wrote to stdout comes before the results.
            use std::io::Write;
            let _ = std::io::stdout().flush();
            for v in &results {
                println!("{}", format_result(v));
            }
            Ok(true)
        }
        Err(e) => {
            report_error(file, &e);
            Ok(false)
        }
    }
}

/// The store data of a WASI command run.
struct WasiState {
    wasi: spindle_wasi::WasiP1Ctx,
    limits: spindle::StoreLimits,
}

/// The store limits `--max-memory` asks for.
fn limits(options: &RunOptions) -> spindle::StoreLimits {
    let mut b = spindle::StoreLimitsBuilder::new();
    if let Some(bytes) = options.max_memory {
        b = b.memory_size(usize::try_from(bytes).unwrap_or(usize::MAX));
    }
    b.build()
}

/// Fuel (`--fuel`), memory limits (`--max-memory`) and a wall-clock deadline
/// (`--timeout`: a thread ends the epoch when the time is up).
fn apply_limits<T: Send + 'static>(
    store: &mut Store<T>,
    engine: &Engine,
    options: &RunOptions,
    limits: fn(&mut T) -> &mut spindle::StoreLimits,
) -> Result<(), Fatal> {
    if let Some(fuel) = options.fuel {
        store.set_fuel(fuel).map_err(|e| Fatal(e.to_string()))?;
    }
    store.limiter(limits);
    if let Some(t) = options.timeout {
        store.set_epoch_deadline(1);
        store.epoch_deadline_trap();
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(t);
            engine.increment_epoch();
        });
    }
    Ok(())
}

/// The WASI context the options describe: FILE as `argv[0]` and the arguments after it
/// (unless they are `--invoke`'s), standard streams inherited, `--env`, `--inherit-env`,
/// `--dir`, `--allow-tcp`/`--allow-udp` (nothing else on the network).
fn wasi_builder(options: &RunOptions) -> Result<spindle_wasi::WasiCtxBuilder, Fatal> {
    let mut builder = spindle_wasi::WasiCtxBuilder::new();
    builder.inherit_stdio().arg(&options.file);
    if options.invoke.is_none() {
        builder.args(&options.args);
    }
    if options.inherit_env {
        builder.inherit_env();
    }
    for (name, value) in &options.env {
        builder.env(name, value);
    }
    for (host, guest) in &options.dirs {
        builder
            .preopened_dir(host, guest, spindle_wasi::FsPerms::ReadWrite)
            .map_err(|e| Fatal(format!("--dir {host}: {e}")))?;
    }
    let (tcp, udp) = (options.allow_tcp.clone(), options.allow_udp.clone());
    builder.socket_addr_check(move |addr, usage| {
        use spindle_wasi::SocketAddrUse as U;
        let list = match usage {
            U::TcpBind | U::TcpConnect => &tcp,
            U::UdpBind | U::UdpConnect | U::UdpOutgoingDatagram => &udp,
        };
        list.iter()
            .any(|a| a.ip() == addr.ip() && (a.port() == 0 || a.port() == addr.port()))
    });
    Ok(builder)
}

/// `spindle run` of a WASI preview-1 command: the arguments after FILE are the guest's
/// (FILE is its `argv[0]`), standard streams inherited, `_start` called; the guest's exit
/// status (`proc_exit`) is the process's.
fn run_wasi_command(engine: &Engine, module: &Module, options: &RunOptions) -> Result<bool, Fatal> {
    let file = &options.file;
    let mut builder = wasi_builder(options)?;
    let mut store = Store::new(
        engine,
        WasiState {
            wasi: builder.build_p1(),
            limits: limits(options),
        },
    );
    apply_limits(&mut store, engine, options, |t| &mut t.limits)?;
    let mut linker = Linker::new(engine);
    spindle_wasi::p1::add_to_linker_sync(&mut linker, |t: &mut WasiState| &mut t.wasi)
        .map_err(|e| Fatal(format!("cannot define WASI: {e}")))?;
    let instance = match linker.instantiate(&mut store, module) {
        Ok(i) => i,
        Err(e) => {
            report_error(file, &e);
            return Ok(false);
        }
    };
    if let Some(name) = &options.invoke {
        // A reactor (or a command's other export): `_initialize` first, if there is one,
        // then the export, with the arguments read by its parameter types.
        if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
            if let Err(e) = init.call(&mut store, ()) {
                report_error(file, &e);
                return Ok(false);
            }
        }
        return call_export(&mut store, &instance, file, name, &options.args);
    }
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .map_err(|_| {
            Fatal(format!(
                "{file} is not a WASI command: it exports no `_start`"
            ))
        })?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(true),
        Err(e) => match e.downcast_ref::<spindle::I32Exit>() {
            Some(spindle::I32Exit(0)) => Ok(true),
            Some(spindle::I32Exit(code)) => {
                use std::io::Write;
                let _ = std::io::stdout().flush();
                std::process::exit(*code)
            }
            None => {
                report_error(file, &e);
                Ok(false)
            }
        },
    }
}

/// Prints why instantiating or calling failed: a trap as `trap: <what>` and the Wasm
/// frames it went through, anything else after the file's name.
fn report_error(file: &str, e: &spindle::Error) {
    match e.downcast_ref::<spindle::Trap>() {
        Some(trap) => {
            eprintln!("trap: {trap}");
            if let Some(backtrace) = e.downcast_ref::<spindle::WasmBacktrace>() {
                for (i, frame) in backtrace.frames().iter().enumerate() {
                    eprintln!("  {i:>3}: {frame}");
                }
            }
        }
        None => eprintln!("{file}: {e:#}"),
    }
}

fn type_list(types: &[ValType]) -> String {
    let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    names.join(" ")
}

/// An unsigned integer in decimal or `0x` hex.
fn parse_unsigned(s: &str) -> Option<u128> {
    let s = s.replace('_', "");
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u128::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// A `bits`-bit integer, signed or unsigned, decimal or hex: its bits.
fn parse_int(s: &str, bits: u32) -> Option<u64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let magnitude = parse_unsigned(digits)?;
    let mask = u128::MAX >> (128 - bits);
    if negative {
        // Down to -2^(bits-1).
        if magnitude > (mask >> 1) + 1 {
            return None;
        }
        Some((magnitude.wrapping_neg() & mask) as u64)
    } else if magnitude > mask {
        None
    } else {
        Some(magnitude as u64)
    }
}

/// A command-line argument as a value of type `ty`.
fn parse_arg(s: &str, ty: ValType) -> Option<Val> {
    Some(match ty {
        ValType::I32 => Val::I32(parse_int(s, 32)? as u32 as i32),
        ValType::I64 => Val::I64(parse_int(s, 64)? as i64),
        ValType::F32 => Val::F32(s.parse::<f32>().ok()?.to_bits()),
        ValType::F64 => Val::F64(s.parse::<f64>().ok()?.to_bits()),
        ValType::V128 => Val::V128(parse_unsigned(s)?),
        ValType::Ref(r) if s == "null" && r.nullable => {
            if r == spindle::RefType::EXTERNREF {
                Val::ExternRef(None)
            } else {
                Val::FuncRef(None)
            }
        }
        ValType::Ref(_) => return None,
    })
}

/// A result as `spindle run` prints it.
fn format_result(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::V128(x) => format!("0x{x:032x}"),
        Val::FuncRef(None) => "ref.null func".to_string(),
        Val::FuncRef(Some(_)) => "ref.func".to_string(),
        Val::ExternRef(None) => "ref.null extern".to_string(),
        Val::ExternRef(Some(n)) => format!("ref.extern {n}"),
        Val::ExnRef(None) => "ref.null exn".to_string(),
        Val::ExnRef(Some(_)) => "ref.exn".to_string(),
        Val::AnyRef(None) => "ref.null any".to_string(),
        Val::AnyRef(Some(r)) => match r.kind() {
            spindle::GcKind::I31(v) => format!("ref.i31 {v}"),
            spindle::GcKind::Host(n) => format!("ref.host {n}"),
            spindle::GcKind::Struct => "ref.struct".to_string(),
            spindle::GcKind::Array => "ref.array".to_string(),
        },
    }
}

/// `spindle inspect --wit COMPONENT`: the component's WIT (its imports and exports as a
/// world, with the interfaces and types they use).
fn inspect_wit(args: &[String]) -> Result<bool, Fatal> {
    let files: Vec<&String> = args.iter().filter(|a| a.as_str() != "--wit").collect();
    let [file] = files.as_slice() else {
        return Err(Fatal(
            "`spindle inspect --wit` needs exactly one FILE".into(),
        ));
    };
    let raw = std::fs::read(file).map_err(|e| Fatal(format!("{file}: {e}")))?;
    let bytes = if raw.starts_with(b"\0asm") {
        raw
    } else {
        let text = String::from_utf8(raw).map_err(|_| Fatal(format!("{file}: not a component")))?;
        let buffer =
            wast::parser::ParseBuffer::new(&text).map_err(|e| Fatal(format!("{file}: {e}")))?;
        let mut wat = wast::parser::parse::<wast::Wat<'_>>(&buffer)
            .map_err(|e| Fatal(format!("{file}: {e}")))?;
        wat.encode().map_err(|e| Fatal(format!("{file}: {e}")))?
    };
    // Spindle's validator first: a component it refuses gets its error, with the offset.
    let decoded = spindle_decode::component::Component::parse(&bytes)
        .map_err(|e| Fatal(format!("{file}: malformed component: {e}")))?;
    if let Err(e) = spindle_validate::component::validate_component(&decoded) {
        eprintln!("{file}: invalid component: {e}");
        return Ok(false);
    }
    match wit_component::decode(&bytes) {
        Ok(wit) => {
            // The component's own package, then the packages of the interfaces it uses.
            let nested: Vec<_> = wit
                .resolve()
                .packages
                .iter()
                .map(|(id, _)| id)
                .filter(|id| *id != wit.package())
                .collect();
            let mut printer = wit_component::WitPrinter::default();
            printer
                .print(wit.resolve(), wit.package(), &nested)
                .map_err(|e| Fatal(format!("{file}: {e:#}")))?;
            print!("{}", printer.output);
            Ok(true)
        }
        Err(e) => {
            eprintln!("{file}: no WIT for this component: {e:#}");
            Ok(false)
        }
    }
}

/// `spindle inspect --ir FILE`: the translated register bytecode, per function.
fn inspect(args: &[String]) -> Result<bool, Fatal> {
    if args.iter().any(|a| a == "--wit") {
        return inspect_wit(args);
    }
    let rest: Vec<String> = args
        .iter()
        .filter(|a| a.as_str() != "--ir")
        .cloned()
        .collect();
    if !args.iter().any(|a| a == "--ir") {
        return Err(Fatal(
            "`spindle inspect` needs `--ir` (modules) or `--wit` (components)".into(),
        ));
    }
    let Some(options) = parse_options(&rest)? else {
        print!("{USAGE}");
        return Ok(true);
    };
    let [file] = options.files.as_slice() else {
        return Err(Fatal(
            "`spindle inspect --ir` needs exactly one FILE".into(),
        ));
    };
    let raw = std::fs::read(file).map_err(|e| Fatal(format!("{file}: {e}")))?;
    let bytes = module_bytes(file, raw).map_err(Fatal)?;
    // The portable loop's encoding keeps the opcodes the listing needs (the bytecode is
    // the same under both backends: `Module::disassemble`).
    let engine = Engine::new(
        spindle::Config::new()
            .features(options.features.unwrap_or_else(Features::wasm3))
            .dispatch(spindle::Dispatch::Loop),
    )
    .map_err(|e| Fatal(e.to_string()))?;
    match Module::new(&engine, &bytes) {
        Ok(module) => {
            print!("{}", module.disassemble());
            Ok(true)
        }
        Err(e) => {
            eprintln!("{file}: {e}");
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_read_signed_or_unsigned() {
        assert_eq!(parse_arg("-1", ValType::I32), Some(Val::I32(-1)));
        assert_eq!(parse_arg("4294967295", ValType::I32), Some(Val::I32(-1)));
        assert_eq!(parse_arg("0xffffffff", ValType::I32), Some(Val::I32(-1)));
        assert_eq!(
            parse_arg("-2147483648", ValType::I32),
            Some(Val::I32(i32::MIN))
        );
        assert_eq!(parse_arg("-2147483649", ValType::I32), None);
        assert_eq!(parse_arg("4294967296", ValType::I32), None);
        assert_eq!(parse_arg("1_000", ValType::I64), Some(Val::I64(1000)));
        assert_eq!(
            parse_arg("18446744073709551615", ValType::I64),
            Some(Val::I64(-1))
        );
        assert_eq!(
            parse_arg("-9223372036854775808", ValType::I64),
            Some(Val::I64(i64::MIN))
        );
        assert_eq!(parse_arg("x", ValType::I32), None);
        assert_eq!(parse_arg("", ValType::I32), None);
    }

    #[test]
    fn floats_and_references() {
        assert_eq!(
            parse_arg("1.5", ValType::F32),
            Some(Val::F32(1.5f32.to_bits()))
        );
        assert_eq!(
            parse_arg("-inf", ValType::F64),
            Some(Val::F64(f64::NEG_INFINITY.to_bits()))
        );
        assert_eq!(
            parse_arg("null", ValType::Ref(spindle::RefType::EXTERNREF)),
            Some(Val::ExternRef(None))
        );
        assert_eq!(
            parse_arg("null", ValType::Ref(spindle::RefType::FUNCREF)),
            Some(Val::FuncRef(None))
        );
        assert_eq!(
            parse_arg("3", ValType::Ref(spindle::RefType::FUNCREF)),
            None
        );
    }

    #[test]
    fn results_print_as_plain_numbers() {
        assert_eq!(format_result(&Val::I32(-1)), "-1");
        assert_eq!(format_result(&Val::I64(i64::MIN)), "-9223372036854775808");
        assert_eq!(format_result(&Val::F32(0.1f32.to_bits())), "0.1");
        assert_eq!(format_result(&Val::F64(1.0f64.to_bits())), "1");
        assert_eq!(format_result(&Val::F64((-0.0f64).to_bits())), "-0");
        assert_eq!(format_result(&Val::F32(f32::NAN.to_bits())), "NaN");
        assert_eq!(
            format_result(&Val::V128(1)),
            format!("0x{}1", "0".repeat(31))
        );
    }
}
