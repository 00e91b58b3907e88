/** Why a set of datasets cannot become one ImagingStudy at all (as opposed to issues it survives). */

export type ConversionErrorCode = 'no-datasets' | 'multiple-studies' | 'missing-study-uid';

/**
 * Thrown by `convertStudy` when the input is not one study. Callers (folder reader, bridge)
 * group datasets by Study Instance UID first, so this signals a caller bug or a broken file set.
 */
export class ConversionError extends Error {
  readonly code: ConversionErrorCode;

  constructor(code: ConversionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConversionError';
    this.code = code;
  }
}
