// The three tiny transformer checkpoints of the demo, loaded from the page's folder on first use.
// Their folders can be changed with ?translator=…&classifier=…&storyteller=… (base URLs of Hugging
// Face folders).
import { loadModel, TextEncoderModel, TextGenerationModel, TextSeq2SeqModel, type Runtime, type TextModel } from 'wasm-nlp';

const params = new URLSearchParams(location.search);
export const TRANSLATOR_URL = new URL(params.get('translator') ?? 'models/number-translator/', document.baseURI).href;
export const CLASSIFIER_URL = new URL(params.get('classifier') ?? 'models/book-classifier/', document.baseURI).href;
export const STORYTELLER_URL = new URL(params.get('storyteller') ?? 'models/tiny-storyteller/', document.baseURI).href;

const loaded = new Map<string, Promise<TextModel>>();

function load(url: string, runtime: Runtime) {
  let model = loaded.get(url);
  if (!model) {
    model = loadModel(url, { runtime });
    // A failed load (a missing folder) is retried on the next click, not cached.
    model.catch(() => loaded.delete(url));
    loaded.set(url, model);
  }
  return model;
}

export async function translator(runtime: Runtime): Promise<TextSeq2SeqModel> {
  const model = await load(TRANSLATOR_URL, runtime);
  if (!(model instanceof TextSeq2SeqModel)) throw new Error(`${TRANSLATOR_URL} is not a translation checkpoint`);
  return model;
}

export async function classifier(runtime: Runtime): Promise<TextEncoderModel> {
  const model = await load(CLASSIFIER_URL, runtime);
  if (!(model instanceof TextEncoderModel)) throw new Error(`${CLASSIFIER_URL} is not a classification checkpoint`);
  return model;
}

export async function storyteller(runtime: Runtime): Promise<TextGenerationModel> {
  const model = await load(STORYTELLER_URL, runtime);
  if (!(model instanceof TextGenerationModel)) throw new Error(`${STORYTELLER_URL} is not a text-generation checkpoint`);
  return model;
}
