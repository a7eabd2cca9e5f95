/**
 * keystone-manage bootstrap: the default domain, the admin/member/reader
 * roles (admin implies member implies reader), the admin project and user
 * with the admin role on the project and the system, and the identity
 * service with its endpoints. Safe to run again: what exists is kept, and
 * the admin user's password and enabled flag are reset as Keystone does: a
 * changed password revokes the user's tokens (a revocation event in the
 * database, and the shared validation caches dropped), so that bootstrap is
 * a way back after the admin password leaked.
 */
import type { BuiltProviders } from '../wiring/build-providers.js';
import type { Role } from '../assignment/assignment-types.js';
import type { EndpointInterface } from '../catalog/catalog-types.js';
import { log } from '../log/logger.js';

export interface BootstrapOptions {
  username?: string;
  password: string;
  projectName?: string;
  roleName?: string;
  serviceName?: string;
  regionId?: string | null;
  adminUrl?: string | null;
  publicUrl?: string | null;
  internalUrl?: string | null;
  /** create the roles with the `immutable` resource option (Keystone's default; --no-immutable-roles turns it off) */
  immutableRoles?: boolean;
}

export interface BootstrapResult {
  domainId: string;
  projectId: string;
  userId: string;
  adminRoleId: string;
  memberRoleId: string;
  readerRoleId: string;
  serviceId: string;
}

export async function runBootstrap({ providers }: Pick<BuiltProviders, 'providers'>, options: BootstrapOptions): Promise<BootstrapResult> {
  const {
    conf,
    resource_api: resource,
    identity_api: identity,
    role_api: roles,
    assignment_api: assignment,
    catalog_api: catalog,
  } = providers;
  const domainId = conf.identity.default_domain_id;
  const username = options.username ?? 'admin';
  const projectName = options.projectName ?? 'admin';
  const roleName = options.roleName ?? 'admin';
  const serviceName = options.serviceName ?? 'keystone';

  const domain = await resource.findDomain(domainId);
  if (!domain) {
    await resource.createDomain({ id: domainId, name: 'Default', description: 'The default domain' });
    log.info(`Created domain ${domainId}`);
  }

  const ensureRole = async (name: string): Promise<Role> => {
    const existing = await roles.findRoleByName(name);
    if (existing) return existing;
    const immutable = options.immutableRoles !== false;
    const role = await roles.createRole(immutable ? { name, options: { immutable: true } } : { name });
    log.info(`Created role ${name}`);
    if (!immutable)
      log.warn(
        `Role ${name} was created as a mutable role. It is recommended to make this role immutable by adding the 'immutable' resource option to this role, or re-running this command without --no-immutable-roles.`,
      );
    return role;
  };
  const adminRole = await ensureRole(roleName);
  const memberRole = await ensureRole('member');
  const readerRole = await ensureRole('reader');
  await roles.createImpliedRole(adminRole.id, memberRole.id);
  await roles.createImpliedRole(memberRole.id, readerRole.id);

  let project = await resource.findProjectByName(projectName, domainId);
  if (!project) {
    project = await resource.createProject({ name: projectName, domainId, description: 'Bootstrap project for initializing the cloud.' });
    log.info(`Created project ${projectName}`);
  }

  let user = await identity.findUserByName(username, domainId);
  if (!user) {
    user = await identity.createUser({
      name: username,
      domainId,
      password: options.password,
      options: { ignore_password_expiry: true, ignore_change_password_upon_first_use: true, ignore_lockout_failure_attempts: true },
    });
    log.info(`Created user ${username}`);
  } else {
    if (await identity.resetBootstrapUser(user.id, options.password)) log.info(`Reset password and enabled user ${user.id}`);
  }

  await assignment.createGrant(adminRole.id, { userId: user.id }, { projectId: project.id });
  await assignment.createGrant(adminRole.id, { userId: user.id }, { system: true });

  const existingService = (await catalog.listServices()).find((s) => s.type === 'identity' && s.name === serviceName);
  const service = existingService ?? (await catalog.createService({ type: 'identity', name: serviceName }));
  if (options.regionId) await catalog.ensureRegion(options.regionId);
  const endpoints = await catalog.listEndpoints();
  const wanted: [EndpointInterface, string | null | undefined][] = [
    ['admin', options.adminUrl],
    ['public', options.publicUrl],
    ['internal', options.internalUrl],
  ];
  for (const [iface, url] of wanted) {
    if (!url) continue;
    const existing = endpoints.find(
      (e) => e.serviceId === service.id && e.interface === iface && e.regionId === (options.regionId ?? null),
    );
    if (!existing) {
      await catalog.createEndpoint({ interface: iface, serviceId: service.id, url, regionId: options.regionId ?? null });
      log.info(`Created ${iface} endpoint ${url}`);
    } else if (existing.url !== url) {
      await catalog.updateEndpointUrl(existing.id, url);
      log.info(`Updated ${iface} endpoint to ${url}`);
    }
  }

  return {
    domainId,
    projectId: project.id,
    userId: user.id,
    adminRoleId: adminRole.id,
    memberRoleId: memberRole.id,
    readerRoleId: readerRole.id,
    serviceId: service.id,
  };
}
