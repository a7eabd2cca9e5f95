import { CommandError, defineCommand } from '../command.js';
import { withProviders } from '../with-providers.js';

export const mappingPopulate = defineCommand({
  help: "Pre-populate the identity mapping table with the public ids of a directory domain's users and groups (otherwise made on first sight).",
  flags: {
    'domain-name': { type: 'string', help: 'Name of the domain configured to use a domain-specific backend.' },
  },
  async run({ conf, flags, out }) {
    const name = flags['domain-name'];
    if (name === undefined) throw new CommandError('the following arguments are required: --domain-name', 2);
    return withProviders(conf, async (providers) => {
      const domain = await providers.resource_api.findDomainByName(name);
      if (!domain) throw new CommandError(`Invalid domain name: ${name}`);
      const users = await providers.identity_api.listUsers({ domainId: domain.id });
      const groups = await providers.identity_api.listGroups({ domainId: domain.id });
      out(`Mapped ${String(users.length)} user(s) and ${String(groups.length)} group(s) of domain ${name}.`);
      return 0;
    });
  },
});
