/** The v3 catalog in v2.0 form: per service, one endpoint per region with publicURL, internalURL and adminURL. */
import type { CatalogEntry } from '../../catalog/catalog-types.js';

export interface V2Endpoint {
  id: string;
  region: string | null;
  publicURL?: string;
  internalURL?: string;
  adminURL?: string;
  [extra: string]: unknown;
}

function regionEndpoints(entry: CatalogEntry): V2Endpoint[] {
  const byRegion = new Map<string, V2Endpoint>();
  for (const e of entry.endpoints) {
    const region = e.region_id ?? e.region ?? null;
    const key = region ?? '';
    let v2 = byRegion.get(key);
    if (!v2) {
      v2 = { id: e.id, region };
      byRegion.set(key, v2);
    }
    v2[`${e.interface}URL`] = e.url;
  }
  return [...byRegion.values()];
}

export function v2ServiceCatalog(catalog: CatalogEntry[]): Record<string, unknown>[] {
  return catalog.map((entry) => ({ endpoints: regionEndpoints(entry), endpoints_links: [], type: entry.type, name: entry.name }));
}

/** GET /v2.0/tokens/{id}/endpoints: every endpoint with its service's name and type. */
export function v2EndpointList(catalog: CatalogEntry[]): Record<string, unknown>[] {
  return catalog.flatMap((entry) => regionEndpoints(entry).map((e) => ({ ...e, name: entry.name, type: entry.type })));
}
