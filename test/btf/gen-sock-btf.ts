/**
 * Generate src/platform/sock-btf.ts: the subset of this machine's vmlinux BTF
 * (/sys/kernel/btf/vmlinux) that the socket casts (bpf_skc_to_*) need — the
 * kernel's socket structs with every type they hold by value, so that sizes
 * and member offsets are the kernel's, and every struct or union within
 * SOCK_BTF_DEPTH pointer hops of them, kept whole the same way. A struct or
 * union further away is kept as a named struct of its size without members; other
 * pointer targets (functions, void, pointers) become void; an int or enum
 * target stays. Deterministic: the same vmlinux gives the same file.
 *
 * Usage: npx tsc -p . && node dist/test/btf/gen-sock-btf.js [/path/to/vmlinux-btf]
 *        node dist/test/btf/gen-sock-btf.js --sizes [/path/to/vmlinux-btf]   (what each depth would ship)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marshalBtf, memberOffset, parseBtf, resolveSize, typeByName, type Btf, type BtfType } from '../../src/btf/index.js';
import { repoRoot } from '../paths.js';

/** The structs the bpf_skc_to_* helpers and their arguments name (btf_sock_ids), and what they embed. */
export const SOCK_BTF_ROOTS = [
  'sock_common', 'sock', 'inet_sock', 'inet_connection_sock', 'tcp_sock', 'tcp6_sock', 'udp_sock', 'udp6_sock',
  'inet_timewait_sock', 'tcp_timewait_sock', 'request_sock', 'tcp_request_sock', 'unix_sock', 'mptcp_sock',
] as const;

/**
 * How many pointer hops from the roots a struct may be and still be kept whole
 * (beyond: a stub of its size). On Linux 6.18 the BTF is 26 KB at 0 hops, 64 KB
 * at 1, 119 KB at 2, 194 KB at 3 and 253 KB at 4: 3 is the deepest under 250 KB.
 */
export const SOCK_BTF_DEPTH = 3;

/** Members the runtime fills in (src/helpers/sock.ts), by struct: their offsets and sizes go into the generated file. */
const RUNTIME_FIELDS: Record<string, readonly string[]> = {
  sock: [
    'skc_daddr', 'skc_rcv_saddr', 'skc_dport', 'skc_num', 'skc_family', 'skc_state', 'skc_bound_dev_if', 'skc_v6_daddr',
    'skc_v6_rcv_saddr', 'skc_cookie', 'sk_priority', 'sk_mark', 'sk_type', 'sk_protocol',
  ],
  tcp_sock: [
    'snd_cwnd', 'srtt_us', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags', 'rate_delivered',
    'rate_interval_us', 'packets_out', 'retrans_out', 'total_retrans', 'segs_in', 'data_segs_in', 'segs_out', 'data_segs_out',
    'lost_out', 'sacked_out', 'bytes_received', 'bytes_acked', 'dsack_dups', 'delivered', 'delivered_ce', 'icsk_retransmits',
  ],
};

function layout(btf: Btf): { sizes: Record<string, number>; fields: Record<string, Record<string, [number, number]>> } {
  const sizes: Record<string, number> = {};
  for (const name of SOCK_BTF_ROOTS) sizes[name] = resolveSize(btf, typeByName(btf, name, 'struct')!);
  const fields: Record<string, Record<string, [number, number]>> = {};
  for (const [struct, names] of Object.entries(RUNTIME_FIELDS)) {
    fields[struct] = {};
    for (const name of names) {
      const path = name.startsWith('skc_') ? `__sk_common.${name}` : name.startsWith('icsk_') ? `inet_conn.${name}` : name;
      const loc = memberOffset(btf, typeByName(btf, struct, 'struct')!, path);
      if (!loc || loc.bitfieldSize || loc.bitOffset % 8) throw new Error(`struct ${struct} has no byte-aligned member ${path}`);
      fields[struct][name] = [loc.bitOffset / 8, resolveSize(btf, loc.type)];
    }
  }
  return { sizes, fields };
}

function subset(src: Btf, depth: number): Btf {
  const out: BtfType[] = [{ kind: 'void', name: '' }];
  const full = new Map<number, number>();
  const stub = new Map<number, number>();
  const skip = (id: number): number => {
    let t = src.types[id];
    while (t.kind === 'typedef' || t.kind === 'volatile' || t.kind === 'const' || t.kind === 'restrict' || t.kind === 'type_tag') {
      id = t.type;
      t = src.types[id];
    }
    return id;
  };
  /** A type held by value: kept whole, with what it holds. */
  const byValue = (id: number): number => {
    if (id === 0) return 0;
    const seen = full.get(id);
    if (seen !== undefined) return seen;
    const t = src.types[id];
    const at = out.length;
    full.set(id, at);
    out.push(t);
    switch (t.kind) {
      case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
        out[at] = { ...t, type: byValue(t.type) };
        break;
      case 'array':
        out[at] = { ...t, type: byValue(t.type), indexType: byValue(t.indexType) };
        break;
      case 'struct': case 'union':
        out[at] = { ...t, members: t.members.map((m) => ({ ...m, type: byValue(m.type) })) };
        break;
      case 'ptr':
        out[at] = { ...t, type: pointee(t.type) };
        break;
      case 'int': case 'enum': case 'enum64': case 'float': case 'fwd':
        break;
      default:
        throw new Error(`type [${id}] (${t.kind}) held by value`);
    }
    return at;
  };
  /** What a pointer member points to: a struct or union of the subset, else one of its size without members. */
  const pointee = (id: number): number => {
    const target = skip(id);
    const t = src.types[target];
    if (t.kind === 'struct' || t.kind === 'union') {
      if (wanted.has(target)) return byValue(target);
      let at = stub.get(target);
      if (at === undefined) {
        at = out.length;
        stub.set(target, at);
        out.push({ kind: t.kind, name: t.name, size: t.size, kindFlag: false, members: [] });
      }
      return at;
    }
    if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') return byValue(target);
    return 0;
  };
  const roots = SOCK_BTF_ROOTS.map((name) => {
    const id = typeByName(src, name, 'struct');
    if (id === undefined) throw new Error(`vmlinux BTF has no struct ${name}`);
    return id;
  });
  // First the structs kept whole (the roots, what they hold by value, and so on for each pointer hop up to `depth`),
  // so a pointer to one is never a stub.
  const wanted = new Set<number>();
  let frontier = roots;
  for (let hop = 0; frontier.length; hop++) {
    const next: number[] = [];
    const collect = (id: number): void => {
      const t = src.types[id];
      if (t.kind === 'ptr') {
        const target = skip(t.type);
        const k = src.types[target].kind;
        if ((k === 'struct' || k === 'union') && !wanted.has(target)) next.push(target);
        return;
      }
      if (wanted.has(id) || t.kind === 'void') return;
      wanted.add(id);
      if (t.kind === 'struct' || t.kind === 'union') for (const m of t.members) collect(m.type);
      else if (t.kind === 'array') collect(t.type);
      else if ('type' in t) collect(t.type);
    };
    for (const id of frontier) collect(id);
    frontier = hop < depth ? next : [];
  }
  for (const id of roots) byValue(id);
  return { types: out };
}

/** The text of src/platform/sock-btf.ts generated from vmlinux BTF bytes of Linux `kernel`. */
export function renderSockBtf(vmlinux: Uint8Array, kernel: string, depth = SOCK_BTF_DEPTH): string {
  return render(parseBtf(vmlinux, 'vmlinux').btf, kernel, depth).text;
}

function render(src: Btf, kernel: string, depth: number): { text: string; btf: Btf; bytes: Uint8Array } {
  const btf = subset(src, depth);
  const bytes = marshalBtf(btf).bytes;
  const b64 = Buffer.from(bytes).toString('base64');
  const { sizes, fields } = layout(btf);
  const fieldLines = Object.entries(fields).map(([struct, f]) =>
    `  ${struct}: {\n${Object.entries(f).map(([n, [o, z]]) => `    ${n}: { offset: ${o}, size: ${z} },`).join('\n')}\n  },`);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 100) lines.push(`  '${b64.slice(i, i + 100)}',`);
  const text = `/**
 * GENERATED by test/btf/gen-sock-btf.ts from the vmlinux BTF of Linux ${kernel}: do not edit.
 * Regenerate: npx tsc -p . && node dist/test/btf/gen-sock-btf.js [/sys/kernel/btf/vmlinux]
 *
 * The kernel's socket structs (${SOCK_BTF_ROOTS.join(', ')})
 * with every type they hold by value and every struct within ${depth} pointer hops of them, kept whole too,
 * as raw little-endian BTF (${bytes.length} bytes, ${btf.types.length - 1} types), base64.
 * Structs further away are named structs of their size without members.
 */

/** The Linux release the BTF was taken from. */
export const SOCK_BTF_KERNEL = '${kernel}';

/** The raw BTF, base64 (src/verifier/btf-ptr.ts decodes and parses it on first use). */
export const SOCK_BTF_BASE64 = [
${lines.join('\n')}
].join('');

/** sizeof each struct of SOCK_BTF_ROOTS in that kernel. */
export const SOCK_BTF_SIZES = {
${Object.entries(sizes).map(([n, z]) => `  ${n}: ${z},`).join('\n')}
} as const;

/** Where the members the runtime fills in are, in bytes from the start of the struct (anonymous members flattened). */
export const SOCK_BTF_FIELDS = {
${fieldLines.join('\n')}
} as const;
`;
  return { text, btf, bytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  if (process.argv[2] === '--sizes') {
    // What each depth would ship: BTF bytes, types, and the generated source.
    const src = parseBtf(readFileSync(process.argv[3] ?? '/sys/kernel/btf/vmlinux'), 'vmlinux').btf;
    for (let depth = 0; depth <= 5; depth++) {
      const { text, btf, bytes } = render(src, release(), depth);
      console.log(`depth ${depth}: ${bytes.length} BTF bytes, ${btf.types.length - 1} types, ${text.length} bytes of source`);
    }
    process.exit(0);
  }
  const text = renderSockBtf(readFileSync(process.argv[2] ?? '/sys/kernel/btf/vmlinux'), release());
  writeFileSync(join(repoRoot, 'src', 'platform', 'sock-btf.ts'), text);
  console.log(`src/platform/sock-btf.ts: ${text.length} bytes of source`);
}
