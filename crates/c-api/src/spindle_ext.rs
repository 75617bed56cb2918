//! `spindle.h`: what the standard header lacks — errors that say why, fuel, epoch
//! deadlines, store limits, trap codes and exit statuses, WASI preview 1, a linker, and
//! WAT to Wasm.

use crate::extern_::wasm_extern_t;
use crate::instance::wasm_instance_t;
use crate::module::wasm_module_t;
use crate::refs::{RefObject, What};
use crate::store::{ctx, wasm_config_t, wasm_engine_t, wasm_store_t, StoreData};
use crate::trap::{trap_from_error, wasm_trap_t};
use crate::vec::{wasm_byte_vec_t, Vector};
use spindle::{Dispatch, Error, I32Exit, Linker, StoreLimitsBuilder, Translation, Trap};
use std::ffi::{c_char, CStr};

/// An error: a message.
pub struct spindle_error_t {
    message: String,
}

fn error(e: impl std::fmt::Display) -> *mut spindle_error_t {
    Box::into_raw(Box::new(spindle_error_t {
        message: e.to_string(),
    }))
}

fn result(r: spindle::Result<()>) -> *mut spindle_error_t {
    match r {
        Ok(()) => std::ptr::null_mut(),
        Err(e) => error(format!("{e:#}")),
    }
}

#[no_mangle]
pub unsafe extern "C" fn spindle_error_delete(e: *mut spindle_error_t) {
    if !e.is_null() {
        // SAFETY: an owned error, given back once.
        drop(unsafe { Box::from_raw(e) });
    }
}

/// The message, NUL-terminated (the NUL counted in the size).
#[no_mangle]
pub unsafe extern "C" fn spindle_error_message(
    e: *const spindle_error_t,
    out: *mut wasm_byte_vec_t,
) {
    // SAFETY: `e` is live and `out` writable.
    let mut bytes = unsafe { (*e).message.clone() }.into_bytes();
    bytes.push(0);
    unsafe { out.write(Vector::from_vec(bytes)) }
}

/// A byte string of C: `len` bytes at `p` (`p` may be null when `len` is 0).
unsafe fn str_arg<'a>(p: *const c_char, len: usize) -> Result<&'a str, *mut spindle_error_t> {
    if len == 0 {
        return Ok("");
    }
    // SAFETY: `p` points to `len` readable bytes (contract).
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|_| error("a name that is not UTF-8"))
}

/// A NUL-terminated C string.
unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` is a NUL-terminated string (contract).
    unsafe { CStr::from_ptr(p) }.to_str().ok()
}

// ---- config and engine ---------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn spindle_config_consume_fuel_set(c: *mut wasm_config_t, enable: bool) {
    // SAFETY: `c` is live.
    unsafe { (*c).config.consume_fuel(enable) };
}

#[no_mangle]
pub unsafe extern "C" fn spindle_config_epoch_interruption_set(
    c: *mut wasm_config_t,
    enable: bool,
) {
    // SAFETY: `c` is live.
    unsafe { (*c).config.epoch_interruption(enable) };
}

/// Lazy translation: each function is validated and translated on its first call (an
/// invalid body is reported then, as a trap).
#[no_mangle]
pub unsafe extern "C" fn spindle_config_lazy_translation_set(c: *mut wasm_config_t, enable: bool) {
    let t = if enable {
        Translation::Lazy
    } else {
        Translation::Eager
    };
    // SAFETY: `c` is live.
    unsafe { (*c).config.translation(t) };
}

/// The portable interpreter loop instead of the threaded one.
#[no_mangle]
pub unsafe extern "C" fn spindle_config_portable_dispatch_set(c: *mut wasm_config_t, enable: bool) {
    let d = if enable {
        Dispatch::Loop
    } else {
        Dispatch::Threaded
    };
    // SAFETY: `c` is live.
    unsafe { (*c).config.dispatch(d) };
}

#[no_mangle]
pub unsafe extern "C" fn spindle_engine_increment_epoch(e: *const wasm_engine_t) {
    // SAFETY: `e` is live (engines may be shared between threads).
    unsafe { (*e).engine.increment_epoch() }
}

// ---- store ---------------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn spindle_store_set_fuel(
    s: *mut wasm_store_t,
    fuel: u64,
) -> *mut spindle_error_t {
    // SAFETY: `s` is live.
    result(unsafe { ctx(s) }.set_fuel(fuel))
}

#[no_mangle]
pub unsafe extern "C" fn spindle_store_get_fuel(
    s: *mut wasm_store_t,
    out: *mut u64,
) -> *mut spindle_error_t {
    // SAFETY: `s` is live and `out` writable.
    match unsafe { ctx(s) }.get_fuel() {
        Ok(f) => {
            unsafe { out.write(f) };
            std::ptr::null_mut()
        }
        Err(e) => error(e),
    }
}

/// Calls trap once the engine's epoch passes the current one by `ticks`.
#[no_mangle]
pub unsafe extern "C" fn spindle_store_set_epoch_deadline(s: *mut wasm_store_t, ticks: u64) {
    // SAFETY: `s` is live.
    unsafe { ctx(s) }.set_epoch_deadline(ticks)
}

/// Limits on what the store's Wasm may allocate; a negative value leaves that one
/// unlimited. Not from inside a host function (ignored there).
#[no_mangle]
pub unsafe extern "C" fn spindle_store_limiter(
    s: *mut wasm_store_t,
    memory_size: i64,
    table_elements: i64,
    instances: i64,
    tables: i64,
    memories: i64,
) {
    // A negative value: no limit.
    let n = |v: i64| usize::try_from(v).unwrap_or(usize::MAX);
    let b = StoreLimitsBuilder::new()
        .memory_size(n(memory_size))
        .table_elements(n(table_elements))
        .instances(n(instances))
        .tables(n(tables))
        .memories(n(memories));
    // SAFETY: `s` is live; outside a host function nothing else borrows the store (from
    // inside one the limits stay as they were: the header documents it).
    let store = unsafe { &*s };
    if store.callers.borrow().is_empty() {
        unsafe { &mut *store.store.get() }.set_limits(b.build());
    }
}

// ---- modules and traps ---------------------------------------------------------------------------

/// `wasm_module_new` that says why a module is refused (with the byte offset).
#[no_mangle]
pub unsafe extern "C" fn spindle_module_new(
    s: *mut wasm_store_t,
    wasm: *const u8,
    len: usize,
    out: *mut *mut wasm_module_t,
) -> *mut spindle_error_t {
    // SAFETY: `wasm` points to `len` readable bytes; `s` is live; `out` writable.
    let binary = if len == 0 {
        &[][..]
    } else {
        unsafe { std::slice::from_raw_parts(wasm, len) }
    };
    match crate::module::compile(s, binary) {
        Ok(m) => {
            unsafe { out.write(m) };
            std::ptr::null_mut()
        }
        Err(e) => error(format!("{e:#}")),
    }
}

/// Whether the trap is a guest's exit request (WASI `proc_exit`), and its status.
#[no_mangle]
pub unsafe extern "C" fn spindle_trap_exit_status(t: *const wasm_trap_t, status: *mut i32) -> bool {
    // SAFETY: `t` is live and `status` writable.
    match unsafe { (*t).data() }.exit {
        Some(c) => {
            unsafe { status.write(c) };
            true
        }
        None => false,
    }
}

/// Trap codes, as `spindle.h` numbers them.
const TRAP_CODES: &[(Trap, u8)] = &[
    (Trap::StackOverflow, 0),
    (Trap::MemoryOutOfBounds, 1),
    (Trap::TableOutOfBounds, 3),
    (Trap::IndirectCallToNull, 4),
    (Trap::BadSignature, 5),
    (Trap::IntegerOverflow, 6),
    (Trap::IntegerDivisionByZero, 7),
    (Trap::BadConversionToInteger, 8),
    (Trap::Unreachable, 9),
    (Trap::Interrupt, 10),
    (Trap::OutOfFuel, 11),
    (Trap::NullReference, 12),
    (Trap::NullFunctionReference, 12),
    (Trap::NullStructReference, 12),
    (Trap::NullArrayReference, 12),
    (Trap::NullI31Reference, 12),
    (Trap::NullExceptionReference, 12),
    (Trap::ArrayOutOfBounds, 13),
    (Trap::CastFailure, 14),
    (Trap::UncaughtException, 15),
    (Trap::GcHeapExhausted, 16),
    (Trap::UnalignedAtomic, 17),
];

/// Whether the trap is one of Wasm's (not a host's), and its `SPINDLE_TRAP_*` code.
#[no_mangle]
pub unsafe extern "C" fn spindle_trap_code(t: *const wasm_trap_t, code: *mut u8) -> bool {
    // SAFETY: `t` is live and `code` writable.
    let trap = unsafe { (*t).data() }.code;
    match trap.and_then(|t| TRAP_CODES.iter().find(|(k, _)| *k == t)) {
        Some((_, c)) => {
            unsafe { code.write(*c) };
            true
        }
        None => false,
    }
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wat2wasm(
    wat: *const c_char,
    len: usize,
    out: *mut wasm_byte_vec_t,
) -> *mut spindle_error_t {
    // SAFETY: `wat` points to `len` bytes; `out` is writable.
    let text = match unsafe { str_arg(wat, len) } {
        Ok(t) => t,
        Err(e) => return e,
    };
    let encode = || -> Result<Vec<u8>, String> {
        let buffer = wast::parser::ParseBuffer::new(text).map_err(|e| e.to_string())?;
        let mut module =
            wast::parser::parse::<wast::Wat<'_>>(&buffer).map_err(|e| e.to_string())?;
        module.encode().map_err(|e| e.to_string())
    };
    match encode() {
        Ok(bytes) => {
            unsafe { out.write(Vector::from_vec(bytes)) };
            std::ptr::null_mut()
        }
        Err(e) => error(e),
    }
}

// ---- WASI ----------------------------------------------------------------------------------------

/// A WASI preview 1 configuration (built into the store by `spindle_store_set_wasi`).
pub struct spindle_wasi_config_t {
    builder: spindle_wasi::WasiCtxBuilder,
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_new() -> *mut spindle_wasi_config_t {
    Box::into_raw(Box::new(spindle_wasi_config_t {
        builder: spindle_wasi::WasiCtxBuilder::new(),
    }))
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_delete(c: *mut spindle_wasi_config_t) {
    if !c.is_null() {
        // SAFETY: an owned config, given back once.
        drop(unsafe { Box::from_raw(c) });
    }
}

/// NUL-terminated strings; `false` if one is not UTF-8.
#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_set_argv(
    c: *mut spindle_wasi_config_t,
    argc: usize,
    argv: *const *const c_char,
) -> bool {
    let mut args = Vec::with_capacity(argc);
    for i in 0..argc {
        // SAFETY: `argv` holds `argc` strings.
        match unsafe { cstr(*argv.add(i)) } {
            Some(a) => args.push(a.to_string()),
            None => return false,
        }
    }
    // SAFETY: `c` is live.
    unsafe { (*c).builder.args(&args) };
    true
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_inherit_argv(c: *mut spindle_wasi_config_t) {
    // SAFETY: `c` is live.
    unsafe { (*c).builder.inherit_args() };
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_set_env(
    c: *mut spindle_wasi_config_t,
    n: usize,
    names: *const *const c_char,
    values: *const *const c_char,
) -> bool {
    for i in 0..n {
        // SAFETY: both arrays hold `n` strings; `c` is live.
        match unsafe { (cstr(*names.add(i)), cstr(*values.add(i))) } {
            (Some(k), Some(v)) => unsafe { (*c).builder.env(k, v) },
            _ => return false,
        };
    }
    true
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_inherit_env(c: *mut spindle_wasi_config_t) {
    // SAFETY: `c` is live.
    unsafe { (*c).builder.inherit_env() };
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_inherit_stdin(c: *mut spindle_wasi_config_t) {
    // SAFETY: `c` is live.
    unsafe { (*c).builder.inherit_stdin() };
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_inherit_stdout(c: *mut spindle_wasi_config_t) {
    // SAFETY: `c` is live.
    unsafe { (*c).builder.inherit_stdout() };
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_inherit_stderr(c: *mut spindle_wasi_config_t) {
    // SAFETY: `c` is live.
    unsafe { (*c).builder.inherit_stderr() };
}

/// Which of the three standard streams a file replaces.
fn open_stream(path: &str, read: bool) -> Option<std::fs::File> {
    if read {
        std::fs::File::open(path).ok()
    } else {
        std::fs::File::create(path).ok()
    }
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_set_stdin_file(
    c: *mut spindle_wasi_config_t,
    path: *const c_char,
) -> bool {
    // SAFETY: `path` is a C string and `c` live.
    match unsafe { cstr(path) }.and_then(|p| open_stream(p, true)) {
        Some(f) => {
            unsafe { (*c).builder.stdin_file(f) };
            true
        }
        None => false,
    }
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_set_stdout_file(
    c: *mut spindle_wasi_config_t,
    path: *const c_char,
) -> bool {
    // SAFETY: as above.
    match unsafe { cstr(path) }.and_then(|p| open_stream(p, false)) {
        Some(f) => {
            unsafe { (*c).builder.stdout_file(f) };
            true
        }
        None => false,
    }
}

#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_set_stderr_file(
    c: *mut spindle_wasi_config_t,
    path: *const c_char,
) -> bool {
    // SAFETY: as above.
    match unsafe { cstr(path) }.and_then(|p| open_stream(p, false)) {
        Some(f) => {
            unsafe { (*c).builder.stderr_file(f) };
            true
        }
        None => false,
    }
}

/// Gives the guest the host directory `host_path` as `guest_path`, read-write.
#[no_mangle]
pub unsafe extern "C" fn spindle_wasi_config_preopen_dir(
    c: *mut spindle_wasi_config_t,
    host_path: *const c_char,
    guest_path: *const c_char,
) -> bool {
    // SAFETY: both are C strings and `c` is live.
    let (Some(host), Some(guest)) = (unsafe { cstr(host_path) }, unsafe { cstr(guest_path) })
    else {
        return false;
    };
    unsafe {
        (*c).builder
            .preopened_dir(host, guest, spindle_wasi::FsPerms::ReadWrite)
    }
    .is_ok()
}

/// Takes the config; the store's guests then see that WASI (linked by
/// `spindle_linker_define_wasi`).
#[no_mangle]
pub unsafe extern "C" fn spindle_store_set_wasi(
    s: *mut wasm_store_t,
    c: *mut spindle_wasi_config_t,
) {
    // SAFETY: an owned config moves in; `s` is live.
    let mut c = unsafe { Box::from_raw(c) };
    unsafe { ctx(s) }.data_mut().wasi = Some(c.builder.build_p1());
}

// ---- linker --------------------------------------------------------------------------------------

/// Imports by name, for modules whose imports are not given in order.
pub struct spindle_linker_t {
    linker: Linker<StoreData>,
    /// The store its definitions belong to (the first `define` decides): instantiating in
    /// another store is refused (Spindle's handles panic on it).
    store: Option<*mut wasm_store_t>,
}

impl spindle_linker_t {
    fn same_store(&mut self, store: *mut wasm_store_t) -> Result<(), *mut spindle_error_t> {
        match self.store {
            Some(s) if s != store => Err(error("the linker's definitions belong to another store")),
            _ => {
                self.store = Some(store);
                Ok(())
            }
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn spindle_linker_new(e: *const wasm_engine_t) -> *mut spindle_linker_t {
    // SAFETY: `e` is live.
    let linker = Linker::new(unsafe { &(*e).engine });
    Box::into_raw(Box::new(spindle_linker_t {
        linker,
        store: None,
    }))
}

#[no_mangle]
pub unsafe extern "C" fn spindle_linker_delete(l: *mut spindle_linker_t) {
    if !l.is_null() {
        // SAFETY: an owned linker, given back once.
        drop(unsafe { Box::from_raw(l) });
    }
}

#[no_mangle]
pub unsafe extern "C" fn spindle_linker_allow_shadowing(l: *mut spindle_linker_t, allow: bool) {
    // SAFETY: `l` is live.
    unsafe { (*l).linker.allow_shadowing(allow) };
}

/// Defines `module`.`name` as `item` (an extern of `store`).
#[no_mangle]
pub unsafe extern "C" fn spindle_linker_define(
    l: *mut spindle_linker_t,
    store: *mut wasm_store_t,
    module: *const c_char,
    module_len: usize,
    name: *const c_char,
    name_len: usize,
    item: *const wasm_extern_t,
) -> *mut spindle_error_t {
    // SAFETY: the strings are readable; `l`, `store` and `item` are live.
    let (module, name) = match unsafe { (str_arg(module, module_len), str_arg(name, name_len)) } {
        (Ok(m), Ok(n)) => (m, n),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let item = unsafe { &*item };
    if let Err(e) = unsafe { (*l).same_store(store) } {
        return e;
    }
    if item.r.store != store {
        return error("the item belongs to another store");
    }
    let Some(x) = item.r.what.extern_() else {
        return error("not an extern");
    };
    result(unsafe { (*l).linker.define(ctx(store), module, name, x) }.map(|_| ()))
}

/// Defines every export of `instance` under the module name `name`.
#[no_mangle]
pub unsafe extern "C" fn spindle_linker_define_instance(
    l: *mut spindle_linker_t,
    store: *mut wasm_store_t,
    name: *const c_char,
    name_len: usize,
    instance: *const wasm_instance_t,
) -> *mut spindle_error_t {
    // SAFETY: as above.
    let name = match unsafe { str_arg(name, name_len) } {
        Ok(n) => n,
        Err(e) => return e,
    };
    let i = unsafe { &*instance };
    if let Err(e) = unsafe { (*l).same_store(store) } {
        return e;
    }
    if i.r.store != store {
        return error("the instance belongs to another store");
    }
    result(unsafe { (*l).linker.instance(ctx(store), name, i.instance()) }.map(|_| ()))
}

/// Defines `wasi_snapshot_preview1` over the WASI of the store it instantiates in (a store
/// without `spindle_store_set_wasi` gets an empty one: no arguments, environment, files or
/// inherited streams).
#[no_mangle]
pub unsafe extern "C" fn spindle_linker_define_wasi(
    l: *mut spindle_linker_t,
) -> *mut spindle_error_t {
    // SAFETY: `l` is live.
    let linker = unsafe { &mut (*l).linker };
    result(spindle_wasi::p1::add_to_linker_sync(
        linker,
        |d: &mut StoreData| {
            d.wasi
                .get_or_insert_with(|| spindle_wasi::WasiCtxBuilder::new().build_p1())
        },
    ))
}

/// Instantiates `module` with the linker's definitions. An error (`*instance` and `*trap`
/// null) says what did not link; a trap in the start function comes back in `*trap`.
#[no_mangle]
pub unsafe extern "C" fn spindle_linker_instantiate(
    l: *const spindle_linker_t,
    store: *mut wasm_store_t,
    module: *const wasm_module_t,
    instance: *mut *mut wasm_instance_t,
    trap: *mut *mut wasm_trap_t,
) -> *mut spindle_error_t {
    // SAFETY: all live; the out pointers writable.
    unsafe {
        instance.write(std::ptr::null_mut());
        trap.write(std::ptr::null_mut());
    }
    let module = &unsafe { (*module).data() }.module;
    if unsafe { (*l).store }.is_some_and(|s| s != store) {
        return error("the linker's definitions belong to another store");
    }
    match unsafe { (*l).linker.instantiate(ctx(store), module) } {
        Ok(i) => {
            unsafe { instance.write(RefObject::boxed(store, What::Instance(i))) };
            std::ptr::null_mut()
        }
        Err(e) if is_trap(&e) => {
            unsafe { trap.write(trap_from_error(store, e)) };
            std::ptr::null_mut()
        }
        Err(e) => error(format!("{e:#}")),
    }
}

fn is_trap(e: &Error) -> bool {
    e.downcast_ref::<Trap>().is_some() || e.downcast_ref::<I32Exit>().is_some()
}

/// The export `name` of `instance` (a new handle), or `NULL`.
#[no_mangle]
pub unsafe extern "C" fn spindle_instance_export_get(
    instance: *const wasm_instance_t,
    name: *const c_char,
    name_len: usize,
) -> *mut wasm_extern_t {
    // SAFETY: `instance` is live, and so is its store; the name is readable.
    let Ok(name) = (unsafe { str_arg(name, name_len) }) else {
        return std::ptr::null_mut();
    };
    let i = unsafe { &*instance };
    match i.instance().get_export(unsafe { ctx(i.r.store) }, name) {
        Some(x) => match What::of_extern(x) {
            Some(w) => RefObject::boxed(i.r.store, w),
            None => std::ptr::null_mut(),
        },
        None => std::ptr::null_mut(),
    }
}
