/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_coalesce — the ends of a dispatcher's coalescing wait (D10,
 * src/core/dispatch.c), each made deterministic: with
 * IRQCORE_TORTURE_COALESCE_FOREVER=1 the torture build's waits last until
 * one of their ends comes, so a missing end is a hang (a bounded wait that
 * fails), not a late event.
 *
 * One dispatcher thread (CPU 0, spinning idle); lines A and B in class 0,
 * H in class 1. The hook at IRQC_DBG_COALESCE counts the waits that start.
 * Each test: A is raised and handled, its pass ends in a wait; B is raised
 * during the wait and must not run (the wait is forever: B running means
 * the wait ended on a class-0 event). Then one end comes, and B runs:
 *   class_above_0_ends  H raised: H and B run in the next pass
 *   quiesce_ends        irqcore_quiesce() (its kick) returns 0, B handled
 *   tasklet_ends        a tasklet scheduled from a thread that is no CPU
 *                       runs, B with it
 *   shutdown_ends       irqcore_shutdown() returns (B may or may not run)
 *   off_never_waits     coalesce_ns -1: no wait starts, B runs at once
 * Removing an end from coalesce_ends() makes its test fail.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hold.h"
#include "../harness.h"

#include <stdlib.h>

#define LINE_A	3u
#define LINE_B	4u
#define LINE_H	5u

static atomic_int waits;		/* waits started */
static struct ut_dev dev_a, dev_b, dev_h;
static atomic_bool tasklet_ran;

static void hook(int point, unsigned int irq, void *arg)
{
	(void)irq;
	(void)arg;
	if (point == IRQC_DBG_COALESCE)
		atomic_fetch_add(&waits, 1);
}

static bool wait_waits(int n)
{
	for (int i = 0; i < 20000 && atomic_load(&waits) < n; i++)
		ut_sleep_ms(1);
	return atomic_load(&waits) >= n;
}

/* Start one spinning dispatcher with forever waits (coalesce_ns: the
 * configuration's), request A, B and H on it, raise A and wait until its
 * pass has started a wait, then raise B, which must stay pending. */
static void setup(int coalesce_ns)
{
	struct irqcore_config c;
	cpu_set_t m0 = ut_mask1(0);

	atomic_store(&waits, 0);
	atomic_store(&tasklet_ran, false);
	ut_dev_init(&dev_a, 1, IRQ_HANDLED);
	ut_dev_init(&dev_b, 2, IRQ_HANDLED);
	ut_dev_init(&dev_h, 3, IRQ_HANDLED);
	ASSERT_EQ(setenv("IRQCORE_TORTURE_COALESCE_FOREVER", "1", 1), 0);
	ut_config(&c, 1, 0);
	c.idle = IRQCORE_IDLE_SPIN;
	c.coalesce_ns = coalesce_ns;
	ASSERT_EQ(irqcore_init(&c), 0);
	ASSERT_EQ(unsetenv("IRQCORE_TORTURE_COALESCE_FOREVER"), 0);
	th_log_reset();
	ASSERT_EQ(request_irq(LINE_A, ut_handler, 0, "co_a", &dev_a), 0);
	ASSERT_EQ(request_irq(LINE_B, ut_handler, 0, "co_b", &dev_b), 0);
	ASSERT_EQ(request_irq(LINE_H, ut_handler, 0, "co_h", &dev_h), 0);
	ASSERT_EQ(irq_set_affinity(LINE_H, &m0), 0);
	ASSERT_EQ(irq_set_priority(LINE_H, 1), 0);
	/* the requests' own quiesces are over: from here a kick is the test's */
	irqcore_debug_set_hook(hook, NULL);
	ASSERT_EQ(irq_raise(LINE_A), 0);
	ASSERT_TRUE(th_wait_calls(&dev_a, 1));
}

/* A's pass is in its wait; B raised meanwhile stays pending. */
static void raise_b_in_wait(void)
{
	ASSERT_TRUE(wait_waits(1));
	ASSERT_EQ(irq_raise(LINE_B), 0);
	/* long enough for a wrong end to show, and no timing assertion: the
	 * wait is forever, so B cannot run in time or late */
	ut_sleep_ms(50);
	ASSERT_EQ(ut_calls(&dev_b), 0);
	ASSERT_EQ(atomic_load(&waits), 1);
}

static void teardown(void)
{
	irqcore_debug_set_hook(NULL, NULL);
	irqcore_shutdown();
	/* nothing lost: every raise was handled */
}

TEST(class_above_0_ends)
{
	setup(0);
	raise_b_in_wait();
	ASSERT_EQ(irq_raise(LINE_H), 0);
	ASSERT_TRUE(th_wait_calls(&dev_h, 1));
	ASSERT_TRUE(th_wait_calls(&dev_b, 1));
	ASSERT_EQ(ut_calls(&dev_a), 1);
	ASSERT_EQ(ut_status(LINE_B).count, 1);
	teardown();
}

TEST(quiesce_ends)
{
	setup(0);
	raise_b_in_wait();
	ASSERT_EQ(irqcore_quiesce(20000), 0);
	ASSERT_EQ(ut_calls(&dev_b), 1);
	ASSERT_EQ(ut_calls(&dev_h), 0);
	teardown();
}

static void on_tasklet(unsigned long data)
{
	(void)data;
	atomic_store(&tasklet_ran, true);
}

TEST(tasklet_ends)
{
	struct tasklet_struct t;

	tasklet_init(&t, on_tasklet, 0);
	setup(0);
	raise_b_in_wait();
	tasklet_schedule(&t);		/* the test thread is no CPU: CPU 0 */
	ASSERT_TRUE(th_wait_true(&tasklet_ran));
	ASSERT_TRUE(th_wait_calls(&dev_b, 1));
	tasklet_kill(&t);
	teardown();
}

TEST(shutdown_ends)
{
	setup(0);
	raise_b_in_wait();
	/* the dispatcher is in a forever wait: only stop ends it, and
	 * shutdown joins the thread */
	irqcore_debug_set_hook(NULL, NULL);
	irqcore_shutdown();
	ASSERT_EQ(irq_raise(LINE_B), -ENODEV);
}

TEST(off_never_waits)
{
	setup(-1);
	ASSERT_EQ(irq_raise(LINE_B), 0);
	ASSERT_TRUE(th_wait_calls(&dev_b, 1));
	ASSERT_EQ(atomic_load(&waits), 0);
	teardown();
}
