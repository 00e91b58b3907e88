/** One file's header read with blocking calls, as the folder's reader threads (and the calling thread beside them) read. */
import { ElementReuse } from '../dicom/part10/element-reuse.js';
import { readDicomHeaderSync } from '../dicom/part10/index.js';
import { classify, type Classified } from './classify.js';
import { ElementInterner } from './intern.js';
import { FOLDER_TAGS } from './retain.js';

/** What one thread keeps from file to file: values decoded before, and the last dataset. */
export interface BlockingReader {
  reuse: ElementReuse;
  interner: ElementInterner;
}

export function blockingReader(): BlockingReader {
  return { reuse: new ElementReuse(), interner: new ElementInterner() };
}

/**
 * Reads the header of `path`, decoding only the elements the converter reads ({@link FOLDER_TAGS}),
 * and classifies it. Values this thread decoded before from the same bytes are handed out
 * again, and the elements that are not (sequences, long values) are shared with the previous
 * dataset where equal, so a folder's datasets hold each repeated value about once.
 */
export function readFileBlocking(path: string, reader: BlockingReader): Classified {
  const result = classify(path, readDicomHeaderSync(path, { only: FOLDER_TAGS, reuse: reader.reuse }));
  if (result.kind === 'instance') reader.interner.intern(result.dataset);
  return result;
}
