// What the console keeps in the browser: the API key in sessionStorage only (this tab, gone when
// it closes; never localStorage, a cookie or the URL), and in localStorage only what is not
// secret: the action ids opened recently.

const KEY = 'cxda.apiKey';
const RECENT = 'cxda.recentActions';
const RECENT_MAX = 8;

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
