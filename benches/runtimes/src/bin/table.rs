//! The execution table: every workload on every runtime in this build, each cell (one
//! runtime, one workload) in its own child process so that a runtime that aborts or hangs
//! costs only its cell. Prints markdown tables of median time per call and of the ratio
//! to a baseline (default `wasmi-eager`), with the geometric mean per runtime.
//!
//! ```text
//! table [--runtimes a,b,..] [--workloads x,y,..] [--samples N] [--rounds R]
//!       [--baseline NAME] [--timeout SECS] [--startup]
//! table --cell RUNTIME WORKLOAD SAMPLES        (internal: one cell, one line on stdout)
//! ```

use spindle_bench_runtimes::{geomean, load_manifest, measure, median, Runtime, Workload};
use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

struct Options {
    runtimes: Vec<Runtime>,
    workloads: Vec<Workload>,
    samples: usize,
    rounds: usize,
    baseline: Option<Runtime>,
    timeout: Duration,
    startup: bool,
}

/// What a cell came to.
#[derive(Clone, Debug)]
enum Outcome {
    /// Not run: the runtime lacks a feature the workload needs.
    NotApplicable,
    /// Samples (from every round), setup and first-call times of the first round.
    Ok {
        samples: Vec<Duration>,
        setup: Duration,
        first: Duration,
    },
    /// Ran, but `run` returned the wrong checksum.
    Wrong(i32),
    /// The runtime reported an error, or the child died or timed out.
    Failed(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--cell") {
        return cell(&args[1..]);
    }
    match parse_options(&args) {
        Ok(opts) => table(&opts),
        Err(e) => {
            eprintln!("table: {e}");
            ExitCode::from(2)
        }
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let all = load_manifest()?;
    let mut opts = Options {
        runtimes: Runtime::available_all(),
        workloads: all.clone(),
        samples: 7,
        rounds: 1,
        baseline: None,
        timeout: Duration::from_secs(600),
        startup: false,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--runtimes" => {
                opts.runtimes = value()?
                    .split(',')
                    .map(|n| Runtime::from_name(n).ok_or(format!("unknown runtime {n}")))
                    .collect::<Result<_, _>>()?;
            }
            "--workloads" => {
                opts.workloads = value()?
                    .split(',')
                    .map(|n| {
                        all.iter()
                            .find(|w| w.name == n)
                            .cloned()
                            .ok_or(format!("unknown workload {n}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--samples" => opts.samples = value()?.parse().map_err(|e| format!("{e}"))?,
            "--rounds" => opts.rounds = value()?.parse().map_err(|e| format!("{e}"))?,
            "--timeout" => {
                opts.timeout = Duration::from_secs(value()?.parse().map_err(|e| format!("{e}"))?)
            }
            "--baseline" => {
                let n = value()?;
                opts.baseline = Some(Runtime::from_name(n).ok_or(format!("unknown runtime {n}"))?);
            }
            "--startup" => opts.startup = true,
            "-h" | "--help" => {
                return Err(
                    "usage: table [--runtimes a,b] [--workloads x,y] [--samples N] \
                     [--rounds R] [--baseline NAME] [--timeout SECS] [--startup]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    for rt in &opts.runtimes {
        if !rt.available() {
            return Err(format!(
                "{} is not in this build (enable its feature)",
                rt.name()
            ));
        }
    }
    if opts.baseline.is_none() {
        opts.baseline = [Runtime::WasmiEager, Runtime::WasmiLazy]
            .into_iter()
            .find(|r| opts.runtimes.contains(r))
            .or(opts.runtimes.first().copied());
    }
    Ok(opts)
}

/// Child mode: measure one cell and print `ok CHECKSUM SETUP_NS FIRST_NS S1 S2 ...`.
fn cell(args: &[String]) -> ExitCode {
    let [rt, wl, samples] = args else {
        eprintln!("usage: table --cell RUNTIME WORKLOAD SAMPLES");
        return ExitCode::from(2);
    };
    let result = (|| {
        let rt = Runtime::from_name(rt).ok_or(format!("unknown runtime {rt}"))?;
        let samples: usize = samples.parse().map_err(|e| format!("{e}"))?;
        let w = load_manifest()?
            .into_iter()
            .find(|w| &w.name == wl)
            .ok_or(format!("unknown workload {wl}"))?;
        let bytes = w.bytes()?;
        measure(rt, &bytes, w.param, samples)
    })();
    match result {
        Ok(m) => {
            let mut line = format!(
                "ok {} {} {}",
                m.checksum,
                m.setup.as_nanos(),
                m.first.as_nanos()
            );
            for s in &m.samples {
                line.push_str(&format!(" {}", s.as_nanos()));
            }
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("error {}", e.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// Runs one cell in a child process.
fn run_cell(rt: Runtime, w: &Workload, samples: usize, timeout: Duration) -> Outcome {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return Outcome::Failed(format!("current_exe: {e}")),
    };
    let mut child = match Command::new(exe)
        .args(["--cell", rt.name(), &w.name, &samples.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("spawn: {e}")),
    };
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("timeout after {} s", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => break Err(format!("wait: {e}")),
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let status = match status {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(e),
    };
    let line = stdout.lines().last().unwrap_or("");
    if let Some(rest) = line.strip_prefix("ok ") {
        let nums: Vec<i128> = rest.split(' ').filter_map(|s| s.parse().ok()).collect();
        if nums.len() < 3 {
            return Outcome::Failed(format!("bad child output: {line}"));
        }
        let checksum = nums[0] as i32;
        if checksum != w.checksum {
            return Outcome::Wrong(checksum);
        }
        let ns = |n: i128| Duration::from_nanos(n as u64);
        return Outcome::Ok {
            setup: ns(nums[1]),
            first: ns(nums[2]),
            samples: nums[3..].iter().map(|&n| ns(n)).collect(),
        };
    }
    if let Some(msg) = line.strip_prefix("error ") {
        return Outcome::Failed(msg.to_string());
    }
    let last_err = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Outcome::Failed(format!("child {status}: {last_err}"))
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

fn table(opts: &Options) -> ExitCode {
    let rts = &opts.runtimes;
    let ws = &opts.workloads;
    // results[w][r]
    let mut results: Vec<Vec<Outcome>> = vec![vec![Outcome::NotApplicable; rts.len()]; ws.len()];
    for round in 0..opts.rounds {
        for (wi, w) in ws.iter().enumerate() {
            for (ri, &rt) in rts.iter().enumerate() {
                if !rt.supports(w) {
                    continue;
                }
                if round > 0 && !matches!(results[wi][ri], Outcome::Ok { .. }) {
                    continue;
                }
                let o = run_cell(rt, w, opts.samples, opts.timeout);
                let note = match &o {
                    Outcome::Ok { samples, .. } => format!("{} ms", ms(median(samples))),
                    Outcome::Wrong(c) => format!("WRONG checksum {c} (expected {})", w.checksum),
                    Outcome::Failed(e) => format!("FAILED: {e}"),
                    Outcome::NotApplicable => String::new(),
                };
                eprintln!(
                    "[round {}/{}] {:<10} {:<12} {note}",
                    round + 1,
                    opts.rounds,
                    w.name,
                    rt.name()
                );
                match (&mut results[wi][ri], o) {
                    (Outcome::Ok { samples, .. }, Outcome::Ok { samples: more, .. })
                        if round > 0 =>
                    {
                        samples.extend(more)
                    }
                    (slot, o) => *slot = o,
                }
            }
        }
    }

    let base = opts.baseline.and_then(|b| rts.iter().position(|&r| r == b));
    let time_of = |wi: usize, ri: usize| match &results[wi][ri] {
        Outcome::Ok { samples, .. } => Some(median(samples)),
        _ => None,
    };
    let cell_text = |o: &Outcome, f: &dyn Fn() -> String| match o {
        Outcome::NotApplicable => "n/a".to_string(),
        Outcome::Wrong(_) => "WRONG".to_string(),
        Outcome::Failed(_) => "failed".to_string(),
        Outcome::Ok { .. } => f(),
    };
    let header = |first: &str| {
        let mut s = format!("| {first} |");
        let mut sep = String::from("|---|");
        for rt in rts {
            s.push_str(&format!(" {} |", rt.name()));
            sep.push_str("---:|");
        }
        println!("{s}\n{sep}");
    };

    println!(
        "Median time per call of `run(param)`, ms ({} samples x {} rounds, each cell in its own process):\n",
        opts.samples, opts.rounds
    );
    header("workload (param)");
    for (wi, w) in ws.iter().enumerate() {
        let mut line = format!("| {} ({}) |", w.name, w.param);
        for (ri, o) in results[wi].iter().enumerate() {
            let t = cell_text(o, &|| ms(time_of(wi, ri).unwrap_or_default()));
            line.push_str(&format!(" {t} |"));
        }
        println!("{line}");
    }

    if let Some(bi) = base {
        println!(
            "\nTime relative to {} (below 1.00 is faster); geomean and max over the workloads both ran:\n",
            rts[bi].name()
        );
        header("workload");
        let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); rts.len()];
        for (wi, w) in ws.iter().enumerate() {
            let mut line = format!("| {} |", w.name);
            for ri in 0..rts.len() {
                let ratio = match (time_of(wi, ri), time_of(wi, bi)) {
                    (Some(t), Some(b)) if !b.is_zero() => Some(t.as_secs_f64() / b.as_secs_f64()),
                    _ => None,
                };
                if let Some(r) = ratio {
                    ratios[ri].push(r);
                }
                let t = cell_text(&results[wi][ri], &|| {
                    ratio.map_or("-".into(), |r| format!("{r:.2}"))
                });
                line.push_str(&format!(" {t} |"));
            }
            println!("{line}");
        }
        let mut g = String::from("| **geomean** |");
        let mut m = String::from("| max |");
        let mut n = String::from("| workloads |");
        for r in &ratios {
            g.push_str(&format!(" **{:.2}** |", geomean(r)));
            let max = r.iter().copied().fold(f64::NAN, f64::max);
            m.push_str(&format!(
                " {} |",
                if max.is_nan() {
                    "-".into()
                } else {
                    format!("{max:.2}")
                }
            ));
            n.push_str(&format!(" {} |", r.len()));
        }
        println!("{g}\n{m}\n{n}");
    }

    if opts.startup {
        println!(
            "\nSetup (decode, validate, translate or compile, instantiate) / first call, ms:\n"
        );
        header("workload");
        for (wi, w) in ws.iter().enumerate() {
            let mut line = format!("| {} |", w.name);
            for o in &results[wi] {
                let t = cell_text(o, &|| match o {
                    Outcome::Ok { setup, first, .. } => format!("{} / {}", ms(*setup), ms(*first)),
                    _ => unreachable!(),
                });
                line.push_str(&format!(" {t} |"));
            }
            println!("{line}");
        }
    }

    let mut notes = Vec::new();
    let mut wrong = false;
    for (wi, w) in ws.iter().enumerate() {
        for (ri, rt) in rts.iter().enumerate() {
            match &results[wi][ri] {
                Outcome::Wrong(c) => {
                    wrong = true;
                    notes.push(format!(
                        "{} on {}: returned {c}, expected {}",
                        rt.name(),
                        w.name,
                        w.checksum
                    ));
                }
                Outcome::Failed(e) => notes.push(format!("{} on {}: {e}", rt.name(), w.name)),
                _ => {}
            }
        }
    }
    if !notes.is_empty() {
        println!("\nNotes:\n");
        for n in notes {
            println!("- {n}");
        }
    }
    let any_na = results
        .iter()
        .any(|row| row.iter().any(|o| matches!(o, Outcome::NotApplicable)));
    if any_na {
        println!(
            "\nn/a: the runtime lacks a proposal the module uses (wasm3: bulk memory; `bulk-mvp` is the same work without it; of the peers only wasmtime has exceptions)."
        );
    }
    if wrong {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
