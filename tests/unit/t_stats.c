/* SPDX-License-Identifier: BSD-2-Clause */
/* Statistics and status: SEMANTICS T1 and the DESIGN.md text formats. */
#include "util.h"

static int prec_for(unsigned int nr_irqs)
{
	int prec = 3;

	for (unsigned long j = 1000; prec < 10 && j <= nr_irqs; ++prec)
		j *= 10;
	return prec;
}

/* ---- T1 counters ------------------------------------------------------------ */

TEST(t1_kstat_per_cpu_and_total)
{
	struct ut_dev a;
	cpu_set_t m0 = ut_mask1(0), m1 = ut_mask1(1);

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(2, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "k", &a), 0);
	ASSERT_EQ(irq_set_affinity(5, &m0), 0);
	for (int i = 0; i < 3; i++)
		ut_fire(5);
	ASSERT_EQ(kstat_irqs_cpu(5, 0), 3);
	ASSERT_EQ(kstat_irqs_cpu(5, 1), 0);
	ASSERT_EQ(irq_set_affinity(5, &m1), 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(irq_raise(5), 0);
		ASSERT_EQ(irqcore_quiesce(5000), 0);	/* drains CPU 1 */
	}
	ASSERT_EQ(ut_calls(&a), 5);
	ASSERT_EQ(kstat_irqs_cpu(5, 0), 3);
	ASSERT_EQ(kstat_irqs_cpu(5, 1), 2);
	ASSERT_EQ(kstat_irqs_usr(5), 5);
	ASSERT_EQ(ut_status(5).count, 5);
	/* bad arguments read 0 */
	ASSERT_EQ(kstat_irqs_cpu(5, 2), 0);
	ASSERT_EQ(kstat_irqs_cpu(5, -1), 0);
	ASSERT_EQ(kstat_irqs_cpu(1024, 0), 0);
	ASSERT_EQ(kstat_irqs_usr(1024), 0);
	ASSERT_EQ(kstat_irqs_usr(6), 0);
	irqcore_shutdown();
}

TEST_T(t1_kstat_dispatcher_mode, 20)
{
	struct ut_dev a;
	cpu_set_t m;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_disp(3, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "k", &a), 0);
	for (int cpu = 0; cpu < 3; cpu++) {
		m = ut_mask1(cpu);
		ASSERT_EQ(irq_set_affinity(5, &m), 0);
		for (int i = 0; i <= cpu; i++) {
			ASSERT_EQ(irq_raise(5), 0);
			ut_quiesce();
		}
	}
	ASSERT_EQ(kstat_irqs_cpu(5, 0), 1);
	ASSERT_EQ(kstat_irqs_cpu(5, 1), 2);
	ASSERT_EQ(kstat_irqs_cpu(5, 2), 3);
	ASSERT_EQ(kstat_irqs_usr(5), 6);
	irqcore_shutdown();
}

/* ---- /proc/interrupts ------------------------------------------------------- */

struct line_spec {
	int irq;
	unsigned int cnt[2];
	const char *names[3];
};

static char *expected_interrupts(int prec, int ncpu, const struct line_spec *ls,
				 int nl, unsigned int err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fprintf(f, "%*s", prec + 8, "");
	for (int j = 0; j < ncpu; j++)
		fprintf(f, "CPU%-8d", j);
	fputc('\n', f);
	for (int i = 0; i < nl; i++) {
		fprintf(f, "%*d:", prec, ls[i].irq);
		for (int j = 0; j < ncpu; j++)
			fprintf(f, " %10u", ls[i].cnt[j]);
		fprintf(f, " %8s", "irqcore");
		fprintf(f, " %*lu", prec, (unsigned long)ls[i].irq);
		fprintf(f, "-%-8s", "edge");
		for (int k = 0; k < 3 && ls[i].names[k]; k++)
			fprintf(f, k ? ", %s" : "  %s", ls[i].names[k]);
		fputc('\n', f);
	}
	fprintf(f, "%*s: %10u\n", prec, "ERR", err);
	fclose(f);
	return buf;
}

TEST(t1_show_interrupts_exact)
{
	struct ut_dev e0, e1, tm, hi;
	cpu_set_t m0 = ut_mask1(0), m1 = ut_mask1(1);
	static const struct line_spec want[] = {
		{ 3, { 2, 1 }, { "eth0", "eth1", NULL } },
		{ 17, { 0, 3 }, { "timer", NULL, NULL } },
		{ 1000, { 0, 0 }, { "hi", NULL, NULL } },
	};
	char *got, *exp;

	ut_dev_init(&e0, 0, IRQ_HANDLED);
	ut_dev_init(&e1, 1, IRQ_NONE);
	ut_dev_init(&tm, 2, IRQ_HANDLED);
	ut_dev_init(&hi, 3, IRQ_HANDLED);
	ut_start_ext(2, 0);
	ASSERT_EQ(request_irq(3, ut_handler, IRQF_SHARED, "eth0", &e0), 0);
	ASSERT_EQ(request_irq(3, ut_handler, IRQF_SHARED, "eth1", &e1), 0);
	ASSERT_EQ(request_irq(17, ut_handler, 0, "timer", &tm), 0);
	ASSERT_EQ(request_irq(1000, ut_handler, 0, "hi", &hi), 0);
	ASSERT_EQ(irq_set_affinity(3, &m0), 0);
	ASSERT_EQ(irq_set_affinity(17, &m1), 0);
	ut_fire(3);
	ut_fire(3);
	ASSERT_EQ(irq_set_affinity(3, &m1), 0);
	ASSERT_EQ(irq_raise(3), 0);
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(irq_raise(17), 0);
		ASSERT_EQ(irqcore_quiesce(5000), 0);
	}

	got = ut_capture_interrupts();
	exp = expected_interrupts(4, 2, want, 3, 0);
	ASSERT_STR_EQ(got, exp);
	free(got);
	free(exp);

	/* an event without an action shows in ERR only */
	ASSERT_EQ(irq_raise(9), 0);
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	got = ut_capture_interrupts();
	exp = expected_interrupts(4, 2, want, 3, 1);
	ASSERT_STR_EQ(got, exp);
	free(got);
	free(exp);
	irqcore_shutdown();
}

TEST(t1_show_interrupts_prec_follows_nr_irqs)
{
	static const unsigned int sizes[] = { 16, 999, 1000, 9999, 10000, 65536 };
	static const int precs[] = { 3, 3, 4, 4, 5, 5 };

	for (unsigned int s = 0; s < UT_ARRAY_SIZE(sizes); s++) {
		struct irqcore_config c;
		struct ut_dev d;
		static const struct line_spec one[1] = {
			{ 7, { 1, 0 }, { "dev", NULL, NULL } },
		};
		char *got, *exp;

		ASSERT_EQ(prec_for(sizes[s]), precs[s]);
		ut_dev_init(&d, 0, IRQ_HANDLED);
		ut_config(&c, 1, 0);
		c.nr_irqs = sizes[s];
		ut_start_cfg_ext(&c);
		ASSERT_EQ(request_irq(7, ut_handler, 0, "dev", &d), 0);
		ut_fire(7);
		got = ut_capture_interrupts();
		exp = expected_interrupts(precs[s], 1, one, 1, 0);
		ASSERT_STR_EQ(got, exp);
		free(got);
		free(exp);
		ASSERT_TRUE(free_irq(7, &d) != NULL);
		irqcore_shutdown();
	}
}

TEST(t1_show_interrupts_only_lines_with_actions)
{
	struct ut_dev d;
	char *got, *exp;
	static const struct line_spec one[1] = {
		{ 2, { 0 }, { "only", NULL, NULL } },
	};

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(2, ut_handler, 0, "only", &d), 0);
	/* a freed line with counts disappears */
	ASSERT_EQ(request_irq(4, ut_handler, 0, "gone", &d), 0);
	ut_fire(4);
	ASSERT_TRUE(free_irq(4, &d) != NULL);
	got = ut_capture_interrupts();
	exp = expected_interrupts(4, 1, one, 1, 0);
	ASSERT_STR_EQ(got, exp);
	free(got);
	free(exp);
	irqcore_shutdown();
}

/* ---- /proc/stat intr ---------------------------------------------------------- */

TEST(t1_show_stat_intr)
{
	struct irqcore_config c;
	struct ut_dev a, b;
	char *got, want[256], *p;
	int n;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_config(&c, 1, 0);
	c.nr_irqs = 16;
	ut_start_cfg_ext(&c);
	ASSERT_EQ(request_irq(2, ut_handler, 0, "a", &a), 0);
	ASSERT_EQ(request_irq(15, ut_handler, 0, "b", &b), 0);
	for (int i = 0; i < 3; i++)
		ut_fire(2);
	ut_fire(15);
	got = ut_capture_stat_intr();
	n = snprintf(want, sizeof(want), "intr %u", 4u);
	for (int i = 0; i < 16; i++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, " %u",
			      i == 2 ? 3u : i == 15 ? 1u : 0u);
	/* a trailing newline is fine */
	p = got + strlen(got);
	if (p > got && p[-1] == '\n')
		p[-1] = '\0';
	ASSERT_STR_EQ(got, want);
	free(got);
	irqcore_shutdown();
}

/* ---- /proc/irq/N/spurious ------------------------------------------------------ */

static unsigned long long fake_now = 5000ULL * 1000000ULL;	/* 5 s */

static unsigned long long fake_clock(void *arg)
{
	(void)arg;
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

TEST(t1_show_spurious)
{
	struct irqcore_config c;
	struct ut_dev a;
	char *got;

	ut_dev_init(&a, 0, IRQ_NONE);
	ut_config(&c, 1, 0);
	c.clock_ns = fake_clock;
	ut_start_cfg_ext(&c);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "sp", &a), 0);
	got = ut_capture_spurious(5);
	ASSERT_STR_EQ(got, "count 0\nunhandled 0\nlast_unhandled 0 ms\n");
	free(got);
	ut_fire(5);
	__atomic_add_fetch(&fake_now, 10ULL * 1000000ULL, __ATOMIC_SEQ_CST);
	ut_fire(5);
	atomic_store(&a.ret, IRQ_HANDLED);
	ut_fire(5);
	got = ut_capture_spurious(5);
	ASSERT_STR_EQ(got, "count 3\nunhandled 2\nlast_unhandled 5010 ms\n");
	free(got);
	irqcore_shutdown();
}

/* ---- irq_get_status ------------------------------------------------------------ */

TEST(status_fields)
{
	struct irq_status st;
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	st = ut_status(5);
	ASSERT_EQ(st.nr_actions, 0);
	ASSERT_EQ(st.count, 0);
	ASSERT_EQ(st.raised, 0);
	ASSERT_EQ(st.coalesced, 0);
	ASSERT_EQ(st.effective_cpu, 0);

	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "a", &a), 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "b", &b), 0);
	st = ut_status(5);
	ASSERT_EQ(st.depth, 0);
	ASSERT_FALSE(st.masked);
	ASSERT_FALSE(st.disabled);
	ASSERT_FALSE(st.spurious_disabled);
	ASSERT_FALSE(st.in_progress);
	ASSERT_FALSE(st.pending);
	ASSERT_EQ(st.threads_oneshot, 0);
	ASSERT_EQ(st.threads_active, 0);
	ASSERT_EQ(st.nr_actions, 2);
	ASSERT_EQ(st.count, 0);
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(st.irqs_unhandled, 0);
	ASSERT_EQ(st.raised, 0);
	ASSERT_EQ(st.coalesced, 0);
	ASSERT_EQ(st.effective_cpu, 0);
	ASSERT_EQ(st.noaction, 0);

	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irq_raise(5), 0);
	ut_drain();
	st = ut_status(5);
	ASSERT_EQ(st.raised, 2);
	ASSERT_EQ(st.count, 1);
	ASSERT_EQ(st.coalesced, 1);
	ASSERT_EQ(st.count, kstat_irqs_usr(5));

	disable_irq(5);
	disable_irq(5);
	st = ut_status(5);
	ASSERT_EQ(st.depth, 2);
	ASSERT_TRUE(st.disabled);
	irqcore_shutdown();
}

TEST(status_and_show_bad_arguments)
{
	struct irq_status st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ut_start_ext(1, 0);
	ASSERT_EQ(irq_get_status(1024, &st), -EINVAL);
	ASSERT_EQ(irq_get_status(100000, &st), -EINVAL);
	ASSERT_EQ(irq_get_status(5, NULL), -EINVAL);
	ASSERT_EQ(irq_show_interrupts(NULL), -EINVAL);
	ASSERT_EQ(irq_show_stat_intr(NULL), -EINVAL);
	ASSERT_EQ(irq_show_spurious(5, NULL), -EINVAL);
	f = open_memstream(&buf, &len);
	ASSERT_EQ(irq_show_spurious(1024, f), -EINVAL);
	fclose(f);
	ASSERT_EQ(len, 0);
	free(buf);
	irqcore_shutdown();
}
