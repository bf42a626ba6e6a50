// A chunked body without Content-Length is refused 413 once it passes 256 KB: the Worker stops
// reading at the limit instead of reading 30 MB first. In its own file, with its own Worker: under
// `wrangler dev` (not in production), a request answered before its upload ended can stall the
// local proxy's next requests for a while (cloudflare/miniflare#577, cloudflare/workers-sdk#15709),
// which must not leak into other tests.
//   node --test tests/e2e/worker-body-limit.test.mjs
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";

import { startEmulator, startWorker } from "./harness.mjs";
import { sleep } from "./helpers.mjs";

let emu;
let worker;

before(async () => {
  emu = await startEmulator();
  worker = await startWorker({ vars: { CXONE_BASE_URL: emu.url } });
});

after(async () => {
  await worker?.stop();
  await emu?.stop();
});

/** Uploads up to `total` 64 KB chunks to `path`, stopping when the answer's head arrives. */
function upload(path, total) {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(`${worker.url}${path}`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      answered = true;
      resolve({ status: res.statusCode, sent });
      res.resume();
      req.destroy();
    });
    req.on("error", (error) => (answered ? undefined : reject(error)));
    (async () => {
      while (!answered && sent < total) {
        if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        sent++;
        await sleep(2);
      }
      if (!answered) req.end();
    })().catch(() => {});
  });
}

test("a chunked 30 MB callback body is refused 413 after reading about 256 KB", async () => {
  const total = 480; // 30 MB if read to the end
  const { status, sent } = await upload(`/v1/callbacks/dai_${"1".repeat(32)}/${"A".repeat(43)}`, total);
  assert.equal(status, 413);
  assert.ok(sent < total / 4, `stopped reading early: ${sent} of ${total} chunks were sent`);
});
