/**
 * Builds dcmtk `dump2dcm` text dumps. Kept apart from the study description so that the rich
 * study reads as data: `el('0010,0010', 'PN', 'Müller^Jürgen')`, `sq('0008,0051', [[...]])`.
 * Dumps are written in ISO 8859-1 by the caller, matching Specific Character Set ISO_IR 100.
 */

/** One dump line, or a nested sequence. */
export type DumpNode =
  | { kind: 'element'; tag: string; vr: string; value: string | undefined }
  | { kind: 'sequence'; tag: string; items: DumpNode[][] };

/** A text or number element; `undefined` value writes a zero-length element. */
export function el(tag: string, vr: string, value: string | number | undefined): DumpNode {
  return { kind: 'element', tag, vr, value: value === undefined ? undefined : String(value) };
}

export function sq(tag: string, items: DumpNode[][]): DumpNode {
  return { kind: 'sequence', tag, items };
}

/** A code sequence item (PS3.3 §8.8, Code Sequence Macro). */
export function codeItem(value: string, scheme: string, meaning: string): DumpNode[] {
  return [el('0008,0100', 'SH', value), el('0008,0102', 'SH', scheme), el('0008,0104', 'LO', meaning)];
}

/** Bytes as an OB value: `25\50\44`. */
export function obValue(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('\\');
}

/** Binary VRs are written bare; every other VR in brackets (dump2dcm's text form). */
const BARE_VRS = new Set(['OB', 'OW', 'US', 'UL', 'SS', 'SL', 'FL', 'FD']);

function render(nodes: readonly DumpNode[], depth: number, out: string[]): void {
  const indent = '  '.repeat(depth);
  for (const node of nodes) {
    if (node.kind === 'element') {
      const value = node.value === undefined ? '' : node.value;
      out.push(`${indent}(${node.tag}) ${node.vr} ${BARE_VRS.has(node.vr) ? value : `[${value}]`}`);
      continue;
    }
    out.push(`${indent}(${node.tag}) SQ (Sequence with undefined length)`);
    for (const item of node.items) {
      out.push(`${indent}  (fffe,e000) na (Item with undefined length)`);
      render(item, depth + 2, out);
      out.push(`${indent}  (fffe,e00d) na (ItemDelimitationItem)`);
    }
    out.push(`${indent}(fffe,e0dd) na (SequenceDelimitationItem)`);
  }
}

export function renderDump(nodes: readonly DumpNode[]): string {
  const out: string[] = [];
  render(nodes, 0, out);
  return `${out.join('\n')}\n`;
}
