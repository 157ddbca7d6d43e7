// Finite-difference gradient checking for tests: compares each op's
// backward with central differences of its forward.

import { Random } from '../util/random.js';
import { randomNormal, variable } from './creation.js';
import { mul, sum } from './ops.js';
import type { Tensor } from './tensor.js';

export interface GradCheckResult {
  /** Largest |analytic - numeric| / max(1, |numeric|) over all inputs. */
  maxError: number;
  /** Where it happened: input index and element index. */
  worst: { input: number; element: number; analytic: number; numeric: number };
}

/**
 * Differentiates sum(f(inputs) * r) for a fixed random r both ways.
 * `inputs` are made into variables; `params`, variables f already uses
 * (a layer's weights), are checked too and come after the inputs in
 * `worst.input`. `eps` is the finite-difference step.
 */
export function gradCheck(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  {
    eps = 1e-2,
    seed = 1,
    params = [] as Tensor[],
  }: { eps?: number; seed?: number; params?: Tensor[] } = {},
): GradCheckResult {
  const vars = [...inputs.map((input) => variable(input)), ...params];
  const args = vars.slice(0, inputs.length);
  const probe = f(...args);
  const weights = randomNormal(probe.shape, new Random(seed));
  const loss = () => sum(mul(f(...args), weights));

  loss().backward();
  const analytic = vars.map((v) => v.grad ?? new Float32Array(v.size));

  const result: GradCheckResult = {
    maxError: 0,
    worst: { input: -1, element: -1, analytic: 0, numeric: 0 },
  };
  vars.forEach((v, input) => {
    for (let element = 0; element < v.size; element++) {
      const saved = v.data[element];
      v.data[element] = saved + eps;
      const up = loss().item();
      v.data[element] = saved - eps;
      const down = loss().item();
      v.data[element] = saved;
      // The step actually taken, after rounding to float32.
      const step = Math.fround(saved + eps) - Math.fround(saved - eps);
      const numeric = (up - down) / step;
      const error =
        Math.abs(analytic[input][element] - numeric) /
        Math.max(1, Math.abs(numeric));
      if (error > result.maxError) {
        result.maxError = error;
        result.worst = {
          input,
          element,
          analytic: analytic[input][element],
          numeric,
        };
      }
    }
  });
  return result;
}
