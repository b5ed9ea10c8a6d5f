#!/usr/bin/env node
// make profile-core: where the core spends its time in V8, the engine Envoy runs the filter in.
//
// Runs benches/core-wasm (the core pipeline as a WASI program, name section kept) in Node's V8
// under the built-in CPU profiler and prints the functions with the most samples, by self time
// and inclusive. Callgrind counts the core natively (examples/pipeline_instructions) and Envoy as
// a whole (make bench-instructions), but sees V8's compiled wasm only as anonymous code; this is
// the profile of that code. Node's V8 is not Envoy's (different versions and tiering flags), so
// read the shares, not the times; make bench-core counts the same run's instructions.
//
// usage: profile_core_v8.js <capi-core-wasm.wasm> [input] [runs] [rows]

'use strict';
const inspector = require('inspector');
const { runCore } = require('./core_wasm');

const [wasmPath, input = 'page_view', runs = '20000', rows = '25'] = process.argv.slice(2);
if (!wasmPath) {
  console.error('usage: profile_core_v8.js <capi-core-wasm.wasm> [input] [runs] [rows]');
  process.exit(2);
}

// `_ZN18openai_capi_filter6ingest4form5parse17h…E` -> `openai_capi_filter::ingest::form::parse`.
function demangle(name) {
  const m = /^_ZN(.*)E$/.exec(name);
  if (!m) return name || '(anonymous)';
  const parts = [];
  let rest = m[1];
  while (rest.length) {
    const len = /^(\d+)/.exec(rest);
    if (!len) break;
    const n = Number(len[1]);
    parts.push(rest.slice(len[1].length, len[1].length + n));
    rest = rest.slice(len[1].length + n);
  }
  if (parts.length && /^h[0-9a-f]{16}$/.test(parts[parts.length - 1])) parts.pop();
  return parts.join('::').replace(/\$LT\$/g, '<').replace(/\$GT\$/g, '>').replace(/\$u20\$/g, ' ')
    .replace(/\$u7b\$/g, '{').replace(/\$u7d\$/g, '}').replace(/\$RF\$/g, '&').replace(/\$C\$/g, ',')
    .replace(/\.\./g, '::');
}

const session = new inspector.Session();
session.connect();
session.post('Profiler.enable', () => {
  session.post('Profiler.setSamplingInterval', { interval: 50 }, () => {
    session.post('Profiler.start', () => {
      const started = process.hrtime.bigint();
      runCore(wasmPath, input, runs);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      session.post('Profiler.stop', (err, { profile }) => {
        if (err) throw err;
        report(profile, ms);
      });
    });
  });
});

function report(profile, ms) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const selfCount = new Map();
  const inclusive = new Map();
  let inCore = 0;
  for (const id of profile.samples) {
    // Wasm frames only (V8 names them by the module's name section; JS frames have a file URL).
    const names = [];
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at).callFrame;
      if (frame.url.startsWith('wasm')) names.push(demangle(frame.functionName));
    }
    // Only samples inside the core (`collect`): not module compilation, not Node's start-up.
    const core = names.indexOf('openai_capi_filter::collect::collect');
    if (core < 0) continue;
    inCore += 1;
    selfCount.set(names[0], (selfCount.get(names[0]) || 0) + 1);
    for (const name of new Set(names.slice(0, core))) inclusive.set(name, (inclusive.get(name) || 0) + 1);
  }
  const top = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(rows));
  const pct = (n) => `${((100 * n) / inCore).toFixed(1).padStart(5)} %`;
  console.log(`${input} x ${runs}: ${ms.toFixed(0)} ms in Node ${process.version}, ${inCore} samples in the core`);
  console.log('\nself time');
  for (const [name, n] of top(selfCount)) console.log(`${pct(n)}  ${name}`);
  console.log('\ninclusive');
  for (const [name, n] of top(inclusive)) console.log(`${pct(n)}  ${name}`);
}
