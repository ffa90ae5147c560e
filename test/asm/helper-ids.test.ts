import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BPF_FUNC_MAX_ID, BPF_FUNC_NAMES, helperIdByName, helperName } from '../../src/platform/helper-ids.js';

test('helper ids follow __BPF_FUNC_MAPPER of the current kernel', () => {
  assert.equal(BPF_FUNC_MAX_ID, 212);
  const known: Record<string, number> = {
    bpf_unspec: 0, bpf_map_lookup_elem: 1, bpf_map_update_elem: 2, bpf_trace_printk: 6, bpf_tail_call: 12,
    bpf_xdp_adjust_head: 44, bpf_redirect_map: 51, bpf_spin_lock: 93, bpf_ringbuf_output: 130,
    bpf_get_current_task_btf: 158, bpf_get_func_ip: 173, bpf_loop: 181, bpf_ktime_get_tai_ns: 208,
    bpf_user_ringbuf_drain: 209, bpf_cgrp_storage_get: 210, bpf_cgrp_storage_delete: 211,
  };
  for (const [name, id] of Object.entries(known)) {
    assert.equal(BPF_FUNC_NAMES[id], name);
    assert.equal(helperIdByName(name), id);
  }
  assert.equal(new Set(BPF_FUNC_NAMES).size, BPF_FUNC_NAMES.length);
  assert.ok(BPF_FUNC_NAMES.every((n) => /^bpf_[a-z0-9_]+$/.test(n)));
});

test('lookups: with or without the bpf_ prefix, undefined outside the list', () => {
  assert.equal(helperIdByName('map_lookup_elem'), 1);
  assert.equal(helperIdByName('bpf_no_such_helper'), undefined);
  assert.equal(helperName(1), 'bpf_map_lookup_elem');
  for (const id of [-1, 212, 1.5, Number.NaN]) assert.equal(helperName(id), undefined);
});
