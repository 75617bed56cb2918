/* spindle.h: errors, fuel, epochs, store limits, trap codes, WAT, WASI and the linker. */
#include <unistd.h>

#include "check.h"
#include "spindle.h"

static int error_has(spindle_error_t *e, const char *needle) {
  if (!e) return 0;
  wasm_name_t m;
  spindle_error_message(e, &m);
  spindle_error_delete(e);
  return message_has(&m, needle);
}

static wasm_func_t *export_func(wasm_instance_t *i, const char *name) {
  wasm_extern_t *x = spindle_instance_export_get(i, name, strlen(name));
  CHECK(x);
  return wasm_extern_as_func(x);
}

int main(int argc, char **argv) {
  CHECK(argc == 3); /* the module, a scratch directory */
  wasm_config_t *config = wasm_config_new();
  spindle_config_consume_fuel_set(config, true);
  spindle_config_epoch_interruption_set(config, true);
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  wasm_store_t *store = wasm_store_new(engine);
  /* With epochs on, a store's deadline starts at the current epoch: give it room. */
  spindle_store_set_epoch_deadline(store, 1000);

  /* Errors that say why. */
  wasm_module_t *module = NULL;
  const uint8_t junk[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
  CHECK(error_has(spindle_module_new(store, junk, sizeof junk, &module), "version"));
  wasm_byte_vec_t wasm;
  const char *invalid = "(module (func (result i32)))";
  CHECK(spindle_wat2wasm(invalid, strlen(invalid), &wasm) == NULL);
  CHECK(error_has(spindle_module_new(store, (const uint8_t *)wasm.data, wasm.size, &module),
                  "type mismatch"));
  wasm_byte_vec_delete(&wasm);
  CHECK(error_has(spindle_wat2wasm("(module (fnc))", 14, &wasm), "fnc"));
  const char *wat = "(module (func (export \"f\") (result i32) (i32.const 5)))";
  CHECK(spindle_wat2wasm(wat, strlen(wat), &wasm) == NULL);
  CHECK(wasm.size > 8 && memcmp(wasm.data, "\0asm", 4) == 0);
  wasm_byte_vec_delete(&wasm);

  wasm_byte_vec_t binary;
  read_file(argv[1], &binary);
  CHECK(spindle_module_new(store, (const uint8_t *)binary.data, binary.size, &module) == NULL);
  wasm_byte_vec_delete(&binary);
  CHECK(module);

  /* WASI through the linker; stdout to a file, arguments given. */
  char out_path[512];
  snprintf(out_path, sizeof out_path, "%s/stdout.txt", argv[2]);
  spindle_wasi_config_t *wasi = spindle_wasi_config_new();
  const char *args[] = {"prog", "one", "two"};
  CHECK(spindle_wasi_config_set_argv(wasi, 3, args));
  const char *names[] = {"K"}, *values[] = {"V"};
  CHECK(spindle_wasi_config_set_env(wasi, 1, names, values));
  CHECK(spindle_wasi_config_set_stdout_file(wasi, out_path));
  CHECK(spindle_wasi_config_preopen_dir(wasi, argv[2], "/scratch"));
  CHECK(!spindle_wasi_config_preopen_dir(wasi, "/no/such/dir", "/x"));
  spindle_store_set_wasi(store, wasi);

  spindle_linker_t *linker = spindle_linker_new(engine);
  CHECK(spindle_linker_define_wasi(linker) == NULL);
  wasm_instance_t *instance = NULL;
  wasm_trap_t *trap = NULL;
  CHECK(spindle_store_set_fuel(store, 1000000) == NULL);
  CHECK(spindle_linker_instantiate(linker, store, module, &instance, &trap) == NULL);
  CHECK(instance && !trap);

  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t rv = WASM_ARRAY_VEC(r);
  wasm_func_t *argc_fn = export_func(instance, "argc");
  trap = wasm_func_call(argc_fn, &none, &rv);
  if (trap) {
    wasm_message_t m;
    wasm_trap_message(trap, &m);
    fprintf(stderr, "argc trapped: %s\n", m.data);
    wasm_byte_vec_delete(&m);
  }
  CHECK(trap == NULL && r[0].of.i32 == 3);

  wasm_func_t *start = export_func(instance, "_start");
  trap = wasm_func_call(start, &none, &none);
  CHECK(trap);
  int status = 0;
  CHECK(spindle_trap_exit_status(trap, &status) && status == 7);
  spindle_trap_code_t code;
  CHECK(!spindle_trap_code(trap, &code));
  wasm_trap_delete(trap);
  FILE *f = fopen(out_path, "r");
  CHECK(f);
  char line[64] = {0};
  CHECK(fgets(line, sizeof line, f) && strcmp(line, "spindle says hi\n") == 0);
  fclose(f);

  /* Fuel: a loop runs out; the fuel left is read back; the store is usable after. */
  uint64_t fuel = 0;
  CHECK(spindle_store_get_fuel(store, &fuel) == NULL && fuel > 0 && fuel < 1000000);
  CHECK(spindle_store_set_fuel(store, 5000) == NULL);
  wasm_func_t *spin = export_func(instance, "spin");
  trap = wasm_func_call(spin, &none, &none);
  CHECK(trap && spindle_trap_code(trap, &code) && code == SPINDLE_TRAP_OUT_OF_FUEL);
  CHECK(!spindle_trap_exit_status(trap, &status));
  wasm_trap_delete(trap);
  CHECK(spindle_store_get_fuel(store, &fuel) == NULL && fuel == 0);

  /* Epochs: a deadline one tick away, the tick from the host. */
  CHECK(spindle_store_set_fuel(store, UINT64_MAX / 2) == NULL);
  spindle_store_set_epoch_deadline(store, 1);
  spindle_engine_increment_epoch(engine);
  trap = wasm_func_call(spin, &none, &none);
  CHECK(trap && spindle_trap_code(trap, &code) && code == SPINDLE_TRAP_INTERRUPT);
  wasm_trap_delete(trap);
  spindle_store_set_epoch_deadline(store, 1000);

  /* Limits: memory growth past 3 pages fails with -1. */
  spindle_store_limiter(store, 3 * 65536, -1, -1, -1, -1);
  wasm_func_t *grow = export_func(instance, "grow");
  wasm_val_t g1[] = {WASM_I32_VAL(2)};
  wasm_val_vec_t g1v = WASM_ARRAY_VEC(g1);
  CHECK(wasm_func_call(grow, &g1v, &rv) == NULL && r[0].of.i32 == 1);
  wasm_val_t g2[] = {WASM_I32_VAL(1)};
  wasm_val_vec_t g2v = WASM_ARRAY_VEC(g2);
  trap = wasm_func_call(grow, &g2v, &rv);
  if (!trap) fprintf(stderr, "grow gave %d\n", r[0].of.i32);
  CHECK(trap == NULL && r[0].of.i32 == -1);

  /* Linking errors say which import; a defined memory satisfies nothing of WASI's. */
  spindle_linker_t *empty = spindle_linker_new(engine);
  wasm_instance_t *none_inst = NULL;
  CHECK(error_has(spindle_linker_instantiate(empty, store, module, &none_inst, &trap), "fd_write"));
  CHECK(!none_inst && !trap);
  wasm_extern_t *mem = spindle_instance_export_get(instance, "memory", 6);
  CHECK(spindle_linker_define(empty, store, "env", 3, "memory", 6, mem) == NULL);
  CHECK(spindle_linker_define_instance(empty, store, "first", 5, instance) == NULL);
  CHECK(error_has(spindle_linker_define(empty, store, "env", 3, "memory", 6, mem), "defined"));
  spindle_linker_allow_shadowing(empty, true);
  CHECK(spindle_linker_define(empty, store, "env", 3, "memory", 6, mem) == NULL);
  CHECK(spindle_instance_export_get(instance, "nope", 4) == NULL);
  wasm_extern_delete(mem);
  spindle_linker_delete(empty);

  wasm_extern_delete(wasm_func_as_extern(argc_fn));
  wasm_extern_delete(wasm_func_as_extern(start));
  wasm_extern_delete(wasm_func_as_extern(spin));
  wasm_extern_delete(wasm_func_as_extern(grow));
  wasm_instance_delete(instance);
  spindle_linker_delete(linker);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("extensions: ok\n");
  return 0;
}
