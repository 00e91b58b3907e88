/**
 * Fills Orthanc for the bridge suite: parallel `POST /instances`, as many as Orthanc has HTTP
 * threads (the harness configures 8). Measured on 600 small CT files: 123 instances/s one at a
 * time, 221 with 4 in parallel, 261 with 8; dcmtk `storescu` over one association managed 11.
 */
import { readFile } from 'node:fs/promises';

export const UPLOAD_CONCURRENCY = 8;

export async function uploadInstances(orthancUrl: string, files: readonly string[], concurrency = UPLOAD_CONCURRENCY): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as string;
      const response = await fetch(`${orthancUrl}/instances`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/dicom' },
        body: await readFile(file),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`Orthanc refused ${file}: HTTP ${response.status} ${text}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
}

/** Waits until Orthanc's change log holds `count` StableStudy entries (every uploaded study is stable). */
export async function waitForStableStudies(orthancUrl: string, count: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let since = 0;
    let stable = 0;
    for (;;) {
      const page = (await (await fetch(`${orthancUrl}/changes?since=${since}&limit=10000`)).json()) as {
        Changes: Array<{ ChangeType: string; Seq: number }>;
        Done: boolean;
        Last: number;
      };
      stable += page.Changes.filter((c) => c.ChangeType === 'StableStudy').length;
      since = page.Last;
      if (page.Done || page.Changes.length === 0) break;
    }
    if (stable >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${stable} of ${count} studies became stable in Orthanc within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
