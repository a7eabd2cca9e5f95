/**
 * SAML WebSSO through the native service provider: an AuthnRequest sent through the browser (HTTP-Redirect
 * binding) carries, beside its row of saml2_authn_request, the hash of the RelayState it was sent with, the
 * hash of the browser's binding cookie and the dashboard the token goes to. ECP requests leave them null.
 */
export const version = 8;
export const name = 'saml2 websso request';
export const sql = `
ALTER TABLE saml2_authn_request ADD COLUMN relay_state_hash char(64);
ALTER TABLE saml2_authn_request ADD COLUMN browser_hash char(64);
ALTER TABLE saml2_authn_request ADD COLUMN origin text;
CREATE UNIQUE INDEX ux_saml2_authn_request_relay_state_hash ON saml2_authn_request (relay_state_hash);
`;
