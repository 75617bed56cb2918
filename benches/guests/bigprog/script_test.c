/* Tern test suite: programs with their expected output, and programs that must fail
 * with a given message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

typedef struct {
  const char *name, *src, *expect;
} ScriptCase;

static const ScriptCase cases[] = {
    {"arithmetic",
     "let x = 10;\n"
     "let y = 3;\n"
     "print(x + y, x - y, x * y, x / 4, x % y, -x % y);\n"
     "print(\"a\" + \"b\" + 1, 2 + \"c\");\n"
     "print(x > y, x == 10, x != 10, !true, nil == nil, \"s\" < \"t\");\n"
     "print([1, 2, 3], {a: 1, \"b\": [true, nil]});\n",
     "13 7 30 2.5 1 2\nab1 2c\ntrue true false false true true\n"
     "[1, 2, 3] {\"a\": 1, \"b\": [true, nil]}\n"},
    {"functions",
     "fn fib(n) { if (n < 2) { return n; } return fib(n - 1) + fib(n - 2); }\n"
     "print(fib(20));\n"
     "fn fact(n) { return n <= 1 ? 1 : n * fact(n - 1); }\n"
     "print(fact(10), fact(20));\n",
     "6765\n3628800 2.4329020081766e+18\n"},
    {"closures",
     "fn make_adder(n) { return fn(x) { return x + n; }; }\n"
     "let add5 = make_adder(5);\n"
     "print(add5(10), make_adder(-1)(1));\n"
     "fn counter() { let state = [0]; return fn() { state[0] = state[0] + 1; return state[0]; }; }\n"
     "let c = counter();\n"
     "c(); c();\n"
     "print(c());\n"
     "fn compose(f, g) { return fn(x) { return f(g(x)); }; }\n"
     "print(compose(add5, fn(x) { return x * 2; })(4));\n"
     "fn outer() { let a = 1; fn mid() { let b = 2; fn inner() { return a + b; } return inner(); } return mid(); }\n"
     "print(outer());\n"
     "fn countdown(n) { fn go(k, acc) { if (k == 0) { return acc; } return go(k - 1, acc + str(k)); } return go(n, \"\"); }\n"
     "print(countdown(5));\n",
     "15 0\n3\n13\n3\n54321\n"},
    {"loops",
     "let total = 0;\n"
     "for (let i = 0; i < 10; i = i + 1) {\n"
     "  if (i % 2 == 0) { continue; }\n"
     "  if (i > 7) { break; }\n"
     "  total += i;\n"
     "}\n"
     "print(total);\n"
     "let n = 0;\n"
     "let k = 0;\n"
     "while (true) { k += 1; if (k > 100) { break; } if (k % 3 != 0) { continue; } n += k; }\n"
     "print(n);\n"
     "let words = [\"alpha\", \"beta\", \"gamma\"];\n"
     "let out = [];\n"
     "for w in words { push(out, upper(substr(w, 0, 1)) + substr(w, 1)); }\n"
     "print(join(out, \"-\"));\n"
     "let m = {x: 1, y: 2, z: 3};\n"
     "let ks = \"\";\n"
     "for key in m { ks = ks + key + \"=\" + str(m[key]) + \";\"; }\n"
     "print(ks);\n"
     "for ch in \"abc\" { let up = upper(ch); if (ch == \"b\") { continue; } print(up); }\n"
     "let pairs = 0;\n"
     "for a in range(5) { for b in range(a) { if (b == 3) { break; } pairs += 1; } }\n"
     "print(pairs);\n",
     "16\n1683\nAlpha-Beta-Gamma\nx=1;y=2;z=3;\nA\nC\n9\n"},
    {"algorithms",
     "fn quicksort(xs) {\n"
     "  if (len(xs) <= 1) { return xs; }\n"
     "  let pivot = xs[0];\n"
     "  let less = []; let more = [];\n"
     "  for (let i = 1; i < len(xs); i += 1) {\n"
     "    if (xs[i] < pivot) { push(less, xs[i]); } else { push(more, xs[i]); }\n"
     "  }\n"
     "  return quicksort(less) + [pivot] + quicksort(more);\n"
     "}\n"
     "let data = [];\n"
     "let seed = 42;\n"
     "for (let i = 0; i < 200; i += 1) { seed = (seed * 75 + 74) % 65537; push(data, seed % 1000); }\n"
     "let sorted = quicksort(data);\n"
     "let copy = sort(slice(data, 0, len(data)));\n"
     "let same = len(copy) == len(sorted);\n"
     "for (let i = 0; i < len(copy); i += 1) { if (copy[i] != sorted[i]) { same = false; } }\n"
     "let total = 0;\n"
     "for v in data { total += v; }\n"
     "print(same, len(sorted), join(slice(sorted, 0, 5), \",\"), total);\n"
     "fn primes(limit) {\n"
     "  let sieve = [];\n"
     "  for (let i = 0; i <= limit; i += 1) { push(sieve, true); }\n"
     "  let found = [];\n"
     "  for (let p = 2; p <= limit; p += 1) {\n"
     "    if (sieve[p]) { push(found, p); for (let q = p * p; q <= limit; q += p) { sieve[q] = false; } }\n"
     "  }\n"
     "  return found;\n"
     "}\n"
     "let ps = primes(1000);\n"
     "print(len(ps), ps[-1], ps[25]);\n"
     "fn matmul(a, b) {\n"
     "  let out = [];\n"
     "  for (let i = 0; i < len(a); i += 1) {\n"
     "    let row = [];\n"
     "    for (let j = 0; j < len(b[0]); j += 1) {\n"
     "      let s = 0;\n"
     "      for (let t = 0; t < len(b); t += 1) { s += a[i][t] * b[t][j]; }\n"
     "      push(row, s);\n"
     "    }\n"
     "    push(out, row);\n"
     "  }\n"
     "  return out;\n"
     "}\n"
     "print(matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]));\n"
     "let memo = {};\n"
     "fn mfib(n) { if (n < 2) { return n; } if (has(memo, n)) { return memo[n]; }\n"
     "  let v = mfib(n - 1) + mfib(n - 2); memo[n] = v; return v; }\n"
     "print(mfib(70));\n",
     "true 200 4,11,14,19,22 96183\n168 997 101\n[[19, 22], [43, 50]]\n190392490709135\n"},
    {"maps",
     "let text = \"the quick brown fox jumps over the lazy dog the end\";\n"
     "let counts = {};\n"
     "for w in split(text, \" \") { counts[w] = (has(counts, w) ? counts[w] : 0) + 1; }\n"
     "print(counts[\"the\"], len(counts), counts.fox, counts.missing);\n"
     "remove(counts, \"the\");\n"
     "print(len(counts), has(counts, \"the\"), keys(counts)[0]);\n"
     "let nested = {list: [1, {deep: \"yes\"}], n: 2};\n"
     "nested.list[1].deep = \"changed\";\n"
     "nested[\"n\"] *= 21;\n"
     "print(nested);\n"
     "let byn = {};\n"
     "byn[1] = \"one\"; byn[2] = \"two\"; byn[1] = \"uno\";\n"
     "print(byn[1], byn[2], len(byn), byn[3]);\n",
     "3 9 1 nil\n8 false quick\n{\"list\": [1, {\"deep\": \"changed\"}], \"n\": 42}\nuno two 2 nil\n"},
    {"strings and numbers",
     "let s = \"Hello, World\";\n"
     "print(len(s), s[0], s[-1], find(s, \"World\"), find(s, \"xyz\"), substr(s, 7), substr(s, -5, 3));\n"
     "print(num(\"3.5\") * 2, num(\"abc\"), str(1/3), floor(7.9), sqrt(144), max(3, 9, 2), min([4, -1, 8]));\n"
     "print(\"ab\" * 3, ord(\"A\"), chr(66), type(1), type(\"x\"), type([]), type({}), type(print), type(nil));\n"
     "print(0.1 + 0.2, 1e21, -0, 2/0, 1e-7, 0x1F, \"tab\\there\", \"q\\\"uote\");\n"
     "let csv = \"a,b,,c\";\n"
     "print(len(split(csv, \",\")), join(split(csv, \",\"), \"|\"), split(\"xyz\", \"\"));\n",
     "12 H d 7 -1 World Wor\n7 nil 0.33333333333333 7 12 9 -1\n"
     "ababab 65 B number string list map function nil\n"
     "0.3 1e+21 0 inf 1e-07 31 tab\there q\"uote\n"
     "4 a|b||c [\"x\", \"y\", \"z\"]\n"},
    {"rpn calculator",
     "fn rpn(expr) {\n"
     "  let stack = [];\n"
     "  for tok in split(expr, \" \") {\n"
     "    if (tok == \"+\" || tok == \"-\" || tok == \"*\" || tok == \"/\") {\n"
     "      let b = pop(stack); let a = pop(stack);\n"
     "      if (tok == \"+\") { push(stack, a + b); }\n"
     "      else if (tok == \"-\") { push(stack, a - b); }\n"
     "      else if (tok == \"*\") { push(stack, a * b); }\n"
     "      else { push(stack, a / b); }\n"
     "    } else { push(stack, num(tok)); }\n"
     "  }\n"
     "  return pop(stack);\n"
     "}\n"
     "print(rpn(\"3 4 + 2 *\"), rpn(\"5 1 2 + 4 * + 3 -\"), rpn(\"10 2 8 * + 3 -\"), rpn(\"1 4 /\"));\n",
     "14 14 23 0.25\n"},
    {"garbage",
     "let keep = [];\n"
     "for (let i = 0; i < 20000; i += 1) {\n"
     "  let tmp = [i, str(i), {k: i}];\n"
     "  if (i % 1000 == 0) { push(keep, tmp); }\n"
     "}\n"
     "let s = 0;\n"
     "for t in keep { s += t[0] + len(t[1]) + t[2].k; }\n"
     "print(len(keep), s);\n"
     "let acc = \"\";\n"
     "for (let i = 0; i < 3000; i += 1) { acc = acc + chr(97 + i % 26); }\n"
     "print(len(acc), substr(acc, 0, 30));\n",
     "20 380087\n3000 abcdefghijklmnopqrstuvwxyzabcd\n"},
    {"folding",
     "let a = 2 * 3 + 4 - 1;\n"
     "let b = \"con\" + \"cat\" + \"enated\";\n"
     "if (1 < 2) { print(a, b); } else { print(\"never\"); }\n"
     "if (false) { print(\"dead\"); }\n"
     "print(!nil, -(-(5)), 7 % -3, 10 >= 10);\n",
     "9 concatenated\ntrue 5 -2 true\n"},
};

typedef struct {
  const char *src, *message;
  long step_limit;
} ErrorCase;

static const ErrorCase errors[] = {
    {"print(undefined_thing);", "undefined variable 'undefined_thing'", 0},
    {"let x = 1; x();", "cannot call a number", 0},
    {"let l = [1]; print(l[5]);", "index 5 out of range for length 1", 0},
    {"fn f(a) { return a; } f(1, 2);", "f expects 1 arguments, got 2", 0},
    {"fn r(n) { return r(n + 1); } r(0);", "call stack overflow", 0},
    {"print(1 +);", "expected an expression", 0},
    {"{ let a = 1; let a = 2; }", "already declared", 0},
    {"break;", "'break' outside a loop", 0},
    {"fn f() { let v = 1; return fn() { v = 2; }; }", "cannot assign to a captured variable", 0},
    {"\"abc\" - 1;", "arithmetic on string and number", 0},
    {"assert(1 == 2, \"math\");", "assertion failed: math", 0},
    {"let s = \"unterminated;", "unterminated string", 0},
    {"let m = {}; m[nil] = 1;", "nil is not a valid map key", 0},
    {"1 < \"a\";", "cannot compare number with string", 0},
    {"while (true) {}", "step limit exceeded", 100000},
    {"fn g() { return h(); } fn h() { return [][0]; } g();", "[in h < g < <script>]", 0},
    {"let x = 5 $ 3;", "unexpected character", 0},
    {"fn (a) {}", "expected function name", 0},
    {"undeclared = 3;", "assignment to undeclared variable", 0},
    {"len(1, 2);", "len expects 1 arguments, got 2", 0},
    {"sort([1, \"a\"]);", "sort: cannot compare", 0},
    {"1 = 2;", "invalid assignment target", 0},
};

void suite_script(void) {
  int passed = 0;
  long steps = 0;
  int collections = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    VM vm;
    vm_init(&vm);
    bool ok = run_source(&vm, cases[i].src);
    g_checks++;
    if (!ok) {
      printf("FAIL script '%s': %s\n", cases[i].name, vm.err);
      g_failures++;
    } else if (strcmp(vm.out.data ? vm.out.data : "", cases[i].expect) != 0) {
      printf("FAIL script '%s': output\n%s--- want\n%s", cases[i].name,
             vm.out.data ? vm.out.data : "", cases[i].expect);
      g_failures++;
    } else {
      passed++;
    }
    steps += vm.steps;
    collections += vm.collections;
    vm_free(&vm);
  }
  CHECK(collections > 0);
  int rejected = 0;
  for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
    VM vm;
    vm_init(&vm);
    vm.step_limit = errors[i].step_limit;
    bool ok = run_source(&vm, errors[i].src);
    g_checks++;
    if (ok || !strstr(vm.err, errors[i].message)) {
      printf("FAIL script error case '%s': got %s, want '%s'\n", errors[i].src,
             ok ? "success" : vm.err, errors[i].message);
      g_failures++;
    } else {
      rejected++;
    }
    vm_free(&vm);
  }

  /* A compute-heavy run, and a look at the code the compiler makes. */
  VM vm;
  vm_init(&vm);
  const char *bench =
      "fn fib(n) { if (n < 2) { return n; } return fib(n - 1) + fib(n - 2); }\n"
      "let t = 0;\n"
      "for (let i = 0; i < 3; i += 1) { t += fib(18 + i); }\n"
      "print(t);\n";
  CHECK(run_source(&vm, bench));
  CHECK_STR(vm.out.data, "13530\n");
  long bench_steps = vm.steps;
  vm_free(&vm);

  vm_init(&vm);
  Arena arena;
  arena_init(&arena);
  char err[256];
  AstNode *prog = parse_program(cases[4].src, &arena, err, sizeof err);
  CHECK(prog != NULL);
  int folded = fold_constants(prog, &arena);
  OClosure *main = compile_program(&vm, prog, err, sizeof err);
  CHECK(main != NULL);
  StrBuf listing;
  sb_init(&listing);
  if (main) disassemble(&listing, main->proto);
  CHECK(strstr(listing.data, "== quicksort (arity 1") != NULL);
  CHECK(strstr(listing.data, "CLOSURE") != NULL);
  size_t lines = 0;
  for (size_t i = 0; i < listing.len; i++) lines += listing.data[i] == '\n';
  if (g_verbose) fputs(listing.data, stdout);
  sb_free(&listing);
  arena_free(&arena);
  vm_free(&vm);

  report("script", "%d/%zu programs ok, %d/%zu errors caught, %ld steps, %d collections",
         passed, sizeof cases / sizeof cases[0], rejected, sizeof errors / sizeof errors[0],
         steps, collections);
  report("script", "fib benchmark: %ld steps; disassembly of the algorithms program: %zu lines "
                   "(%d constants folded)",
         bench_steps, lines, folded);
}
