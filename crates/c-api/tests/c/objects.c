/* The runtime objects: globals, tables, memories, host functions with environments and
 * finalizers, references and host info, foreign objects as externrefs, re-entrance,
 * shared and serialized modules. */
#include "check.h"

static int finalized = 0;
static void finalize(void *p) { finalized += *(int *)p; }

static wasm_func_t *double_fn = NULL;

/* Calls the module's `double` from inside a host function (re-entrance). */
static wasm_trap_t *reenter(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  CHECK(*(int *)env == 5);
  wasm_val_t a[] = {WASM_I32_VAL(args->data[0].of.i32 + 1)};
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
  wasm_trap_t *trap = wasm_func_call(double_fn, &av, &rv);
  if (trap) return trap;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = r[0].of.i32 + 1000;
  return NULL;
}

static wasm_store_t *the_store = NULL;

static wasm_trap_t *fail(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  wasm_message_t m;
  wasm_name_new_from_string_nt(&m, "host says no");
  wasm_trap_t *t = wasm_trap_new(the_store, &m);
  wasm_name_delete(&m);
  return t;
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  wasm_config_t *config = wasm_config_new();
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  wasm_store_t *store = wasm_store_new(engine);
  the_store = store;

  /* ---- globals */
  wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_VAR);
  wasm_val_t seven = WASM_I64_VAL(7);
  wasm_global_t *g = wasm_global_new(store, gt, &seven);
  CHECK(g);
  wasm_val_t out;
  wasm_global_get(g, &out);
  CHECK(out.kind == WASM_I64 && out.of.i64 == 7);
  wasm_val_t nine = WASM_I64_VAL(9);
  wasm_global_set(g, &nine);
  wasm_global_get(g, &out);
  CHECK(out.of.i64 == 9);
  wasm_val_t wrong = WASM_I32_VAL(1);
  CHECK(wasm_global_new(store, gt, &wrong) == NULL);
  wasm_globaltype_delete(gt);
  wasm_globaltype_t *gt2 = wasm_global_type(g);
  CHECK(wasm_globaltype_mutability(gt2) == WASM_VAR);
  wasm_globaltype_delete(gt2);
  wasm_global_t *gcopy = wasm_global_copy(g);
  CHECK(wasm_global_same(g, gcopy));
  wasm_global_delete(gcopy);

  /* ---- memories */
  wasm_limits_t ml = {1, 2};
  wasm_memorytype_t *mt = wasm_memorytype_new(&ml);
  wasm_memory_t *mem = wasm_memory_new(store, mt);
  wasm_memorytype_delete(mt);
  CHECK(mem && wasm_memory_size(mem) == 1 && wasm_memory_data_size(mem) == 65536);
  wasm_memory_data(mem)[5] = 42;
  CHECK(wasm_memory_data(mem)[5] == 42);
  CHECK(wasm_memory_grow(mem, 1));
  CHECK(!wasm_memory_grow(mem, 1)); /* past the maximum */
  CHECK(wasm_memory_size(mem) == 2 && wasm_memory_data(mem)[5] == 42);
  wasm_memorytype_t *mt2 = wasm_memory_type(mem);
  CHECK(wasm_memorytype_limits(mt2)->max == 2);
  wasm_memorytype_delete(mt2);

  /* ---- host info and finalizers */
  int weight = 10;
  wasm_memory_set_host_info_with_finalizer(mem, &weight, finalize);
  CHECK(wasm_memory_get_host_info(mem) == &weight);
  /* Host info belongs to the object: every handle of it sees it. */
  wasm_memory_t *mcopy = wasm_memory_copy(mem);
  CHECK(wasm_memory_get_host_info(mcopy) == &weight);
  CHECK(wasm_memory_same(mem, mcopy));
  wasm_memory_delete(mcopy);
  CHECK(finalized == 0);

  /* ---- the module */
  wasm_byte_vec_t binary;
  read_file(argv[1], &binary);
  wasm_module_t *module = wasm_module_new(store, &binary);
  CHECK(module);
  wasm_byte_vec_t serialized;
  wasm_module_serialize(module, &serialized);
  wasm_module_t *again = wasm_module_deserialize(store, &serialized);
  CHECK(again);
  CHECK(wasm_module_deserialize(store, &binary) == NULL); /* not a serialized module */
  wasm_byte_vec_delete(&serialized);
  wasm_byte_vec_delete(&binary);
  wasm_module_delete(again);

  /* Shared with a second store of the engine. */
  wasm_shared_module_t *shared = wasm_module_share(module);
  wasm_store_t *store2 = wasm_store_new(engine);
  wasm_module_t *obtained = wasm_module_obtain(store2, shared);
  CHECK(obtained);
  wasm_exporttype_vec_t ex;
  wasm_module_exports(obtained, &ex);
  CHECK(ex.size == 9);
  wasm_exporttype_vec_delete(&ex);
  wasm_module_delete(obtained);
  wasm_shared_module_delete(shared);
  wasm_store_delete(store2);

  /* ---- host functions */
  int env_value = 5;
  int env_weight = 100;
  wasm_functype_t *ft = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t *reenter_fn = wasm_func_new_with_env(store, ft, reenter, &env_value, NULL);
  wasm_functype_delete(ft);
  wasm_functype_t *ft0 = wasm_functype_new_0_0();
  wasm_func_t *fail_fn = wasm_func_new(store, ft0, fail);
  /* A function only for its finalizer. */
  wasm_func_t *spare = wasm_func_new_with_env(store, ft0, reenter, &env_weight, finalize);
  wasm_functype_delete(ft0);
  CHECK(wasm_func_param_arity(reenter_fn) == 1 && wasm_func_result_arity(reenter_fn) == 1);
  wasm_functype_t *got = wasm_func_type(reenter_fn);
  CHECK(wasm_valtype_kind(wasm_functype_params(got)->data[0]) == WASM_I32);
  wasm_functype_delete(got);

  wasm_extern_t *imports_arr[] = {wasm_func_as_extern(reenter_fn), wasm_func_as_extern(fail_fn)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(imports_arr);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 9);
  wasm_table_t *table = wasm_extern_as_table(exports.data[0]);
  wasm_global_t *count = wasm_extern_as_global(exports.data[1]);
  double_fn = wasm_extern_as_func(exports.data[2]);
  wasm_func_t *echo_extern = wasm_extern_as_func(exports.data[3]);
  wasm_func_t *is_null = wasm_extern_as_func(exports.data[4]);
  wasm_func_t *echo_func = wasm_extern_as_func(exports.data[5]);
  wasm_func_t *call_table = wasm_extern_as_func(exports.data[6]);
  wasm_func_t *outer = wasm_extern_as_func(exports.data[7]);
  wasm_func_t *call_fail = wasm_extern_as_func(exports.data[8]);
  CHECK(table && count && double_fn && echo_extern && is_null && echo_func && call_table && outer &&
        call_fail);
  CHECK(wasm_extern_kind(exports.data[0]) == WASM_EXTERN_TABLE);
  CHECK(wasm_extern_kind(exports.data[1]) == WASM_EXTERN_GLOBAL);
  wasm_externtype_t *xt = wasm_extern_type(exports.data[2]);
  CHECK(wasm_externtype_kind(xt) == WASM_EXTERN_FUNC);
  wasm_externtype_delete(xt);

  /* Re-entrance: Wasm -> host -> Wasm, the global counting the inner call. */
  wasm_val_t a[] = {WASM_I32_VAL(20)};
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t av = WASM_ARRAY_VEC(a), rv = WASM_ARRAY_VEC(r);
  CHECK(wasm_func_call(outer, &av, &rv) == NULL);
  CHECK(r[0].of.i32 == 1042);
  wasm_global_get(count, &out);
  CHECK(out.kind == WASM_I32 && out.of.i32 == 1);

  /* A host trap through Wasm keeps its message; a copied instance handle is the same. */
  wasm_instance_t *icopy = wasm_instance_copy(instance);
  CHECK(wasm_instance_same(icopy, instance));
  wasm_instance_delete(icopy);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t *trap = wasm_func_call(call_fail, &none, &none);
  CHECK(trap);
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  CHECK(message_has(&msg, "host says no"));
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  CHECK(frames.size == 1 && wasm_frame_func_index(frames.data[0]) == 8);
  wasm_frame_vec_delete(&frames);
  wasm_trap_delete(trap);

  /* ---- externref: a foreign object goes through Wasm and comes back the same. */
  wasm_foreign_t *foreign = wasm_foreign_new(store);
  int tag = 3;
  wasm_foreign_set_host_info(foreign, &tag);
  wasm_val_t fa[] = {WASM_REF_VAL(wasm_foreign_as_ref(foreign))};
  wasm_val_t fr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t fav = WASM_ARRAY_VEC(fa), frv = WASM_ARRAY_VEC(fr);
  CHECK(wasm_func_call(echo_extern, &fav, &frv) == NULL);
  CHECK(fr[0].kind == WASM_EXTERNREF && fr[0].of.ref != NULL);
  wasm_foreign_t *back = wasm_ref_as_foreign(fr[0].of.ref);
  CHECK(back && wasm_foreign_same(back, foreign));
  CHECK(wasm_foreign_get_host_info(back) == &tag);
  CHECK(wasm_ref_as_func(fr[0].of.ref) == NULL);
  wasm_val_delete(&fr[0]);
  wasm_val_t na[] = {WASM_REF_VAL(NULL)};
  wasm_val_vec_t nav = WASM_ARRAY_VEC(na);
  CHECK(wasm_func_call(is_null, &nav, &rv) == NULL && r[0].of.i32 == 1);
  CHECK(wasm_func_call(is_null, &fav, &rv) == NULL && r[0].of.i32 == 0);
  wasm_val_t bad[] = {WASM_I32_VAL(1)};
  wasm_val_vec_t badv = WASM_ARRAY_VEC(bad);
  trap = wasm_func_call(is_null, &badv, &rv);
  CHECK(trap);
  wasm_trap_delete(trap);

  /* ---- funcref: a function as a reference value. */
  wasm_val_t fn_arg = {.kind = WASM_FUNCREF, .of = {.ref = wasm_func_as_ref(double_fn)}};
  wasm_val_t fn_args[] = {fn_arg};
  wasm_val_vec_t fnav = WASM_ARRAY_VEC(fn_args);
  CHECK(wasm_func_call(echo_func, &fnav, &frv) == NULL);
  CHECK(fr[0].kind == WASM_FUNCREF);
  wasm_func_t *echoed = wasm_ref_as_func(fr[0].of.ref);
  CHECK(echoed && wasm_func_same(echoed, double_fn));
  wasm_val_t copied;
  wasm_val_copy(&copied, &fr[0]);
  CHECK(wasm_ref_same(copied.of.ref, fr[0].of.ref));
  wasm_val_delete(&copied);
  wasm_val_delete(&fr[0]);

  /* ---- a function of another store is refused (a trap, false, NULL), never a crash */
  wasm_store_t *other = wasm_store_new(engine);
  wasm_functype_t *oft = wasm_functype_new_0_0();
  wasm_func_t *foreign_fn = wasm_func_new(other, oft, fail);
  wasm_functype_delete(oft);
  wasm_val_t of_arg[] = {{.kind = WASM_FUNCREF, .of = {.ref = wasm_func_as_ref(foreign_fn)}}};
  wasm_val_vec_t ofv = WASM_ARRAY_VEC(of_arg);
  trap = wasm_func_call(echo_func, &ofv, &frv);
  CHECK(trap);
  wasm_trap_message(trap, &msg);
  CHECK(message_has(&msg, "another store"));
  wasm_trap_delete(trap);
  CHECK(!wasm_table_set(table, 2, wasm_func_as_ref(foreign_fn)));
  wasm_val_t of_extern[] = {WASM_REF_VAL(wasm_func_as_ref(foreign_fn))};
  wasm_val_vec_t oev = WASM_ARRAY_VEC(of_extern);
  trap = wasm_func_call(echo_extern, &oev, &frv);
  CHECK(trap);
  wasm_trap_delete(trap);
  wasm_func_delete(foreign_fn);
  wasm_store_delete(other);

  /* ---- tables: read the element segment, store a host function, call it through Wasm. */
  CHECK(wasm_table_size(table) == 4);
  int fn_tag = 7;
  wasm_func_set_host_info(double_fn, &fn_tag);
  wasm_ref_t *e0 = wasm_table_get(table, 0);
  CHECK(e0 && wasm_func_same(wasm_ref_as_func_const(e0), double_fn));
  CHECK(wasm_ref_get_host_info(e0) == &fn_tag);
  wasm_ref_delete(e0);
  CHECK(wasm_table_get(table, 1) == NULL);
  CHECK(wasm_table_get(table, 99) == NULL);
  CHECK(wasm_table_set(table, 1, wasm_func_as_ref(reenter_fn)));
  CHECK(!wasm_table_set(table, 99, NULL));
  wasm_val_t ta[] = {WASM_I32_VAL(1), WASM_I32_VAL(4)};
  wasm_val_vec_t tav = WASM_ARRAY_VEC(ta);
  CHECK(wasm_func_call(call_table, &tav, &rv) == NULL && r[0].of.i32 == 1010);
  CHECK(wasm_table_grow(table, 2, wasm_func_as_ref(double_fn)));
  CHECK(wasm_table_size(table) == 6);
  wasm_val_t tb[] = {WASM_I32_VAL(5), WASM_I32_VAL(21)};
  wasm_val_vec_t tbv = WASM_ARRAY_VEC(tb);
  CHECK(wasm_func_call(call_table, &tbv, &rv) == NULL && r[0].of.i32 == 42);
  wasm_val_t tc[] = {WASM_I32_VAL(3), WASM_I32_VAL(1)};
  wasm_val_vec_t tcv = WASM_ARRAY_VEC(tc);
  trap = wasm_func_call(call_table, &tcv, &rv); /* a null element */
  CHECK(trap);
  wasm_trap_delete(trap);
  wasm_tabletype_t *tt = wasm_table_type(table);
  CHECK(wasm_tabletype_limits(tt)->min == 6);
  wasm_tabletype_delete(tt);
  wasm_limits_t tl = {2, 3};
  wasm_tabletype_t *tt2 = wasm_tabletype_new(wasm_valtype_new_externref(), &tl);
  wasm_table_t *t2 = wasm_table_new(store, tt2, wasm_foreign_as_ref(foreign));
  wasm_tabletype_delete(tt2);
  CHECK(t2 && wasm_table_size(t2) == 2);
  wasm_ref_t *fe = wasm_table_get(t2, 1);
  CHECK(fe && wasm_ref_as_foreign(fe) && wasm_foreign_same(wasm_ref_as_foreign(fe), foreign));
  wasm_ref_delete(fe);
  CHECK(!wasm_table_grow(t2, 5, NULL));
  wasm_table_delete(t2);

  /* ---- ref conversions of every kind. */
  CHECK(wasm_ref_as_global(wasm_global_as_ref(g)) == g);
  CHECK(wasm_ref_as_memory(wasm_memory_as_ref(mem)) == mem);
  CHECK(wasm_ref_as_table(wasm_table_as_ref(table)) == table);
  CHECK(wasm_ref_as_instance(wasm_instance_as_ref(instance)) == instance);
  CHECK(wasm_ref_as_module(wasm_module_as_ref(module)) == module);
  CHECK(wasm_ref_as_extern(wasm_func_as_ref(double_fn)) != NULL);
  CHECK(wasm_ref_as_extern(wasm_module_as_ref(module)) == NULL);
  CHECK(wasm_ref_as_memory_const(wasm_global_as_ref_const(g)) == NULL);
  CHECK(wasm_extern_as_global(wasm_global_as_extern(g)) == g);
  CHECK(wasm_extern_as_memory_const(wasm_memory_as_extern_const(mem)) == mem);
  CHECK(wasm_extern_as_table_const(wasm_table_as_extern_const(table)) == table);
  CHECK(wasm_extern_as_func_const(wasm_func_as_extern_const(double_fn)) == double_fn);

  /* ---- values and vectors of values. */
  wasm_val_vec_t vals, vcopy;
  wasm_val_t vs[] = {WASM_I32_VAL(1), WASM_F64_VAL(2.5)};
  wasm_val_vec_new(&vals, 2, vs);
  wasm_val_vec_copy(&vcopy, &vals);
  CHECK(vcopy.size == 2 && vcopy.data[1].kind == WASM_F64 && vcopy.data[1].of.f64 == 2.5);
  wasm_val_vec_delete(&vals);
  wasm_val_vec_delete(&vcopy);

  wasm_extern_vec_t xcopy;
  wasm_extern_vec_copy(&xcopy, &exports);
  CHECK(xcopy.size == 9 && wasm_extern_same(xcopy.data[2], exports.data[2]));
  wasm_extern_vec_delete(&xcopy);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_foreign_delete(foreign);
  wasm_func_delete(reenter_fn);
  wasm_func_delete(fail_fn);
  wasm_func_delete(spare);
  wasm_global_delete(g);
  /* A trap's host info goes with its last handle; a store entity's with the store. */
  wasm_message_t tm;
  wasm_name_new_from_string_nt(&tm, "t");
  wasm_trap_t *t = wasm_trap_new(store, &tm);
  wasm_name_delete(&tm);
  int trap_weight = 1000;
  wasm_trap_set_host_info_with_finalizer(t, &trap_weight, finalize);
  wasm_trap_t *tcopy = wasm_trap_copy(t);
  wasm_trap_delete(t);
  CHECK(finalized == 0 && wasm_trap_get_host_info(tcopy) == &trap_weight);
  wasm_trap_delete(tcopy);
  CHECK(finalized == 1000);
  wasm_memory_delete(mem);
  CHECK(finalized == 1000);
  /* The memory's host info and the function environment finalize with the store. */
  wasm_store_delete(store);
  CHECK(finalized == 1110);
  wasm_engine_delete(engine);
  printf("objects: ok\n");
  return 0;
}
