# Fibonacci with a bpf-to-bpf call (uBPF / conformance syntax).
# fib(n) for n = the first byte of the input memory, or 10 without input.
    mov %r6, 10
    jeq %r2, 0, start
    ldxb %r6, [%r1+0]
start:
    mov %r1, %r6
    call local fib
    exit

# fib(r1): iterative, in its own frame; r6-r9 of the caller survive the call.
fib:
    mov %r0, 0
    mov %r2, 1
next:
    jeq %r1, 0, out
    mov %r3, %r0
    add %r3, %r2
    mov %r0, %r2
    mov %r2, %r3
    sub %r1, 1
    ja next
out:
    exit
