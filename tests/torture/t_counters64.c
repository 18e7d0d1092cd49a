/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Finding 6 of the issue "Engine hardening": counters wrap at 2^32.
 *
 * The per-line handled count (irq_status.count), the raise count and the
 * per-CPU counts behind them are 64-bit; what the kernel reports as
 * unsigned int (kstat_irqs_cpu, kstat_irqs_usr, the " %10u" columns of
 * /proc/interrupts) is that 64-bit value truncated, as the kernel's is.
 *
 * Nobody can raise 2^32 events in a test: the torture build's
 * irqcore_debug_add_counts() (debug_hook.h) adds to a quiet line's counters
 * as if n events had been raised and handled on a CPU. External-CPU mode:
 * the test thread is CPU 0 and handles every raise with irqcore_poll().
 */
#include "irqcore.h"
#include "../harness.h"
#include "../unit/util.h"
#include "debug_hook.h"

#define L_WRAP		9
#define TWO32		(1ull << 32)

/* The /proc/interrupts columns of `irq`: after "<irq>:", one " %10u" per
 * CPU, then a blank (before the chip name). */
static void expect_interrupts_columns(unsigned int irq, const unsigned int *per_cpu,
				      unsigned int nr_cpus)
{
	char want[128], *line = ut_interrupts_line(irq), *p;
	size_t len;

	ASSERT_TRUE(line != NULL);
	len = (size_t)snprintf(want, sizeof(want), ":");
	for (unsigned int c = 0; c < nr_cpus; c++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, " %10u", per_cpu[c]);
	snprintf(want + len, sizeof(want) - len, " ");
	p = strchr(line, ':');
	ASSERT_TRUE(p != NULL);
	if (strncmp(p, want, strlen(want)))
		th_fail(__FILE__, __LINE__, "irq %u columns: want \"%s\" in\n%s", irq, want,
			line);
	free(line);
}

static void fire_n(unsigned int irq, int n)
{
	for (int i = 0; i < n; i++)
		ut_fire(irq);
}

/* finding 6: the counts go past 2^32 on one CPU; the unsigned int views
 * truncate as the kernel's */
TEST_T(counters64_wrap_one_cpu, 60)
{
	struct irq_status st;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(L_WRAP, ut_handler, 0, "wrap", &d), 0);
	ASSERT_EQ(irqcore_debug_add_counts(L_WRAP, 0, TWO32 - 5), 0);
	st = ut_status(L_WRAP);
	ASSERT_TRUE(st.count == TWO32 - 5);
	ASSERT_TRUE(st.raised == TWO32 - 5);
	ASSERT_EQ(kstat_irqs_usr(L_WRAP), (unsigned int)(TWO32 - 5));

	fire_n(L_WRAP, 10);
	ASSERT_EQ(ut_calls(&d), 10);
	st = ut_status(L_WRAP);
	if (st.count != TWO32 + 5)
		th_fail(__FILE__, __LINE__, "count %llu, want %llu", st.count, TWO32 + 5);
	if (st.raised != st.count + st.coalesced)
		th_fail(__FILE__, __LINE__, "raised %llu != count %llu + coalesced %llu",
			st.raised, st.count, st.coalesced);
	ASSERT_TRUE(st.raised == TWO32 + 5 + st.coalesced);
	ASSERT_EQ(kstat_irqs_usr(L_WRAP), 5);		/* truncated */
	ASSERT_EQ(kstat_irqs_cpu(L_WRAP, 0), 5);		/* truncated */
	expect_interrupts_columns(L_WRAP, (const unsigned int[]){ 5 }, 1);

	/* further past: 3 * 2^32 + 5 */
	ASSERT_EQ(irqcore_debug_add_counts(L_WRAP, 0, 2 * TWO32), 0);
	st = ut_status(L_WRAP);
	if (st.count != 3 * TWO32 + 5)
		th_fail(__FILE__, __LINE__, "count %llu, want %llu", st.count, 3 * TWO32 + 5);
	ASSERT_TRUE(st.raised == st.count + st.coalesced);
	ASSERT_EQ(kstat_irqs_usr(L_WRAP), 5);
	ASSERT_EQ(kstat_irqs_cpu(L_WRAP, 0), 5);
	fire_n(L_WRAP, 1);
	st = ut_status(L_WRAP);
	ASSERT_TRUE(st.count == 3 * TWO32 + 6);
	ASSERT_TRUE(st.raised == st.count + st.coalesced);
	ASSERT_EQ(kstat_irqs_usr(L_WRAP), 6);
	expect_interrupts_columns(L_WRAP, (const unsigned int[]){ 6 }, 1);

	ASSERT_TRUE(free_irq(L_WRAP, &d) != NULL);
	irqcore_shutdown();
}

/* finding 6: the line total is the 64-bit sum over CPUs, truncated only
 * where it is reported as unsigned int; each CPU's column is its own count
 * truncated */
TEST_T(counters64_wrap_sum_over_cpus, 60)
{
	cpu_set_t m0 = ut_mask1(0);
	struct irq_status st;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(2, 0);
	ASSERT_EQ(request_irq(L_WRAP, ut_handler, 0, "wrap", &d), 0);
	ASSERT_EQ(irq_set_affinity(L_WRAP, &m0), 0);	/* the attached CPU handles it */
	ASSERT_EQ(ut_status(L_WRAP).effective_cpu, 0);
	/* CPU 1 handled 2^32 - 5 events of the line earlier */
	ASSERT_EQ(irqcore_debug_add_counts(L_WRAP, 1, TWO32 - 5), 0);
	fire_n(L_WRAP, 10);
	ASSERT_EQ(ut_calls(&d), 10);
	st = ut_status(L_WRAP);
	if (st.count != TWO32 + 5)
		th_fail(__FILE__, __LINE__, "count %llu, want %llu", st.count, TWO32 + 5);
	if (st.raised != st.count + st.coalesced)
		th_fail(__FILE__, __LINE__, "raised %llu != count %llu + coalesced %llu",
			st.raised, st.count, st.coalesced);
	ASSERT_EQ(kstat_irqs_cpu(L_WRAP, 0), 10);
	ASSERT_EQ(kstat_irqs_cpu(L_WRAP, 1), (unsigned int)(TWO32 - 5));
	ASSERT_EQ(kstat_irqs_usr(L_WRAP), 5);		/* (2^32 + 5) truncated */
	expect_interrupts_columns(L_WRAP, (const unsigned int[]){ 10, (unsigned int)(TWO32 - 5) },
				  2);
	ASSERT_TRUE(free_irq(L_WRAP, &d) != NULL);
	irqcore_shutdown();
}

/* finding 6: the debug helper's own contract (the tests above rely on it) */
TEST_T(counters64_add_counts_checks_arguments, 30)
{
	ut_start_ext(2, 0);
	ASSERT_EQ(irqcore_debug_add_counts(1024, 0, 1), -EINVAL);	/* default nr_irqs */
	ASSERT_EQ(irqcore_debug_add_counts(L_WRAP, 2, 1), -EINVAL);	/* no CPU 2 */
	irqcore_shutdown();
	ASSERT_EQ(irqcore_debug_add_counts(L_WRAP, 0, 1), -ENODEV);
}
