import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substituteTree, Variables } from '../../src/config/variables.js';
import { parseJsonText, lineColumn } from '../../src/util/json-file.js';
import { mapPythonString, fromEngine } from '../../src/config/python-strings.js';
import { getAtPath, parseJsonPath } from '../../src/config/json-path.js';
import { joinPath } from '../../src/util/errors.js';

test('{VAR}: whole string keeps the type, inside a string interpolates, variables may use variables, cycles are errors', () => {
  const v = new Variables().layer({ n: 3, b: false, s: 'x', arr: [1, 2], dir: '{s}/out', a: '{b2}', b2: '{a}' }, 'config', 'c.json');
  const out = substituteTree({ k: ['{n}', '{b}', 'n={n} b={b} a={arr}', '{dir}', 'no {vars here', '{ spaced }'] }, v, { file: 'c.json' });
  assert.deepEqual(out, { k: [3, false, 'n=3 b=false a=[1,2]', 'x/out', 'no {vars here', '{ spaced }'] });
  assert.throws(() => substituteTree({ k: '{a}' }, v, { file: 'c.json' }), /c\.json: k: variable cycle: a → b2 → a/);
  assert.deepEqual(substituteTree({ search: [{ x: '{zz}' }] }, v, { file: 'c.json', skipKeys: ['search'] }), { search: [{ x: '{zz}' }] });
});

test('bad JSON positions become line/column', () => {
  assert.deepEqual(lineColumn('ab\ncd\nef', 4), { line: 2, column: 2 });
  assert.throws(() => parseJsonText('{\n  "a": 1\n  "b": 2\n}', 'f.json'), /f\.json: invalid JSON at line 3, column 3/);
  assert.throws(() => parseJsonText('{"a": ', 'f.json'), /f\.json: invalid JSON at line 1, column 7/);
  assert.deepEqual(parseJsonText('\ufeff{"a": 1}', 'f.json'), { a: 1 });
});

test('Python-only strings: known meanings mapped, others refused', () => {
  assert.deepEqual(mapPythonString('#@model.parameters()'), { py: 'params', of: 'model' });
  assert.deepEqual(mapPythonString("#monai.handlers.from_engine(['pred', 'label'])"), { py: 'from_engine', keys: ['pred', 'label'], first: false });
  assert.deepEqual(mapPythonString('#monai.handlers.from_engine(["loss"], first=True)'), { py: 'from_engine', keys: ['loss'], first: true });
  assert.deepEqual(mapPythonString('lambda x: None'), { py: 'none' });
  assert.ok('error' in mapPythonString('#monai.transforms.Compose()'));
  assert.ok('error' in mapPythonString('lambda x: x["pred"]'));
  assert.deepEqual(fromEngine(['loss'], true)([{ loss: 1 }, { loss: 2 }]), [1]);
  assert.deepEqual(fromEngine(['pred', 'label'])({ pred: 'p', label: 'l' }), ['p', 'l']);
});

test('JSON paths round-trip through joinPath/parseJsonPath', () => {
  const p = joinPath(joinPath(joinPath(joinPath('', 'train'), 'loss'), 1), 'odd key');
  assert.equal(p, 'train.loss[1]["odd key"]');
  assert.deepEqual(parseJsonPath(p), ['train', 'loss', 1, 'odd key']);
  assert.equal(getAtPath({ train: { loss: [0, { 'odd key': 7 }] } }, p), 7);
  assert.equal(getAtPath({}, 'a.b[0]'), undefined);
});

test('claraNames: 3.x and 4.x names of one component, no name in two groups', async () => {
  const { claraNames, CLARA_NAME_GROUPS } = await import('../../src/config/clara-names.js');
  assert.deepEqual(claraNames('Dice'), ['DiceLoss', 'Dice']);
  assert.deepEqual(claraNames('ScaleByResolution'), ['Spacingd', 'ScaleByResolution']);
  assert.deepEqual(claraNames('UNet'), ['UNet']);
  const all = CLARA_NAME_GROUPS.flat();
  assert.equal(new Set(all).size, all.length);
});
