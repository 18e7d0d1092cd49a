/* SPDX-License-Identifier: BSD-2-Clause */
/* Spurious-interrupt detection: SEMANTICS S1, S3, S4, S5 and the R6
 * re-enable. Events run inline with generic_handle_irq() on an attached
 * external CPU; time is a fake clock (irqcore_config.clock_ns). */
#include "util.h"

#define MS 1000000ULL

static atomic_ullong fake_now = 10000 * MS;	/* 10 s */

static unsigned long long fake_clock(void *arg)
{
	(void)arg;
	return atomic_load(&fake_now);
}

static void advance_ms(unsigned long long ms)
{
	atomic_fetch_add(&fake_now, ms * MS);
}

static void start(unsigned int flags)
{
	struct irqcore_config c;

	ut_config(&c, 1, flags);
	c.clock_ns = fake_clock;
	ut_start_cfg_ext(&c);
}

static void events(unsigned int irq, int n)
{
	for (int i = 0; i < n; i++)
		ASSERT_EQ(generic_handle_irq(irq), 0);
}

/* ---- S1 ------------------------------------------------------------------- */

TEST(s1_bogus_return_logged_not_counted)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, 7);
	start(0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "bogus", &a), 0);
	events(5, 1);
	ASSERT_EQ(th_log_count("irq event 5: bogus return value 7"), 1);
	st = ut_status(5);
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(st.irqs_unhandled, 0);
	ASSERT_EQ(st.count, 1);
	atomic_store(&a.ret, 0x10);
	events(5, 1);
	ASSERT_EQ(th_log_count("irq event 5: bogus return value 10"), 1);
	st = ut_status(5);
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(st.irqs_unhandled, 0);
	irqcore_shutdown();
}

TEST(s1_bogus_reports_are_limited)
{
	struct ut_dev a;
	int n;

	ut_dev_init(&a, 0, 0x40);
	start(0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "bogus", &a), 0);
	events(5, 250);
	ASSERT_EQ(ut_calls(&a), 250);
	n = th_log_count("bogus return value");
	ASSERT_GE(n, 1);
	ASSERT_LE(n, 100);
	ASSERT_EQ(ut_status(5).irqs_unhandled, 0);
	ASSERT_FALSE(ut_status(5).spurious_disabled);
	irqcore_shutdown();
}

/* ---- S3 ------------------------------------------------------------------- */

TEST(s3_unhandled_window_with_fake_clock)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_NONE);
	start(0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "none", &a), 0);
	events(5, 1);
	st = ut_status(5);
	ASSERT_EQ(st.irqs_unhandled, 1);
	ASSERT_EQ(st.irq_count, 1);
	advance_ms(50);
	events(5, 1);
	ASSERT_EQ(ut_status(5).irqs_unhandled, 2);
	advance_ms(99);		/* 99 ms since the last one */
	events(5, 1);
	ASSERT_EQ(ut_status(5).irqs_unhandled, 3);
	advance_ms(150);	/* more than 100 ms: restart at 1 */
	events(5, 1);
	st = ut_status(5);
	ASSERT_EQ(st.irqs_unhandled, 1);
	ASSERT_EQ(st.irq_count, 4);
	advance_ms(10);
	events(5, 1);
	ASSERT_EQ(ut_status(5).irqs_unhandled, 2);
	advance_ms(101);
	events(5, 1);
	ASSERT_EQ(ut_status(5).irqs_unhandled, 1);

	/* a handled event counts in the window, not as unhandled */
	atomic_store(&a.ret, IRQ_HANDLED);
	events(5, 1);
	st = ut_status(5);
	ASSERT_EQ(st.irqs_unhandled, 1);
	ASSERT_EQ(st.irq_count, 7);
	irqcore_shutdown();
}

TEST(s3_handled_events_alone_do_not_count)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	start(0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "fine", &a), 0);
	events(5, 1000);
	st = ut_status(5);
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(st.irqs_unhandled, 0);
	ASSERT_EQ(st.count, 1000);
	irqcore_shutdown();
}

/* ---- S5 ------------------------------------------------------------------- */

static int log_pos(const char *needle)
{
	const char *t = th_log_text(), *p = strstr(t, needle);

	return p ? (int)(p - t) : -1;
}

TEST_T(s5_nobody_cared_disables_line, 60)
{
	struct irq_status st;
	struct ut_dev a, b;
	int p_cared, p_handlers, p_dis, p_a, p_b;

	ut_dev_init(&a, 0, IRQ_NONE);
	ut_dev_init(&b, 1, IRQ_NONE);
	start(0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "spurA", &a), 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "spurB", &b), 0);
	events(5, 99999);
	st = ut_status(5);
	ASSERT_FALSE(st.spurious_disabled);
	ASSERT_EQ(st.irq_count, 99999);
	ASSERT_EQ(st.irqs_unhandled, 99999);
	ASSERT_EQ(th_log_count("nobody cared"), 0);
	events(5, 1);
	ASSERT_GE(ut_calls(&a), 100000);
	ASSERT_GE(ut_calls(&b), 100000);

	ASSERT_EQ(th_log_count("irq 5: nobody cared"), 1);
	ASSERT_EQ(th_log_count("Disabling IRQ #5"), 1);
	p_cared = log_pos("irq 5: nobody cared");
	p_handlers = log_pos("handlers:");
	p_dis = log_pos("Disabling IRQ #5");
	ASSERT_GE(p_cared, 0);
	ASSERT_GT(p_handlers, p_cared);
	ASSERT_GT(p_dis, p_handlers);
	/* one line per action, naming it, between "handlers:" and "Disabling" */
	p_a = log_pos("spurA");
	p_b = log_pos("spurB");
	ASSERT_GT(p_a, p_handlers);
	ASSERT_GT(p_b, p_a);
	ASSERT_LT(p_b, p_dis);

	st = ut_status(5);
	ASSERT_TRUE(st.spurious_disabled);
	ASSERT_TRUE(st.disabled);
	ASSERT_EQ(st.depth, 1);
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(st.irqs_unhandled, 0);
	irqcore_shutdown();
}

static void run_window(unsigned int irq, struct ut_dev *d, int handled)
{
	/* first event unhandled (starts the window), then `handled` handled,
	 * then unhandled ones up to 100000 events */
	atomic_store(&d->ret, IRQ_NONE);
	events(irq, 1);
	atomic_store(&d->ret, IRQ_HANDLED);
	events(irq, handled);
	atomic_store(&d->ret, IRQ_NONE);
	events(irq, 100000 - 1 - handled);
}

TEST_T(s5_99900_unhandled_is_not_enough, 60)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_NONE);
	start(0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "almost", &a), 0);
	run_window(5, &a, 100);	/* 99900 unhandled of 100000 */
	ASSERT_EQ(ut_calls(&a), 100000);
	st = ut_status(5);
	ASSERT_FALSE(st.spurious_disabled);
	ASSERT_FALSE(st.disabled);
	ASSERT_EQ(st.depth, 0);
	/* the window ended: both counters restart */
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(st.irqs_unhandled, 0);
	ASSERT_EQ(th_log_count("nobody cared"), 0);
	ASSERT_EQ(th_log_count("Disabling IRQ"), 0);
	irqcore_shutdown();
}

TEST_T(s5_99901_unhandled_disables, 60)
{
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_NONE);
	start(0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "over", &a), 0);
	run_window(5, &a, 99);	/* 99901 unhandled */
	ASSERT_TRUE(ut_status(5).spurious_disabled);
	ASSERT_EQ(th_log_count("irq 5: nobody cared"), 1);
	ASSERT_EQ(th_log_count("Disabling IRQ #5"), 1);
	irqcore_shutdown();
}

TEST_T(s5_noirqdebug_flag_disables_detection, 60)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_NONE);
	start(IRQCORE_F_NOIRQDEBUG);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "nodebug", &a), 0);
	events(5, 100001);
	st = ut_status(5);
	ASSERT_FALSE(st.spurious_disabled);
	ASSERT_FALSE(st.disabled);
	ASSERT_EQ(st.irqs_unhandled, 0);
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(th_log_count("nobody cared"), 0);
	ASSERT_EQ(ut_calls(&a), 100001);
	irqcore_shutdown();
}

TEST_T(s5_irqf_no_debug_disables_detection, 60)
{
	struct irq_status st;
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_NONE);
	ut_dev_init(&b, 1, IRQ_NONE);
	start(0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_NO_DEBUG, "nodebug", &a), 0);
	events(5, 100001);
	st = ut_status(5);
	ASSERT_FALSE(st.spurious_disabled);
	ASSERT_EQ(st.irqs_unhandled, 0);
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(th_log_count("nobody cared"), 0);
	/* another line is still watched */
	ASSERT_EQ(request_irq(6, ut_handler, 0, "debug", &b), 0);
	events(6, 3);
	ASSERT_EQ(ut_status(6).irqs_unhandled, 3);
	irqcore_shutdown();
}

/* ---- R6 re-enable and the poller ------------------------------------------ */

static void make_spurious(unsigned int irq, struct ut_dev *a, struct ut_dev *b)
{
	ASSERT_EQ(request_irq(irq, ut_handler, IRQF_SHARED, "spurA", a), 0);
	ASSERT_EQ(request_irq(irq, ut_handler, IRQF_SHARED, "spurB", b), 0);
	events(irq, 100000);
	ASSERT_TRUE(ut_status(irq).spurious_disabled);
	ASSERT_EQ(ut_status(irq).depth, 1);
}

TEST_T(r6_newcomer_reenables_spurious_shared_line, 60)
{
	struct irq_status st;
	struct ut_dev a, b, c;
	int ca, cb;

	ut_dev_init(&a, 0, IRQ_NONE);
	ut_dev_init(&b, 1, IRQ_NONE);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	start(0);
	make_spurious(5, &a, &b);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "rescuer", &c), 0);
	st = ut_status(5);
	ASSERT_FALSE(st.spurious_disabled);
	ASSERT_FALSE(st.disabled);
	ASSERT_EQ(st.depth, 0);
	ASSERT_EQ(st.nr_actions, 3);
	ca = ut_calls(&a);
	cb = ut_calls(&b);
	events(5, 1);
	ASSERT_GE(ut_calls(&a), ca + 1);
	ASSERT_GE(ut_calls(&b), cb + 1);
	ASSERT_GE(ut_calls(&c), 1);
	irqcore_shutdown();
}

TEST_T(s5_spurious_line_is_polled, 30)
{
	struct ut_dev a, b;
	int ca;
	double t0;

	ut_dev_init(&a, 0, IRQ_NONE);
	ut_dev_init(&b, 1, IRQ_NONE);
	start(0);
	make_spurious(5, &a, &b);
	/* the device comes back: the poller finds its handler without raises */
	atomic_store(&a.ret, IRQ_HANDLED);
	ca = ut_calls(&a);
	t0 = th_now();
	while (ut_calls(&a) == ca && th_now() - t0 < 2.0) {
		advance_ms(100);
		ut_drain();
		ut_sleep_ms(10);
	}
	ASSERT_GT(ut_calls(&a), ca);
	/* still spurious-disabled: polling does not re-enable it */
	ASSERT_TRUE(ut_status(5).spurious_disabled);
	irqcore_shutdown();
}

/* ---- S4 ------------------------------------------------------------------- */

static void fixup_lines(struct ut_dev *a, struct ut_dev *b, struct ut_dev *c,
			struct ut_dev *d, struct ut_dev *t)
{
	ut_dev_init(a, 0, IRQ_NONE);
	ut_dev_init(b, 1, IRQ_HANDLED);
	ut_dev_init(c, 2, IRQ_HANDLED);
	ut_dev_init(d, 3, IRQ_HANDLED);
	ut_dev_init(t, 4, IRQ_HANDLED);
	ASSERT_EQ(request_irq(20, ut_handler, IRQF_SHARED, "lineA", a), 0);
	ASSERT_EQ(request_irq(21, ut_handler, IRQF_SHARED, "lineB", b), 0);
	ASSERT_EQ(request_irq(22, ut_handler, 0, "notshared", c), 0);
	ASSERT_EQ(request_irq(23, ut_handler, IRQF_SHARED, "disabled", d), 0);
	ASSERT_EQ(request_irq(24, ut_handler, IRQF_SHARED | IRQF_TIMER, "timer", t),
		  0);
	disable_irq(23);
}

TEST(s4_irqfixup_polls_other_shared_lines)
{
	struct ut_dev a, b, c, d, t;

	start(IRQCORE_F_IRQFIXUP);
	fixup_lines(&a, &b, &c, &d, &t);
	ut_fire(20);
	ASSERT_EQ(ut_calls(&a), 1);
	/* B ran without any raise on B, with its own line number */
	ASSERT_EQ(ut_calls(&b), 1);
	ASSERT_EQ(atomic_load(&b.last_irq), 21);
	ASSERT_EQ(ut_status(21).raised, 0);
	/* not shared, disabled and timer lines are not polled */
	ASSERT_EQ(ut_calls(&c), 0);
	ASSERT_EQ(ut_calls(&d), 0);
	ASSERT_EQ(ut_calls(&t), 0);
	/* the handled poll takes the unhandled event back */
	ASSERT_EQ(ut_status(20).irqs_unhandled, 0);

	/* a handled event does not poll */
	atomic_store(&a.ret, IRQ_HANDLED);
	ut_fire(20);
	ASSERT_EQ(ut_calls(&b), 1);
	irqcore_shutdown();
}

TEST(s4_no_polling_without_irqfixup)
{
	struct ut_dev a, b, c, d, t;

	start(0);
	fixup_lines(&a, &b, &c, &d, &t);
	ut_fire(20);
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(ut_calls(&b), 0);
	ASSERT_EQ(ut_status(20).irqs_unhandled, 1);
	irqcore_shutdown();
}
