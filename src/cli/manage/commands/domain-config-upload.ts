import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIni } from '../../../config/ini-parser.js';
import { OPTIONS } from '../../../config/options.js';
import type { OptionSpec } from '../../../config/option-types.js';
import { convertOptionValue } from '../../../config/option-values.js';
import type { ProviderApi } from '../../../common/provider-api.js';
import type { DomainConfig } from '../../../domain-config/domain-config-manager.js';
import { CommandError, defineCommand } from '../command.js';
import { withProviders } from '../with-providers.js';

const DOMAIN_FILE = /^keystone\.(.+)\.conf$/;

/** The options a keystone.<domain>.conf file sets, typed as keystone.conf's (defaults are not uploaded). */
function readDomainFile(file: string): DomainConfig {
  const sections = OPTIONS as unknown as Record<string, Record<string, OptionSpec>>;
  const config: DomainConfig = {};
  for (const [group, entries] of parseIni(readFileSync(file, 'utf8'), file)) {
    const specs = sections[group] as Record<string, OptionSpec> | undefined;
    for (const [option, entry] of entries) {
      const spec = specs?.[option];
      const value = spec ? convertOptionValue(group, option, spec, entry.values) : entry.values[entry.values.length - 1];
      (config[group] ??= {})[option] = value as DomainConfig[string][string];
    }
  }
  return config;
}

async function upload(providers: ProviderApi, file: string, domainName: string, out: (line: string) => void): Promise<boolean> {
  const domain = await providers.resource_api.findDomainByName(domainName);
  if (!domain) {
    out(`Invalid domain name: ${domainName} found in config file name: ${file} - ignoring this file.`);
    return false;
  }
  if (await providers.domain_config_api.hasConfig(domain.id)) {
    out(`Domain: ${domainName} already has a configuration defined - ignoring file: ${file}.`);
    return false;
  }
  try {
    await providers.domain_config_api.createConfig(domain.id, readDomainFile(file));
  } catch (err) {
    out(`Error parsing configuration file for domain: ${domainName}, file: ${file}: ${(err as Error).message}`);
    return false;
  }
  out(`Uploaded the configuration of domain ${domainName} from ${file}.`);
  return true;
}

export const domainConfigUpload = defineCommand({
  help: 'Upload the domain specific configuration files (keystone.<domain name>.conf under [identity] domain_config_dir) to the database.',
  flags: {
    all: { type: 'boolean', help: 'Upload contents of all domain specific configuration files.' },
    'domain-name': { type: 'string', help: 'Upload contents of the specific configuration file for the given domain.' },
  },
  async run({ conf, flags, out }) {
    if (!flags.all && flags['domain-name'] === undefined)
      throw new CommandError('At least one option must be provided, use either --all or --domain-name');
    if (flags.all && flags['domain-name'] !== undefined)
      throw new CommandError('The --all option cannot be used with the --domain-name option');
    const dir = conf.identity.domain_config_dir;
    if (!existsSync(dir)) throw new CommandError(`Unable to locate domain config directory: ${dir}`);
    return withProviders(conf, async (providers) => {
      if (flags['domain-name'] !== undefined) {
        const file = join(dir, `keystone.${flags['domain-name']}.conf`);
        if (!existsSync(file)) throw new CommandError(`Unable to locate domain config file: ${file}`);
        return (await upload(providers, file, flags['domain-name'], out)) ? 0 : 1;
      }
      let failed = false;
      for (const name of readdirSync(dir).sort()) {
        const match = DOMAIN_FILE.exec(name);
        if (!match) continue;
        if (!(await upload(providers, join(dir, name), match[1], out))) failed = true;
      }
      return failed ? 1 : 0;
    });
  },
});
