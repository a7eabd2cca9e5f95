/** A service with one enabled public endpoint in RegionOne, created through the catalog manager (the tests of catalog changes). */
import type { TestServer } from './test-server.js';

export async function addPublicEndpoint(
  server: TestServer,
  type: string,
  name: string,
  url: string,
): Promise<{ serviceId: string; endpointId: string }> {
  const service = await server.providers.catalog_api.createService({ type, name, enabled: true });
  const endpoint = await server.providers.catalog_api.createEndpoint({
    serviceId: service.id,
    interface: 'public',
    url,
    regionId: 'RegionOne',
    enabled: true,
  });
  return { serviceId: service.id, endpointId: endpoint.id };
}
