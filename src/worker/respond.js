// The fetch handler's answer as a JS Response, for `Answer::into_js` (src/worker/http.rs), which
// binds this module with wasm-bindgen: the status, the headers and the body cross the boundary in
// one call, instead of one crossing per header and one for the body as the `worker` crate's
// Response conversion makes; with them, the KV write entry.js makes after the answer. And the
// other way, a request's headers in one crossing (`headerLines`).

/**
 * @param {number} status
 * @param {string} headerLines `name:value` lines joined with "\n" (each name once, no value holds a
 *   line break), given to the Response as a record (cheaper for workerd to take than pairs)
 * @param {Uint8Array} body a view into the wasm memory: copied here
 * @param {ReadableStream | null | undefined} stream a body passed through unread (a Durable
 *   Object's answer, a static asset), or undefined when the body is `body`
 * @param {string} line the request's access line (JSON), written by entry.js
 * @param {boolean} warn whether the line is a warning (a 5xx answer)
 * @param {string} requestId the request's id (for a failed write's error line)
 * @param {KVNamespace | undefined} kv the namespace of a write to make after the answer, or
 *   undefined when there is none; `key`, `value` and `options` are its `put` arguments
 * @returns {{response: Response, line: string, warn: boolean, write: object | undefined}}
 */
export function respond(status, headerLines, body, stream, line, warn, requestId, kv, key, value, options) {
  const headers = {};
  if (headerLines !== "") {
    for (const header of headerLines.split("\n")) {
      const colon = header.indexOf(":");
      headers[header.slice(0, colon)] = header.slice(colon + 1);
    }
  }
  const payload = stream !== undefined ? stream : body.length === 0 ? null : body.slice();
  const response = new Response(payload, { status, headers });
  const write = kv === undefined ? undefined : { kv, key, value, options, requestId };
  return { response, line, warn, write };
}

/**
 * A request's headers as `name:value` lines joined with "\n" (names lower-case, repeated names
 * combined as `Headers.get` combines them), read in one crossing: `Incoming` (src/worker/http.rs)
 * looks headers up in them instead of calling `Headers.get` across the boundary for each.
 * @param {Headers} headers
 * @returns {string}
 */
export function headerLines(headers) {
  let lines = "";
  for (const [name, value] of headers) lines += lines === "" ? `${name}:${value}` : `\n${name}:${value}`;
  return lines;
}
