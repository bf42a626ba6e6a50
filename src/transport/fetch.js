// One HTTP exchange over `fetch`, for the Rust `FetchTransport` (src/transport/fetch.rs), which
// binds this module with wasm-bindgen. It lives in JS so that a request crosses the wasm boundary
// once each way, rather than once per header, option and promise.
//
// It carries the request and nothing more: no retries and no status mapping (those are the
// core's). It enforces the timeout with an AbortController and a timer that also covers reading
// the body, and aborts when the caller's signal fires. It never puts headers or bodies in what it
// reports (they carry the token and the client secret).

// Redirects are not followed: the upstream API does not redirect, so a 3xx means a wrong base URL,
// and following it would re-send the token and turn a 301/302 invoke POST into a GET. Where
// `redirect: "error"` exists the request fails as a network error naming the redirect; with
// `window: null` as well, Node's fetch also skips copying every request for a redirect that
// cannot come. workerd has no "error" mode: there the 3xx answer comes back ("manual") and the
// core turns it into an `upstream` error naming the status and the target. Which options this
// platform's Request accepts is tried once, on the first request.
let redirectOptions;
function noRedirects() {
  if (redirectOptions === undefined) {
    const accepted = (options) => {
      try {
        new Request('http://localhost/', options);
        return true;
      } catch {
        return false;
      }
    };
    const strict = { redirect: 'error', window: null };
    redirectOptions = accepted(strict) ? strict : accepted({ redirect: 'error' }) ? { redirect: 'error' } : { redirect: 'manual' };
  }
  return redirectOptions;
}

/**
 * Sends one request.
 * @param {Function | undefined} suppliedFetch the caller's `fetch`, or undefined for the global one
 *   (looked up on each request, and called with `this` = globalThis as browsers require)
 * @param {string} url
 * @param {string} method
 * @param {string} headerLines `name:value` lines joined with "\n" (Rust checked that every header
 *   is one fetch accepts, so none holds a line break)
 * @param {Uint8Array | undefined} body a view into the wasm memory: copied here before any await
 * @param {number} timeoutMs
 * @param {AbortSignal | undefined} callerSignal
 * @param {string[]} readHeaders the (lower-case) names of the response headers the client reads:
 *   only these are handed back (reading every header costs more than the rest of this function)
 * @param {number} maxAnswerBytes the largest body taken (the core's MAX_ANSWER_BYTES): one declared
 *   larger is refused unread, an unsized larger one once read (see readBody)
 * @returns {Promise<{status: number, headers: string, body: Uint8Array}>} `headers` as
 *   `name:value` lines like `headerLines`; on failure the promise rejects with
 *   `{kind: "aborted" | "timeout" | "refused" | "network" | "too_large", stage, detail}`.
 */
export function sendRequest(suppliedFetch, url, method, headerLines, body, timeoutMs, callerSignal, readHeaders, maxAnswerBytes) {
  const init = { method, headers: parseHeaderLines(headerLines), ...noRedirects() };
  if (body !== undefined) init.body = body.slice();
  return exchange(suppliedFetch, url, init, timeoutMs, callerSignal, readHeaders, maxAnswerBytes);
}

async function exchange(suppliedFetch, url, init, timeoutMs, callerSignal, readHeaders, maxAnswerBytes) {
  let stage = 'fetch threw';
  const fetchFunction = suppliedFetch ?? globalThis.fetch;
  if (typeof fetchFunction !== 'function') {
    throw { kind: 'network', stage, detail: "this platform has no global fetch; pass a `fetch` function" };
  }
  const controller = new AbortController();
  init.signal = controller.signal;
  let timedOut = false;
  let timer;
  const onCallerAbort = () => controller.abort();
  // The caller's signal may be any object with a boolean `aborted` (the bindings accept that much).
  const listens = typeof callerSignal?.addEventListener === 'function';
  try {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    if (listens) callerSignal.addEventListener('abort', onCallerAbort, { once: true });
    // The global fetch honours its signal; a supplied one might not, so its awaits also race the
    // controller's abort.
    const aborted =
      suppliedFetch === undefined
        ? undefined
        : new Promise((_resolve, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
    const settle = (promise) => (aborted === undefined ? promise : Promise.race([promise, aborted]));
    const pending = suppliedFetch === undefined ? fetchFunction.call(globalThis, url, init) : fetchFunction(url, init);
    stage = 'request failed';
    const response = await settle(pending);
    const status = response?.status;
    if (typeof status !== 'number' || !(status >= 100 && status <= 999) || typeof response.arrayBuffer !== 'function') {
      throw new TypeError('not a Response');
    }
    let headers = '';
    if (typeof response.headers?.get === 'function') {
      for (const name of readHeaders) {
        const value = response.headers.get(name);
        if (value !== null && value !== undefined) headers += headers === '' ? `${name}:${value}` : `\n${name}:${value}`;
      }
    }
    stage = 'reading the body failed';
    const bytes = await settle(readBody(response, maxAnswerBytes));
    return { status, headers, body: bytes };
  } catch (error) {
    if (error instanceof AnswerTooLarge) {
      controller.abort();
      throw { kind: 'too_large', stage: `the answer (status ${error.status}) was not read`, detail: error.message };
    }
    const detail = describeError(error);
    // A refused redirect is no network trouble: trying again cannot help. Node says "unexpected
    // redirect", Deno "Encountered redirect"; browsers do not tell it from other failures.
    const kind = callerSignal?.aborted
      ? 'aborted'
      : timedOut || controller.signal.aborted
        ? 'timeout'
        : /redirect/i.test(detail)
          ? 'refused'
          : 'network';
    throw { kind, stage, detail };
  } finally {
    clearTimeout(timer);
    if (typeof callerSignal?.removeEventListener === 'function') callerSignal.removeEventListener('abort', onCallerAbort);
  }
}

class AnswerTooLarge extends Error {
  constructor(status, size, max) {
    super(`its body is ${size}, over the ${max} bytes this client reads`);
    this.status = status;
  }
}

// The body, at most `max` bytes. One whose Content-Length is larger is refused before a byte of it
// is read. One without a length is read whole (with `arrayBuffer`, not a stream reader: a body
// read through a reader is lost to the browser's developer tools, where integration engineers look
// at the console's answers) and refused if it is larger, before it reaches the wasm or a parser,
// whose copies and parsed values are what would multiply it. A decoded body can also outgrow its
// length: checked after the read too.
async function readBody(response, max) {
  const declared = typeof response.headers?.get === 'function' ? response.headers.get('content-length') : null;
  const length = declared === null || declared === undefined || declared === '' ? NaN : Number(declared);
  if (length > max) {
    response.body?.cancel?.().catch(() => {});
    throw new AnswerTooLarge(response.status, `${length} bytes`, max);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > max) throw new AnswerTooLarge(response.status, `${bytes.byteLength} bytes`, max);
  return bytes;
}

function parseHeaderLines(lines) {
  const headers = {};
  if (lines === '') return headers;
  for (const line of lines.split('\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return headers;
}

/** `name: message` of an error, with the `cause` Node's fetch puts the socket error in. */
function describeError(error) {
  const text = (value) => (typeof value === 'string' ? value : undefined);
  let out;
  try {
    const name = text(error?.name);
    const message = text(error?.message);
    out = name !== undefined && message !== undefined ? `${name}: ${message}` : message ?? text(error) ?? 'unknown error';
    const cause = error?.cause;
    const detail = text(cause?.code) ?? text(cause?.message);
    if (detail !== undefined) out += ` (${detail})`;
  } catch {
    out = 'unknown error';
  }
  return out.slice(0, 300);
}
