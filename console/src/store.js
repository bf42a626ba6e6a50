// What the console keeps in the browser: the API key in sessionStorage only (this tab, gone when
// it closes; never localStorage, a cookie or the URL), and in localStorage only what is not
// secret: the action ids opened recently and the invocations this browser started.

const KEY = 'cxda.apiKey';
const RECENT = 'cxda.recentActions';
const STARTED = 'cxda.startedInvocations';
const RECENT_MAX = 8;
const STARTED_MAX = 50;

function read(storage, key, fallback) {
  try {
    const text = storage.getItem(key);
    return text === null ? fallback : JSON.parse(text);
  } catch {
    return fallback;
  }
}

function write(storage, key, value) {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the console works without it.
  }
}

/** The API key of this tab, or null. */
export function apiKey() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setApiKey(key) {
  try {
    sessionStorage.setItem(KEY, key);
  } catch {
    // Without sessionStorage the key lives in memory only, until the page is left.
  }
}

export function clearApiKey() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

/** Action ids opened recently, newest first. */
export function recentActions() {
  const list = read(localStorage, RECENT, []);
  return Array.isArray(list) ? list.filter((id) => typeof id === 'string') : [];
}

export function rememberAction(id) {
  write(localStorage, RECENT, [id, ...recentActions().filter((other) => other !== id)].slice(0, RECENT_MAX));
}

/** Invocations this browser started, newest first: `[{invocationId, actionId, at}]`. */
export function startedInvocations() {
  const list = read(localStorage, STARTED, []);
  return Array.isArray(list) ? list.filter((e) => e && typeof e.invocationId === 'string' && typeof e.actionId === 'string') : [];
}

export function rememberInvocation(invocationId, actionId) {
  if (startedInvocations().some((e) => e.invocationId === invocationId)) return;
  write(localStorage, STARTED, [{ invocationId, actionId, at: new Date().toISOString() }, ...startedInvocations()].slice(0, STARTED_MAX));
}
