/**
 * The service provider's own key pair ([saml2] certfile and keyfile, as mod_shib's CredentialResolver):
 * its certificate is published in our metadata, its key signs WebSSO's AuthnRequests (the HTTP-Redirect
 * binding's detached signature, RSA-SHA256). Both files are read at each use, so that a replaced pair is
 * used at once, as Keystone reads [saml] keyfile at each signature.
 */
import { X509Certificate, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The pair cannot be used (unreadable, not PEM, not RSA, not a pair). */
export class SpCredentialUnusable extends Error {}

export class SpSigningCredential {
  constructor(
    private readonly certfile: string | null,
    private readonly keyfile: string | null,
  ) {}

  /** Whether the service provider has a key pair to sign with. */
  get configured(): boolean {
    return Boolean(this.certfile && this.keyfile);
  }

  private certificate(): X509Certificate {
    if (!this.certfile) throw new SpCredentialUnusable('[saml2] certfile is not set');
    try {
      return new X509Certificate(readFileSync(this.certfile));
    } catch (err) {
      throw new SpCredentialUnusable(`[saml2] certfile ${this.certfile}: ${(err as Error).message}`);
    }
  }

  /** The certificate's DER in base64, as ds:X509Certificate carries it; null when no pair is configured. */
  certificateBase64(): string | null {
    return this.configured ? this.certificate().raw.toString('base64') : null;
  }

  /** The RSA-SHA256 signature (base64) of `octets` with the key, which must be the certificate's. */
  sign(octets: string): string {
    if (!this.keyfile) throw new SpCredentialUnusable('[saml2] keyfile is not set');
    let key;
    try {
      key = createPrivateKey(readFileSync(this.keyfile));
    } catch (err) {
      throw new SpCredentialUnusable(`[saml2] keyfile ${this.keyfile}: ${(err as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'rsa') throw new SpCredentialUnusable(`[saml2] keyfile ${this.keyfile} is not an RSA key`);
    if (!this.certificate().checkPrivateKey(key)) throw new SpCredentialUnusable('[saml2] keyfile is not the key of [saml2] certfile');
    return sign('sha256', Buffer.from(octets, 'utf8'), key).toString('base64');
  }
}
