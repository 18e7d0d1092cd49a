/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Nested lines (SEMANTICS R8): a parent line whose threaded handler
 * demultiplexes children on a "slow bus" with handle_nested_irq(child); the
 * children are requested with request_any_context_irq() and run in the
 * parent's thread.
 */
#include "util_thr.h"

#define PARENT	20
#define CHILD0	30
#define NCHILD	3

/* A child device: records where its handler ran. */
struct child {
	int id;
	atomic_int ret;
	atomic_int calls;
	atomic_int hardirq;
	atomic_int cpu;
	pthread_mutex_t lock;
	pthread_t self;
	bool self_set;
};

static struct child children[NCHILD];

/* The parent: which children are "asserted" on the bus. */
static atomic_uint bus_pending;
static atomic_int parent_calls;
static atomic_int parent_masked_seen;	/* parent line masked while demuxing */
static pthread_mutex_t parent_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t parent_self;

static void child_init(struct child *c, int id)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	atomic_store(&c->ret, IRQ_HANDLED);
	atomic_store(&c->cpu, -2);
	pthread_mutex_init(&c->lock, NULL);
}

static irqreturn_t child_handler(int irq, void *dev_id)
{
	struct child *c = dev_id;

	(void)irq;
	atomic_store(&c->hardirq, in_hardirq());
	atomic_store(&c->cpu, smp_processor_id());
	pthread_mutex_lock(&c->lock);
	c->self = pthread_self();
	c->self_set = true;
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add(&c->calls, 1);
	return (irqreturn_t)atomic_load(&c->ret);
}

static bool child_ran_in(struct child *c, pthread_t t)
{
	bool r;

	pthread_mutex_lock(&c->lock);
	r = c->self_set && pthread_equal(c->self, t);
	pthread_mutex_unlock(&c->lock);
	return r;
}

static irqreturn_t parent_thread(int irq, void *dev_id)
{
	unsigned int pend = atomic_exchange(&bus_pending, 0);
	struct irq_status st;

	(void)dev_id;
	pthread_mutex_lock(&parent_lock);
	parent_self = pthread_self();
	pthread_mutex_unlock(&parent_lock);
	if (irq_get_status((unsigned int)irq, &st) == 0 && st.masked)
		atomic_fetch_add(&parent_masked_seen, 1);
	for (int i = 0; i < NCHILD; i++)
		if (pend & (1u << i))
			handle_nested_irq(CHILD0 + i);
	atomic_fetch_add(&parent_calls, 1);
	return pend ? IRQ_HANDLED : IRQ_NONE;
}

static pthread_t parent_thread_self(void)
{
	pthread_t t;

	pthread_mutex_lock(&parent_lock);
	t = parent_self;
	pthread_mutex_unlock(&parent_lock);
	return t;
}

static void setup_parent(void)
{
	atomic_store(&bus_pending, 0);
	atomic_store(&parent_calls, 0);
	atomic_store(&parent_masked_seen, 0);
	ASSERT_EQ(request_threaded_irq(PARENT, NULL, parent_thread, IRQF_ONESHOT,
				       "parent", &bus_pending), 0);
}

/* The bus asserts children `mask`; the parent line fires (external CPU). */
static void bus_fire(unsigned int mask)
{
	int before = atomic_load(&parent_calls);

	atomic_fetch_or(&bus_pending, mask);
	ut_fire(PARENT);
	synchronize_irq(PARENT);
	ASSERT_EQ(atomic_load(&parent_calls), before + 1);
}

static void setup_children(void)
{
	for (int i = 0; i < NCHILD; i++) {
		child_init(&children[i], i);
		ASSERT_EQ(irq_set_nested_thread(CHILD0 + i, true), 0);
		ASSERT_EQ(request_any_context_irq(CHILD0 + i, child_handler, 0, "child",
						  &children[i]), IRQC_IS_NESTED);
	}
}

static void free_all(void)
{
	for (int i = 0; i < NCHILD; i++)
		ASSERT_TRUE(free_irq(CHILD0 + i, &children[i]) != NULL);
	ASSERT_TRUE(free_irq(PARENT, &bus_pending) != NULL);
}

TEST(r8_nested_child_request_is_nested_without_thread)
{
	char prefix[16];

	ut_start_ext(1, 0);
	setup_children();
	for (int i = 0; i < NCHILD; i++) {
		ASSERT_EQ(ut_status(CHILD0 + i).nr_actions, 1);
		snprintf(prefix, sizeof(prefix), "irq/%d-", CHILD0 + i);
		ASSERT_EQ(ut_count_threads(prefix, NULL, NULL), 0);
	}
	ut_sleep_ms(20);
	ASSERT_EQ(tt_irq_threads(), 0);		/* children have no thread */
	setup_parent();
	TT_WAIT(tt_thread_exists("irq/20-parent"));
	ASSERT_EQ(tt_irq_threads(), 1);
	free_all();
	TT_WAIT(tt_irq_threads() == 0);
	irqcore_shutdown();
}

TEST(r8_ordinary_line_any_context_is_hardirq)
{
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_any_context_irq(5, ut_handler, 0, "any", &d), IRQC_IS_HARDIRQ);
	ut_fire(5);
	ASSERT_EQ(ut_calls(&d), 1);
	ASSERT_TRUE(atomic_load(&d.last_hardirq));
	ASSERT_EQ(atomic_load(&d.last_cpu), 0);
	ASSERT_EQ(tt_irq_threads(), 0);
	ASSERT_TRUE(free_irq(5, &d) != NULL);

	/* a line that was nested and is not any more */
	ASSERT_EQ(irq_set_nested_thread(6, true), 0);
	ASSERT_EQ(irq_set_nested_thread(6, false), 0);
	ASSERT_EQ(request_any_context_irq(6, ut_handler, 0, "any", &d), IRQC_IS_HARDIRQ);
	ut_fire(6);
	ASSERT_EQ(ut_calls(&d), 2);
	ASSERT_TRUE(atomic_load(&d.last_hardirq));
	ASSERT_TRUE(free_irq(6, &d) != NULL);
	/* bad line */
	ASSERT_LT(irq_set_nested_thread(1u << 20, true), 0);
	irqcore_shutdown();
}

TEST(r8_children_run_in_parent_thread)
{
	ut_start_ext(1, 0);
	setup_children();
	setup_parent();
	bus_fire(1u << 0);
	ASSERT_EQ(atomic_load(&children[0].calls), 1);
	ASSERT_EQ(atomic_load(&children[1].calls), 0);
	ASSERT_EQ(atomic_load(&children[2].calls), 0);
	ASSERT_TRUE(child_ran_in(&children[0], parent_thread_self()));
	ASSERT_FALSE(child_ran_in(&children[0], pthread_self()));
	ASSERT_FALSE(atomic_load(&children[0].hardirq));
	ASSERT_EQ(atomic_load(&children[0].cpu), -1);
	ASSERT_EQ(atomic_load(&parent_masked_seen), 1);	/* ONESHOT parent */
	ASSERT_EQ(kstat_irqs_usr(CHILD0), 1);
	ASSERT_EQ(kstat_irqs_usr(CHILD0 + 1), 0);

	bus_fire((1u << 1) | (1u << 2));
	bus_fire(1u << 2);
	ASSERT_EQ(atomic_load(&children[0].calls), 1);
	ASSERT_EQ(atomic_load(&children[1].calls), 1);
	ASSERT_EQ(atomic_load(&children[2].calls), 2);
	ASSERT_TRUE(child_ran_in(&children[2], parent_thread_self()));
	ASSERT_EQ(kstat_irqs_usr(CHILD0 + 1), 1);
	ASSERT_EQ(kstat_irqs_usr(CHILD0 + 2), 2);
	ASSERT_EQ(ut_status(CHILD0 + 2).count, 2);
	ASSERT_EQ(kstat_irqs_usr(PARENT), 3);
	ASSERT_FALSE(ut_status(PARENT).masked);
	free_all();
	irqcore_shutdown();
}

TEST_T(r8_children_dispatcher_mode, 30)
{
	ut_start_disp(2, 0);
	setup_children();
	setup_parent();
	for (int k = 0; k < 20; k++) {
		atomic_fetch_or(&bus_pending, 1u << (k % NCHILD));
		ASSERT_EQ(irq_raise(PARENT), 0);
		ut_quiesce();
	}
	for (int i = 0; i < NCHILD; i++) {
		ASSERT_GE(atomic_load(&children[i].calls), 1);
		ASSERT_FALSE(atomic_load(&children[i].hardirq));
		ASSERT_TRUE(child_ran_in(&children[i], parent_thread_self()));
		ASSERT_EQ(kstat_irqs_usr(CHILD0 + i),
			  (unsigned int)atomic_load(&children[i].calls));
	}
	ASSERT_EQ(atomic_load(&children[0].calls) + atomic_load(&children[1].calls) +
		  atomic_load(&children[2].calls), 20);
	free_all();
	irqcore_shutdown();
}

TEST(r8_disabled_child_does_not_run)
{
	ut_start_ext(1, 0);
	setup_children();
	setup_parent();
	disable_irq(CHILD0);
	bus_fire(1u << 0);
	ASSERT_EQ(atomic_load(&children[0].calls), 0);
	ASSERT_EQ(kstat_irqs_usr(CHILD0), 0);
	enable_irq(CHILD0);
	ASSERT_EQ(ut_status(CHILD0).depth, 0);
	ut_drain();		/* whatever the enable left for CPU 0 */
	synchronize_irq(PARENT);
	bus_fire(1u << 0);
	ASSERT_GE(atomic_load(&children[0].calls), 1);
	ASSERT_FALSE(atomic_load(&children[0].hardirq));
	free_all();
	irqcore_shutdown();
}

/* An event latched on a disabled nested child must not come out through a
 * hard flow on a CPU when the child is enabled again: a nested child has no
 * hard handler (the kernel resends the parent instead). Nothing may run in
 * hard context and nothing is worth a warning. */
TEST(r8_enable_with_latched_event_stays_out_of_hard_context)
{
	ut_start_ext(1, 0);
	setup_children();
	setup_parent();
	disable_irq(CHILD0);
	bus_fire(1u << 0);
	ASSERT_EQ(atomic_load(&children[0].calls), 0);
	th_log_reset();
	enable_irq(CHILD0);
	for (int i = 0; i < 3; i++) {
		ut_drain();
		synchronize_irq(PARENT);
	}
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_STR_EQ(th_log_text(), "");
	ASSERT_FALSE(atomic_load(&children[0].hardirq));
	ASSERT_LE(atomic_load(&children[0].calls), 1);
	/* and the next event on the bus reaches the child in the parent's thread */
	bus_fire(1u << 0);
	ASSERT_GE(atomic_load(&children[0].calls), 1);
	ASSERT_FALSE(atomic_load(&children[0].hardirq));
	ASSERT_TRUE(child_ran_in(&children[0], parent_thread_self()));
	ASSERT_STR_EQ(th_log_text(), "");
	free_all();
	irqcore_shutdown();
}

TEST(r8_freed_child_does_not_run)
{
	ut_start_ext(1, 0);
	setup_children();
	setup_parent();
	bus_fire(1u << 1);
	ASSERT_EQ(atomic_load(&children[1].calls), 1);
	ASSERT_TRUE(free_irq(CHILD0 + 1, &children[1]) != NULL);
	ASSERT_EQ(ut_status(CHILD0 + 1).nr_actions, 0);
	bus_fire(1u << 1);
	ASSERT_EQ(atomic_load(&children[1].calls), 1);
	/* and it can be requested again */
	ASSERT_EQ(request_any_context_irq(CHILD0 + 1, child_handler, 0, "child",
					  &children[1]), IRQC_IS_NESTED);
	bus_fire(1u << 1);
	ASSERT_EQ(atomic_load(&children[1].calls), 2);
	free_all();
	irqcore_shutdown();
}

TEST(r8_nested_child_spurious_accounting)
{
	struct irq_status st;

	ut_start_ext(1, 0);
	setup_children();
	setup_parent();
	atomic_store(&children[0].ret, IRQ_NONE);
	bus_fire(1u << 0);
	st = ut_status(CHILD0);
	ASSERT_EQ(st.irqs_unhandled, 1);
	ASSERT_EQ(st.irq_count, 1);
	atomic_store(&children[0].ret, IRQ_HANDLED);
	bus_fire(1u << 0);
	st = ut_status(CHILD0);
	ASSERT_EQ(st.irqs_unhandled, 1);
	ASSERT_EQ(st.irq_count, 2);
	free_all();
	irqcore_shutdown();
}

TEST(r8_handle_nested_irq_from_process_context)
{
	ut_start_ext(1, 0);
	setup_children();
	ASSERT_EQ(irqcore_cpu_detach(), 0);	/* plain process context */
	handle_nested_irq(CHILD0 + 2);
	ASSERT_EQ(atomic_load(&children[2].calls), 1);
	ASSERT_TRUE(child_ran_in(&children[2], pthread_self()));
	ASSERT_FALSE(atomic_load(&children[2].hardirq));
	ASSERT_EQ(kstat_irqs_usr(CHILD0 + 2), 1);
	/* a line without an action: nothing runs, nothing breaks */
	handle_nested_irq(CHILD0 + 10);
	handle_nested_irq(1u << 20);
	for (int i = 0; i < NCHILD; i++)
		ASSERT_TRUE(free_irq(CHILD0 + i, &children[i]) != NULL);
	irqcore_shutdown();
}

/* A nested child requested with request_threaded_irq: its thread_fn runs in
 * the parent's thread, the hard handler never runs. */
static atomic_int nested_hard_calls;

static irqreturn_t nested_hard(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&nested_hard_calls, 1);
	return IRQ_WAKE_THREAD;
}

TEST(r8_nested_threaded_request_runs_thread_fn_in_parent)
{
	struct child c;

	ut_start_ext(1, 0);
	child_init(&c, 0);
	ASSERT_EQ(irq_set_nested_thread(CHILD0, true), 0);
	ASSERT_EQ(request_threaded_irq(CHILD0, nested_hard, child_handler, IRQF_ONESHOT,
				       "nthr", &c), 0);
	ut_sleep_ms(20);
	ASSERT_EQ(tt_irq_threads(), 0);
	setup_parent();
	bus_fire(1u << 0);
	ASSERT_EQ(atomic_load(&c.calls), 1);
	ASSERT_EQ(atomic_load(&nested_hard_calls), 0);
	ASSERT_TRUE(child_ran_in(&c, parent_thread_self()));
	ASSERT_TRUE(free_irq(CHILD0, &c) != NULL);
	ASSERT_TRUE(free_irq(PARENT, &bus_pending) != NULL);
	irqcore_shutdown();
}

/* An event while the child is disabled, enable_irq, one new event: the
 * handler runs once, as on Linux (whose enable_irq resends a nested child's
 * latched event to the parent, not to the child), and the accounting still
 * balances: the dropped latch counts as coalesced. */
TEST(r8_disabled_event_then_enable_then_event_runs_once)
{
	struct irq_status st;

	ut_start_ext(1, 0);
	setup_children();
	setup_parent();
	disable_irq(CHILD0);
	bus_fire(1u << 0);
	ASSERT_TRUE(ut_status(CHILD0).pending);
	enable_irq(CHILD0);
	ASSERT_FALSE(ut_status(CHILD0).pending);
	bus_fire(1u << 0);
	ASSERT_EQ(atomic_load(&children[0].calls), 1);
	st = ut_status(CHILD0);
	ASSERT_EQ(st.count, 1);
	ASSERT_EQ(st.raised, st.count + st.coalesced);
	free_all();
	irqcore_shutdown();
}
