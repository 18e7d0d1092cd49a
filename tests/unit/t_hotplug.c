/* SPDX-License-Identifier: BSD-2-Clause */
/* Placement and CPU offline/online: SEMANTICS A6 (offline/online), A7 (spreading). Run with
 * more dispatchers than the machine has cores: nothing here depends on
 * timing, only on where lines are placed. */
#include "util.h"

static cpu_set_t mask_of(const int *cpus, int n)
{
	cpu_set_t m;

	CPU_ZERO(&m);
	for (int i = 0; i < n; i++)
		CPU_SET(cpus[i], &m);
	return m;
}

static irqreturn_t nop_handler(int irq, void *dev_id)
{
	return IRQ_HANDLED;
}

static int dev_token;

static void request_n(unsigned int first, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		ASSERT_EQ(request_irq(first + i, nop_handler, 0, "hp", &dev_token), 0);
}

static void free_n(unsigned int first, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		free_irq(first + i, &dev_token);
}

/* How many of lines [first, first + n) are on each CPU. */
static void per_cpu(unsigned int first, unsigned int n, int *count, unsigned int nr_cpus)
{
	memset(count, 0, sizeof(*count) * nr_cpus);
	for (unsigned int i = 0; i < n; i++) {
		int c = ut_status(first + i).effective_cpu;

		ASSERT_GE(c, 0);
		ASSERT_LT(c, (int)nr_cpus);
		count[c]++;
	}
}

/* ---- A7: spreading ---- */

TEST_T(a7_full_masks_spread_evenly, 30)
{
	int count[6];

	ut_start_disp(6, 0);
	request_n(100, 60);
	per_cpu(100, 60, count, 6);
	for (int c = 0; c < 6; c++)
		ASSERT_EQ(count[c], 10);
	/* free the 20 lines of CPUs 0 and 1, request 20 others: balanced */
	for (unsigned int i = 0; i < 60; i++) {
		int c = ut_status(100 + i).effective_cpu;

		if (c == 0 || c == 1)
			free_irq(100 + i, &dev_token);
	}
	request_n(300, 20);
	for (unsigned int i = 0; i < 20; i++) {
		int c = ut_status(300 + i).effective_cpu;

		ASSERT_TRUE(c == 0 || c == 1);
	}
	free_n(300, 20);
	irqcore_shutdown();
}

/* Lines whose mask is set before and after their request. */
TEST_T(a7_pair_mask_split_in_halves, 30)
{
	cpu_set_t pair = mask_of((int[]){ 0, 1 }, 2), all;
	int count[6];

	ut_start_disp(6, 0);
	for (unsigned int i = 0; i < 10; i++)
		ASSERT_EQ(irq_set_affinity(200 + i, &pair), 0);
	request_n(200, 20);
	for (unsigned int i = 10; i < 20; i++)
		ASSERT_EQ(irq_set_affinity(200 + i, &pair), 0);
	per_cpu(200, 20, count, 6);
	ASSERT_EQ(count[0], 10);
	ASSERT_EQ(count[1], 10);
	/* widened again: the 20 spread over the six, 3 or 4 each */
	ASSERT_EQ(irq_get_default_affinity(&all), 0);
	for (unsigned int i = 0; i < 20; i++)
		ASSERT_EQ(irq_set_affinity(200 + i, &all), 0);
	per_cpu(200, 20, count, 6);
	for (int c = 0; c < 6; c++) {
		ASSERT_GE(count[c], 3);
		ASSERT_LE(count[c], 4);
	}
	free_n(200, 20);
	irqcore_shutdown();
}

/* A line keeps its CPU when a move would not improve the spread. */
TEST_T(a7_set_affinity_keeps_cpu_on_tie, 20)
{
	cpu_set_t all;
	int before;

	ut_start_disp(4, 0);
	request_n(40, 8);
	before = ut_status(43).effective_cpu;
	ASSERT_EQ(irq_get_default_affinity(&all), 0);
	ASSERT_EQ(irq_set_affinity(43, &all), 0);
	ASSERT_EQ(ut_status(43).effective_cpu, before);
	free_n(40, 8);
	irqcore_shutdown();
}

/* A tie goes to the CPU that runs closest to the line's current one: with
 * four dispatchers over two PUs, 0 and 2 share a PU. */
TEST_T(a7_tie_goes_to_the_closest_cpu, 20)
{
	struct irqcore_config c;
	cpu_set_t set;
	int pus[2], n = 0;
	char list[32];

	ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int k = 0; k < CPU_SETSIZE && n < 2; k++)
		if (CPU_ISSET(k, &set))
			pus[n++] = k;
	if (n < 2) {
		printf("  one CPU: every dispatcher shares it\n");
		return;
	}
	snprintf(list, sizeof(list), "%d,%d", pus[0], pus[1]);
	ut_config(&c, 4, 0);
	c.cpu_list = list;
	ASSERT_EQ(irqcore_init(&c), 0);
	request_n(0, 1);			/* line 0 starts on CPU 0 */
	ASSERT_EQ(ut_status(0).effective_cpu, 0);
	ASSERT_EQ(irqcore_cpu_offline(0), 0);	/* 1, 2, 3 tie: 2 shares 0's PU */
	ASSERT_EQ(ut_status(0).effective_cpu, 2);
	ASSERT_EQ(irqcore_cpu_online(0), 0);
	ASSERT_EQ(ut_status(0).effective_cpu, 0);
	free_n(0, 1);
	irqcore_shutdown();
}

/* ---- A6: offline/online ---- */

TEST_T(a6_errors, 20)
{
	ASSERT_EQ(irqcore_cpu_offline(0), -ENODEV);
	ASSERT_EQ(irqcore_cpu_online(0), -ENODEV);
	ut_start_disp(3, 0);
	ASSERT_EQ(irqcore_cpu_offline(3), -EINVAL);
	ASSERT_EQ(irqcore_cpu_online(3), -EINVAL);
	ASSERT_EQ(irqcore_cpu_offline(~0u), -EINVAL);
	ASSERT_EQ(th_log_count("no such CPU"), 3);
	ASSERT_EQ(irqcore_cpu_online(1), 0);		/* already online */
	ASSERT_EQ(irqcore_cpu_offline(1), 0);
	ASSERT_EQ(irqcore_cpu_offline(1), 0);		/* already offline */
	ASSERT_EQ(irqcore_cpu_offline(0), 0);
	th_log_reset();
	ASSERT_EQ(irqcore_cpu_offline(2), -EBUSY);	/* the last online one */
	ASSERT_EQ(th_log_count("last online CPU"), 1);
	ASSERT_EQ(irqcore_cpu_online(0), 0);
	ASSERT_EQ(irqcore_cpu_offline(2), 0);		/* 0 is online now */
	ASSERT_EQ(irqcore_cpu_online(1), 0);
	ASSERT_EQ(irqcore_cpu_online(2), 0);
	irqcore_shutdown();
	ASSERT_EQ(irqcore_cpu_offline(0), -ENODEV);
}

TEST_T(a6_external_cpus_not_supported, 20)
{
	ut_start_ext(2, 0);
	ASSERT_EQ(irqcore_cpu_offline(1), -EOPNOTSUPP);
	ASSERT_EQ(irqcore_cpu_online(1), -EOPNOTSUPP);
	ASSERT_EQ(th_log_count("external CPUs"), 2);
	irqcore_shutdown();
}

static atomic_int hard_res_off = 12345, hard_res_on = 12345;

static irqreturn_t hotplug_from_hard(int irq, void *dev_id)
{
	atomic_store(&hard_res_off, irqcore_cpu_offline(1));
	atomic_store(&hard_res_on, irqcore_cpu_online(1));
	return IRQ_HANDLED;
}

TEST_T(a6_refused_from_hard_handler, 20)
{
	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(9, hotplug_from_hard, 0, "hp", &dev_token), 0);
	ASSERT_EQ(irq_raise(9), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(atomic_load(&hard_res_off), -EPERM);
	ASSERT_EQ(atomic_load(&hard_res_on), -EPERM);
	ASSERT_EQ(th_log_count("from IRQ context refused"), 2);
	ASSERT_EQ(ut_status(9).effective_cpu >= 0, 1);
	free_irq(9, &dev_token);
	irqcore_shutdown();
}

static atomic_int thr_res_off = 12345, thr_res_on = 12345;

static irqreturn_t wake_thread(int irq, void *dev_id)
{
	return IRQ_WAKE_THREAD;
}

/* From the line's own irq thread: allowed, waits for nobody (its own line
 * is moved too). */
static irqreturn_t hotplug_from_thread(int irq, void *dev_id)
{
	atomic_store(&thr_res_off, irqcore_cpu_offline(1));
	atomic_store(&thr_res_on, irqcore_cpu_online(1));
	return IRQ_HANDLED;
}

TEST_T(a6_allowed_from_irq_thread, 20)
{
	cpu_set_t one = ut_mask1(1);

	ut_start_disp(2, 0);
	ASSERT_EQ(irq_set_affinity(9, &one), 0);
	ASSERT_EQ(request_threaded_irq(9, wake_thread, hotplug_from_thread, 0, "hp",
				       &dev_token), 0);
	ASSERT_EQ(irq_raise(9), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(atomic_load(&thr_res_off), 0);
	ASSERT_EQ(atomic_load(&thr_res_on), 0);
	ASSERT_EQ(th_log_count("affinity broken"), 1);	/* its mask was {1} */
	ASSERT_EQ(ut_status(9).effective_cpu, 1);	/* and it came back */
	free_irq(9, &dev_token);
	irqcore_shutdown();
}

/* Lines go to the rest of their mask, come back when the CPU does. */
TEST_T(a6_offline_moves_within_mask_online_returns, 20)
{
	cpu_set_t m12 = mask_of((int[]){ 1, 2 }, 2), off;
	int home[4];

	ut_start_disp(4, 0);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(irq_set_affinity(20 + i, &m12), 0);
	request_n(20, 4);
	for (unsigned int i = 0; i < 4; i++)
		home[i] = ut_status(20 + i).effective_cpu;
	ASSERT_EQ(irqcore_cpu_offline(1), 0);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(ut_status(20 + i).effective_cpu, 2);
	ASSERT_EQ(th_log_count("affinity broken"), 0);
	/* the mask stays what the caller set; a new mask of offline CPUs is refused */
	ASSERT_EQ(irq_get_affinity(20, &off), 0);
	ASSERT_TRUE(CPU_EQUAL(&off, &m12));
	off = ut_mask1(1);
	ASSERT_EQ(irq_set_affinity(20, &off), -EINVAL);
	ASSERT_EQ(th_log_count("no online CPU in the mask"), 1);
	ASSERT_EQ(irqcore_cpu_online(1), 0);
	for (unsigned int i = 0; i < 4; i++)
		ASSERT_EQ(ut_status(20 + i).effective_cpu, home[i]);
	free_n(20, 4);
	irqcore_shutdown();
}

/* A mask with no online CPU left: the default mask's online CPUs, a
 * warning; back when a CPU of the mask returns. */
TEST_T(a6_broken_affinity_uses_default_mask, 20)
{
	cpu_set_t one = ut_mask1(1), dflt = mask_of((int[]){ 2, 3 }, 2);
	struct ut_dev d;
	int c;

	ut_start_disp(4, 0);
	ut_dev_init(&d, 0, IRQ_HANDLED);
	ASSERT_EQ(irq_set_affinity(7, &one), 0);
	ASSERT_EQ(request_irq(7, ut_handler, 0, "broken", &d), 0);
	ASSERT_EQ(irq_set_default_affinity(&dflt), 0);
	ASSERT_EQ(irqcore_cpu_offline(1), 0);
	c = ut_status(7).effective_cpu;
	ASSERT_TRUE(c == 2 || c == 3);
	ASSERT_EQ(th_log_count("irq 7: no online CPU left in its affinity mask"), 1);
	/* it still runs, on its new CPU */
	ASSERT_EQ(irq_raise(7), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(ut_calls(&d), 1);
	ASSERT_EQ(atomic_load(&d.last_cpu), c);
	/* the default mask offline too: any online CPU */
	ASSERT_EQ(irqcore_cpu_offline(2), 0);
	ASSERT_EQ(irqcore_cpu_offline(3), 0);
	ASSERT_EQ(ut_status(7).effective_cpu, 0);
	ASSERT_EQ(irqcore_cpu_online(3), 0);		/* not its mask: stays */
	ASSERT_EQ(ut_status(7).effective_cpu, 0);
	ASSERT_EQ(irqcore_cpu_online(1), 0);		/* its mask: back */
	ASSERT_EQ(ut_status(7).effective_cpu, 1);
	ASSERT_EQ(irq_raise(7), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(ut_calls(&d), 2);
	ASSERT_EQ(atomic_load(&d.last_cpu), 1);
	free_irq(7, &d);
	irqcore_shutdown();
}

/* The counts follow every move: what offline spreads and what new
 * requests find tell whether nr_lines is right. */
TEST_T(a6_counts_follow_offline_online_free, 30)
{
	int count[4];

	ut_start_disp(4, 0);
	request_n(100, 8);				/* 2 each */
	ASSERT_EQ(irqcore_cpu_offline(3), 0);
	per_cpu(100, 8, count, 4);
	ASSERT_EQ(count[3], 0);
	for (int c = 0; c < 3; c++) {			/* 3, 3, 2 */
		ASSERT_GE(count[c], 2);
		ASSERT_LE(count[c], 3);
	}
	/* a new line while 3 is offline: on the CPU that has 2 */
	request_n(120, 1);
	ASSERT_NE(ut_status(120).effective_cpu, 3);
	ASSERT_EQ(count[ut_status(120).effective_cpu], 2);
	free_n(120, 1);
	ASSERT_EQ(irqcore_cpu_online(3), 0);
	per_cpu(100, 8, count, 4);
	for (int c = 0; c < 4; c++)
		ASSERT_EQ(count[c], 2);
	/* freed and requested again while offline, then online: still exact */
	ASSERT_EQ(irqcore_cpu_offline(0), 0);
	free_n(100, 8);
	request_n(100, 6);				/* 2 each on 1..3 */
	per_cpu(100, 6, count, 4);
	ASSERT_EQ(count[0], 0);
	for (int c = 1; c < 4; c++)
		ASSERT_EQ(count[c], 2);
	ASSERT_EQ(irqcore_cpu_online(0), 0);		/* placed since: nothing returns */
	request_n(110, 2);				/* the empty CPU 0 takes both */
	ASSERT_EQ(ut_status(110).effective_cpu, 0);
	ASSERT_EQ(ut_status(111).effective_cpu, 0);
	request_n(112, 4);				/* then one each */
	per_cpu(112, 4, count, 4);
	for (int c = 0; c < 4; c++)
		ASSERT_EQ(count[c], 1);
	free_n(100, 6);
	free_n(110, 6);
	irqcore_shutdown();
}

/* An effective CPU is never offline while its mask has an online CPU, over
 * a sequence of offlines and onlines. */
TEST_T(a6_effective_never_offline, 30)
{
	bool off[5] = { false };
	unsigned int seed = 7;

	ut_start_disp(5, 0);
	for (unsigned int i = 0; i < 25; i++) {
		cpu_set_t m = mask_of((int[]){ (int)(i % 5), (int)((i * 3 + 1) % 5) }, 2);

		ASSERT_EQ(irq_set_affinity(50 + i, &m), 0);
	}
	request_n(50, 25);
	for (int step = 0; step < 200; step++) {
		unsigned int c;
		cpu_set_t m;
		int nr_on = 0;

		seed = seed * 1103515245u + 12345u;
		c = (seed >> 16) % 5;
		for (int k = 0; k < 5; k++)
			nr_on += !off[k];
		if (off[c]) {
			ASSERT_EQ(irqcore_cpu_online(c), 0);
			off[c] = false;
		} else if (nr_on > 1) {
			ASSERT_EQ(irqcore_cpu_offline(c), 0);
			off[c] = true;
		}
		for (unsigned int i = 0; i < 25; i++) {
			int e = ut_status(50 + i).effective_cpu;
			bool mask_online = false;

			ASSERT_EQ(irq_get_affinity(50 + i, &m), 0);
			for (int k = 0; k < 5; k++)
				mask_online |= CPU_ISSET(k, &m) && !off[k];
			ASSERT_FALSE(off[e]);
			if (mask_online)
				ASSERT_TRUE(CPU_ISSET(e, &m));
		}
	}
	free_n(50, 25);
	irqcore_shutdown();
}

/* Raises after an offline run on the line's new CPU, every one delivered. */
TEST_T(a6_raises_after_offline_delivered, 20)
{
	struct ut_dev d;
	struct irq_status st;
	int off;

	ut_start_disp(3, 0);
	ut_dev_init(&d, 0, IRQ_HANDLED);
	ASSERT_EQ(request_irq(30, ut_handler, 0, "moved", &d), 0);
	off = ut_status(30).effective_cpu;
	ASSERT_EQ(irqcore_cpu_offline((unsigned int)off), 0);
	ASSERT_NE(ut_status(30).effective_cpu, off);
	for (int i = 0; i < 100; i++) {
		ASSERT_EQ(irq_raise(30), 0);
		if (i % 10 == 0)
			ASSERT_EQ(irqcore_quiesce(10000), 0);
	}
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	st = ut_status(30);
	ASSERT_EQ(atomic_load(&d.last_cpu), st.effective_cpu);
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	ASSERT_EQ((uint64_t)ut_calls(&d), st.count);
	free_irq(30, &d);
	irqcore_shutdown();
}
