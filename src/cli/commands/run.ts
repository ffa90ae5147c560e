/**
 * `ebpf run`: a raw program (assembly or instructions: r1 = input memory,
 * r2 = its length, prints r0), or a program of an ELF object run as
 * BPF_PROG_TEST_RUN runs it — retval as the kernel's test run gives it, data
 * out, ctx out — on one packet (--data), on each packet of a pcap file
 * (--pcap, one result per packet), or on a context alone (--ctx).
 *
 * A program runs on our engines only when our verifier accepts it (a raw
 * one as --type, socket_filter by default; an object's programs as their
 * collection loads them); `--no-verify` skips that with a warning.
 */
import { Command, Option } from 'commander';
import { parseHexBytes, toHex, u64Hex } from '../../internal/bytes.js';
import type { Insn } from '../../isa/index.js';
import { PROGRAM_TYPES, progTypeByName } from '../../platform/index.js';
import { verify } from '../../verifier/index.js';
import { SocketSpecError, checkSocketSpec, parseSocketSpec, type SentSignal, type SocketSpec } from '../../helpers/index.js';
import { DEFAULT_ENGINE, parsePcap, PcapError, UnsupportedProgramError, type LoadedCollection, type TestRunResult } from '../../runtime/index.js';
import { isElf, RAW_LICENSE, readProgram, readFileOrFail } from '../program-input.js';
import { EXIT_FAILURE, EXIT_USAGE, InputError, UsageError } from '../report.js';
import { ENGINE_NAMES, runRaw, type EngineName } from '../engines.js';
import { dumpMap, formatDump, openObject, type DumpedEntry } from './map.js';

/** The inputs of a program run of an object, as the command line gives them. */
export interface ObjectRunOptions {
  program?: string;
  data?: string;
  pcap?: string;
  ctx?: string;
  mem?: string;
  repeat?: string;
  /** NAME=VALUE assignments of global variables before load. */
  set?: string[];
  /** The sockets of the test world (parseSocketSpec's lines), for the socket helpers on our engines. */
  socket?: string[];
}

interface RunOptions extends ObjectRunOptions {
  engine: EngineName;
  type?: string;
  /** false with --no-verify. */
  verify: boolean;
  json?: boolean;
  trace?: boolean;
  unchecked?: boolean;
  dumpMaps?: boolean;
}

export interface ObjectRunInputs {
  /** One run per packet; `[undefined]` for a run without data. */
  packets: (Uint8Array | undefined)[];
  ctx?: Uint8Array;
  repeat?: number;
}

export interface ObjectRunReport {
  /** Index of the packet in the pcap file. */
  packet?: number;
  retval: number;
  /** The verdict's name for the program type (XDP_PASS, TC_ACT_SHOT…), when it has one. */
  verdict?: string;
  durationNs: number;
  dataOut: string;
  ctxOut: string;
  /** Our engines: the signals the program sent to the current task. */
  signals?: SentSignal[];
  /** Our engines, kprobe programs: bpf_override_return's value, as a u64 in hex. */
  overrideReturn?: string;
}

function parseRepeat(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1e9) throw new UsageError(`--repeat takes a whole number from 1 to 1000000000, got '${text}'`);
  return n;
}

function hexOption(name: string, text: string): Uint8Array {
  const bytes = parseHexBytes(text);
  if (!bytes) throw new UsageError(`${name}: '${text}' is not hex bytes`);
  return bytes;
}

/** Read --data / --mem / --pcap / --ctx / --repeat; at most one packet source. */
export function runInputs(opts: ObjectRunOptions): ObjectRunInputs {
  const sources = [opts.data !== undefined && '--data', opts.mem !== undefined && '--mem', opts.pcap !== undefined && '--pcap'].filter(Boolean);
  if (sources.length > 1) throw new UsageError(`give one of ${sources.join(', ')}, not several`);
  let packets: (Uint8Array | undefined)[] = [undefined];
  if (opts.data !== undefined) packets = [hexOption('--data', opts.data)];
  if (opts.mem !== undefined) packets = [readFileOrFail(opts.mem)];
  if (opts.pcap !== undefined) {
    try {
      packets = parsePcap(readFileOrFail(opts.pcap)).packets.map((p) => p.data);
    } catch (err) {
      if (err instanceof PcapError) throw new InputError(opts.pcap, err);
      throw err;
    }
    if (packets.length === 0) throw new UsageError(`${opts.pcap}: the capture holds no packets`);
  }
  return {
    packets,
    ...(opts.ctx !== undefined ? { ctx: hexOption('--ctx', opts.ctx) } : {}),
    ...(opts.repeat !== undefined ? { repeat: parseRepeat(opts.repeat) } : {}),
  };
}

function verdictName(type: number, retval: number): string | undefined {
  const spec = Object.values(PROGRAM_TYPES).find((p) => p.type === type);
  if (!spec || spec.verdicts.length === 1) return undefined;
  return spec.verdicts.find((v) => v.value === retval)?.name;
}

/** Test-run `program` of `c` once per packet. */
export function runObjectProgram(c: LoadedCollection, program: string, inputs: ObjectRunInputs): ObjectRunReport[] {
  const prog = c.programs[program];
  if (!prog) throw new UsageError(`no program '${program}' (programs: ${Object.keys(c.programs).join(', ')})`);
  const many = inputs.packets.length > 1;
  return inputs.packets.map((data, i) => {
    const r: TestRunResult = prog.testRun({ data, ctx: inputs.ctx, repeat: inputs.repeat });
    const verdict = verdictName(prog.spec.type, r.retval);
    return {
      ...(many ? { packet: i } : {}),
      retval: r.retval, ...(verdict ? { verdict } : {}), durationNs: r.durationNs, dataOut: toHex(r.dataOut), ctxOut: toHex(r.ctxOut),
      ...(r.signals ? { signals: r.signals } : {}), ...(r.overrideReturn === undefined ? {} : { overrideReturn: u64Hex(r.overrideReturn) }),
    };
  });
}

function formatReport(r: ObjectRunReport): string {
  const head = `${r.packet === undefined ? '' : `packet ${r.packet}: `}retval ${r.retval}${r.verdict ? ` (${r.verdict})` : ''}`;
  return [
    head, ...(r.dataOut ? [`  data_out ${r.dataOut}`] : []), ...(r.ctxOut ? [`  ctx_out ${r.ctxOut}`] : []),
    ...(r.signals ?? []).map((g) => `  signal ${g.sig} to ${g.thread ? `thread ${g.tid} of ` : ''}process ${g.pid}`),
    ...(r.overrideReturn === undefined ? [] : [`  override_return ${r.overrideReturn}`]),
  ].join('\n') + '\n';
}

/** The one line `--no-verify` prints on stderr. */
export const NO_VERIFY_WARNING = 'ebpf: warning: --no-verify: running a program the verifier has not accepted\n';

/**
 * Refuse a program our verifier rejected: the verifier's message (`what`),
 * our explanation and how to see the log or run it anyway on stderr; exit
 * code 1.
 */
export function refuseRejected(what: string, summary: string, logCommand: string): undefined {
  process.stderr.write(`ebpf: ${what}\n${summary}(${logCommand} prints the whole log; --no-verify runs it anyway)\n`);
  process.exitCode = EXIT_FAILURE;
  return undefined;
}

/**
 * Refuse a program our verifier cannot judge yet: the reason and the way
 * out (--no-verify) on stderr; exit code 2.
 */
export function refuseUnsupported(input: string, err: UnsupportedProgramError): undefined {
  const reason = err.cause instanceof UnsupportedProgramError ? err.cause.reason : err.reason;
  process.stderr.write(`ebpf: ${input}: program ${err.program}: our verifier cannot verify it yet: ${reason} (--no-verify runs it anyway)\n`);
  process.exitCode = EXIT_USAGE;
  return undefined;
}

/**
 * Our verifier's verdict on a raw program before an engine of ours runs it
 * (the kernel engine is gated by the kernel's own verifier). A rejection
 * is refused (refuseRejected) and returns false.
 */
function verifyBeforeRun(input: string, insns: Insn[], opts: RunOptions): boolean {
  if (!opts.verify) {
    process.stderr.write(NO_VERIFY_WARNING);
    return true;
  }
  if (opts.engine === 'kernel') return true;
  const type = opts.type ?? 'socket_filter';
  const r = verify(insns, { progType: type, license: RAW_LICENSE, logLevel: 0 });
  if (!r.error) return true;
  refuseRejected(`${input}: the verifier rejected the program (as ${type}) at insn ${r.error.insn}: ${r.error.message}`, r.summary ?? '', `ebpf verify ${input} --type ${type}`);
  return false;
}

/** --socket lines as socket descriptions; the kernel engine has the machine's real sockets instead. */
export function socketOptions(opts: { socket?: string[]; engine: EngineName }): SocketSpec[] {
  if (!opts.socket?.length) return [];
  if (opts.engine === 'kernel') throw new UsageError('--socket describes the sockets of our engines\' test world; the kernel looks up the machine\'s real sockets');
  return opts.socket.map((line, i) => {
    try {
      const spec = parseSocketSpec(line);
      checkSocketSpec(spec, `socket '${line}'`);
      return spec;
    } catch (err) {
      if (err instanceof SocketSpecError) throw new UsageError(`--socket ${i + 1}: ${err.message}`);
      throw err;
    }
  });
}

function runObject(file: string, opts: RunOptions): void {
  if (opts.trace || opts.unchecked) throw new UsageError('--trace and --unchecked are for raw programs, not objects');
  if (opts.type !== undefined) throw new UsageError('--type is for raw programs: an object\'s sections give its programs\' types');
  const inputs = runInputs(opts);
  const c = openObject(file, opts.engine, opts.program, opts.set, opts.verify, socketOptions(opts));
  if (!c) return;
  try {
    let program = opts.program;
    if (program === undefined) {
      const names = Object.keys(c.programs);
      if (names.length !== 1) throw new UsageError(`${file} has ${names.length} programs: name one with --program (${names.join(', ')})`);
      program = names[0];
    }
    const reports = runObjectProgram(c, program, inputs);
    const maps: Record<string, DumpedEntry[] | null> = {};
    if (opts.dumpMaps) for (const [name, map] of Object.entries(c.maps)) maps[name] = dumpMap(map);
    if (opts.json) {
      for (const r of reports) process.stdout.write(JSON.stringify({ engine: opts.engine, program, ...r }) + '\n');
      if (opts.dumpMaps) process.stdout.write(JSON.stringify({ maps }) + '\n');
      return;
    }
    for (const r of reports) process.stdout.write(formatReport(r));
    for (const [name, entries] of Object.entries(maps)) process.stdout.write(formatDump(name, c.maps[name], entries));
  } finally {
    c.dispose();
  }
}

function runProgram(input: string, opts: RunOptions): void {
  const objectOnly = [opts.program !== undefined && '--program', opts.set !== undefined && '--set', opts.socket !== undefined && '--socket', opts.pcap !== undefined && '--pcap', opts.ctx !== undefined && '--ctx', opts.dumpMaps && '--dump-maps'].filter(Boolean);
  if (objectOnly.length) throw new UsageError(`${objectOnly.join(', ')} ${objectOnly.length > 1 ? 'are' : 'is'} for ELF objects; ${input} is a raw program`);
  if (opts.mem && opts.data) throw new UsageError('give either --mem or --data, not both');
  const repeat = opts.repeat === undefined ? 1 : parseRepeat(opts.repeat);
  let mem: Uint8Array | undefined;
  if (opts.mem) mem = readFileOrFail(opts.mem);
  if (opts.data !== undefined) mem = hexOption('--data', opts.data);
  const { insns } = readProgram(input);
  if (!verifyBeforeRun(input, insns, opts)) return;
  const trace = opts.trace ? (line: string) => process.stderr.write(line + '\n') : undefined;
  const result = runRaw(opts.engine, insns, { mem, repeat, trace, checked: !opts.unchecked });
  if (opts.json) {
    process.stdout.write(JSON.stringify({
      engine: opts.engine,
      retval: result.retval.toString(),
      durationNs: result.durationNs,
      dataOut: toHex(result.dataOut),
    }) + '\n');
  } else {
    process.stdout.write(`0x${result.retval.toString(16)}\n`);
  }
}

export function runCommand(): Command {
  return new Command('run')
    .description('run a program: a raw one gets r1 = input memory, r2 = its length and prints r0; a program of an ELF object runs as BPF_PROG_TEST_RUN runs it')
    .argument('<in>', 'assembly (.s), raw instructions (.bin) or an ELF object (.o)')
    .option('--program <name>', 'object: the program to run (needed when the object has several)')
    .option('--mem <file>', 'input memory (object: the packet), read from a file')
    .option('--data <hex>', 'input memory (object: the packet) as hex bytes (e.g. "aa bb 11")')
    .option('--pcap <file>', 'object: run on each packet of a pcap file, one result per packet')
    .option('--ctx <hex>', 'object: the context (ctx_in) as hex bytes: xdp_md, __sk_buff, raw tracepoint arguments…')
    .option('--set <name=value...>', 'object: set global variables before load (an integer, or hex:BYTES), as a skeleton does')
    .option('--socket <spec...>', 'object: a socket the socket helpers find, e.g. "tcp 127.0.0.1:8080" or "udp [::1]:53 [::2]:99 mark=7" (repeatable)')
    .option('--repeat <n>', 'run this many times (durationNs is the mean)')
    .addOption(new Option('--engine <engine>', `execution engine (default: ${DEFAULT_ENGINE}; interp with --trace or --unchecked)`).choices(ENGINE_NAMES))
    .option('--json', 'print {"engine","retval","durationNs","dataOut"} (objects: also program, verdict, ctxOut; one line per packet)')
    .option('--dump-maps', 'object: print every map after the run')
    .option('--trace', 'print each executed instruction and the registers it wrote (interp)')
    .option('--unchecked', 'skip the interpreter\'s region checks (accesses stay inside its memory)')
    .option('--type <type>', 'raw program: the program type our verifier checks it as before the run (default socket_filter)')
    .option('--no-verify', 'run without verifying first (prints a warning)')
    .action((input: string, given: Omit<RunOptions, 'engine'> & { engine?: EngineName }) => {
      // The interpreter alone traces and runs unchecked: those flags pick it when no engine is named.
      const opts: RunOptions = { ...given, engine: given.engine ?? (given.trace || given.unchecked ? 'interp' : DEFAULT_ENGINE) };
      if (opts.type !== undefined && progTypeByName(opts.type) === undefined) throw new UsageError(`--type: unknown program type '${opts.type}'`);
      if (isElf(readFileOrFail(input))) runObject(input, opts);
      else runProgram(input, opts);
    });
}
