/**
 * keystone-manage mapping_engine --rules FILE --input FILE [--prefix P] [--engine-debug]: the operators'
 * mapping debugger, as Keystone 22's MappingEngineTester. The rules file is JSON (a list of rules, or an
 * object whose "rules" is that list), checked as a mapping is checked on PUT; the input file holds one
 * `name: value` per line (`;` separates several values); the mapped properties are printed as Keystone
 * prints them (Python's json.dumps with indent 2). Nothing is read from or written to the database.
 * The engine's warnings, and with --engine-debug its debug lines, are Keystone's log lines word for word
 * in oslo.log's default format (without its color codes and the Python function and source line that end
 * Keystone's debug lines), written to stderr: Keystone writes them to its log, which is stdout when
 * keystone.conf names no log file; here stdout stays the mapped properties, ready for a JSON tool.
 */
import { readFileSync } from 'node:fs';
import { KeystoneError } from '../../../common/errors.js';
import { validateMappingStructure } from '../../../federation/mapping/mapping-schema.js';
import { pythonJsonDumps } from '../../../common/python-text.js';
import { DirectMappingError, RuleProcessor, type MappingEngineLog, type MappingRule } from '../../../federation/mapping/rule-processor.js';
import { newId } from '../../../common/ids.js';
import { CommandError, defineCommand } from '../command.js';

function readRules(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CommandError(`[Errno 2] No such file or directory: '${path}' (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CommandError(`Error while parsing rules ${path}: ${(err as Error).message}`);
  }
}

function readAssertion(path: string, prefix: string | undefined): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? '[Errno 2] No such file or directory' : (err as Error).message;
    throw new CommandError(`Error while opening file ${path}: ${code}: '${path}'`);
  }
  const assertion: Record<string, string> = {};
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const colon = line.indexOf(':');
    if (colon < 0)
      throw new CommandError(
        `assertion file ${path} at line ${index + 1} expected 'key: value' but found '${line}' see help for file format`,
      );
    const key = line.slice(0, colon).trim();
    if (prefix && !key.startsWith(prefix)) return;
    assertion[key] = line.slice(colon + 1).trim();
  });
  return assertion;
}

/** oslo.log's default line: local time with milliseconds, pid, level, logger name, no request context. */
function osloLine(level: string, message: string): string {
  const now = new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const time = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
  return `${time} ${process.pid} ${level} keystone.federation.utils [-] ${message}`;
}

function engineLog(debug: boolean): MappingEngineLog {
  const out = (line: string) => process.stderr.write(`${line}\n`);
  return {
    debug: debug ? (message) => out(osloLine('DEBUG', message)) : () => undefined,
    warning: (message) => out(osloLine('WARNING', message)),
  };
}

export const mappingEngine = defineCommand({
  help: 'Execute the mapping engine locally: the mapped properties of an assertion under a set of rules.',
  flags: {
    rules: {
      type: 'string',
      help: "Path to the file with rules to be executed. Content must be a proper JSON structure, with a top-level key 'rules' and corresponding value being a list.",
    },
    input: {
      type: 'string',
      help: "Path to the file with input attributes. The content consists of ':' separated parameter names and their values. There is only one key-value pair per line. A ';' in the value is a separator and then a value is treated as a list. Example: EMAIL: me@example.com / LOGIN: me / GROUPS: group1;group2;group3",
    },
    prefix: {
      type: 'string',
      help: 'A prefix used for each environment variable in the assertion. For example, all environment variables may have the prefix ASDF_.',
    },
    'engine-debug': { type: 'boolean', help: 'Enable debug messages from the mapping engine.' },
  },
  run({ flags, out }) {
    if (flags.rules === undefined || flags.input === undefined)
      throw new CommandError('the following arguments are required: --rules, --input', 2);
    let rules = readRules(flags.rules);
    if (Array.isArray(rules)) rules = { rules };
    try {
      validateMappingStructure(rules);
      const assertion = readAssertion(flags.input, flags.prefix);
      if (flags['engine-debug']) {
        out(`Using Rules:\n${pythonJsonDumps(rules, 2)}`);
        out(`Using Assertion:\n${pythonJsonDumps(assertion, 2)}`);
      }
      const processor = new RuleProcessor(newId(), (rules as { rules: MappingRule[] }).rules, engineLog(flags['engine-debug'] === true));
      out(pythonJsonDumps(processor.process(assertion), 2));
      return 0;
    } catch (err) {
      if (err instanceof DirectMappingError) throw new CommandError(err.detail);
      if (err instanceof KeystoneError) throw new CommandError(err.message);
      throw err;
    }
  },
});
