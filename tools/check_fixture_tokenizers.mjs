// Checks that the fixture tokenizer.json files load in @huggingface/tokenizers (the pure-JS package the
// library uses) and reproduce the token ids stored in each fixture.json, and that Marian's greedy output
// decodes to the stored text.
//
//   node tools/check_fixture_tokenizers.mjs [fixturesDir]
//
// The package is resolved normally; set TOKENIZERS_MODULE=/path/to/tokenizers.mjs to use a copy installed
// elsewhere (it is not a dependency in package.json at the time of writing).
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] ?? join(here, "..", "tests", "fixtures");
const mod = process.env.TOKENIZERS_MODULE
  ? await import(pathToFileURL(process.env.TOKENIZERS_MODULE).href)
  : await import("@huggingface/tokenizers");
const { Tokenizer } = mod;

const readJson = (...p) => JSON.parse(readFileSync(join(dir, ...p), "utf8"));
const load = (name) => new Tokenizer(readJson(name, "tokenizer.json"), readJson(name, "tokenizer_config.json"));
let failures = 0;
function same(label, got, want) {
  const ok = JSON.stringify(got) === JSON.stringify(want);
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${label}${ok ? "" : `\n     got  ${JSON.stringify(got)}\n     want ${JSON.stringify(want)}`}`);
}

for (const name of ["bert", "bert-sharded", "distilbert"]) {
  const tok = load(name);
  const fx = readJson(name === "bert-sharded" ? "bert" : name, "fixture.json");
  for (const e of fx.inputs.encodings) {
    const enc = tok.encode(e.text, { text_pair: e.text_pair ?? null, return_token_type_ids: true });
    same(`${name}: ${JSON.stringify(e.text)}${e.text_pair ? " + " + JSON.stringify(e.text_pair) : ""} ids`, enc.ids, e.input_ids);
    if (e.token_type_ids) same(`${name}:   token_type_ids`, enc.token_type_ids, e.token_type_ids);
  }
}

const marian = load("marian");
const mfx = readJson("marian", "fixture.json");
for (const e of [...mfx.inputs.encodings, ...mfx.inputs.tokenizer_cases]) same(`marian: ${JSON.stringify(e.text)} ids`, marian.encode(e.text).ids, e.input_ids);
mfx.generation.sequences_trimmed.forEach((ids, i) =>
  same(`marian: decode greedy row ${i}`, marian.decode(ids, { skip_special_tokens: true }), mfx.generation.texts[i]));

if (failures) {
  console.error(`${failures} tokenizer check(s) failed`);
  process.exit(1);
}
console.log("all tokenizer checks passed");
