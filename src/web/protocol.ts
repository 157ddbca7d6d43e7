// What the page and `mnistlab serve` say to each other: the training
// requests the page may send, with their limits, and the events of a run
// the server streams back. Shared by the server, its training worker and
// the page, so that all three agree; it imports nothing of Node.

import {
  NETWORK_PRESETS,
  OPTIMIZERS,
  type OptimizerName,
} from '../train/networks.js';

export const MODEL_CHOICES = ['softmax', 'mlp', 'cnn'] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];

/** A run the page asks for. */
export interface TrainRequest {
  model: ModelChoice;
  learningRate: number;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
}

/** Inclusive bounds of each number a request may hold. */
export const TRAIN_LIMITS = {
  learningRate: { min: 1e-6, max: 10 },
  epochs: { min: 1, max: 50 },
  // Larger batches of the CNN would not fit its 1 GiB of working memory.
  batchSize: { min: 1, max: 512 },
} as const;

/** The page's starting settings for each model. */
export const TRAIN_DEFAULTS: Record<ModelChoice, TrainRequest> = {
  // The lab's model and settings, as a one-layer stack.
  softmax: {
    model: 'softmax',
    learningRate: 0.1,
    epochs: 15,
    batchSize: 100,
    optimizer: 'sgd',
  },
  mlp: pageRequest('mlp'),
  cnn: pageRequest('cnn'),
};

/** What the server trains first when it starts without a model: seconds. */
export const FIRST_MODEL: TrainRequest = { ...TRAIN_DEFAULTS.mlp, epochs: 1 };

function pageRequest(model: 'mlp' | 'cnn'): TrainRequest {
  const preset = NETWORK_PRESETS[model];
  return {
    model,
    learningRate: preset.learningRate,
    epochs: preset.epochs,
    batchSize: preset.batchSize,
    optimizer: 'adam',
  };
}

/**
 * A request from untrusted JSON, or a message saying what is wrong with
 * it: the server's check, which the page can run before it sends.
 */
export function checkTrainRequest(value: unknown): TrainRequest | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return (
      'expected a JSON object with model, learningRate, epochs, ' +
      'batchSize and optimizer'
    );
  }
  const fields = value as Record<string, unknown>;
  const known = ['model', 'learningRate', 'epochs', 'batchSize', 'optimizer'];
  const extra = Object.keys(fields).find((key) => !known.includes(key));
  if (extra !== undefined) return `unknown field ${shown(extra)}`;
  const { model, optimizer } = fields;
  if (!MODEL_CHOICES.includes(model as ModelChoice)) {
    return (
      `expected model ${MODEL_CHOICES.join(', ')} but found ` + shown(model)
    );
  }
  if (!OPTIMIZERS.includes(optimizer as OptimizerName)) {
    return (
      `expected optimizer ${OPTIMIZERS.join(', ')} but found ` +
      shown(optimizer)
    );
  }
  for (const [name, { min, max }] of Object.entries(TRAIN_LIMITS)) {
    const number = fields[name];
    const whole = name !== 'learningRate';
    const fits =
      typeof number === 'number' &&
      number >= min &&
      number <= max &&
      (!whole || Number.isInteger(number));
    if (!fits) {
      const kind = whole ? 'an integer' : 'a number';
      return (
        `expected ${name} to be ${kind} from ${min} to ${max} but ` +
        `found ${shown(number)}`
      );
    }
  }
  return fields as unknown as TrainRequest;
}

/** A value in a message: numbers as numbers (Infinity too), long text cut. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** The model the page predicts with now; `version` changes with it. */
export interface ModelSummary {
  version: number;
  /** softmax, mlp, cnn, or the --layers spec of a loaded model. */
  name: string;
  testAccuracy: number | null;
}

/** One event of a run, as streamed to every page watching. */
export type RunEvent =
  | {
      type: 'start';
      run: number;
      request: TrainRequest;
      stepsPerEpoch: number;
    }
  | {
      type: 'progress';
      run: number;
      /** Epochs done, with the fraction of the current one. */
      epoch: number;
      /** Mean loss of the steps since the last progress event. */
      loss: number;
      examplesPerSecond: number;
    }
  | {
      type: 'epoch';
      run: number;
      epoch: number;
      loss: number;
      validationAccuracy: number | null;
    }
  | {
      type: 'done';
      run: number;
      testAccuracy: number;
      /** Whether a stop ended it early. */
      stopped: boolean;
      /**
       * Whether its model is now the one served: not when stopped before
       * its first epoch ended with a lower test accuracy than the model
       * that was there.
       */
      kept: boolean;
      seconds: number;
    }
  | { type: 'failed'; run: number; message: string };

/** What a page that has just connected needs to catch up. */
export interface Snapshot {
  training: boolean;
  /** The latest run's events so far, oldest first. */
  events: RunEvent[];
  model: ModelSummary | null;
}

/** A test digit the model misreads; pixels are 784 bytes in base64. */
export interface Mistake {
  index: number;
  label: number;
  prediction: number;
  pixels: string;
}

/** GET /api/mistakes: the page asked for, and how many match in all. */
export interface MistakePage {
  total: number;
  mistakes: Mistake[];
  /** True while the server is still finding the model's misreads. */
  pending: boolean;
  /** Why they could not be found, if so. */
  error?: string;
}
