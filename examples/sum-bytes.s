// Sum the bytes of the input memory (kernel/LLVM syntax).
// r1 points to the memory and r2 holds its length, as `ebpf run` sets them.
    r0 = 0
    r3 = r1
    r3 += r2            // r3 = end of the memory
loop:
    if r1 >= r3 goto done
    r4 = *(u8 *)(r1 + 0)
    r0 += r4
    r1 += 1
    goto loop
done:
    exit
