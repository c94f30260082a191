// wasm-nlp quantize: a Hugging Face model folder into an int8 (q8) one that loadModel, embed,
// classify and translate read as int8 straight away (quantizeCheckpoint).
import { quantizeCheckpoint } from '../../transformer/quantize-checkpoint';
import type { Command } from '../command';
import { requireFolder } from '../input-files';
import { printJson, println } from '../io';
import { ProgressBar } from '../progress';
import { JSON_OPTION } from '../runtime-options';

export const quantizeCommand: Command = {
  spec: {
    name: 'quantize',
    summary: 'Write an int8 (q8) copy of a model folder: about a quarter of the f32 size.',
    positionals: [
      { name: 'in-dir', help: 'a Hugging Face model folder (config.json, model.safetensors or its shards)' },
      { name: 'out-dir', help: 'the folder to write (created; if it exists, it must be empty)' },
    ],
    options: [JSON_OPTION],
    examples: ['quantize data/models/book-classifier out/book-classifier-q8', 'classify out/book-classifier-q8 "call me ishmael"'],
  },
  async run(args, io) {
    const input = args.positionals['in-dir'] as string, output = args.positionals['out-dir'] as string;
    await requireFolder(input, 'model folder');
    const bar = new ProgressBar(io.stderr);
    let result: Awaited<ReturnType<typeof quantizeCheckpoint>>;
    try {
      result = await quantizeCheckpoint(input, output, { onProgress: (done, total) => bar.update({ fraction: done / total, label: 'quantizing' }) });
    } finally {
      bar.done();
    }
    if (args.options.json) return printJson(io, { output, ...result });
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
    println(io, `${output}: ${result.quantized} tensors as int8, ${result.kept} as f32; model.safetensors ${mb(result.outputBytes)} ` +
      `(the input's weights ${mb(result.inputBytes)})${result.dropped.length ? `; left out ${result.dropped.length} integer tensors (${result.dropped.join(', ')})` : ''}`);
  },
};
