/** One file's header read with blocking calls, as the folder's reader threads (and the calling thread beside them) read. */
import { readDicomHeaderSync } from '../dicom/part10/index.js';
import { classify, type Classified } from './classify.js';
import type { ElementInterner } from './intern.js';
import { KNOWN_TAG_KEYS } from './retain.js';

/**
 * Reads the header of `path`, decoding only the top-level tags in `only`, classifies it, and
 * keeps of an instance only the elements the converter reads, shared through `interner` with
 * the dataset that thread read before.
 */
export function readFileBlocking(path: string, only: ReadonlySet<number>, interner: ElementInterner): Classified {
  const result = classify(path, readDicomHeaderSync(path, { only }));
  return result.kind === 'instance' ? { ...result, dataset: interner.internKept(result.dataset, KNOWN_TAG_KEYS) } : result;
}
