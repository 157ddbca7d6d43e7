// The page in a real browser (Debian's Chromium, driven by playwright-core)
// against `mnistlab serve` on the real digits: it trains its first model,
// reads digits drawn on the canvas with the mouse, trains again from the
// form while its chart grows, lists misreads by class, and fits a phone.
// Any error in the browser's console fails the test.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { chromium, type Browser, type Page } from 'playwright-core';

import { penStrokes } from '../data/drawn-digits.js';
import { defaultDataDir } from '../data/files.js';
import { startServer, type Server } from './server.js';

const CHROMIUM = process.env.MNISTLAB_CHROMIUM ?? '/usr/bin/chromium';
// CI sets this, so that a missing browser fails rather than skips.
const REQUIRED = process.env.MNISTLAB_REQUIRE_BROWSER === '1';
const missing = !fs.existsSync(CHROMIUM);
if (missing && REQUIRED) {
  throw new Error(
    `expected Chromium at ${CHROMIUM} (apt-get install chromium, or set ` +
      'MNISTLAB_CHROMIUM)',
  );
}
const skip = missing
  ? `no Chromium at ${CHROMIUM}: apt-get install chromium to run these`
  : false;

/** Draws `digit` (hand 0) with the mouse, strokes scaled into the canvas. */
async function drawDigit(page: Page, digit: number): Promise<void> {
  const box = (await page.getByTestId('canvas').boundingBox())!;
  const at = ([x, y]: number[]) => [
    box.x + box.width * (0.15 + (0.7 * x) / 100),
    box.y + box.height * (0.15 + (0.7 * y) / 100),
  ];
  for (const stroke of penStrokes(digit, 0)) {
    const [x0, y0] = at(stroke[0]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (const point of stroke.slice(1)) {
      const [x, y] = at(point);
      await page.mouse.move(x, y, { steps: 2 });
    }
    await page.mouse.up();
  }
}

/** The digit the page shows once it has read the latest strokes. */
async function reading(page: Page): Promise<string> {
  // One frame for the pad to report, one for the page to draw.
  await page.evaluate(
    'new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))',
  );
  return (await page.getByTestId('prediction').textContent()) ?? '';
}

describe('the web page', { skip }, () => {
  let server: Server;
  let browser: Browser;
  const errors: string[] = [];

  async function open(options = {}): Promise<Page> {
    const page = await browser.newPage(options);
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) {
        errors.push(`${response.status()} from ${response.url()}`);
      }
    });
    await page.goto(server.url);
    return page;
  }

  before(async () => {
    server = await startServer({ dataDir: defaultDataDir(), port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox'],
    });
  });
  let closed = false;
  after(async () => {
    await browser?.close();
    if (!closed) await server?.close();
  });

  it('reads digits drawn with the mouse once its first model is trained', async () => {
    const page = await open();
    await page
      .getByTestId('model')
      .filter({ hasText: 'Reading with model 1: mlp' })
      .waitFor({ timeout: 60_000 });
    assert.match(
      (await page.locator('#engine-line').textContent())!,
      /WebAssembly SIMD kernels/,
    );
    const read: string[] = [];
    for (let digit = 0; digit < 10; digit++) {
      await page.getByTestId('clear').click();
      assert.equal(await reading(page), '');
      await drawDigit(page, digit);
      read.push(await reading(page));
    }
    const right = read.filter((found, digit) => found === String(digit));
    assert.ok(right.length >= 9, `read 0 to 9 as ${read.join(' ')}`);
    for (const digit of [0, 3, 7]) assert.equal(read[digit], String(digit));

    // Escape (and C) clears from the keyboard.
    await page.keyboard.press('Escape');
    assert.equal(await reading(page), '');
    await page.close();
  });

  it('trains from the form, its chart growing, and then reads with the new model', async (t) => {
    const page = await open();
    await page
      .getByTestId('model')
      .filter({ hasText: 'Reading with model' })
      .waitFor();
    await page.getByLabel('Model', { exact: true }).selectOption('softmax');
    await page.getByLabel('Epochs').fill('2');
    await page.getByLabel('Learning rate').fill('0.2');
    await page.getByLabel('Optimizer').selectOption('sgd');
    // The chart shows the first run until the new one starts.
    const chart = page.getByTestId('loss-chart');
    assert.ok(Number(await chart.getAttribute('data-points')) > 0);

    const clicked = Date.now();
    await page.getByTestId('train').click();
    // Runs in the page, where the DOM's types are not ours to name.
    await page.waitForFunction(() => {
      const find = (id: string) =>
        (globalThis as any).document.querySelector(`[data-testid="${id}"]`);
      const status: string = find('run-status').textContent;
      return (
        status.startsWith('Run 2 ') && find('loss-chart').dataset.points > 0
      );
    });
    t.diagnostic(`click to first chart point: ${Date.now() - clicked} ms`);
    assert.equal(await page.getByTestId('stop').isEnabled(), true);

    await page
      .getByTestId('run-status')
      .filter({ hasText: /done after/ })
      .waitFor({ timeout: 60_000 });
    const points = Number(await chart.getAttribute('data-points'));
    assert.ok(points > 5, `${points} chart points`);
    assert.equal(
      await page.getByTestId('accuracy-chart').getAttribute('data-points'),
      '2',
    );
    await page
      .getByTestId('model')
      .filter({ hasText: 'model 2: softmax' })
      .waitFor();

    await drawDigit(page, 1);
    assert.equal(await reading(page), '1');
    await page.close();
  });

  it('lists the misread test digits of one class', async () => {
    const page = await open();
    const grid = page.getByTestId('mistakes');
    await grid.locator('li').first().waitFor();
    await page.getByLabel('True digit').selectOption('3');
    await page
      .locator('#mistake-count')
      .filter({ hasText: /of a 3 misread/ })
      .waitFor();
    const captions = await grid.locator('li span').allTextContents();
    assert.ok(captions.length > 0);
    for (const caption of captions) assert.match(caption, /^3 → [0-24-9]$/);
    await page.close();
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const page = await open({
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await page
      .getByTestId('model')
      .filter({ hasText: 'Reading with model' })
      .waitFor();
    const widths = (await page.evaluate(`({
      page: document.documentElement.scrollWidth,
      screen: window.innerWidth,
      canvas: document.querySelector('[data-testid="canvas"]')
        .getBoundingClientRect().width,
    })`)) as { page: number; screen: number; canvas: number };
    assert.ok(widths.page <= widths.screen, JSON.stringify(widths));
    assert.ok(widths.canvas >= 250, JSON.stringify(widths));
    await page.close();
  });

  it('logged no error in the browser console', () => {
    assert.deepEqual(errors, []);
  });

  it('says so when the server goes away, and still reads drawings', async () => {
    const page = await open();
    await page
      .getByTestId('model')
      .filter({ hasText: 'Reading with model' })
      .waitFor();
    await server.close();
    closed = true;
    await page
      .locator('#connection')
      .filter({ hasText: /^Lost the server/ })
      .waitFor();
    await drawDigit(page, 7);
    assert.equal(await reading(page), '7');
    await page.close();
  });
});
