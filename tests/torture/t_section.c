/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_section — a read-side section is both the chains' read side and the
 * guard of generic_handle_irq against shutdown (core/rcu.c, core/guard.c).
 * A thread is held right after its section's entry store, before it reads
 * the state (IRQC_DBG_SECTION_ENTER), standing for its preemption there: the
 * one point where a section is announced but has looked at nothing.
 *
 *   shutdown_waits   irqcore_shutdown() from another thread does not return
 *                    while the section is held (no line is left for it to
 *                    free, so no grace period of its own waits); let go,
 *                    the held call reads STOPPING and returns -ENODEV.
 *   shutdown_waits_shared  the same from a thread on the shared record
 *                    (every one of the 1024 private records held by a
 *                    parked thread), whose counts are atomic.
 *   grace_waits      free_irq() of an action on another line (so that only
 *                    the grace period can make it wait, not the line's
 *                    INPROGRESS) does not return while the section is held;
 *                    let go, the held call runs its own line's handler once,
 *                    and free_irq returns the name.
 *   *_fenced         shutdown_waits and grace_waits as on a kernel without
 *                    membarrier(2): the torture build leaves it unregistered
 *                    when IRQCORE_TORTURE_NO_MEMBARRIER=1, so both sides
 *                    take their fenced paths (strace shows no membarrier
 *                    call in these tests).
 *
 * "Does not return while held" is checked after a pause of 200 ms: a wrong
 * implementation is caught when it returns within it; a right one never
 * fails, however slow the machine (no timing is asserted).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hold.h"
#include "../harness.h"
#include "../unit/util_records.h"

#include <errno.h>
#include <string.h>

#define LINE_A	5u	/* the held thread's line */
#define LINE_B	6u	/* the line whose action is freed */

static struct th_hold hd;
static struct th_ghi ghi;
static struct ut_dev dev_a, dev_b;
static atomic_bool other_done;
static const void *_Atomic free_ret;

/* Hold the generic_handle_irq thread, and only it, at its section's entry. */
static void hook(int point, unsigned int irq, void *arg)
{
	(void)irq;
	(void)arg;
	if (point == IRQC_DBG_SECTION_ENTER && th_ghi_current == &ghi)
		th_hold_here(&hd);
}

static void *shutdown_main(void *arg)
{
	(void)arg;
	irqcore_shutdown();
	atomic_store(&other_done, true);
	return NULL;
}

static void *free_main(void *arg)
{
	(void)arg;
	atomic_store(&free_ret, free_irq(LINE_B, &dev_b));
	atomic_store(&other_done, true);
	return NULL;
}

/* fenced: as on a kernel without membarrier (IRQCORE_TORTURE_NO_MEMBARRIER,
 * read by the torture build at init): every announcement takes the slow
 * path with its full fence, every grace period and shutdown a fence */
static void setup(bool fenced)
{
	struct irqcore_config c;

	if (fenced)
		setenv("IRQCORE_TORTURE_NO_MEMBARRIER", "1", 1);	/* this test's process */

	atomic_store(&other_done, false);
	atomic_store(&free_ret, NULL);
	th_ghi_init(&ghi, 1, LINE_A);
	ut_dev_init(&dev_a, 1, IRQ_HANDLED);
	ut_dev_init(&dev_b, 2, IRQ_HANDLED);
	ut_config(&c, 2, 0);
	c.flags |= IRQCORE_F_EXTERNAL_CPUS;
	ASSERT_EQ(irqcore_init(&c), 0);	/* the test thread is no CPU */
	th_log_reset();
	ASSERT_EQ(request_irq(LINE_A, ut_handler, 0, "sa", &dev_a), 0);
	ASSERT_EQ(request_irq(LINE_B, ut_handler, 0, "sb", &dev_b), 0);
	th_hold_arm(&hd);
	irqcore_debug_set_hook(hook, NULL);
}

/*
 * The race: the generic_handle_irq thread held in its section, the other
 * thread (shutdown or free_irq) started; the other must still wait 200 ms
 * later; then the section is let go and both finish. Returns the held
 * call's return code.
 */
static int race_held_section(void *(*other_main)(void *))
{
	pthread_t g, o;

	ASSERT_EQ(pthread_create(&g, NULL, th_ghi_main, &ghi), 0);
	ASSERT_TRUE(th_wait_true(&hd.held));
	ASSERT_EQ(pthread_create(&o, NULL, other_main, NULL), 0);
	ut_sleep_ms(200);
	ASSERT_FALSE(atomic_load(&other_done));	/* waits for the section */
	atomic_store(&hd.release, true);
	ASSERT_TRUE(th_wait_true(&ghi.done));
	ASSERT_TRUE(th_wait_true(&other_done));
	pthread_join(g, NULL);
	pthread_join(o, NULL);
	irqcore_debug_set_hook(NULL, NULL);
	return atomic_load(&ghi.rc);
}

static void run_shutdown_waits(bool shared, bool fenced)
{
	setup(fenced);
	if (shared)
		ur_park_holders();
	/* no line left to the shutdown: its frees' grace periods would wait
	 * for the section too, and hide whether its own wait does */
	ASSERT_TRUE(free_irq(LINE_A, &dev_a) != NULL);
	ASSERT_TRUE(free_irq(LINE_B, &dev_b) != NULL);
	ASSERT_EQ(race_held_section(shutdown_main), -ENODEV);	/* it saw STOPPING */
	if (shared)
		ur_release_holders();
}

TEST(shutdown_waits)
{
	run_shutdown_waits(false, false);
}

TEST(shutdown_waits_shared)
{
	run_shutdown_waits(true, false);
}

TEST(shutdown_waits_fenced)
{
	run_shutdown_waits(false, true);
}

static void run_grace_waits(bool fenced)
{
	setup(fenced);
	ASSERT_EQ(race_held_section(free_main), 0);
	ASSERT_EQ(ut_calls(&dev_a), 1);
	ASSERT_TRUE(atomic_load(&free_ret) != NULL);
	ASSERT_EQ(strcmp(atomic_load(&free_ret), "sb"), 0);
	ASSERT_TRUE(free_irq(LINE_A, &dev_a) != NULL);
	irqcore_shutdown();
}

TEST(grace_waits)
{
	run_grace_waits(false);
}

TEST(grace_waits_fenced)
{
	run_grace_waits(true);
}
