/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * synth.h — writes synthetic statistics segments (layout of
 * src/stats/export_abi.h) for irqtop's tests, fuzz seeds, benchmark and
 * the fake process of tests/irqtop. Not linked into irqtop.
 *
 * The writer follows the library's rules: per-CPU cells are written with
 * relaxed 64-bit stores, metadata records under seq (odd while written,
 * release increments), and meta_gen is bumped after a record changes.
 */
#ifndef IRQTOP_SYNTH_H
#define IRQTOP_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../src/stats/export_abi.h"

struct synth_params {
	uint32_t nr_cpus, nr_irqs;
	bool latency;
	int32_t pid;		/* 0: getpid() */
	const char *comm;	/* NULL: "synth" */
};

struct synth {
	int fd;
	unsigned char *map;
	size_t size;
	struct irqc_exp_header *h;
	struct irqc_exp_cpu *cpus;
	struct irqc_exp_line *lines;
	uint64_t *handled, *unhandled, *hard_ns, *hard_max, *hard_total,
		 *thread_ns, *coalesced, *lat;
};

/* Fills *h (sizes, counts, offsets: 64-byte aligned regions) and returns
 * the total size. */
size_t synth_layout(const struct synth_params *p, struct irqc_exp_header *h);

/* Builds the whole segment in a malloc()ed buffer (*size bytes): for the
 * fuzzer's seeds and the tests that write corrupt variants. */
void *synth_build(const struct synth_params *p, size_t *size);

/* Creates path (O_EXCL, mode 0600), sizes it and maps it read-write; the
 * header is filled and the heartbeat set. Returns 0 or -errno. */
int synth_create(struct synth *s, const char *path,
		 const struct synth_params *p);
/* The same on an open descriptor (ftruncate'd to the size). */
int synth_create_fd(struct synth *s, int fd, const struct synth_params *p);
/* Points the struct at an already laid-out buffer. */
void synth_attach(struct synth *s, void *buf, size_t size);
void synth_close(struct synth *s);

/* Publishes a line's metadata under its seq; affinity: CPU bitmap word 0. */
void synth_set_line(struct synth *s, uint32_t irq, const char *actions,
		    const char *chip, const char *flow, uint32_t state,
		    int32_t eff_cpu, uint64_t hwirq, uint64_t aff0);
void synth_heartbeat(struct synth *s);

static inline size_t synth_cell(const struct synth *s, uint32_t cpu,
				uint32_t irq)
{
	return (size_t)cpu * s->h->nr_irqs + irq;
}

/* One event of irq on cpu taking ns in its hard handler (the per-CPU cells
 * and the line's hard_total, as the library). */
void synth_event(struct synth *s, uint32_t cpu, uint32_t irq, uint64_t ns);

uint64_t synth_now_ns(void);

#endif
