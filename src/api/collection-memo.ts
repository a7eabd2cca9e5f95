/**
 * Rendered list bodies (GET /v3/users, /v3/projects) kept in this process
 * while nothing a token depends on has changed: under the token memo's
 * version (src/token/memo-version.ts), which every write to users,
 * projects, domains, roles and assignments moves in every process before
 * it returns. A list is rendered again when the version is not known
 * without a round trip (no Redis, or its broadcast lost).
 *
 * Only the body is shared: the handler authorizes every request first, and
 * the key holds everything else the body depends on (the URL with its
 * query and base, and the domain a domain-scoped caller is confined to).
 */
import type { Request, Response } from 'express';
import { LRUCache } from 'lru-cache';

export class CollectionMemo {
  private readonly bodies = new LRUCache<string, { version: string; body: string }>({
    max: 64,
    maxSize: 8 * 1024 * 1024,
    sizeCalculation: (e) => 64 + 2 * e.body.length,
  });

  /** `ttlSeconds`: [cache] expiration_time, the longest the shared cache keeps anything (bounds what changes by time alone) */
  constructor(
    private readonly version: () => string | undefined,
    ttlSeconds: number,
  ) {
    this.ttlMs = Math.max(1, ttlSeconds) * 1000;
  }

  private readonly ttlMs: number;

  /** Sends the list's JSON body: kept from an earlier request under the same version, else rendered now. */
  async send(req: Request, res: Response, scope: string, render: () => Promise<Record<string, unknown>>): Promise<void> {
    const version = this.version();
    const key = `${scope}\u0000${req.keystone.baseUrl}\u0000${req.originalUrl}`;
    const kept = version === undefined ? undefined : this.bodies.get(key);
    let body: string;
    if (kept?.version === version && kept !== undefined) {
      body = kept.body;
    } else {
      body = JSON.stringify(await render());
      if (version !== undefined) this.bodies.set(key, { version, body }, { ttl: this.ttlMs });
    }
    res.type('json').send(body);
  }
}
