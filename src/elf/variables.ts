/**
 * Global variables, read and set before load through the spec, as libbpf
 * skeletons do (`skel->rodata->threshold = 10`): a variable is bytes at an
 * offset of its data map's initial value.
 */
import { EbpfError } from '../internal/errors.js';
import type { CollectionSpec, MapSpec, VariableSpec } from './spec.js';

export function findVariable(spec: CollectionSpec, name: string, map?: string): { variable: VariableSpec; map: MapSpec } {
  const matches = spec.variables.filter((v) => v.name === name && (map === undefined || v.map === map));
  if (matches.length === 0) throw new EbpfError('ENOVAR', `no global variable ${name}${map ? ` in ${map}` : ''}`);
  if (matches.length > 1) throw new EbpfError('ENOVAR', `${name} is ambiguous: it is in ${matches.map((v) => v.map).join(', ')}`);
  const variable = matches[0];
  const m = spec.maps.find((x) => x.name === variable.map);
  if (!m?.data) throw new EbpfError('ENOVAR', `variable ${name}: map ${variable.map} holds no data`);
  if (variable.offset + variable.size > m.data.length) throw new EbpfError('ENOVAR', `variable ${name} lies outside ${m.name}`);
  return { variable, map: m };
}

/** A copy of the variable's current initial bytes. */
export function getVariable(spec: CollectionSpec, name: string, map?: string): Uint8Array {
  const { variable, map: m } = findVariable(spec, name, map);
  return m.data!.slice(variable.offset, variable.offset + variable.size);
}

/**
 * Set a variable's initial value: bytes of exactly its size, or an integer
 * for a variable of 1, 2, 4 or 8 bytes (written in the object's byte order).
 */
export function setVariable(spec: CollectionSpec, name: string, value: Uint8Array | number | bigint, map?: string): void {
  const { variable, map: m } = findVariable(spec, name, map);
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) {
    bytes = value;
  } else {
    const size = variable.size;
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw new EbpfError('EINVAL', `variable ${name} is ${size} bytes: give its bytes, not a number`);
    const v = BigInt.asUintN(size * 8, BigInt(value));
    bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const shift = BigInt(8 * (spec.byteOrder === 'le' ? i : size - 1 - i));
      bytes[i] = Number((v >> shift) & 0xffn);
    }
  }
  if (bytes.length !== variable.size) throw new EbpfError('EINVAL', `variable ${name} is ${variable.size} bytes, got ${bytes.length}`);
  m.data!.set(bytes, variable.offset);
}
