/**
 * `ebpf map dump|lookup|update|delete OBJ --map NAME …`: the maps of an
 * object, freshly loaded on an engine. Changes (update, delete) are made
 * before the optional program run, so that the program sees them; reads
 * (dump, lookup) after it, so that they show what the program did. The map
 * is printed after a change too.
 */
import { Command, Option } from 'commander';
import { parseHexBytes, toHex } from '../../internal/bytes.js';
import { EbpfError } from '../../internal/errors.js';
import { mapTypeName } from '../../platform/index.js';
import type { SocketSpec } from '../../helpers/index.js';
import { setVariable, type CollectionSpec } from '../../elf/index.js';
import {
  DEFAULT_ENGINE, loadCollection, mapEntries, ProgramVerifierError, UnsupportedProgramError, type LiveMap, type LoadedCollection,
} from '../../runtime/index.js';
import { ENGINE_NAMES, type EngineName } from '../engines.js';
import { readObject } from '../program-input.js';
import { UsageError } from '../report.js';
import { NO_VERIFY_WARNING, refuseRejected, refuseUnsupported, runInputs, runObjectProgram, socketOptions, type ObjectRunOptions } from './run.js';

/**
 * Set global variables before load, as a skeleton does: `NAME=INTEGER`
 * (decimal or 0x…) for variables of 1, 2, 4 or 8 bytes, `NAME=hex:BYTES`
 * for any size.
 */
function setVariables(spec: CollectionSpec, sets: readonly string[]): void {
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes NAME=VALUE, got '${set}'`);
    const name = set.slice(0, eq);
    const text = set.slice(eq + 1);
    let value: Uint8Array | bigint;
    if (text.startsWith('hex:')) {
      const bytes = parseHexBytes(text.slice(4));
      if (!bytes) throw new UsageError(`--set ${name}: '${text.slice(4)}' is not hex bytes`);
      value = bytes;
    } else {
      if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) throw new UsageError(`--set ${name}: '${text}' is not an integer (or hex:BYTES)`);
      value = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
    }
    try {
      setVariable(spec, name, value);
    } catch (err) {
      if (err instanceof EbpfError) throw new UsageError(`--set ${name}: ${err.message}`);
      throw err;
    }
  }
}

/**
 * Load `file` on `engine` (after --set): only `program`, when named, and the
 * programs its object's prog arrays hold. On our engines each is verified
 * first unless `verify` is false (--no-verify, which warns): a program our
 * verifier rejects or cannot judge is refused on stderr, and the result is
 * undefined.
 */
export function openObject(
  file: string, engine: EngineName, program?: string, sets: readonly string[] = [], verify = true, sockets: readonly SocketSpec[] = [],
): LoadedCollection | undefined {
  if (!verify) process.stderr.write(NO_VERIFY_WARNING);
  const spec = readObject(file);
  setVariables(spec, sets);
  if (program !== undefined && !spec.programs.some((p) => p.name === program)) {
    throw new UsageError(`${file} has no program '${program}' (programs: ${spec.programs.map((p) => p.name).join(', ') || 'none'})`);
  }
  try {
    return loadCollection(spec, { engine, verify, ...(sockets.length ? { sockets } : {}), ...(program !== undefined ? { programs: [program] } : {}) });
  } catch (err) {
    if (engine === 'kernel') throw err;
    if (err instanceof UnsupportedProgramError) return refuseUnsupported(file, err);
    if (err instanceof ProgramVerifierError) return refuseRejected(`${file}: ${err.message}`, err.summary, `ebpf verify ${file} --program ${err.program}`);
    throw err;
  }
}

export function mapByName(c: LoadedCollection, file: string, name: string): LiveMap {
  const map = c.maps[name];
  if (!map) throw new UsageError(`${file} has no map '${name}' (maps: ${Object.keys(c.maps).join(', ') || 'none'})`);
  return map;
}

export interface DumpedEntry {
  key: string;
  /** Hex bytes, or null when the map has no value to show for the key (an empty fd array slot). */
  value: string | null;
}

/**
 * The map's entries as hex; for a queue or stack its values, next out first
 * (they cannot be read without removing them, so they are popped from this
 * fresh collection); null for maps whose entries cannot be listed (bloom
 * filter, ring buffer, perf event array).
 */
export function dumpMap(map: LiveMap): DumpedEntry[] | null {
  if (map.keySize === 0) {
    const type = mapTypeName(map.type);
    if (type !== 'queue' && type !== 'stack') return null;
    const out: DumpedEntry[] = [];
    for (let v = map.lookupAndDelete(); v; v = map.lookupAndDelete()) out.push({ key: '', value: toHex(v) });
    return out;
  }
  return mapEntries(map).map(([k, v]) => ({ key: toHex(k), value: v ? toHex(v) : null }));
}

export function formatDump(name: string, map: LiveMap, entries: DumpedEntry[] | null): string {
  if (!entries) return `map ${name} (${mapTypeName(map.type) ?? map.type}): its entries cannot be listed\n`;
  const head = `map ${name} (${mapTypeName(map.type) ?? map.type}, key ${map.keySize} B, value ${map.valueBytes} B): ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`;
  return [head, ...entries.map((e) => (e.key ? `  ${e.key}: ${e.value ?? '-'}` : `  ${e.value}`))].join('\n') + '\n';
}

function hexArg(what: string, text: string | undefined, size: number): Uint8Array {
  if (text === undefined) throw new UsageError(`${what} is required`);
  const bytes = parseHexBytes(text);
  if (!bytes) throw new UsageError(`${what}: '${text}' is not hex bytes`);
  if (bytes.length !== size) throw new UsageError(`${what}: the map's ${what.replace('--', '')}s are ${size} bytes, got ${bytes.length}`);
  return bytes;
}

interface MapOptions extends ObjectRunOptions {
  map: string;
  key?: string;
  value?: string;
  flags?: string;
  engine: EngineName;
  /** false with --no-verify. */
  verify: boolean;
  json?: boolean;
}

type Op = 'dump' | 'lookup' | 'update' | 'delete';

function act(op: Op, file: string, opts: MapOptions): void {
  const inputs = runInputs(opts);
  const c = openObject(file, opts.engine, opts.program, opts.set, opts.verify, socketOptions(opts));
  if (!c) return;
  try {
    const map = mapByName(c, file, opts.map);
    const key = op === 'dump' ? undefined : hexArg('--key', opts.key, map.keySize);
    if (op === 'update') {
      const flags = Number(opts.flags ?? 0);
      if (!Number.isInteger(flags) || flags < 0) throw new UsageError(`--flags takes a non-negative integer, got '${opts.flags}'`);
      map.update(map.keySize ? key : undefined, hexArg('--value', opts.value, map.valueBytes), flags);
    }
    if (op === 'delete') map.delete(key!);
    const runs = opts.program === undefined ? [] : runObjectProgram(c, opts.program, inputs);
    if (op === 'lookup') {
      const value = map.lookup(map.keySize ? key : undefined);
      if (value === undefined) throw new EbpfError('ENOENT', `map ${opts.map}: no entry for key ${toHex(key!)}`);
      process.stdout.write(opts.json ? JSON.stringify({ map: opts.map, key: toHex(key!), value: toHex(value), runs }) + '\n' : `${toHex(value)}\n`);
      return;
    }
    const entries = dumpMap(map);
    process.stdout.write(opts.json ? JSON.stringify({ map: opts.map, entries, runs }) + '\n' : formatDump(opts.map, map, entries));
  } finally {
    c.dispose();
  }
}

function sub(op: Op, description: string): Command {
  const cmd = new Command(op)
    .description(description)
    .argument('<object>', 'ELF object (.o) from clang -target bpf')
    .requiredOption('--map <name>', 'the map');
  if (op !== 'dump') cmd.option('--key <hex>', 'the key, as hex bytes');
  if (op === 'update') cmd.option('--value <hex>', 'the value, as hex bytes (every CPU\'s slot for per-CPU maps)').option('--flags <n>', 'BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2', '0');
  return cmd
    .option('--program <name>', op === 'dump' || op === 'lookup' ? 'run this program first' : 'run this program after the change')
    .option('--data <hex>', 'the packet for the program run')
    .option('--pcap <file>', 'run the program on each packet of a pcap file')
    .option('--ctx <hex>', 'the context (ctx_in) for the program run')
    .option('--set <name=value...>', 'set global variables before load (an integer, or hex:BYTES)')
    .option('--socket <spec...>', 'a socket of our engines\' test world, as ebpf run takes it (a sockmap value names one by its cookie)')
    .addOption(new Option('--engine <engine>', 'execution engine').choices(ENGINE_NAMES).default(DEFAULT_ENGINE))
    .option('--no-verify', 'load the programs without verifying them first (prints a warning)')
    .option('--json', 'print JSON')
    .action((file: string, opts: MapOptions) => act(op, file, opts));
}

export function mapCommand(): Command {
  return new Command('map')
    .description('read and change the maps of an object loaded fresh (optionally around a program run)')
    .addCommand(sub('dump', 'print every entry of a map').exitOverride())
    .addCommand(sub('lookup', 'print the value of one key').exitOverride())
    .addCommand(sub('update', 'set one key, then run the program if one is named, then print the map').exitOverride())
    .addCommand(sub('delete', 'delete one key, then run the program if one is named, then print the map').exitOverride());
}
