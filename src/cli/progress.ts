/** A one-line progress bar on stderr, drawn only for a person watching a terminal. */

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface Progress {
  update(done: number, total: number): void;
  /** Clears the bar so the summary line that follows starts on a clean line. */
  finish(): void;
}

const NO_PROGRESS: Progress = { update: () => undefined, finish: () => undefined };

/** `Reading [########------------]  412/1204  34%`, fitted to the terminal width. */
export function renderBar(label: string, done: number, total: number, columns: number): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const counts = ` ${String(done).padStart(String(total).length)}/${total} ${String(Math.floor(ratio * 100)).padStart(3)}%`;
  const width = Math.max(10, Math.min(40, columns - label.length - counts.length - 4));
  const filled = Math.round(ratio * width);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${counts}`;
}

/**
 * Redraws at most every `intervalMs` (default 100 ms, i.e. ≤ 10×/s) because a redraw per file
 * would cost more than reading a header; the last update is always drawn. When the stream is not
 * a terminal (a pipe, a CI log) nothing is written, so logs hold only the summary.
 */
export function createProgress(
  stream: ProgressStream,
  { label = 'Reading', intervalMs = 100, now = () => Date.now() }: { label?: string; intervalMs?: number; now?: () => number } = {},
): Progress {
  if (stream.isTTY !== true) return NO_PROGRESS;
  let lastDraw = -Infinity;
  let drawn = false;
  return {
    update(done, total) {
      const time = now();
      if (done < total && time - lastDraw < intervalMs) return;
      lastDraw = time;
      drawn = true;
      stream.write(`\r${renderBar(label, done, total, stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80)}`);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
