/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tasklets: deferred functions that run on a CPU after its hard handlers,
 * in interrupt context but not in a hard handler, never concurrently with
 * themselves; tasklet_kill/tasklet_disable wait; irqcore_quiesce() waits for
 * scheduled tasklets.
 */
#include "util_thr.h"

#include <stddef.h>

struct tk {
	struct tasklet_struct t;
	atomic_int runs;
	atomic_int inflight;
	atomic_int max_inflight;
	atomic_int cpu;
	atomic_int hardirq;
	atomic_int interrupt;
	atomic_int softirq;
	atomic_int task;
	atomic_int block;		/* the tasklet waits while set */
	atomic_int entered;
	atomic_int handler_done_seen;	/* handler_done when the tasklet ran */
	atomic_int resched;		/* reschedule itself while > 0 */
	atomic_int sleep_ms;		/* sleep inside */
	atomic_int spin;		/* busy loop inside */
	atomic_ulong data_seen;
	struct tasklet_struct *_Atomic cb_seen;
	/* the hard handler side */
	atomic_int handler_calls;
	atomic_int handler_cpu;
	atomic_int handler_done;
	atomic_int schedules_per_irq;
	atomic_ullong schedules;
};

static void tk_body(struct tk *k)
{
	int in = atomic_fetch_add(&k->inflight, 1) + 1;
	int mx = atomic_load(&k->max_inflight);

	while (in > mx && !atomic_compare_exchange_weak(&k->max_inflight, &mx, in))
		;
	atomic_store(&k->cpu, smp_processor_id());
	atomic_store(&k->hardirq, in_hardirq());
	atomic_store(&k->interrupt, in_interrupt());
	atomic_store(&k->softirq, in_serving_softirq());
	atomic_store(&k->task, in_task());
	atomic_store(&k->handler_done_seen, atomic_load(&k->handler_done));
	atomic_fetch_add(&k->entered, 1);
	while (atomic_load(&k->block))
		tt_pause();
	if (atomic_load(&k->sleep_ms))
		ut_sleep_ms(atomic_load(&k->sleep_ms));
	for (volatile int i = 0; i < atomic_load(&k->spin); i++)
		;
	if (atomic_fetch_sub(&k->resched, 1) > 0)
		tasklet_schedule(&k->t);
	atomic_fetch_sub(&k->inflight, 1);
	atomic_fetch_add(&k->runs, 1);
}

static void tk_func(unsigned long data)
{
	struct tk *k = (struct tk *)data;

	atomic_store(&k->data_seen, data);
	tk_body(k);
}

static void tk_callback(struct tasklet_struct *t)
{
	struct tk *k = (struct tk *)((char *)t - offsetof(struct tk, t));

	atomic_store(&k->cb_seen, t);
	tk_body(k);
}

static void tk_init(struct tk *k, bool setup)
{
	memset(k, 0, sizeof(*k));
	atomic_store(&k->cpu, -2);
	atomic_store(&k->handler_cpu, -2);
	atomic_store(&k->schedules_per_irq, 1);
	if (setup)
		tasklet_setup(&k->t, tk_callback);
	else
		tasklet_init(&k->t, tk_func, (unsigned long)k);
}

static irqreturn_t tk_handler(int irq, void *dev_id)
{
	struct tk *k = dev_id;
	int n = atomic_load(&k->schedules_per_irq);

	(void)irq;
	atomic_store(&k->handler_cpu, smp_processor_id());
	for (int i = 0; i < n; i++) {
		tasklet_schedule(&k->t);
		atomic_fetch_add(&k->schedules, 1);
	}
	atomic_fetch_add(&k->handler_calls, 1);
	atomic_store(&k->handler_done, atomic_load(&k->handler_calls));
	return IRQ_HANDLED;
}

static int runs(struct tk *k)
{
	return atomic_load(&k->runs);
}

/* External mode: let CPU 0 run what it has (IRQs and tasklets). */
static void softirqs(void)
{
	ut_drain();
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ut_drain();
}

TEST(tasklet_from_handler_runs_after_it_on_that_cpu)
{
	struct tk k;

	tk_init(&k, false);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, tk_handler, 0, "tk", &k), 0);
	ut_fire(5);
	softirqs();
	ASSERT_EQ(atomic_load(&k.handler_calls), 1);
	ASSERT_EQ(runs(&k), 1);
	ASSERT_EQ(atomic_load(&k.handler_done_seen), 1);	/* after the handler */
	ASSERT_EQ(atomic_load(&k.cpu), 0);
	ASSERT_EQ(atomic_load(&k.handler_cpu), 0);
	ASSERT_FALSE(atomic_load(&k.hardirq));
	ASSERT_TRUE(atomic_load(&k.interrupt));
	ASSERT_TRUE(atomic_load(&k.softirq));
	ASSERT_FALSE(atomic_load(&k.task));
	ASSERT_TRUE(atomic_load(&k.data_seen) == (unsigned long)&k);
	ut_fire(5);
	softirqs();
	ASSERT_EQ(runs(&k), 2);
	ASSERT_EQ(atomic_load(&k.handler_done_seen), 2);
	/* outside the tasklet, back in task context */
	ASSERT_FALSE(in_interrupt());
	ASSERT_FALSE(in_serving_softirq());
	ASSERT_TRUE(free_irq(5, &k) != NULL);
	irqcore_shutdown();
}

TEST_T(tasklet_from_handler_dispatcher_cpu, 30)
{
	struct tk k0, k1;
	cpu_set_t m0 = ut_mask1(0), m1 = ut_mask1(1);

	tk_init(&k0, false);
	tk_init(&k1, true);
	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(5, tk_handler, 0, "tk1", &k1), 0);
	ASSERT_EQ(request_irq(6, tk_handler, 0, "tk0", &k0), 0);
	ASSERT_EQ(irq_set_affinity(5, &m1), 0);
	ASSERT_EQ(irq_set_affinity(6, &m0), 0);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(irq_raise(5), 0);
		ASSERT_EQ(irq_raise(6), 0);
		ut_quiesce();
	}
	ASSERT_GE(runs(&k1), 1);
	ASSERT_GE(runs(&k0), 1);
	ASSERT_EQ(atomic_load(&k1.handler_cpu), 1);
	ASSERT_EQ(atomic_load(&k1.cpu), 1);
	ASSERT_EQ(atomic_load(&k0.handler_cpu), 0);
	ASSERT_EQ(atomic_load(&k0.cpu), 0);
	ASSERT_FALSE(atomic_load(&k1.hardirq));
	ASSERT_TRUE(atomic_load(&k1.interrupt));
	ASSERT_PTR_EQ(atomic_load(&k1.cb_seen), &k1.t);	/* tasklet_setup: gets the struct */
	ASSERT_TRUE(free_irq(5, &k1) != NULL);
	ASSERT_TRUE(free_irq(6, &k0) != NULL);
	irqcore_shutdown();
}

TEST(tasklet_scheduled_twice_runs_once)
{
	struct tk k;

	tk_init(&k, false);
	atomic_store(&k.schedules_per_irq, 2);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, tk_handler, 0, "tk2", &k), 0);
	ut_fire(5);
	softirqs();
	ASSERT_EQ(runs(&k), 1);
	/* from the (attached) test thread: runs on CPU 0 */
	tasklet_schedule(&k.t);
	tasklet_schedule(&k.t);
	tasklet_schedule(&k.t);
	softirqs();
	ASSERT_EQ(runs(&k), 2);
	ASSERT_EQ(atomic_load(&k.cpu), 0);
	softirqs();
	ASSERT_EQ(runs(&k), 2);
	ASSERT_TRUE(free_irq(5, &k) != NULL);
	irqcore_shutdown();
}

TEST_T(tasklet_from_process_context_runs_on_cpu0, 30)
{
	struct tk k;

	tk_init(&k, true);
	ut_start_disp(2, 0);
	tasklet_schedule(&k.t);
	ut_quiesce();
	ASSERT_EQ(runs(&k), 1);
	ASSERT_EQ(atomic_load(&k.cpu), 0);
	ASSERT_TRUE(atomic_load(&k.interrupt));
	ASSERT_FALSE(atomic_load(&k.hardirq));
	ASSERT_PTR_EQ(atomic_load(&k.cb_seen), &k.t);
	irqcore_shutdown();
}

TEST(tasklet_disable_until_enable)
{
	struct tk k;

	tk_init(&k, false);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, tk_handler, 0, "tkd", &k), 0);
	tasklet_disable(&k.t);
	ut_fire(5);
	for (int i = 0; i < 10; i++)
		irqcore_poll();
	ASSERT_EQ(atomic_load(&k.handler_calls), 1);
	ASSERT_EQ(runs(&k), 0);
	tasklet_schedule(&k.t);
	for (int i = 0; i < 10; i++)
		irqcore_poll();
	ASSERT_EQ(runs(&k), 0);
	tasklet_enable(&k.t);
	softirqs();
	ASSERT_EQ(runs(&k), 1);		/* both schedules: one run */
	softirqs();
	ASSERT_EQ(runs(&k), 1);
	ASSERT_TRUE(free_irq(5, &k) != NULL);
	irqcore_shutdown();
}

TEST_T(tasklet_disable_nests, 30)
{
	struct tk k;

	tk_init(&k, false);
	ut_start_disp(1, 0);
	tasklet_disable(&k.t);
	tasklet_disable(&k.t);
	tasklet_schedule(&k.t);
	tasklet_enable(&k.t);
	ut_sleep_ms(30);
	ASSERT_EQ(runs(&k), 0);		/* still disabled once */
	tasklet_enable(&k.t);
	TT_WAIT(runs(&k) == 1);
	ut_quiesce();
	ASSERT_EQ(runs(&k), 1);
	irqcore_shutdown();
}

struct tk_call {
	struct tk *k;
	int op;			/* 0 kill, 1 disable */
	atomic_int done;
	atomic_int runs_at_return;
};

static void *tk_call_main(void *p)
{
	struct tk_call *c = p;

	if (c->op == 0)
		tasklet_kill(&c->k->t);
	else
		tasklet_disable(&c->k->t);
	atomic_store(&c->runs_at_return, atomic_load(&c->k->runs));
	atomic_store(&c->done, 1);
	return NULL;
}

static void waits_for_running(int op)
{
	struct tk k;
	struct tk_call c;
	pthread_t t;

	tk_init(&k, false);
	ut_start_disp(2, 0);
	atomic_store(&k.block, 1);
	tasklet_schedule(&k.t);
	TT_WAIT(atomic_load(&k.entered) == 1);
	memset(&c, 0, sizeof(c));
	c.k = &k;
	c.op = op;
	atomic_store(&c.runs_at_return, -1);
	ASSERT_EQ(pthread_create(&t, NULL, tk_call_main, &c), 0);
	ut_sleep_ms(50);
	{
		bool early = atomic_load(&c.done);	/* the tasklet is still held */

		atomic_store(&k.block, 0);
		pthread_join(t, NULL);
		ASSERT_FALSE(early);
	}
	ASSERT_EQ(atomic_load(&c.runs_at_return), 1);
	if (op == 1) {
		/* disabled: a new schedule does not run until enabled */
		tasklet_schedule(&k.t);
		ut_sleep_ms(30);
		ASSERT_EQ(runs(&k), 1);
		tasklet_enable(&k.t);
		TT_WAIT(runs(&k) == 2);
	}
	ut_quiesce();
	irqcore_shutdown();
}

TEST_T(tasklet_kill_waits_for_running, 30)
{
	waits_for_running(0);
}

TEST_T(tasklet_disable_waits_for_running, 30)
{
	waits_for_running(1);
}

TEST_T(tasklet_kill_idle_returns, 30)
{
	struct tk k;

	tk_init(&k, false);
	ut_start_disp(1, 0);
	tasklet_kill(&k.t);		/* never scheduled */
	ASSERT_EQ(runs(&k), 0);
	tasklet_schedule(&k.t);
	tasklet_kill(&k.t);		/* scheduled: neither scheduled nor running after */
	ut_quiesce();
	ASSERT_LE(runs(&k), 1);
	ASSERT_EQ(atomic_load(&k.inflight), 0);
	/* usable again after kill */
	{
		int before = runs(&k);

		tasklet_schedule(&k.t);
		ut_quiesce();
		ASSERT_EQ(runs(&k), before + 1);
	}
	irqcore_shutdown();
}

TEST_T(quiesce_waits_for_tasklets, 30)
{
	struct tk k, h;

	tk_init(&k, false);
	tk_init(&h, false);
	atomic_store(&k.sleep_ms, 30);
	atomic_store(&h.sleep_ms, 30);
	ut_start_disp(2, 0);
	tasklet_schedule(&k.t);
	ut_quiesce();
	ASSERT_EQ(runs(&k), 1);
	/* scheduled from a handler */
	ASSERT_EQ(request_irq(5, tk_handler, 0, "tkq", &h), 0);
	ASSERT_EQ(irq_raise(5), 0);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&h.handler_calls), 1);
	ASSERT_EQ(runs(&h), 1);
	ASSERT_TRUE(free_irq(5, &h) != NULL);
	irqcore_shutdown();
}

TEST_T(tasklet_reschedules_itself, 30)
{
	struct tk k;

	tk_init(&k, true);
	atomic_store(&k.resched, 2);
	ut_start_disp(2, 0);
	tasklet_schedule(&k.t);
	ut_quiesce();
	TT_WAIT(runs(&k) == 3);
	ut_quiesce();
	ASSERT_EQ(runs(&k), 3);
	ASSERT_EQ(atomic_load(&k.max_inflight), 1);
	irqcore_shutdown();
}

/* ---- never concurrently with itself ---------------------------------------- */

#define NR_LINES 4

struct raiser_arg {
	atomic_int *stop;
	int idx;
	unsigned long long raised;
};

static void *raiser_main(void *p)
{
	struct raiser_arg *r = p;

	while (!atomic_load(r->stop)) {
		for (int i = 0; i < NR_LINES; i++)
			if (irq_raise(40 + (unsigned int)((i + r->idx) % NR_LINES)) == 0)
				r->raised++;
		if ((r->raised & 63) == 0)
			sched_yield();
	}
	return NULL;
}

TEST_T(tasklet_never_concurrent_with_itself, 120)
{
	struct tk k;
	struct raiser_arg ra[4];
	pthread_t rt[4];
	atomic_int stop = 0;
	double end;
	unsigned int ncpu = 4;
	unsigned long long sched_before, proc_schedules = 0;

	tk_init(&k, false);
	atomic_store(&k.spin, 2000);
	atomic_store(&k.schedules_per_irq, 2);
	ut_start_disp(ncpu, 0);
	for (unsigned int i = 0; i < NR_LINES; i++) {
		cpu_set_t m = ut_mask1((int)(i % ncpu));

		ASSERT_EQ(request_irq(40 + i, tk_handler, IRQF_SHARED, "tks", &k), 0);
		ASSERT_EQ(irq_set_affinity(40 + i, &m), 0);
	}
	for (int i = 0; i < 4; i++) {
		ra[i].stop = &stop;
		ra[i].idx = i;
		ra[i].raised = 0;
		ASSERT_EQ(pthread_create(&rt[i], NULL, raiser_main, &ra[i]), 0);
	}
	end = th_now() + (th_stress_seconds() < 1.0 ? th_stress_seconds() : 1.0);
	while (th_now() < end) {
		/* and from process context too */
		tasklet_schedule(&k.t);
		proc_schedules++;
		ut_sleep_ms(1);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(rt[i], NULL);
	ut_quiesce();
	ASSERT_GT(runs(&k), 0);
	ASSERT_EQ(atomic_load(&k.max_inflight), 1);
	ASSERT_EQ(atomic_load(&k.inflight), 0);
	ASSERT_GT(atomic_load(&k.schedules), 0);
	ASSERT_LE((unsigned long long)runs(&k),
		  atomic_load(&k.schedules) + proc_schedules);
	/* nothing is left scheduled: one more schedule, exactly one more run */
	sched_before = (unsigned long long)runs(&k);
	tasklet_schedule(&k.t);
	ut_quiesce();
	ASSERT_EQ((unsigned long long)runs(&k), sched_before + 1);
	for (unsigned int i = 0; i < NR_LINES; i++)
		ASSERT_TRUE(free_irq(40 + i, &k) != NULL);
	irqcore_shutdown();
}
