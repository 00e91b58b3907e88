/** One file's header read with blocking calls, as the folder's reader threads (and the calling thread beside them) read. */
import { readDicomHeaderSync } from '../dicom/part10/index.js';
import { classify, type Classified } from './classify.js';
import { ElementReuse } from '../dicom/part10/element-reuse.js';
import { ElementInterner } from './intern.js';
import { KNOWN_TAG_KEYS } from './retain.js';

/** What one thread keeps from file to file: values decoded before, and the last dataset. */
export interface BlockingReader {
  reuse: ElementReuse;
  interner: ElementInterner;
}

export function blockingReader(): BlockingReader {
  return { reuse: new ElementReuse(), interner: new ElementInterner() };
}

/**
 * Reads the header of `path`, decoding only the top-level tags in `only` (values this thread
 * decoded before from the same bytes are handed out again), classifies it, and keeps of an
 * instance only the elements the converter reads, shared with the dataset the thread read before.
 */
export function readFileBlocking(path: string, only: ReadonlySet<number>, reader: BlockingReader): Classified {
  const result = classify(path, readDicomHeaderSync(path, { only, reuse: reader.reuse }));
  return result.kind === 'instance' ? { ...result, dataset: reader.interner.internKept(result.dataset, KNOWN_TAG_KEYS) } : result;
}
