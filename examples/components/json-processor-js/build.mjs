// Builds json-processor-js.wasm from formatter.js with componentize-js (npm:
// @bytecodealliance/componentize-js 0.18.5). Run by build.sh.
import { componentize } from '@bytecodealliance/componentize-js';
import { readFile, writeFile } from 'node:fs/promises';

const source = await readFile('formatter.js', 'utf8');
const { component } = await componentize(source, {
  witPath: '../json-processor/wit',
  worldName: 'json-processor',
  // No HTTP or fetch: the guest needs only what the engine itself imports.
  disableFeatures: ['http', 'fetch-event'],
});
await writeFile('json-processor-js.wasm', component);
console.log(`built json-processor-js.wasm (${component.length} bytes)`);
