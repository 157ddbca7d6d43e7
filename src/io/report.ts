// mnistlab eval --report: pictures a person would rather look at than
// read. Charts are Vega-Lite specs rendered to SVG; digits and weight
// templates are PNG images from pngjs.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { PNG } from 'pngjs';
import type { TopLevelSpec } from 'vega-lite';

import type { DataSet } from '../data/dataset.js';
import { SoftmaxRegression } from '../nn/softmax-regression.js';
import type { ClassReport } from '../train/metrics.js';
import type { LoadedModel } from '../train/saved.js';
import { chartSvg } from './charts.js';
import { digitPng } from './png.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
// The worst misread digits shown, by the probability given their label.
const GALLERY = 24;

/** Writes the report's pictures into `dir`; returns their file names. */
export async function writeReport(
  dir: string,
  loaded: LoadedModel,
  report: ClassReport,
  test: DataSet,
): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, content: string | Uint8Array) => {
    fs.writeFileSync(path.join(dir, name), content);
    written.push(name);
  };
  const { history } = loaded.description;
  if (history.costs.length > 0) {
    write('curves.svg', await chartSvg(curves(history)));
  }
  write('confusion.svg', await chartSvg(heatMap(report.confusion)));
  write('mistakes.svg', await chartSvg(gallery(report, test)));
  if (loaded.model instanceof SoftmaxRegression) {
    write('templates.png', templates(loaded.model));
  }
  return written;
}

/** Cost and validation accuracy per epoch, side by side. */
function curves(history: LoadedModel['description']['history']): TopLevelSpec {
  const values = history.costs.map((cost, i) => ({
    epoch: i + 1,
    cost,
    validation: history.validationAccuracy[i] ?? null,
  }));
  const line = (field: string, title: string) => ({
    width: 320,
    height: 220,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: {
        field: 'epoch',
        type: 'quantitative' as const,
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: {
        field,
        type: 'quantitative' as const,
        title,
        scale: { zero: false },
      },
    },
  });
  return {
    $schema: SCHEMA,
    title: 'Learning curves',
    data: { values },
    hconcat: [
      line('cost', 'cost (mean batch loss)'),
      {
        ...line('validation', 'validation accuracy'),
        transform: [{ filter: 'datum.validation !== null' }],
      },
    ],
  };
}

function heatMap(confusion: number[][]): TopLevelSpec {
  const values = confusion.flatMap((row, label) =>
    row.map((count, predicted) => ({ label, predicted, count })),
  );
  const axis = (field: string, title: string) => ({
    field,
    type: 'ordinal' as const,
    title,
    axis: { labelAngle: 0 },
  });
  return {
    $schema: SCHEMA,
    title: 'Confusion matrix on the test set',
    width: 360,
    height: 360,
    data: { values },
    encoding: {
      x: axis('predicted', 'predicted digit'),
      y: axis('label', 'label'),
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'count',
            type: 'quantitative',
            scale: { type: 'symlog', scheme: 'blues' },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: {
            condition: { test: 'datum.count > 100', value: 'white' },
            value: 'black',
          },
        },
      },
    ],
  };
}

/** The misread test digits the model was surest of, with both digits. */
function gallery(report: ClassReport, test: DataSet): TopLevelSpec {
  const wrong: number[] = [];
  report.predicted.forEach((digit, i) => {
    if (digit !== test.labels[i]) wrong.push(i);
  });
  wrong.sort((a, b) => report.labelProbability[a] - report.labelProbability[b]);
  const side = Math.sqrt(test.imageSize);
  const columns = 8;
  const values = wrong.slice(0, GALLERY).map((index, i) => {
    const pixels = test.images.subarray(
      index * test.imageSize,
      (index + 1) * test.imageSize,
    );
    const png = Buffer.from(digitPng(pixels, side, side, 2)).toString('base64');
    return {
      column: i % columns,
      row: Math.floor(i / columns),
      url: `data:image/png;base64,${png}`,
      caption: `${test.labels[index]} read as ${report.predicted[index]}`,
    };
  });
  const position = {
    x: { field: 'column', type: 'ordinal' as const, axis: null },
    y: { field: 'row', type: 'ordinal' as const, axis: null },
  };
  return {
    $schema: SCHEMA,
    title:
      values.length === 0
        ? 'No test digit was misread'
        : 'Misread test digits, the surest mistakes first (label read as prediction)',
    data: { values },
    width: columns * 80,
    height: Math.max(1, Math.ceil(values.length / columns)) * 90,
    encoding: position,
    layer: [
      {
        mark: { type: 'image', width: 56, height: 56, baseline: 'middle' },
        encoding: { url: { field: 'url', type: 'nominal' } },
      },
      {
        // Under its digit: half the image's height and a little more.
        mark: { type: 'text', baseline: 'top', dy: 31, fontSize: 11 },
        encoding: { text: { field: 'caption', type: 'nominal' } },
      },
    ],
  };
}

/**
 * The softmax model's ten weight templates, W[:, digit] as 28x28 images
 * side by side: red where ink raises the digit's score, blue where it
 * lowers it.
 */
function templates(model: SoftmaxRegression): Uint8Array {
  const [inputs, classes] = model.weights.shape;
  const side = Math.round(Math.sqrt(inputs));
  const scale = 4;
  const gap = 4;
  const width = classes * (side * scale + gap) - gap;
  const height = side * scale;
  const png = new PNG({ width, height });
  png.data.fill(255);
  const w = model.weights.data;
  let most = 0;
  for (const value of w) most = Math.max(most, Math.abs(value));
  for (let c = 0; c < classes; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < side * scale; x++) {
        const pixel = Math.floor(y / scale) * side + Math.floor(x / scale);
        const value = w[pixel * classes + c] / (most || 1);
        const at = (y * width + c * (side * scale + gap) + x) * 4;
        const fade = Math.round(255 * (1 - Math.abs(value)));
        png.data[at] = value > 0 ? 255 : fade;
        png.data[at + 1] = fade;
        png.data[at + 2] = value < 0 ? 255 : fade;
        png.data[at + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png);
}
