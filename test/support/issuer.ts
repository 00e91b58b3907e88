/**
 * A token issuer for OAuth tests: RSA signing keys published as a JWKS by a real HTTP server on
 * loopback, keys that can be rotated while it runs, and access tokens signed with jose.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
  pem: string;
}

export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicKey, jwk, pem: await exportSPKI(publicKey) };
}

export interface TestIssuer {
  /** `http://127.0.0.1:<port>`, also the `iss` of its tokens. */
  url: string;
  jwksUrl: string;
  /** The keys the JWKS currently publishes. */
  published: SigningKey[];
  /** How many times the JWKS was fetched. */
  fetches(): number;
  /** Answer the JWKS with this status instead (a broken issuer). */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export async function startIssuer(keys: SigningKey[]): Promise<TestIssuer> {
  let fetches = 0;
  let failure: number | undefined;
  const issuer: Partial<TestIssuer> & { published: SigningKey[] } = { published: keys };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    fetches += 1;
    if (failure !== undefined) {
      res.writeHead(failure).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: issuer.published.map((key) => key.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(issuer, {
    url,
    jwksUrl: `${url}/jwks`,
    fetches: () => fetches,
    failWith: (status: number | undefined) => {
      failure = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

export interface TokenOptions {
  key: SigningKey;
  issuer: string;
  audience: string;
  scope?: string;
  subject?: string;
  clientId?: string;
  /** Seconds from now. */
  expiresIn?: number;
  notBeforeIn?: number;
  claims?: JWTPayload;
}

export async function accessToken(options: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    client_id: options.clientId ?? 'pacs-viewer',
    ...options.claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: options.key.kid, typ: 'at+jwt' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject ?? 'dr-house')
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 300));
  if (options.notBeforeIn !== undefined) jwt.setNotBefore(now + options.notBeforeIn);
  return jwt.sign(options.key.privateKey);
}

/** base64url of a JSON value, for hand-made tokens. */
export function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
