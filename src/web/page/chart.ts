// A live line chart of one series against epochs, drawn by uPlot. The
// element it fills carries data-points, the number of points drawn, for
// tests and for anyone scripting the page.

import uPlot from 'uplot';

const HEIGHT = 170;

export interface LiveChart {
  add(epoch: number, value: number): void;
  reset(): void;
}

export function liveChart(
  element: HTMLElement,
  label: string,
  options: { color: string; percent?: boolean; log?: boolean },
): LiveChart {
  const epochs: number[] = [];
  const values: number[] = [];
  const compact = new Intl.NumberFormat('en', {
    notation: 'compact',
    maximumSignificantDigits: 3,
  });
  // uPlot asks for every tick, null where a log scale skips one.
  const format = (value: number | null) =>
    value === null
      ? ''
      : options.percent
        ? `${(value * 100).toFixed(1)}%`
        : compact.format(value);
  const plot = new uPlot(
    {
      width: Math.max(200, element.clientWidth),
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false },
        // A share stays within 0 to 100%, whatever its points.
        y: options.log
          ? { distr: 3 }
          : options.percent
            ? { auto: false, range: [0, 1] }
            : { auto: true },
      },
      axes: [
        { label: 'epoch', size: 36 },
        { values: (_, ticks) => ticks.map(format), size: 64 },
      ],
      series: [
        {},
        {
          label,
          stroke: options.color,
          width: 2,
          points: { show: (self) => self.data[0].length < 30 },
        },
      ],
    },
    [[], []],
    element,
  );
  new ResizeObserver(() => {
    plot.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT });
  }).observe(element);
  const redraw = () => {
    plot.setData([epochs, values]);
    element.dataset.points = String(epochs.length);
  };
  return {
    add(epoch, value) {
      epochs.push(epoch);
      values.push(value);
      redraw();
    },
    reset() {
      epochs.length = 0;
      values.length = 0;
      redraw();
    },
  };
}
