// A consumer of the packed package: type-checked with `tsc --strict` against the hand-written
// declarations, then run against the emulator (EMULATOR_URL).
import {
  DataActionsClient,
  DataActionsError,
  init,
  type ActionDefinition,
  type ActionListPage,
  type InvocationListPage,
  type CallbackAck,
  type DataActionsClientOptions,
  type DataActionsErrorCode,
  type InvocationResult,
  type InvocationState,
  type InvokeOptions,
  type ProxyClientOptions,
  type StatusEvent,
} from 'cxone-data-actions';

const url = process.env['EMULATOR_URL'];
if (url === undefined || url === '') throw new Error('EMULATOR_URL is required');

function describe(code: DataActionsErrorCode): string {
  switch (code) {
    case 'config':
    case 'bad_input':
    case 'validation':
    case 'not_supported_by_profile':
      return 'fix the call';
    case 'unauthorized':
    case 'forbidden':
      return 'fix the credentials';
    case 'not_found':
      return 'no such thing';
    case 'rate_limited':
    case 'timeout':
    case 'upstream':
    case 'transport':
      return 'try later';
    case 'execution_failed':
    case 'cancelled':
      return 'it ended';
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

// Wrong shapes must not type-check.
// @ts-expect-error clientId is required in direct mode
const missingId: DataActionsClientOptions = { tenant: 'acme', clientSecret: 's' };
// @ts-expect-error tenant and baseUrl are exclusive
const both: DataActionsClientOptions = { tenant: 'a', baseUrl: 'https://x', clientId: 'i', clientSecret: 's' };
// @ts-expect-error error codes are a closed set
const badCode: DataActionsErrorCode = 'oops';
const proxyOptions: ProxyClientOptions = { proxyUrl: 'https://proxy.example', apiKey: 'k', timeoutMs: 1000 };
const genesysOptions: DataActionsClientOptions = { profile: 'genesys-cloud', region: 'usw2.pure.cloud', clientId: 'i', clientSecret: 's' };
const cxoneOptions: DataActionsClientOptions = { profile: 'cxone', clientId: 'i', clientSecret: 's', accessKeyId: 'k', accessKeySecret: 'v' };
// @ts-expect-error genesys-cloud takes a region, not a tenant
const genesysTenant: DataActionsClientOptions = { profile: 'genesys-cloud', tenant: 'acme', clientId: 'i', clientSecret: 's' };
// @ts-expect-error cxone needs the access key
const cxoneNoKey: DataActionsClientOptions = { profile: 'cxone', clientId: 'i', clientSecret: 's' };
const notSupported: DataActionsErrorCode = 'not_supported_by_profile';
void [missingId, both, badCode, proxyOptions, genesysOptions, cxoneOptions, genesysTenant, cxoneNoKey, notSupported];

await init();
const client = new DataActionsClient({
  baseUrl: url,
  clientId: 'demo-client',
  clientSecret: 'demo-secret',
  fetch: globalThis.fetch,
  retry: { maxAttempts: 3 },
  poll: { initialDelayMs: 100 },
});
const mode: 'direct' | 'proxy' = client.mode;

const definition: ActionDefinition = await client.getAction('lookup-customer');
const firstInput: string | undefined = definition.inputs[0]?.name;
const coerced = client.validateInputs(definition, { customerId: 'C-9', maxResults: '3' });

const statuses: string[] = [];
const options: InvokeOptions = {
  context: { agentId: 'a-1' },
  signal: new AbortController().signal,
  onStatus: (event: StatusEvent) => statuses.push(event.status),
};
const result: InvocationResult = await client.invoke('lookup-customer', { customerId: 'C-9' }, options);
const tier = result.outputs['tier'];
const state: InvocationState = await client.getInvocation('lookup-customer', result.invokeId ?? 'none');

let caught: DataActionsErrorCode | undefined;
try {
  await client.invoke('lookup-customer', { customerId: 42, bogus: true });
} catch (error) {
  if (error instanceof DataActionsError) {
    caught = error.code;
    const parameters: string[] = error.issues.map((issue) => issue.parameter);
    const status: number | undefined = error.status;
    console.log(describe(error.code), parameters, status, error.retryable, error.invokeId ?? '-');
  }
}

// validate: against the fetched definition in direct mode (on the Worker in proxy mode).
const validated = await client.validate('lookup-customer', { customerId: 7 });
// The lists are proxy-mode calls (the Worker keeps them): typed, and refused in direct mode.
const codeOf = (error: unknown) => (error instanceof DataActionsError ? error.code : undefined);
const listed: Promise<ActionListPage> = client.listActions({ limit: 10 });
const history: Promise<InvocationListPage> = client.listInvocations({ status: 'pending', cursor: null });
const refused = [await listed.then(() => undefined, codeOf), await history.then(() => undefined, codeOf)];
const keyed: InvokeOptions = { idempotencyKey: crypto.randomUUID(), firstWaitS: 0 };
const keyedRefused = await client.invoke('lookup-customer', { customerId: 'C-9' }, keyed).then(() => undefined, codeOf);
if (validated['customerId'] !== '7' || refused.some((code) => code !== 'bad_input') || keyedRefused !== 'bad_input') {
  throw new Error(`unexpected ${JSON.stringify({ validated, refused, keyedRefused })}`);
}

const ack: CallbackAck = client.handleCallback({ invokeId: result.invokeId ?? 'x', status: 'completed' });

if (result.status !== 'completed' || typeof tier !== 'string' || state.status !== 'completed') {
  throw new Error(`unexpected result ${JSON.stringify({ result, state })}`);
}
if (caught !== 'validation' || ack.callbackStatus !== 'SYNCED' || mode !== 'direct' || firstInput !== 'customerId') {
  throw new Error(`unexpected ${JSON.stringify({ caught, ack, mode, firstInput })}`);
}
console.log(`consumer-check: ok (invokeId ${result.invokeId}, tier ${tier}, coerced ${JSON.stringify(coerced)})`);
