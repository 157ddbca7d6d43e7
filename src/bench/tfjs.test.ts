import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { tfjsMissing } from './tfjs.js';

const missing = (absent: string[]) => (id: string) => {
  if (absent.includes(id)) throw new Error(`Cannot find module '${id}'`);
  return `/node_modules/${id}/index.js`;
};

describe('tfjsMissing', () => {
  it('finds the installed devDependencies', () => {
    assert.equal(tfjsMissing('cpu'), null);
    assert.equal(tfjsMissing('wasm'), null);
  });

  it('says what is missing when installed without devDependencies', () => {
    const none = missing(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']);
    assert.equal(
      tfjsMissing('wasm', none),
      'expected @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm ' +
        'installed but found them missing (devDependencies: npm install ' +
        'without --omit=dev)',
    );
    assert.equal(
      tfjsMissing('cpu', none),
      'expected @tensorflow/tfjs installed but found it missing ' +
        '(devDependencies: npm install without --omit=dev)',
    );
  });

  it('needs the wasm backend only for tfjs-wasm', () => {
    const noWasm = missing(['@tensorflow/tfjs-backend-wasm']);
    assert.equal(tfjsMissing('cpu', noWasm), null);
    assert.match(tfjsMissing('wasm', noWasm) ?? '', /found it missing/);
  });
});
