// The Worker's entry module (scripts/build-worker.sh bundles it with wasm-bindgen's output into
// build/index.js). It replaces worker-build's shim, which made the default export a
// WorkerEntrypoint class behind Proxies: workerd then constructs an instance per request and
// every property read (fetch, env, ctx) goes through a Proxy trap that wraps functions in new
// Proxies. Here the default export is a plain object whose `fetch` calls the wasm export once,
// with the method and URL as strings (no `worker::Request` conversion: that reads `cf` and the
// URL again, crossing the boundary each time), and writes the access line the wasm hands back
// with the response: a `console.log` made here, one JS frame deep, carries a one-frame stack
// trace to an inspector session rather than a dozen wasm frames (BENCHMARKS.md). A KV write
// handed back with the answer is started here and given to `ctx.waitUntil` (`writeAfter`).
//
// What it keeps from worker-build's shim: recovery from a trap. With panic = "abort" a panic
// (or an out-of-memory abort) leaves the wasm instance's memory mid-operation; a trap sets
// `criticalError` (and src/worker/recovery.rs's abort handler schedules wasm-bindgen's reset), and
// the next call resets the instance (`__wbg_reset_state`, from wasm-bindgen's
// --experimental-reset-state-function) before it runs, so one bad request does not poison the
// isolate. The Durable Object class goes through
// the same check on construction and on every method call (not a hot path).
import * as wasm from "./index.js";

const state = wasm.__worker_init_state();
const BODY_LIMIT = wasm.bodyLimit();

function resetIfCritical() {
  if (state.criticalError) {
    console.error(JSON.stringify({ level: "error", msg: "wasm instance reset after a trap", instanceId: state.instanceId }));
    wasm.__wbg_reset_state();
    state.criticalError = false;
    state.instanceId++;
  }
}

function noteTrap(error) {
  if (error instanceof WebAssembly.RuntimeError) state.criticalError = true;
}

addEventListener("error", (event) => noteTrap(event.error));

export default {
  async fetch(request, env, ctx) {
    resetIfCritical();
    try {
      // A POST body within the limit is read here, in one piece (what the wasm would read):
      // awaited in JS, not by a Rust future. Only POST routes read a body (invoke, validate,
      // callbacks); any other request's is left unread, as the wasm leaves it. The limit and its
      // 413 stay in the wasm, which checks the length again and reads any other body itself.
      // One that cannot be read is left to the wasm, which answers 400 with its access line.
      const length = request.method === "POST" ? request.headers.get("content-length") : null;
      let body;
      if (length !== null && Number(length) <= BODY_LIMIT) {
        try {
          body = new Uint8Array(await request.arrayBuffer());
        } catch {
          body = undefined;
        }
      }
      const { response, line, warn, write } = await wasm.handleRequest(request.method, request.url, request, env, ctx, body);
      if (warn) console.warn(line);
      else console.log(line);
      if (write !== undefined) ctx.waitUntil(writeAfter(write));
      return response;
    } catch (error) {
      noteTrap(error);
      throw error;
    }
  },
};

// The KV write the wasm hands over with its answer (a sync invoke's read copy): put after the
// answer was built, its promise given to `ctx.waitUntil` here rather than awaited by a Rust future
// spawned for it (a task, a closure pair and a microtask per wake: BENCHMARKS.md). What to write,
// the retry and its error line stay in the wasm: a failed put goes back to `retryRecordCopy`.
// Nothing it does can throw into the fetch handler: a put that throws at once is retried too.
function writeAfter({ kv, key, value, options, requestId }) {
  const retry = () => {
    resetIfCritical();
    return wasm.retryRecordCopy(kv, key, value, options, requestId);
  };
  let put;
  try {
    put = kv.put(key, value, options);
  } catch (error) {
    put = Promise.reject(error);
  }
  // retryRecordCopy writes its own error line when the second put fails; it rejects only when the
  // wasm itself failed (a trap), and then the copy is lost too: said here, with its key.
  return put.catch(retry).catch((error) => {
    noteTrap(error);
    console.error(JSON.stringify({ level: "error", requestId, msg: "invoke: cannot store the record", key, error: String(error) }));
  });
}

// A Durable Object instance is rebuilt after a reset (its old wasm object belongs to the old
// instance); its methods are checked like `fetch`.
function recoverable(Class) {
  return new Proxy(Class, {
    construct(target, args, newTarget) {
      resetIfCritical();
      const build = () => {
        try {
          return Reflect.construct(target, args, newTarget);
        } catch (error) {
          noteTrap(error);
          throw error;
        }
      };
      const slot = { instance: build(), instanceId: state.instanceId };
      const current = () => {
        if (slot.instanceId !== state.instanceId) {
          slot.instance = build();
          slot.instanceId = state.instanceId;
        }
        return slot.instance;
      };
      return new Proxy(slot, {
        get(_, prop) {
          const instance = current();
          const value = Reflect.get(instance, prop, instance);
          if (typeof value !== "function") return value;
          const call = (callArgs) => {
            resetIfCritical();
            try {
              const result = value.apply(current(), callArgs);
              return result instanceof Promise ? result.catch((error) => { noteTrap(error); throw error; }) : result;
            } catch (error) {
              noteTrap(error);
              throw error;
            }
          };
          return (...callArgs) => call(callArgs);
        },
        set: (_, prop, value) => Reflect.set(current(), prop, value),
        has: (_, prop) => Reflect.has(current(), prop),
      });
    },
  });
}

export const Invocation = recoverable(wasm.Invocation);
