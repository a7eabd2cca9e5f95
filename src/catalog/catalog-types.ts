export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface Region {
  id: string;
  description: string;
  parentRegionId: string | null;
  extra: Record<string, unknown>;
}
export interface Service {
  id: string;
  type: string;
  enabled: boolean;
  name: string;
  description?: string;
  extra: Record<string, unknown>;
}
export interface Endpoint {
  id: string;
  interface: EndpointInterface;
  serviceId: string;
  url: string;
  enabled: boolean;
  regionId: string | null;
  legacyEndpointId: string | null;
  extra: Record<string, unknown>;
}

/** OS-EP-FILTER: endpoints chosen by service_id / region_id / interface. */
export interface EndpointGroup {
  id: string;
  name: string;
  description: string | null;
  filters: Record<string, unknown>;
}

/** One service of a v3 token's catalog. */
export interface CatalogEntry {
  endpoints: { id: string; interface: string; region: string | null; region_id: string | null; url: string; [extra: string]: unknown }[];
  id: string;
  type: string;
  name: string;
}
