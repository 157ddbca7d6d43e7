// The --layers grammar: a comma-separated stack of layers in one string,
// e.g. conv:8:3,relu,maxpool:2,conv:16:3,relu,maxpool:2,flatten,dense:10.

import { UserError, USAGE_EXIT } from '../util/errors.js';
import type { Initializer } from './initializers.js';
import {
  Activation,
  BatchNorm,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  Pool2D,
  type Layer,
  type Padding,
} from './layers.js';

/** The grammar, one token form a line, as --help and the README show it. */
export const LAYER_GRAMMAR = [
  'dense:UNITS                          fully connected layer',
  'conv:FILTERS:KERNEL[:STRIDE[:PAD]]   2-D convolution, PAD same (default) or valid',
  'maxpool:SIZE[:STRIDE[:PAD]]          max pooling, PAD valid (default) or same',
  'avgpool:SIZE[:STRIDE[:PAD]]          average pooling',
  'relu | sigmoid | tanh | softmax      activations',
  'dropout[:RATE]                       dropout while training (RATE: --dropout)',
  'batchnorm                            batch normalisation of the last axis',
  'flatten                              images to vectors',
];

export interface SpecDefaults {
  /** Weight initialiser of dense and conv layers. */
  init: Initializer;
  /** Rate of a bare `dropout`. */
  dropout: number;
}

/**
 * Parses a --layers spec into layers. A bad token gets a UserError (usage)
 * naming the token, its position and the form expected.
 */
export function parseLayers(spec: string, defaults: SpecDefaults): Layer[] {
  const tokens = spec.split(',').map((token) => token.trim());
  return tokens.map((token, index) => {
    const fail = (expected: string): never => {
      throw new UserError(
        `--layers: expected ${expected} but found '${token}' ` +
          `(layer ${index + 1} of '${spec}')`,
        USAGE_EXIT,
      );
    };
    const [name, ...args] = token.split(':');
    const int = (text: string | undefined, what: string) => {
      if (text === undefined || !/^\d+$/.test(text) || Number(text) < 1) {
        return fail(`${what} as a positive integer`);
      }
      return Number(text);
    };
    const padding = (text: string | undefined, fallback: Padding) => {
      if (text === undefined) return fallback;
      if (text !== 'same' && text !== 'valid') {
        return fail(`padding 'same' or 'valid'`);
      }
      return text;
    };
    const arity = (max: number, form: string) => {
      if (args.length > max) fail(form);
    };

    switch (name) {
      case 'dense':
        arity(1, 'dense:UNITS');
        return new Dense(int(args[0], 'dense:UNITS'), defaults.init);
      case 'conv': {
        const form = 'conv:FILTERS:KERNEL[:STRIDE[:same|valid]]';
        arity(4, form);
        return new Conv2D(int(args[0], form), int(args[1], form), {
          strides: args[2] === undefined ? 1 : int(args[2], form),
          padding: padding(args[3], 'same'),
          init: defaults.init,
        });
      }
      case 'maxpool':
      case 'avgpool': {
        const form = `${name}:SIZE[:STRIDE[:same|valid]]`;
        arity(3, form);
        const size = int(args[0], form);
        return new Pool2D(name === 'maxpool' ? 'max' : 'avg', size, {
          strides: args[1] === undefined ? size : int(args[1], form),
          padding: padding(args[2], 'valid'),
        });
      }
      case 'dropout': {
        arity(1, 'dropout[:RATE]');
        if (args[0] === undefined) return new Dropout(defaults.dropout);
        const rate = Number(args[0]);
        if (!/^\d*\.?\d+$/.test(args[0]) || !(rate >= 0 && rate < 1)) {
          return fail('dropout:RATE with RATE in [0, 1)');
        }
        return new Dropout(rate);
      }
      case 'relu':
      case 'sigmoid':
      case 'tanh':
      case 'softmax':
        arity(0, name);
        return new Activation(name);
      case 'flatten':
        arity(0, 'flatten');
        return new Flatten();
      case 'batchnorm':
        arity(0, 'batchnorm');
        return new BatchNorm();
      default:
        return fail(
          'a layer (dense, conv, maxpool, avgpool, relu, sigmoid, tanh, ' +
            'softmax, dropout, batchnorm, flatten)',
        );
    }
  });
}
