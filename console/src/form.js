// The form generated from an action's inputs, as data: one field per declared input (its control,
// hint and ids), then reading what the user typed into the inputs object sent to the Worker.
// Pure (no DOM), so it is unit tested in Node (console/test/form.test.mjs); render.js draws it.
//
// Values are sent as typed where the Worker can convert them losslessly (its core coerces "42" to
// 42 for an integer, "yes" to true for a boolean): the console never re-implements that rule, and
// a number the user typed never loses digits to a JavaScript double on the way.

/** How each declared type is entered. */
const CONTROLS = {
  string: { control: 'text', hint: 'Text. Numbers are accepted as text too.' },
  number: {
    control: 'number',
    inputmode: 'decimal',
    hint: 'A number, e.g. 4.5 or -2e3. Sent as typed; the Worker converts it without losing digits.',
  },
  integer: {
    control: 'number',
    inputmode: 'numeric',
    hint: 'A whole number, e.g. 42. Sent as typed; "4.5" or "abc" is refused.',
  },
  boolean: { control: 'boolean', hint: 'true or false.' },
  array: { control: 'json', hint: 'A JSON array, e.g. ["a", "b"].', placeholder: '[]' },
  object: { control: 'json', hint: 'A JSON object, e.g. {"key": "value"}.', placeholder: '{}' },
};

/** Unknown types are passed unchecked by the Worker. */
const UNKNOWN = {
  control: 'json',
  hint: 'Type not known to this console: a JSON value, or text (sent as a string when it is not JSON).',
  placeholder: '',
  lenient: true,
};

/**
 * The form of a definition: `{fields, context}`. Each field is
 * `{name, type, required, control, inputmode?, hint, placeholder?, id, hintId, issueId}` where
 * `control` is `text`, `number`, `json`, `checkbox` (a required boolean: unchecked is false) or
 * `tristate` (an optional boolean: not set, true or false).
 * @param {{inputs?: Array<{name: string, type: string, required?: boolean}>}} definition
 */
export function buildForm(definition) {
  const inputs = Array.isArray(definition?.inputs) ? definition.inputs : [];
  const fields = inputs.map((input, index) => {
    const type = typeof input.type === 'string' ? input.type : 'unknown';
    const required = input.required === true;
    const spec = CONTROLS[type] ?? UNKNOWN;
    let control = spec.control;
    let hint = spec.hint;
    if (control === 'boolean') {
      control = required ? 'checkbox' : 'tristate';
      hint = required ? 'Checked is true, unchecked is false.' : 'Not set (left out), true or false.';
    }
    const id = `field-${index}`;
    return {
      name: String(input.name),
      type,
      required,
      control,
      ...(spec.inputmode ? { inputmode: spec.inputmode } : {}),
      ...(spec.placeholder !== undefined ? { placeholder: spec.placeholder } : {}),
      ...(spec.lenient ? { lenient: true } : {}),
      hint: required ? `Required. ${hint}` : `Optional. ${hint}`,
      id,
      hintId: `${id}-hint`,
      issueId: `${id}-issue`,
    };
  });
  const context = {
    name: 'context',
    control: 'json',
    hint: 'Optional. Execution context attributes: a JSON object, sent as `context`.',
    placeholder: '{}',
    id: 'field-context',
    hintId: 'field-context-hint',
    issueId: 'field-context-issue',
  };
  return { fields, context };
}

/** The value a field starts with: unchecked for a checkbox, not set or empty otherwise. */
export function initialValue(field) {
  return field.control === 'checkbox' ? false : '';
}

function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * One field's value: `{omit: true}` when nothing is given, `{value}`, or `{issue}` when the text
 * cannot be sent (malformed JSON, or JSON of the wrong kind).
 * @param {ReturnType<typeof buildForm>['fields'][number]} field
 * @param {string | boolean} raw  what the control holds (a checkbox's `checked`, otherwise its text)
 */
export function readField(field, raw) {
  switch (field.control) {
    case 'checkbox':
      return { value: raw === true };
    case 'tristate':
      if (raw === 'true') return { value: true };
      if (raw === 'false') return { value: false };
      return { omit: true };
    case 'number': {
      const text = String(raw ?? '').trim();
      return text === '' ? { omit: true } : { value: text };
    }
    case 'json': {
      const text = String(raw ?? '').trim();
      if (text === '') return { omit: true };
      const parsed = parseJson(text);
      if (!parsed.ok) return field.lenient ? { value: text } : { issue: parsed.message };
      if (field.type === 'array' && !Array.isArray(parsed.value)) return { issue: 'must be a JSON array ([...])' };
      if (field.type === 'object' && (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value))) {
        return { issue: 'must be a JSON object ({...})' };
      }
      return { value: parsed.value };
    }
    default: {
      const text = String(raw ?? '');
      return text === '' ? { omit: true } : { value: text };
    }
  }
}

/**
 * Reads the whole form. `values` maps field names to what the controls hold; `contextText` is the
 * context field's text. Returns `{inputs, context, issues, contextIssue}`: the inputs object to
 * send, the context object (or undefined), the local issues by field name (fields with an issue
 * are left out of `inputs`), and the context's own issue (or undefined).
 */
export function readForm(form, values, contextText = '') {
  const inputs = {};
  const issues = {};
  for (const field of form.fields) {
    const read = readField(field, values[field.name] ?? initialValue(field));
    if (read.issue) issues[field.name] = read.issue;
    else if (!read.omit) inputs[field.name] = read.value;
  }
  let context;
  let contextIssue;
  const text = String(contextText ?? '').trim();
  if (text !== '') {
    const parsed = parseJson(text);
    if (!parsed.ok) contextIssue = parsed.message;
    else if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) contextIssue = 'must be a JSON object ({...})';
    else context = parsed.value;
  }
  return { inputs, context, issues, contextIssue };
}

/**
 * The Worker's validation issues placed beside their fields: `{byField: {name: [message]},
 * general: [message]}`. Issues about a field with a local issue are dropped (the local one says
 * more: a field left out because its JSON is malformed is not "missing").
 */
export function placeIssues(form, serverIssues, localIssues = {}) {
  const names = new Set(form.fields.map((f) => f.name));
  const byField = {};
  const general = [];
  for (const [name, message] of Object.entries(localIssues)) (byField[name] ??= []).push(message);
  for (const issue of serverIssues ?? []) {
    const name = issue?.parameter;
    if (name && localIssues[name]) continue;
    if (name && names.has(name)) (byField[name] ??= []).push(issue.message);
    else general.push(issue?.message ?? String(issue));
  }
  return { byField, general };
}
