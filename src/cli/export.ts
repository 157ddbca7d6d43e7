// mnistlab export: a saved model in another library's format. TF.js's
// layers format for now, which tf.loadLayersModel reads.

import { createRequire } from 'node:module';

import { Command, Option } from 'commander';

import { writeTfjsModel } from '../io/tfjs-export.js';
import { loadModel } from '../io/model-file.js';
import { restoreModel } from '../train/saved.js';

interface ExportOptions {
  model: string;
  format: 'tfjs';
  out: string;
}

const { version } = createRequire(import.meta.url)('../../../package.json');

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
      const loaded = restoreModel(loadModel(options.model));
      writeTfjsModel(options.out, loaded, `mnistlab ${version}`);
      console.log(`wrote ${options.out}/model.json and its weights`);
    });
}
