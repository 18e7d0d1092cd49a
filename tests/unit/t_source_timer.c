/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Deadline timer lines (IRQCORE_SRC_TIMER): the phase (no drift over 1000
 * periods, checked from the deadlines the line records, not from
 * wall-clock thresholds), overrun accounting with a handler slower than
 * the period, the run on the line's effective CPU and its hand-over when
 * the affinity moves, and detach stopping every run.
 */
#include "util.h"

#define NRUNS 1000

struct run {
	unsigned long long deadline, events, missed;
	int cpu;
	bool hard;
};

static struct run runs[NRUNS + 8];
static atomic_int nruns;
static atomic_ullong busy_ns;	/* how long the handler keeps the CPU */

static unsigned long long mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static irqreturn_t tick(int irq, void *dev)
{
	struct irqcore_source_stats st;
	int n = atomic_load(&nruns);
	unsigned long long t0 = mono(), busy = atomic_load(&busy_ns);

	(void)dev;
	if (n < NRUNS + 8 && irqcore_source_get_stats((unsigned int)irq, &st) == 0) {
		runs[n] = (struct run){ .deadline = st.deadline_ns, .events = st.events,
					.missed = st.missed, .cpu = smp_processor_id(),
					.hard = in_hardirq() };
		atomic_store(&nruns, n + 1);
	}
	while (busy && mono() - t0 < busy)
		;	/* an overrunning handler */
	return IRQ_HANDLED;
}

static void wait_runs(int want)
{
	double end = th_now() + 60;

	while (atomic_load(&nruns) < want && th_now() < end)
		ut_sleep_ms(5);
	ASSERT_GE(atomic_load(&nruns), want);
}

static int attach_timer(unsigned long long period, unsigned long long lead)
{
	struct irqcore_source s;
	int irq;

	memset(&s, 0, sizeof(s));
	s.kind = IRQCORE_SRC_TIMER;
	s.fd = -1;
	s.period_ns = period;
	s.lead_ns = lead;
	irq = irqcore_source_attach(-1, &s);
	ASSERT_GT(irq, 0);
	return irq;
}

TEST_T(timer_phase_no_drift, 120)
{
	const unsigned long long period = 1000000;
	int irq, n;
	char *line;

	ut_start_disp(1, 0);
	irq = attach_timer(period, 0);
	line = ut_interrupts_line((unsigned int)irq);
	ASSERT_TRUE(line == NULL);		/* no action yet: not shown */
	ASSERT_EQ(request_irq((unsigned int)irq, tick, 0, "control", NULL), 0);
	line = ut_interrupts_line((unsigned int)irq);
	ASSERT_CONTAINS(line, "timer");
	ASSERT_CONTAINS(line, "control");
	free(line);
	wait_runs(NRUNS);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	n = atomic_load(&nruns);
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(runs[i].deadline % period, 0);	/* the phase */
		ASSERT_TRUE(runs[i].hard);
		ASSERT_EQ(runs[i].cpu, 0);
		if (!i)
			continue;
		ASSERT_GT(runs[i].deadline, runs[i - 1].deadline);
		ASSERT_EQ((runs[i].deadline - runs[i - 1].deadline) % period, 0);
		/* every deadline in between was run or counted as missed */
		ASSERT_EQ((runs[i].events + runs[i].missed) - (runs[i - 1].events + runs[i - 1].missed),
			  (runs[i].deadline - runs[i - 1].deadline) / period);
	}
	/* over the whole run: deadlines = first + k * period, no drift */
	ASSERT_EQ((runs[n - 1].events + runs[n - 1].missed) - (runs[0].events + runs[0].missed),
		  (runs[n - 1].deadline - runs[0].deadline) / period);
	ASSERT_EQ(runs[n - 1].events - runs[0].events, (unsigned long long)(n - 1));
	free_irq((unsigned int)irq, NULL);
	irqcore_shutdown();
}

TEST(timer_overrun_accounting)
{
	const unsigned long long period = 2000000;
	int irq, n;

	ut_start_disp(1, 0);
	atomic_store(&busy_ns, 5000000);	/* 2.5 periods per run */
	irq = attach_timer(period, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, tick, 0, "slow", NULL), 0);
	wait_runs(10);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	n = atomic_load(&nruns);
	for (int i = 1; i < n; i++) {
		/* a run of 2.5 periods passes at least two deadlines: skipped,
		 * counted, and the next run keeps the phase */
		ASSERT_GE(runs[i].deadline - runs[i - 1].deadline, 3 * period);
		ASSERT_EQ(runs[i].deadline % period, 0);
		ASSERT_GE(runs[i].missed - runs[i - 1].missed, 2);
		ASSERT_EQ((runs[i].events + runs[i].missed) - (runs[i - 1].events + runs[i - 1].missed),
			  (runs[i].deadline - runs[i - 1].deadline) / period);
	}
	free_irq((unsigned int)irq, NULL);
	irqcore_shutdown();
}

TEST(timer_follows_affinity_and_detach_stops_it)
{
	cpu_set_t one;
	int irq, n;
	double end;

	ut_start_disp(2, 0);
	irq = attach_timer(1000000, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, tick, 0, "moving", NULL), 0);
	wait_runs(5);
	CPU_ZERO(&one);
	CPU_SET(1, &one);
	ASSERT_EQ(irq_set_affinity((unsigned int)irq, &one), 0);
	end = th_now() + 30;
	do {
		n = atomic_load(&nruns);
		ut_sleep_ms(2);
	} while ((n == 0 || runs[n - 1].cpu != 1) && th_now() < end && n < NRUNS);
	ASSERT_EQ(runs[atomic_load(&nruns) - 1].cpu, 1);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	n = atomic_load(&nruns);
	ut_sleep_ms(20);			/* 20 periods: none may run */
	ASSERT_EQ(atomic_load(&nruns), n);
	free_irq((unsigned int)irq, NULL);
	irqcore_shutdown();
}

TEST(timer_disabled_line_latches)
{
	int irq;
	struct irqcore_source_stats st;

	ut_start_disp(1, 0);
	irq = attach_timer(1000000, 200000);
	ASSERT_EQ(request_irq((unsigned int)irq, tick, 0, "gated", NULL), 0);
	wait_runs(3);
	disable_irq((unsigned int)irq);
	{
		int n = atomic_load(&nruns);

		ut_sleep_ms(20);
		ASSERT_EQ(atomic_load(&nruns), n);	/* latched, not run */
		enable_irq((unsigned int)irq);		/* the latched one replays */
		wait_runs(n + 2);
	}
	ASSERT_EQ(irqcore_source_get_stats((unsigned int)irq, &st), 0);
	ASSERT_GT(st.events, 3);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	free_irq((unsigned int)irq, NULL);
	irqcore_shutdown();
}

static atomic_int other_hits;

static irqreturn_t other(int irq, void *dev)
{
	atomic_fetch_add(&other_hits, 1);
	return IRQ_HANDLED;
}

/* A spinning CPU: the timer runs, and so do other lines' events between
 * its deadlines (the CPU spins on both). */
TEST(timer_on_spinning_cpu)
{
	struct irqcore_config c;
	int irq;

	ut_config(&c, 1, 0);
	c.idle = IRQCORE_IDLE_SPIN;
	ASSERT_EQ(irqcore_init(&c), 0);
	irq = attach_timer(2000000, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, tick, 0, "spun", NULL), 0);
	ASSERT_EQ(request_irq(3, other, 0, "other", NULL), 0);
	wait_runs(5);
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(irq_raise(3), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_GT(atomic_load(&other_hits), 0);
	wait_runs(atomic_load(&nruns) + 3);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	free_irq((unsigned int)irq, NULL);
	free_irq(3, NULL);
	irqcore_shutdown();
}

/* Without a handler a timer line does not tick: no event, no ERR, no
 * "No irq handler" (before the request and after free_irq). */
TEST(timer_without_handler_is_quiet)
{
	struct irqcore_source_stats st;
	int irq;

	ut_start_disp(1, 0);
	irq = attach_timer(1000000, 0);
	ut_sleep_ms(20);
	ASSERT_EQ(irqcore_source_get_stats((unsigned int)irq, &st), 0);
	ASSERT_EQ(st.events, 0);
	ASSERT_EQ(st.missed, 0);
	ASSERT_EQ(request_irq((unsigned int)irq, tick, 0, "late", NULL), 0);
	wait_runs(3);
	free_irq((unsigned int)irq, NULL);
	ut_sleep_ms(20);
	ASSERT_EQ(ut_err_count(), 0);
	ASSERT_EQ(th_log_count("No irq handler"), 0);
	ASSERT_EQ(irqcore_source_detach((unsigned int)irq), 0);
	irqcore_shutdown();
}

/* The lead: a given one stays as given; lead_ns 0 adapts it to how late the
 * CPU wakes, within [20 us, period / 2] (sources/timer.c). The value it
 * settles at depends on the machine: only the bounds are asserted. */
static struct ut_dev fixed_dev;

TEST(timer_lead_given_or_adaptive)
{
	const unsigned long long period = 400000;	/* 2.5 kHz: cap 200 us */
	struct irqcore_source_stats st;
	int fixed, adapt;

	ut_start_disp(1, 0);
	fixed = attach_timer(period, 30000);
	adapt = attach_timer(period, 0);
	ASSERT_EQ(request_irq((unsigned int)adapt, tick, 0, "adaptive", NULL), 0);
	ut_dev_init(&fixed_dev, 1, IRQ_HANDLED);
	ASSERT_EQ(request_irq((unsigned int)fixed, ut_handler, 0, "fixed", &fixed_dev), 0);
	wait_runs(NRUNS);
	ASSERT_EQ(irqcore_source_get_stats((unsigned int)fixed, &st), 0);
	ASSERT_EQ(st.lead_ns, 30000);
	ASSERT_EQ(irqcore_source_get_stats((unsigned int)adapt, &st), 0);
	ASSERT_GE(st.lead_ns, 20000);
	ASSERT_LE(st.lead_ns, period / 2);
	/* it did adapt: 50 us again only if the decaying maximum of the wake
	 * lateness were exactly 32 us */
	ASSERT_NE(st.lead_ns, 50000);
	ASSERT_EQ(irqcore_source_detach((unsigned int)adapt), 0);
	ASSERT_EQ(irqcore_source_detach((unsigned int)fixed), 0);
	ASSERT_GT(ut_calls(&fixed_dev), 0);
	free_irq((unsigned int)adapt, NULL);
	free_irq((unsigned int)fixed, &fixed_dev);
	irqcore_shutdown();
}
