/**
 * Validates OAuth 2.0 JWT access tokens (RFC 9068 "JWT Profile for OAuth 2.0 Access Tokens") with
 * `jose`: the signature against the issuer's JWKS (fetched once, cached, fetched again when a
 * token names an unknown `kid`, at most once per cooldown) or a configured public key; `iss`,
 * `aud`, `exp` and `nbf` with a small clock skew; and only asymmetric algorithms, so neither an
 * unsigned token (`alg: none`) nor an HMAC token keyed with the public key (RFC 8725 §2.1, §3.1)
 * is ever accepted.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { scopeTokens } from './scopes.js';

/** RFC 7518 §3.1 / RFC 8037: RSA, RSA-PSS, ECDSA and EdDSA signatures. No `none`, no `HS*`. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  /** Where the issuer publishes its signing keys; exclusive with `publicKeyPem`. */
  jwksUrl?: string;
  /** One SPKI PEM public key, for issuers without a JWKS endpoint. */
  publicKeyPem?: string;
  /** Least time between two JWKS fetches caused by unknown `kid`s (jose's `cooldownDuration`). */
  jwksCooldownMs: number;
  /** Tolerated clock difference for `exp`, `nbf` and `iat`. */
  clockSkewMs: number;
  /** Timeout of one JWKS fetch. */
  jwksTimeoutMs?: number;
}

/** Who a valid token speaks for, and what it grants. */
export interface TokenClaims {
  subject?: string;
  /** RFC 9068 `client_id` (or OpenID `azp`). */
  clientId?: string;
  scopes: string[];
  /** `exp` in milliseconds since the epoch. */
  expiresAt?: number;
}

/** The token itself is not acceptable: answered 401 `invalid_token`. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** The issuer's keys could not be obtained: the token cannot be judged now (503). */
export class SigningKeysUnavailableError extends Error {
  override readonly name = 'SigningKeysUnavailableError';
}

export type AccessTokenVerifier = (token: string) => Promise<TokenClaims>;

/** A key lookup that tells "no key fits this token" (the token's fault) from "no keys at all". */
function remoteKeys(url: string, settings: AccessTokenSettings): JWTVerifyGetKey {
  const jwks = createRemoteJWKSet(new URL(url), {
    cooldownDuration: settings.jwksCooldownMs,
    ...(settings.jwksTimeoutMs === undefined ? {} : { timeoutDuration: settings.jwksTimeoutMs }),
  });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new SigningKeysUnavailableError(`The issuer's signing keys could not be fetched from ${url}`, { cause: error });
    }
  };
}

function claimsOf(payload: JWTPayload): TokenClaims {
  const subject = typeof payload.sub === 'string' ? payload.sub : undefined;
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : undefined;
  return {
    ...(subject === undefined ? {} : { subject }),
    ...(clientId === undefined ? {} : { clientId }),
    scopes: payload.scope !== undefined ? scopeTokens(payload.scope) : scopeTokens(payload.scp),
    ...(payload.exp === undefined ? {} : { expiresAt: payload.exp * 1000 }),
  };
}

/** Why a token failed, in words safe to send back (`error_description`): never the token itself. */
function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The access token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `The access token's "${error.claim}" claim is not acceptable (${error.reason})`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The access token is not signed with an accepted algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The access token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return "The access token's signing key is not among the issuer's keys";
  if (error instanceof errors.JWKSMultipleMatchingKeys) return "The access token names no single key of the issuer's";
  return 'The access token is malformed or not a signed JWT';
}

export function createAccessTokenVerifier(settings: AccessTokenSettings): AccessTokenVerifier {
  if ((settings.jwksUrl === undefined) === (settings.publicKeyPem === undefined)) {
    throw new Error('An access token verifier needs exactly one of a JWKS URL and a public key');
  }
  const key: JWTVerifyGetKey | KeyObject =
    settings.jwksUrl !== undefined ? remoteKeys(settings.jwksUrl, settings) : createPublicKey(settings.publicKeyPem as string);
  const options = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: ALLOWED_ALGORITHMS,
    clockTolerance: Math.round(settings.clockSkewMs / 1000),
    requiredClaims: ['exp'],
  };
  return async (token) => {
    try {
      const { payload } =
        typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      return claimsOf(payload);
    } catch (error) {
      if (error instanceof SigningKeysUnavailableError) throw error;
      throw new InvalidTokenError(reasonOf(error), { cause: error });
    }
  };
}
