/** The URLs an identity provider sends the user or its answers back to (consumer URLs, redirect URIs), under the public endpoint. */

const idpProtocol = (idpId: string, protocolId: string) =>
  `identity_providers/${encodeURIComponent(idpId)}/protocols/${encodeURIComponent(protocolId)}`;

/** The protocol auth endpoint (ECP's consumer URL). */
export function protocolAuthPath(idpId: string, protocolId: string): string {
  return `/v3/OS-FEDERATION/${idpProtocol(idpId, protocolId)}/auth`;
}

/** WebSSO's way back from the identity provider: GET for OpenID Connect's redirect, POST for SAML's HTTP-POST binding. */
export function webSsoCallbackPath(idpId: string, protocolId: string): string {
  return `/v3/auth/OS-FEDERATION/${idpProtocol(idpId, protocolId)}/websso/callback`;
}
