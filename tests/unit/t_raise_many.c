/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irq_raise_many(): batch raising for poll-mode drivers. Each listed line is
 * raised as by irq_raise (one OR per pending word, one wake-up per CPU), the
 * accounting invariant holds, bad input raises nothing.
 */
#include "util.h"

static struct ut_dev devs[8];
static const unsigned int lines[8] = { 1, 2, 3, 63, 64, 130, 700, 1023 };

static void request_all(void)
{
	for (unsigned int i = 0; i < 8; i++) {
		ut_dev_init(&devs[i], (int)i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(lines[i], ut_handler, 0, "many", &devs[i]), 0);
	}
}

static void check_invariant(unsigned int irq)
{
	struct irq_status st = ut_status(irq);

	ASSERT_EQ(st.raised, st.count + st.coalesced);
}

TEST(raise_many_bad_input_raises_nothing)
{
	unsigned int bad[3] = { 1, 5000, 2 };

	ut_start_ext(1, 0);
	request_all();
	ASSERT_EQ(irq_raise_many(NULL, 2), -EINVAL);
	ASSERT_EQ(irq_raise_many(bad, 3), -EINVAL);
	ASSERT_EQ(irq_raise_many(NULL, 0), 0);
	ASSERT_EQ(ut_drain(), 0);
	ASSERT_EQ(ut_status(1).raised, 0);
	ASSERT_EQ(ut_status(2).raised, 0);
	ASSERT_EQ(ut_calls(&devs[0]), 0);
	irqcore_shutdown();
	ASSERT_EQ(irq_raise_many(lines, 8), -ENODEV);
}

TEST(raise_many_each_line_once)
{
	ut_start_ext(1, 0);
	request_all();
	ASSERT_EQ(irq_raise_many(lines, 8), 0);
	ut_drain();
	for (unsigned int i = 0; i < 8; i++) {
		ASSERT_EQ(ut_calls(&devs[i]), 1);
		ASSERT_EQ(ut_status(lines[i]).raised, 1);
		check_invariant(lines[i]);
	}
	irqcore_shutdown();
}

TEST(raise_many_duplicates_coalesce)
{
	unsigned int dup[5] = { 3, 3, 3, 1, 3 };

	ut_start_ext(1, 0);
	request_all();
	ASSERT_EQ(irq_raise_many(dup, 5), 0);
	ut_drain();
	ASSERT_EQ(ut_calls(&devs[2]), 1);
	ASSERT_EQ(ut_status(3).raised, 4);
	ASSERT_EQ(ut_status(3).coalesced, 3);
	ASSERT_EQ(ut_calls(&devs[0]), 1);
	check_invariant(3);
	check_invariant(1);
	irqcore_shutdown();
}

TEST(raise_many_blocked_line_latches)
{
	ut_start_ext(1, 0);
	request_all();
	disable_irq_nosync(2);
	ASSERT_EQ(irq_raise_many(lines, 3), 0);
	ut_drain();
	ASSERT_EQ(ut_calls(&devs[0]), 1);
	ASSERT_EQ(ut_calls(&devs[1]), 0);
	ASSERT_TRUE(ut_status(2).pending);
	enable_irq(2);
	ut_drain();
	ASSERT_EQ(ut_calls(&devs[1]), 1);
	check_invariant(2);
	irqcore_shutdown();
}

/* Lines on several sleeping dispatchers: one batch wakes every CPU it
 * touched (more CPUs than cores). */
TEST(raise_many_wakes_every_cpu)
{
	ut_start_disp(4, 0);
	request_all();
	for (unsigned int i = 0; i < 8; i++) {
		cpu_set_t m = ut_mask1((int)(i % 4));

		ASSERT_EQ(irq_set_affinity(lines[i], &m), 0);
	}
	for (int round = 0; round < 50; round++)
		ASSERT_EQ(irq_raise_many(lines, 8), 0);
	ut_quiesce();
	for (unsigned int i = 0; i < 8; i++) {
		struct irq_status st = ut_status(lines[i]);

		ASSERT_EQ(st.raised, 50);
		ASSERT_EQ(st.raised, st.count + st.coalesced);
		ASSERT_GE(ut_calls(&devs[i]), 1);
		ASSERT_EQ((long long)ut_calls(&devs[i]), (long long)st.count);
		ASSERT_EQ(atomic_load(&devs[i].last_cpu), (int)(i % 4));
	}
	irqcore_shutdown();
}

/* A never-touched line in a batch: its CPU counts it in ERR (D9). */
TEST(raise_many_untouched_line_is_err)
{
	unsigned int l[2] = { 1, 900 };

	ut_start_ext(1, 0);
	request_all();
	ASSERT_EQ(irq_raise_many(l, 2), 0);
	ut_drain();
	ASSERT_EQ(ut_calls(&devs[0]), 1);
	ASSERT_EQ(ut_err_count(), 1);
	ASSERT_EQ(th_log_count("No irq handler for irq 900"), 1);
	irqcore_shutdown();
}
