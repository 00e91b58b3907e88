/**
 * Decides whether a fetched study may be stored and published (SPEC §4: a half-arrived study is
 * never stored or published). Asked after the study's metadata was fetched, so an instance that
 * arrived during the fetch makes the answer "not stable": Orthanc's own `IsStable` when Orthanc's
 * REST API knows the study, otherwise the quiet-period rule on the fetched instance count.
 */
import type { BridgeLogger } from '../sync/logger.js';
import type { OrthancIdHints } from './orthanc-id-hints.js';
import type { OrthancRest } from './orthanc-rest.js';
import type { QuietPeriod } from './quiet-period.js';

export type StabilityVerdict = { stable: true } | { stable: false; reason: string };

/** Whether the study, fetched with `instanceCount` instances, is complete enough to store. */
export type StabilityGate = (studyInstanceUid: string, instanceCount: number) => Promise<StabilityVerdict>;

export interface StabilityGateOptions {
  orthanc: Pick<OrthancRest, 'lookupStudy' | 'isStable'>;
  quietPeriod: Pick<QuietPeriod, 'observe'>;
  logger: BridgeLogger;
  /** What the change feed knows of a study's Orthanc id: `IsStable` is then asked without a lookup first. */
  hints?: Pick<OrthancIdHints, 'get' | 'forget'>;
}

export function createStabilityGate(options: StabilityGateOptions): StabilityGate {
  const { orthanc, quietPeriod, logger, hints } = options;
  let fallbackLogged = false;

  function byQuietPeriod(uid: string, instanceCount: number): StabilityVerdict {
    const verdict = quietPeriod.observe(uid, instanceCount);
    if (verdict.stable) return { stable: true };
    return { stable: false, reason: `instance count ${instanceCount} has not held still for the quiet period yet (${Math.ceil(verdict.remainingMs / 1000)} s left)` };
  }

  return async (uid, instanceCount) => {
    const known = hints?.get(uid)?.orthancId;
    if (known !== undefined) {
      // Asked after the fetch, as below: an instance that arrived meanwhile makes IsStable false.
      const stable = await orthanc.isStable(known);
      if (stable === true) return { stable: true };
      if (stable === false) return { stable: false, reason: 'Orthanc does not call the study stable yet' };
      // The id no longer names a study (deleted, or stored again under another patient): look it up.
      hints?.forget(uid);
    }
    const found = await orthanc.lookupStudy(uid);
    if (found.kind === 'found') {
      const stable = await orthanc.isStable(found.orthancId);
      if (stable === true) return { stable: true };
      return { stable: false, reason: stable === false ? 'Orthanc does not call the study stable yet' : 'Orthanc no longer has the study' };
    }
    if (found.kind === 'no-orthanc' && !fallbackLogged) {
      fallbackLogged = true;
      logger.info({ reason: found.reason }, 'no Orthanc REST API: stability decided by the quiet period of instance counts');
    }
    // Absent from Orthanc's REST API yet served over DICOMweb: the DICOMweb server is another one.
    return byQuietPeriod(uid, instanceCount);
  };
}
