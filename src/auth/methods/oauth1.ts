/**
 * The oauth1 method (auth/plugins/oauth1.py): the request to POST
 * /v3/auth/tokens is itself signed (OAuth 1.0a, in its Authorization header)
 * with a consumer's key and an access token. It proves the user who
 * authorized the access token; the token is scoped to the access token's
 * project whatever the body asks (authenticate.ts), with the authorized
 * roles only (the token manager's mint), and carries the access token
 * (OS-OAUTH1): it cannot be rescoped, nor create trusts or application
 * credentials (a delegated method).
 */
import type { ProviderApi } from '../../common/provider-api.js';
import { ExpectingToFind } from '../auth-errors.js';
import { oauthHeaderValues } from '../../oauth1/signed-request.js';
import type { AuthMethod, AuthMethodResult } from './method.js';

export const oauth1Method: AuthMethod = {
  name: 'oauth1',
  async authenticate(_payload: unknown, request, providers: ProviderApi): Promise<AuthMethodResult> {
    const http = request.http;
    const accessTokenId = oauthHeaderValues(http?.authorization)?.get('oauth_token');
    if (!http || !accessTokenId) throw new ExpectingToFind('oauth_token', 'request');
    const proof = await providers.oauth_api.verifyResourceRequest(http, accessTokenId);
    return { userId: proof.userId, accessTokenId: proof.accessTokenId, projectId: proof.projectId };
  },
};
