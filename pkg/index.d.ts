// Type declarations of `cxone-data-actions` (hand-written; the implementation is Rust compiled
// to WebAssembly). They use the standard `AbortSignal`, `RequestInit` and `Response` types, which
// come with TypeScript's "dom" lib or with @types/node.

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Inputs or context as given: an object of JSON-serializable values (checked at run time). */
export type InputObject = Readonly<Record<string, unknown>>;

/** A `fetch` implementation (the global one is used when none is given). */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** How failed requests are retried (direct mode). */
export interface RetryOptions {
  /** Requests sent at most for one call, the first included. Default 5, range 1..20. */
  maxAttempts?: number;
  /** Backoff base in ms (full jitter, exponential). Default 200. */
  baseDelayMs?: number;
  /** Backoff cap in ms. Default 10000. */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this fails the call as rate limited. Default 60000. */
  maxRetryAfterMs?: number;
  /** Retry budget shared by all calls of the client. Default 500. */
  budgetCapacity?: number;
  /** Budget cost of one retry. Default 5. */
  retryCost?: number;
  /** Budget cost of one retry after a timeout. Default 10. */
  timeoutRetryCost?: number;
}

/**
 * How an asynchronous invocation is polled (direct mode): each wait is `elapsedPercent` of the time
 * since the 202, between `minIntervalMs` and `maxIntervalMs`, shortened by a random share of up to
 * `jitterPercent`. A job is therefore seen at most a quarter of its duration after it ended (by default),
 * and a 60 s job costs at most 30 status requests. A `Retry-After` on a running status is honoured.
 */
export interface PollOptions {
  /** Delay before the first status request, ms. Default 100. */
  initialDelayMs?: number;
  /** Each wait between two polls is this percent of the time since the 202 (0 to 100). Default 25. */
  elapsedPercent?: number;
  /** Each wait is shortened by a random share of up to this percent (0 to 50). Default 10. */
  jitterPercent?: number;
  /** Longest wait between two polls, ms. Default 15000. */
  maxIntervalMs?: number;
  /** Shortest wait between two polls (before jitter), ms. Default 100. */
  minIntervalMs?: number;
  /** After this long the invocation ends in a `timeout` error carrying its invokeId. Default 300000. */
  maxPollMs?: number;
}

/** The upstream's shape: `cxone-seed` (default), `genesys-cloud` or `cxone`. */
export type UpstreamProfile = 'cxone-seed' | 'genesys-cloud' | 'cxone';

interface DirectOptionsBase {
  /** Token endpoint; default `{upstream}/oauth2/token` (genesys-cloud: `https://login.{region}/oauth/token`). */
  tokenUrl?: string;
  /** OAuth client id. */
  clientId: string;
  /** OAuth client secret. Refused in browsers: use proxy mode there. */
  clientSecret: string;
  /** Scopes to request; default `["data-actions:read", "data-actions:execute"]`. */
  scopes?: string[];
  /** The `fetch` to use; default the global one. */
  fetch?: FetchFunction;
  /** Per-request timeout, ms. Default 30000. */
  timeoutMs?: number;
  /** Retry policy overrides. */
  retry?: RetryOptions;
  /** Poll policy overrides. */
  poll?: PollOptions;
  /** How long a fetched definition is reused, ms. Default 300000. */
  definitionTtlMs?: number;
  /**
   * Allows a client secret where a `window` or `document` exists (e.g. server code tested under
   * jsdom). Never set it in code that ships to browsers.
   */
  dangerouslyAllowBrowser?: boolean;
}

/** Direct mode, by tenant: the upstream is `https://{tenant}.nicecxone.com`. */
export interface TenantClientOptions extends DirectOptionsBase {
  profile?: 'cxone-seed';
  tenant: string;
  baseUrl?: undefined;
}

/** Direct mode, by explicit upstream origin. */
export interface BaseUrlClientOptions extends DirectOptionsBase {
  profile?: 'cxone-seed';
  baseUrl: string;
  tenant?: undefined;
}

/**
 * Direct mode against Genesys Cloud's data actions (synchronous only: `callbackUrl`, `maxPollMs`,
 * a non-empty `context` and `getInvocation` reject with `not_supported_by_profile`).
 */
export interface GenesysCloudClientOptions extends Omit<DirectOptionsBase, 'scopes'> {
  profile: 'genesys-cloud';
  /** The platform's host, e.g. `mypurecloud.com`, `usw2.pure.cloud`, `mypurecloud.ie`, `mypurecloud.de`, `apne2.pure.cloud`: the API is `https://api.{region}`. */
  region?: string;
  /** The API origin instead of the region's (a proxy, the emulator); the token endpoint is then `{baseUrl}/oauth/token` unless `tokenUrl` says otherwise. */
  baseUrl?: string;
  tenant?: undefined;
}

/** Direct mode against CXone: its sign-in (OIDC discovery, access-key grant) in front of the data-action paths. */
export interface CxoneClientOptions extends Omit<DirectOptionsBase, 'tokenUrl'> {
  profile: 'cxone';
  /** The sign-in issuer; default `https://cxone.niceincontact.com`. */
  issuer?: string;
  /** The access key id (a secret). */
  accessKeyId: string;
  /** The access key secret (a secret; refused in browsers like `clientSecret`). */
  accessKeySecret: string;
  /** Pins the API origin instead of the sign-in's `api_endpoint`. */
  baseUrl?: string;
  tenant?: undefined;
}

/** Proxy mode (browsers): calls go through the Worker, which holds the credentials. */
export interface ProxyClientOptions {
  /** The Worker's URL (absolute, or a path such as `/data-actions` on the page's origin). */
  proxyUrl: string;
  /** The API key, sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** The `fetch` to use; default the global one. */
  fetch?: FetchFunction;
  /** Per-request timeout, ms, on top of the time the Worker is asked to hold a request. Default 30000. */
  timeoutMs?: number;
  /** Default longest wait for an invocation, ms. Default 300000. */
  maxPollMs?: number;
}

/** Options of `new DataActionsClient(...)`. */
export type DataActionsClientOptions =
  | TenantClientOptions
  | BaseUrlClientOptions
  | GenesysCloudClientOptions
  | CxoneClientOptions
  | ProxyClientOptions;

/** The type of an action parameter. Unknown types are passed unchecked. */
export type ParameterType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | (string & {});

/** One declared input. */
export interface InputParameter {
  name: string;
  type: ParameterType;
  required?: boolean;
}

/** One declared output. */
export interface OutputParameter {
  name: string;
  type: ParameterType;
}

/** An action's definition; fields this client does not model are kept. */
export interface ActionDefinition {
  id: string;
  inputs: InputParameter[];
  outputs: OutputParameter[];
  /** The inputs as a JSON Schema, where the upstream has one; inputs are validated by it, else by `inputs`. */
  inputSchema?: Record<string, unknown> | boolean;
  /** The outputs as a JSON Schema, where the upstream has one; outputs are coerced by it, else by `outputs`. */
  outputSchema?: Record<string, unknown> | boolean;
  name?: string;
  description?: string;
  [extra: string]: unknown;
}

/** One audit record: a JSON line per finished invocation or callback. */
export interface AuditRecord {
  /** RFC 3339, UTC, milliseconds. */
  timestamp: string;
  invokeId: string | null;
  actionId: string;
  status: string;
  latencyMs: number;
  /** SHA-256 (hex) of the canonical JSON of `{inputs, context}`. */
  payloadHash: string;
  event: 'DATA_ACTION_INVOCATION' | 'DATA_ACTION_CALLBACK' | (string & {});
}

/** A status change reported to `onStatus`. */
export interface StatusEvent {
  /** `queued`, `running`, `completed`... (direct) or `pending`, `completed`... (proxy). */
  status: string;
  invokeId: string | null;
  /** Status requests made so far. */
  polls: number;
  /** Since the invoke request, ms. */
  elapsedMs: number;
  /** Proxy mode: the Worker's id of the invocation (read its record with `getInvocation`). */
  invocationId?: string;
}

/** Per-call options of `invoke`. */
export interface InvokeOptions {
  /** Execution context attributes, sent as `context`. */
  context?: InputObject;
  /** Where the upstream should POST the completion notification. */
  callbackUrl?: string;
  /** Overrides the longest wait for an asynchronous invocation, ms. */
  maxPollMs?: number;
  /** Cancels waiting and polling: the call rejects with code `cancelled`. */
  signal?: AbortSignal;
  /** Called at each status change while an asynchronous invocation runs. */
  onStatus?: (event: StatusEvent) => void;
  /**
   * Proxy mode: sent as `Idempotency-Key`, so a repeated call with the same key and request (a
   * double click, a retry) gets the first invocation instead of running the action again. Use a
   * fresh one (e.g. `crypto.randomUUID()`) per intended invocation. Direct mode rejects it.
   */
  idempotencyKey?: string;
  /**
   * Proxy mode: how long the invoke request asks the Worker to wait for the end before answering,
   * whole seconds 0..25 (default 25). 0 answers at once, `pending` for an asynchronous action, so
   * `onStatus` reports each change when it happens (the follow-up reads still wait). Direct mode rejects it.
   */
  firstWaitS?: number;
}

/** Which page of a list to read. */
export interface PageOptions {
  /** The `cursor` of the previous page; omit for the first page. */
  cursor?: string | null;
  /** Entries per page (the Worker accepts 1..100; default 25). */
  limit?: number;
  signal?: AbortSignal;
}

/** Filters of `listInvocations`. */
export interface InvocationListOptions extends PageOptions {
  /** Only this action's invocations. */
  actionId?: string;
  /** Only invocations with this status. */
  status?: 'pending' | 'completed' | 'failed' | 'cancelled' | 'timed_out' | (string & {});
}

/** One listed action. */
export interface ActionSummary {
  id: string;
  name?: string;
  /** `sync` or `async`, when the upstream says. */
  mode?: string;
}

/** One page of `listActions`. */
export interface ActionListPage {
  actions: ActionSummary[];
  /** Pass it back for the next page; null on the last one. */
  cursor: string | null;
  /** `upstream`: the upstream's own list; `seen`: the actions the Worker has served (the upstream cannot list). */
  source: 'upstream' | 'seen';
}

/** One page of `listInvocations`, newest first. */
export interface InvocationListPage {
  /** The records as `getInvocation` reads them. */
  invocations: InvocationState[];
  cursor: string | null;
}

/** Options of the single-request calls. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** One error entry reported by the upstream. */
export interface UpstreamErrorEntry {
  code: string;
  message: string;
}

/** A finished (completed) invocation. */
export interface InvocationResult {
  status: 'completed';
  actionId: string;
  /** The upstream's invocation id (null for a sync answer that carried none). */
  invokeId: string | null;
  /** Outputs, converted to the definition's output types where lossless. */
  outputs: JsonObject;
  /** From the invoke request to the final answer, ms. */
  latencyMs: number;
  /** Status requests made. */
  polls: number;
  audit: AuditRecord | null;
  /** The Worker's id of the invocation (proxy mode). */
  invocationId?: string;
  /** Proxy mode: what ended it (`invoke`, `poll`, `callback`). */
  completedBy?: string;
}

/** One status read of an invocation. */
export interface InvocationState {
  /** Direct: `queued`, `running`, `completed`, `failed`, `cancelled`. Proxy: `pending`, `completed`, `failed`, `cancelled`, `timed_out`. */
  status: string;
  invokeId: string | null;
  outputs: JsonObject;
  /** Errors of a failed invocation (direct mode). */
  errors?: UpstreamErrorEntry[];
  /** Proxy mode: the Worker's record. */
  invocationId?: string;
  actionId?: string;
  upstreamStatus?: string | null;
  error?: DataActionsErrorDetails;
  pollCount?: number;
  latencyMs?: number;
  audit?: AuditRecord;
  createdAt?: string;
  updatedAt?: string;
  completedAt?: string;
  completedBy?: string;
}

/** The answer to a completion callback. */
export interface CallbackAck {
  /** `SYNCED` when the invocation completed, `PROCESSED` otherwise. */
  callbackStatus: 'SYNCED' | 'PROCESSED';
  /** The audit record as one JSON line. */
  auditLog: string;
  /** When the notification was first processed (RFC 3339). */
  processedAt: string;
  /** True when this notification was processed before (the first answer is returned). */
  duplicate: boolean;
}

/** A completion notification as the upstream posts it. */
export interface CallbackPayload {
  invokeId: string;
  status: string;
  actionId?: string;
  outputs?: JsonObject;
  errors?: UpstreamErrorEntry[];
  latencyMs?: number;
  [extra: string]: unknown;
}

/** The stable error codes. */
export type DataActionsErrorCode =
  | 'config'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'validation'
  | 'rate_limited'
  | 'execution_failed'
  | 'timeout'
  | 'cancelled'
  | 'upstream'
  | 'transport'
  | 'bad_input'
  | 'not_supported_by_profile';

/** What is wrong with one input. */
export interface ValidationIssue {
  /** The top-level parameter's name (empty for the inputs as a whole). */
  parameter: string;
  /** Where, as an RFC 6901 JSON pointer into the inputs: `/customerId`, `/address/zip`; empty for the whole. */
  pointer: string;
  kind: 'missing_required' | 'unknown_parameter' | 'wrong_type' | 'out_of_range' | 'not_in_enum';
  /** The type the definition expects. */
  expected?: string;
  message: string;
}

/** An error as data (also the shape of the Worker's `{error: ...}` bodies). */
export interface DataActionsErrorDetails {
  code: DataActionsErrorCode;
  message: string;
  status?: number;
  retryable?: boolean;
  issues?: ValidationIssue[];
  invokeId?: string;
  upstreamCode?: string;
  /** The upstream's correlation id of the failed request (Genesys Cloud's `contextId`). */
  upstreamCorrelationId?: string;
  missingScope?: string;
  retryAfterMs?: number;
  field?: string;
}

/** Every error the package throws or rejects with. */
export declare class DataActionsError extends Error {
  constructor(details: DataActionsErrorDetails);
  readonly name: 'DataActionsError';
  /** What kind of error: branch on this. */
  readonly code: DataActionsErrorCode;
  /** The HTTP status behind the error, where there is one. */
  readonly status: number | undefined;
  /** Whether the same call may succeed if tried again later. */
  readonly retryable: boolean;
  /** Every input problem (code `validation`); empty otherwise. */
  readonly issues: ValidationIssue[];
  /** The invocation, where known (poll it rather than invoke again after a timeout). */
  readonly invokeId?: string;
  /** The upstream's own error code. */
  readonly upstreamCode?: string;
  /** The upstream's correlation id of the failed request (Genesys Cloud's `contextId`). */
  readonly upstreamCorrelationId?: string;
  /** The scope a `forbidden` call lacks. */
  readonly missingScope?: string;
  /** The last `Retry-After` of a `rate_limited` call, ms. */
  readonly retryAfterMs?: number;
  /** The configuration field at fault (code `config`). */
  readonly field?: string;
  toJSON(): DataActionsErrorDetails & { name: 'DataActionsError' };
}

/** A data-actions client. */
export declare class DataActionsClient {
  /**
   * Direct mode (`{tenant | baseUrl, clientId, clientSecret, ...}`, server side) or proxy mode
   * (`{proxyUrl, apiKey}`, browsers). Throws a `config` error naming the field at fault.
   */
  constructor(options: DataActionsClientOptions);
  /** `"direct"` or `"proxy"`. */
  readonly mode: 'direct' | 'proxy';
  /** The action's definition. */
  getAction(actionId: string, options?: RequestOptions): Promise<ActionDefinition>;
  /** Proxy mode: one page of the Worker's actions. Direct mode rejects (`bad_input`). */
  listActions(options?: PageOptions): Promise<ActionListPage>;
  /**
   * Checks and converts inputs for an action: on the Worker (proxy mode) or against the fetched
   * definition (direct mode). Resolves to the converted inputs; rejects with a `validation` error
   * listing every problem.
   */
  validate(actionId: string, inputs: InputObject, options?: RequestOptions): Promise<JsonObject>;
  /** Proxy mode: one page of the Worker's invocation history, newest first. Direct mode rejects (`bad_input`). */
  listInvocations(options?: InvocationListOptions): Promise<InvocationListPage>;
  /** Checks and converts inputs against a definition, locally; throws a `validation` error listing every problem. */
  validateInputs(definition: ActionDefinition, inputs: InputObject): JsonObject;
  /** Invokes an action and waits for its end; a failed execution rejects with code `execution_failed`. */
  invoke(actionId: string, inputs: InputObject, options?: InvokeOptions): Promise<InvocationResult>;
  /** One status read: by the upstream's invokeId (direct) or the Worker's invocationId (proxy). */
  getInvocation(actionId: string, invokeId: string, options?: RequestOptions): Promise<InvocationState>;
  /** Answers a completion callback; a duplicate notification gets the first answer. */
  handleCallback(payload: CallbackPayload): CallbackAck;
  /** Frees the wasm memory of this client now (otherwise the garbage collector does it). */
  free(): void;
}

/** Resolves once the wasm is ready (it already is when the import resolves). */
export declare function init(): Promise<void>;
