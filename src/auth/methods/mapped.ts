/**
 * The mapped method (Keystone's keystone.auth.plugins.mapped.Mapped), under every name Keystone loads
 * it by: `mapped`, `openid`, `saml2` (enabled in [auth] methods; the protocol auth endpoint uses the
 * protocol's id as the method name). `{identity_provider, protocol}`: the request's assertion (a
 * trusted front proxy's, or a natively validated bearer token's) through the protocol's mapping
 * (src/federation/mapped-sign-in.ts); `{id}`: a federated token exchanged, as the token method does.
 */
import type { ProviderApi } from '../../common/provider-api.js';
import { Unauthorized } from '../../common/errors.js';
import { isFederated } from '../../token/token-manager.js';
import { MappedSignIn } from '../../federation/mapped-sign-in.js';
import { ExpectingToFind } from '../auth-errors.js';
import type { ValidatedToken } from '../../token/token-model.js';
import type { AuthMethod, AuthMethodResult, AuthRequestContext } from './method.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The federated token of a `{id}` payload exchanged (Keystone's handle_scoped_token). */
export async function federatedTokenExchange(token: ValidatedToken, providers: ProviderApi): Promise<AuthMethodResult> {
  if (!isFederated(token)) throw new Unauthorized();
  const result = await new MappedSignIn(providers).rescope(token);
  return { userId: result.userId, federated: result.federated, expiresAt: result.expiresAt, extraMethods: token.methods };
}

async function signIn(payload: Record<string, unknown>, request: AuthRequestContext, providers: ProviderApi): Promise<AuthMethodResult> {
  const idpId = payload.identity_provider;
  if (typeof idpId !== 'string') throw new ExpectingToFind('identity_provider', 'mapped');
  const protocolId = payload.protocol;
  if (typeof protocolId !== 'string') throw new ExpectingToFind('protocol', 'mapped');
  if (!request.federatedAssertion) throw new Unauthorized();
  const signInFlow = new MappedSignIn(providers);
  const idp = await signInFlow.enabledIdentityProvider(idpId);
  const { assertion, issuerChecked } = await request.federatedAssertion(idp.remote_ids);
  const result = await signInFlow.signIn(idpId, protocolId, assertion, issuerChecked);
  return { userId: result.userId, federated: result.federated };
}

export function mappedMethod(name: string): AuthMethod {
  return {
    name,
    async authenticate(payload: unknown, request, providers: ProviderApi): Promise<AuthMethodResult> {
      if (isObject(payload) && 'id' in payload)
        return federatedTokenExchange(await providers.token_provider_api.validateToken(String(payload.id)), providers);
      return signIn(isObject(payload) ? payload : {}, request, providers);
    },
  };
}
