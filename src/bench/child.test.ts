import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { failureOf, jsonReport, lastLine, runChild } from './child.js';

const node = (code: string, limitSeconds = 10) =>
  runChild(process.execPath, ['-e', code], limitSeconds);

describe('runChild', () => {
  it('gives the exit code and both outputs of a child', async () => {
    const outcome = await node(
      'console.log("{}"); console.error("oops"); process.exitCode = 3',
    );
    assert.equal(outcome.status, 'exited');
    if (outcome.status !== 'exited') return;
    assert.equal(outcome.code, 3);
    assert.equal(outcome.stdout, '{}\n');
    assert.equal(outcome.stderr, 'oops\n');
  });

  it('kills a child that runs past its limit', async () => {
    const outcome = await node('setTimeout(() => {}, 60000)', 0.3);
    assert.equal(outcome.status, 'timed out');
    assert.ok(outcome.wallSeconds >= 0.3, `${outcome.wallSeconds}`);
    assert.ok(outcome.wallSeconds < 10, `${outcome.wallSeconds}`);
    assert.equal(failureOf(outcome), 'timed out after 0 s');
  });

  it('reports a command that cannot start', async () => {
    const outcome = await runChild('/nonexistent/python3', ['-V'], 10);
    assert.equal(outcome.status, 'not started');
    assert.match(failureOf(outcome), /^failed to start: .*ENOENT/);
  });
});

describe('failureOf', () => {
  it('names the exit code and the last line the child wrote on stderr', () => {
    const outcome = {
      status: 'exited' as const,
      code: 1,
      stdout: '',
      stderr: 'Traceback\n  File "x.py"\nValueError: bad\n\n',
      wallSeconds: 1,
    };
    assert.equal(failureOf(outcome), 'failed (exit code 1): ValueError: bad');
    assert.equal(failureOf({ ...outcome, stderr: '' }), 'failed (exit code 1)');
  });
});

describe('lastLine', () => {
  it('skips trailing blank lines', () => {
    assert.equal(lastLine('a\nb\n\n  \n'), 'b');
    assert.equal(lastLine(''), '');
  });
});

describe('jsonReport', () => {
  it('reads the JSON object on the last line, after other output', () => {
    const report = jsonReport('Epoch: 0001\n{"trainSeconds": 1.5}\n', [
      'trainSeconds',
    ]);
    assert.deepEqual(report, { trainSeconds: 1.5 });
  });

  it('says what it found instead of a JSON object', () => {
    assert.throws(() => jsonReport('Learning finished\n', []), {
      message:
        'expected a JSON object as the last line of output but found ' +
        "'Learning finished'",
    });
  });

  it('says which number is missing', () => {
    assert.throws(
      () => jsonReport('{"trainSeconds": "fast"}', ['trainSeconds']),
      {
        message:
          `expected trainSeconds as a number in '{"trainSeconds": "fast"}' ` +
          'but found "fast"',
      },
    );
  });
});
