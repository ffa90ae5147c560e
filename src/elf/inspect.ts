/** `ebpf inspect OBJ [--json]`: what an object holds, as data and as text. */
import { attachTypeName, mapTypeName, progTypeName } from '../platform/uapi.js';
import type { CollectionSpec } from './spec.js';

export interface InspectProgram {
  name: string;
  section: string;
  type: string;
  attachType: string;
  attachTo: string;
  insns: number;
  functions: string[];
}

export interface InspectMap {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  pinning: 'none' | 'by_name';
  inner?: string;
  initSlots: { index: number; name: string }[];
}

export interface InspectVariable {
  section: string;
  name: string;
  offset: number;
  size: number;
  type: string;
}

export interface Inspection {
  license: string;
  kernelVersion: number;
  byteOrder: string;
  programs: InspectProgram[];
  maps: InspectMap[];
  variables: InspectVariable[];
}

const typeOr = (name: string | undefined, value: number): string => name ?? `unknown(${value})`;

export function inspectCollection(spec: CollectionSpec): Inspection {
  return {
    license: spec.license,
    kernelVersion: spec.kernelVersion,
    byteOrder: spec.byteOrder,
    programs: spec.programs.map((p) => ({
      name: p.name,
      section: p.sectionName,
      type: typeOr(progTypeName(p.type), p.type),
      attachType: p.expectedAttachType === 0 && p.type !== 0 ? '' : typeOr(attachTypeName(p.expectedAttachType), p.expectedAttachType),
      attachTo: p.attachTo,
      insns: p.insns.length,
      functions: p.functions.slice(1).map((f) => f.name),
    })),
    maps: spec.maps.map((m) => ({
      name: m.name,
      type: typeOr(mapTypeName(m.type), m.type),
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
      pinning: m.pinning === 1 ? 'by_name' : 'none',
      ...(m.innerMap ? { inner: typeOr(mapTypeName(m.innerMap.type), m.innerMap.type) } : {}),
      initSlots: m.initSlots,
    })),
    variables: spec.variables.map((v) => ({ section: v.map, name: v.name, offset: v.offset, size: v.size, type: v.typeName })),
  };
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

/** The text listing: one table each for programs, maps and variables. */
export function formatInspection(i: Inspection): string {
  const out: string[] = [`license: ${i.license || '(none)'}`];
  if (i.kernelVersion) out.push(`kernel version: 0x${i.kernelVersion.toString(16)}`);
  out.push('', `programs (${i.programs.length}):`);
  if (i.programs.length) {
    out.push(...table([
      ['NAME', 'SECTION', 'TYPE', 'ATTACH', 'INSNS', 'SUBPROGRAMS'],
      ...i.programs.map((p) => [p.name, p.section, p.type, p.attachType + (p.attachTo ? ` ${p.attachTo}` : ''), String(p.insns), p.functions.join(',')]),
    ]).map((l) => '  ' + l));
  }
  out.push('', `maps (${i.maps.length}):`);
  if (i.maps.length) {
    out.push(...table([
      ['NAME', 'TYPE', 'KEY', 'VALUE', 'MAX_ENTRIES', 'FLAGS', 'PINNING', 'INITIAL'],
      ...i.maps.map((m) => [
        m.name, m.type + (m.inner ? ` of ${m.inner}` : ''), String(m.keySize), String(m.valueSize), String(m.maxEntries),
        `0x${m.flags.toString(16)}`, m.pinning, m.initSlots.map((s) => `[${s.index}]=${s.name}`).join(','),
      ]),
    ]).map((l) => '  ' + l));
  }
  out.push('', `variables (${i.variables.length}):`);
  if (i.variables.length) {
    out.push(...table([
      ['SECTION', 'NAME', 'OFFSET', 'SIZE', 'TYPE'],
      ...i.variables.map((v) => [v.section, v.name, String(v.offset), String(v.size), v.type]),
    ]).map((l) => '  ' + l));
  }
  return out.join('\n') + '\n';
}
