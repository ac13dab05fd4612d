/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared by bench_progs.bpf.c and the driver. */
#ifndef BENCH_GEN_H
#define BENCH_GEN_H

/* Bytes of the template rewritten into every generated frame:
 * Ethernet + IPv6 + UDP (IPv4 frames use the first 42). */
#define BENCH_GEN_HDR 64

/* Random destinations: i uniform in [0, rand_n), h = (i * MUL) & mask; the
 * multiplier is odd, so h is a bijection of i modulo mask + 1 (a power of
 * two) and the driver installs exactly the routes the generator hits. */
#define BENCH_GEN_MUL 2654435761u

#define BENCH_CNT_SINK 0
#define BENCH_CNT_DROP 1
#define BENCH_N_COUNTERS 2

struct bench_gen_cfg {
	unsigned char hdr[BENCH_GEN_HDR];
	unsigned int family;    /* 4 or 6 */
	unsigned int rand_n;    /* 0: fixed destination */
	unsigned int rand_mask; /* power of two minus one, >= rand_n - 1 */
	unsigned int rand_base; /* IPv4: host-order address; IPv6: 32-bit word 1 */
	unsigned int src_n;     /* IPv4: 0, the template's source; else a random */
	unsigned int src_base;  /* one of src_base + [0, src_n) (host order) */
};

#endif
