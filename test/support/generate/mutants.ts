/**
 * A seeded corpus of corrupted DICOM files for fuzzing the header reader: each mutant is a seed
 * file with one to three byte-level mutations of the kinds real damage and hostile writers
 * produce — bit flips, overwritten runs, truncation, corrupted length fields, inserted and
 * deleted bytes, copied chunks, stray delimiters, swapped VRs, another transfer syntax. The same
 * seed number always gives the same mutant, so a failure is replayed from its number alone.
 */
import { seededRandom } from './part10-bytes.js';

export interface Mutant {
  /** Number of the mutant: its generator's seed. */
  seed: number;
  /** Name of the file it was made from. */
  source: string;
  /** What was done, in order, for the failure message. */
  mutations: string[];
  bytes: Buffer;
}

export interface SeedFile {
  name: string;
  bytes: Buffer;
}

type Random = () => number;

const VRS = ['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV'];
const KNOWN_VRS = new Set(VRS);
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
/** Groups whose elements appear early in almost every file, to find implicit VR headers. */
const COMMON_GROUPS = new Set([0x0002, 0x0008, 0x0010, 0x0018, 0x0020, 0x0028, 0x0040, 0xfffe]);
const TRANSFER_SYNTAXES = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.4.50', '1.2.3'];
const SPECIAL_LENGTHS = [0, 1, 2, 3, 7, 0xff, 0xffff, 0x10000, 0x7fffffff, 0xfffffffe, 0xffffffff];

function int(random: Random, below: number): number {
  return Math.floor(random() * below);
}

function pick<T>(random: Random, values: readonly T[]): T {
  return values[int(random, values.length)] as T;
}

/**
 * Where the header ends: the Pixel Data tag in either byte order, or the file's end. Mutations
 * land before it (and a little past it) nine times out of ten, since the reader stops there.
 */
function headerEnd(bytes: Buffer): number {
  const little = bytes.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
  const big = bytes.indexOf(Buffer.from([0x7f, 0xe0, 0x00, 0x10]));
  const found = [little, big].filter((at) => at >= 0);
  return found.length === 0 ? bytes.length : Math.min(bytes.length, Math.min(...found) + 16);
}

function position(random: Random, bytes: Buffer): number {
  if (bytes.length === 0) return 0;
  return random() < 0.9 ? int(random, headerEnd(bytes)) : int(random, bytes.length);
}

interface LengthField {
  at: number;
  size: 2 | 4;
}

/** Offsets of plausible element headers: VR letters after a tag (explicit VR), or a common group (implicit VR). */
function lengthFields(bytes: Buffer): LengthField[] {
  const fields: LengthField[] = [];
  const end = Math.min(headerEnd(bytes), bytes.length - 8);
  for (let p = 0; p < end; p += 2) {
    const vr = bytes.toString('latin1', p + 4, p + 6);
    if (KNOWN_VRS.has(vr)) {
      fields.push(LONG_VRS.has(vr) ? { at: p + 8, size: 4 } : { at: p + 6, size: 2 });
    } else if (COMMON_GROUPS.has(bytes.readUInt16LE(p)) && bytes[p + 2]! % 2 === 0) {
      fields.push({ at: p + 4, size: 4 });
    }
  }
  return fields.filter((f) => f.at + f.size <= bytes.length);
}

/** Offsets of explicit VR letters. */
function vrFields(bytes: Buffer): number[] {
  const out: number[] = [];
  const end = Math.min(headerEnd(bytes), bytes.length - 6);
  for (let p = 0; p < end; p += 2) if (KNOWN_VRS.has(bytes.toString('latin1', p + 4, p + 6))) out.push(p + 4);
  return out;
}

type Mutation = (random: Random, bytes: Buffer) => { bytes: Buffer; text: string };

const MUTATIONS: Record<string, Mutation> = {
  flipBits(random, bytes) {
    const out = Buffer.from(bytes);
    const count = 1 + int(random, 8);
    const at: number[] = [];
    for (let i = 0; i < count && out.length > 0; i++) {
      const p = position(random, out);
      out[p] = out[p]! ^ (1 << int(random, 8));
      at.push(p);
    }
    return { bytes: out, text: `flip bits at ${at.join(',')}` };
  },
  overwriteRun(random, bytes) {
    const out = Buffer.from(bytes);
    const p = position(random, out);
    const length = 1 + int(random, 4);
    const value = pick(random, [0x00, 0xff, -1]);
    for (let i = p; i < Math.min(out.length, p + length); i++) out[i] = value === -1 ? int(random, 256) : value;
    return { bytes: out, text: `overwrite ${length} bytes at ${p} with ${value === -1 ? 'random' : value}` };
  },
  truncate(random, bytes) {
    const p = position(random, bytes);
    return { bytes: Buffer.from(bytes.subarray(0, p)), text: `truncate at ${p}` };
  },
  corruptLength(random, bytes) {
    const fields = lengthFields(bytes);
    if (fields.length === 0) return MUTATIONS.flipBits!(random, bytes);
    const field = pick(random, fields);
    const out = Buffer.from(bytes);
    const old = field.size === 2 ? out.readUInt16LE(field.at) : out.readUInt32LE(field.at);
    const choice = int(random, 5);
    let value =
      choice === 0 ? pick(random, SPECIAL_LENGTHS) : choice === 1 ? old + 1 : choice === 2 ? Math.max(0, old - 1) : choice === 3 ? old * 2 : int(random, 0x100000000);
    if (field.size === 2) value &= 0xffff;
    if (field.size === 2) out.writeUInt16LE(value, field.at);
    else out.writeUInt32LE(value >>> 0, field.at);
    return { bytes: out, text: `length at ${field.at} ${old} → ${value}` };
  },
  insertBytes(random, bytes) {
    const p = position(random, bytes);
    const inserted = Buffer.alloc(1 + int(random, 64), 0);
    for (let i = 0; i < inserted.length; i++) inserted[i] = int(random, 256);
    return { bytes: Buffer.concat([bytes.subarray(0, p), inserted, bytes.subarray(p)]), text: `insert ${inserted.length} bytes at ${p}` };
  },
  deleteBytes(random, bytes) {
    const p = position(random, bytes);
    const length = 1 + int(random, 64);
    return { bytes: Buffer.concat([bytes.subarray(0, p), bytes.subarray(p + length)]), text: `delete ${length} bytes at ${p}` };
  },
  copyChunk(random, bytes) {
    const from = position(random, bytes);
    const length = 1 + int(random, 256);
    const to = position(random, bytes);
    const chunk = Buffer.from(bytes.subarray(from, from + length));
    return { bytes: Buffer.concat([bytes.subarray(0, to), chunk, bytes.subarray(to)]), text: `copy ${chunk.length} bytes from ${from} to ${to}` };
  },
  strayDelimiter(random, bytes) {
    const out = Buffer.from(bytes);
    const p = position(random, out) & ~1;
    const element = pick(random, [0xe000, 0xe00d, 0xe0dd]);
    const tag = Buffer.from([0xfe, 0xff, element & 0xff, element >> 8, 0, 0, 0, 0]);
    if (random() < 0.5) tag.writeUInt32LE(0xffffffff, 4);
    tag.copy(out, p, 0, Math.min(8, out.length - p));
    return { bytes: out, text: `delimiter ${element.toString(16)} at ${p}` };
  },
  swapVr(random, bytes) {
    const fields = vrFields(bytes);
    if (fields.length === 0) return MUTATIONS.flipBits!(random, bytes);
    const at = pick(random, fields);
    const vr = pick(random, [...VRS, 'XX', '  ', 'sq', '\u0000\u0000']);
    const out = Buffer.from(bytes);
    out.write(vr, at, 'latin1');
    return { bytes: out, text: `VR at ${at} → ${JSON.stringify(vr)}` };
  },
  otherTransferSyntax(random, bytes) {
    const at = bytes.indexOf(Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49]));
    if (at < 0 || at + 8 > bytes.length) return MUTATIONS.flipBits!(random, bytes);
    const length = bytes.readUInt16LE(at + 6);
    const uid = pick(random, TRANSFER_SYNTAXES);
    if (uid.length > length || at + 8 + length > bytes.length) return MUTATIONS.flipBits!(random, bytes);
    const out = Buffer.from(bytes);
    out.fill(0, at + 8, at + 8 + length);
    out.write(uid, at + 8, 'latin1');
    return { bytes: out, text: `transfer syntax → ${uid}` };
  },
};

const NAMES = Object.keys(MUTATIONS);

/** Mutant number `seed` of `seeds`: deterministic in both. */
export function makeMutant(seeds: readonly SeedFile[], seed: number): Mutant {
  const random = seededRandom(seed);
  const source = pick(random, seeds);
  let bytes = source.bytes;
  const mutations: string[] = [];
  const count = 1 + (random() < 0.7 ? 0 : int(random, 3));
  for (let i = 0; i < count; i++) {
    const name = pick(random, NAMES);
    const result = (MUTATIONS[name] as Mutation)(random, bytes);
    bytes = result.bytes;
    mutations.push(`${name}: ${result.text}`);
  }
  return { seed, source: source.name, mutations, bytes };
}
