/** Helper implementations and the one dispatch table every engine calls through. */
export * from './errors.js';
export * from './context.js';
export * from './table.js';
export * from './printk.js';
export * from './base.js';

import { baseHelpers } from './base.js';
import { HelperTable, type HelperDef } from './table.js';

/** A table with the base helpers, plus `extra` (which may replace them). */
export function createHelperTable(extra: Iterable<HelperDef> = []): HelperTable {
  return new HelperTable([...baseHelpers(), ...extra]);
}
