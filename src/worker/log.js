// console.log/warn/error of a finished log line, from a microtask: the line is written when the
// current turn's stack has unwound, not from deep inside wasm. Where an inspector session has the
// Runtime domain enabled (wrangler dev always does, to forward logs), V8 captures the caller's
// stack trace with every console call, and a stack of wasm frames costs about ten times a
// JavaScript one (BENCHMARKS.md). Lines keep their order (microtasks run first in, first out).
const write = [console.log, console.warn, console.error];

export function writeLine(level, line) {
  queueMicrotask(() => write[level].call(console, line));
}
