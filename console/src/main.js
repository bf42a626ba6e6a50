// The admin console: sign in with a proxy API key, browse actions, read a definition, fill the
// form generated from its inputs (validated by the Worker as you type), invoke (an
// Idempotency-Key per submit), watch async runs end, and look up past invocations. Everything
// goes through the npm package in proxy mode, against the Worker that served this page.
import { DataActionsClient } from 'cxone-data-actions';

import { announce, append, clear, duration, h, show, time } from './dom.js';
import { buildForm, placeIssues, readForm } from './form.js';
import * as store from './store.js';

const VALIDATE_DELAY_MS = 300;
const HISTORY_REFRESH_MS = 2000;
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'timed_out']);

const main = document.getElementById('main');
const nav = document.querySelector('.nav');
const signOutButton = document.getElementById('sign-out');

/** @type {DataActionsClient | null} */
let client = null;
/** Cleanup of the current view (timers, requests in flight). */
let leaveView = () => {};

function clientFor(apiKey) {
  return new DataActionsClient({ proxyUrl: location.origin, apiKey });
}

function uuid() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A view's heading, focused when the view opens (keyboard and screen reader users land on it). */
function heading(text, level = 'h1') {
  return h(level, { tabindex: '-1', class: 'view-title', text });
}

function showView(...nodes) {
  leaveView();
  leaveView = () => {};
  clear(main);
  append(main, nodes);
  const title = main.querySelector('.view-title');
  title?.focus();
  document.title = `${title?.textContent ?? 'Console'} · Data actions console`;
  for (const link of nav.querySelectorAll('a')) {
    const current = location.hash.startsWith(`#/${link.dataset.nav}`) || (link.dataset.nav === 'actions' && location.hash === '');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** An error as people read it: code, message, upstream code, status, invokeId. */
function errorBox(error, title = 'The call failed') {
  const details = error && typeof error === 'object' ? error : { message: String(error) };
  const facts = [
    ['Code', details.code],
    ['Message', details.message],
    ['Upstream code', details.upstreamCode],
    ['HTTP status', details.status],
    ['Invoke id', details.invokeId],
    ['Missing scope', details.missingScope],
  ].filter(([, value]) => value !== undefined && value !== null && value !== '');
  return h('div', { class: 'error', role: 'alert' },
    h('p', { class: 'error-title', text: title }),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, k === 'Code' ? h('code', { text: v }) : String(v))])),
  );
}

// ---------------------------------------------------------------------------------------------
// Sign in and out

function signInView(message) {
  nav.hidden = true;
  signOutButton.hidden = true;
  const input = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'api-key-hint api-key-error' });
  const problem = h('p', { id: 'api-key-error', class: 'issue', hidden: true });
  const button = h('button', { type: 'submit', text: 'Sign in' });
  const form = h('form', { class: 'panel narrow', novalidate: true, on: { submit: (event) => { event.preventDefault(); void signIn(); } } },
    h('div', { class: 'field' },
      h('label', { for: 'api-key', text: 'API key' }),
      input,
      h('p', { id: 'api-key-hint', class: 'hint', text: 'A key from the Worker\'s PROXY_API_KEYS. It stays in this tab (sessionStorage) until you sign out or close the tab, and is sent only to this Worker.' }),
      problem,
    ),
    button,
  );
  async function signIn() {
    const key = input.value.trim();
    problem.hidden = true;
    input.removeAttribute('aria-invalid');
    if (!key) return fail('Enter an API key.');
    button.disabled = true;
    button.textContent = 'Signing in…';
    const candidate = clientFor(key);
    try {
      await candidate.listActions({ limit: 1 });
    } catch (error) {
      if (error?.code === 'unauthorized' && error?.status === 401) return fail('This API key was not accepted by the Worker (unauthorized). Check it and try again.');
      if (error?.code === 'config') return fail(`The Worker is not configured: ${error.message}`);
      // Anything else came after the key was accepted (the upstream, say): signed in all the same.
    } finally {
      button.disabled = false;
      button.textContent = 'Sign in';
    }
    store.setApiKey(key);
    client = candidate;
    announce('Signed in.');
    if (!location.hash || location.hash === '#/signin') location.hash = '#/actions';
    else route();
    return undefined;
  }
  function fail(text) {
    problem.textContent = text;
    problem.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    announce(text);
  }
  showView(heading('Sign in'), h('p', { class: 'lead', text: 'Browse, validate, invoke and watch the data actions of this Worker.' }), message ? h('p', { class: 'note', role: 'status', text: message }) : null, form);
  input.focus();
}

function signOut() {
  store.clearApiKey();
  client?.free();
  client = null;
  history.replaceState(null, '', location.pathname);
  signInView('Signed out. The API key was removed from this tab.');
  announce('Signed out.');
}

// ---------------------------------------------------------------------------------------------
// Actions: open by id, recent ones, the list

function actionsView() {
  const datalist = h('datalist', { id: 'action-ids' });
  const idInput = h('input', { id: 'action-id', name: 'actionId', autocomplete: 'off', spellcheck: 'false', list: 'action-ids', required: true, 'aria-describedby': 'action-id-hint' });
  const openForm = h('form', { class: 'inline-form', novalidate: true, on: { submit: (event) => {
    event.preventDefault();
    const id = idInput.value.trim();
    if (id) location.hash = `#/actions/${encodeURIComponent(id)}`;
  } } },
  h('div', { class: 'field' },
    h('label', { for: 'action-id', text: 'Action id' }),
    h('div', { class: 'row' }, idInput, h('button', { type: 'submit', text: 'Open' })),
    h('p', { id: 'action-id-hint', class: 'hint', text: 'Type an id, or pick one from the lists below.' }),
  ), datalist);

  const recent = store.recentActions();
  for (const id of recent) datalist.append(h('option', { value: id }));
  const recentSection = h('section', { class: 'panel', 'aria-labelledby': 'recent-title' },
    h('h2', { id: 'recent-title', text: 'Recent in this browser' }),
    recent.length
      ? h('ul', { class: 'chips' }, recent.map((id) => h('li', {}, h('a', { href: `#/actions/${encodeURIComponent(id)}`, text: id }))))
      : h('p', { class: 'muted', text: 'None yet: actions you open are remembered here.' }));

  const listBody = h('tbody');
  const listNote = h('p', { class: 'muted', role: 'status', text: 'Loading the actions…' });
  const more = h('button', { type: 'button', class: 'quiet', hidden: true, text: 'Load more' });
  const listSection = h('section', { class: 'panel', 'aria-labelledby': 'all-title' },
    h('h2', { id: 'all-title', text: 'All actions' }),
    listNote,
    h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Table of the actions' },
      h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Name' }), h('th', { scope: 'col', text: 'Id' }), h('th', { scope: 'col', text: 'Mode' }))), listBody)),
    more);

  let cursor = null;
  let gone = false;
  async function load() {
    more.disabled = true;
    try {
      const page = await client.listActions({ limit: 50, ...(cursor ? { cursor } : {}) });
      if (gone) return;
      for (const action of page.actions) {
        datalist.append(h('option', { value: action.id }, action.name ?? ''));
        listBody.append(h('tr', {},
          h('td', {}, h('a', { href: `#/actions/${encodeURIComponent(action.id)}`, text: action.name ?? action.id })),
          h('td', {}, h('code', { text: action.id })),
          h('td', { text: action.mode ?? '' })));
      }
      cursor = page.cursor;
      more.hidden = !cursor;
      const count = listBody.children.length;
      listNote.textContent = page.source === 'seen'
        ? `The upstream cannot list its actions: these ${count} are the ones this Worker has served.`
        : `${count} action${count === 1 ? '' : 's'}${cursor ? ' so far' : ''}.`;
    } catch (error) {
      if (gone) return;
      if (handleSignedOut(error)) return;
      listNote.replaceWith(errorBox(error, 'The actions could not be listed'));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => void load());
  showView(heading('Actions'), openForm, h('div', { class: 'columns' }, recentSection, listSection));
  leaveView = () => { gone = true; };
  void load();
}

/** A 401 from the Worker in the middle of a session: the key was revoked. */
function handleSignedOut(error) {
  if (error?.code === 'unauthorized' && error?.status === 401) {
    store.clearApiKey();
    client = null;
    signInView('The Worker no longer accepts this API key: sign in again.');
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// One action: definition, form, invoke

function parameterTable(caption, rows, withRequired) {
  if (!rows.length) return h('p', { class: 'muted', text: `No ${caption.toLowerCase()}.` });
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Name' }), h('th', { scope: 'col', text: 'Type' }), withRequired ? h('th', { scope: 'col', text: 'Required' }) : null)),
    h('tbody', {}, rows.map((p) => h('tr', {},
      h('td', {}, h('code', { text: p.name })),
      h('td', { text: p.type }),
      withRequired ? h('td', { text: p.required ? 'required' : 'optional' }) : null)))));
}

function fieldControl(field) {
  const described = `${field.hintId} ${field.issueId}`;
  const common = { id: field.id, name: field.name, 'aria-describedby': described, 'data-field': field.name };
  switch (field.control) {
    case 'checkbox':
      return h('input', { ...common, type: 'checkbox' });
    case 'tristate':
      return h('select', common, h('option', { value: '', text: 'Not set' }), h('option', { value: 'true', text: 'true' }), h('option', { value: 'false', text: 'false' }));
    case 'json':
      return h('textarea', { ...common, rows: '3', spellcheck: 'false', placeholder: field.placeholder || null, required: field.required, 'aria-required': field.required ? 'true' : null });
    case 'number':
      return h('input', { ...common, type: 'text', inputmode: field.inputmode, autocomplete: 'off', spellcheck: 'false', required: field.required, 'aria-required': field.required ? 'true' : null });
    default:
      return h('input', { ...common, type: 'text', autocomplete: 'off', required: field.required, 'aria-required': field.required ? 'true' : null });
  }
}

function fieldBlock(field, control) {
  const label = h('label', { for: field.id },
    h('span', { class: 'field-name', text: field.name }), ' ',
    h('span', { class: 'type', text: field.type ?? 'JSON' }),
    field.required ? [' ', h('span', { class: 'required', text: 'required' })] : null);
  const hint = h('p', { id: field.hintId, class: 'hint', text: field.hint });
  const issue = h('p', { id: field.issueId, class: 'issue', hidden: true });
  const block = field.control === 'checkbox'
    ? h('div', { class: 'field check' }, h('div', { class: 'row' }, control, label), hint, issue)
    : h('div', { class: 'field' }, label, control, hint, issue);
  return { block, issue };
}

async function actionView(actionId) {
  showView(h('p', {}, h('a', { href: '#/actions', text: '← Actions' })), heading(actionId), h('p', { class: 'muted', role: 'status', text: 'Loading the definition…' }));
  let definition;
  try {
    definition = await client.getAction(actionId);
  } catch (error) {
    if (handleSignedOut(error)) return;
    if (location.hash !== `#/actions/${encodeURIComponent(actionId)}`) return;
    showView(h('p', {}, h('a', { href: '#/actions', text: '← Actions' })), heading(actionId), errorBox(error, 'The definition could not be read'));
    return;
  }
  if (location.hash !== `#/actions/${encodeURIComponent(actionId)}`) return;
  store.rememberAction(actionId);

  const form = buildForm(definition);
  // Keyed by field name; the context field apart (an input may be called `context`).
  const controls = new Map();
  const issueNodes = new Map();
  const blocks = [];
  for (const field of form.fields) {
    const control = fieldControl(field);
    const { block, issue } = fieldBlock(field, control);
    controls.set(field.name, control);
    issueNodes.set(field.name, issue);
    blocks.push(block);
  }
  const contextControl = fieldControl({ ...form.context, required: false });
  const { block: contextBlock, issue: contextIssueNode } = fieldBlock({ ...form.context, type: 'object', required: false }, contextControl);
  const keyInput = h('input', { id: 'idempotency-key', name: 'idempotencyKey', autocomplete: 'off', spellcheck: 'false', value: uuid(), 'aria-describedby': 'idempotency-key-hint' });
  const general = h('div', { class: 'issue general', id: 'form-issues', hidden: true });
  const validity = h('p', { class: 'validity', role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', text: 'Invoke' });
  const formNode = h('form', { class: 'invoke-form', novalidate: true, 'aria-labelledby': 'invoke-title' },
    blocks,
    h('details', { class: 'extra' }, h('summary', { text: 'Context' }), contextBlock),
    h('div', { class: 'field' },
      h('label', { for: 'idempotency-key', text: 'Idempotency-Key' }),
      keyInput,
      h('p', { id: 'idempotency-key-hint', class: 'hint', text: 'A fresh UUID for each invocation: submitting twice with the same key (a double click) runs the action once. A new one is filled in after each run.' })),
    general,
    h('div', { class: 'row' }, submit, validity));

  const resultPanel = h('section', { class: 'panel result', 'aria-labelledby': 'result-title' },
    h('h2', { id: 'result-title', text: 'Result' }),
    h('p', { class: 'muted', text: 'Invoke the action to see its result here.' }));

  const mode = typeof definition.mode === 'string' ? definition.mode : null;
  showView(
    h('p', {}, h('a', { href: '#/actions', text: '← Actions' })),
    heading(typeof definition.name === 'string' ? definition.name : actionId),
    h('p', { class: 'muted' }, h('code', { text: definition.id }), mode ? ` · ${mode}` : ''),
    typeof definition.description === 'string' ? h('p', { class: 'lead', text: definition.description }) : null,
    h('div', { class: 'columns wide-right' },
      h('div', { class: 'stack' },
        h('section', { class: 'panel', 'aria-labelledby': 'contract-title' },
          h('h2', { id: 'contract-title', text: 'Definition' }),
          parameterTable('Inputs', definition.inputs ?? [], true),
          parameterTable('Outputs', definition.outputs ?? [], false)),
        h('section', { class: 'panel', 'aria-labelledby': 'invoke-title' },
          h('h2', { id: 'invoke-title', text: 'Invoke' }),
          form.fields.length ? null : h('p', { class: 'muted', text: 'This action takes no inputs.' }),
          formNode)),
      resultPanel));

  // Validation as the user types, by the Worker; stale answers are dropped.
  let timer;
  let generation = 0;
  let validating = new AbortController();
  let gone = false;
  function values() {
    const out = {};
    for (const [name, control] of controls) out[name] = control.type === 'checkbox' ? control.checked : control.value;
    return out;
  }
  function mark(control, node, messages) {
    node.textContent = messages.join(' ');
    node.hidden = messages.length === 0;
    if (messages.length) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
  }
  function render(byField, generalMessages, contextIssue) {
    for (const [name, node] of issueNodes) mark(controls.get(name), node, byField[name] ?? []);
    mark(contextControl, contextIssueNode, contextIssue ? [contextIssue] : []);
    clear(general);
    general.hidden = generalMessages.length === 0;
    append(general, generalMessages.map((m) => h('p', { text: m })));
  }
  let lastSummary = '';
  function summarise(count) {
    const text = count === 0 ? 'Inputs are valid.' : `${count} input problem${count === 1 ? '' : 's'}.`;
    if (text !== lastSummary) validity.textContent = text;
    lastSummary = text;
  }
  async function validate() {
    const mine = ++generation;
    validating.abort();
    validating = new AbortController();
    const { inputs, issues: local, contextIssue } = readForm(form, values(), contextControl.value);
    let server = [];
    let failure = null;
    try {
      await client.validate(actionId, inputs, { signal: validating.signal });
    } catch (error) {
      if (error?.code === 'cancelled' || mine !== generation || gone) return;
      if (error?.code === 'validation') server = error.issues ?? [];
      else failure = error;
    }
    if (mine !== generation || gone) return;
    const placed = placeIssues(form, server, local);
    if (failure) placed.general.push(`Validation is unavailable: ${failure.message}`);
    render(placed.byField, placed.general, contextIssue);
    summarise(Object.values(placed.byField).flat().length + (failure ? 0 : placed.general.length) + (contextIssue ? 1 : 0));
  }
  formNode.addEventListener('input', (event) => {
    if (event.target === keyInput) return;
    clearTimeout(timer);
    timer = setTimeout(() => void validate(), VALIDATE_DELAY_MS);
  });
  formNode.addEventListener('change', (event) => {
    if (event.target instanceof HTMLSelectElement || event.target?.type === 'checkbox') {
      clearTimeout(timer);
      timer = setTimeout(() => void validate(), 0);
    }
  });

  // Invoke: one run at a time; the key is renewed only when the run is over, so a second submit
  // that slips through carries the same key and is answered with the first invocation.
  let running = null;
  formNode.addEventListener('submit', (event) => {
    event.preventDefault();
    if (running) return;
    clearTimeout(timer);
    const { inputs, context, issues, contextIssue } = readForm(form, values(), contextControl.value);
    if (Object.keys(issues).length || contextIssue) {
      const placed = placeIssues(form, [], issues);
      render(placed.byField, placed.general, contextIssue);
      summarise(Object.keys(issues).length + (contextIssue ? 1 : 0));
      const first = form.fields.find((f) => issues[f.name]);
      if (first) {
        controls.get(first.name)?.focus();
      } else {
        formNode.querySelector('details.extra').open = true;
        contextControl.focus();
      }
      return;
    }
    const key = keyInput.value.trim() || uuid();
    running = invoke(actionId, definition, inputs, context, key, resultPanel, submit);
    running.finally(() => {
      running = null;
      if (!gone) keyInput.value = uuid();
    });
  });

  leaveView = () => {
    gone = true;
    clearTimeout(timer);
    validating.abort();
    resultPanel.dispatchEvent(new Event('leave'));
  };
}

function outputsTable(outputs, definition) {
  const declared = (definition?.outputs ?? []).map((o) => o.name);
  const names = [...declared.filter((n) => n in outputs), ...Object.keys(outputs).filter((n) => !declared.includes(n))];
  if (!names.length) return h('p', { class: 'muted', text: 'No outputs.' });
  const typeOf = (name) => definition?.outputs?.find((o) => o.name === name)?.type ?? '';
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Outputs as a table' }, h('table', { class: 'outputs' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Name' }), h('th', { scope: 'col', text: 'Type' }), h('th', { scope: 'col', text: 'Value' }))),
    h('tbody', {}, names.map((name) => h('tr', {}, h('td', {}, h('code', { text: name })), h('td', { text: typeOf(name) }), h('td', { class: 'value', text: show(outputs[name]) }))))));
}

const COMPLETED_BY = { invoke: 'the invoke answer', poll: 'a status poll', callback: 'the upstream\'s callback', deadline: 'the deadline' };

/** A record (or an invoke result) as facts, outputs (table and JSON), audit and error. */
function recordDetails(record, definition) {
  const facts = [
    ['Status', h('span', { class: `badge status-${record.status}`, text: record.status })],
    ['Invocation id', record.invocationId ? h('code', { text: record.invocationId }) : null],
    ['Upstream invoke id', record.invokeId ? h('code', { text: record.invokeId }) : null],
    ['Upstream status', record.upstreamStatus],
    ['Ended by', record.completedBy ? `${COMPLETED_BY[record.completedBy] ?? record.completedBy} (${record.completedBy})` : null],
    ['Latency', Number.isFinite(record.latencyMs) ? duration(record.latencyMs) : null],
    ['Status polls', record.pollCount ?? record.polls],
    ['Created', record.createdAt ? time(record.createdAt) : null],
    ['Completed', record.completedAt ? time(record.completedAt) : null],
  ].filter(([, v]) => v !== null && v !== undefined && v !== '');
  const out = [h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]))];
  if (record.outputs && record.status === 'completed') {
    out.push(h('h3', { text: 'Outputs' }), outputsTable(record.outputs, definition),
      h('h4', { text: 'Outputs as JSON' }), h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Outputs as JSON', text: JSON.stringify(record.outputs, null, 2) }));
  }
  if (record.error) out.push(errorBox(record.error, `The invocation ended ${record.status}`));
  if (record.audit) {
    const a = record.audit;
    out.push(h('h3', { text: 'Audit record' }), h('dl', { class: 'facts audit' },
      [['Event', a.event], ['Timestamp', a.timestamp], ['Status', a.status], ['Latency', duration(a.latencyMs)], ['Invoke id', a.invokeId ?? '—']]
        .map(([k, v]) => [h('dt', { text: k }), h('dd', { text: String(v ?? '') })]),
      h('dt', { text: 'Payload hash (SHA-256)' }), h('dd', {}, h('code', { class: 'hash', text: a.payloadHash }))));
  }
  return out;
}

async function invoke(actionId, definition, inputs, context, key, panel, submit) {
  submit.disabled = true;
  submit.textContent = 'Invoking…';
  const started = performance.now();
  const controller = new AbortController();
  const live = h('p', { class: 'live-status', role: 'status', 'aria-live': 'polite' });
  const elapsed = h('span', { class: 'elapsed', 'aria-hidden': 'true' });
  const timeline = h('ol', { class: 'timeline', 'aria-label': 'Status changes' });
  const stop = h('button', { type: 'button', class: 'quiet', text: 'Stop watching', on: { click: () => controller.abort() } });
  const details = h('div', { class: 'details' });
  clear(panel);
  append(panel, [h('h2', { id: 'result-title', text: 'Result' }), h('div', { class: 'status-line' }, live, ' ', elapsed), timeline, h('p', { class: 'muted key-used' }, 'Idempotency-Key ', h('code', { text: key })), stop, details]);
  const onLeave = () => controller.abort();
  panel.addEventListener('leave', onLeave, { once: true });
  const tick = () => { elapsed.textContent = duration(performance.now() - started); };
  const ticker = setInterval(tick, 100);
  tick();
  let invocationId = null;
  let lastStatus = null;
  const note = (status) => {
    const at = duration(performance.now() - started);
    timeline.append(h('li', {}, h('span', { class: `badge status-${status}`, text: status }), ` after ${at}`));
    live.textContent = TERMINAL.has(status) ? `${status} after ${at}` : `${status}…`;
    lastStatus = status;
  };
  note('sending');
  let result = null;
  let failure = null;
  try {
    result = await client.invoke(actionId, inputs, {
      ...(context ? { context } : {}),
      idempotencyKey: key,
      firstWaitS: 0,
      signal: controller.signal,
      onStatus: (event) => {
        if (event.invocationId && !invocationId) invocationId = event.invocationId;
        if (event.status !== lastStatus) note(event.status);
      },
    });
  } catch (error) {
    failure = error;
  } finally {
    clearInterval(ticker);
    elapsed.remove();
    stop.remove();
    submit.disabled = false;
    submit.textContent = 'Invoke';
  }
  let record = null;
  if (invocationId && failure?.code !== 'cancelled') {
    record = await client.getInvocation(actionId, invocationId).catch(() => null);
  }
  if (failure?.code === 'cancelled') {
    live.textContent = 'Stopped watching: the invocation goes on in the Worker (see History).';
    if (invocationId) details.append(h('p', {}, h('a', { href: `#/invocations/${invocationId}?action=${encodeURIComponent(actionId)}`, text: 'Open its record' })));
    return;
  }
  if (record) {
    if (record.status !== lastStatus) note(record.status);
    append(details, recordDetails(record, definition));
    if (failure && !record.error) details.append(errorBox(failure));
  } else if (result) {
    if (result.status !== lastStatus) note(result.status);
    append(details, recordDetails(result, definition));
  } else if (failure) {
    if (handleSignedOut(failure)) return;
    live.textContent = `failed: ${failure.code}`;
    details.append(errorBox(failure, 'The invocation was not made'));
  }
  announce(live.textContent);
}

// ---------------------------------------------------------------------------------------------
// History

const STATUSES = ['pending', 'completed', 'failed', 'cancelled', 'timed_out'];

function historyView() {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const actionFilter = h('input', { id: 'history-action', name: 'actionId', autocomplete: 'off', spellcheck: 'false', list: 'history-actions', value: params.get('actionId') ?? '' });
  const statusFilter = h('select', { id: 'history-status', name: 'status' }, h('option', { value: '', text: 'Any status' }), STATUSES.map((s) => h('option', { value: s, text: s })));
  statusFilter.value = params.get('status') ?? '';
  const filters = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Filter the history', on: { submit: (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if (actionFilter.value.trim()) query.set('actionId', actionFilter.value.trim());
    if (statusFilter.value) query.set('status', statusFilter.value);
    location.hash = `#/history${query.size ? `?${query}` : ''}`;
  } } },
  h('div', { class: 'field' }, h('label', { for: 'history-action', text: 'Action' }), actionFilter),
  h('div', { class: 'field' }, h('label', { for: 'history-status', text: 'Status' }), statusFilter),
  h('button', { type: 'submit', text: 'Filter' }),
  h('datalist', { id: 'history-actions' }, store.recentActions().map((id) => h('option', { value: id }))));

  const note = h('p', { class: 'muted', role: 'status', text: 'Loading the history…' });
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'quiet', hidden: true, text: 'Load more' });
  const table = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Table of the invocations' }, h('table', { class: 'history' },
    h('thead', {}, h('tr', {}, ['Status', 'Action', 'Created', 'Ended', 'Ended by', 'Record'].map((t) => h('th', { scope: 'col', text: t })))),
    body));
  showView(heading('History'), filters, h('section', { class: 'panel', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title', class: 'visually-hidden', text: 'Invocations, newest first' }), note, table, more));

  const wanted = { actionId: params.get('actionId') || undefined, status: params.get('status') || undefined };
  const rows = new Map();
  let cursor = null;
  let gone = false;
  let refresh;

  function row(record) {
    const link = `#/invocations/${record.invocationId}?action=${encodeURIComponent(record.actionId)}`;
    return h('tr', { 'data-invocation': record.invocationId, 'data-action': record.actionId },
      h('td', {}, h('span', { class: `badge status-${record.status}`, text: record.status })),
      h('td', {}, h('code', { text: record.actionId })),
      h('td', {}, record.createdAt ? time(record.createdAt) : ''),
      h('td', {}, record.completedAt ? time(record.completedAt) : ''),
      h('td', { text: record.completedBy ?? '' }),
      h('td', {}, h('a', { href: link, 'aria-label': `Open ${record.actionId} ${record.invocationId}`, text: 'Open' })));
  }
  function put(record) {
    const next = row(record);
    const old = rows.get(record.invocationId);
    if (old) {
      if (old.dataset.status !== record.status) announce(`${record.actionId} is now ${record.status}.`);
      old.replaceWith(next);
    } else {
      body.append(next);
    }
    next.dataset.status = record.status;
    rows.set(record.invocationId, next);
  }
  async function load() {
    more.disabled = true;
    try {
      const page = await client.listInvocations({ limit: 25, ...(cursor ? { cursor } : {}), ...(wanted.actionId ? { actionId: wanted.actionId } : {}), ...(wanted.status ? { status: wanted.status } : {}) });
      if (gone) return undefined;
      for (const record of page.invocations) put(record);
      cursor = page.cursor;
      more.hidden = !cursor;
      note.textContent = rows.size ? `${rows.size} invocation${rows.size === 1 ? '' : 's'}, newest first.` : 'No invocations match.';
    } catch (error) {
      if (gone || handleSignedOut(error)) return undefined;
      note.replaceWith(errorBox(error, 'The history could not be read'));
    } finally {
      more.disabled = false;
    }
    return undefined;
  }
  /** Pending rows are read again until they end. */
  async function refreshPending() {
    const pending = [...rows.values()].filter((r) => r.dataset.status === 'pending');
    for (const tr of pending) {
      const id = tr.dataset.invocation;
      const actionId = tr.dataset.action ?? '';
      const record = await client.getInvocation(actionId, id).catch(() => null);
      if (gone) return;
      if (record) put(record);
    }
    if (!gone) refresh = setTimeout(() => void refreshPending(), HISTORY_REFRESH_MS);
  }
  more.addEventListener('click', () => void load());
  leaveView = () => { gone = true; clearTimeout(refresh); };
  void load().then(() => { if (!gone) refresh = setTimeout(() => void refreshPending(), HISTORY_REFRESH_MS); });
}

async function recordView(invocationId, actionId) {
  const back = h('p', {}, h('a', { href: '#/history', text: '← History' }));
  showView(back, heading('Invocation'), h('p', { class: 'muted', role: 'status', text: 'Loading the record…' }));
  let gone = false;
  let timer;
  leaveView = () => { gone = true; clearTimeout(timer); };
  const definition = await client.getAction(actionId).catch(() => null);
  const panel = h('section', { class: 'panel', 'aria-labelledby': 'record-title' }, h('h2', { id: 'record-title', class: 'visually-hidden', text: 'Record' }));
  let shown = false;
  async function read() {
    try {
      const record = await client.getInvocation(actionId, invocationId);
      if (gone) return;
      const content = [h('h2', { id: 'record-title', class: 'visually-hidden', text: 'Record' }), recordDetails(record, definition)];
      clear(panel);
      append(panel, content);
      if (!shown) {
        showView(back, heading(`${actionId} · ${record.status}`), h('p', { class: 'muted' }, h('a', { href: `#/actions/${encodeURIComponent(actionId)}`, text: `Open ${actionId}` })), panel);
        shown = true;
        leaveView = () => { gone = true; clearTimeout(timer); };
      } else {
        main.querySelector('.view-title').textContent = `${actionId} · ${record.status}`;
        announce(`The invocation is now ${record.status}.`);
      }
      if (!TERMINAL.has(record.status)) timer = setTimeout(() => void read(), HISTORY_REFRESH_MS);
    } catch (error) {
      if (gone || handleSignedOut(error)) return;
      showView(back, heading('Invocation'), errorBox(error, 'The record could not be read'));
    }
  }
  await read();
}

// ---------------------------------------------------------------------------------------------
// Routing

function route() {
  if (!client) {
    signInView();
    return;
  }
  nav.hidden = false;
  signOutButton.hidden = false;
  const hash = location.hash.replace(/^#/, '');
  const [path, query = ''] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] === 'actions' && parts[1]) void actionView(parts[1]);
  else if (parts[0] === 'history') historyView();
  else if (parts[0] === 'invocations' && parts[1]) void recordView(parts[1], new URLSearchParams(query).get('action') ?? '');
  else actionsView();
}

signOutButton.addEventListener('click', signOut);
window.addEventListener('hashchange', route);
document.getElementById('boot')?.remove();
const saved = store.apiKey();
if (saved) client = clientFor(saved);
route();
