/** The errors of live objects: a test run the kernel would refuse, a collection that does not load. */
import { EbpfError } from '../internal/errors.js';

/** Errno names BPF_PROG_TEST_RUN answers with. */
export type TestRunErrno = 'EINVAL' | 'E2BIG' | 'ENODEV' | 'ENOTSUPP' | 'ENOMEM' | 'ERANGE' | 'EAFNOSUPPORT' | 'EOPNOTSUPP';

/** A test run refused for the reason BPF_PROG_TEST_RUN would give: `code` is the kernel's errno name. */
export class TestRunError extends EbpfError {
  constructor(readonly errno: TestRunErrno, readonly program: string, message: string) {
    super(errno, `test run of ${program}: ${message} (${errno})`);
  }
}

/** Loading a collection failed: `step` says where (maps, a program, a prog_array slot). */
export class CollectionError extends EbpfError {
  constructor(readonly step: string, message: string, options?: { cause?: unknown }) {
    super('ECOLLECTION', `${step}: ${message}`, options);
  }
}
