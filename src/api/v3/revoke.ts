/** GET /v3/OS-REVOKE/events (?since=ISO time): the revocation events, as Keystone's api/os_revoke.py. */
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { ValidationError } from '../../common/errors.js';
import { secondsFromIso } from '../../common/time.js';
import { revokeEventToDict } from '../../revoke/revoke-model.js';
import { authorize } from '../authorize.js';

export function registerRevokeRoutes(routes: RouteTable, providers: ProviderApi): void {
  routes.getAndHead(
    '/v3/OS-REVOKE/events',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_revoke_events');
      const since = req.query.since;
      let sinceSeconds: number | undefined;
      if (since !== undefined && since !== '') {
        sinceSeconds = typeof since === 'string' ? secondsFromIso(since.trim()) : NaN;
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the message echoes a repeated or nested ?since as JavaScript prints it; kept
        if (Number.isNaN(sinceSeconds)) throw new ValidationError(`invalidate date format ${String(since)}`, false);
      }
      const events = await providers.revoke_api.listEvents(sinceSeconds);
      const body = JSON.stringify({
        events: events.map(revokeEventToDict),
        links: { next: null, self: `${req.keystone.baseUrl}/v3/OS-REVOKE/events`, previous: null },
      });
      res.status(200).setHeader('Content-Type', 'application/json');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      if (req.method === 'HEAD') res.end();
      else res.end(body);
    },
    { policy: 'identity:list_revoke_events', rel: 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-REVOKE/1.0/rel/events' },
  );
}
