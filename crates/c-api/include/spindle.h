/*
 * spindle.h: Spindle's additions to the standard C API (wasm.h).
 *
 * Errors: functions that can fail for a reason worth telling return an owned
 * `spindle_error_t *` (NULL on success); read it with `spindle_error_message` and free it
 * with `spindle_error_delete`.
 */

#ifndef SPINDLE_H
#define SPINDLE_H

#include "wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Kinds the standard header has no name for ------------------------------------ */

/* A `v128` value type (no `wasm_val_t` carries one: such values cannot cross the API). */
#define SPINDLE_V128 ((wasm_valkind_t)4)
/* A reference type of a hierarchy the header cannot name (anyref, GC types, exnref). */
#define SPINDLE_OTHERREF ((wasm_valkind_t)130)
/* An exception tag, as an extern kind. */
#define SPINDLE_EXTERN_TAG ((wasm_externkind_t)4)

/* ---- Errors --------------------------------------------------------------------- */

typedef struct spindle_error_t spindle_error_t;
WASM_API_EXTERN void spindle_error_delete(own spindle_error_t *);
/* The message, NUL-terminated (the NUL counted in `out->size`). */
WASM_API_EXTERN void spindle_error_message(const spindle_error_t *, own wasm_name_t *out);

/* ---- Configuration and engine ------------------------------------------------------ */

/* Count fuel: every store starts with none and traps when it runs out. */
WASM_API_EXTERN void spindle_config_consume_fuel_set(wasm_config_t *, bool);
/* Check the engine's epoch against each store's deadline. */
WASM_API_EXTERN void spindle_config_epoch_interruption_set(wasm_config_t *, bool);
/* Validate and translate each function on its first call (errors then trap). */
WASM_API_EXTERN void spindle_config_lazy_translation_set(wasm_config_t *, bool);
/* Run the portable interpreter loop instead of the threaded one. */
WASM_API_EXTERN void spindle_config_portable_dispatch_set(wasm_config_t *, bool);

/* Advances the engine's epoch (safe from any thread). */
WASM_API_EXTERN void spindle_engine_increment_epoch(const wasm_engine_t *);

/* ---- Store ------------------------------------------------------------------------ */

WASM_API_EXTERN own spindle_error_t *spindle_store_set_fuel(wasm_store_t *, uint64_t fuel);
WASM_API_EXTERN own spindle_error_t *spindle_store_get_fuel(wasm_store_t *, uint64_t *fuel);
/* Wasm traps (SPINDLE_TRAP_INTERRUPT) once the epoch is `ticks` past the current one. */
WASM_API_EXTERN void spindle_store_set_epoch_deadline(wasm_store_t *, uint64_t ticks);
/* Bounds on what the store's Wasm may allocate; a negative value means no limit. Memory
 * and table growth past a bound fails (memory.grow gives -1); instantiation past one is
 * an error. Not from inside a host function (ignored there). */
WASM_API_EXTERN void spindle_store_limiter(wasm_store_t *, int64_t memory_size,
                                           int64_t table_elements, int64_t instances,
                                           int64_t tables, int64_t memories);

/* ---- Modules --------------------------------------------------------------------- */

/* `wasm_module_new` that says why a binary is refused (with its byte offset). */
WASM_API_EXTERN own spindle_error_t *spindle_module_new(wasm_store_t *, const uint8_t *wasm,
                                                        size_t len, own wasm_module_t **out);

/* WebAssembly text to binary. */
WASM_API_EXTERN own spindle_error_t *spindle_wat2wasm(const char *wat, size_t len,
                                                      own wasm_byte_vec_t *out);

/* ---- Traps ------------------------------------------------------------------------ */

typedef uint8_t spindle_trap_code_t;
enum spindle_trap_code_enum {
  SPINDLE_TRAP_STACK_OVERFLOW = 0,
  SPINDLE_TRAP_MEMORY_OUT_OF_BOUNDS = 1,
  SPINDLE_TRAP_TABLE_OUT_OF_BOUNDS = 3,
  SPINDLE_TRAP_INDIRECT_CALL_TO_NULL = 4,
  SPINDLE_TRAP_BAD_SIGNATURE = 5,
  SPINDLE_TRAP_INTEGER_OVERFLOW = 6,
  SPINDLE_TRAP_INTEGER_DIVISION_BY_ZERO = 7,
  SPINDLE_TRAP_BAD_CONVERSION_TO_INTEGER = 8,
  SPINDLE_TRAP_UNREACHABLE = 9,
  SPINDLE_TRAP_INTERRUPT = 10,
  SPINDLE_TRAP_OUT_OF_FUEL = 11,
  SPINDLE_TRAP_NULL_REFERENCE = 12,
  SPINDLE_TRAP_ARRAY_OUT_OF_BOUNDS = 13,
  SPINDLE_TRAP_CAST_FAILURE = 14,
  SPINDLE_TRAP_UNCAUGHT_EXCEPTION = 15,
  SPINDLE_TRAP_GC_HEAP_EXHAUSTED = 16,
  SPINDLE_TRAP_UNALIGNED_ATOMIC = 17,
};

/* Whether the trap is one of Wasm's own (not a host function's), and which. */
WASM_API_EXTERN bool spindle_trap_code(const wasm_trap_t *, spindle_trap_code_t *code);
/* Whether the trap is a guest's request to exit (WASI `proc_exit`), and its status. */
WASM_API_EXTERN bool spindle_trap_exit_status(const wasm_trap_t *, int *status);

/* ---- WASI preview 1 --------------------------------------------------------------- */

typedef struct spindle_wasi_config_t spindle_wasi_config_t;
WASM_API_EXTERN own spindle_wasi_config_t *spindle_wasi_config_new(void);
WASM_API_EXTERN void spindle_wasi_config_delete(own spindle_wasi_config_t *);
/* Strings are NUL-terminated UTF-8; `false` if one is not. */
WASM_API_EXTERN bool spindle_wasi_config_set_argv(spindle_wasi_config_t *, size_t argc,
                                                  const char *argv[]);
WASM_API_EXTERN void spindle_wasi_config_inherit_argv(spindle_wasi_config_t *);
WASM_API_EXTERN bool spindle_wasi_config_set_env(spindle_wasi_config_t *, size_t n,
                                                 const char *names[], const char *values[]);
WASM_API_EXTERN void spindle_wasi_config_inherit_env(spindle_wasi_config_t *);
WASM_API_EXTERN void spindle_wasi_config_inherit_stdin(spindle_wasi_config_t *);
WASM_API_EXTERN void spindle_wasi_config_inherit_stdout(spindle_wasi_config_t *);
WASM_API_EXTERN void spindle_wasi_config_inherit_stderr(spindle_wasi_config_t *);
/* The stream reads (stdin) or is written to (stdout, stderr: created/truncated) a file. */
WASM_API_EXTERN bool spindle_wasi_config_set_stdin_file(spindle_wasi_config_t *, const char *path);
WASM_API_EXTERN bool spindle_wasi_config_set_stdout_file(spindle_wasi_config_t *, const char *path);
WASM_API_EXTERN bool spindle_wasi_config_set_stderr_file(spindle_wasi_config_t *, const char *path);
/* The host directory `host_path` appears to the guest, read-write, as `guest_path`. */
WASM_API_EXTERN bool spindle_wasi_config_preopen_dir(spindle_wasi_config_t *,
                                                     const char *host_path,
                                                     const char *guest_path);
/* Takes the config: the store's guests see that WASI. */
WASM_API_EXTERN void spindle_store_set_wasi(wasm_store_t *, own spindle_wasi_config_t *);

/* ---- Linker ----------------------------------------------------------------------- */

/* Imports by name (for WASI, and for modules whose imports are not listed by hand). */
typedef struct spindle_linker_t spindle_linker_t;
WASM_API_EXTERN own spindle_linker_t *spindle_linker_new(const wasm_engine_t *);
WASM_API_EXTERN void spindle_linker_delete(own spindle_linker_t *);
WASM_API_EXTERN void spindle_linker_allow_shadowing(spindle_linker_t *, bool);
WASM_API_EXTERN own spindle_error_t *spindle_linker_define(spindle_linker_t *, wasm_store_t *,
                                                           const char *module, size_t module_len,
                                                           const char *name, size_t name_len,
                                                           const wasm_extern_t *item);
WASM_API_EXTERN own spindle_error_t *
spindle_linker_define_instance(spindle_linker_t *, wasm_store_t *, const char *name,
                               size_t name_len, const wasm_instance_t *);
/* `wasi_snapshot_preview1`, over the WASI of the store being instantiated in. */
WASM_API_EXTERN own spindle_error_t *spindle_linker_define_wasi(spindle_linker_t *);
/* An error means the module did not link; a trap in its start function is returned in
 * `*trap` instead (with `*instance` NULL). */
WASM_API_EXTERN own spindle_error_t *spindle_linker_instantiate(const spindle_linker_t *,
                                                                wasm_store_t *,
                                                                const wasm_module_t *,
                                                                own wasm_instance_t **instance,
                                                                own wasm_trap_t **trap);

/* The export `name` of an instance, or NULL. */
WASM_API_EXTERN own wasm_extern_t *spindle_instance_export_get(const wasm_instance_t *,
                                                               const char *name,
                                                               size_t name_len);

#ifdef __cplusplus
}
#endif

#endif /* SPINDLE_H */
