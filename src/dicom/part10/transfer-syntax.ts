/** How a transfer syntax lays out the dataset that follows the file meta (PS3.5 §10, Annex A). */

export interface DatasetEncoding {
  readonly littleEndian: boolean;
  readonly explicitVr: boolean;
  /** The dataset after the file meta is a raw deflate stream (PS3.5 §A.5). */
  readonly deflated: boolean;
}

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
/** JPIP Referenced Deflate: explicit VR little endian, deflated as in PS3.5 §A.5. */
const JPIP_REFERENCED_DEFLATE = '1.2.840.10008.1.2.4.95';

export const IMPLICIT_LE: DatasetEncoding = { littleEndian: true, explicitVr: false, deflated: false };
export const EXPLICIT_LE: DatasetEncoding = { littleEndian: true, explicitVr: true, deflated: false };
export const EXPLICIT_BE: DatasetEncoding = { littleEndian: false, explicitVr: true, deflated: false };
const DEFLATED_LE: DatasetEncoding = { littleEndian: true, explicitVr: true, deflated: true };

/**
 * Encoding of a transfer syntax, or `undefined` when the UID is not one we know. Every
 * encapsulated syntax (JPEG family, JPEG-LS, JPEG 2000, HTJ2K, RLE, MPEG, HEVC, SMPTE ST 2110,
 * deflated frames) encodes its dataset as explicit VR little endian (PS3.5 §A.4).
 */
export function encodingOf(uid: string): DatasetEncoding | undefined {
  switch (uid) {
    case IMPLICIT_VR_LITTLE_ENDIAN:
      return IMPLICIT_LE;
    case EXPLICIT_VR_LITTLE_ENDIAN:
      return EXPLICIT_LE;
    case EXPLICIT_VR_BIG_ENDIAN:
      return EXPLICIT_BE;
    case DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
    case JPIP_REFERENCED_DEFLATE:
      return DEFLATED_LE;
  }
  if (
    uid.startsWith('1.2.840.10008.1.2.4.') ||
    uid === '1.2.840.10008.1.2.5' ||
    uid.startsWith('1.2.840.10008.1.2.7.') ||
    uid.startsWith('1.2.840.10008.1.2.8.')
  ) {
    return EXPLICIT_LE;
  }
  return undefined;
}
