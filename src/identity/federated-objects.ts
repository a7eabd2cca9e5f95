/**
 * A user's federated objects: the federated identities (federated_user rows: IdP, protocol, unique id) a
 * user is linked to, as Keystone 22's user API shows and takes them in the `federated` attribute,
 * [{idp_id, protocols: [{protocol_id, unique_id}]}], grouped by IdP (Keystone's federated_objects_to_list).
 * The IdPs and protocols named are federation_api's: asked through `IdentityProviderLookup`, which the
 * federation manager satisfies, so that this room never imports that one.
 */
import { ValidationError } from '../common/errors.js';

/** One federated identity of a user, as stored. */
export interface FederatedObjectRow {
  idp_id: string;
  protocol_id: string;
  unique_id: string;
}

/** The `federated` attribute's item as a request carries it (other keys are ignored, as Keystone does). */
export interface FederatedObject {
  idp_id: string;
  protocols: readonly { protocol_id: string; unique_id: string }[];
}

/** What the identity manager asks of federation_api: whether an IdP, and a protocol of it, exist. */
export interface IdentityProviderLookup {
  findIdentityProvider(idpId: string): Promise<object | null>;
  findProtocol(idpId: string, protocolId: string): Promise<object | null>;
}

/** Keystone's federated_objects_to_list: rows grouped under their IdP, in the order first seen. */
export function groupFederatedObjects(rows: readonly FederatedObjectRow[]): FederatedObject[] {
  const byIdp = new Map<string, { idp_id: string; protocols: { protocol_id: string; unique_id: string }[] }>();
  for (const row of rows) {
    let entry = byIdp.get(row.idp_id);
    if (!entry) byIdp.set(row.idp_id, (entry = { idp_id: row.idp_id, protocols: [] }));
    entry.protocols.push({ protocol_id: row.protocol_id, unique_id: row.unique_id });
  }
  return [...byIdp.values()];
}

/** One row per protocol of each object. */
export function federatedObjectRows(objects: readonly FederatedObject[]): FederatedObjectRow[] {
  return objects.flatMap((o) => o.protocols.map((p) => ({ idp_id: o.idp_id, protocol_id: p.protocol_id, unique_id: p.unique_id })));
}

/** Keystone's _validate_federated_objects: every IdP, and every protocol under it, must exist (400 otherwise). */
export async function assertFederatedObjectsExist(lookup: IdentityProviderLookup, objects: readonly FederatedObject[]): Promise<void> {
  for (const object of objects) {
    if (!(await lookup.findIdentityProvider(object.idp_id)))
      throw new ValidationError(`Could not find Identity Provider: ${object.idp_id}`, false);
    for (const protocol of object.protocols) {
      if (!(await lookup.findProtocol(object.idp_id, protocol.protocol_id)))
        throw new ValidationError(
          `Could not find federated protocol ${protocol.protocol_id} for Identity Provider: ${object.idp_id}.`,
          false,
        );
    }
  }
}
