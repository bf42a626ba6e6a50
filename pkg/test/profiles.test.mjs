// Direct mode against the emulator playing each upstream profile over real HTTP: genesys-cloud's
// login, contracts, execute and ErrorBody (sync only), cxone's sign-in in front of the seed's
// paths, and the configuration of every profile.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { DataActionsClient, DataActionsError } from 'cxone-data-actions';
import { CLIENT_ID, CLIENT_SECRET, requestDelta, startEmulator } from './helpers/emulator.mjs';

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DataActionsError, `not a DataActionsError: ${error}`);
    return error;
  }
  assert.fail('the call did not reject');
}

function configError(options) {
  try {
    new DataActionsClient(options);
  } catch (error) {
    assert.ok(error instanceof DataActionsError, `not a DataActionsError: ${error}`);
    assert.equal(error.code, 'config');
    return error;
  }
  assert.fail('the client was built');
}

describe('genesys-cloud in direct mode', () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator({ profile: 'genesys-cloud' });
  });
  after(async () => {
    await emulator?.stop();
  });
  beforeEach(async () => {
    await emulator.reset();
  });
  const genesys = (extra = {}) =>
    new DataActionsClient({ profile: 'genesys-cloud', baseUrl: emulator.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra });

  test('executes synchronously: the contract as the definition, the outputs as the answer', async () => {
    const client = genesys();
    const definition = await client.getAction('lookup-customer');
    assert.equal(definition.mode, 'sync');
    assert.equal(definition.inputSchema.type, 'object');
    assert.ok(definition.inputs.some((p) => p.name === 'customerId' && p.required));
    const result = await client.invoke('lookup-customer', { customerId: 42 });
    assert.equal(result.status, 'completed');
    assert.equal(result.invokeId, null);
    assert.equal(result.outputs.customerId, '42', 'coerced to the contract string');
    assert.equal(result.audit.event, 'DATA_ACTION_INVOCATION');
    const before = await emulator.stats();
    await client.invoke('lookup-customer', { customerId: '7' });
    const delta = requestDelta(before, await emulator.stats());
    assert.equal(delta.invoke, 1);
    assert.equal(delta.token + delta.definition, 0, 'warm: the token and the definition are reused');
  });

  test('asynchronous options reject with not_supported_by_profile and nothing is sent', async () => {
    const client = genesys();
    const before = await emulator.stats();
    for (const options of [{ callbackUrl: 'https://me.example/cb' }, { maxPollMs: 10_000 }, { context: { agentId: 'a-1' } }]) {
      const error = await rejection(client.invoke('lookup-customer', { customerId: '1' }, options));
      assert.equal(error.code, 'not_supported_by_profile', JSON.stringify(options));
      assert.match(error.message, /genesys-cloud/);
    }
    const status = await rejection(client.getInvocation('lookup-customer', 'exe_1'));
    assert.equal(status.code, 'not_supported_by_profile');
    assert.equal(requestDelta(before, await emulator.stats()).invoke, 0);
  });

  test('ErrorBody answers map to the same error kinds, with the contextId', async () => {
    const client = genesys();
    const missing = await rejection(client.invoke('no-such-action', {}));
    assert.equal(missing.code, 'not_found');
    assert.equal(missing.upstreamCode, 'not.found');
    assert.match(missing.upstreamCorrelationId, /\S/);
    assert.equal(missing.toJSON().upstreamCorrelationId, missing.upstreamCorrelationId);
    const restricted = await rejection(client.invoke('restricted', {}));
    assert.equal(restricted.code, 'forbidden');
    assert.ok(restricted.upstreamCorrelationId);
    const failed = await rejection(client.invoke('sync-fails', { customerId: '1' }));
    assert.equal(failed.code, 'execution_failed');
    const invalid = await rejection(client.invoke('lookup-customer', { customerId: '1', colour: 'red' }));
    assert.equal(invalid.code, 'validation');
    assert.deepEqual(invalid.issues.map((i) => [i.parameter, i.kind]), [['colour', 'unknown_parameter']]);
    const refused = await rejection(genesys({ clientSecret: 'wrong-secret' }).invoke('lookup-customer', { customerId: '1' }));
    assert.equal(refused.code, 'unauthorized');
    assert.doesNotMatch(refused.message, /wrong-secret/);
  });
});

describe('cxone in direct mode', () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator({ profile: 'cxone' });
  });
  after(async () => {
    await emulator?.stop();
  });
  const cxone = (extra = {}) =>
    new DataActionsClient({
      profile: 'cxone',
      issuer: emulator.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      accessKeyId: 'demo-access-key-id',
      accessKeySecret: 'demo-access-key-secret',
      poll: { initialDelayMs: 100, minIntervalMs: 50, maxIntervalMs: 300 },
      ...extra,
    });

  test('signs in once, then invokes on the API host the sign-in names, sync and async', async () => {
    const client = cxone();
    const result = await client.invoke('lookup-customer', { customerId: 'C-1' });
    assert.equal(result.status, 'completed');
    assert.match(result.invokeId, /^inv_/);
    const statuses = [];
    const report = await client.invoke('export-report', { reportName: 'daily', durationMs: 300 }, { onStatus: (s) => statuses.push(s.status) });
    assert.equal(report.status, 'completed');
    assert.ok(report.polls >= 1);
    const stats = await emulator.stats();
    assert.equal(stats.signin.password, 1);
    assert.equal(stats.signin.discovery, 1);
  });

  test('refused credentials reject as unauthorized without a secret', async () => {
    const error = await rejection(cxone({ accessKeySecret: 'wrong-secret-value' }).invoke('lookup-customer', { customerId: 'C-1' }));
    assert.equal(error.code, 'unauthorized');
    assert.doesNotMatch(JSON.stringify(error) + error.message, /wrong-secret-value|demo-secret/);
  });
});

describe('profile configuration', () => {
  test('each profile checks its own fields, naming the one at fault', () => {
    assert.equal(configError({ profile: 'purecloud', clientId: 'i', clientSecret: 's' }).field, 'profile');
    assert.equal(configError({ profile: 'genesys-cloud', clientId: 'i', clientSecret: 's' }).field, 'region');
    assert.equal(configError({ profile: 'genesys-cloud', region: 'https://mypurecloud.com', clientId: 'i', clientSecret: 's' }).field, 'region');
    assert.equal(configError({ profile: 'genesys-cloud', region: 'mypurecloud.com', tenant: 'acme', clientId: 'i', clientSecret: 's' }).field, 'tenant');
    assert.equal(configError({ profile: 'cxone', clientId: 'i', clientSecret: 's', accessKeyId: 'k' }).field, 'accessKeySecret');
    assert.equal(configError({ tenant: 'acme', region: 'mypurecloud.com', clientId: 'i', clientSecret: 's' }).field, 'region');
    const secret = configError({ profile: 'cxone', clientId: 'i', clientSecret: 's', accessKeyId: 'AKID-9', accessKeySecret: 'AKS-9', issuer: 'nowhere' });
    assert.equal(secret.field, 'issuer');
    assert.doesNotMatch(JSON.stringify(secret), /AKID-9|AKS-9/);
    for (const region of ['mypurecloud.com', 'usw2.pure.cloud', 'mypurecloud.ie', 'mypurecloud.de', 'apne2.pure.cloud']) {
      assert.equal(new DataActionsClient({ profile: 'genesys-cloud', region, clientId: 'i', clientSecret: 's' }).mode, 'direct');
    }
  });
});
