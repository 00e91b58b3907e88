/**
 * Liveness and readiness probes. `/healthz` answers while the process lives (a restart would not
 * help anything else): it touches neither the store nor the network. `/readyz` means one thing
 * (SPEC §4, Health): 503 when the bridge cannot do its job (store unavailable, corrupt or full,
 * image source unreachable, …); 200 with `"status": "degraded"` and its reasons when it works
 * with a backlog (failed syncs waiting, parked pushes, …); 200 `"ready"` otherwise.
 *
 * Every condition is a `ReadinessCheck` returning zero or more `ReadinessReason`s; the bridge
 * lists them in one place (`readiness` in `HttpAppDeps`), so adding a condition is one line.
 * Reasons carry codes and counts, never UIDs or patient data.
 */
import type { StudyStore, SyncService } from '../../bridge/types.js';
import type { PushOutboxStatus } from '../../push/outbox.js';
import { allOk, serviceUnavailable } from '../outcomes.js';
import type { FhirResponse, JsonBody } from '../request.js';

/** `unavailable`: the bridge cannot do its job (503). `degraded`: it works, with a backlog (200). */
export type ReadinessImpact = 'unavailable' | 'degraded';

/** One reason the bridge is not simply ready. */
export interface ReadinessReason {
  /** Stable, machine-readable: `store-full`, `pacs-unreachable`, `sync-failures`… (README, /readyz table). */
  code: string;
  impact: ReadinessImpact;
  /** For a person: what is wrong and what happens meanwhile; counts only. */
  message: string;
}

type Reasons = ReadinessReason | readonly ReadinessReason[] | undefined;

/** One condition of readiness: nothing when it holds, else its reasons. A check that throws is itself an `unavailable` reason. */
export type ReadinessCheck = () => Reasons | Promise<Reasons>;

export interface HealthDeps {
  store: Pick<StudyStore, 'ping'>;
  sync: Pick<SyncService, 'status'>;
  /** Resolves when Orthanc's `GET /system` answered in time; rejects otherwise. */
  checkSource(): Promise<void>;
  /** The outbox of the external FHIR server, when the bridge publishes to one. */
  push?: { status(): PushOutboxStatus };
  /** Further conditions (store faults, re-conversion backlog, refused mass deletion…), checked in order. */
  readiness?: readonly ReadinessCheck[];
}

interface CheckResult {
  ok: boolean;
  error?: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function unavailable(code: string, message: string): ReadinessReason {
  return { code, impact: 'unavailable', message };
}

function degraded(code: string, message: string): ReadinessReason {
  return { code, impact: 'degraded', message };
}

async function checkSource(deps: HealthDeps): Promise<CheckResult> {
  return deps.checkSource().then(
    () => ({ ok: true }),
    (error: unknown) => ({ ok: false, error: describe(error) }),
  );
}

/** `ping` reports a broken database by throwing; that failure is this check's result. */
function checkStore(deps: HealthDeps): CheckResult {
  try {
    deps.store.ping();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: describe(error) };
  }
}

/** Failed syncs waiting for their retry: the bridge works, some studies are behind. */
export function syncBacklog(sync: Pick<SyncService, 'status'>): ReadinessCheck {
  return () => {
    const failures = sync.status().failures.length;
    return failures === 0 ? undefined : degraded('sync-failures', `${failures} studies failed to sync and wait for a retry`);
  };
}

/**
 * The outbox: rows parked after the FHIR server refused them, and a backlog whose last attempt
 * failed (the FHIR server down). Reads are served from the local store whatever the FHIR server
 * does, so neither makes the bridge unavailable.
 */
export function pushBacklog(push: { status(): PushOutboxStatus }): ReadinessCheck {
  return () => {
    const status = push.status();
    const reasons: ReadinessReason[] = [];
    if (status.failed > 0) {
      reasons.push(degraded('push-parked', `${status.failed} pushes are parked (refused or failing; reasons in /push/status, retried by POST /push/retry)`));
    }
    if (status.pending > 0 && status.lastError !== undefined) {
      reasons.push(degraded('push-backlog', `${status.pending} pushes wait; the last attempt failed (see /push/status)`));
    }
    return reasons;
  };
}

/** The outbox counts only: its last error and parked messages come from the FHIR server and may quote resource content. */
function pushCounts(status: PushOutboxStatus): JsonBody {
  const { lastError: _lastError, parked: _parked, ...counts } = status;
  return { ...counts };
}

/** Everything the outbox knows, last error included (`/push/status`, behind API_TOKEN when set). */
export async function pushStatus(push: { status(): PushOutboxStatus }): Promise<FhirResponse> {
  return [allOk, { ...push.status() }];
}

export async function healthz(): Promise<FhirResponse> {
  return [allOk, { status: 'ok' }];
}

async function collect(checks: readonly ReadinessCheck[]): Promise<ReadinessReason[]> {
  const reasons: ReadinessReason[] = [];
  for (const check of checks) {
    try {
      const found = await check();
      if (found === undefined) continue;
      if (Array.isArray(found)) reasons.push(...(found as readonly ReadinessReason[]));
      else reasons.push(found as ReadinessReason);
    } catch (error) {
      reasons.push(unavailable('check-failed', `a readiness check failed: ${describe(error)}`));
    }
  }
  return reasons;
}

/** Counts read from the store; while it fails, the failure instead (its reason is among `reasons`). */
function counts(read: () => JsonBody): JsonBody {
  try {
    return read();
  } catch (error) {
    return { error: describe(error) };
  }
}

/** `"ready"`, `"degraded"` (200) or `"not-ready"` (503), with every reason and the counts behind them. */
export async function readyz(deps: HealthDeps): Promise<FhirResponse> {
  const [source, store] = [await checkSource(deps), checkStore(deps)];
  const reasons: ReadinessReason[] = [];
  if (!source.ok) reasons.push(unavailable('pacs-unreachable', `the image source does not answer: ${source.error ?? ''}`));
  if (!store.ok) reasons.push(unavailable('store-unavailable', `the store cannot be read: ${store.error ?? ''}`));
  const checks = [syncBacklog(deps.sync), ...(deps.push === undefined ? [] : [pushBacklog(deps.push)]), ...(deps.readiness ?? [])];
  reasons.push(...(await collect(checks)));
  const ready = reasons.every((reason) => reason.impact !== 'unavailable');
  const body: JsonBody = {
    status: !ready ? 'not-ready' : reasons.length > 0 ? 'degraded' : 'ready',
    reasons,
    checks: { orthanc: source, store },
    sync: counts(() => {
      const status = deps.sync.status();
      return { queued: status.queued, inFlight: status.inFlight, failures: status.failures.length };
    }),
    ...(deps.push === undefined ? {} : { push: counts(() => pushCounts((deps.push as { status(): PushOutboxStatus }).status())) }),
  };
  const firstUnavailable = reasons.find((reason) => reason.impact === 'unavailable');
  return [ready ? allOk : serviceUnavailable(`Not ready: ${firstUnavailable?.code ?? 'unknown'}`), body];
}
