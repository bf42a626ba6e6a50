// The fetch handler's answer as a JS Response, for `Answer::into_js` (src/worker/http.rs), which
// binds this module with wasm-bindgen: the status, the headers and the body cross the boundary in
// one call, instead of one crossing per header and one for the body as the `worker` crate's
// Response conversion makes.

/**
 * @param {number} status
 * @param {string} headerLines `name:value` lines joined with "\n" (no value holds a line break)
 * @param {Uint8Array} body a view into the wasm memory: copied here
 * @param {ReadableStream | null | undefined} stream a body passed through unread (a Durable
 *   Object's answer, a static asset), or undefined when the body is `body`
 * @param {string} line the request's access line (JSON), written by entry.js
 * @param {boolean} warn whether the line is a warning (a 5xx answer)
 * @returns {{response: Response, line: string, warn: boolean}}
 */
export function respond(status, headerLines, body, stream, line, warn) {
  const headers = [];
  if (headerLines !== "") {
    for (const header of headerLines.split("\n")) {
      const colon = header.indexOf(":");
      headers.push([header.slice(0, colon), header.slice(colon + 1)]);
    }
  }
  const payload = stream !== undefined ? stream : body.length === 0 ? null : body.slice();
  const response = new Response(payload, { status, headers });
  return { response, line, warn };
}
