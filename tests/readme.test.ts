// The README's examples, as a user reading it cold would paste them into a TypeScript project:
// every ```js block is type-checked (strict, ES2022 modules with top-level await, DOM and Node
// types) against the package's public types, with `wasm-nlp` mapped to src/index.ts (no build
// needed). The variables an example takes from the reader's own code (`weights`, `x`, `text`…)
// are declared in FREE_VARIABLES below, one line each; an example using a name that is neither
// defined in it nor listed there fails, naming the name and the README line. One ts.Program
// checks all the blocks; a diagnostic is reported at its README line.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, test } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const README = join(ROOT, 'README.md');
const ENTRY = join(ROOT, 'src', 'index.ts');

/**
 * The names README examples use without defining them (what the reader's program has at hand),
 * each with the type it must have. An example may also define one of these itself: its own
 * declaration then wins. Every entry must be used by some block (checked below).
 */
const FREE_VARIABLES: Record<string, string> = {
  // Quick start: browsers — a corpus pasted into a textarea, a <progress> showing training.
  text: 'string',
  bar: 'HTMLProgressElement',
  // word2vec: the analogy questions file (questions-words.txt) as read.
  questionsText: 'string',
  // Kernels: operands as plain arrays, shapes as numbers.
  weights: 'Float32Array',
  x: 'Float32Array',
  bias: 'Float32Array',
  q: 'Float32Array',
  k: 'Float32Array',
  v: 'Float32Array',
  batch: 'number',
  mask: 'Float32Array',
  scores: 'Float32Array',
  rows: 'number',
  cols: 'number',
  residual: 'Float32Array',
  gamma: 'Float32Array',
  beta: 'Float32Array',
  sumOut: 'Float32Array',
};

/** Info strings of blocks that are type-checked, and of blocks that are not code to check. */
const CHECKED = new Set(['js', 'javascript', 'mjs', 'ts', 'typescript']);
const NOT_CHECKED = new Set(['sh', 'bash', 'shell', 'console', 'text', 'txt', 'json', 'jsonc', 'html', 'diff', 'python', 'py', 'yaml', 'toml']);
/** On the line right above a ```js fence: the block is deliberately not TypeScript (say why after it). */
const SKIP_MARKER = /^\s*<!--\s*readme-test:\s*skip\b.*-->\s*$/;

interface Block { lang: string; line: number; code: string; skipped: boolean }

/** Fenced code blocks (``` or ~~~) with their info string and the README line of the fence (1-based). */
function extractBlocks(markdown: string): { blocks: Block[]; problems: string[] } {
  const lines = markdown.split(/\r?\n/);
  const blocks: Block[] = [], problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j]!)) body.push(lines[j++]!.replace(new RegExp(`^ {0,${indent.length}}`), ''));
    if (j === lines.length) problems.push(`README.md:${i + 1}: code block never closed`);
    blocks.push({ lang: info.toLowerCase(), line: i + 1, code: body.join('\n'), skipped: i > 0 && SKIP_MARKER.test(lines[i - 1]!) });
    i = j;
  }
  return { blocks, problems };
}

/** Diagnostics that mean "this name is not defined": the hint says where to declare it. */
const UNDEFINED_NAME = new Set([2304, 2552, 18004, 2580, 2581, 2582, 2591, 2592, 2593]);

const PREAMBLE = join(ROOT, '__readme_free_variables__.ts');
const preambleText = [
  'export {};',
  'declare global {',
  ...Object.entries(FREE_VARIABLES).map(([name, type]) => `  const ${name}: ${type};`),
  '}',
  '',
].join('\n');

const blockFile = (b: Block) => join(ROOT, `__readme_L${b.line}__.ts`);

let blocks: Block[] = [];
let structureProblems: string[] = [];
let program: ts.Program;
let checked: Block[] = [];

beforeAll(() => {
  ({ blocks, problems: structureProblems } = extractBlocks(readFileSync(README, 'utf8')));
  checked = blocks.filter((b) => CHECKED.has(b.lang) && !b.skipped);
  const { options, errors } = ts.convertCompilerOptionsFromJson({
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    moduleDetection: 'force', // every block is a module, so top-level await works and names do not clash
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    paths: { 'wasm-nlp': [ENTRY] },
  }, ROOT);
  if (errors.length) throw new Error(ts.formatDiagnostics(errors, formatHost));
  const virtual = new Map<string, string>([[PREAMBLE, preambleText], ...checked.map((b) => [blockFile(b), b.code] as const)]);
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, onError, create) => {
    const text = virtual.get(f);
    return text !== undefined ? ts.createSourceFile(f, text, lang, true) : getSourceFile.call(host, f, lang, onError, create);
  };
  program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
});

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n',
};

/** "README.md:LINE:COL: TSxxxx message" for a diagnostic in a block (or in the preamble). */
function describeDiagnostic(d: ts.Diagnostic, block: Block | undefined): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n    ');
  if (!d.file || d.start === undefined) return `TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  if (!block) return `FREE_VARIABLES preamble, line ${line + 1}: TS${d.code}: ${message}\n    ${d.file.text.split('\n')[line]}`;
  const hint = UNDEFINED_NAME.has(d.code)
    ? `\n    (a name the example does not define: define it in the example, or declare it with its type in FREE_VARIABLES in tests/readme.test.ts)`
    : '';
  return `README.md:${block.line + 1 + line}:${character + 1}: TS${d.code}: ${message}\n    ${block.code.split('\n')[line]?.trim()}${hint}`;
}

// Type-checking does not depend on the WASM build, so the relaxed-SIMD project skips it.
describe.skipIf(process.env.WASM_NLP_EXPECT_RELAXED === '1')('README examples', () => {
  test('every code block is closed and has a language this test knows', () => {
    const problems = [...structureProblems];
    for (const b of blocks) {
      if (!CHECKED.has(b.lang) && !NOT_CHECKED.has(b.lang)) {
        problems.push(`README.md:${b.line}: code block with ${b.lang ? `language "${b.lang}"` : 'no language'}: `
          + 'tag it ```js to have it type-checked, or ```sh / ```text (tests/readme.test.ts knows which are not code to check)');
      }
    }
    expect(problems).toEqual([]);
    expect(checked.length).toBeGreaterThan(0);
  });

  test("'wasm-nlp' resolves to src/index.ts", () => {
    for (const b of checked) {
      const sf = program.getSourceFile(blockFile(b))!;
      for (const statement of sf.statements) {
        if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
        if (statement.moduleSpecifier.text !== 'wasm-nlp') continue;
        const module = program.getTypeChecker().getSymbolAtLocation(statement.moduleSpecifier);
        expect(module?.valueDeclaration?.getSourceFile().fileName, `README.md:${b.line}`).toBe(ENTRY);
      }
    }
  });

  test('every ```js block type-checks (strict) against the public types', () => {
    const problems: string[] = [];
    const preamble = program.getSourceFile(PREAMBLE)!;
    for (const d of [...program.getSyntacticDiagnostics(preamble), ...program.getSemanticDiagnostics(preamble)]) problems.push(describeDiagnostic(d, undefined));
    for (const b of checked) {
      const sf = program.getSourceFile(blockFile(b))!;
      for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) problems.push(describeDiagnostic(d, b));
    }
    for (const d of program.getGlobalDiagnostics()) problems.push(describeDiagnostic(d, undefined));
    expect(problems).toEqual([]);
  });

  test('every FREE_VARIABLES entry is used by some example', () => {
    const checker = program.getTypeChecker();
    const preamble = program.getSourceFile(PREAMBLE)!;
    const used = new Set<string>();
    for (const b of checked) {
      const visit = (node: ts.Node): void => {
        if (ts.isIdentifier(node) && Object.hasOwn(FREE_VARIABLES, node.text)) {
          // `{ rows }` names the property; the value is the variable in scope.
          const symbol = ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node
            ? checker.getShorthandAssignmentValueSymbol(node.parent)
            : checker.getSymbolAtLocation(node);
          if (symbol?.declarations?.some((d) => d.getSourceFile() === preamble)) used.add(node.text);
        }
        ts.forEachChild(node, visit);
      };
      visit(program.getSourceFile(blockFile(b))!);
    }
    const unused = Object.keys(FREE_VARIABLES).filter((name) => !used.has(name));
    expect(unused, 'FREE_VARIABLES entries no README example uses: remove them').toEqual([]);
  });
});
