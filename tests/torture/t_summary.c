/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_summary — a summary bit stays set while its word is busy, and the CPU
 * clears it only when it finds the word empty, then looks at the word again
 * (dispatch.c, word_look; the argument at the top of raise.c). Here the CPU
 * is held right between the two: it has found line A's word empty (A was
 * handled, its summary bit left set) and has not cleared the bit yet. A
 * raise of A meanwhile sees the bit set and does not OR it; the CPU's look
 * again after its clear must find A. Without that look A would stay in its
 * word with its summary bit clear, seen by no pass (quiesce times out).
 *
 * One spinning dispatcher (CPU 0). Line C, in the next word, is raised to
 * start the pass that finds A's word empty first. Tests:
 *   plain           1024 lines, class 0: the word is exchanged whole
 *   class_step      A and C in class 1 with class 2 in use: the class is
 *                   drained one line at a time (fetch_and per bit)
 *   wide            65536 lines: A and C under the second summary word
 *                   (the top word in use)
 * Each ends with A handled twice, C once, and raised == count + coalesced.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hold.h"
#include "../harness.h"

static struct th_hold hd;
static unsigned int line_a, line_c, word_a;
static struct ut_dev dev_a, dev_c, dev_d;

static void hook(int point, unsigned int irq, void *arg)
{
	(void)arg;
	if (point == IRQC_DBG_DRAIN_EMPTY && irq == word_a * 64)
		th_hold_here(&hd);
}

static void run(unsigned int nr_irqs, unsigned int base, unsigned int klass)
{
	struct irqcore_config c;
	cpu_set_t m0 = ut_mask1(0);
	struct irq_status sa, sc;

	line_a = base + 1;
	line_c = base + 64 + 1;
	word_a = line_a / 64;
	ut_dev_init(&dev_a, 1, IRQ_HANDLED);
	ut_dev_init(&dev_c, 2, IRQ_HANDLED);
	ut_dev_init(&dev_d, 3, IRQ_HANDLED);
	ut_config(&c, 1, 0);
	c.nr_irqs = nr_irqs;
	c.idle = IRQCORE_IDLE_SPIN;
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
	ASSERT_EQ(request_irq(line_a, ut_handler, 0, "sum_a", &dev_a), 0);
	ASSERT_EQ(request_irq(line_c, ut_handler, 0, "sum_c", &dev_c), 0);
	ASSERT_EQ(irq_set_priority(line_a, klass), 0);
	ASSERT_EQ(irq_set_priority(line_c, klass), 0);
	if (klass) {	/* a class above in use: this one is drained step by step */
		ASSERT_EQ(request_irq(base + 200, ut_handler, 0, "sum_d", &dev_d), 0);
		ASSERT_EQ(irq_set_affinity(base + 200, &m0), 0);
		ASSERT_EQ(irq_set_priority(base + 200, klass + 1), 0);
	}
	ASSERT_EQ(irq_set_affinity(line_a, &m0), 0);
	ASSERT_EQ(irq_set_affinity(line_c, &m0), 0);

	/* A handled: its word empty, its summary bit left set */
	ASSERT_EQ(irq_raise(line_a), 0);
	ASSERT_TRUE(th_wait_calls(&dev_a, 1));

	/* C starts a pass, which finds A's word empty first: held there */
	th_hold_arm(&hd);
	irqcore_debug_set_hook(hook, NULL);
	ASSERT_EQ(irq_raise(line_c), 0);
	ASSERT_TRUE(th_wait_true(&hd.held));
	/* A again: the summary bit is still set, the raise does not OR it */
	ASSERT_EQ(irq_raise(line_a), 0);
	atomic_store(&hd.release, true);
	irqcore_debug_set_hook(NULL, NULL);

	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(ut_calls(&dev_a), 2);
	ASSERT_EQ(ut_calls(&dev_c), 1);
	ASSERT_EQ(ut_calls(&dev_d), 0);
	sa = ut_status(line_a);
	sc = ut_status(line_c);
	ASSERT_EQ(sa.raised, 2);
	ASSERT_EQ(sa.count, 2);
	ASSERT_EQ(sa.raised, sa.count + sa.coalesced);
	ASSERT_EQ(sc.raised, sc.count + sc.coalesced);
	ASSERT_EQ(sc.count, 1);
	irqcore_shutdown();
}

TEST(plain)
{
	run(1024, 0, 0);
}

TEST(class_step)
{
	run(1024, 0, 1);
}

TEST(wide)
{
	run(65536, 69 * 64, 0);
}
