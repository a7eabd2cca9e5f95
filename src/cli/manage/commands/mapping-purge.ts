import type { EntityType } from '../../../identity/id-mapping/id-mapping-backend.js';
import { CommandError, defineCommand } from '../command.js';
import { withProviders } from '../with-providers.js';

export const mappingPurge = defineCommand({
  help: 'Purge the identity mapping table (public ids of directory users and groups), all of it or the mappings matching every option given.',
  flags: {
    all: { type: 'boolean', help: 'Purge all mappings.' },
    'domain-name': { type: 'string', help: 'Purge any mappings for the domain specified.' },
    'public-id': { type: 'string', help: 'Purge the mapping for the Public ID specified.' },
    'local-id': { type: 'string', help: 'Purge the mappings for the Local ID specified.' },
    type: { type: 'string', help: 'Purge any mappings for the type specified: user or group.' },
  },
  async run({ conf, flags, out }) {
    const others = [flags['domain-name'], flags['public-id'], flags['local-id'], flags.type].some((v) => v !== undefined);
    if (!flags.all && !others) throw new CommandError('At least one option must be provided');
    if (flags.all && others) throw new CommandError('--all option cannot be mixed with other options');
    if (flags.type !== undefined && flags.type !== 'user' && flags.type !== 'group')
      throw new CommandError(`argument --type: invalid choice: '${flags.type}' (choose from 'user', 'group')`, 2);
    return withProviders(conf, async (providers) => {
      let domainId: string | undefined;
      if (flags['domain-name'] !== undefined) {
        const domain = await providers.resource_api.findDomainByName(flags['domain-name']);
        if (!domain) throw new CommandError(`Unknown domain '${flags['domain-name']}' specified by --domain-name`);
        domainId = domain.id;
      }
      const removed = await providers.id_mapping_api.purgeMappings({
        domain_id: domainId,
        public_id: flags['public-id'],
        local_id: flags['local-id'],
        entity_type: flags.type as EntityType | undefined,
      });
      out(`Purged ${String(removed)} mapping(s).`);
      return 0;
    });
  },
});
