//! Hand-made hostile inputs: huge claimed counts with tiny bodies, overlong LEB128s, deep
//! nesting, limits plus one. Our validator must answer quickly and without allocating for
//! what the input merely claims. Each input's verdict is also checked against wasmparser (so
//! that the input really is what its name says), except where our validator has an
//! implementation limit wasmparser does not (block nesting).

use spindle_testkit::encode::{func_body, module, name, section, sleb, uleb, uleb_padded, HEADER};
use spindle_testkit::{wasmparser_validate, Features};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per input, for our validator in a debug build on a loaded machine.
const TIME_LIMIT: Duration = Duration::from_secs(2);
/// Growth of peak resident memory over all the inputs of one test.
const RSS_LIMIT_KIB: u64 = 128 * 1024;
/// Growth of peak virtual memory (catches huge reservations that are never touched).
const VIRTUAL_LIMIT_KIB: u64 = 1024 * 1024;

/// The tests measure the process's memory peaks: they must not run concurrently.
static SERIAL: Mutex<()> = Mutex::new(());

const MAX_U32: u64 = u32::MAX as u64;

/// What wasmparser says about an input.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Theirs {
    Rejects,
    Accepts,
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    theirs: Theirs,
}

fn case(name: &'static str, theirs: Theirs, bytes: Vec<u8>) -> Case {
    Case {
        name,
        bytes,
        theirs,
    }
}

/// Type section with one `[] -> []` function type.
fn void_type() -> (u8, Vec<u8>) {
    (1, vec![0x01, 0x60, 0x00, 0x00])
}

/// A module with one `[] -> []` function whose body (locals and code, `end` included) is
/// `body`, and one memory of `pages` pages.
fn one_func(body: &[u8]) -> Vec<u8> {
    module(&[
        void_type(),
        (3, vec![0x01, 0x00]),
        (5, vec![0x01, 0x00, 0x01]),
        (10, [uleb(1), func_body(body)].concat()),
    ])
}

/// A section whose payload is just a count, claiming `count` items that are not there.
fn claimed(id: u8, count: u64) -> Vec<u8> {
    module(&[(id, uleb(count))])
}

/// One function type with `n` i32 params (or results).
fn many_params(n: usize, results: bool) -> Vec<u8> {
    let list = [uleb(n as u64), vec![0x7f; n]].concat();
    let empty = vec![0x00];
    let (p, r) = if results {
        (empty, list)
    } else {
        (list, empty)
    };
    module(&[(1, [vec![0x01, 0x60], p, r].concat())])
}

fn nested_blocks(depth: usize, terminated: bool) -> Vec<u8> {
    let mut body = vec![0x00];
    for _ in 0..depth {
        body.extend([0x02, 0x40]);
    }
    if terminated {
        body.extend(std::iter::repeat_n(0x0b, depth));
    }
    body.push(0x0b);
    one_func(&body)
}

fn hostile_invalid() -> Vec<Case> {
    use Theirs::*;
    let mut cases = vec![
        case("type count u32::MAX", Rejects, claimed(1, MAX_U32)),
        case("import count u32::MAX", Rejects, claimed(2, MAX_U32)),
        case("function count u32::MAX", Rejects, claimed(3, MAX_U32)),
        case("table count u32::MAX", Rejects, claimed(4, MAX_U32)),
        case("memory count u32::MAX", Rejects, claimed(5, MAX_U32)),
        case("global count u32::MAX", Rejects, claimed(6, MAX_U32)),
        case("export count u32::MAX", Rejects, claimed(7, MAX_U32)),
        case("element count u32::MAX", Rejects, claimed(9, MAX_U32)),
        case("code count u32::MAX", Rejects, claimed(10, MAX_U32)),
        case("data count u32::MAX", Rejects, claimed(11, MAX_U32)),
        case("tag count u32::MAX", Rejects, claimed(13, MAX_U32)),
        case(
            "data count section u32::MAX, no data",
            Rejects,
            claimed(12, MAX_U32),
        ),
        case(
            "function count 1,000,001 claimed",
            Rejects,
            claimed(3, 1_000_001),
        ),
        case(
            "type count 1,000,001 claimed",
            Rejects,
            claimed(1, 1_000_001),
        ),
        case(
            "section size u32::MAX",
            Rejects,
            [HEADER.to_vec(), vec![0x01], uleb(MAX_U32), vec![0x00]].concat(),
        ),
        case(
            "custom section name length u32::MAX",
            Rejects,
            module(&[(0, uleb(MAX_U32))]),
        ),
        case(
            "rec group of u32::MAX types",
            Rejects,
            module(&[(1, [vec![0x01, 0x4e], uleb(MAX_U32)].concat())]),
        ),
        case(
            "struct with u32::MAX fields",
            Rejects,
            module(&[(1, [vec![0x01, 0x5f], uleb(MAX_U32)].concat())]),
        ),
        case(
            "function type with u32::MAX params",
            Rejects,
            module(&[(1, [vec![0x01, 0x60], uleb(MAX_U32)].concat())]),
        ),
        case(
            "element segment of u32::MAX functions",
            Rejects,
            module(&[(
                9,
                [vec![0x01, 0x00, 0x41, 0x00, 0x0b], uleb(MAX_U32)].concat(),
            )]),
        ),
        case(
            "data segment of u32::MAX bytes",
            Rejects,
            module(&[
                (5, vec![0x01, 0x00, 0x01]),
                (
                    11,
                    [
                        vec![0x01, 0x00, 0x41, 0x7f, 0x0b],
                        uleb(MAX_U32),
                        vec![0xaa],
                    ]
                    .concat(),
                ),
            ]),
        ),
        case(
            "function body size u32::MAX",
            Rejects,
            module(&[
                void_type(),
                (3, vec![0x01, 0x00]),
                (10, [uleb(1), uleb(MAX_U32), vec![0x00, 0x0b]].concat()),
            ]),
        ),
        // Overlong LEB128s.
        case(
            "section size in 6 bytes",
            Rejects,
            [
                HEADER.to_vec(),
                vec![0x01],
                uleb_padded(4, 6),
                vec![0x01, 0x60, 0x00, 0x00],
            ]
            .concat(),
        ),
        case(
            "type count in 6 bytes",
            Rejects,
            module(&[(1, [uleb_padded(1, 6), vec![0x60, 0x00, 0x00]].concat())]),
        ),
        case(
            "u32 with unused bits set",
            Rejects,
            module(&[(1, vec![0x81, 0x80, 0x80, 0x80, 0x10, 0x60, 0x00, 0x00])]),
        ),
        case(
            "i32.const in 6 bytes",
            Rejects,
            one_func(&[vec![0x00, 0x41], uleb_padded(0, 6), vec![0x1a, 0x0b]].concat()),
        ),
        case(
            "i64.const in 11 bytes",
            Rejects,
            one_func(&[vec![0x00, 0x42], uleb_padded(0, 11), vec![0x1a, 0x0b]].concat()),
        ),
        case(
            "unterminated LEB at end of input",
            Rejects,
            [HEADER.to_vec(), vec![0x01, 0x80, 0x80, 0x80]].concat(),
        ),
        // Deep nesting.
        case(
            "100,000 nested blocks",
            Accepts,
            nested_blocks(100_000, true),
        ),
        case(
            "100,000 unterminated blocks",
            Rejects,
            nested_blocks(100_000, false),
        ),
        // Huge immediates and counts in code.
        case(
            "br_table with 0xFFFFFFFC targets",
            Rejects,
            one_func(
                &[
                    vec![0x00, 0x41, 0x00, 0x0e],
                    uleb(0xffff_fffc),
                    vec![0x00, 0x0b],
                ]
                .concat(),
            ),
        ),
        case(
            "br_table with u32::MAX targets",
            Rejects,
            one_func(&[vec![0x00, 0x41, 0x00, 0x0e], uleb(MAX_U32), vec![0x0b]].concat()),
        ),
        case(
            "select with u32::MAX types",
            Rejects,
            one_func(&[vec![0x00, 0x1c], uleb(MAX_U32), vec![0x0b]].concat()),
        ),
        case(
            "try_table with u32::MAX catches",
            Rejects,
            one_func(&[vec![0x00, 0x1f, 0x40], uleb(MAX_U32), vec![0x0b, 0x0b]].concat()),
        ),
        case(
            "br depth u32::MAX",
            Rejects,
            one_func(&[vec![0x00, 0x0c], uleb(MAX_U32), vec![0x0b]].concat()),
        ),
        case(
            "local.get u32::MAX",
            Rejects,
            one_func(&[vec![0x00, 0x20], uleb(MAX_U32), vec![0x1a, 0x0b]].concat()),
        ),
        case(
            "call u32::MAX",
            Rejects,
            one_func(&[vec![0x00, 0x10], uleb(MAX_U32), vec![0x0b]].concat()),
        ),
        case(
            "block type index 2^32-1",
            Rejects,
            one_func(
                &[
                    vec![0x00, 0x02],
                    sleb(i64::from(u32::MAX)),
                    vec![0x0b, 0x0b],
                ]
                .concat(),
            ),
        ),
        case(
            "memory.size of memory u32::MAX",
            Rejects,
            one_func(&[vec![0x00, 0x3f], uleb(MAX_U32), vec![0x1a, 0x0b]].concat()),
        ),
        // Locals.
        case(
            "50,001 locals",
            Rejects,
            one_func(&[uleb(1), uleb(50_001), vec![0x7f, 0x0b]].concat()),
        ),
        case(
            "two local groups of u32::MAX",
            Rejects,
            one_func(
                &[
                    uleb(2),
                    uleb(MAX_U32),
                    vec![0x7f],
                    uleb(MAX_U32),
                    vec![0x7e, 0x0b],
                ]
                .concat(),
            ),
        ),
        case(
            "local groups summing past u32",
            Rejects,
            one_func(
                &[
                    uleb(2),
                    uleb(0x8000_0000),
                    vec![0x7f],
                    uleb(0x8000_0000),
                    vec![0x7e, 0x0b],
                ]
                .concat(),
            ),
        ),
        case(
            "u32::MAX local groups claimed",
            Rejects,
            one_func(&[uleb(MAX_U32), vec![0x01, 0x7f, 0x0b]].concat()),
        ),
        // Limits plus one, with the items really present.
        case("1,001 params", Rejects, many_params(1_001, false)),
        case("1,001 results", Rejects, many_params(1_001, true)),
        case(
            "1,000,001 functions",
            Rejects,
            module(&[
                void_type(),
                (3, [uleb(1_000_001), vec![0x00; 1_000_001]].concat()),
            ]),
        ),
        // Memory and data.
        case(
            "memory of 65,537 pages",
            Rejects,
            module(&[(5, [vec![0x01, 0x00], uleb(65_537)].concat())]),
        ),
        case(
            "memory64 of 2^48+1 pages",
            Rejects,
            module(&[(5, [vec![0x01, 0x04], uleb((1 << 48) + 1)].concat())]),
        ),
        case(
            "64-bit data offset on a 32-bit memory",
            Rejects,
            module(&[
                (5, vec![0x01, 0x00, 0x01]),
                (
                    11,
                    [vec![0x01, 0x00, 0x42], sleb(-1), vec![0x0b, 0x00]].concat(),
                ),
            ]),
        ),
        case(
            "data offset past the 32-bit range",
            Rejects,
            module(&[
                (5, vec![0x01, 0x00, 0x01]),
                (
                    11,
                    [vec![0x01, 0x00, 0x41], uleb(1 << 40), vec![0x0b, 0x00]].concat(),
                ),
            ]),
        ),
    ];
    // A function type whose params plus locals pass the limit by one.
    let params = 1_000;
    cases.push(case(
        "1,000 params + 49,001 locals",
        Rejects,
        module(&[
            (
                1,
                [
                    vec![0x01, 0x60],
                    uleb(params),
                    vec![0x7f; params as usize],
                    vec![0x00],
                ]
                .concat(),
            ),
            (3, vec![0x01, 0x00]),
            (
                10,
                [
                    uleb(1),
                    func_body(&[uleb(1), uleb(50_001 - params), vec![0x7f, 0x0b]].concat()),
                ]
                .concat(),
            ),
        ]),
    ));
    cases
}

/// Hostile-looking but valid: must be accepted, quickly.
fn hostile_valid() -> Vec<Case> {
    use Theirs::*;
    let mut pushes = vec![0x00];
    for _ in 0..100_000 {
        pushes.extend([0x41, 0x00]);
    }
    pushes.extend(std::iter::repeat_n(0x1a, 100_000));
    pushes.push(0x0b);
    let mut drops = vec![0x00, 0x00];
    drops.extend(std::iter::repeat_n(0x1a, 100_000));
    drops.push(0x0b);
    let mut customs = HEADER.to_vec();
    for _ in 0..100_000 {
        customs.extend(section(0, &name("")));
    }
    vec![
        case(
            "data offset 0xFFFFFFFF on an empty memory",
            Accepts,
            module(&[
                (5, vec![0x01, 0x00, 0x00]),
                (
                    11,
                    [vec![0x01, 0x00, 0x41], sleb(-1), vec![0x0b, 0x01, 0xaa]].concat(),
                ),
            ]),
        ),
        case(
            "memory64 data offset u64::MAX",
            Accepts,
            module(&[
                (5, vec![0x01, 0x04, 0x00]),
                (
                    11,
                    [vec![0x01, 0x00, 0x42], sleb(-1), vec![0x0b, 0x01, 0xaa]].concat(),
                ),
            ]),
        ),
        case(
            "memory of 65,536 pages",
            Accepts,
            module(&[(5, [vec![0x01, 0x00], uleb(65_536)].concat())]),
        ),
        case(
            "memory64 of 2^48 pages",
            Accepts,
            module(&[(5, [vec![0x01, 0x04], uleb(1 << 48)].concat())]),
        ),
        case(
            "50,000 locals",
            Accepts,
            one_func(&[uleb(1), uleb(50_000), vec![0x7f, 0x0b]].concat()),
        ),
        case(
            "1,000 params and 1,000 results",
            Accepts,
            module(&[(
                1,
                [
                    vec![0x01, 0x60],
                    uleb(1000),
                    vec![0x7f; 1000],
                    uleb(1000),
                    vec![0x7e; 1000],
                ]
                .concat(),
            )]),
        ),
        case(
            "overlong LEBs within 5 bytes",
            Accepts,
            module(&[(
                1,
                [
                    uleb_padded(1, 5),
                    vec![0x60],
                    uleb_padded(0, 5),
                    uleb_padded(0, 5),
                ]
                .concat(),
            )]),
        ),
        case("10,000 nested blocks", Accepts, nested_blocks(10_000, true)),
        case(
            "100,000 values on the operand stack",
            Accepts,
            one_func(&pushes),
        ),
        case("100,000 drops after unreachable", Accepts, one_func(&drops)),
        case("100,000 custom sections", Accepts, customs),
        case(
            "name section claiming u32::MAX names",
            Accepts,
            module(&[(
                0,
                [name("name"), vec![0x01], uleb(5), uleb(MAX_U32)].concat(),
            )]),
        ),
        case(
            "br_table with 100,000 targets",
            Accepts,
            one_func(
                &[
                    vec![0x00, 0x02, 0x40, 0x41, 0x00, 0x0e],
                    uleb(100_000),
                    vec![0x00; 100_001],
                    vec![0x0b, 0x0b],
                ]
                .concat(),
            ),
        ),
    ]
}

/// Names the case when our validator panics on it (the panic goes on).
struct NamePanic(&'static str);

impl Drop for NamePanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the validator panicked on hostile input {:?}", self.0);
        }
    }
}

/// `VmHWM` and `VmPeak` of this process, in KiB (Linux only).
fn memory_peaks() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((field("VmHWM:")?, field("VmPeak:")?))
}

/// Runs our validator over the cases (timed, memory watched), then checks each case's
/// wasmparser verdict, and returns our results.
fn run(cases: &[Case]) -> Vec<Result<(), String>> {
    let features = Features::all();
    let before = memory_peaks();
    let mut ours = Vec::new();
    let mut slow = Vec::new();
    for c in cases {
        let guard = NamePanic(c.name);
        let start = Instant::now();
        let result = spindle_validate::validate(&c.bytes, &features);
        let took = start.elapsed();
        std::mem::forget(guard);
        if took > TIME_LIMIT {
            slow.push(format!("{}: {took:?}", c.name));
        }
        ours.push(result.map_err(|e| e.to_string()));
    }
    if let (Some((rss0, virt0)), Some((rss1, virt1))) = (before, memory_peaks()) {
        assert!(
            rss1 - rss0 < RSS_LIMIT_KIB,
            "peak RSS grew by {} KiB",
            rss1 - rss0
        );
        assert!(
            virt1 - virt0 < VIRTUAL_LIMIT_KIB,
            "peak virtual memory grew by {} KiB",
            virt1 - virt0
        );
    }
    assert!(slow.is_empty(), "slower than {TIME_LIMIT:?}: {slow:#?}");
    // The inputs are what they say they are.
    for c in cases {
        let theirs = wasmparser_validate(&c.bytes, &features);
        let got = if theirs.is_ok() {
            Theirs::Accepts
        } else {
            Theirs::Rejects
        };
        assert_eq!(got, c.theirs, "{}: wasmparser says {theirs:?}", c.name);
    }
    ours
}

#[test]
fn hostile_inputs_are_rejected_quickly_in_bounded_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cases = hostile_invalid();
    let ours = run(&cases);
    let accepted: Vec<&str> = cases
        .iter()
        .zip(&ours)
        .filter(|(_, r)| r.is_ok())
        .map(|(c, _)| c.name)
        .collect();
    assert!(
        accepted.is_empty(),
        "accepted hostile inputs: {accepted:#?}"
    );
    println!("{} hostile inputs rejected", cases.len());
}

#[test]
fn hostile_but_valid_inputs_are_accepted_quickly() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cases = hostile_valid();
    let ours = run(&cases);
    let rejected: Vec<String> = cases
        .iter()
        .zip(&ours)
        .filter_map(|(c, r)| r.as_ref().err().map(|e| format!("{}: {e}", c.name)))
        .collect();
    assert!(rejected.is_empty(), "rejected valid inputs: {rejected:#?}");
    println!("{} hostile but valid inputs accepted", cases.len());
}
