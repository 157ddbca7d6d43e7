// mnistlab export: a saved model in another library's format. TF.js's
// layers format for now, which tf.loadLayersModel reads.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Command, Option } from 'commander';

import { writeTfjsModel } from '../io/tfjs-export.js';
import { loadModel } from '../io/model-file.js';
import { restoreModel } from '../train/saved.js';
import { checkOutputFolder } from './options.js';
import { UserError } from '../util/errors.js';
import { VERSION } from '../util/version.js';

interface ExportOptions {
  model: string;
  format: 'tfjs';
  out: string;
}

export function exportCommand(): Command {
  return new Command('export')
    .description(
      'write a model saved by `mnistlab train --save` in TF.js layers ' +
        'format (model.json and a weights shard) for tf.loadLayersModel',
    )
    .requiredOption('--model <dir>', 'folder of the saved model')
    .addOption(
      new Option('--format <name>', 'format to write')
        .choices(['tfjs'])
        .default('tfjs'),
    )
    .requiredOption('--out <dir>', 'folder to write the exported model in')
    .option('--verbose', 'show stack traces of errors')
    .action((options: ExportOptions) => {
      checkOut(options.out);
      const loaded = restoreModel(loadModel(options.model));
      try {
        writeTfjsModel(options.out, loaded, `mnistlab ${VERSION}`);
      } catch (error) {
        throw new UserError(
          `--out ${options.out}: could not write the export: ` +
            (error as Error).message,
        );
      }
      console.log(`wrote ${options.out}/model.json and its weights`);
    });
}

/** --out must not hold a mnistlab model, whose model.json it would replace. */
function checkOut(out: string): void {
  checkOutputFolder('--out', out);
  const json = path.join(out, 'model.json');
  let text = '';
  try {
    text = fs.readFileSync(json, 'utf8');
  } catch {
    return;
  }
  if (text.includes('"mnistlab-model"')) {
    throw new UserError(
      `--out ${out}: it holds a mnistlab model, whose model.json the ` +
        'export would replace; pick another folder',
    );
  }
}
