import { assertSchemaCurrent } from '../../../storage/migrator.js';
import { buildProviders } from '../../../wiring/build-providers.js';
import { runBootstrap } from '../../bootstrap.js';
import { CommandError, defineCommand } from '../command.js';
import { withDatabase } from '../with-database.js';

export const bootstrap = defineCommand({
  help: 'Create the default domain, the admin/member/reader roles, the admin project and user, and the identity service with its endpoints. Safe to run again.',
  flags: {
    'bootstrap-username': { type: 'string', help: 'The username of the initial admin user (default: admin).' },
    'bootstrap-password': { type: 'string', help: 'The password of the initial admin user (or OS_BOOTSTRAP_PASSWORD).' },
    'bootstrap-project-name': { type: 'string', help: 'The initial project created (default: admin).' },
    'bootstrap-role-name': { type: 'string', help: 'The initial role name created (default: admin).' },
    'bootstrap-service-name': { type: 'string', help: 'The initial name for the initial identity service (default: keystone).' },
    'bootstrap-admin-url': { type: 'string', help: 'The initial identity admin URL.' },
    'bootstrap-public-url': { type: 'string', help: 'The initial identity public URL.' },
    'bootstrap-internal-url': { type: 'string', help: 'The initial identity internal URL.' },
    'bootstrap-region-id': { type: 'string', help: 'The region of the initial endpoints.' },
    'immutable-roles': {
      type: 'boolean',
      negatable: true,
      help: 'Create the default roles (admin, member, reader) immutable: the default; --no-immutable-roles creates them mutable.',
    },
  },
  async run({ conf, flags, out }) {
    const env = process.env;
    const password = flags['bootstrap-password'] ?? env.OS_BOOTSTRAP_PASSWORD;
    if (!password) throw new CommandError('Either --bootstrap-password argument or OS_BOOTSTRAP_PASSWORD must be set.');
    return withDatabase(conf, async ({ db, host }) => {
      await assertSchemaCurrent(db);
      const built = buildProviders(conf, { db, embeddedSocketDir: host?.socketDir });
      try {
        const r = await runBootstrap(built, {
          username: flags['bootstrap-username'] ?? env.OS_BOOTSTRAP_USERNAME,
          password,
          projectName: flags['bootstrap-project-name'] ?? env.OS_BOOTSTRAP_PROJECT_NAME,
          roleName: flags['bootstrap-role-name'] ?? env.OS_BOOTSTRAP_ROLE_NAME,
          serviceName: flags['bootstrap-service-name'] ?? env.OS_BOOTSTRAP_SERVICE_NAME,
          regionId: flags['bootstrap-region-id'] ?? env.OS_BOOTSTRAP_REGION_ID ?? null,
          adminUrl: flags['bootstrap-admin-url'] ?? env.OS_BOOTSTRAP_ADMIN_URL ?? null,
          publicUrl: flags['bootstrap-public-url'] ?? env.OS_BOOTSTRAP_PUBLIC_URL ?? null,
          internalUrl: flags['bootstrap-internal-url'] ?? env.OS_BOOTSTRAP_INTERNAL_URL ?? null,
          immutableRoles: flags['immutable-roles'] !== false,
        });
        out(
          `Bootstrap complete: domain ${r.domainId}, project ${r.projectId}, user ${r.userId}, role ${r.adminRoleId}, service ${r.serviceId}.`,
        );
      } finally {
        await built.cache.close().catch(() => undefined);
      }
      return 0;
    });
  },
});
