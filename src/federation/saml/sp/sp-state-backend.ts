/** What the SAML service provider keeps between requests (its SQL backend: sp-state-repository.ts). */

/** What binds a WebSSO AuthnRequest to the browser that was sent with it, and where its token goes. */
export interface WebSsoBinding {
  /** sha256 (hex) of the RelayState sent with the request */
  relayStateHash: string;
  /** sha256 (hex) of the browser's binding cookie */
  browserHash: string;
  /** the trusted dashboard the token goes to */
  origin: string;
}

/** A WebSSO AuthnRequest taken by its RelayState. */
export interface TakenWebSsoRequest {
  requestId: string;
  idpId: string;
  protocolId: string;
  browserHash: string;
  origin: string;
  expiresAtMs: number;
}

export interface SamlSpStateBackend {
  /** an AuthnRequest sent for this identity provider's protocol, answerable until expiresAtMs (through a browser: with its binding) */
  rememberRequest(requestId: string, idpId: string, protocolId: string, expiresAtMs: number, webSso?: WebSsoBinding): Promise<void>;
  /** takes the unexpired ECP request (true once), if it was sent for this identity provider's protocol */
  takeRequest(requestId: string, idpId: string, protocolId: string, nowMs: number): Promise<boolean>;
  /** takes (deletes) the WebSSO request sent with this RelayState, whatever it is; null when there is none */
  takeWebSsoRequest(relayStateHash: string): Promise<TakenWebSsoRequest | null>;
  /** records an assertion as consumed until expiresAtMs; false when it was consumed before */
  consumeAssertion(assertionKey: string, expiresAtMs: number): Promise<boolean>;
  /** forgets requests and assertions past their time */
  purge(nowMs: number): Promise<void>;
}
