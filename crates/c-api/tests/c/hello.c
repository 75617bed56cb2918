/* A program written against wasm.h only: instantiate with an imported callback, call
 * exports, read memory, catch a trap. Linked against libspindle by the test suite. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "wasm.h"

static int calls = 0;

static wasm_trap_t *add_one(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  calls++;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 + 1;
  return NULL;
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);

  wasm_byte_vec_t binary;
  read_file(argv[1], &binary);
  CHECK(wasm_module_validate(store, &binary));
  wasm_module_t *module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  CHECK(module != NULL);

  wasm_functype_t *ty = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t *host = wasm_func_new(store, ty, add_one);
  wasm_functype_delete(ty);

  wasm_extern_t *imports_arr[] = {wasm_func_as_extern(host)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(imports_arr);
  wasm_trap_t *trap = NULL;
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, &trap);
  CHECK(instance != NULL && trap == NULL);

  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 4);
  wasm_memory_t *memory = wasm_extern_as_memory(exports.data[0]);
  wasm_func_t *run = wasm_extern_as_func(exports.data[1]);
  wasm_func_t *store_fn = wasm_extern_as_func(exports.data[2]);
  wasm_func_t *boom = wasm_extern_as_func(exports.data[3]);
  CHECK(memory && run && store_fn && boom);
  CHECK(wasm_extern_as_func(exports.data[0]) == NULL);

  /* A call through the import. */
  wasm_val_t args_arr[] = {WASM_I32_VAL(20)};
  wasm_val_t results_arr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(args_arr);
  wasm_val_vec_t results = WASM_ARRAY_VEC(results_arr);
  CHECK(wasm_func_call(run, &args, &results) == NULL);
  CHECK(results_arr[0].kind == WASM_I32 && results_arr[0].of.i32 == 41);
  CHECK(calls == 1);

  /* Memory: the data segment, a store seen from the host, growth. */
  CHECK(wasm_memory_size(memory) == 1);
  CHECK(wasm_memory_data_size(memory) == 65536);
  CHECK(memcmp(wasm_memory_data(memory) + 16, "hello from wasm", 15) == 0);
  wasm_val_t st_arr[] = {WASM_I32_VAL(100), WASM_I32_VAL(0x01020304)};
  wasm_val_vec_t st = WASM_ARRAY_VEC(st_arr);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(store_fn, &st, &none) == NULL);
  CHECK(wasm_memory_data(memory)[100] == 4 && wasm_memory_data(memory)[103] == 1);
  CHECK(wasm_memory_grow(memory, 2));
  CHECK(wasm_memory_size(memory) == 3);

  /* A trap: out of bounds, then unreachable three calls deep, with its frames. */
  wasm_val_t oob_arr[] = {WASM_I32_VAL(3 * 65536 - 2), WASM_I32_VAL(7)};
  wasm_val_vec_t oob = WASM_ARRAY_VEC(oob_arr);
  trap = wasm_func_call(store_fn, &oob, &none);
  CHECK(trap != NULL);
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  CHECK(message_has(&message, "out of bounds memory access"));
  wasm_trap_delete(trap);

  wasm_val_t r_arr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t r = WASM_ARRAY_VEC(r_arr);
  trap = wasm_func_call(boom, &none, &r);
  CHECK(trap != NULL);
  wasm_trap_message(trap, &message);
  CHECK(message_has(&message, "unreachable"));
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  CHECK(trace.size == 5); /* $deep x4, boom */
  CHECK(wasm_frame_func_index(trace.data[0]) == 3);
  CHECK(wasm_frame_func_index(trace.data[4]) == 4);
  CHECK(wasm_frame_module_offset(trace.data[0]) > wasm_frame_func_offset(trace.data[0]));
  wasm_frame_t *origin = wasm_trap_origin(trap);
  CHECK(origin && wasm_frame_module_offset(origin) == wasm_frame_module_offset(trace.data[0]));
  wasm_frame_delete(origin);
  wasm_frame_vec_delete(&trace);
  wasm_trap_delete(trap);

  /* The store is still usable after traps. */
  CHECK(wasm_func_call(run, &args, &results) == NULL);
  CHECK(results_arr[0].of.i32 == 41 && calls == 2);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(host);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("hello: ok\n");
  return 0;
}
