//! Runs Component Model reference test scripts (`.wast` with components) against
//! `spindle::component`.
//!
//! Every directive gives one [`DirectiveReport`]:
//! - `component` (and `component definition`/`component instance`): compiled and
//!   instantiated; an error is a failure, or [`Outcome::Unsupported`] when it says what the
//!   component layer does not do yet ("not supported by Spindle's components yet");
//! - `assert_return`, `assert_trap`, `invoke`: the export of the named (or last) instance
//!   called with the script's values; results compared (a NaN matches any NaN). A trap
//!   passes whatever its message (messages are not compared yet). Directives on an
//!   instance that could not be made are unsupported or failed as it was;
//! - `assert_malformed`, `assert_invalid`: must fail to compile (decoding and validation);
//!   `assert_unlinkable`: must fail to instantiate. (Messages are not compared.)
//! - Anything else (core modules between components, threads, ...): not run.

use std::collections::HashMap;

use spindle::component::{Component, Instance, Linker, Val};
use spindle::{Config, Engine, Store};
use wast::component::WastVal;
use wast::core::WastRetCore;
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

use crate::{DirectiveReport, Outcome, ScriptReport};

/// Fuel per call: enough for every script, and a component that loops forever ends.
const FUEL: u64 = 1_000_000_000;

/// How an instance the script names came out.
enum Made {
    Ready(Instance),
    /// Its instantiation failed: directives on it get this outcome.
    Broken(Outcome),
}

struct Session {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    definitions: HashMap<String, Result<Component, Outcome>>,
    instances: HashMap<String, Made>,
    last: Option<Made>,
}

fn outcome_of(e: &spindle::Error) -> Outcome {
    let text = format!("{e:#}");
    if text.contains("not supported by Spindle's components yet") {
        Outcome::Unsupported(text)
    } else {
        Outcome::Failed(text)
    }
}

/// A call that trapped where the script expects the trap `expected`: passed when the
/// error says it (the scripts' messages are one engine's wording; the words after a
/// `wasm trap: ` prefix are what is compared), else the wrong message.
fn trap_outcome(text: &str, expected: &str) -> Outcome {
    let want = expected.strip_prefix("wasm trap: ").unwrap_or(expected);
    // Core traps in the scripts' wording, and the core specification's.
    let want = match want {
        "wasm `unreachable` instruction executed" => "unreachable",
        other => other,
    };
    if text.contains(want) {
        Outcome::Passed
    } else if text.contains("not supported by Spindle's components yet") {
        Outcome::Unsupported(text.to_string())
    } else {
        Outcome::WrongMessage(format!("trapped with \"{text}\", expected \"{expected}\""))
    }
}

/// A component refused as the script expects: passed, unless for lack of support.
fn refused(e: &spindle::Error) -> Outcome {
    match outcome_of(e) {
        Outcome::Unsupported(u) => Outcome::Unsupported(u),
        _ => Outcome::Passed,
    }
}

impl Made {
    fn copy(&self) -> Made {
        match self {
            Made::Ready(i) => Made::Ready(*i),
            Made::Broken(o) => Made::Broken(o.clone()),
        }
    }
}

impl Session {
    fn new() -> Session {
        let engine = Engine::new(Config::new().consume_fuel(true)).expect("a valid config");
        let store = Store::new(&engine, ());
        let linker = Linker::new(&engine);
        Session {
            engine,
            store,
            linker,
            definitions: HashMap::new(),
            instances: HashMap::new(),
            last: None,
        }
    }

    fn compile(&self, wat: &mut QuoteWat<'_>) -> Result<Component, Outcome> {
        let bytes = wat
            .encode()
            .map_err(|e| Outcome::Failed(format!("wast cannot encode it: {e}")))?;
        Component::new(&self.engine, &bytes).map_err(|e| outcome_of(&e))
    }

    fn instantiate(&mut self, component: &Component) -> Made {
        // Core start functions run now.
        self.store.set_fuel(FUEL).expect("fuel is on");
        match self.linker.instantiate(&mut self.store, component) {
            Ok(i) => Made::Ready(i),
            Err(e) => Made::Broken(outcome_of(&e)),
        }
    }

    fn invoke(&mut self, call: &WastInvoke<'_>) -> Result<Result<Vec<Val>, String>, Outcome> {
        let made = match call.module {
            Some(id) => self.instances.get(id.name()).map(Made::copy),
            None => self.last.as_ref().map(Made::copy),
        };
        let instance = match made {
            Some(Made::Ready(i)) => i,
            Some(Made::Broken(o)) => return Err(o),
            None => return Err(Outcome::Failed("no instance to invoke".into())),
        };
        let args = call
            .args
            .iter()
            .map(|a| match a {
                WastArg::Component(v) => to_val(v),
                WastArg::Core(_) => Err("a core argument to a component function".into()),
                _ => Err("an argument of an unknown kind".into()),
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(Outcome::Failed)?;
        let Some(func) = instance.get_func(&mut self.store, call.name) else {
            return Err(Outcome::Failed(format!(
                "no exported function `{}`",
                call.name
            )));
        };
        let results = func.ty(&mut self.store).results().len();
        self.store.set_fuel(FUEL).expect("fuel is on");
        let mut out = vec![Val::Bool(false); results];
        Ok(match func.call(&mut self.store, &args, &mut out) {
            Ok(()) => Ok(out),
            Err(e) => Err(format!("{e:#}")),
        })
    }

    fn run(&mut self, directive: WastDirective<'_>) -> (&'static str, Outcome) {
        match directive {
            WastDirective::Module(mut wat) => {
                let name = component_id(&wat);
                let made = match self.compile(&mut wat) {
                    Ok(c) => self.instantiate(&c),
                    Err(o) => Made::Broken(o),
                };
                let outcome = match &made {
                    Made::Ready(_) => Outcome::Passed,
                    Made::Broken(o) => o.clone(),
                };
                if let Some(name) = name {
                    self.instances.insert(name, made.copy());
                }
                self.last = Some(made);
                ("component", outcome)
            }
            WastDirective::ModuleDefinition(mut wat) => {
                let name = component_id(&wat);
                let compiled = self.compile(&mut wat);
                let outcome = match &compiled {
                    Ok(_) => Outcome::Passed,
                    Err(o) => o.clone(),
                };
                if let Some(name) = name {
                    self.definitions.insert(name, compiled);
                }
                ("component definition", outcome)
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let made = match module.and_then(|m| self.definitions.get(m.name())) {
                    Some(Ok(c)) => {
                        let c = c.clone();
                        self.instantiate(&c)
                    }
                    Some(Err(o)) => Made::Broken(o.clone()),
                    None => Made::Broken(Outcome::Failed("no such definition".into())),
                };
                let outcome = match &made {
                    Made::Ready(_) => Outcome::Passed,
                    Made::Broken(o) => o.clone(),
                };
                if let Some(name) = instance {
                    self.instances.insert(name.name().to_string(), made.copy());
                }
                self.last = Some(made);
                ("component instance", outcome)
            }
            WastDirective::AssertMalformed { mut module, .. } => {
                let outcome = match module.encode() {
                    Err(_) => Outcome::PassedTextLevel,
                    Ok(bytes) => match Component::new(&self.engine, &bytes) {
                        Err(e) => refused(&e),
                        Ok(_) => Outcome::Failed("a malformed component was accepted".into()),
                    },
                };
                ("assert_malformed", outcome)
            }
            WastDirective::AssertInvalid { mut module, .. } => {
                let outcome = match module.encode() {
                    Err(_) => Outcome::PassedTextLevel,
                    Ok(bytes) => match Component::new(&self.engine, &bytes) {
                        Err(e) => refused(&e),
                        Ok(_) => Outcome::Failed("an invalid component was accepted".into()),
                    },
                };
                ("assert_invalid", outcome)
            }
            WastDirective::AssertUnlinkable { mut module, .. } => {
                let outcome = match module.encode() {
                    Err(e) => Outcome::Failed(format!("wast cannot encode it: {e}")),
                    Ok(bytes) => match Component::new(&self.engine, &bytes) {
                        Err(e) => outcome_of(&e),
                        Ok(c) => match self.instantiate(&c) {
                            Made::Broken(_) => Outcome::Passed,
                            Made::Ready(_) => Outcome::Failed("it linked".into()),
                        },
                    },
                };
                ("assert_unlinkable", outcome)
            }
            WastDirective::Invoke(call) => {
                let outcome = match self.invoke(&call) {
                    Ok(Ok(_)) => Outcome::Passed,
                    Ok(Err(e)) => Outcome::Failed(e),
                    Err(o) => o,
                };
                ("invoke", outcome)
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                let outcome = match exec {
                    WastExecute::Invoke(call) => match self.invoke(&call) {
                        Ok(Ok(got)) => compare(&got, &results),
                        Ok(Err(e)) => Outcome::Failed(format!("trapped: {e}")),
                        Err(o) => o,
                    },
                    _ => Outcome::NotRun,
                };
                ("assert_return", outcome)
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let outcome = match exec {
                    WastExecute::Invoke(call) => match self.invoke(&call) {
                        Ok(Ok(_)) => Outcome::Failed("returned instead of trapping".into()),
                        Ok(Err(e)) => trap_outcome(&e, message),
                        Err(o) => o,
                    },
                    WastExecute::Wat(mut wat) => match wat.encode() {
                        Err(e) => Outcome::Failed(format!("wast cannot encode it: {e}")),
                        Ok(bytes) => match Component::new(&self.engine, &bytes) {
                            Err(e) => outcome_of(&e),
                            Ok(c) => match self.instantiate(&c) {
                                Made::Broken(Outcome::Unsupported(u)) => Outcome::Unsupported(u),
                                Made::Broken(_) => Outcome::Passed,
                                Made::Ready(_) => {
                                    Outcome::Failed("instantiated instead of trapping".into())
                                }
                            },
                        },
                    },
                    _ => Outcome::NotRun,
                };
                ("assert_trap", outcome)
            }
            _ => ("other", Outcome::NotRun),
        }
    }
}

/// The name a `(component $name ...)` directive gives its instance.
fn component_id(wat: &QuoteWat<'_>) -> Option<String> {
    match wat {
        QuoteWat::Wat(Wat::Component(c)) => c.id.map(|id| id.name().to_string()),
        QuoteWat::Wat(Wat::Module(m)) => m.id.map(|id| id.name().to_string()),
        _ => None,
    }
}

fn to_val(v: &WastVal<'_>) -> Result<Val, String> {
    let boxed = |v: &Option<Box<WastVal<'_>>>| -> Result<Option<Box<Val>>, String> {
        v.as_ref().map(|v| to_val(v).map(Box::new)).transpose()
    };
    Ok(match v {
        WastVal::Bool(b) => Val::Bool(*b),
        WastVal::U8(x) => Val::U8(*x),
        WastVal::S8(x) => Val::S8(*x),
        WastVal::U16(x) => Val::U16(*x),
        WastVal::S16(x) => Val::S16(*x),
        WastVal::U32(x) => Val::U32(*x),
        WastVal::S32(x) => Val::S32(*x),
        WastVal::U64(x) => Val::U64(*x),
        WastVal::S64(x) => Val::S64(*x),
        WastVal::F32(x) => Val::F32(f32::from_bits(x.bits)),
        WastVal::F64(x) => Val::F64(f64::from_bits(x.bits)),
        WastVal::Char(c) => Val::Char(*c),
        WastVal::String(s) => Val::string(*s),
        WastVal::List(l) => Val::List(l.iter().map(to_val).collect::<Result<_, _>>()?),
        WastVal::Record(fields) => Val::Record(
            fields
                .iter()
                .map(|(n, v)| Ok((n.to_string(), to_val(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        WastVal::Tuple(t) => Val::Tuple(t.iter().map(to_val).collect::<Result<_, _>>()?),
        WastVal::Variant(name, payload) => Val::Variant(name.to_string(), boxed(payload)?),
        WastVal::Enum(name) => Val::Enum(name.to_string()),
        WastVal::Option(o) => Val::Option(boxed(o)?),
        WastVal::Result(r) => Val::Result(match r {
            Ok(v) => Ok(boxed(v)?),
            Err(v) => Err(boxed(v)?),
        }),
        WastVal::Flags(f) => Val::Flags(f.iter().map(|s| s.to_string()).collect()),
        // A map is the list of its entries, as the canonical ABI lays it out.
        WastVal::Map(entries) => Val::List(
            entries
                .iter()
                .map(|(k, v)| Ok(Val::Tuple(vec![to_val(k)?, to_val(v)?])))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// Equal values, a NaN matching any NaN.
fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::F32(x), Val::F32(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Val::F64(x), Val::F64(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Val::List(x), Val::List(y)) | (Val::Tuple(x), Val::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Val::Record(x), Val::Record(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((n, a), (m, b))| n == m && same(a, b))
        }
        (Val::Variant(n, x), Val::Variant(m, y)) => n == m && same_opt(x, y),
        (Val::Option(x), Val::Option(y)) => same_opt(x, y),
        (Val::Result(Ok(x)), Val::Result(Ok(y))) | (Val::Result(Err(x)), Val::Result(Err(y))) => {
            same_opt(x, y)
        }
        (Val::Flags(x), Val::Flags(y)) => {
            let mut x = x.clone();
            let mut y = y.clone();
            x.sort();
            y.sort();
            x == y
        }
        _ => a == b,
    }
}

fn same_opt(a: &Option<Box<Val>>, b: &Option<Box<Val>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn compare(got: &[Val], want: &[WastRet<'_>]) -> Outcome {
    if got.len() != want.len() {
        return Outcome::Failed(format!("{} results, expected {}", got.len(), want.len()));
    }
    for (g, w) in got.iter().zip(want) {
        let w = match w {
            WastRet::Component(v) => match to_val(v) {
                Ok(v) => v,
                Err(e) => return Outcome::Failed(e),
            },
            WastRet::Core(WastRetCore::I32(_)) | WastRet::Core(_) => {
                return Outcome::Failed("a core result from a component function".into())
            }
            _ => return Outcome::Failed("a result of an unknown kind".into()),
        };
        if !same(g, &w) {
            return Outcome::Failed(format!("got {g:?}, expected {w:?}"));
        }
    }
    Outcome::Passed
}

/// Runs every directive of component script `text`.
pub fn run_component_script(label: &str, text: &str) -> ScriptReport {
    let line_of = |offset: usize| text[..offset.min(text.len())].lines().count().max(1);
    let mut report = ScriptReport {
        label: label.to_string(),
        directives: Vec::new(),
    };
    let buffer = match wast::parser::ParseBuffer::new(text) {
        Ok(b) => b,
        Err(e) => {
            report.directives.push(DirectiveReport {
                line: 1,
                kind: "script",
                outcome: Outcome::Failed(format!("cannot lex: {e}")),
                differential: None,
            });
            return report;
        }
    };
    let script = match wast::parser::parse::<Wast<'_>>(&buffer) {
        Ok(s) => s,
        Err(e) => {
            report.directives.push(DirectiveReport {
                line: 1,
                kind: "script",
                outcome: Outcome::Failed(format!("cannot parse: {e}")),
                differential: None,
            });
            return report;
        }
    };
    let mut session = Session::new();
    for directive in script.directives {
        let line = line_of(directive.span().offset());
        let (kind, outcome) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session.run(directive)))
                .unwrap_or_else(|_| ("panic", Outcome::Failed("the runner panicked".into())));
        report.directives.push(DirectiveReport {
            line,
            kind,
            outcome,
            differential: None,
        });
    }
    report
}
