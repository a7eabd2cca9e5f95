/** The kinds of option keystone.conf holds, as oslo.config names them. */
export type OptionType = 'string' | 'int' | 'float' | 'bool' | 'list' | 'multistring';

/** What an option can default to. */
export type OptionDefault = string | number | boolean | null | readonly string[];

export interface OptionSpec<T extends OptionDefault = OptionDefault> {
  type: OptionType;
  default: T;
  help: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** never printed in logs or `doctor` output */
  secret?: boolean;
  /** accepted for compatibility with Keystone's keystone.conf; means nothing here */
  ignored?: boolean;
  /** why a converted value is refused (start-up and reload then fail naming the option), or undefined */
  // A method signature: a check of `string | null` is then an OptionSpec of any default (bivariant parameter).
  check?(value: T): string | undefined;
}

export const str = (def: string, help: string, extra: Partial<OptionSpec<string>> = {}): OptionSpec<string> => ({
  type: 'string',
  default: def,
  help,
  ...extra,
});
export const int = (def: number, help: string, extra: Partial<OptionSpec<number>> = {}): OptionSpec<number> => ({
  type: 'int',
  default: def,
  help,
  ...extra,
});
export const optInt = (help: string, extra: Partial<OptionSpec<number | null>> = {}): OptionSpec<number | null> => ({
  type: 'int',
  default: null,
  help,
  ...extra,
});
export const float = (def: number, help: string, extra: Partial<OptionSpec<number>> = {}): OptionSpec<number> => ({
  type: 'float',
  default: def,
  help,
  ...extra,
});
export const bool = (def: boolean, help: string, extra: Partial<OptionSpec<boolean>> = {}): OptionSpec<boolean> => ({
  type: 'bool',
  default: def,
  help,
  ...extra,
});
export const list = (def: string[], help: string, extra: Partial<OptionSpec<string[]>> = {}): OptionSpec<string[]> => ({
  type: 'list',
  default: def,
  help,
  ...extra,
});
export const multi = (def: string[], help: string, extra: Partial<OptionSpec<string[]>> = {}): OptionSpec<string[]> => ({
  type: 'multistring',
  default: def,
  help,
  ...extra,
});
export const optStr = (help: string, extra: Partial<OptionSpec<string | null>> = {}): OptionSpec<string | null> => ({
  type: 'string',
  default: null,
  help,
  ...extra,
});
