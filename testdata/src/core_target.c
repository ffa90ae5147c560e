/* A target BTF for core.c with different layouts: the test relocates core.o against this object's BTF. */
#include "common.h"

struct task_struct {
	long state;
	int tgid;
	int pid;
	char comm[32];
	struct task_struct *parent;
};

struct core_bits {
	unsigned long long wide;
	unsigned int pad : 5;
	unsigned int low : 3;
	unsigned int mid : 9;
	int high : 12;
};

enum core_state { CORE_ZERO = 0, CORE_ONE = 10, CORE_TWO = 20 };

struct task_struct task_instance;
struct core_bits bits_instance;
enum core_state state_instance;
