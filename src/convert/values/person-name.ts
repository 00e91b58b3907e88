/** DICOM PN → FHIR HumanName[] (PS3.5 §6.2.1 Person Name; SPEC §2.4). */
import type { HumanName } from 'fhir/r4';
import type { PersonNameValue } from '../../dicom/dataset.js';

function component(part: string | undefined): string | undefined {
  const text = part?.trim();
  return text === undefined || text === '' ? undefined : text;
}

/**
 * One component group `family^given^middle^prefix^suffix` → HumanName, or `undefined` when
 * every component is empty. Middle names follow the given name in `given` (FHIR has no
 * middle-name element). `text` keeps the name as written, minus the DICOM separators.
 */
function groupToHumanName(group: string): HumanName | undefined {
  const [familyPart, givenPart, middlePart, prefixPart, suffixPart] = group.split('^');
  const family = component(familyPart);
  const given = [component(givenPart), component(middlePart)].filter((p): p is string => p !== undefined);
  const prefix = component(prefixPart);
  const suffix = component(suffixPart);
  if (family === undefined && given.length === 0 && prefix === undefined && suffix === undefined) {
    return undefined;
  }
  const name: HumanName = {};
  const text = [prefix, ...given, family, suffix].filter((p): p is string => p !== undefined).join(' ');
  name.text = text;
  if (family !== undefined) name.family = family;
  if (given.length > 0) name.given = given;
  if (prefix !== undefined) name.prefix = [prefix];
  if (suffix !== undefined) name.suffix = [suffix];
  return name;
}

/**
 * Every component group of every PN value becomes a HumanName: the alphabetic group first,
 * then ideographic and phonetic ones as further names (SPEC §2.4). A value written in the
 * Part 10 form `alpha=ideo=phon` is split on `=`. Empty names give an empty list.
 */
export function toHumanNames(values: readonly PersonNameValue[]): HumanName[] {
  const names: HumanName[] = [];
  for (const value of values) {
    const groups =
      value.Ideographic === undefined && value.Phonetic === undefined && value.Alphabetic?.includes('=')
        ? value.Alphabetic.split('=')
        : [value.Alphabetic, value.Ideographic, value.Phonetic];
    for (const group of groups) {
      if (group === undefined) continue;
      const name = groupToHumanName(group);
      if (name !== undefined) names.push(name);
    }
  }
  return names;
}
