/**
 * The ECP form of the assertion (Keystone's ECPGenerator): the Response in
 * a SOAP 1.1 envelope whose header carries the ECP RelayState (the service
 * provider's relay_state_prefix and a random hex), as keystoneauth1's
 * Keystone2Keystone plugin posts it on to the service provider.
 */
import { SAML } from './saml-names.js';
import type { XmlTree } from './xml-tree.js';

export function ecpEnvelopeTree(response: XmlTree, relayState: string): XmlTree {
  return {
    name: 'ns0:Envelope',
    children: [
      {
        name: 'ns0:Header',
        children: [
          {
            name: 'ns1:RelayState',
            attrs: { 'ns0:mustUnderstand': '1', 'ns0:actor': SAML.soapActorNext },
            text: relayState,
          },
        ],
      },
      { name: 'ns0:Body', children: [response] },
    ],
  };
}
