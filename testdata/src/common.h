/* Shared by the test programs: the uAPI types and libbpf's helper macros. */
#ifndef TESTDATA_COMMON_H
#define TESTDATA_COMMON_H
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#endif
