#!/usr/bin/env bash
# Rebuilds the committed test guest components from their C sources and WIT, or checks them.
#
#   examples/components/build.sh           rebuild every <name>.wasm and <name>.wit.expected
#   examples/components/build.sh --check   validate every committed <name>.wasm and compare
#                                          its WIT with <name>.wit.expected (needs only
#                                          wasm-tools); -v also prints each WIT
#
# Tools (a rebuild needs all; the outputs are byte-identical only with these versions):
#   clang-19 + wasm-ld-19 + wasi-libc   Debian: apt-get install clang-19 lld-19 wasi-libc
#   wit-bindgen 0.63.0                  cargo install wit-bindgen-cli --version 0.63.0 --locked
#   wasm-tools 1.263.0                  cargo install wasm-tools --version 1.263.0 --locked
# CLANG, SYSROOT, WIT_BINDGEN, WASM_TOOLS and BUILD_DIR override the defaults. Generated
# bindings and core modules go to BUILD_DIR (default: build/ beside this script, ignored
# by git); the components, their WIT snapshots and nothing else are written here.
#
# No guest imports WASI: each links wasi-libc only for malloc and the string functions, as
# a reactor (-mexec-model=reactor: `_initialize` runs the constructors once, and
# `wasm-tools component new` makes it the component's start). The script fails if a
# component imports anything from `wasi:`.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD

CHECK=0
VERBOSE=0
for arg in "$@"; do
  case $arg in
    --check) CHECK=1 ;;
    -v | --verbose) VERBOSE=1 ;;
    -h | --help)
      sed -n '2,21p' "$0"
      exit 0
      ;;
    *)
      echo "build.sh: unknown argument '$arg' (--check, -v)" >&2
      exit 2
      ;;
  esac
done

CLANG=${CLANG:-clang-19}
WIT_BINDGEN=${WIT_BINDGEN:-wit-bindgen}
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
BUILD_DIR=${BUILD_DIR:-$HERE/build}
WANT_WASM_TOOLS=1.263.0
WANT_WIT_BINDGEN=0.63.0

# Every component, as <folder>/<name>: the committed files are <folder>/<name>.wasm and
# <folder>/<name>.wit.expected.
COMPONENTS=(
  json-processor/json-processor
  json-processor/json-processor-spin
  plugin/plugin
  plugin/tour
  kv-store/kv-store
  utf16/utf16
  composed/provider
  composed/app
  composed/composed
)

die() {
  echo "build.sh: $*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found ($2)"
}

tool_version() { # prints the version word of "$1 --version"
  "$1" --version 2>/dev/null | head -n1 | awk '{print $2}'
}

check_version() { # tool, wanted
  local have
  have=$(tool_version "$1")
  if [ "$have" != "$2" ]; then
    echo "build.sh: warning: $1 is $have, the committed components were built with $2" \
      "(the output will differ)" >&2
  fi
}

need "$WASM_TOOLS" "cargo install wasm-tools --version $WANT_WASM_TOOLS --locked"
check_version "$WASM_TOOLS" "$WANT_WASM_TOOLS"

# Validates a component, checks it imports no WASI, and prints or compares its WIT.
# component_wit <folder/name> <file to write the WIT to>
component_wit() {
  local wasm=$1.wasm
  [ -f "$wasm" ] || die "$wasm is missing"
  "$WASM_TOOLS" validate "$wasm" || die "$wasm does not validate"
  "$WASM_TOOLS" component wit "$wasm" >"$2" || die "$wasm: wasm-tools component wit failed"
  if grep -q 'wasi:' "$2"; then
    die "$wasm imports WASI (see its WIT); the guests must not"
  fi
}

if [ "$CHECK" = 1 ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  failed=0
  for c in "${COMPONENTS[@]}"; do
    out=$tmp/$(basename "$c").wit
    component_wit "$c" "$out"
    [ -f "$c.wit.expected" ] || die "$c.wit.expected is missing"
    if [ "$VERBOSE" = 1 ]; then
      echo "== $c.wasm"
      cat "$out"
    fi
    if diff -u "$c.wit.expected" "$out" >"$tmp/diff"; then
      echo "ok  $c.wasm ($(wc -c <"$c.wasm") bytes): valid, WIT as $c.wit.expected"
    else
      echo "FAIL $c.wasm: its WIT differs from $c.wit.expected:"
      cat "$tmp/diff"
      failed=1
    fi
  done
  # The utf16 guest's point: every lift and lower says utf16.
  if ! "$WASM_TOOLS" print utf16/utf16.wasm | grep -q 'string-encoding=utf16'; then
    echo "FAIL utf16/utf16.wasm: no canonical function with string-encoding=utf16"
    failed=1
  fi
  if "$WASM_TOOLS" print utf16/utf16.wasm | grep -E 'canon (lift|lower)' |
    grep -v -q 'string-encoding=utf16'; then
    echo "FAIL utf16/utf16.wasm: a canonical function without string-encoding=utf16"
    failed=1
  fi
  [ "$failed" = 0 ] || die "check failed"
  echo "build.sh --check: all ${#COMPONENTS[@]} components pass"
  exit 0
fi

# ---------------------------------------------------------------------------------------
# Rebuild

need "$CLANG" "apt-get install clang-19"
need wasm-ld-19 "apt-get install lld-19"
need "$WIT_BINDGEN" "cargo install wit-bindgen-cli --version $WANT_WIT_BINDGEN --locked"
check_version "$WIT_BINDGEN" "$WANT_WIT_BINDGEN"
if [ -z "${SYSROOT:-}" ]; then
  if [ -d /usr/share/wasi-sysroot ]; then
    SYSROOT=/usr/share/wasi-sysroot # wasi-sdk's layout
  else
    SYSROOT=/usr # Debian's wasi-libc: /usr/include/wasm32-wasi, /usr/lib/wasm32-wasi
  fi
fi
[ -f "$SYSROOT/lib/wasm32-wasi/libc.a" ] ||
  die "wasi-libc not found under $SYSROOT (apt-get install wasi-libc, or set SYSROOT)"

# -nodefaultlibs: link libc only. (clang would add compiler-rt's wasm32 builtins, which
# Debian ships apart, in libclang-rt-19-dev-wasm32; these guests need none of it.)
CFLAGS=(--target=wasm32-wasi "--sysroot=$SYSROOT" -mexec-model=reactor -Os -std=c11
  -Wall -Wextra -Werror)
LDFLAGS=(-nodefaultlibs -Wl,--strip-debug -lc)

rm -rf "$BUILD_DIR"
mkdir -p "$BUILD_DIR"

# build_component <folder> <name> <world> <string encoding> <sources...>
# Generates the bindings of <folder>/wit's <world>, compiles them with the sources into a
# core module and wraps it into <folder>/<name>.wasm.
build_component() {
  local folder=$1 name=$2 world=$3 encoding=$4
  shift 4
  local gen=$BUILD_DIR/$name
  mkdir -p "$gen"
  "$WIT_BINDGEN" c --world "$world" --string-encoding "$encoding" --out-dir "$gen" \
    "$folder/wit" >"$gen/wit-bindgen.log" 2>&1 || {
    cat "$gen/wit-bindgen.log" >&2
    die "wit-bindgen failed for $folder ($world)"
  }
  local sources=()
  for s in "$@"; do sources+=("$folder/$s"); done
  "$CLANG" "${CFLAGS[@]}" -I "$gen" -I "$folder" -o "$gen/core.wasm" "${sources[@]}" \
    "$gen"/*.c "$gen"/*_component_type.o "${LDFLAGS[@]}"
  "$WASM_TOOLS" component new "$gen/core.wasm" -o "$folder/$name.wasm"
  finish "$folder/$name"
}

# Validates, checks for WASI imports, writes the WIT snapshot.
finish() {
  component_wit "$1" "$1.wit.expected"
  echo "built $1.wasm ($(wc -c <"$1.wasm") bytes)"
}

build_component json-processor json-processor json-processor utf8 main.c json.c
build_component json-processor json-processor-spin json-processor utf8 spin.c
build_component plugin plugin plugin-world utf8 plugin.c
build_component plugin tour plugin-world utf8 tour.c
build_component kv-store kv-store kv-store utf8 kv.c
build_component utf16 utf16 utf16 utf16 text.c
build_component composed provider provider utf8 provider.c
build_component composed app app utf8 app.c
# `app` with its `math` import satisfied by `provider`'s export: imports nothing.
"$WASM_TOOLS" compose composed/app.wasm -d composed/provider.wasm \
  -o composed/composed.wasm 2>"$BUILD_DIR/compose.log" ||
  {
    cat "$BUILD_DIR/compose.log" >&2
    die "wasm-tools compose failed"
  }
finish composed/composed

echo "rebuilt ${#COMPONENTS[@]} components; check them with: $0 --check"
