/**
 * Stability for a DICOMweb server that cannot say it (no Orthanc `IsStable`): a study is stable
 * once its instance count has held still for a quiet period (SPEC §4, Scheduled sync). The first
 * sighting of a study records its count and time; a different count starts the period again. A
 * study not stable yet is looked at again when its period ends (`onDue`), so it is synced without
 * waiting for the next scheduled reconciliation.
 */

export interface QuietPeriodVerdict {
  stable: boolean;
  /** Time left before the count has held still long enough (0 when stable). */
  remainingMs: number;
}

export interface QuietPeriod {
  /** Records a sighting of the study with this instance count and says whether it is stable. */
  observe(studyInstanceUid: string, instanceCount: number): QuietPeriodVerdict;
  /** Studies seen but not stable yet. */
  unsettled(): number;
  /** Cancels every pending look; later sightings are still judged but schedule nothing. */
  stop(): void;
}

export interface QuietPeriodOptions {
  quietMs: number;
  /** Called when a study's quiet period has passed since its last change of count. */
  onDue(studyInstanceUid: string): void;
  now?: () => number;
}

interface Sighting {
  count: number;
  since: number;
  timer?: NodeJS.Timeout;
}

export function createQuietPeriod(options: QuietPeriodOptions): QuietPeriod {
  const { quietMs, onDue } = options;
  if (!Number.isFinite(quietMs) || quietMs < 0) throw new RangeError(`quiet period must be a non-negative number of milliseconds, got ${quietMs}`);
  const now = options.now ?? Date.now;
  const sightings = new Map<string, Sighting>();
  let stopped = false;

  function schedule(uid: string, sighting: Sighting, delayMs: number): void {
    if (stopped) return;
    if (sighting.timer !== undefined) clearTimeout(sighting.timer);
    sighting.timer = setTimeout(() => {
      sighting.timer = undefined;
      onDue(uid);
    }, delayMs);
  }

  return {
    observe(uid, instanceCount) {
      const at = now();
      const seen = sightings.get(uid);
      if (seen === undefined || seen.count !== instanceCount) {
        if (seen?.timer !== undefined) clearTimeout(seen.timer);
        const sighting: Sighting = { count: instanceCount, since: at };
        if (quietMs === 0) return { stable: true, remainingMs: 0 };
        sightings.set(uid, sighting);
        schedule(uid, sighting, quietMs);
        return { stable: false, remainingMs: quietMs };
      }
      const remainingMs = Math.max(0, seen.since + quietMs - at);
      if (remainingMs === 0) {
        // Settled: a later sighting starts afresh, so a study that grows again waits again.
        if (seen.timer !== undefined) clearTimeout(seen.timer);
        sightings.delete(uid);
        return { stable: true, remainingMs: 0 };
      }
      if (seen.timer === undefined) schedule(uid, seen, remainingMs);
      return { stable: false, remainingMs };
    },
    unsettled: () => sightings.size,
    stop() {
      stopped = true;
      for (const sighting of sightings.values()) if (sighting.timer !== undefined) clearTimeout(sighting.timer);
    },
  };
}
