import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { UserError } from '../util/errors.js';
import { glorotUniform } from './initializers.js';
import { parseLayers } from './spec.js';

const defaults = { init: glorotUniform, dropout: 0.3 };
const specs = (text: string) => parseLayers(text, defaults).map((l) => l.spec);

describe('parseLayers', () => {
  it("reads the issue's example stack", () => {
    assert.deepEqual(
      specs(
        'conv:8:3,relu,maxpool:2,conv:16:3,relu,maxpool:2,flatten,dense:10',
      ),
      [
        'conv:8:3:1:same',
        'relu',
        'maxpool:2:2:valid',
        'conv:16:3:1:same',
        'relu',
        'maxpool:2:2:valid',
        'flatten',
        'dense:10',
      ],
    );
  });

  it('reads strides, padding, rates and the other layers', () => {
    assert.deepEqual(
      specs(
        'conv:4:5:2:valid, avgpool:3:1:same,batchnorm,dropout,dropout:0.5,tanh,sigmoid,softmax',
      ),
      [
        'conv:4:5:2:valid',
        'avgpool:3:1:same',
        'batchnorm',
        'dropout:0.3',
        'dropout:0.5',
        'tanh',
        'sigmoid',
        'softmax',
      ],
    );
  });

  const bad: Array<[string, string]> = [
    [
      'dense:10,relu,pool:2',
      'a layer (dense, conv, maxpool, avgpool, relu, sigmoid, tanh, softmax, ' +
        "dropout, batchnorm, flatten) but found 'pool:2' (layer 3 of " +
        "'dense:10,relu,pool:2')",
    ],
    [
      'dense',
      "dense:UNITS as a positive integer but found 'dense' (layer 1 of 'dense')",
    ],
    [
      'dense:0',
      "dense:UNITS as a positive integer but found 'dense:0' (layer 1 of 'dense:0')",
    ],
    [
      'conv:8:x',
      'conv:FILTERS:KERNEL[:STRIDE[:same|valid]] as a positive integer but ' +
        "found 'conv:8:x' (layer 1 of 'conv:8:x')",
    ],
    [
      'conv:8:3:1:full',
      "padding 'same' or 'valid' but found 'conv:8:3:1:full' (layer 1 of 'conv:8:3:1:full')",
    ],
    ['relu:2', "relu but found 'relu:2' (layer 1 of 'relu:2')"],
    [
      'dropout:1.5',
      "dropout:RATE with RATE in [0, 1) but found 'dropout:1.5' (layer 1 of 'dropout:1.5')",
    ],
    [
      'dense:10,',
      'a layer (dense, conv, maxpool, avgpool, relu, sigmoid, tanh, softmax, ' +
        "dropout, batchnorm, flatten) but found '' (layer 2 of 'dense:10,')",
    ],
  ];
  for (const [spec, message] of bad) {
    it(`names the bad token in '${spec}'`, () => {
      assert.throws(
        () => parseLayers(spec, defaults),
        (error: unknown) => {
          assert.ok(error instanceof UserError);
          assert.equal(error.exitCode, 2);
          assert.equal(error.message, `--layers: expected ${message}`);
          return true;
        },
      );
    });
  }
});
