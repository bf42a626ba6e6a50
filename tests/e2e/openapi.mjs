// The Worker's OpenAPI document (src/worker/openapi.json, served at /openapi.json) as a contract
// the end-to-end tests check real answers against:
//
//   import { loadContract, checkedApi } from "./openapi.mjs";
//   const contract = await loadContract(await (await fetch(`${worker.url}/openapi.json`)).json());
//   const call = checkedApi(worker.url, contract);      // like helpers.apiClient, but every answer
//   const res = await call("GET", "/v1/actions");         // must match the document (or it throws)
//
// loadContract first validates the document itself against the OpenAPI 3.1 schema
// (@seriousme/openapi-schema-validator), then compiles its schemas with Ajv (JSON Schema 2020-12,
// the dialect of OpenAPI 3.1). `contract.problems(answer)` lists what does not match: an
// undocumented path, method or status, a content type the operation does not declare, a body
// that fails its schema, a required header that is missing or malformed. What the document's
// description states for every path is checked too: an unlisted path is 404 and an unlisted
// method 405 with the error body, and OPTIONS is a CORS preflight (204, or 403 for an origin
// that is not allowed).
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";

import { apiClient } from "./helpers.mjs";

const DOC_ID = "openapi.json";

/** JSON Pointer escaping of one reference token. */
const escape = (token) => String(token).replaceAll("~", "~0").replaceAll("/", "~1");

/** The essence of a Content-Type (`application/json` of `application/json; charset=utf-8`). */
const essence = (contentType) => (contentType ?? "").split(";")[0].trim().toLowerCase();

export class Contract {
  constructor(doc) {
    this.doc = doc;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    this.ajv.addSchema(doc, DOC_ID);
    this.validators = new Map();
    // Literal paths first, so /v1/actions is not taken for a template.
    this.templates = Object.keys(doc.paths)
      .map((template) => ({
        template,
        literal: !template.includes("{"),
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+")}$`),
      }))
      .sort((a, b) => Number(b.literal) - Number(a.literal));
  }

  /** `{template, operation}` for a concrete path (query ignored), or null. */
  operation(method, path) {
    const bare = path.split("?")[0];
    const found = this.templates.find(({ pattern }) => pattern.test(bare));
    if (!found) return null;
    const operation = this.doc.paths[found.template][method.toLowerCase() === "head" ? "get" : method.toLowerCase()];
    return operation ? { template: found.template, operation } : { template: found.template, operation: null };
  }

  /** Follows a local `$ref` (`#/components/...`) to its target and the target's pointer. */
  resolve(value, pointer) {
    let current = value;
    let at = pointer;
    while (current && typeof current.$ref === "string") {
      assert.ok(current.$ref.startsWith("#/"), `only local references are supported: ${current.$ref}`);
      at = current.$ref.slice(1);
      current = at.split("/").slice(1).reduce((node, token) => node?.[token.replaceAll("~1", "/").replaceAll("~0", "~")], this.doc);
      assert.ok(current !== undefined, `dangling reference ${at}`);
    }
    return { value: current, pointer: at };
  }

  validator(pointer) {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${DOC_ID}#${pointer}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }

  /**
   * What does not match in an answer. `headers` is a Headers object (or a plain object of
   * lower-case names), `body` the parsed JSON (or the text for other types).
   * @returns {string[]}
   */
  problems({ method, path, status, headers, body }) {
    const get = (name) => (typeof headers?.get === "function" ? headers.get(name) : headers?.[name.toLowerCase()]) ?? null;
    const where = `${method} ${path} -> ${status}`;
    const found = this.operation(method, path);
    if (!found) {
      // A path the document does not list is 404 with the error body.
      if (status !== 404) return [`${where}: the path is not in the document`];
      const validate = this.validator("/components/schemas/ErrorBody");
      return validate(body) ? [] : [`${where}: body does not match ErrorBody: ${this.ajv.errorsText(validate.errors)}`];
    }
    if (method.toUpperCase() === "OPTIONS") {
      // CORS preflights, on every path: 204 for an allowed origin (or without one), 403 otherwise.
      if (status === 204) return [];
      if (status !== 403) return [`${where}: a preflight answers 204 or 403`];
      const validate = this.validator("/components/schemas/ErrorBody");
      return validate(body) ? [] : [`${where}: body does not match ErrorBody: ${this.ajv.errorsText(validate.errors)}`];
    }
    if (!found.operation) {
      // A method the document does not list for a path is 405 with the error body and Allow.
      if (status !== 405) return [`${where}: ${method} is not documented for ${found.template}`];
      const validate = this.validator("/components/schemas/ErrorBody");
      const out = validate(body) ? [] : [`${where}: body does not match ErrorBody: ${this.ajv.errorsText(validate.errors)}`];
      if (!get("allow")) out.push(`${where}: a 405 without Allow`);
      return out;
    }
    const base = `/paths/${escape(found.template)}/${method.toLowerCase() === "head" ? "get" : method.toLowerCase()}/responses`;
    const responses = found.operation.responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`, "default"].find((k) => k in responses);
    if (!key) return [`${where}: status ${status} is not documented (documented: ${Object.keys(responses).join(", ")})`];
    const { value: response, pointer } = this.resolve(responses[key], `${base}/${escape(key)}`);
    const out = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const { value: spec, pointer: headerPointer } = this.resolve(header, `${pointer}/headers/${escape(name)}`);
      const actual = get(name);
      if (actual === null) {
        if (spec.required) out.push(`${where}: required header ${name} is missing`);
        continue;
      }
      if (spec.schema) {
        const validate = this.validator(`${headerPointer}/schema`);
        if (!validate(actual)) out.push(`${where}: header ${name}: ${this.ajv.errorsText(validate.errors)}`);
      }
    }
    if (status === 204 || method.toUpperCase() === "HEAD" || !response.content) return out;
    const type = essence(get("content-type"));
    if (!(type in response.content)) {
      out.push(`${where}: content type ${type || "(none)"} is not documented (${Object.keys(response.content).join(", ")})`);
      return out;
    }
    if (response.content[type].schema) {
      const validate = this.validator(`${pointer}/content/${escape(type)}/schema`);
      if (!validate(body)) {
        out.push(`${where}: body does not match: ${this.ajv.errorsText(validate.errors, { separator: "; " })} in ${JSON.stringify(body)?.slice(0, 400)}`);
      }
    }
    return out;
  }

  /** Throws when an answer does not match the document. */
  assertAnswer(answer) {
    const problems = this.problems(answer);
    assert.deepEqual(problems, [], problems.join("\n"));
  }
}

/** Validates `doc` as an OpenAPI 3.1 document, then makes it a Contract. */
export async function loadContract(doc) {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc));
  assert.ok(result.valid, `the OpenAPI document is not valid: ${JSON.stringify(result.errors, null, 1)?.slice(0, 2000)}`);
  assert.equal(validator.version, "3.1", "OpenAPI 3.1");
  return new Contract(doc);
}

/**
 * `apiClient(baseUrl)` whose every answer is checked against `contract` (see helpers.apiClient
 * for the arguments). Resolves to `{status, headers, body, text}`.
 */
export function checkedApi(baseUrl, contract) {
  const call = apiClient(baseUrl);
  return async function checkedCall(method, path, options = {}) {
    const res = await call(method, path, options);
    const type = essence(res.headers.get("content-type"));
    const body = type === "application/json" ? res.body : res.text;
    contract.assertAnswer({ method, path, status: res.status, headers: res.headers, body });
    return res;
  };
}

let served;
/**
 * The client every end-to-end suite uses: `checkedApi` against the document the Worker at
 * `baseUrl` serves at /openapi.json (validated once per test process).
 */
export async function contractClient(baseUrl) {
  served ??= fetch(`${baseUrl}/openapi.json`).then((res) => res.json()).then(loadContract);
  return checkedApi(baseUrl, await served);
}
