/**
 * /v3/OS-FEDERATION: identity providers, their protocols, mappings and
 * service providers (Keystone 22's api/os_federation.py): PUT creates under
 * the id of the URL (201), PATCH updates, DELETE answers 204; the IdP and
 * SP lists filter on id and enabled.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { authorize } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { renderCollection } from '../collection.js';
import { pathParam } from '../request-params.js';
import { bodyMember, filterRendered, isPlainObject, normalizeKeys, rejectNul } from './request-input.js';
import {
  FEDERATION_PARAM,
  FEDERATION_REL,
  renderIdentityProvider,
  renderMapping,
  renderProtocol,
  renderProtocolInList,
  renderServiceProvider,
} from './federation-render.js';
import {
  IDENTITY_PROVIDER_CREATE,
  IDENTITY_PROVIDER_UPDATE,
  PROTOCOL_CREATE,
  PROTOCOL_UPDATE,
  SERVICE_PROVIDER_CREATE,
  SERVICE_PROVIDER_UPDATE,
} from './federation-schemas.js';
import type { MappingInput } from '../../federation/federation-manager.js';

const IDPS = '/v3/OS-FEDERATION/identity_providers';
const IDP = `${IDPS}/:idp_id`;
const PROTOCOLS = `${IDP}/protocols`;
const PROTOCOL = `${PROTOCOLS}/:protocol_id`;
const MAPPINGS = '/v3/OS-FEDERATION/mappings';
const MAPPING = `${MAPPINGS}/:mapping_id`;
const SPS = '/v3/OS-FEDERATION/service_providers';
const SP = `${SPS}/:sp_id`;

const params = (...names: string[]) => Object.fromEntries(names.map((n) => [n, FEDERATION_PARAM + n]));

/** The member object of the body (`{}` when absent), NUL refused; the schema checks it next (its keys need no normalizing). */
function member(req: Request, key: string): unknown {
  const body = bodyMember(req.body, key);
  rejectNul(body);
  return body;
}

export function registerFederationRoutes(routes: RouteTable, providers: ProviderApi): void {
  const fed = providers.federation_api;
  const listLimit = () => providers.conf.DEFAULT.list_limit ?? null;

  // ---- identity providers ----------------------------------------------------------
  const listIdps = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_identity_providers');
    const rendered = (await fed.listIdentityProviders()).map((idp) => renderIdentityProvider(req, idp));
    res.json(renderCollection(req, 'identity_providers', filterRendered(req, rendered, ['id'], ['enabled']), listLimit()));
  };
  const getIdp = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_identity_provider');
    res.json({ identity_provider: renderIdentityProvider(req, await fed.getIdentityProvider(pathParam(req, 'idp_id'))) });
  };
  const createIdp = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_identity_provider');
    const body = validateBody(IDENTITY_PROVIDER_CREATE, member(req, 'identity_provider'));
    const idp = await fed.createIdentityProvider(pathParam(req, 'idp_id'), body);
    res.status(201).json({ identity_provider: renderIdentityProvider(req, idp) });
  };
  const updateIdp = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:update_identity_provider');
    const body = validateBody(IDENTITY_PROVIDER_UPDATE, member(req, 'identity_provider'));
    res.json({ identity_provider: renderIdentityProvider(req, await fed.updateIdentityProvider(pathParam(req, 'idp_id'), body)) });
  };
  const deleteIdp = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_identity_provider');
    await fed.deleteIdentityProvider(pathParam(req, 'idp_id'));
    res.status(204).end();
  };
  const idpRel = { rel: `${FEDERATION_REL}identity_provider`, params: params('idp_id') };
  routes.getAndHead(IDPS, listIdps, { policy: 'identity:list_identity_providers', rel: `${FEDERATION_REL}identity_providers` });
  routes.getAndHead(IDP, getIdp, { policy: 'identity:get_identity_provider', ...idpRel });
  routes.put(IDP, createIdp, { policy: 'identity:create_identity_provider', ...idpRel });
  routes.patch(IDP, updateIdp, { policy: 'identity:update_identity_provider', ...idpRel });
  routes.delete(IDP, deleteIdp, { policy: 'identity:delete_identity_provider', ...idpRel });

  // ---- protocols ---------------------------------------------------------------------
  const listProtocols = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_protocols');
    const rendered = (await fed.listProtocols(pathParam(req, 'idp_id'))).map((p) => renderProtocolInList(req, p));
    res.json(renderCollection(req, 'protocols', rendered, null));
  };
  const getProtocol = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_protocol');
    res.json({ protocol: renderProtocol(req, await fed.getProtocol(pathParam(req, 'idp_id'), pathParam(req, 'protocol_id'))) });
  };
  const createProtocol = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_protocol');
    const body = validateBody(PROTOCOL_CREATE, member(req, 'protocol'));
    const protocol = await fed.createProtocol(pathParam(req, 'idp_id'), pathParam(req, 'protocol_id'), body);
    res.status(201).json({ protocol: renderProtocol(req, protocol) });
  };
  const updateProtocol = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:update_protocol');
    const body = validateBody(PROTOCOL_UPDATE, member(req, 'protocol'));
    const protocol = await fed.updateProtocol(pathParam(req, 'idp_id'), pathParam(req, 'protocol_id'), body);
    res.json({ protocol: renderProtocol(req, protocol) });
  };
  const deleteProtocol = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_protocol');
    await fed.deleteProtocol(pathParam(req, 'idp_id'), pathParam(req, 'protocol_id'));
    res.status(204).end();
  };
  const protocolRel = { rel: `${FEDERATION_REL}identity_provider_protocol`, params: params('idp_id', 'protocol_id') };
  routes.getAndHead(PROTOCOLS, listProtocols, {
    policy: 'identity:list_protocols',
    rel: `${FEDERATION_REL}identity_provider_protocols`,
    params: params('idp_id'),
  });
  routes.getAndHead(PROTOCOL, getProtocol, { policy: 'identity:get_protocol', ...protocolRel });
  routes.put(PROTOCOL, createProtocol, { policy: 'identity:create_protocol', ...protocolRel });
  routes.patch(PROTOCOL, updateProtocol, { policy: 'identity:update_protocol', ...protocolRel });
  routes.delete(PROTOCOL, deleteProtocol, { policy: 'identity:delete_protocol', ...protocolRel });

  // ---- mappings ------------------------------------------------------------------------
  // normalized, then validate_mapping_structure (in the manager) refuses anything but an object with valid rules
  const mappingBody = (req: Request): MappingInput => {
    const body = member(req, 'mapping');
    return (isPlainObject(body) ? normalizeKeys(body) : body) as MappingInput;
  };
  const listMappings = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_mappings');
    res.json(
      renderCollection(
        req,
        'mappings',
        (await fed.listMappings()).map((m) => renderMapping(req, m)),
        null,
      ),
    );
  };
  const getMapping = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_mapping');
    res.json({ mapping: renderMapping(req, await fed.getMapping(pathParam(req, 'mapping_id'))) });
  };
  const createMapping = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_mapping');
    res.status(201).json({ mapping: renderMapping(req, await fed.createMapping(pathParam(req, 'mapping_id'), mappingBody(req))) });
  };
  const updateMapping = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:update_mapping');
    res.json({ mapping: renderMapping(req, await fed.updateMapping(pathParam(req, 'mapping_id'), mappingBody(req))) });
  };
  const deleteMapping = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_mapping');
    await fed.deleteMapping(pathParam(req, 'mapping_id'));
    res.status(204).end();
  };
  const mappingRel = { rel: `${FEDERATION_REL}mapping`, params: params('mapping_id') };
  routes.getAndHead(MAPPINGS, listMappings, { policy: 'identity:list_mappings', rel: `${FEDERATION_REL}mappings` });
  routes.getAndHead(MAPPING, getMapping, { policy: 'identity:get_mapping', ...mappingRel });
  routes.put(MAPPING, createMapping, { policy: 'identity:create_mapping', ...mappingRel });
  routes.patch(MAPPING, updateMapping, { policy: 'identity:update_mapping', ...mappingRel });
  routes.delete(MAPPING, deleteMapping, { policy: 'identity:delete_mapping', ...mappingRel });

  // ---- service providers ---------------------------------------------------------------
  const listSps = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_service_providers');
    const rendered = (await fed.listServiceProviders()).map((sp) => renderServiceProvider(req, sp));
    res.json(renderCollection(req, 'service_providers', filterRendered(req, rendered, ['id'], ['enabled']), listLimit()));
  };
  const getSp = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_service_provider');
    res.json({ service_provider: renderServiceProvider(req, await fed.getServiceProvider(pathParam(req, 'sp_id'))) });
  };
  const createSp = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_service_provider');
    const body = validateBody(SERVICE_PROVIDER_CREATE, member(req, 'service_provider'));
    res.status(201).json({ service_provider: renderServiceProvider(req, await fed.createServiceProvider(pathParam(req, 'sp_id'), body)) });
  };
  const updateSp = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:update_service_provider');
    const body = validateBody(SERVICE_PROVIDER_UPDATE, member(req, 'service_provider'));
    res.json({ service_provider: renderServiceProvider(req, await fed.updateServiceProvider(pathParam(req, 'sp_id'), body)) });
  };
  const deleteSp = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_service_provider');
    await fed.deleteServiceProvider(pathParam(req, 'sp_id'));
    res.status(204).end();
  };
  const spRel = { rel: `${FEDERATION_REL}service_provider`, params: params('sp_id') };
  routes.getAndHead(SPS, listSps, { policy: 'identity:list_service_providers', rel: `${FEDERATION_REL}service_providers` });
  routes.getAndHead(SP, getSp, { policy: 'identity:get_service_provider', ...spRel });
  routes.put(SP, createSp, { policy: 'identity:create_service_provider', ...spRel });
  routes.patch(SP, updateSp, { policy: 'identity:update_service_provider', ...spRel });
  routes.delete(SP, deleteSp, { policy: 'identity:delete_service_provider', ...spRel });
}
