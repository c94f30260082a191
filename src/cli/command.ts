// What a command is: its spec (arguments, options, help) and what it does with them.
import type { CommandSpec, ParsedArgs } from './args';
import type { CliIO } from './io';

export interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs, io: CliIO): Promise<void>;
}
