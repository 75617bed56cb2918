#!/usr/bin/env bash
# Rebuilds json-processor-js.wasm (committed; the tests use it) from formatter.js with
# componentize-js from npm (node 20+; nothing of this runs in CI).
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules/@bytecodealliance/componentize-js ] || npm install --no-save @bytecodealliance/componentize-js@0.18.5
node build.mjs
