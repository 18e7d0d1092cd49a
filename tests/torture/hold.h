/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hold.h — what the tests of tests/torture share, on top of debug_hook.h:
 *
 *  - struct th_hold and th_hold_here(): a test's hook, after its own choice
 *    of point, line and thread, holds the thread that reached the point
 *    (once per arming) until the test lets go: that thread stands for one
 *    preempted right there. Bounded (60 s), so that a failed test ends.
 *  - th_wait_true(), th_wait_calls(): bounded waits for a flag and for a
 *    handler's runs (never a timing assertion).
 *  - struct th_ghi and th_ghi_main(): a thread that attaches as an external
 *    CPU, runs one generic_handle_irq() and detaches; while it runs the
 *    call, th_ghi_current is the thread's th_ghi (for hooks that hold only
 *    that thread).
 */
#ifndef IRQCORE_TEST_TORTURE_HOLD_H
#define IRQCORE_TEST_TORTURE_HOLD_H

#include "irqcore.h"
#include "debug_hook.h"
#include "../unit/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct th_hold {
	atomic_bool armed;		/* the next thread to reach the point is held */
	atomic_bool held;		/* one is held now */
	atomic_bool release;		/* the test lets it go */
};

static inline void th_hold_arm(struct th_hold *h)
{
	atomic_store(&h->held, false);
	atomic_store(&h->release, false);
	atomic_store(&h->armed, true);
}

static inline void th_hold_here(struct th_hold *h)
{
	bool expected = true;

	if (!atomic_compare_exchange_strong(&h->armed, &expected, false))
		return;
	atomic_store(&h->held, true);
	for (int i = 0; i < 60000 && !atomic_load(&h->release); i++)
		ut_sleep_ms(1);
}

/* Bounded wait (20 s, generous for the torture build). */
static inline UT_UNUSED bool th_wait_true(atomic_bool *p)
{
	for (int i = 0; i < 20000 && !atomic_load(p); i++)
		ut_sleep_ms(1);
	return atomic_load(p);
}

/* Bounded wait (20 s) until a ut_dev's handler has run n times. */
static inline UT_UNUSED bool th_wait_calls(struct ut_dev *d, int n)
{
	for (int i = 0; i < 20000 && ut_calls(d) < n; i++)
		ut_sleep_ms(1);
	return ut_calls(d) >= n;
}

struct th_ghi {
	unsigned int cpu, irq;		/* set by the test */
	atomic_int rc;			/* generic_handle_irq's, -1000 before */
	atomic_bool done;
};

static _Thread_local UT_UNUSED struct th_ghi *th_ghi_current;

static inline UT_UNUSED void th_ghi_init(struct th_ghi *g, unsigned int cpu, unsigned int irq)
{
	g->cpu = cpu;
	g->irq = irq;
	atomic_store(&g->rc, -1000);
	atomic_store(&g->done, false);
}

/* pthread_create(..., th_ghi_main, g) */
static inline UT_UNUSED void *th_ghi_main(void *arg)
{
	struct th_ghi *g = arg;

	if (irqcore_cpu_attach(g->cpu) == 0) {
		th_ghi_current = g;
		atomic_store(&g->rc, generic_handle_irq(g->irq));
		th_ghi_current = NULL;
		irqcore_cpu_detach();	/* -ENODEV after a shutdown: nothing to do */
	}
	atomic_store(&g->done, true);
	return NULL;
}

#endif /* IRQCORE_TEST_TORTURE_HOLD_H */
