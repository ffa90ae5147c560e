// Return the IP protocol of an Ethernet + IPv4 frame, or 0 when the input is
// too short or not IPv4 — with the bounds check the verifier will demand.
    r0 = 0
    r3 = r1
    r3 += r2                      // r3 = end of the frame
    r4 = r1
    r4 += 34                      // Ethernet (14) + minimal IPv4 header (20)
    if r4 > r3 goto out
    r5 = *(u16 *)(r1 + 12)        // EtherType, network byte order
    r5 = be16 r5
    if r5 != 0x800 goto out
    r0 = *(u8 *)(r1 + 23)         // IPv4 protocol field
out:
    exit
