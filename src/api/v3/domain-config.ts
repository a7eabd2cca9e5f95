/** /v3/domains/{domain_id}/config… and /v3/domains/config/…/default (Keystone's domain-specific configuration API). */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { authorize } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { optionalPathParam, pathParam } from '../request-params.js';

const CONFIG_BODY = {
  type: 'object',
  properties: { config: { type: 'object' } },
  required: ['config'],
} as const;

export function registerDomainConfigRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { domain_config_api: domainConfig, resource_api: resource } = providers;
  const params = (req: Request) => ({
    domainId: pathParam(req, 'domain_id'),
    group: optionalPathParam(req, 'group'),
    option: optionalPathParam(req, 'option'),
  });

  const show = async (req: Request, res: Response) => {
    const { domainId, group, option } = params(req);
    // Existence is checked after enforcement so that it does not leak.
    const domain = await resource.findDomain(domainId);
    if (group === 'security_compliance') {
      await authorize(req, providers, 'identity:get_security_compliance_domain_config', { domain_id: domainId });
      if (!domain) await resource.getDomain(domainId);
      res.json({ config: domainConfig.getSecurityComplianceConfig(domainId, option) });
      return;
    }
    await authorize(req, providers, 'identity:get_domain_config', { domain_id: domainId });
    if (!domain) await resource.getDomain(domainId);
    res.json({ config: await domainConfig.getConfig(domainId, group, option) });
  };

  const update = async (req: Request, res: Response) => {
    const { domainId, group, option } = params(req);
    await authorize(req, providers, 'identity:update_domain_config', { domain_id: domainId });
    await resource.getDomain(domainId);
    const body = validateBody(CONFIG_BODY, req.body);
    res.json({ config: await domainConfig.updateConfig(domainId, body.config, group, option) });
  };

  const remove = async (req: Request, res: Response) => {
    const { domainId, group, option } = params(req);
    await authorize(req, providers, 'identity:delete_domain_config', { domain_id: domainId });
    await resource.getDomain(domainId);
    await domainConfig.deleteConfig(domainId, group, option);
    res.status(204).end();
  };

  const showDefault = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_domain_config_default');
    res.json({ config: domainConfig.getDefaultConfig(optionalPathParam(req, 'group'), optionalPathParam(req, 'option')) });
  };

  routes.getAndHead('/v3/domains/config/default', showDefault, {
    policy: 'identity:get_domain_config_default',
    rel: 'domain_config_default',
  });
  routes.getAndHead('/v3/domains/config/:group/default', showDefault, {
    policy: 'identity:get_domain_config_default',
    rel: 'domain_config_default_group',
  });
  routes.getAndHead('/v3/domains/config/:group/:option/default', showDefault, {
    policy: 'identity:get_domain_config_default',
    rel: 'domain_config_default_option',
  });

  routes.put(
    '/v3/domains/:domain_id/config',
    async (req, res) => {
      const { domainId } = params(req);
      await authorize(req, providers, 'identity:create_domain_config', { domain_id: domainId });
      await resource.getDomain(domainId);
      const body = validateBody(CONFIG_BODY, req.body);
      const existed = await domainConfig.hasConfig(domainId);
      const config = await domainConfig.createConfig(domainId, body.config);
      res.status(existed ? 200 : 201).json({ config });
    },
    { policy: 'identity:create_domain_config', rel: 'domain_config' },
  );
  for (const [path, rel] of [
    ['/v3/domains/:domain_id/config', 'domain_config'],
    ['/v3/domains/:domain_id/config/:group', 'domain_config_group'],
    ['/v3/domains/:domain_id/config/:group/:option', 'domain_config_option'],
  ] as const) {
    routes.getAndHead(path, show, { policy: ['identity:get_domain_config', 'identity:get_security_compliance_domain_config'], rel });
    routes.patch(path, update, { policy: 'identity:update_domain_config', rel });
    routes.delete(path, remove, { policy: 'identity:delete_domain_config', rel });
  }
}
