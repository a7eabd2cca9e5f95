import type { Command } from './command.js';
import { loadCommands } from './command-table.js';

export const PROGRAM = 'keystone-manage';

/** The program's help: every command with its one line (each command's module loaded for it). */
export async function programUsage(): Promise<string> {
  const commands = await loadCommands();
  const lines = [
    `usage: ${PROGRAM} [--config-file PATH]... [--config-dir DIR]... [--debug] <command> [options]`,
    '',
    'Commands:',
    ...commands.map(([name, c]) => `  ${name.padEnd(20)} ${c.help}`),
    '',
    'Global options:',
    '  --config-file PATH   A keystone.conf to read (repeatable; later files override earlier ones).',
    '  --config-dir DIR     Read every *.conf in DIR, in name order (repeatable).',
    '  --debug, -d          Log at debug level.',
    "  --help, -h           Show this help (or a command's: keystone-manage <command> --help).",
  ];
  return lines.join('\n');
}

export function commandUsage(name: string, command: Command): string {
  const flags = Object.entries(command.flags).map(([flag, spec]) => `--${flag}${spec.type === 'string' ? ' VALUE' : ''}`);
  const lines = [`usage: ${PROGRAM} [global options] ${name}${flags.map((f) => ` [${f}]`).join('')}`, '', command.help];
  if (flags.length) {
    lines.push('', 'Options:');
    Object.values(command.flags).forEach((spec, i) => lines.push(`  ${flags[i].padEnd(32)} ${spec.help}`));
  }
  return lines.join('\n');
}
