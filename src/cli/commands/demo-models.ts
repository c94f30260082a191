// placeholder until data/models exists
import type { Runtime } from '../../runtime';
import { println, type CliIO } from '../io';
export async function demoTranslator(io: CliIO, _runtime: Runtime, dir: string): Promise<void> { println(io, `no model folder ${dir}: skipping the translator`); }
export async function demoClassifier(io: CliIO, _runtime: Runtime, dir: string): Promise<void> { println(io, `no model folder ${dir}: skipping the classifier`); }
