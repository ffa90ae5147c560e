/**
 * The programs the engine-hook tests run (test/vm/hooks.test.ts on the
 * interpreter, test/jit/hooks.test.ts on the JIT against the interpreter):
 * written once, so both engines are held to the same cases.
 */
import { slotOf } from './util.js';

/** Replace `CB` with the slot of the `cb:` label (what `lddw rX, CB ll` needs to load the callback). */
export const withCb = (text: string): string => text.replaceAll('CB', String(slotOf(text, 'cb')));

/** main: bpf_loop(nr, cb, ctx = r1) where cb adds its index to *ctx and stops after index `stop`. */
export const loopProg = (nr: number, stop: number, flags = 0): string => withCb(`
    r6 = r1
    r1 = ${nr}
    r2 = CB ll
    r3 = r6
    r4 = ${flags}
    call bpf_loop
    exit
  cb:
    r3 = *(u64 *)(r2 + 0)
    r3 += r1
    *(u64 *)(r2 + 0) = r3
    r0 = 0
    if r1 != ${stop} goto out
    r0 = 1
  out:
    exit`);

/** The callback clobbers r6, r7 and its stack; main returns its own stack slot + r6 + r7 = 0x1234 + 0x66 + 0x77. */
export const framesProg = withCb(`
    r6 = 0x66
    r7 = 0x77
    *(u64 *)(r10 - 8) = 0x1234
    r1 = 3
    r2 = CB ll
    r3 = 0
    r4 = 0
    call bpf_loop
    r0 = *(u64 *)(r10 - 8)
    r0 += r6
    r0 += r7
    exit
  cb:
    r6 = 1
    r7 = 2
    *(u64 *)(r10 - 8) = 5
    r0 = 0
    exit`);

/** cb increments *ctx and, while it is below `limit`, calls bpf_loop(1, cb, ctx) again: one frame per level. */
export const nestedProg = (limit: number): string => withCb(`
      r3 = r1
      r1 = 1
      r2 = CB ll
      r4 = 0
      call bpf_loop
      exit
    cb:
      r6 = r2
      r1 = *(u64 *)(r6 + 0)
      r1 += 1
      *(u64 *)(r6 + 0) = r1
      r0 = 0
      if r1 >= ${limit} goto out
      r1 = 1
      r2 = CB ll
      r3 = r6
      r4 = 0
      call bpf_loop
      r0 = 0
    out:
      exit`);

/** A bpf-to-bpf call inside a callback (it takes a frame too); bpf_loop returns 1. */
export const callInCallbackProg = withCb(`
    r1 = 1
    r2 = CB ll
    r3 = 0
    r4 = 0
    call bpf_loop
    exit
  cb:
    call f
    r0 = 0
    exit
  f:
    r0 = 7
    exit`);

/** for_each_map_elem over the map at `map`, summing the u64 values into *ctx (ctx = r1). */
export const forEachProg = (map: number): string => withCb(`
    r6 = r1
    r1 = ${map} ll
    r2 = CB ll
    r3 = r6
    r4 = 0
    call bpf_for_each_map_elem
    exit
  cb:
    r5 = *(u64 *)(r3 + 0)
    r1 = *(u64 *)(r4 + 0)
    r5 += r1
    *(u64 *)(r4 + 0) = r5
    r0 = 0
    exit`);

/** Tail call to `index` of the prog_array at `map`; returns 99 when it falls through. */
export const tailJump = (map: number, index: number): string => `
    r2 = ${map} ll
    r3 = ${index}
    call bpf_tail_call
    r0 = 99
    exit`;

/** Counts its runs in *(u64 *)ctx, then tail calls slot 0 of `map` (install it there: itself). */
export const tailSelfProg = (map: number): string => `
    r2 = *(u64 *)(r1 + 0)
    r2 += 1
    *(u64 *)(r1 + 0) = r2
    ${tailJump(map, 0)}`;

/** Reads the stack it never wrote (a fresh frame reads 0) and adds *(u64 *)ctx: the target of a tail call. */
export const tailTargetProg = `
    r0 = *(u64 *)(r10 - 8)
    r2 = *(u64 *)(r1 + 0)
    r0 += r2
    exit`;
