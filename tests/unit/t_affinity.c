/* SPDX-License-Identifier: BSD-2-Clause */
/* Affinity: SEMANTICS A1, A3. CPU numbers are dispatcher numbers. */
#include "util.h"

static cpu_set_t mask_of(const int *cpus, int n)
{
	cpu_set_t m;

	CPU_ZERO(&m);
	for (int i = 0; i < n; i++)
		CPU_SET(cpus[i], &m);
	return m;
}

static int only_cpu(const cpu_set_t *m)
{
	ASSERT_EQ(CPU_COUNT(m), 1);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, m))
			return i;
	return -1;
}

TEST_T(a1_invalid_masks, 20)
{
	cpu_set_t empty, high, good = ut_mask1(1), got;
	cpu_set_t before, eff_before;

	ut_start_disp(4, 0);
	ASSERT_EQ(irq_get_affinity(5, &before), 0);
	ASSERT_EQ(irq_get_effective_affinity(5, &eff_before), 0);
	CPU_ZERO(&empty);
	high = mask_of((int[]){ 4, 5, 100 }, 3);
	ASSERT_EQ(irq_set_affinity(5, &empty), -EINVAL);
	ASSERT_EQ(irq_set_affinity(5, &high), -EINVAL);
	ASSERT_EQ(irq_set_affinity(5, NULL), -EINVAL);
	/* nothing changed */
	ASSERT_EQ(irq_get_affinity(5, &got), 0);
	ASSERT_TRUE(CPU_EQUAL(&got, &before));
	ASSERT_EQ(irq_get_effective_affinity(5, &got), 0);
	ASSERT_TRUE(CPU_EQUAL(&got, &eff_before));
	/* out-of-range lines and NULL outputs */
	ASSERT_EQ(irq_set_affinity(1024, &good), -EINVAL);
	ASSERT_EQ(irq_set_affinity(100000, &good), -EINVAL);
	ASSERT_EQ(irq_get_affinity(1024, &got), -EINVAL);
	ASSERT_EQ(irq_get_effective_affinity(1024, &got), -EINVAL);
	ASSERT_EQ(irq_set_affinity_hint(1024, &good), -EINVAL);
	ASSERT_EQ(irq_get_affinity(5, NULL), -EINVAL);
	ASSERT_EQ(irq_get_effective_affinity(5, NULL), -EINVAL);
	ASSERT_EQ(irq_set_affinity_hint(5, &empty), -EINVAL);
	irqcore_shutdown();
}

TEST_T(a1_get_returns_set_mask, 20)
{
	cpu_set_t m, got, eff;
	struct irq_status st;

	ut_start_disp(4, 0);
	m = ut_mask1(2);
	ASSERT_EQ(irq_set_affinity(5, &m), 0);
	ASSERT_EQ(irq_get_affinity(5, &got), 0);
	ASSERT_TRUE(CPU_EQUAL(&got, &m));
	ASSERT_EQ(irq_get_effective_affinity(5, &eff), 0);
	ASSERT_EQ(only_cpu(&eff), 2);
	st = ut_status(5);
	ASSERT_EQ(st.effective_cpu, 2);

	m = mask_of((int[]){ 1, 3 }, 2);
	ASSERT_EQ(irq_set_affinity(5, &m), 0);
	ASSERT_EQ(irq_get_affinity(5, &got), 0);
	ASSERT_TRUE(CPU_EQUAL(&got, &m));
	ASSERT_EQ(irq_get_effective_affinity(5, &eff), 0);
	ASSERT_TRUE(CPU_ISSET(only_cpu(&eff), &m));
	ASSERT_EQ(ut_status(5).effective_cpu, only_cpu(&eff));

	/* some CPUs of the mask out of range: the effective one is in range */
	m = mask_of((int[]){ 3, 9 }, 2);
	ASSERT_EQ(irq_set_affinity(5, &m), 0);
	ASSERT_EQ(irq_get_effective_affinity(5, &eff), 0);
	ASSERT_EQ(only_cpu(&eff), 3);
	irqcore_shutdown();
}

TEST_T(a1_default_effective_cpu_in_range, 20)
{
	cpu_set_t eff;

	ut_start_disp(4, 0);
	for (unsigned int irq = 0; irq < 16; irq++) {
		int c;

		ASSERT_EQ(irq_get_effective_affinity(irq, &eff), 0);
		c = only_cpu(&eff);
		ASSERT_GE(c, 0);
		ASSERT_LT(c, 4);
		ASSERT_EQ(ut_status(irq).effective_cpu, c);
	}
	irqcore_shutdown();
}

TEST_T(a1_handlers_run_on_effective_cpu, 30)
{
	struct ut_dev d[8];
	cpu_set_t eff;

	ut_start_disp(4, 0);
	for (int i = 0; i < 8; i++) {
		cpu_set_t m = i < 4 ? ut_mask1(i) :
				      mask_of((int[]){ (i + 1) % 4, (i + 2) % 4 }, 2);

		ut_dev_init(&d[i], i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(50 + i, ut_handler, 0, "aff", &d[i]), 0);
		ASSERT_EQ(irq_set_affinity(50 + i, &m), 0);
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 8; i++)
			ASSERT_EQ(irq_raise(50 + i), 0);
		ut_quiesce();
	}
	for (int i = 0; i < 8; i++) {
		int c;

		ASSERT_EQ(irq_get_effective_affinity(50 + i, &eff), 0);
		c = only_cpu(&eff);
		ASSERT_EQ(ut_calls(&d[i]), 3);
		ASSERT_EQ(atomic_load(&d[i].last_cpu), c);
		ASSERT_EQ(kstat_irqs_cpu(50 + i, c), 3);
		if (i < 4)
			ASSERT_EQ(c, i);
	}
	/* moving a line moves its handler */
	{
		cpu_set_t m = ut_mask1(3);

		ASSERT_EQ(irq_set_affinity(50, &m), 0);
		ASSERT_EQ(irq_raise(50), 0);
		ut_quiesce();
		ASSERT_EQ(atomic_load(&d[0].last_cpu), 3);
		ASSERT_EQ(kstat_irqs_cpu(50, 0), 3);
		ASSERT_EQ(kstat_irqs_cpu(50, 3), 1);
	}
	irqcore_shutdown();
}

TEST_T(a1_wide_mask_lines_are_spread, 20)
{
	cpu_set_t all = mask_of((int[]){ 0, 1, 2, 3 }, 4), eff;
	struct ut_dev d[8];
	int per_cpu[4] = { 0 }, distinct = 0;

	ut_start_disp(4, 0);
	for (int i = 0; i < 8; i++) {
		ut_dev_init(&d[i], i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(60 + i, ut_handler, 0, "spread", &d[i]), 0);
		ASSERT_EQ(irq_set_affinity(60 + i, &all), 0);
	}
	for (int i = 0; i < 8; i++) {
		int c;

		ASSERT_EQ(irq_get_effective_affinity(60 + i, &eff), 0);
		c = only_cpu(&eff);
		ASSERT_GE(c, 0);
		ASSERT_LT(c, 4);
		per_cpu[c]++;
	}
	for (int c = 0; c < 4; c++)
		if (per_cpu[c])
			distinct++;
	ASSERT_GE(distinct, 2);
	irqcore_shutdown();
}

TEST_T(a3_hint_stored_and_applied, 20)
{
	cpu_set_t hint = ut_mask1(3), got, eff, other = ut_mask1(1);
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_disp(4, 0);
	ASSERT_EQ(request_irq(7, ut_handler, 0, "hinted", &a), 0);
	ASSERT_EQ(irq_set_affinity_hint(7, &hint), 0);
	ASSERT_EQ(irq_get_affinity(7, &got), 0);
	ASSERT_TRUE(CPU_EQUAL(&got, &hint));
	ASSERT_EQ(irq_get_effective_affinity(7, &eff), 0);
	ASSERT_EQ(only_cpu(&eff), 3);
	ASSERT_EQ(irq_raise(7), 0);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&a.last_cpu), 3);
	/* clearing the hint keeps the affinity; a later set overrides */
	ASSERT_EQ(irq_set_affinity_hint(7, NULL), 0);
	ASSERT_EQ(irq_get_effective_affinity(7, &eff), 0);
	ASSERT_EQ(only_cpu(&eff), 3);
	ASSERT_EQ(irq_set_affinity(7, &other), 0);
	ASSERT_EQ(irq_get_effective_affinity(7, &eff), 0);
	ASSERT_EQ(only_cpu(&eff), 1);
	irqcore_shutdown();
}

/* External CPUs: a raise goes to the line's effective CPU only. */
static pthread_barrier_t bar;
static atomic_int cpu1_handled = -1;

static void *cpu1_thread(void *arg)
{
	(void)arg;
	ASSERT_EQ(irqcore_cpu_attach(1), 0);
	pthread_barrier_wait(&bar);	/* attached */
	pthread_barrier_wait(&bar);	/* raised */
	atomic_store(&cpu1_handled, irqcore_poll());
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	return NULL;
}

TEST(a1_external_raise_goes_to_effective_cpu)
{
	struct ut_dev a;
	cpu_set_t m = ut_mask1(1);
	pthread_t t;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(2, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "ext", &a), 0);
	ASSERT_EQ(irq_set_affinity(5, &m), 0);
	pthread_barrier_init(&bar, NULL, 2);
	ASSERT_EQ(pthread_create(&t, NULL, cpu1_thread, NULL), 0);
	pthread_barrier_wait(&bar);
	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irqcore_poll(), 0);	/* not CPU 0's line */
	ASSERT_EQ(ut_calls(&a), 0);
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	ASSERT_EQ(atomic_load(&cpu1_handled), 1);
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(atomic_load(&a.last_cpu), 1);
	ASSERT_EQ(kstat_irqs_cpu(5, 1), 1);
	ASSERT_EQ(kstat_irqs_cpu(5, 0), 0);
	irqcore_shutdown();
}

/* A raise queued on one CPU when the line moves is delivered once. */
TEST(a1_raise_in_flight_during_change_delivered_once)
{
	struct ut_dev a;
	cpu_set_t m0 = ut_mask1(0), m1 = ut_mask1(1);
	struct irq_status st;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(2, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "move", &a), 0);
	ASSERT_EQ(irq_set_affinity(5, &m0), 0);
	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irq_set_affinity(5, &m1), 0);
	ASSERT_EQ(irq_raise(5), 0);	/* goes to CPU 1 now */
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_GE(ut_calls(&a), 1);
	ASSERT_LE(ut_calls(&a), 2);
	st = ut_status(5);
	ASSERT_EQ(st.raised, 2);
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	ASSERT_FALSE(st.pending);
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(ut_status(5).effective_cpu, 1);
	irqcore_shutdown();
}

/* ---- text views in the kernel's /proc/irq/N formats ---- */

static char *capture(int (*show)(unsigned int, FILE *), unsigned int irq, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_TRUE(f != NULL);
	*rc = show(irq, f);
	fclose(f);
	return buf;
}

static void expect_view(int (*show)(unsigned int, FILE *), unsigned int irq, const char *want)
{
	int rc;
	char *got = capture(show, irq, &rc);

	ASSERT_EQ(rc, 0);
	ASSERT_STR_EQ(got, want);
	free(got);
}

TEST(a4_text_views_small)
{
	cpu_set_t m = mask_of((int[]){ 0, 1 }, 2), one = ut_mask1(1);

	ut_start_disp(2, 0);
	ASSERT_EQ(irq_set_affinity(5, &m), 0);
	expect_view(irq_show_smp_affinity, 5, "3\n");
	expect_view(irq_show_smp_affinity_list, 5, "0-1\n");
	ASSERT_EQ(irq_set_affinity(5, &one), 0);
	expect_view(irq_show_smp_affinity, 5, "2\n");
	expect_view(irq_show_smp_affinity_list, 5, "1\n");
	expect_view(irq_show_effective_affinity, 5, "2\n");
	expect_view(irq_show_effective_affinity_list, 5, "1\n");
	irqcore_shutdown();
}

TEST(a4_text_views_groups_and_ranges)
{
	struct irqcore_config c;
	cpu_set_t m = mask_of((int[]){ 0, 2, 3, 4, 33, 39 }, 6);

	ut_config(&c, 40, IRQCORE_F_EXTERNAL_CPUS);	/* 40 CPUs, no threads */
	ut_start_cfg_ext(&c);
	ASSERT_EQ(irq_set_affinity(7, &m), 0);
	/* bits 32..39: 0x82 in a group of two digits; bits 0..31: 0x1d */
	expect_view(irq_show_smp_affinity, 7, "82,0000001d\n");
	expect_view(irq_show_smp_affinity_list, 7, "0,2-4,33,39\n");
	irqcore_cpu_detach();
	irqcore_shutdown();
}

TEST(a4_text_views_errors)
{
	int rc;
	char *got;

	got = capture(irq_show_smp_affinity, 5, &rc);
	ASSERT_EQ(rc, -ENODEV);				/* not running */
	ASSERT_STR_EQ(got, "");
	free(got);
	ut_start_disp(2, 0);
	ASSERT_EQ(irq_show_smp_affinity_list(5, NULL), -EINVAL);
	got = capture(irq_show_effective_affinity, 100000, &rc);
	ASSERT_EQ(rc, -EINVAL);				/* out of range */
	ASSERT_STR_EQ(got, "");
	free(got);
	irqcore_shutdown();
}

/* ---- the default mask (/proc/irq/default_smp_affinity) ---- */

static irqreturn_t nop_handler(int irq, void *dev_id)
{
	return IRQ_HANDLED;
}

TEST(a4_default_affinity_for_new_lines)
{
	cpu_set_t one = ut_mask1(1), got, all = mask_of((int[]){ 0, 1, 2 }, 3);
	int d5, d6;

	ut_start_disp(3, 0);
	ASSERT_EQ(irq_get_default_affinity(&got), 0);
	ASSERT_TRUE(CPU_EQUAL(&got, &all));		/* every dispatcher */
	ASSERT_EQ(irq_set_affinity(6, &all), 0);	/* line 6: its own mask */
	ASSERT_EQ(request_irq(4, nop_handler, 0, "before", &d5), 0);
	ASSERT_EQ(irq_set_default_affinity(&one), 0);
	ASSERT_EQ(irq_get_default_affinity(&got), 0);
	ASSERT_TRUE(CPU_EQUAL(&got, &one));
	ASSERT_EQ(request_irq(5, nop_handler, 0, "new", &d5), 0);
	ASSERT_EQ(request_irq(6, nop_handler, 0, "own", &d6), 0);
	ASSERT_EQ(irq_get_affinity(5, &got), 0);	/* the default, at request */
	ASSERT_TRUE(CPU_EQUAL(&got, &one));
	ASSERT_EQ(ut_status(5).effective_cpu, 1);
	ASSERT_EQ(irq_get_affinity(6, &got), 0);	/* set before: kept */
	ASSERT_TRUE(CPU_EQUAL(&got, &all));
	ASSERT_EQ(irq_get_affinity(4, &got), 0);	/* requested before: kept */
	ASSERT_TRUE(CPU_EQUAL(&got, &all));
	free_irq(4, &d5);
	free_irq(5, &d5);
	free_irq(6, &d6);
	irqcore_shutdown();
}

TEST(a4_default_affinity_errors)
{
	cpu_set_t empty, got;
	cpu_set_t high = mask_of((int[]){ 5, 100 }, 2), all = mask_of((int[]){ 0, 1 }, 2);

	ASSERT_EQ(irq_set_default_affinity(&all), -ENODEV);
	ut_start_disp(2, 0);
	CPU_ZERO(&empty);
	ASSERT_EQ(irq_set_default_affinity(NULL), -EINVAL);
	ASSERT_EQ(irq_set_default_affinity(&empty), -EINVAL);
	ASSERT_EQ(irq_set_default_affinity(&high), -EINVAL);
	ASSERT_EQ(th_log_count("irq_set_default_affinity"), 2);
	ASSERT_EQ(irq_get_default_affinity(NULL), -EINVAL);
	ASSERT_EQ(irq_get_default_affinity(&got), 0);	/* nothing changed */
	ASSERT_TRUE(CPU_EQUAL(&got, &all));
	irqcore_shutdown();
}
