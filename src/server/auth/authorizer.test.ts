import { describe, expect, it } from 'vitest';
import { getStatus } from '../outcomes.js';
import { InvalidTokenError, SigningKeysUnavailableError, type TokenClaims } from './access-token.js';
import { AccessDeniedError, createAuthorizer, principalName } from './authorizer.js';

const API_TOKEN = 'api-token-0123456789abcdef';

function verifier(claims: Record<string, TokenClaims>) {
  const calls: string[] = [];
  const verify = async (token: string): Promise<TokenClaims> => {
    calls.push(token);
    const found = claims[token];
    if (found === undefined) throw new InvalidTokenError('The access token signature is invalid');
    return found;
  };
  return { verify, calls };
}

async function refusal(promise: Promise<unknown>): Promise<[number, string | undefined]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error) || !('outcome' in error)) throw new Error('expected a refusal');
  return [getStatus((error as AccessDeniedError).outcome), error instanceof AccessDeniedError ? error.challenge : undefined];
}

describe('authorizer', () => {
  it('admits the API token for every access and nothing else without OAuth', async () => {
    const auth = createAuthorizer({ apiToken: API_TOKEN, anonymousReads: false, anonymousAdmin: false });
    for (const access of ['read', 'search', 'admin'] as const) {
      await expect(auth.authorize(`Bearer ${API_TOKEN}`, access)).resolves.toEqual({ kind: 'api-token' });
      expect(auth.authorizeNow(`bearer ${API_TOKEN}`, access)).toEqual({ kind: 'api-token' });
    }
    expect(await refusal(auth.authorize(undefined, 'read'))).toEqual([401, 'Bearer realm="dicom2fhir"']);
    expect(await refusal(auth.authorize('Bearer other', 'read'))).toEqual([401, expect.stringContaining('error="invalid_token"')]);
    expect(await refusal(auth.authorize(`Basic ${API_TOKEN}`, 'read'))).toEqual([401, expect.stringContaining('error="invalid_token"')]);
    expect(auth.authorizeNow(undefined, 'read')).toBeUndefined();
  });

  it('is open with no credential mode, for what the configuration allowed', async () => {
    const auth = createAuthorizer({ anonymousReads: true, anonymousAdmin: false });
    await expect(auth.authorize('Bearer anything', 'read')).resolves.toEqual({ kind: 'anonymous' });
    expect(auth.authorizeNow(undefined, 'search')).toEqual({ kind: 'anonymous' });
    expect(await refusal(auth.authorize(undefined, 'admin'))).toEqual([401, 'Bearer realm="dicom2fhir"']);
  });

  it('keeps the admin endpoints closed with no credential mode, saying what to configure', async () => {
    const auth = createAuthorizer({ anonymousReads: true, anonymousAdmin: false });
    const denied = await auth.authorize('Bearer anything', 'admin').then(
      () => undefined,
      (error: unknown) => error as AccessDeniedError,
    );
    expect(denied?.outcome.issue[0]?.details?.text).toMatch(/admin endpoints need credentials: set API_TOKEN/);
    expect(auth.authorizeNow(undefined, 'admin')).toBeUndefined();
  });

  it('remembers a verified token for the synchronous path until a minute has passed or it expires', async () => {
    let clock = 1_000_000;
    const { verify, calls } = verifier({
      long: { subject: 'alice', clientId: 'viewer', scopes: ['system/ImagingStudy.r'], expiresAt: clock + 3_600_000 },
      short: { clientId: 'batch', scopes: ['system/ImagingStudy.rs'], expiresAt: clock + 10_000 },
    });
    const auth = createAuthorizer({ accessTokens: verify, anonymousReads: false, anonymousAdmin: false, now: () => clock });
    expect(auth.authorizeNow('Bearer long', 'read')).toBeUndefined();
    const alice = await auth.authorize('Bearer long', 'read');
    expect([principalName(alice), auth.authorizeNow('Bearer long', 'read')]).toEqual(['alice', alice]);
    expect(auth.authorizeNow('Bearer long', 'search')).toBeUndefined();
    expect(await refusal(auth.authorize('Bearer long', 'search'))).toEqual([403, expect.stringContaining('error="insufficient_scope", scope="system/ImagingStudy.s"')]);
    expect(calls).toEqual(['long']);
    await auth.authorize('Bearer short', 'search');
    expect(principalName(auth.authorizeNow('Bearer short', 'search') ?? { kind: 'anonymous' })).toBe('batch');
    clock += 11_000;
    expect(auth.authorizeNow('Bearer short', 'search')).toBeUndefined();
    expect(auth.authorizeNow('Bearer long', 'read')).toEqual(alice);
    clock += 60_000;
    expect(auth.authorizeNow('Bearer long', 'read')).toBeUndefined();
    await auth.authorize('Bearer long', 'read');
    expect(calls).toEqual(['long', 'short', 'long']);
  });

  it('answers 401 invalid_token for a refused token and 503 while the keys are unavailable', async () => {
    const auth = createAuthorizer({
      accessTokens: async (token) => {
        if (token === 'down') throw new SigningKeysUnavailableError('no keys');
        throw new InvalidTokenError('The access token has expired');
      },
      anonymousReads: false,
      anonymousAdmin: false,
    });
    expect(await refusal(auth.authorize('Bearer old', 'read'))).toEqual([401, 'Bearer realm="dicom2fhir", error="invalid_token", error_description="The access token has expired"']);
    expect(await refusal(auth.authorize('Bearer down', 'read'))).toEqual([503, undefined]);
  });
});
