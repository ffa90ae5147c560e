/**
 * bpf_get_local_storage (kernel/bpf/helpers.c): the address of the cgroup
 * storage of the running program — the storage of the map's type
 * (shared or per-CPU; a program uses at most one map of each) that the run
 * brought with it; for the per-CPU type, this CPU's copy. The verifier
 * demands flags 0, and the helper cannot fail: a run always has its
 * storages.
 *
 * A run's storages are what the kernel hands the program with its run
 * context (bpf_cg_run_ctx.prog_item->cgroup_storage[]): BPF_PROG_TEST_RUN
 * allocates fresh zeroed ones for the run and frees them after
 * (`CgroupStorageRuns.testRun`); a program attached to a cgroup gets the
 * map's element of (cgroup, attach type) (`CgroupStorageMap.linkStorage`).
 */
import { CgroupStorageMap, type BpfMap, type MapRegistry } from '../maps/index.js';
import { mapTypeName } from '../platform/index.js';
import type { HelperContext } from './context.js';
import { RuntimeError } from './errors.js';
import type { HelperDef } from './table.js';

export const BPF_FUNC_get_local_storage = 81;

/** The cgroup storages of the run in progress, for bpf_get_local_storage. */
export class CgroupStorageRuns {
  /** Storage addresses by enum bpf_cgroup_storage_type, while a run is in progress. */
  private current: (number | undefined)[] = [];

  /**
   * Make `storages` (storage addresses by bpf_cgroup_storage_type) the ones
   * runs see until the returned function puts the previous ones back.
   */
  enter(storages: readonly (number | undefined)[]): () => void {
    const before = this.current;
    this.current = [...storages];
    return () => {
      this.current = before;
    };
  }

  /**
   * bpf_test_run's bpf_cgroup_storages_alloc: a fresh zeroed storage for each
   * cgroup storage map among `maps` (the first of each type), which every
   * repetition of the run shares; the returned function frees them.
   */
  testRun(maps: readonly BpfMap[]): () => void {
    const owners: CgroupStorageMap[] = [];
    for (const map of maps) {
      if (map instanceof CgroupStorageMap && owners[map.storageType] === undefined) owners[map.storageType] = map;
    }
    const storages = owners.map((m) => m?.allocStorage());
    const leave = this.enter(storages);
    return () => {
      leave();
      owners.forEach((m, stype) => m?.freeStorage(storages[stype]!));
    };
  }

  /** The storage of type `stype` of the run in progress, or undefined outside a run. */
  storage(stype: number): number | undefined {
    return this.current[stype];
  }
}

export function localStorageHelpers(registry: MapRegistry, runs: CgroupStorageRuns): HelperDef[] {
  return [
    {
      // void *bpf_get_local_storage(void *map, u64 flags).
      id: BPF_FUNC_get_local_storage, name: 'bpf_get_local_storage',
      fn: (ctx: HelperContext, m) => {
        const map = registry.mapByAddress(m);
        if (!(map instanceof CgroupStorageMap)) {
          const what = map ? `a ${mapTypeName(map.type) ?? `type ${map.type}`} map` : 'not a map';
          throw new RuntimeError(`bpf_get_local_storage: r1 (0x${m.toString(16)}) is ${what}, not a cgroup storage`, { addr: m });
        }
        const storage = runs.storage(map.storageType);
        if (storage === undefined) {
          throw new RuntimeError(`bpf_get_local_storage: the run has no ${mapTypeName(map.type)} (a program gets its cgroup storage from a test run or a cgroup attachment)`);
        }
        if (ctx.cpu >= map.nrCpus) throw new RuntimeError(`bpf_get_local_storage: the program runs on CPU ${ctx.cpu}, but the maps have ${map.nrCpus} CPUs`);
        return BigInt(map.valueAddress(storage, ctx.cpu));
      },
    },
  ];
}
