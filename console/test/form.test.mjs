// The console's form generation (console/src/form.js): a control per input type, required marks,
// coercion hints, reading typed values into inputs, and placing the Worker's issues by field.
//   node --test console/test/
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildForm, initialValue, placeIssues, readField, readForm } from '../src/form.js';

const definition = {
  id: 'every-type',
  inputs: [
    { name: 'subject', type: 'string', required: true },
    { name: 'severity', type: 'number', required: true },
    { name: 'priority', type: 'integer' },
    { name: 'urgent', type: 'boolean', required: true },
    { name: 'notify', type: 'boolean' },
    { name: 'tags', type: 'array' },
    { name: 'customer', type: 'object', required: true },
    { name: 'when', type: 'date' },
  ],
};

test('every input type gets its control, ids and a hint that says required or optional', () => {
  const { fields, context } = buildForm(definition);
  assert.deepEqual(
    fields.map((f) => [f.name, f.control, f.required, f.inputmode ?? null]),
    [
      ['subject', 'text', true, null],
      ['severity', 'number', true, 'decimal'],
      ['priority', 'number', false, 'numeric'],
      ['urgent', 'checkbox', true, null],
      ['notify', 'tristate', false, null],
      ['tags', 'json', false, null],
      ['customer', 'json', true, null],
      ['when', 'json', false, null],
    ],
  );
  for (const field of fields) {
    assert.match(field.hint, field.required ? /^Required\./ : /^Optional\./, field.name);
    assert.equal(field.hintId, `${field.id}-hint`);
    assert.equal(field.issueId, `${field.id}-issue`);
  }
  assert.equal(new Set(fields.map((f) => f.id)).size, fields.length, 'ids are unique');
  assert.deepEqual(fields.map((f) => f.id), fields.map((_, i) => `field-${i}`), 'ids do not depend on the names');
  assert.equal(context.control, 'json');
  assert.match(context.hint, /JSON object/);
});

test('the hints state the coercions the Worker makes', () => {
  const hint = (name) => buildForm(definition).fields.find((f) => f.name === name).hint;
  assert.match(hint('severity'), /4\.5/);
  assert.match(hint('severity'), /without losing digits/);
  assert.match(hint('priority'), /whole number/);
  assert.match(hint('priority'), /"4\.5".*refused/);
  assert.match(hint('subject'), /Numbers are accepted as text/);
  assert.match(hint('urgent'), /unchecked is false/);
  assert.match(hint('notify'), /Not set/);
  assert.match(hint('tags'), /JSON array/);
  assert.match(hint('customer'), /JSON object/);
  assert.match(hint('when'), /not known/);
});

test('a definition without inputs (or a malformed one) has an empty form', () => {
  assert.deepEqual(buildForm({ id: 'x' }).fields, []);
  assert.deepEqual(buildForm(null).fields, []);
  assert.deepEqual(buildForm({ inputs: 'nope' }).fields, []);
});

test('values are read as typed; empty fields are left out', () => {
  const form = buildForm(definition);
  const values = {
    subject: 'Printer on fire',
    severity: ' 4.5 ',
    priority: '9007199254740993',
    urgent: true,
    notify: 'false',
    tags: '["a", "b"]',
    customer: '{"id": 7}',
    when: '2026-12-01',
  };
  const { inputs, context, issues } = readForm(form, values, '{"channel": "web"}');
  assert.deepEqual(issues, {});
  assert.deepEqual(inputs, {
    subject: 'Printer on fire',
    severity: '4.5',
    priority: '9007199254740993',
    urgent: true,
    notify: false,
    tags: ['a', 'b'],
    customer: { id: 7 },
    when: '2026-12-01',
  });
  assert.deepEqual(context, { channel: 'web' });
  const empty = readForm(form, {});
  assert.deepEqual(empty.inputs, { urgent: false }, 'only the required checkbox has a value when nothing is typed');
  assert.equal(empty.context, undefined);
  assert.equal(initialValue(form.fields[3]), false);
  assert.equal(initialValue(form.fields[0]), '');
});

test('a tri-state boolean can be left out, true or false', () => {
  const notify = buildForm(definition).fields.find((f) => f.name === 'notify');
  assert.deepEqual(readField(notify, ''), { omit: true });
  assert.deepEqual(readField(notify, 'true'), { value: true });
  assert.deepEqual(readField(notify, 'false'), { value: false });
});

test('malformed JSON or JSON of the wrong kind is a local issue on that field', () => {
  const form = buildForm(definition);
  const { inputs, issues, contextIssue } = readForm(form, { subject: 's', tags: '{"a": 1}', customer: '{oops' }, '[1]');
  assert.match(issues.tags, /JSON array/);
  assert.match(issues.customer, /not valid JSON/);
  assert.match(contextIssue, /JSON object/);
  assert.deepEqual(Object.keys(issues).sort(), ['customer', 'tags']);
  const named = buildForm({ inputs: [{ name: 'context', type: 'string' }] });
  const both = readForm(named, { context: 'an input called context' }, '{"c": 1}');
  assert.deepEqual([both.inputs, both.context], [{ context: 'an input called context' }, { c: 1 }], 'an input may be called context');
  assert.ok(!('tags' in inputs) && !('customer' in inputs), 'fields with an issue are not sent');
  const when = form.fields.find((f) => f.name === 'when');
  assert.deepEqual(readField(when, 'not json'), { value: 'not json' }, 'an unknown type takes text');
  assert.deepEqual(readField(when, '{"a":1}'), { value: { a: 1 } });
});

test("the Worker's issues go beside their fields; a local issue wins; the rest is general", () => {
  const form = buildForm(definition);
  const placed = placeIssues(
    form,
    [
      { parameter: 'priority', kind: 'wrong_type', message: '`priority` must be an integer, got "4.5"' },
      { parameter: 'customer', kind: 'missing_required', message: '`customer` is required (object)' },
      { parameter: 'colour', kind: 'unknown_parameter', message: '`colour` is not a parameter' },
      { parameter: '', kind: 'wrong_type', message: 'inputs rejected' },
    ],
    { customer: 'not valid JSON: Unexpected token' },
  );
  assert.deepEqual(placed.byField, {
    priority: ['`priority` must be an integer, got "4.5"'],
    customer: ['not valid JSON: Unexpected token'],
  });
  assert.deepEqual(placed.general, ['`colour` is not a parameter', 'inputs rejected']);
});
