/**
 * bpf_probe_read*: copies from an address the program may not dereference
 * itself. The source is "unsafe": an address outside every region of the
 * runtime's memory (whatever the engine's mode) is -EFAULT with the
 * destination zero-filled, as the kernel's nofault copies do. The
 * destination is the program's own memory and is checked like its stores.
 *
 * The runtime has one address space, so the _user and _kernel forms (and
 * the legacy ones) read the same memory. (On x86-64 the kernel's _kernel
 * forms refuse every user-range address, NULL included, with -ERANGE before
 * trying; here there is no user range, and a bad address is -EFAULT.)
 */
import { argAccess, type HelperContext } from './context.js';
import { helperErr } from './errno.js';
import type { HelperDef, HelperFn } from './table.js';

export const BPF_FUNC_probe_read = 4;
export const BPF_FUNC_probe_read_str = 45;
export const BPF_FUNC_probe_read_user = 112;
export const BPF_FUNC_probe_read_kernel = 113;
export const BPF_FUNC_probe_read_user_str = 114;
export const BPF_FUNC_probe_read_kernel_str = 115;

/**
 * Where the `unsafe` source starts and how many bytes from it can be read, or undefined if none: the
 * bytes left in its region, in checked mode and not (the JIT's): a nofault read is the program's way to
 * ask whether memory is there, so its answer must not depend on the engine, as its own loads' checks do.
 */
function readable(ctx: HelperContext, unsafe: bigint): { at: number; avail: number } | undefined {
  if (unsafe === 0n || unsafe >= 0x100000000n) return undefined;
  const at = Number(unsafe);
  const region = ctx.space.find(at, 1);
  return region ? { at, avail: region.start + region.size - at } : undefined;
}

/** long bpf_probe_read_kernel(void *dst, u32 size, const void *unsafe_ptr): 0 or -EFAULT (bpf_copy_from_user too). */
export const probeRead = (name: string): HelperFn => (ctx, dst, sizeArg, unsafe) => {
  const size = Number(sizeArg & 0xffffffffn);
  if (size === 0) return 0n;
  const to = argAccess(ctx, `${name}: r1 (dst)`, dst, size, true);
  const src = readable(ctx, unsafe);
  const bytes = ctx.space.bytes;
  if (!src || src.avail < size) {
    bytes.fill(0, to, to + size);
    return helperErr('EFAULT');
  }
  bytes.copyWithin(to, src.at, src.at + size);
  return 0n;
};

/**
 * long bpf_probe_read_kernel_str(void *dst, u32 size, const void *unsafe_ptr):
 * strncpy_from_kernel_nofault. Copies up to `size` bytes, stopping after a
 * NUL; the last byte written is always a NUL. Returns the bytes written
 * (the NUL included), or -EFAULT with `dst` zero-filled when the string
 * runs into unreadable memory first.
 */
const probeReadStr = (name: string): HelperFn => (ctx, dst, sizeArg, unsafe) => {
  const size = Number(sizeArg & 0xffffffffn);
  if (size === 0) return 0n;
  const to = argAccess(ctx, `${name}: r1 (dst)`, dst, size, true);
  const src = readable(ctx, unsafe);
  const bytes = ctx.space.bytes;
  const window = src ? bytes.subarray(src.at, src.at + Math.min(size, src.avail)) : new Uint8Array(0);
  const nul = window.indexOf(0);
  if (!src || (nul < 0 && window.length < size)) {
    bytes.fill(0, to, to + size);
    return helperErr('EFAULT');
  }
  const n = nul < 0 ? size : nul + 1;
  bytes.copyWithin(to, src.at, src.at + n);
  bytes[to + n - 1] = 0;
  return BigInt(n);
};

export function probeHelpers(): HelperDef[] {
  return [
    { id: BPF_FUNC_probe_read, name: 'bpf_probe_read', fn: probeRead('bpf_probe_read') },
    { id: BPF_FUNC_probe_read_str, name: 'bpf_probe_read_str', fn: probeReadStr('bpf_probe_read_str') },
    { id: BPF_FUNC_probe_read_user, name: 'bpf_probe_read_user', fn: probeRead('bpf_probe_read_user') },
    { id: BPF_FUNC_probe_read_kernel, name: 'bpf_probe_read_kernel', fn: probeRead('bpf_probe_read_kernel') },
    { id: BPF_FUNC_probe_read_user_str, name: 'bpf_probe_read_user_str', fn: probeReadStr('bpf_probe_read_user_str') },
    { id: BPF_FUNC_probe_read_kernel_str, name: 'bpf_probe_read_kernel_str', fn: probeReadStr('bpf_probe_read_kernel_str') },
  ];
}
