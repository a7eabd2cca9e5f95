/**
 * Keystone's unified_limit_api: registered limits (the default of a
 * resource of a service, optionally per region) and limits overriding them
 * for a project or a domain, validated by the [unified_limit]
 * enforcement_model:
 *
 *   flat              any value goes;
 *   strict_two_level  a project's limit may not exceed its domain's (or the
 *                     registered default), and a domain's may not fall
 *                     below any of its projects'.
 *
 * Limits follow the resource manager: a deleted project or domain takes its
 * limits with it.
 */
import type { Cache } from '../cache/cache.js';
import type { KeystoneConfig } from '../config/options.js';
import { DuplicateEntry } from '../common/errors.js';
import { newId } from '../common/ids.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { CatalogManager } from '../catalog/catalog-manager.js';
import { ExpectingToFind, assertLength } from '../catalog/catalog-errors.js';
import type { LimitBackend, LimitRow, RegisteredLimitRow } from './limit-backend.js';
import { InvalidLimit, LimitNotFound, NoLimitReference, RegisteredLimitError, RegisteredLimitNotFound } from './limit-errors.js';

export const LIMIT_CACHE_REGION = 'unified_limit';

/** A registered limit as the API sees it: its row without the internal id. */
export type RegisteredLimit = Omit<RegisteredLimitRow, 'internal_id'>;

/** A project or domain limit as the API sees it: its joined row without the registered limit's internal id. */
export type Limit = Omit<LimitRow, 'registered_limit_internal_id'>;

export interface RegisteredLimitInput {
  service_id: string;
  region_id?: string | null;
  resource_name: string;
  default_limit: number;
  description?: string | null;
}

export interface LimitInput {
  project_id?: string;
  domain_id?: string;
  service_id: string;
  region_id?: string;
  resource_name: string;
  resource_limit: number;
  description?: string | null;
}

const MODELS = {
  flat: { name: 'flat', description: 'Limit enforcement and validation does not take project hierarchy into consideration.' },
  strict_two_level: { name: 'strict_two_level', description: 'This model requires project hierarchy never exceeds a depth of two' },
} as const;

function registeredFromRow(row: RegisteredLimitRow): RegisteredLimit {
  return {
    id: row.id,
    service_id: row.service_id,
    region_id: row.region_id,
    resource_name: row.resource_name,
    default_limit: row.default_limit,
    description: row.description,
  };
}

function limitFromRow(row: LimitRow): Limit {
  return {
    id: row.id,
    project_id: row.project_id,
    domain_id: row.domain_id,
    service_id: row.service_id,
    region_id: row.region_id,
    resource_name: row.resource_name,
    resource_limit: row.resource_limit,
    description: row.description,
  };
}

export class UnifiedLimitManager {
  constructor(
    private readonly backend: LimitBackend,
    private readonly cache: Cache,
    private readonly conf: KeystoneConfig,
    private readonly resource: ResourceManager,
    private readonly catalog: CatalogManager,
  ) {
    resource.events.on(async (event) => {
      if (event.type === 'project.deleted') await this.backend.deleteLimitsOf({ projectId: event.projectId });
      else if (event.type === 'domain.deleted') await this.backend.deleteLimitsOf({ domainId: event.domainId });
      else return;
      await this.invalidate();
    });
  }

  listLimit(): number | null {
    return this.conf.unified_limit.list_limit ?? this.conf.DEFAULT.list_limit ?? null;
  }

  private get modelName(): keyof typeof MODELS {
    return this.conf.unified_limit.enforcement_model === 'strict_two_level' ? 'strict_two_level' : 'flat';
  }

  getModel(): { name: string; description: string } {
    return { ...MODELS[this.modelName] };
  }

  /**
   * Keystone's _assert_resource_exist: the service, region, project (a
   * project acting as a domain turns into domain_id) and domain named by the
   * input must exist (400 otherwise). Mutates `input` like Keystone does.
   */
  private async assertReferences(
    input: { service_id?: string | null; region_id?: string | null; project_id?: string; domain_id?: string },
    target: string,
  ): Promise<void> {
    if (input.service_id !== undefined && input.service_id !== null && !(await this.catalog.findService(input.service_id)))
      throw new ExpectingToFind('service_id', target);
    if (input.region_id !== undefined && input.region_id !== null && !(await this.catalog.findRegion(input.region_id)))
      throw new ExpectingToFind('region_id', target);
    if (input.project_id !== undefined) {
      const project = await this.resource.findProjectRef(input.project_id);
      if (!project) throw new ExpectingToFind('project_id', target);
      if (project.isDomain) {
        input.domain_id = input.project_id;
        delete input.project_id;
      }
    }
    if (input.domain_id !== undefined) {
      const domain = await this.resource.findProjectRef(input.domain_id);
      if (!domain || !domain.isDomain) throw new ExpectingToFind('domain_id', target);
    }
  }

  // ---- registered limits ------------------------------------------------------------------

  async listRegisteredLimits(): Promise<RegisteredLimit[]> {
    return (await this.backend.listRegisteredLimitRows()).map(registeredFromRow);
  }

  async getRegisteredLimit(id: string): Promise<RegisteredLimit> {
    const row = await this.backend.getRegisteredLimitRow(id);
    if (!row) throw new RegisteredLimitNotFound(id);
    return registeredFromRow(row);
  }

  private static duplicate(type: 'registered_limit' | 'limit'): DuplicateEntry {
    return new DuplicateEntry(type, 'Duplicate entry');
  }

  async createRegisteredLimits(inputs: RegisteredLimitInput[]): Promise<RegisteredLimit[]> {
    for (const input of inputs) assertLength(input.region_id, 'region_id', 64);
    for (const input of inputs) await this.assertReferences(input, 'registered_limit');
    const ids: string[] = [];
    await this.backend.transaction(async (repo) => {
      for (const input of inputs) {
        const regionId = input.region_id ?? null;
        if (await repo.findRegisteredLimitRow(input.service_id, input.resource_name, regionId))
          throw UnifiedLimitManager.duplicate('registered_limit');
        const id = newId();
        await repo.insertRegisteredLimit({
          id,
          service_id: input.service_id,
          region_id: regionId,
          resource_name: input.resource_name,
          default_limit: input.default_limit,
          description: input.description ?? null,
        });
        ids.push(id);
      }
    });
    await this.invalidate();
    const out: RegisteredLimit[] = [];
    for (const id of ids) out.push(await this.getRegisteredLimit(id));
    return out;
  }

  /** Refused (403) while limits refer to it; a changed service, region or resource must stay unique. */
  async updateRegisteredLimit(id: string, patch: Partial<RegisteredLimitInput>): Promise<RegisteredLimit> {
    assertLength(patch.region_id, 'region_id', 64);
    await this.assertReferences(patch, 'registered_limit');
    const row = await this.backend.getRegisteredLimitRow(id);
    if (!row) throw new RegisteredLimitNotFound(id);
    if (await this.backend.registeredLimitInUse(row.internal_id)) throw new RegisteredLimitError(id);
    const next: RegisteredLimitRow = {
      ...row,
      service_id: patch.service_id ?? row.service_id,
      region_id: 'region_id' in patch ? (patch.region_id ?? null) : row.region_id,
      resource_name: patch.resource_name ?? row.resource_name,
      default_limit: patch.default_limit ?? row.default_limit,
      description: 'description' in patch ? (patch.description ?? null) : row.description,
    };
    if (patch.service_id || 'region_id' in patch || patch.resource_name) {
      const other = await this.backend.findRegisteredLimitRow(next.service_id as string, next.resource_name as string, next.region_id);
      if (other) throw UnifiedLimitManager.duplicate('registered_limit');
    }
    await this.backend.updateRegisteredLimit(next);
    await this.invalidate();
    return this.getRegisteredLimit(id);
  }

  async deleteRegisteredLimit(id: string): Promise<void> {
    const row = await this.backend.getRegisteredLimitRow(id);
    if (!row) throw new RegisteredLimitNotFound(id);
    if (await this.backend.registeredLimitInUse(row.internal_id)) throw new RegisteredLimitError(id);
    await this.backend.deleteRegisteredLimit(id);
    await this.invalidate();
  }

  // ---- limits -------------------------------------------------------------------------------

  async listLimits(): Promise<Limit[]> {
    return (await this.backend.listLimitRows()).map(limitFromRow);
  }

  async findLimit(id: string): Promise<Limit | null> {
    const row = await this.backend.getLimitRow(id);
    return row ? limitFromRow(row) : null;
  }

  async getLimit(id: string): Promise<Limit> {
    const limit = await this.findLimit(id);
    if (!limit) throw new LimitNotFound(id);
    return limit;
  }

  async createLimits(inputs: LimitInput[]): Promise<Limit[]> {
    for (const input of inputs) await this.assertReferences(input, 'limit');
    await this.checkModel(inputs.map((i) => ({ ...i, region_id: i.region_id ?? null })));
    const ids: string[] = [];
    await this.backend.transaction(async (repo) => {
      for (const input of inputs) {
        const registered = await repo.findRegisteredLimitRow(input.service_id, input.resource_name, input.region_id ?? null);
        if (!registered) throw new NoLimitReference();
        const owner = input.project_id ? { projectId: input.project_id } : { domainId: input.domain_id };
        if (await repo.limitExists(registered.internal_id, owner)) throw UnifiedLimitManager.duplicate('limit');
        const id = newId();
        await repo.insertLimit({
          id,
          project_id: input.project_id ?? null,
          domain_id: input.domain_id ?? null,
          resource_limit: input.resource_limit,
          description: input.description ?? null,
          registered_limit_id: registered.internal_id,
        });
        ids.push(id);
      }
    });
    await this.invalidate();
    const out: Limit[] = [];
    for (const id of ids) out.push(await this.getLimit(id));
    return out;
  }

  /** Keystone's update_limit: only a truthy resource_limit or description is applied (as its SQL driver does). */
  async updateLimit(id: string, patch: { resource_limit?: number; description?: string | null }): Promise<Limit> {
    const current = await this.getLimit(id);
    await this.checkModel([{ ...current, ...patch }]);
    const resourceLimit = patch.resource_limit ? patch.resource_limit : current.resource_limit;
    const description = patch.description ? patch.description : current.description;
    await this.backend.updateLimit(id, resourceLimit, description);
    await this.invalidate();
    return this.getLimit(id);
  }

  async deleteLimit(id: string): Promise<void> {
    if ((await this.backend.deleteLimit(id)) === 0) throw new LimitNotFound(id);
    await this.invalidate();
  }

  // ---- enforcement models -------------------------------------------------------------------

  private async checkModel(limits: ModelLimit[]): Promise<void> {
    if (this.modelName !== 'strict_two_level') return;
    for (const limit of limits) {
      try {
        await this.checkStrictTwoLevel(limit, limits);
      } catch (err) {
        if (!(err instanceof InvalidLimit)) throw err;
        const level = limit.project_id ? 'project_id' : 'domain_id';
        throw new InvalidLimit(
          `The resource limit (${level}: ${limit.project_id ?? limit.domain_id}, resource_name: ${limit.resource_name}, ` +
            `resource_limit: ${limit.resource_limit}, service_id: ${limit.service_id}, region_id: ${limit.region_id === null || limit.region_id === undefined ? 'None' : limit.region_id}) ` +
            "doesn't satisfy current hierarchy model.",
        );
      }
    }
  }

  /** The limit value of a project or domain for the resource: its limit, else (for a domain) the registered default. */
  private async specifiedValue(l: ModelLimit, owner: { projectId?: string; domainId?: string }): Promise<number | null> {
    const match = (await this.listLimits()).find(
      (x) =>
        (owner.projectId ? x.project_id === owner.projectId : x.domain_id === owner.domainId) &&
        x.service_id === l.service_id &&
        x.resource_name === l.resource_name &&
        x.region_id === (l.region_id ?? null),
    );
    if (match) return match.resource_limit;
    if (owner.domainId) {
      const registered = await this.backend.findRegisteredLimitRow(l.service_id as string, l.resource_name as string, l.region_id ?? null);
      return registered ? registered.default_limit : null;
    }
    return null;
  }

  private async checkStrictTwoLevel(limit: ModelLimit, batch: ModelLimit[]): Promise<void> {
    let parentId: string | null = null;
    if (limit.project_id) {
      const project = await this.resource.getProjectRef(limit.project_id);
      parentId = project.parentId;
      const parentInBatch = batch.find(
        (x) =>
          x.domain_id === parentId &&
          x.service_id === limit.service_id &&
          (x.region_id ?? null) === (limit.region_id ?? null) &&
          x.resource_name === limit.resource_name,
      );
      if (parentInBatch) {
        if (limit.resource_limit > parentInBatch.resource_limit) {
          throw new InvalidLimit(
            `The value of the limit which project is ${limit.project_id} should not bigger than its parent domain ${parentInBatch.domain_id}.`,
          );
        }
        return;
      }
    }
    if (parentId) {
      const parentValue = await this.specifiedValue(limit, { domainId: parentId });
      if (parentValue && limit.resource_limit > parentValue) throw new InvalidLimit('Limit is bigger than parent.');
    } else if (limit.domain_id) {
      for (const sub of await this.resource.listSubtree(limit.domain_id)) {
        const subValue = await this.specifiedValue(limit, { projectId: sub.id });
        if (subValue && limit.resource_limit < subValue) throw new InvalidLimit('Limit is smaller than child.');
      }
    }
  }

  invalidate(): Promise<void> {
    return this.cache.invalidate(LIMIT_CACHE_REGION);
  }
}

interface ModelLimit {
  project_id?: string | null;
  domain_id?: string | null;
  service_id?: string | null;
  region_id?: string | null;
  resource_name?: string | null;
  resource_limit: number;
}
