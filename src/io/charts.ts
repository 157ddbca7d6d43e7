// Charts as SVG, drawn by Vega-Lite (rendered headless by Vega) from data
// and a short spec, rather than by hand.

import type { TopLevelSpec } from 'vega-lite';

/** `spec` rendered to an SVG document. */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on first use: Vega takes a good part of a second to load, and
  // only the commands that draw need it.
  const [vega, { compile }] = await Promise.all([
    import('vega'),
    import('vega-lite'),
  ]);
  const view = new vega.View(vega.parse(compile(spec).spec), {
    renderer: 'none',
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One line of cost per epoch for each named series, cost on a log axis. */
export function costCurves(
  title: string,
  series: { name: string; costs: number[] }[],
): TopLevelSpec {
  const values = series.flatMap(({ name, costs }) =>
    costs.map((cost, i) => ({ series: name, epoch: i + 1, cost })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 480,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'epoch',
        type: 'quantitative',
        title: 'epoch',
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: {
        field: 'cost',
        type: 'quantitative',
        title: 'cost (mean batch loss)',
        scale: { type: 'log' },
      },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}
