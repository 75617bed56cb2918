/* Every type object: constructors, accessors, copies, vectors, the extern casts, and a
 * module's import and export types. */
#include "check.h"

static int name_is(const wasm_name_t *n, const char *s) {
  return n->size == strlen(s) && memcmp(n->data, s, n->size) == 0;
}

static void value_types(void) {
  wasm_valkind_t kinds[] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_EXTERNREF, WASM_FUNCREF};
  for (size_t i = 0; i < 6; i++) {
    wasm_valtype_t *t = wasm_valtype_new(kinds[i]);
    CHECK(wasm_valtype_kind(t) == kinds[i]);
    CHECK(wasm_valtype_is_num(t) == (i < 4));
    CHECK(wasm_valtype_is_ref(t) == (i >= 4));
    wasm_valtype_t *c = wasm_valtype_copy(t);
    CHECK(wasm_valtype_kind(c) == kinds[i]);
    wasm_valtype_delete(t);
    wasm_valtype_delete(c);
  }
  CHECK(wasm_valtype_new(77) == NULL);

  wasm_valtype_vec_t v, copy, empty, blank;
  wasm_valtype_t *ts[] = {wasm_valtype_new_i64(), wasm_valtype_new_funcref()};
  wasm_valtype_vec_new(&v, 2, ts);
  wasm_valtype_vec_copy(&copy, &v);
  CHECK(copy.size == 2 && wasm_valtype_kind(copy.data[1]) == WASM_FUNCREF);
  CHECK(copy.data[0] != v.data[0]);
  wasm_valtype_vec_new_empty(&empty);
  CHECK(empty.size == 0);
  wasm_valtype_vec_new_uninitialized(&blank, 3);
  CHECK(blank.size == 3 && blank.data[0] == NULL);
  wasm_valtype_vec_delete(&v);
  wasm_valtype_vec_delete(&copy);
  wasm_valtype_vec_delete(&empty);
  wasm_valtype_vec_delete(&blank);

  wasm_byte_vec_t bytes, bcopy;
  wasm_name_new_from_string(&bytes, "abc");
  CHECK(bytes.size == 3);
  wasm_byte_vec_copy(&bcopy, &bytes);
  CHECK(bcopy.size == 3 && memcmp(bcopy.data, "abc", 3) == 0);
  wasm_byte_vec_delete(&bytes);
  wasm_byte_vec_delete(&bcopy);
  wasm_name_new_from_string_nt(&bytes, "abc");
  CHECK(bytes.size == 4 && bytes.data[3] == 0);
  wasm_name_delete(&bytes);
}

static void extern_types(void) {
  wasm_functype_t *f = wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_f64(),
                                             wasm_valtype_new_externref());
  CHECK(wasm_functype_params(f)->size == 2);
  CHECK(wasm_valtype_kind(wasm_functype_params(f)->data[1]) == WASM_F64);
  CHECK(wasm_functype_results(f)->size == 1);
  wasm_functype_t *fc = wasm_functype_copy(f);
  CHECK(wasm_valtype_kind(wasm_functype_results(fc)->data[0]) == WASM_EXTERNREF);
  wasm_externtype_t *fe = wasm_functype_as_externtype(f);
  CHECK(wasm_externtype_kind(fe) == WASM_EXTERN_FUNC);
  CHECK(wasm_externtype_as_functype(fe) == f);
  CHECK(wasm_externtype_as_globaltype(fe) == NULL);
  CHECK(wasm_externtype_as_functype_const(wasm_functype_as_externtype_const(f)) == f);
  wasm_functype_delete(f);
  wasm_functype_delete(fc);

  wasm_globaltype_t *g = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_VAR);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(g)) == WASM_I64);
  CHECK(wasm_globaltype_mutability(g) == WASM_VAR);
  wasm_externtype_t *ge = wasm_globaltype_as_externtype(g);
  CHECK(wasm_externtype_kind(ge) == WASM_EXTERN_GLOBAL);
  CHECK(wasm_externtype_as_globaltype(ge) == g && wasm_externtype_as_tabletype(ge) == NULL);
  wasm_externtype_t *gc = wasm_externtype_copy(ge);
  CHECK(wasm_globaltype_mutability(wasm_externtype_as_globaltype_const(gc)) == WASM_VAR);
  wasm_externtype_delete(gc);
  wasm_globaltype_delete(g);

  wasm_limits_t tl = {1, 5};
  wasm_tabletype_t *t = wasm_tabletype_new(wasm_valtype_new_funcref(), &tl);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(t)) == WASM_FUNCREF);
  CHECK(wasm_tabletype_limits(t)->min == 1 && wasm_tabletype_limits(t)->max == 5);
  CHECK(wasm_externtype_kind(wasm_tabletype_as_externtype(t)) == WASM_EXTERN_TABLE);
  CHECK(wasm_externtype_as_tabletype_const(wasm_tabletype_as_externtype_const(t)) == t);
  wasm_tabletype_delete(t);
  CHECK(wasm_tabletype_new(wasm_valtype_new_i32(), &tl) == NULL);

  wasm_limits_t ml = {2, wasm_limits_max_default};
  wasm_memorytype_t *m = wasm_memorytype_new(&ml);
  CHECK(wasm_memorytype_limits(m)->min == 2);
  CHECK(wasm_memorytype_limits(m)->max == wasm_limits_max_default);
  CHECK(wasm_externtype_kind(wasm_memorytype_as_externtype(m)) == WASM_EXTERN_MEMORY);
  CHECK(wasm_externtype_as_memorytype(wasm_memorytype_as_externtype(m)) == m);
  CHECK(wasm_externtype_as_memorytype_const(wasm_memorytype_as_externtype_const(m)) == m);
  wasm_memorytype_t *mc = wasm_memorytype_copy(m);
  wasm_memorytype_delete(m);
  wasm_memorytype_delete(mc);

  wasm_name_t module, name, ename;
  wasm_name_new_from_string(&module, "mod");
  wasm_name_new_from_string(&name, "item");
  wasm_importtype_t *it = wasm_importtype_new(
      &module, &name, wasm_memorytype_as_externtype(wasm_memorytype_new(&ml)));
  CHECK(name_is(wasm_importtype_module(it), "mod") && name_is(wasm_importtype_name(it), "item"));
  CHECK(wasm_externtype_kind(wasm_importtype_type(it)) == WASM_EXTERN_MEMORY);
  wasm_importtype_t *itc = wasm_importtype_copy(it);
  CHECK(name_is(wasm_importtype_name(itc), "item"));
  wasm_importtype_delete(it);
  wasm_importtype_delete(itc);

  wasm_name_new_from_string(&ename, "out");
  wasm_exporttype_t *et = wasm_exporttype_new(
      &ename, wasm_globaltype_as_externtype(wasm_globaltype_new(wasm_valtype_new_f32(), WASM_CONST)));
  CHECK(name_is(wasm_exporttype_name(et), "out"));
  CHECK(wasm_externtype_kind(wasm_exporttype_type(et)) == WASM_EXTERN_GLOBAL);
  wasm_exporttype_vec_t evec;
  wasm_exporttype_t *ets[] = {et};
  wasm_exporttype_vec_new(&evec, 1, ets);
  wasm_exporttype_vec_delete(&evec);

  wasm_externtype_vec_t xs;
  wasm_externtype_vec_new_uninitialized(&xs, 2);
  xs.data[0] = wasm_functype_as_externtype(wasm_functype_new_0_0());
  xs.data[1] = NULL;
  wasm_externtype_vec_delete(&xs);
  wasm_functype_vec_t fv;
  wasm_functype_vec_new_empty(&fv);
  wasm_functype_vec_delete(&fv);
  wasm_globaltype_vec_t gv;
  wasm_globaltype_vec_new_uninitialized(&gv, 1);
  wasm_globaltype_vec_delete(&gv);
  wasm_tabletype_vec_t tv;
  wasm_tabletype_vec_new_empty(&tv);
  wasm_tabletype_vec_delete(&tv);
  wasm_memorytype_vec_t mv;
  wasm_memorytype_vec_new_empty(&mv);
  wasm_memorytype_vec_delete(&mv);
}

static void module_types(const char *path) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  read_file(path, &binary);
  wasm_module_t *module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  CHECK(module);

  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  CHECK(imports.size == 4);
  CHECK(name_is(wasm_importtype_module(imports.data[0]), "env"));
  CHECK(name_is(wasm_importtype_name(imports.data[0]), "f"));
  const wasm_functype_t *f = wasm_externtype_as_functype_const(wasm_importtype_type(imports.data[0]));
  CHECK(f && wasm_functype_params(f)->size == 2);
  CHECK(wasm_valtype_kind(wasm_functype_params(f)->data[1]) == WASM_I64);
  CHECK(wasm_valtype_kind(wasm_functype_results(f)->data[0]) == WASM_F32);
  const wasm_globaltype_t *g = wasm_externtype_as_globaltype_const(wasm_importtype_type(imports.data[1]));
  CHECK(g && wasm_globaltype_mutability(g) == WASM_VAR);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(g)) == WASM_F64);
  const wasm_tabletype_t *t = wasm_externtype_as_tabletype_const(wasm_importtype_type(imports.data[2]));
  CHECK(t && wasm_tabletype_limits(t)->min == 2 && wasm_tabletype_limits(t)->max == 10);
  const wasm_memorytype_t *m = wasm_externtype_as_memorytype_const(wasm_importtype_type(imports.data[3]));
  CHECK(m && wasm_memorytype_limits(m)->min == 1 && wasm_memorytype_limits(m)->max == 4);
  wasm_importtype_vec_t icopy;
  wasm_importtype_vec_copy(&icopy, &imports);
  CHECK(icopy.size == 4 && name_is(wasm_importtype_name(icopy.data[3]), "m"));
  wasm_importtype_vec_delete(&icopy);
  wasm_importtype_vec_delete(&imports);

  wasm_exporttype_vec_t exports;
  wasm_module_exports(module, &exports);
  CHECK(exports.size == 4);
  CHECK(name_is(wasm_exporttype_name(exports.data[0]), "h"));
  const wasm_functype_t *h = wasm_externtype_as_functype_const(wasm_exporttype_type(exports.data[0]));
  CHECK(wasm_valtype_kind(wasm_functype_params(h)->data[0]) == WASM_EXTERNREF);
  CHECK(wasm_functype_results(h)->size == 2);
  CHECK(wasm_valtype_kind(wasm_functype_results(h)->data[0]) == WASM_FUNCREF);
  CHECK(wasm_externtype_kind(wasm_exporttype_type(exports.data[1])) == WASM_EXTERN_GLOBAL);
  CHECK(wasm_externtype_kind(wasm_exporttype_type(exports.data[2])) == WASM_EXTERN_TABLE);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(
            wasm_externtype_as_tabletype_const(wasm_exporttype_type(exports.data[2])))) == WASM_EXTERNREF);
  CHECK(name_is(wasm_exporttype_name(exports.data[3]), "mem"));
  wasm_exporttype_vec_delete(&exports);

  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  value_types();
  extern_types();
  module_types(argv[1]);
  printf("types: ok\n");
  return 0;
}
