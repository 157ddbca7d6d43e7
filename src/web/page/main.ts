// The page: draw a digit and see what the model reads, train a model on
// the server and watch it learn, and browse the test digits it misreads.
// A thin client of the engine (engine.ts) and of `mnistlab serve`.

import 'uplot/dist/uPlot.min.css';
import './style.css';

import {
  checkTrainRequest,
  TRAIN_DEFAULTS,
  TRAIN_LIMITS,
  type MistakePage,
  type ModelChoice,
  type ModelSummary,
  type RunEvent,
  type Snapshot,
} from '../protocol.js';
import { liveChart } from './chart.js';
import { drawingPad } from './draw.js';
import {
  fetchModel,
  readDigit,
  startEngine,
  type PageModel,
} from './engine.js';

const MISTAKES_PER_PAGE = 60;

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

// Draw and read.
let model: PageModel | null = null;
const modelLine = byId<HTMLParagraphElement>('model-line');
const prediction = byId<HTMLOutputElement>('prediction');
const confidence = byId<HTMLSpanElement>('confidence');
const input = byId<HTMLCanvasElement>('input');
const bars = byId<HTMLOListElement>('probs');
const barFills: HTMLElement[] = [];
const barTexts: HTMLElement[] = [];
for (let digit = 0; digit < 10; digit++) {
  const item = document.createElement('li');
  item.innerHTML =
    `<span class="digit">${digit}</span><span class="track">` +
    '<span class="fill"></span></span><span class="pct">0%</span>';
  bars.append(item);
  barFills.push(item.querySelector('.fill')!);
  barTexts.push(item.querySelector('.pct')!);
}

const pad = drawingPad(byId('canvas'), read);

function showInput(pixels: Uint8Array | null): void {
  const context = input.getContext('2d')!;
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    // Ink dark on white, as it was drawn.
    const shade = 255 - (pixels?.[i] ?? 0);
    image.data.set([shade, shade, shade, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
}

function read(): void {
  const reading = model === null ? null : readDigit(model.loaded, pad.image());
  showInput(reading?.pixels ?? null);
  const probs = reading?.probs ?? new Float32Array(10);
  let best = -1;
  probs.forEach((p, digit) => {
    barFills[digit].style.width = `${(p * 100).toFixed(1)}%`;
    barTexts[digit].textContent = `${Math.round(p * 100)}%`;
    if (reading !== null && (best < 0 || p > probs[best])) best = digit;
  });
  barFills.forEach((fill, digit) =>
    fill.classList.toggle('best', digit === best),
  );
  prediction.textContent = best < 0 ? '' : String(best);
  // A guess the model is unsure of is shown as one.
  const sure = best < 0 ? 0 : probs[best];
  confidence.textContent =
    best < 0
      ? ''
      : `${Math.round(sure * 100)}% sure${sure < 0.5 ? ': a guess' : ''}`;
}

byId('clear').addEventListener('click', () => pad.clear());
document.addEventListener('keydown', (event) => {
  const typing = (event.target as HTMLElement).closest(
    'input, select, textarea',
  );
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === 'c' || event.key === 'C' || event.key === 'Escape') {
    pad.clear();
  }
});

function describeModel(summary: ModelSummary): string {
  const accuracy =
    summary.testAccuracy === null
      ? ''
      : `, ${(summary.testAccuracy * 100).toFixed(2)}% on the test set`;
  return `Reading with model ${summary.version}: ${summary.name}${accuracy}`;
}

let loading = Promise.resolve();
function loadModel(): void {
  loading = loading.then(async () => {
    try {
      const next = await fetchModel();
      if (next === null) return;
      model = next;
      modelLine.textContent = describeModel(next.summary);
      read();
      showMistakes(true);
    } catch (error) {
      modelLine.textContent = `Could not load the model: ${(error as Error).message}`;
    }
  });
}

// Train and watch.
const form = byId<HTMLFormElement>('train-form');
const field = (name: string) =>
  form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
const trainButton = byId<HTMLButtonElement>('train');
const stopButton = byId<HTMLButtonElement>('stop');
const runStatus = byId<HTMLParagraphElement>('run-status');
const lossChart = liveChart(byId('loss-chart'), 'cost', {
  color: '#c0392b',
  log: true,
});
const accuracyChart = liveChart(byId('accuracy-chart'), 'validation accuracy', {
  color: '#2471a3',
  percent: true,
});
const speedChart = liveChart(byId('speed-chart'), 'examples/s', {
  color: '#1e8449',
});

for (const [name, { min, max }] of Object.entries(TRAIN_LIMITS)) {
  const box = field(name) as HTMLInputElement;
  box.min = String(min);
  box.max = String(max);
}
const SETTINGS = ['learningRate', 'epochs', 'batchSize', 'optimizer'] as const;
function fillDefaults(choice: ModelChoice): void {
  const defaults = TRAIN_DEFAULTS[choice];
  for (const name of SETTINGS) field(name).value = String(defaults[name]);
}
field('model').addEventListener('change', () =>
  fillDefaults(field('model').value as ModelChoice),
);
fillDefaults('softmax');

/** POSTs `body` as JSON; the error the server or the network gave, if any. */
async function post(route: string, body?: unknown): Promise<string | null> {
  try {
    const answer = await fetch(route, {
      method: 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (answer.ok) return null;
    return ((await answer.json()) as { error: string }).error;
  } catch (error) {
    return `the server does not answer (${(error as Error).message})`;
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const request = checkTrainRequest({
    model: field('model').value,
    learningRate: Number(field('learningRate').value),
    epochs: Number(field('epochs').value),
    batchSize: Number(field('batchSize').value),
    optimizer: field('optimizer').value,
  });
  if (typeof request === 'string') {
    runStatus.textContent = `Not started: ${request}`;
    return;
  }
  const error = await post('/api/train', request);
  if (error !== null) runStatus.textContent = `Not started: ${error}`;
});
stopButton.addEventListener('click', async () => {
  runStatus.textContent = `Run ${shownRun}: stopping after this step…`;
  const error = await post('/api/stop');
  if (error !== null) runStatus.textContent = `Not stopped: ${error}`;
});

const plural = (count: number, word: string) =>
  `${count} ${word}${count === 1 ? '' : 's'}`;
const whole = new Intl.NumberFormat('en');

let shownRun = 0;
let shownModel = '';
function onRun(event: RunEvent): void {
  if (event.type === 'start' || event.run !== shownRun) {
    shownRun = event.run;
    lossChart.reset();
    accuracyChart.reset();
    speedChart.reset();
  }
  const run = `Run ${event.run} (${shownModel})`;
  switch (event.type) {
    case 'start': {
      const { request } = event;
      // Every tab shows the settings of the run it watches.
      for (const name of ['model', ...SETTINGS] as const) {
        field(name).value = String(request[name]);
      }
      shownModel = request.model;
      runStatus.textContent =
        `Run ${event.run} (${request.model}): training for ` +
        `${plural(request.epochs, 'epoch')} (${request.optimizer} at ` +
        `${request.learningRate}, batches of ${request.batchSize})…`;
      setTraining(true);
      break;
    }
    case 'progress':
      lossChart.add(event.epoch, event.loss);
      speedChart.add(event.epoch, event.examplesPerSecond);
      runStatus.textContent =
        `${run}: epoch ${event.epoch.toFixed(2)}, cost ` +
        `${event.loss.toFixed(4)}, ` +
        `${whole.format(Math.round(event.examplesPerSecond))} examples/s`;
      break;
    case 'epoch':
      if (event.validationAccuracy !== null) {
        accuracyChart.add(event.epoch, event.validationAccuracy);
      }
      break;
    case 'done': {
      const outcome = event.kept
        ? 'The pad reads with it now.'
        : 'Stopped before an epoch and less accurate, so the pad keeps ' +
          'the model it had.';
      runStatus.textContent =
        `${run}: ${event.stopped ? 'stopped' : 'done'} after ` +
        `${event.seconds.toFixed(1)} s; test accuracy ` +
        `${(event.testAccuracy * 100).toFixed(2)}%. ${outcome}`;
      setTraining(false);
      break;
    }
    case 'failed':
      runStatus.textContent = `${run} failed: ${event.message}`;
      setTraining(false);
      break;
  }
}

function setTraining(training: boolean): void {
  // Focus moves to the button that takes over, not to the page.
  const focused = document.activeElement;
  trainButton.disabled = training;
  stopButton.disabled = !training;
  if (focused === trainButton && training) stopButton.focus();
  if (focused === stopButton && !training) trainButton.focus();
}

const connection = byId<HTMLParagraphElement>('connection');
function connect(): void {
  const source = new EventSource('/api/events');
  source.addEventListener('open', () => {
    connection.hidden = true;
  });
  // EventSource tries again by itself; the page says so meanwhile.
  source.addEventListener('error', () => {
    connection.hidden = false;
    connection.textContent =
      'Lost the server: is mnistlab serve still running? Trying again… ' +
      '(the pad still reads with the model it has)';
  });
  source.addEventListener('snapshot', (message) => {
    const snapshot = JSON.parse((message as MessageEvent).data) as Snapshot;
    shownRun = 0;
    snapshot.events.forEach(onRun);
    setTraining(snapshot.training);
    if (snapshot.model === null) {
      modelLine.textContent = snapshot.training
        ? 'No model yet: the first one is training…'
        : 'No model yet: train one below.';
    } else if (snapshot.model.version !== model?.summary.version) {
      loadModel();
    }
  });
  source.addEventListener('run', (message) => {
    onRun(JSON.parse((message as MessageEvent).data) as RunEvent);
  });
  source.addEventListener('model', () => loadModel());
}

// Misread test digits.
const mistakeLabel = byId<HTMLSelectElement>('mistake-label');
const mistakeList = byId<HTMLUListElement>('mistakes');
const mistakeCount = byId<HTMLParagraphElement>('mistake-count');
const moreButton = byId<HTMLButtonElement>('more');
for (let digit = 0; digit < 10; digit++) {
  mistakeLabel.add(new Option(String(digit), String(digit)));
}
let mistakesShown = 0;
/** "an 8", "a 3". */
const article = (digit: number) => (digit === 8 ? 'an' : 'a');

async function showMistakes(fromStart: boolean): Promise<void> {
  if (fromStart) {
    mistakesShown = 0;
    mistakeList.replaceChildren();
  }
  const label = mistakeLabel.value;
  const query = new URLSearchParams({
    offset: String(mistakesShown),
    limit: String(MISTAKES_PER_PAGE),
  });
  if (label !== '') query.set('label', label);
  let page: MistakePage;
  try {
    page = (await (
      await fetch(`/api/mistakes?${query}`)
    ).json()) as MistakePage;
  } catch (error) {
    mistakeCount.textContent = `Could not list them: ${(error as Error).message}`;
    return;
  }
  if (page.error !== undefined) {
    mistakeCount.textContent = `Could not list them: ${page.error}`;
    return;
  }
  if (page.pending) {
    mistakeCount.textContent = 'Finding the test digits it misreads…';
    setTimeout(() => showMistakes(true), 1000);
    return;
  }
  for (const mistake of page.mistakes) {
    const item = document.createElement('li');
    const picture = document.createElement('canvas');
    picture.width = 28;
    picture.height = 28;
    const pixels = Uint8Array.from(atob(mistake.pixels), (c) =>
      c.charCodeAt(0),
    );
    const context = picture.getContext('2d')!;
    const image = context.createImageData(28, 28);
    pixels.forEach((ink, i) =>
      image.data.set([255 - ink, 255 - ink, 255 - ink, 255], i * 4),
    );
    context.putImageData(image, 0, 0);
    const words = `${article(mistake.label)} ${mistake.label} read as ${mistake.prediction}`;
    picture.setAttribute('role', 'img');
    picture.setAttribute('aria-label', `Test digit ${mistake.index}: ${words}`);
    const caption = document.createElement('span');
    caption.textContent = `${mistake.label} → ${mistake.prediction}`;
    item.append(picture, caption);
    mistakeList.append(item);
  }
  mistakesShown += page.mistakes.length;
  const which = label === '' ? '' : ` of ${article(Number(label))} ${label}`;
  mistakeCount.textContent = `${page.total} test digits${which} misread; showing ${mistakesShown}.`;
  moreButton.hidden = mistakesShown >= page.total;
}
mistakeLabel.addEventListener('change', () => showMistakes(true));
moreButton.addEventListener('click', () => showMistakes(false));

// Start.
read();
startEngine().then((engine) => {
  byId('engine-line').textContent =
    `Runs in this browser on mnistlab's ${engine}.`;
  connect();
});
