/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stats.h — what the files of src/stats share and nothing outside uses.
 * The counters the hot path writes are inline in ../internal.h; the
 * segment's layout, shared with irqtop, is export_abi.h.
 */
#ifndef IRQCORE_STATS_H
#define IRQCORE_STATS_H

#include "../internal.h"

/* counters.c: a line's raise accounting, summed over the thread rows */
void irqc__counts_read(unsigned int irq, uint64_t *raised, uint64_t *coalesced);
/* proc.c: a line's handled events over every CPU, 64-bit */
uint64_t irqc__line_total(struct irq_desc *desc);

#endif /* IRQCORE_STATS_H */
