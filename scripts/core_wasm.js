#!/usr/bin/env node
// The core pipeline compiled to wasm (benches/core-wasm) run in Node's V8, the engine Envoy
// embeds: `core_wasm.js <capi-core-wasm.wasm> [input] [runs]`. make bench-core counts its
// instructions under callgrind (with V8 flags set as Envoy sets them), and profile_core_v8.js
// requires `runCore` to profile the same run.

'use strict';
const fs = require('fs');
const { WASI } = require('wasi');

function runCore(wasmPath, input, runs) {
  const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
  const wasi = new WASI({ version: 'preview1', args: ['capi-core-wasm', input, String(runs)] });
  const imports = wasi.getImportObject();
  // The library's proxy-wasm glue is linked in but never called: its host functions are stubs.
  imports.env = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === 'env') imports.env[imp.name] = () => 0;
  }
  const instance = new WebAssembly.Instance(module, imports);
  // A program that also exports `_initialize` (the glue's) is refused by WASI.start as a
  // reactor; hand it the command's own entry point.
  wasi.start({ exports: { memory: instance.exports.memory, _start: instance.exports._start } });
}

module.exports = { runCore };

if (require.main === module) {
  const [wasmPath, input = 'page_view', runs = '1000'] = process.argv.slice(2);
  if (!wasmPath) {
    console.error('usage: core_wasm.js <capi-core-wasm.wasm> [input] [runs]');
    process.exit(2);
  }
  runCore(wasmPath, input, runs);
}
