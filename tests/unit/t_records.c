/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Thread records beyond the last one (core/guard.c): a process with more
 * threads than records (1024) puts the rest on one shared record, whose
 * counts are atomic: how many calls, how many read-side sections. The
 * private records' fast path never runs there; these tests hold every
 * private record with parked threads, so the thread under test is on the
 * shared one: a handler run by generic_handle_irq from that thread blocks,
 * and free_irq() of another line's action (which only the grace period can
 * make wait) must not return until the handler has. Shutdown's wait for a
 * section on the shared record is tests/torture/t_section.c's (a handler
 * would make shutdown wait anyway, through its free of the handler's line).
 *
 * "Must not return" is checked after a 200 ms pause: a wrong implementation
 * is caught when it returns within it; a right one never fails.
 */
#include "util_records.h"

#define LINE_A		5u	/* the blocking handler */
#define LINE_B		6u	/* the action freed */

static atomic_bool handler_in, handler_go, other_done;
static atomic_int ghi_rc;
static struct ut_dev dev_b;

static irqreturn_t blocking_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_store(&handler_in, true);
	for (int i = 0; i < 20000 && !atomic_load(&handler_go); i++)
		ut_sleep_ms(1);
	return IRQ_HANDLED;
}

/* CPU 1, on the shared record: one event of LINE_A inline. */
static void *ghi_main(void *arg)
{
	(void)arg;
	if (irqcore_cpu_attach(1) == 0) {
		atomic_store(&ghi_rc, generic_handle_irq(LINE_A));
		irqcore_cpu_detach();
	}
	return NULL;
}

static void *free_main(void *arg)
{
	(void)arg;
	ASSERT_TRUE(free_irq(LINE_B, &dev_b) != NULL);
	atomic_store(&other_done, true);
	return NULL;
}

/* Set up, park the holders, start the blocked handler. */
static pthread_t start(void)
{
	pthread_t g;
	int dummy = 0;

	ut_dev_init(&dev_b, 2, IRQ_HANDLED);
	ut_start_ext(2, 0);
	ASSERT_EQ(irqcore_cpu_detach(), 0);	/* CPU 1 is for the shared thread */
	ASSERT_EQ(request_irq(LINE_A, blocking_handler, 0, "a", &dummy), 0);
	ASSERT_EQ(request_irq(LINE_B, ut_handler, 0, "b", &dev_b), 0);
	ur_park_holders();
	ASSERT_EQ(pthread_create(&g, NULL, ghi_main, NULL), 0);
	for (int i = 0; i < 20000 && !atomic_load(&handler_in); i++)
		ut_sleep_ms(1);
	ASSERT_TRUE(atomic_load(&handler_in));
	return g;
}

static void finish(pthread_t g, pthread_t other)
{
	atomic_store(&handler_go, true);
	pthread_join(g, NULL);
	pthread_join(other, NULL);
	ASSERT_TRUE(atomic_load(&other_done));
	ASSERT_EQ(atomic_load(&ghi_rc), 0);
	ur_release_holders();
}

TEST_T(shared_section_holds_grace_period, 60)
{
	pthread_t g = start(), f;

	ASSERT_EQ(pthread_create(&f, NULL, free_main, NULL), 0);
	ut_sleep_ms(200);
	ASSERT_FALSE(atomic_load(&other_done));	/* waits for the handler's section */
	finish(g, f);
	irqcore_shutdown();
}
