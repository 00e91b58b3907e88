/**
 * Who may do what on the API, in one place: the static `API_TOKEN` (simple mode), OAuth 2.0 JWT
 * access tokens with SMART scopes (hospital mode), and requests without credentials where the
 * configuration allows them. Refusals follow RFC 6750 §3: 401 with `error="invalid_token"` for a
 * credential that is not acceptable, a bare `Bearer` challenge when none was sent, and 403 with
 * `error="insufficient_scope"` for a valid token that does not allow the request.
 *
 * Verified tokens are remembered (until `exp`, at most a minute) so the synchronous direct read can
 * accept a token the router verified moments before without a signature check per request.
 */
import { forbidden, OperationOutcomeError, serviceUnavailable, unauthenticated, unauthorized } from '../outcomes.js';
import { bearerToken, tokenMatcher } from '../auth.js';
import { InvalidTokenError, SigningKeysUnavailableError, type AccessTokenVerifier, type TokenClaims } from './access-token.js';
import { decideScopes, requiredScope, type Access } from './scopes.js';

export type Principal =
  | { kind: 'api-token' }
  | { kind: 'anonymous' }
  | { kind: 'oauth'; subject?: string; clientId?: string; scopes: string[] };

/** The `who` of an audit line: the token's subject or client, "api-token" or "anonymous". */
export function principalName(principal: Principal): string {
  if (principal.kind !== 'oauth') return principal.kind;
  return principal.subject ?? principal.clientId ?? 'unknown-subject';
}

export interface AuthorizerOptions {
  apiToken?: string;
  /** OAuth 2.0 mode: validates JWT access tokens. */
  accessTokens?: AccessTokenVerifier;
  /** Requests without `Authorization` may read and search. */
  anonymousReads: boolean;
  /** Requests without `Authorization` may use the admin endpoints (no credential mode configured, loopback). */
  anonymousAdmin: boolean;
  /** Clock for the verified-token memory; tests move it. */
  now?: () => number;
}

/** A refusal that carries its `WWW-Authenticate` challenge; the principal is known for a 403. */
/** Admin endpoints change what reaches patients' records: never open, even on loopback. */
const ADMIN_NEEDS_CREDENTIALS = unauthenticated('The admin endpoints need credentials: set API_TOKEN (or OAuth with the scope system/dicom2fhir.admin)');

export class AccessDeniedError extends OperationOutcomeError {
  constructor(
    outcome: OperationOutcomeError['outcome'],
    readonly challenge: string,
    readonly principal: Principal | undefined,
    options?: { cause?: unknown },
  ) {
    super(outcome, options);
  }
}

export interface Authorizer {
  /** The principal allowed to do `access`; throws `AccessDeniedError` (401/403) or a 503 outcome. */
  authorize(authorization: string | undefined, access: Access): Promise<Principal>;
  /** The same decision when it needs no I/O and allows the request; undefined leaves it to `authorize`. */
  authorizeNow(authorization: string | undefined, access: Access): Principal | undefined;
  /** Whether OAuth 2.0 access tokens are accepted (SMART discovery is served). */
  readonly oauth: boolean;
}

const REALM = 'Bearer realm="dicom2fhir"';
/** How long a verified token is accepted without checking it again (bounded by its `exp`). */
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 10_000;

function quoted(text: string): string {
  return text.replace(/["\\]/g, "'");
}

function invalidToken(reason: string, cause?: unknown): AccessDeniedError {
  const challenge = `${REALM}, error="invalid_token", error_description="${quoted(reason)}"`;
  return new AccessDeniedError(unauthenticated(reason), challenge, undefined, { cause });
}

function insufficientScope(access: Access, principal: Principal, reason: string): AccessDeniedError {
  const challenge = `${REALM}, error="insufficient_scope", scope="${requiredScope(access)}", error_description="${quoted(reason)}"`;
  return new AccessDeniedError(forbidden(reason), challenge, principal);
}

function oauthPrincipal(claims: TokenClaims): Principal {
  return {
    kind: 'oauth',
    ...(claims.subject === undefined ? {} : { subject: claims.subject }),
    ...(claims.clientId === undefined ? {} : { clientId: claims.clientId }),
    scopes: claims.scopes,
  };
}

function checkScopes(principal: Principal & { kind: 'oauth' }, access: Access): void {
  const decision = decideScopes(principal.scopes, access);
  if (decision === 'granted') return;
  if (decision === 'patient-only') {
    throw insufficientScope(access, principal, 'patient/ scopes are not supported: this server cannot resolve a launch patient; use a user/ or system/ scope');
  }
  throw insufficientScope(access, principal, `The access token does not grant ${requiredScope(access)}`);
}

export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const { apiToken, accessTokens } = options;
  const now = options.now ?? Date.now;
  const isApiToken = apiToken === undefined ? () => false : tokenMatcher(apiToken);
  /** Verified tokens, with the principal and the scope decisions already made for them. */
  const remembered = new Map<string, { claims: TokenClaims; principal: Principal; granted: Partial<Record<Access, boolean>>; until: number }>();

  function anonymousAllowed(access: Access): boolean {
    return access === 'admin' ? options.anonymousAdmin : options.anonymousReads;
  }

  function remember(token: string, claims: TokenClaims): void {
    if (remembered.size >= REMEMBER_MAX) remembered.delete(remembered.keys().next().value as string);
    remembered.set(token, { claims, principal: oauthPrincipal(claims), granted: {}, until: Math.min(now() + REMEMBER_MS, claims.expiresAt ?? 0) });
  }

  function recalled(token: string): TokenClaims | undefined {
    return entryOf(token)?.claims;
  }

  function entryOf(token: string) {
    const entry = remembered.get(token);
    if (entry === undefined) return undefined;
    if (entry.until > now()) return entry;
    remembered.delete(token);
    return undefined;
  }

  async function verify(verifier: AccessTokenVerifier, token: string): Promise<TokenClaims> {
    const claims = await verifier(token).catch((error: unknown) => {
      if (error instanceof InvalidTokenError) throw invalidToken(error.message, error);
      if (error instanceof SigningKeysUnavailableError) {
        throw new OperationOutcomeError(serviceUnavailable('Access tokens cannot be checked now: the issuer signing keys are unavailable'), { cause: error });
      }
      throw error;
    });
    remember(token, claims);
    return claims;
  }

  /** No credential mode at all: an `Authorization` header cannot be judged and does not matter. */
  const open = apiToken === undefined && accessTokens === undefined;

  return {
    oauth: accessTokens !== undefined,

    authorizeNow(authorization, access) {
      if (authorization === undefined || open) return anonymousAllowed(access) ? { kind: 'anonymous' } : undefined;
      const token = bearerToken(authorization);
      if (token === undefined) return undefined;
      // A remembered access token first: its lookup is cheaper than the API token's digest.
      const entry = accessTokens === undefined ? undefined : entryOf(token);
      if (entry === undefined) return isApiToken(token) ? { kind: 'api-token' } : undefined;
      const granted = (entry.granted[access] ??= decideScopes(entry.claims.scopes, access) === 'granted');
      return granted ? entry.principal : undefined;
    },

    async authorize(authorization, access) {
      if (authorization === undefined || open) {
        if (anonymousAllowed(access)) return { kind: 'anonymous' };
        if (open && access === 'admin') throw new AccessDeniedError(ADMIN_NEEDS_CREDENTIALS, REALM, undefined);
        throw new AccessDeniedError(unauthorized, REALM, undefined);
      }
      const token = bearerToken(authorization);
      if (token === undefined) throw invalidToken('The Authorization header must be "Bearer <token>"');
      if (isApiToken(token)) return { kind: 'api-token' };
      if (accessTokens === undefined) throw invalidToken('The bearer token is not valid');
      const claims = recalled(token) ?? (await verify(accessTokens, token));
      const principal = oauthPrincipal(claims) as Principal & { kind: 'oauth' };
      checkScopes(principal, access);
      return principal;
    },
  };
}
