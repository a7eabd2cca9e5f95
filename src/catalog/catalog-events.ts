/**
 * What was deleted from the catalog, for the subsystems that keep data about
 * regions, services and endpoints (Keystone's notification callbacks): the
 * endpoint policy manager drops the policy associations of what is gone.
 */
export type CatalogEvent =
  /** after the endpoint row is gone */
  | { type: 'endpoint.deleted'; endpointId: string }
  /** after the service and its endpoints are gone */
  | { type: 'service.deleted'; serviceId: string; endpointIds: string[] }
  /** after a region and its child regions are gone */
  | { type: 'regions.deleted'; regionIds: string[] };

export type CatalogListener = (event: CatalogEvent) => Promise<void> | void;

export class CatalogEvents {
  private readonly listeners: CatalogListener[] = [];

  on(listener: CatalogListener): void {
    this.listeners.push(listener);
  }

  async emit(event: CatalogEvent): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }
}
