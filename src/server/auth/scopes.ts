/**
 * SMART on FHIR scopes (App Launch 2.x §"Scopes and Launch Context"): which granted scope lets a
 * client read, search or administer this bridge. Both spellings are understood: v2
 * `system/ImagingStudy.rs` (letters from `cruds`, in that order) and v1 `user/ImagingStudy.read`,
 * `.write`, `.*`. `patient/` scopes restrict a client to one launch patient, which this bridge
 * cannot resolve (it holds no Patient resources), so they never grant access; they are reported
 * apart so the refusal can say why.
 */

/** What a request needs: `r` (read, vread, history), `s` (search) or the bridge's own admin scope. */
export type Access = 'read' | 'search' | 'admin';

/** The one scope that opens the admin endpoints (`/push/*`, `/admin/*`). */
export const ADMIN_SCOPE = 'system/dicom2fhir.admin';

/** The resource type every read and search of this API is about. */
const RESOURCE = 'ImagingStudy';

export interface ResourceScope {
  context: 'patient' | 'user' | 'system';
  /** A resource type or `*`. */
  resource: string;
  /** v2 permission letters this scope grants (v1 `read` = `rs`, `write` = `cud`, `*` = `cruds`). */
  permissions: Set<string>;
  /** A v2 granular scope (`?category=…`) narrows what it grants in ways this bridge cannot check. */
  constrained: boolean;
}

const V1_PERMISSIONS: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };
const V2_PERMISSIONS = /^c?r?u?d?s?$/;

/** Parses one scope token; undefined for anything that is not a resource scope (openid, launch…). */
export function parseResourceScope(scope: string): ResourceScope | undefined {
  const match = /^(patient|user|system)\/([A-Za-z]+|\*)\.([a-z*]+)(\?.*)?$/.exec(scope);
  if (match === null) return undefined;
  const [, context, resource, spelled, query] = match as unknown as [string, ResourceScope['context'], string, string, string | undefined];
  const letters = V1_PERMISSIONS[spelled] ?? (V2_PERMISSIONS.test(spelled) ? spelled : undefined);
  if (letters === undefined || letters === '') return undefined;
  return { context, resource, permissions: new Set(letters), constrained: query !== undefined };
}

/** Splits an OAuth `scope` claim (RFC 6749 §3.3: space-delimited) or an `scp` array into tokens. */
export function scopeTokens(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(' ').filter((token) => token !== '');
  if (Array.isArray(claim)) return claim.filter((token): token is string => typeof token === 'string' && token !== '');
  return [];
}

export type ScopeDecision = 'granted' | 'patient-only' | 'insufficient';

const LETTER: Record<Exclude<Access, 'admin'>, string> = { read: 'r', search: 's' };

/**
 * Whether `scopes` allow `access`: a `user/` or `system/` scope on ImagingStudy or `*` with the
 * needed letter (and no granular constraint) for reads and searches; exactly `ADMIN_SCOPE` for the
 * admin endpoints. `patient-only` when only a `patient/` scope would have fitted.
 */
export function decideScopes(scopes: readonly string[], access: Access): ScopeDecision {
  if (access === 'admin') return scopes.includes(ADMIN_SCOPE) ? 'granted' : 'insufficient';
  const letter = LETTER[access];
  let patientOnly = false;
  for (const token of scopes) {
    const scope = parseResourceScope(token);
    if (scope === undefined || scope.constrained || !scope.permissions.has(letter)) continue;
    if (scope.resource !== RESOURCE && scope.resource !== '*') continue;
    if (scope.context === 'patient') patientOnly = true;
    else return 'granted';
  }
  return patientOnly ? 'patient-only' : 'insufficient';
}

/** The scope to name in a 403's `WWW-Authenticate: … scope="…"` (RFC 6750 §3). */
export function requiredScope(access: Access): string {
  return access === 'admin' ? ADMIN_SCOPE : `system/${RESOURCE}.${LETTER[access]}`;
}
