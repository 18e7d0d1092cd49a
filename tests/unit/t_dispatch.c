/* SPDX-License-Identifier: BSD-2-Clause */
/* Dispatch: SEMANTICS D1, D2, D7, D9, coalescing and accounting, context
 * functions, local_irq_*, the external-CPU API and quiesce. */
#include "util.h"

/* ---- D1 ------------------------------------------------------------------ */

static atomic_int seen_in_progress;

static irqreturn_t status_handler(int irq, void *dev_id)
{
	struct irq_status st;

	if (irq_get_status((unsigned int)irq, &st) == 0 && st.in_progress)
		atomic_fetch_add(&seen_in_progress, 1);
	return ut_handler(irq, dev_id);
}

TEST(d1_in_progress_during_handlers)
{
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, status_handler, IRQF_SHARED, "a", &a), 0);
	ASSERT_EQ(request_irq(5, status_handler, IRQF_SHARED, "b", &b), 0);
	ASSERT_FALSE(ut_status(5).in_progress);
	ut_fire(5);
	ASSERT_EQ(atomic_load(&seen_in_progress), 2);
	ASSERT_FALSE(ut_status(5).in_progress);
	irqcore_shutdown();
}

TEST(d1_count_once_per_event_results_ored)
{
	struct irq_status st;
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_NONE);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "none", &a), 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "handled", &b), 0);
	for (int i = 0; i < 3; i++)
		ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 3);
	ASSERT_EQ(ut_calls(&b), 3);
	st = ut_status(5);
	ASSERT_EQ(st.count, 3);
	ASSERT_EQ(kstat_irqs_usr(5), 3);
	ASSERT_EQ(kstat_irqs_cpu(5, 0), 3);
	/* NONE | HANDLED = handled: nothing unhandled */
	ASSERT_EQ(st.irqs_unhandled, 0);

	/* NONE | NONE = unhandled */
	atomic_store(&b.ret, IRQ_NONE);
	ut_fire(5);
	ASSERT_EQ(ut_status(5).irqs_unhandled, 1);
	ASSERT_EQ(ut_status(5).count, 4);
	irqcore_shutdown();
}

/* ---- D2 ------------------------------------------------------------------ */

TEST(d2_wake_thread_without_thread_fn_warns_once)
{
	struct ut_dev a, b, c;

	ut_dev_init(&a, 0, IRQ_WAKE_THREAD);
	ut_dev_init(&b, 1, IRQ_WAKE_THREAD);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "wtA", &a), 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "wtB", &b), 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "fine", &c), 0);
	for (int i = 0; i < 5; i++)
		ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 5);
	ASSERT_EQ(ut_calls(&b), 5);
	ASSERT_EQ(th_log_count("IRQ 5 device wtA returned IRQ_WAKE_THREAD but no thread function available."),
		  1);
	ASSERT_EQ(th_log_count("IRQ 5 device wtB returned IRQ_WAKE_THREAD but no thread function available."),
		  1);
	ASSERT_EQ(th_log_count("returned IRQ_WAKE_THREAD"), 2);
	ASSERT_EQ(ut_status(5).count, 5);
	irqcore_shutdown();
}

/* ---- D7 non-reentrancy --------------------------------------------------- */

static atomic_int nest, max_nest, self_calls;

static void enter(void)
{
	int n = atomic_fetch_add(&nest, 1) + 1;
	int m = atomic_load(&max_nest);

	while (n > m && !atomic_compare_exchange_weak(&max_nest, &m, n))
		;
}

static void leave(void)
{
	atomic_fetch_sub(&nest, 1);
}

static irqreturn_t self_raising_handler(int irq, void *dev_id)
{
	(void)dev_id;
	enter();
	if (atomic_fetch_add(&self_calls, 1) < 5)
		irq_raise((unsigned int)irq);
	leave();
	return IRQ_HANDLED;
}

TEST(d7_raise_own_line_from_handler_not_nested)
{
	struct irq_status st;
	int dummy;

	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, self_raising_handler, 0, "self", &dummy), 0);
	ut_fire(5);
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(atomic_load(&self_calls), 6);
	ASSERT_EQ(atomic_load(&max_nest), 1);
	st = ut_status(5);
	ASSERT_EQ(st.raised, 6);
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	irqcore_shutdown();
}

static irqreturn_t self_handling_handler(int irq, void *dev_id)
{
	(void)dev_id;
	enter();
	if (atomic_fetch_add(&self_calls, 1) == 0)
		ASSERT_EQ(generic_handle_irq((unsigned int)irq), 0);
	leave();
	return IRQ_HANDLED;
}

/* generic_handle_irq() of the running line from its handler: marked
 * PENDING and replayed after the handler, not nested, counted once. */
TEST(d7_generic_handle_own_line_replayed_not_nested)
{
	int dummy;

	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, self_handling_handler, 0, "self", &dummy), 0);
	ASSERT_EQ(generic_handle_irq(5), 0);
	ut_drain();
	ASSERT_EQ(atomic_load(&self_calls), 2);
	ASSERT_EQ(atomic_load(&max_nest), 1);
	ASSERT_EQ(ut_status(5).count, 1);
	ASSERT_FALSE(ut_status(5).in_progress);
	ASSERT_FALSE(ut_status(5).pending);
	irqcore_shutdown();
}

static atomic_int reentry_violations, slow_calls;

static irqreturn_t slowish_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	if (atomic_fetch_add(&nest, 1) != 0)
		atomic_fetch_add(&reentry_violations, 1);
	for (volatile int i = 0; i < 2000; i++)
		;
	atomic_fetch_sub(&nest, 1);
	atomic_fetch_add(&slow_calls, 1);
	return IRQ_HANDLED;
}

static atomic_bool stop_flag;
static atomic_llong raises_ok;

static void *raise_loop(void *arg)
{
	unsigned int irq = (unsigned int)(uintptr_t)arg;

	for (int i = 0; i < 20000 && !atomic_load(&stop_flag); i++)
		if (irq_raise(irq) == 0)
			atomic_fetch_add(&raises_ok, 1);
	return NULL;
}

TEST_T(d7_no_reentry_across_cpus_during_affinity_changes, 60)
{
	pthread_t t[3];
	struct irq_status st;
	int dummy;

	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(5, slowish_handler, 0, "slowish", &dummy), 0);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, raise_loop, (void *)(uintptr_t)5),
			  0);
	for (int i = 0; i < 2000; i++) {
		cpu_set_t m = ut_mask1(i & 1);

		ASSERT_EQ(irq_set_affinity(5, &m), 0);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&reentry_violations), 0);
	st = ut_status(5);
	ASSERT_EQ(st.raised, (unsigned long long)atomic_load(&raises_ok));
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	ASSERT_GE(atomic_load(&slow_calls), 1);
	ASSERT_GE((long long)atomic_load(&slow_calls), (long long)st.count);
	irqcore_shutdown();
}

/* ---- D9 ------------------------------------------------------------------ */

TEST(d9_event_without_action)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(ut_err_count(), 0);
	ASSERT_EQ(irq_raise(9), 0);
	ut_drain();
	ASSERT_EQ(ut_err_count(), 1);
	ASSERT_EQ(th_log_count("No irq handler for irq 9"), 1);
	st = ut_status(9);
	ASSERT_TRUE(st.masked);
	ASSERT_EQ(st.noaction, 1);
	ASSERT_EQ(st.count, 0);

	/* the line is masked now: the next raise is latched */
	ASSERT_EQ(irq_raise(9), 0);
	ASSERT_EQ(ut_drain(), 0);
	st = ut_status(9);
	ASSERT_TRUE(st.pending);
	ASSERT_EQ(ut_err_count(), 1);
	ASSERT_EQ(th_log_count("No irq handler for irq 9"), 1);

	/* a first action starts the line: the latched event is delivered once */
	ASSERT_EQ(request_irq(9, ut_handler, 0, "late", &a), 0);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 1);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_FALSE(ut_status(9).pending);
	ASSERT_EQ(ut_err_count(), 1);
	irqcore_shutdown();
}

TEST(d9_err_counts_each_line)
{
	ut_start_ext(1, 0);
	for (unsigned int i = 10; i < 15; i++)
		ASSERT_EQ(irq_raise(i), 0);
	ut_drain();
	ASSERT_EQ(ut_err_count(), 5);
	ASSERT_GE(th_log_count("No irq handler for irq"), 1);
	for (unsigned int i = 10; i < 15; i++) {
		ASSERT_EQ(ut_status(i).noaction, 1);
		ASSERT_TRUE(ut_status(i).masked);
	}
	irqcore_shutdown();
}

/* ---- coalescing and accounting ------------------------------------------ */

TEST(coalescing_before_poll)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "co", &a), 0);
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irqcore_poll(), 1);
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(ut_calls(&a), 1);
	st = ut_status(5);
	ASSERT_EQ(st.raised, 5);
	ASSERT_EQ(st.count, 1);
	ASSERT_EQ(st.coalesced, 4);
	irqcore_shutdown();
}

TEST(poll_returns_number_handled)
{
	struct ut_dev d[4];
	static const char *names[4] = { "p0", "p1", "p2", "p3" };

	ut_start_ext(1, 0);
	for (int i = 0; i < 4; i++) {
		ut_dev_init(&d[i], i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(20 + i, ut_handler, 0, names[i], &d[i]), 0);
	}
	ASSERT_EQ(irqcore_poll(), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(irq_raise(20 + i), 0);
	ASSERT_EQ(irqcore_poll(), 4);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(ut_calls(&d[i]), 1);
	irqcore_shutdown();
}

TEST(latched_on_disabled_line_accounting)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "lat", &a), 0);
	disable_irq_nosync(5);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(irq_raise(5), 0);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 0);
	enable_irq(5);
	ut_drain();
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(ut_calls(&a), 1);
	st = ut_status(5);
	ASSERT_EQ(st.raised, 3);
	ASSERT_EQ(st.count, 1);
	ASSERT_EQ(st.coalesced, 2);
	irqcore_shutdown();
}

/* ---- context ------------------------------------------------------------- */

struct ctx_seen {
	atomic_int calls;
	atomic_bool hardirq, interrupt, task, irqs_off;
	atomic_int cpu;
	pthread_t thread;
};

static irqreturn_t ctx_handler(int irq, void *dev_id)
{
	struct ctx_seen *s = dev_id;

	(void)irq;
	atomic_store(&s->hardirq, in_hardirq());
	atomic_store(&s->interrupt, in_interrupt());
	atomic_store(&s->task, in_task());
	atomic_store(&s->irqs_off, irqs_disabled());
	atomic_store(&s->cpu, smp_processor_id());
	s->thread = pthread_self();
	atomic_fetch_add(&s->calls, 1);
	return IRQ_HANDLED;
}

static void *outside_ctx(void *arg)
{
	int *res = arg;

	res[0] = in_hardirq();
	res[1] = in_interrupt();
	res[2] = in_task();
	res[3] = smp_processor_id();
	res[4] = irqs_disabled();
	return NULL;
}

TEST_T(context_in_dispatcher_handler, 20)
{
	struct ctx_seen s;
	cpu_set_t m = ut_mask1(1);

	memset(&s, 0, sizeof(s));
	ASSERT_FALSE(in_hardirq());
	ASSERT_FALSE(in_interrupt());
	ASSERT_TRUE(in_task());
	ASSERT_EQ(smp_processor_id(), -1);
	ut_start_disp(2, 0);
	ASSERT_FALSE(in_hardirq());
	ASSERT_TRUE(in_task());
	ASSERT_EQ(smp_processor_id(), -1);
	ASSERT_FALSE(irqs_disabled());
	ASSERT_EQ(request_irq(5, ctx_handler, 0, "ctx", &s), 0);
	ASSERT_EQ(irq_set_affinity(5, &m), 0);
	ASSERT_EQ(irq_raise(5), 0);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&s.calls), 1);
	ASSERT_TRUE(atomic_load(&s.hardirq));
	ASSERT_TRUE(atomic_load(&s.interrupt));
	ASSERT_FALSE(atomic_load(&s.task));
	ASSERT_TRUE(atomic_load(&s.irqs_off));
	ASSERT_EQ(atomic_load(&s.cpu), 1);
	ASSERT_FALSE(pthread_equal(s.thread, pthread_self()));
	irqcore_shutdown();
}

TEST(context_external_cpu)
{
	struct ctx_seen s;
	pthread_t t;
	int res[5];

	memset(&s, 0, sizeof(s));
	ut_start_ext(2, 0);
	/* an attached CPU outside a handler */
	ASSERT_EQ(smp_processor_id(), 0);
	ASSERT_FALSE(in_hardirq());
	ASSERT_TRUE(in_task());
	/* a thread that is no CPU */
	ASSERT_EQ(pthread_create(&t, NULL, outside_ctx, res), 0);
	pthread_join(t, NULL);
	ASSERT_FALSE(res[0]);
	ASSERT_FALSE(res[1]);
	ASSERT_TRUE(res[2]);
	ASSERT_EQ(res[3], -1);
	ASSERT_FALSE(res[4]);

	ASSERT_EQ(request_irq(5, ctx_handler, 0, "ctx", &s), 0);
	ASSERT_EQ(generic_handle_irq(5), 0);
	ASSERT_EQ(atomic_load(&s.calls), 1);
	ASSERT_TRUE(atomic_load(&s.hardirq));
	ASSERT_FALSE(atomic_load(&s.task));
	ASSERT_TRUE(atomic_load(&s.irqs_off));
	ASSERT_EQ(atomic_load(&s.cpu), 0);
	ASSERT_TRUE(pthread_equal(s.thread, pthread_self()));
	/* back outside the handler */
	ASSERT_FALSE(in_hardirq());
	ASSERT_FALSE(irqs_disabled());
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	ASSERT_EQ(smp_processor_id(), -1);
	irqcore_shutdown();
}

/* ---- local_irq_* ----------------------------------------------------------- */

TEST(local_irq_save_defers_poll)
{
	struct ut_dev a;
	unsigned long f;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "lirq", &a), 0);
	ASSERT_FALSE(irqs_disabled());
	local_irq_save(f);
	ASSERT_TRUE(irqs_disabled());
	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(ut_calls(&a), 0);
	local_irq_restore(f);
	ASSERT_FALSE(irqs_disabled());
	/* the enable that ends the section drains */
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(ut_calls(&a), 1);
	irqcore_shutdown();
}

TEST(local_irq_save_nests)
{
	struct ut_dev a;
	unsigned long f1, f2;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "lirq", &a), 0);
	local_irq_save(f1);
	local_irq_save(f2);
	ASSERT_EQ(irq_raise(5), 0);
	local_irq_restore(f2);
	ASSERT_TRUE(irqs_disabled());
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(ut_calls(&a), 0);
	local_irq_restore(f1);
	ASSERT_FALSE(irqs_disabled());
	ASSERT_EQ(ut_calls(&a), 1);
	irqcore_shutdown();
}

TEST(local_irq_disable_enable)
{
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "lirq", &a), 0);
	local_irq_disable();
	ASSERT_TRUE(irqs_disabled());
	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(ut_calls(&a), 0);
	local_irq_enable();
	ASSERT_FALSE(irqs_disabled());
	ASSERT_EQ(ut_calls(&a), 1);
	irqcore_shutdown();
}

static void *unattached_local_irq(void *arg)
{
	int *res = arg;
	unsigned long f;

	res[0] = irqs_disabled();
	local_irq_disable();
	res[1] = irqs_disabled();
	local_irq_enable();
	res[2] = irqs_disabled();
	local_irq_save(f);
	res[3] = irqs_disabled();
	local_irq_restore(f);
	res[4] = irqs_disabled();
	return NULL;
}

TEST(local_irq_outside_cpu_is_a_flag)
{
	pthread_t t;
	int res[5] = { -1, -1, -1, -1, -1 };

	ut_start_ext(1, 0);
	ASSERT_EQ(pthread_create(&t, NULL, unattached_local_irq, res), 0);
	pthread_join(t, NULL);
	ASSERT_EQ(res[0], 0);
	ASSERT_EQ(res[1], 1);
	ASSERT_EQ(res[2], 0);
	ASSERT_EQ(res[3], 1);
	ASSERT_EQ(res[4], 0);
	irqcore_shutdown();
}

/* ---- external CPU API ---------------------------------------------------- */

TEST_T(attach_needs_external_mode, 20)
{
	ut_start_disp(2, 0);
	ASSERT_EQ(irqcore_cpu_attach(0), -EOPNOTSUPP);
	ASSERT_EQ(irqcore_poll(), -EPERM);
	irqcore_shutdown();
}

TEST(attach_errors)
{
	struct irqcore_config c;

	ut_config(&c, 2, IRQCORE_F_EXTERNAL_CPUS);
	ASSERT_EQ(irqcore_init(&c), 0);
	ASSERT_EQ(irqcore_poll(), -EPERM);
	ASSERT_EQ(irqcore_cpu_detach(), -EPERM);
	ASSERT_EQ(irqcore_cpu_attach(2), -EINVAL);
	ASSERT_EQ(irqcore_cpu_attach(1000000), -EINVAL);
	ASSERT_EQ(irqcore_cpu_attach(1), 0);
	ASSERT_EQ(smp_processor_id(), 1);
	ASSERT_EQ(irqcore_cpu_attach(1), -EALREADY);
	ASSERT_EQ(irqcore_cpu_attach(0), -EALREADY);
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	ASSERT_EQ(irqcore_poll(), -EPERM);
	ASSERT_EQ(irqcore_cpu_detach(), -EPERM);
	ASSERT_EQ(irqcore_cpu_attach(0), 0);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
}

static pthread_barrier_t bar;
static atomic_int other_attach_rc, other_detach_rc;

static void *attach_cpu0_thread(void *arg)
{
	(void)arg;
	atomic_store(&other_attach_rc, irqcore_cpu_attach(0));
	pthread_barrier_wait(&bar);	/* attached */
	pthread_barrier_wait(&bar);	/* main tried */
	atomic_store(&other_detach_rc, irqcore_cpu_detach());
	pthread_barrier_wait(&bar);	/* detached */
	return NULL;
}

TEST(attach_busy_cpu_owned_by_other_thread)
{
	struct irqcore_config c;
	pthread_t t;

	ut_config(&c, 2, IRQCORE_F_EXTERNAL_CPUS);
	ASSERT_EQ(irqcore_init(&c), 0);
	pthread_barrier_init(&bar, NULL, 2);
	ASSERT_EQ(pthread_create(&t, NULL, attach_cpu0_thread, NULL), 0);
	pthread_barrier_wait(&bar);
	ASSERT_EQ(atomic_load(&other_attach_rc), 0);
	ASSERT_EQ(irqcore_cpu_attach(0), -EBUSY);
	ASSERT_EQ(irqcore_poll(), -EPERM);
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	ASSERT_EQ(atomic_load(&other_detach_rc), 0);
	pthread_join(t, NULL);
	/* free again */
	ASSERT_EQ(irqcore_cpu_attach(0), 0);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
}

TEST(generic_handle_irq_contexts)
{
	struct ctx_seen s;
	struct irqcore_config c;

	memset(&s, 0, sizeof(s));
	ut_config(&c, 1, IRQCORE_F_EXTERNAL_CPUS);
	ASSERT_EQ(irqcore_init(&c), 0);
	ASSERT_EQ(request_irq(5, ctx_handler, 0, "inline", &s), 0);
	/* not a CPU */
	ASSERT_EQ(generic_handle_irq(5), -EPERM);
	ASSERT_EQ(atomic_load(&s.calls), 0);
	ASSERT_EQ(irqcore_cpu_attach(0), 0);
	ASSERT_EQ(generic_handle_irq(100000), -EINVAL);
	/* inline: done when it returns, on this thread */
	ASSERT_EQ(generic_handle_irq(5), 0);
	ASSERT_EQ(atomic_load(&s.calls), 1);
	ASSERT_TRUE(pthread_equal(s.thread, pthread_self()));
	ASSERT_EQ(atomic_load(&s.cpu), 0);
	ASSERT_EQ(ut_status(5).count, 1);
	/* nothing was queued */
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(atomic_load(&s.calls), 1);
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	ASSERT_EQ(generic_handle_irq(5), -EPERM);
	irqcore_shutdown();
}

/* ---- quiesce --------------------------------------------------------------- */

TEST(quiesce_external_drains_own_and_unattached_cpus)
{
	struct ut_dev a, b;
	cpu_set_t m0 = ut_mask1(0), m1 = ut_mask1(1);

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(2, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "own", &a), 0);
	ASSERT_EQ(request_irq(6, ut_handler, 0, "other", &b), 0);
	ASSERT_EQ(irq_set_affinity(5, &m0), 0);
	ASSERT_EQ(irq_set_affinity(6, &m1), 0);
	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irq_raise(6), 0);
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(ut_calls(&b), 1);
	ASSERT_EQ(atomic_load(&a.last_cpu), 0);
	ASSERT_EQ(atomic_load(&b.last_cpu), 1);
	ASSERT_EQ(kstat_irqs_cpu(6, 1), 1);
	irqcore_shutdown();
}

static atomic_int quiesce_in_handler_rc = 1;

static irqreturn_t quiescing_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_store(&quiesce_in_handler_rc, irqcore_quiesce(1000));
	return IRQ_HANDLED;
}

TEST_T(quiesce_from_handler_is_edeadlk, 10)
{
	int dummy;

	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, quiescing_handler, 0, "q", &dummy), 0);
	ut_fire(5);
	ASSERT_EQ(atomic_load(&quiesce_in_handler_rc), -EDEADLK);
	irqcore_shutdown();
}

#define QLINES 8
#define QTHREADS 4
#define QRAISES 5000

static atomic_llong line_raises[QLINES];

static void *multi_raiser(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	for (int i = 0; i < QRAISES; i++) {
		unsigned int l;

		seed = seed * 1103515245u + 12345u;
		l = (seed >> 16) % QLINES;
		if (irq_raise(40 + l) == 0)
			atomic_fetch_add(&line_raises[l], 1);
	}
	return NULL;
}

TEST_T(quiesce_dispatcher_mode_many_raisers, 60)
{
	struct ut_dev d[QLINES];
	pthread_t t[QTHREADS];
	long long total = 0;

	ut_start_disp(4, 0);
	for (int i = 0; i < QLINES; i++) {
		ut_dev_init(&d[i], i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(40 + i, ut_handler, 0, "q", &d[i]), 0);
	}
	for (int i = 0; i < QTHREADS; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, multi_raiser,
					 (void *)(uintptr_t)(i * 7919 + 1)), 0);
	for (int i = 0; i < QTHREADS; i++)
		pthread_join(t[i], NULL);
	ut_quiesce();
	for (int i = 0; i < QLINES; i++) {
		struct irq_status st = ut_status(40 + i);

		ASSERT_EQ(st.raised, (unsigned long long)atomic_load(&line_raises[i]));
		ASSERT_EQ(st.raised, st.count + st.coalesced);
		ASSERT_GE((long long)ut_calls(&d[i]), (long long)st.count);
		ASSERT_LE((long long)ut_calls(&d[i]), (long long)st.raised);
		if (st.raised)
			ASSERT_GE(ut_calls(&d[i]), 1);
		ASSERT_FALSE(st.pending);
		ASSERT_FALSE(st.in_progress);
		total += (long long)st.raised;
	}
	ASSERT_EQ(total, QTHREADS * QRAISES);
	irqcore_shutdown();
}

/* ---- more D9, latching and quiesce ----------------------------------------- */

TEST(d9_log_is_rate_limited_err_is_not)
{
	ut_start_ext(1, 0);
	for (unsigned int i = 100; i < 300; i++)
		ASSERT_EQ(irq_raise(i), 0);
	ut_drain();
	ASSERT_EQ(ut_err_count(), 200);
	ASSERT_GE(th_log_count("No irq handler for irq"), 1);
	ASSERT_LT(th_log_count("No irq handler for irq"), 200);
	irqcore_shutdown();
}

TEST(generic_handle_irq_on_disabled_line_latched)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "gd", &a), 0);
	disable_irq(5);
	ASSERT_EQ(generic_handle_irq(5), 0);
	ASSERT_EQ(generic_handle_irq(5), 0);
	ASSERT_EQ(ut_calls(&a), 0);
	st = ut_status(5);
	ASSERT_TRUE(st.pending);
	ASSERT_EQ(st.count, 0);
	enable_irq(5);
	ut_drain();
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_FALSE(ut_status(5).pending);
	irqcore_shutdown();
}

static atomic_bool release_blocker;
static atomic_int blocker_inside;

static irqreturn_t blocking_handler(int irq, void *dev_id)
{
	double t0 = th_now();

	(void)irq;
	(void)dev_id;
	atomic_store(&blocker_inside, 1);
	while (!atomic_load(&release_blocker) && th_now() - t0 < 20)
		ut_sleep_ms(1);
	return IRQ_HANDLED;
}

TEST_T(quiesce_times_out_while_handler_blocks, 40)
{
	int dummy;
	double t0;

	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(5, blocking_handler, 0, "blocker", &dummy), 0);
	ASSERT_EQ(irq_raise(5), 0);
	t0 = th_now();
	while (!atomic_load(&blocker_inside) && th_now() - t0 < 10)
		ut_sleep_ms(1);
	ASSERT_EQ(atomic_load(&blocker_inside), 1);
	ASSERT_EQ(irqcore_quiesce(50), -ETIMEDOUT);
	atomic_store(&release_blocker, true);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	irqcore_shutdown();
}

static pthread_barrier_t qbar;
static atomic_int owner_polled = -1;

static void *idle_owner_of_cpu1(void *arg)
{
	(void)arg;
	ASSERT_EQ(irqcore_cpu_attach(1), 0);
	pthread_barrier_wait(&qbar);	/* attached */
	pthread_barrier_wait(&qbar);	/* main raised and tried quiesce */
	atomic_store(&owner_polled, irqcore_poll());
	ASSERT_EQ(irqcore_cpu_detach(), 0);
	return NULL;
}

/* quiesce does not drain a CPU that another thread owns: it waits for it. */
TEST_T(quiesce_external_waits_for_owned_cpu, 30)
{
	struct ut_dev a;
	cpu_set_t m1 = ut_mask1(1);
	pthread_t t;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(2, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "owned", &a), 0);
	ASSERT_EQ(irq_set_affinity(5, &m1), 0);
	pthread_barrier_init(&qbar, NULL, 2);
	ASSERT_EQ(pthread_create(&t, NULL, idle_owner_of_cpu1, NULL), 0);
	pthread_barrier_wait(&qbar);
	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irqcore_quiesce(50), -ETIMEDOUT);
	ASSERT_EQ(ut_calls(&a), 0);
	pthread_barrier_wait(&qbar);
	pthread_join(t, NULL);
	ASSERT_EQ(atomic_load(&owner_polled), 1);
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(atomic_load(&a.last_cpu), 1);
	ASSERT_EQ(irqcore_quiesce(1000), 0);
	irqcore_shutdown();
}
