/**
 * Who may call the v2.0 API, and what it can see: Keystone's v2
 * admin_required (the admin role, or the admin_token; 403 otherwise, 401
 * without a valid token) and the default domain, the only one v2.0 knows
 * (a user or tenant of any other domain is simply not found).
 */
import type { Request } from 'express';
import { EntityNotFound, Forbidden } from '../../common/errors.js';
import type { Services } from '../../server/services.js';
import type { Caller } from '../../auth/caller.js';
import type { Project } from '../../resource/resource-types.js';
import type { User } from '../../identity/identity-types.js';
import { resolveCaller } from '../authorize.js';

export function isV2Admin(caller: Caller): boolean {
  return caller.isAdminToken || caller.roles.some((r) => r.name.toLowerCase() === 'admin');
}

/** The caller, when it holds the admin role (or the admin_token). */
export async function requireV2Admin(req: Request, services: Services): Promise<Caller> {
  const caller = await resolveCaller(req, services);
  if (!isV2Admin(caller)) throw new Forbidden();
  return caller;
}

export const defaultDomainId = (services: Services) => services.conf.identity.default_domain_id;

/** A tenant of the default domain, or null. */
export async function findV2Tenant(services: Services, id: string): Promise<Project | null> {
  const project = await services.resource.findProject(id);
  return project && !project.isDomain && project.domainId === defaultDomainId(services) ? project : null;
}

export async function getV2Tenant(services: Services, id: string): Promise<Project> {
  const project = await findV2Tenant(services, id);
  if (!project) throw new EntityNotFound('project', id);
  return project;
}

/** A user of the default domain, or null. */
export async function findV2User(services: Services, id: string): Promise<User | null> {
  const user = await services.identity.findUser(id);
  return user && user.domainId === defaultDomainId(services) ? user : null;
}

export async function getV2User(services: Services, id: string): Promise<User> {
  const user = await findV2User(services, id);
  if (!user) throw new EntityNotFound('user', id);
  return user;
}
