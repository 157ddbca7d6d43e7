// The bench's results as text: a Markdown table, fixed decimals per
// column, then one line per note and one about the machine.

import { markdownTable } from 'markdown-table';

import type { BenchResult, BenchRow } from './bench.js';

const HEADER = [
  'config',
  'runner',
  'train s',
  'test acc',
  'ours/peer',
  'infer s',
  'peak RSS MB',
  'wall s',
];

function fixed(value: number | null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}

/** One row's cells, in HEADER's order. */
export function rowCells(row: BenchRow): string[] {
  return [
    row.config,
    row.runner,
    fixed(row.trainSeconds, 2),
    fixed(row.testAccuracy, 4),
    fixed(row.oursPerPeer, 2),
    fixed(row.inferSeconds, 2),
    fixed(row.peakRssMb, 0),
    fixed(row.wallSeconds, 2),
  ];
}

/** The table, the notes and the machine, as lines without a final newline. */
export function formatBench(result: BenchResult): string {
  const table = markdownTable([HEADER, ...result.rows.map(rowCells)], {
    align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
  });
  const notes = result.notes.map(({ runner, config, text }) => {
    const where = config === null ? runner : `${runner} ${config}`;
    return `- ${where}: ${text}`;
  });
  const { cpus, cpuModel, node, loadAverage } = result.machine;
  const lines = [
    table,
    '',
    'train s: the training loop alone; infer s: predicting the test set;',
    'wall s: the whole process, start-up and data loading included;',
    "ours/peer: our train s over the peer's.",
    ...(notes.length > 0 ? ['', 'Notes:', ...notes] : []),
    '',
    `Machine: ${cpus} CPUs (${cpuModel}), Node ${node}, load ` +
      `${loadAverage.toFixed(2)} at the start.`,
    `Limit: ${result.maxSeconds} s per run.`,
  ];
  return lines.join('\n');
}
