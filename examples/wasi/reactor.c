// A WASI reactor (no `main`): `spindle run examples/wasi/reactor.wasm --invoke add 2 3`
// runs `_initialize` (the constructor below) and then `add`, which prints through WASI.
#include <stdio.h>

static int base;

__attribute__((constructor)) static void init(void) { base = 100; }

__attribute__((export_name("add"))) int add(int a, int b) {
  printf("adding %d and %d\n", a, b);
  return base + a + b;
}
