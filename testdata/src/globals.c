/* Global data of every kind: .data, .rodata, .bss, custom .data.* / .rodata.* sections, .kconfig externs, string literals, static variables. */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct config {
	__u32 limit;
	__u16 port;
	__u8 enabled;
};

int counter = 5;                         /* .data */
__u64 big_counter = 0x1122334455667788;  /* .data */
const volatile __u32 threshold = 42;     /* .rodata */
const volatile struct config cfg = { .limit = 1000, .port = 80, .enabled = 1 }; /* .rodata */
__u64 hits;                              /* .bss */
__u32 histogram[8];                      /* .bss */
int custom_value SEC(".data.custom") = 7;
const volatile int custom_const SEC(".rodata.custom") = -3;
static int static_var = 11;              /* .data, local symbol */
static volatile __u64 static_bss;        /* .bss, local symbol */

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig __weak;

SEC("xdp")
int use_globals(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	if (len > threshold)
		hits++;
	histogram[len & 7]++;
	counter += static_var;
	static_bss += cfg.limit;
	big_counter++;
	custom_value += custom_const;
	if (!cfg.enabled)
		return XDP_DROP;
	if (LINUX_KERNEL_VERSION > 0 && CONFIG_HZ > 0)
		bpf_printk("hz %d port %d", CONFIG_HZ, cfg.port);
	return XDP_PASS;
}
