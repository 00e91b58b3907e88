/**
 * Liveness and readiness probes. `/healthz` answers while the process lives (a restart would not
 * help anything else). `/readyz` is 200 only when the image source answers and the store can be
 * read, so an orchestrator stops routing reads that would fail; its body lists each check and the
 * sync counts (never UIDs of failed studies: counts only) and, when publishing, the outbox counts.
 */
import type { StudyStore, SyncService } from '../../bridge/types.js';
import type { PushOutboxStatus } from '../../push/outbox.js';
import { allOk, serviceUnavailable } from '../outcomes.js';
import type { FhirResponse, JsonBody } from '../request.js';

export interface HealthDeps {
  store: Pick<StudyStore, 'ping'>;
  sync: Pick<SyncService, 'status'>;
  /** Resolves when Orthanc's `GET /system` answered in time; rejects otherwise. */
  checkSource(): Promise<void>;
  /** The outbox of the external FHIR server, when the bridge publishes to one. */
  push?: { status(): PushOutboxStatus };
}

interface CheckResult {
  ok: boolean;
  error?: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

/**
 * The outbox without its last error: that text comes from the FHIR server and may quote resource
 * content, so it is only on the authenticated `/push/status`. A backlog does not make the bridge
 * unready: reads are served from the local store whatever the FHIR server does.
 */
function pushCounts(status: PushOutboxStatus): JsonBody {
  const { lastError: _lastError, ...counts } = status;
  return { ...counts };
}

/** Everything the outbox knows, last error included (`/push/status`, behind API_TOKEN when set). */
export async function pushStatus(push: { status(): PushOutboxStatus }): Promise<FhirResponse> {
  return [allOk, { ...push.status() }];
}

export async function healthz(): Promise<FhirResponse> {
  return [allOk, { status: 'ok' }];
}

export async function readyz(deps: HealthDeps): Promise<FhirResponse> {
  const [source, store] = [await checkSource(deps), checkStore(deps)];
  const status = deps.sync.status();
  const ready = source.ok && store.ok;
  const body: JsonBody = {
    status: ready ? 'ready' : 'not-ready',
    checks: { orthanc: source, store },
    sync: { queued: status.queued, inFlight: status.inFlight, failures: status.failures.length },
    ...(deps.push === undefined ? {} : { push: pushCounts(deps.push.status()) }),
  };
  return [ready ? allOk : serviceUnavailable('Not ready'), body];
}
