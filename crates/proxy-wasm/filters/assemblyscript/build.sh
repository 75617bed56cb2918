#!/usr/bin/env bash
# Rebuilds as_mark.wasm with the published AssemblyScript proxy-wasm SDK (npm:
# @solo-io/proxy-runtime 0.1.8, assemblyscript 0.14.13). Needs node and npm; the built
# file is committed, so tests never need them.
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --silent
npx asc assembly/index.ts -b ../as_mark.wasm --use abort=abort_proc_exit --optimize
ls -l ../as_mark.wasm
