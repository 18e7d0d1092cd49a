/* SPDX-License-Identifier: BSD-2-Clause */
/* threaded.h — private to src/threaded. */
#ifndef IRQCORE_THREADED_H
#define IRQCORE_THREADED_H

#include "internal.h"

struct irqc_thread {
	pthread_t tid;
	struct ck_ec32 ec;		/* wake-ups (futex when asleep) */
	_Atomic uint32_t flags;		/* IRQTF_* */
	struct irq_desc *desc;
	struct irqaction *action;
	int cpu;			/* dispatcher whose PU we follow, -1 none yet */
	_Atomic bool affinity_set;	/* irq_set_thread_affinity: do not follow */
	_Atomic int reapply;		/* bumped to make the thread re-pin (D6) */
	int applied;
	/* sched.c, under desc->lock: what the thread runs at */
	bool sched_noted;		/* false until it applied its priority */
	bool sched_refused;		/* SCHED_FIFO asked for and refused */
	int sched_prio;			/* 1..99 SCHED_FIFO, 0 SCHED_OTHER */
	char name[16];
};

/* sched.c */
void irqc__thread_sched_init(struct irqc_thread *t);
void irqc__thread_apply_affinity(struct irqc_thread *t);
int irqc__thread_set_prio(struct irqc_thread *t, int prio);

#endif
