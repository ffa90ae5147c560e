/** The errnos helpers return, as the u64 r0 a program sees (-errno, two's complement). */
const NUMBERS = {
  EPERM: 1, ENOENT: 2, E2BIG: 7, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, ENOSPC: 28, ERANGE: 34, EDEADLK: 35,
  EPROTO: 71, EPROTOTYPE: 91, EPROTONOSUPPORT: 93, ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, ENETUNREACH: 101, EALREADY: 114,
  /** The kernel-internal "operation not supported" that helpers return (not EOPNOTSUPP). */
  ENOTSUPP: 524,
} as const;

export type HelperErrno = keyof typeof NUMBERS;

/** -errno as a number, for code that returns an int (bprintf) or carries the error before it becomes r0. */
export const negErrno = (name: HelperErrno): number => -NUMBERS[name];

/** r0 for a helper failing with `name`: -errno as an unsigned 64-bit value. */
export const helperErr = (name: HelperErrno): bigint => BigInt.asUintN(64, BigInt(-NUMBERS[name]));

/** An int result (a length or -errno) as r0. */
export const intResult = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
