// `mnistlab fetch` run as a user runs it, against a mirror on 127.0.0.1 that
// serves the real MNIST files raw: its lines, a second run that keeps the
// files, `train --data` on them, a bar in a terminal, and its errors.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { defaultDataDir } from '../data/files.js';
import { makeTempDir } from '../data/fixtures.js';
import { mnistlab } from './run.test.helper.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const NAMES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

// Every NAME.gz answered with the raw file (a mirror of raw files works
// too); all else, /missing/ included, with 404.
const requests: string[] = [];
const server = http.createServer((request, response) => {
  requests.push(request.url ?? '');
  const name = NAMES.find((n) => request.url === `/${n}.gz`);
  if (name === undefined) {
    response.writeHead(404).end();
    return;
  }
  const file = path.join(defaultDataDir(), name);
  response.writeHead(200, { 'content-length': fs.statSync(file).size });
  fs.createReadStream(file).pipe(response);
});
let mirror = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

describe('mnistlab fetch', () => {
  it('downloads the four files, keeps them when run again; train reads them', async () => {
    const dir = path.join(makeTempDir(), 'mnist');
    const run = await mnistlab('fetch', '--dir', dir, '--mirror', mirror);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      'train-images-idx3-ubyte  47,040,016 bytes  downloaded\n' +
        'train-labels-idx1-ubyte      60,008 bytes  downloaded\n' +
        't10k-images-idx3-ubyte    7,840,016 bytes  downloaded\n' +
        't10k-labels-idx1-ubyte       10,008 bytes  downloaded\n',
    );
    // Not a terminal: plain lines, each quarter of a file at most once.
    const lines = run.stderr.trimEnd().split('\n');
    for (const line of lines) {
      assert.match(
        line,
        /^\S+: fetching http:\S+\.gz$|^\S+\.gz: [\d,]+ of [\d,]+ bytes \(\d+%\)$/,
      );
    }
    assert.equal(
      lines[0],
      `train-images-idx3-ubyte: fetching ${mirror}train-images-idx3-ubyte.gz`,
    );
    assert.ok(
      lines.includes(
        'train-images-idx3-ubyte.gz: 47,040,016 of 47,040,016 bytes (100%)',
      ),
    );
    assert.ok(lines.filter((l) => l.startsWith('train-images')).length <= 5);
    assert.deepEqual(fs.readdirSync(dir).sort(), [...NAMES].sort());

    const asked = requests.length;
    const again = await mnistlab('fetch', '--dir', dir, '--mirror', mirror);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /^train-images-idx3-ubyte {2}47,040,016 bytes {2}already there$/m,
    );
    assert.equal(again.stdout.match(/already there$/gm)?.length, 4);
    assert.equal(requests.length, asked);

    const trained = await mnistlab(
      'train',
      '--data',
      dir,
      '--epochs',
      '1',
      '--json',
      '--no-sample',
    );
    assert.equal(trained.code, 0, trained.stderr);
    const result = JSON.parse(
      trained.stdout.trimEnd().split('\n').at(-1) ?? '',
    );
    assert.equal(result.trainExamples, 55000);
    assert.equal(result.testExamples, 10000);
  });

  it(
    'draws a bar in a terminal and clears it',
    { skip: !fs.existsSync('/usr/bin/script') },
    async () => {
      const dir = path.join(makeTempDir(), 'mnist');
      const command = [
        process.execPath,
        MAIN,
        'fetch',
        '--dir',
        dir,
        '--mirror',
        mirror,
      ];
      // util-linux's script(1) gives the run a pseudo-terminal.
      const { stdout } = await promisify(execFile)(
        '/usr/bin/script',
        ['-qec', command.join(' '), '/dev/null'],
        { timeout: 60_000 },
      );
      assert.match(
        stdout,
        /train-images-idx3-ubyte\.gz \[█{20}\] 100% \| 47,040,016 bytes/,
      );
      // The last bar's line is erased before the results.
      assert.match(
        stdout,
        /\x1b\[2Ktrain-images-idx3-ubyte {2}47,040,016 bytes {2}downloaded\r\n/,
      );
      assert.match(
        stdout,
        /t10k-labels-idx1-ubyte {7}10,008 bytes {2}downloaded/,
      );
    },
  );

  it('exits 1 naming the URL on a 404, and leaves nothing behind', async () => {
    const dir = makeTempDir();
    const run = await mnistlab(
      'fetch',
      '--dir',
      dir,
      '--mirror',
      `${mirror}missing`,
      '--retries',
      '0',
    );
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    const url = `${mirror}missing/train-images-idx3-ubyte.gz`;
    assert.equal(
      run.stderr,
      `train-images-idx3-ubyte: fetching ${url}\n` +
        `error: ${url}: expected the MNIST file train-images-idx3-ubyte but ` +
        'the server answered 404 Not Found; is the mirror right?\n',
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('takes bad flags as usage errors', async () => {
    const dir = makeTempDir();
    const invalid = (flag: string, value: string, why: string) =>
      `error: option '${flag}' argument '${value}' is invalid. ${why}\n`;
    const cases: [string[], string][] = [
      [
        ['--mirror', 'ftp://example.com/'],
        invalid(
          '--mirror <url>',
          'ftp://example.com/',
          'Expected an http or https URL but found ftp.',
        ),
      ],
      [
        ['--mirror', 'mirror'],
        invalid('--mirror <url>', 'mirror', 'Expected an http or https URL.'),
      ],
      [
        ['--retries', '-1'],
        invalid('--retries <n>', '-1', 'Expected an integer of 0 or more.'),
      ],
    ];
    for (const [flags, message] of cases) {
      const run = await mnistlab('fetch', '--dir', dir, ...flags);
      assert.equal(run.code, 2, flags.join(' '));
      assert.equal(run.stderr, `${message}(add --help for usage)\n`);
    }
    const missing = await mnistlab('fetch');
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^error: required option '--dir <dir>' not specified$/m,
    );
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, '');
    const notFolder = await mnistlab('fetch', '--dir', file);
    assert.equal(notFolder.code, 1);
    assert.equal(
      notFolder.stderr,
      `error: --dir ${file}: expected a folder to write in but found a file\n`,
    );
  });
});
