/**
 * Our identity provider for Keystone-to-Keystone (Keystone 22's
 * AuthFederationSaml2Resource, AuthFederationSaml2ECPResource and
 * SAML2MetadataResource):
 *   POST /v3/auth/OS-FEDERATION/saml2      a project-scoped token → a signed SAML Response (text/xml)
 *   POST /v3/auth/OS-FEDERATION/saml2/ecp  the same in an ECP SOAP envelope
 *   GET|HEAD /v3/OS-FEDERATION/saml2/metadata  the file keystone-manage saml_idp_metadata wrote
 * All three are public as in Keystone (unenforced_api): the token in the body is the proof.
 */
import { readFile } from 'node:fs/promises';
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { validateBody } from '../validate-body.js';
import { FEDERATION_REL } from './federation-render.js';
import {
  SamlAssertionIssuer,
  type IssuedSamlAssertion,
  type SamlAssertionRequest,
} from '../../federation/saml/idp/saml-assertion-issuer.js';
import { MetadataFileError } from '../../federation/saml/idp/idp-errors.js';
import { log } from '../../log/logger.js';

const ID_OBJECT = {
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
  additionalProperties: false,
} as const;

/** Keystone's federation schema saml_create, for the body's `auth`. */
const SAML_ASSERTION_CREATE = {
  type: 'object',
  properties: {
    identity: {
      type: 'object',
      properties: { token: ID_OBJECT, methods: { type: 'array' } },
      required: ['token'],
      additionalProperties: false,
    },
    scope: {
      type: 'object',
      properties: { service_provider: ID_OBJECT },
      required: ['service_provider'],
      additionalProperties: false,
    },
  },
  required: ['identity', 'scope'],
  additionalProperties: false,
} as const;

function assertionRequest(req: Request): SamlAssertionRequest {
  const body = req.body as { auth?: unknown } | undefined;
  const auth = validateBody(SAML_ASSERTION_CREATE, body?.auth);
  return { tokenId: auth.identity.token.id, serviceProviderId: auth.scope.service_provider.id };
}

function sendXml(res: Response, xml: string, headers: Record<string, string> = {}): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/xml');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Length', Buffer.byteLength(xml));
  if (res.req.method === 'HEAD') res.end();
  else res.end(xml);
}

function sendAssertion(res: Response, issued: IssuedSamlAssertion): void {
  sendXml(res, issued.xml, { 'X-sp-url': issued.serviceProvider.sp_url, 'X-auth-url': issued.serviceProvider.auth_url });
}

export function registerSamlIdpRoutes(routes: RouteTable, providers: ProviderApi): void {
  const issuer = new SamlAssertionIssuer(providers);
  const proof = { public: 'Keystone-to-Keystone: the project-scoped token in the body is the proof (Keystone: unenforced_api)' } as const;

  routes.post(
    '/v3/auth/OS-FEDERATION/saml2',
    async (req, res) => {
      sendAssertion(res, await issuer.response(assertionRequest(req)));
    },
    { ...proof, rel: `${FEDERATION_REL}saml2` },
  );
  routes.post(
    '/v3/auth/OS-FEDERATION/saml2/ecp',
    async (req, res) => {
      sendAssertion(res, await issuer.ecp(assertionRequest(req)));
    },
    { ...proof, rel: `${FEDERATION_REL}ecp` },
  );

  routes.getAndHead(
    '/v3/OS-FEDERATION/saml2/metadata',
    async (_req, res) => {
      const path = providers.conf.saml.idp_metadata_path;
      let metadata: string;
      try {
        metadata = await readFile(path, 'utf8');
      } catch (err) {
        const reason = (err as Error).message;
        log.error(`Error while reading metadata file: ${reason}.`);
        throw new MetadataFileError(reason);
      }
      sendXml(res, metadata);
    },
    { public: "the identity provider's published SAML metadata (Keystone: unenforced_api)", rel: `${FEDERATION_REL}metadata` },
  );
}
