/**
 * A region's stamp: a random value kept in the shared cache under a fixed
 * key of the region. Invalidating the region (on any node, through Redis or
 * the keystone-all primary's relay) makes the stamp disappear; the next
 * reader writes a new one. A process may therefore keep a decoded copy of
 * region-dependent data in its own memory, tagged with the stamps it was
 * read under, and trust it only while the stamps are unchanged.
 *
 * Order matters for "no stale yes": the stamp is read (or written) BEFORE
 * the data is read from the database, so a change committed and
 * invalidated while the data is being read leaves the copy tagged with a
 * stamp that is already gone.
 *
 * With the cache disabled (or unreachable) there is no stamp (null): the
 * caller reads the database every time.
 */
import { randomBytes } from 'node:crypto';
import type { Cache } from '../cache/cache.js';

const STAMP_KEY = '\u0000stamp';
const STAMP_TTL_SECONDS = 24 * 3600;

export class RegionStamps {
  constructor(private readonly cache: Cache) {}

  get enabled(): boolean {
    return this.cache.enabled;
  }

  /** The region's current stamp (written when missing); null without a cache. */
  async stamp(region: string): Promise<string | null> {
    if (!this.cache.enabled) return null;
    const current = await this.cache.backend.get(region, STAMP_KEY);
    if (current !== undefined) return current;
    const fresh = randomBytes(9).toString('base64url');
    await this.cache.backend.set(region, STAMP_KEY, fresh, STAMP_TTL_SECONDS);
    // Read back: with Redis down the write did not happen and nothing may be trusted.
    const stored = await this.cache.backend.get(region, STAMP_KEY);
    return stored ?? null;
  }

  /** The stamps of several regions joined, or null when any is unavailable. */
  async stamps(regions: readonly string[]): Promise<string | null> {
    const values = await Promise.all(regions.map((r) => this.stamp(r)));
    if (values.some((v) => v === null)) return null;
    return values.join('.');
  }
}
