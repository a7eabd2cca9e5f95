/**
 * What a keystone-manage command is: its help, its flags (Keystone's
 * spelling, without the leading `--`) and what it runs. A command resolves
 * with the exit status, or throws: a CommandError for a one-line refusal
 * with its own status, anything else for "failed" (1).
 */
import type { KeystoneConfig } from '../../config/options.js';
import type { CliConfig } from '../cli-config.js';

export interface FlagSpec {
  /** `string` takes a value (`--flag VALUE` or `--flag=VALUE`); `boolean` does not */
  type: 'string' | 'boolean';
  help: string;
  /** a negative form (`--no-…`) exists, setting the flag to false */
  negatable?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The flags given on the command line: a string flag's value, a boolean flag's true (false when negated). */
export type FlagValues<F extends FlagSpecs> = { readonly [K in keyof F]?: F[K]['type'] extends 'string' ? string : boolean };

export interface CommandContext<F extends FlagSpecs = FlagSpecs> {
  config: CliConfig;
  conf: KeystoneConfig;
  flags: FlagValues<F>;
  out: (line: string) => void;
}

export interface Command<F extends FlagSpecs = FlagSpecs> {
  help: string;
  flags: F;
  // a method (not a function property), so that every Command<F> is a Command of the table
  run(ctx: CommandContext<F>): Promise<number> | number;
}

/** Declares a command with its flags' types inferred from their specs. */
export function defineCommand<const F extends FlagSpecs>(command: Command<F>): Command<F> {
  return command;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
