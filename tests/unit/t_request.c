/* SPDX-License-Identifier: BSD-2-Clause */
/* Requesting: SEMANTICS R1, R3, R4, R5, R6, R8. */
#include "util.h"

static unsigned long long fake_now = 10ULL * 1000000000ULL;

static unsigned long long fake_clock(void *arg)
{
	(void)arg;
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

/* The parts of a line's state that a failed request must not change. */
static void assert_same_state(unsigned int irq, const struct irq_status *a)
{
	struct irq_status b = ut_status(irq);

	ASSERT_EQ(b.nr_actions, a->nr_actions);
	ASSERT_EQ(b.depth, a->depth);
	ASSERT_EQ(b.disabled, a->disabled);
	ASSERT_EQ(b.masked, a->masked);
	ASSERT_EQ(b.type, a->type);
	ASSERT_EQ(b.count, a->count);
	ASSERT_EQ(b.effective_cpu, a->effective_cpu);
	ASSERT_EQ(b.spurious_disabled, a->spurious_disabled);
	ASSERT_EQ(b.irq_count, a->irq_count);
	ASSERT_EQ(b.irqs_unhandled, a->irqs_unhandled);
}

/* ---- R1 --------------------------------------------------------------- */

TEST(r1_line_out_of_range)
{
	struct irqcore_config c;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_config(&c, 1, 0);
	c.nr_irqs = 64;
	ut_start_cfg_ext(&c);
	ASSERT_EQ(request_irq(64, ut_handler, 0, "oor", &d), -EINVAL);
	ASSERT_EQ(request_irq(1000000, ut_handler, 0, "oor", &d), -EINVAL);
	ASSERT_EQ(request_threaded_irq(64, ut_handler, NULL, 0, "oor", &d),
		  -EINVAL);
	/* out of range wins over every later check */
	ASSERT_EQ(request_irq(64, ut_handler, IRQF_SHARED, "oor", NULL), -EINVAL);
	ASSERT_EQ(request_threaded_irq(64, NULL, NULL, 0, "oor", &d), -EINVAL);
	ASSERT_EQ(request_irq(63, ut_handler, 0, "ok", &d), 0);
	ut_fire(63);
	ASSERT_EQ(ut_calls(&d), 1);
	irqcore_shutdown();
}

TEST(r1_shared_needs_dev_id)
{
	struct irq_status st;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	st = ut_status(5);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "s", NULL), -EINVAL);
	assert_same_state(5, &st);
	ASSERT_EQ(st.nr_actions, 0);
	/* not shared: a NULL dev_id is fine */
	ASSERT_EQ(request_irq(6, ut_handler, 0, "ns", NULL), 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "s", &d), 0);
	ASSERT_EQ(ut_status(5).nr_actions, 1);
	irqcore_shutdown();
}

TEST(r1_shared_no_autoen_is_einval)
{
	struct irq_status st;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	st = ut_status(5);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED | IRQF_NO_AUTOEN, "s",
			      &d), -EINVAL);
	assert_same_state(5, &st);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	irqcore_shutdown();
}

TEST(r1_cond_suspend_rules)
{
	struct irq_status st;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	st = ut_status(5);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_COND_SUSPEND, "cs", &d),
		  -EINVAL);
	assert_same_state(5, &st);
	ASSERT_EQ(request_irq(5, ut_handler,
			      IRQF_COND_SUSPEND | IRQF_SHARED | IRQF_NO_SUSPEND,
			      "cs", &d), -EINVAL);
	assert_same_state(5, &st);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_COND_SUSPEND | IRQF_SHARED,
			      "cs", &d), 0);
	ASSERT_EQ(ut_status(5).nr_actions, 1);
	irqcore_shutdown();
}

TEST(r1_no_handler_is_einval)
{
	struct irq_status st;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	st = ut_status(5);
	ASSERT_EQ(request_threaded_irq(5, NULL, NULL, 0, "nh", &d), -EINVAL);
	ASSERT_EQ(request_threaded_irq(5, NULL, NULL, IRQF_ONESHOT, "nh", &d),
		  -EINVAL);
	ASSERT_EQ(request_irq(5, NULL, 0, "nh", &d), -EINVAL);
	assert_same_state(5, &st);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	irqcore_shutdown();
}

TEST(r1_norequest_line_is_einval)
{
	struct irq_status st;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(irq_set_status_flags(5, IRQ_NOREQUEST), 0);
	st = ut_status(5);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "nr", &d), -EINVAL);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, IRQF_SHARED, "nr",
				       &d), -EINVAL);
	assert_same_state(5, &st);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	ASSERT_EQ(irq_clear_status_flags(5, IRQ_NOREQUEST), 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "nr", &d), 0);
	ut_fire(5);
	ASSERT_EQ(ut_calls(&d), 1);
	irqcore_shutdown();
}

/* The R1 checks come before the sharing checks of R3: on a busy line a
 * malformed request is -EINVAL, not -EBUSY, and logs no mismatch. */
TEST(r1_checks_come_before_sharing)
{
	struct irq_status st;
	struct ut_dev old, d;

	ut_dev_init(&old, 0, IRQ_HANDLED);
	ut_dev_init(&d, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "old", &old), 0);
	st = ut_status(5);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "new", NULL), -EINVAL);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED | IRQF_NO_AUTOEN,
			      "new", &d), -EINVAL);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_COND_SUSPEND, "new", &d),
		  -EINVAL);
	ASSERT_EQ(request_threaded_irq(5, NULL, NULL, 0, "new", &d), -EINVAL);
	ASSERT_EQ(irq_set_status_flags(5, IRQ_NOREQUEST), 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "new", &d), -EINVAL);
	ASSERT_EQ(irq_clear_status_flags(5, IRQ_NOREQUEST), 0);
	ASSERT_EQ(th_log_count("Flags mismatch"), 0);
	assert_same_state(5, &st);
	/* the old action still works and is alone */
	ut_order_reset();
	ut_fire(5);
	ASSERT_EQ(ut_calls(&old), 1);
	ASSERT_EQ(ut_calls(&d), 0);
	ASSERT_EQ(atomic_load(&ut_norder), 1);
	irqcore_shutdown();
}

/* ---- R3 sharing --------------------------------------------------------- */

TEST(r3_both_shared_ok)
{
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "a", &a), 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "b", &b), 0);
	ASSERT_EQ(ut_status(5).nr_actions, 2);
	ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(ut_calls(&b), 1);
	ASSERT_EQ(th_log_count("Flags mismatch"), 0);
	irqcore_shutdown();
}

TEST(r3_old_not_shared_is_ebusy)
{
	struct irq_status st;
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, 0, "a", &a), 0);
	st = ut_status(5);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, IRQF_SHARED, "b",
				       &b), -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch irq 5. 00000080 (b) vs. 00000000 (a)"),
		  1);
	assert_same_state(5, &st);
	ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(ut_calls(&b), 0);
	irqcore_shutdown();
}

TEST(r3_new_not_shared_is_ebusy)
{
	struct irq_status st;
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, IRQF_SHARED, "a",
				       &a), 0);
	st = ut_status(5);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, 0, "b", &b), -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch irq 5. 00000000 (b) vs. 00000080 (a)"),
		  1);
	assert_same_state(5, &st);
	irqcore_shutdown();
}

/* request_irq() is request_threaded_irq() with IRQF_COND_ONESHOT added. */
TEST(r3_request_irq_mismatch_log)
{
	struct ut_dev a, b;
	char want[128];

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(9, ut_handler, 0, "first", &a), 0);
	ASSERT_EQ(request_irq(9, ut_handler, IRQF_SHARED, "second", &b), -EBUSY);
	snprintf(want, sizeof(want), "Flags mismatch irq %d. %08x (%s) vs. %08x (%s)",
		 9, IRQF_SHARED | IRQF_COND_ONESHOT, "second", IRQF_COND_ONESHOT,
		 "first");
	ASSERT_CONTAINS(th_log_text(), want);
	ASSERT_EQ(th_log_count("Flags mismatch"), 1);
	irqcore_shutdown();
}

TEST(r3_trigger_type_must_match)
{
	struct irq_status st;
	struct ut_dev a, b, c;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_TRIGGER_RISING, "a", &a), 0);
	ASSERT_EQ(ut_status(5).type, IRQ_TYPE_EDGE_RISING);
	st = ut_status(5);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_TRIGGER_FALLING, "b", &b),
		  -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch irq 5. 00000082 (b) vs. 00000081 (a)"),
		  1);
	assert_same_state(5, &st);
	/* the same type joins */
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_TRIGGER_RISING, "c", &c), 0);
	ASSERT_EQ(ut_status(5).nr_actions, 2);
	irqcore_shutdown();
}

/* A line whose type was never set takes the newcomer's type; from then on
 * it is set and must match. */
TEST(r3_untyped_line_takes_newcomers_type)
{
	struct ut_dev a, b, c, d;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_dev_init(&d, 3, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, IRQF_SHARED, "a", &a),
		  0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_TRIGGER_FALLING, "b", &b),
		  0);
	ASSERT_EQ(ut_status(5).type, IRQ_TYPE_EDGE_FALLING);
	ASSERT_EQ(ut_status(5).nr_actions, 2);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_TRIGGER_RISING, "c", &c),
		  -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch irq 5. 00000081 (c) vs. 00000080 (a)"),
		  1);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_TRIGGER_FALLING, "d", &d),
		  0);
	ASSERT_EQ(ut_status(5).nr_actions, 3);
	ut_order_reset();
	ut_fire(5);
	ASSERT_EQ(ut_calls(&a) + ut_calls(&b) + ut_calls(&d), 3);
	ASSERT_EQ(ut_calls(&c), 0);
	irqcore_shutdown();
}

/* A newcomer without a trigger type takes the line's (as __setup_irq does),
 * so it joins a typed line; a different type is refused. */
TEST(r3_untyped_newcomer_takes_line_type)
{
	struct ut_dev a, b, c;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_TRIGGER_HIGH, "a", &a), 0);
	ASSERT_EQ(ut_status(5).type, IRQ_TYPE_LEVEL_HIGH);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, IRQF_SHARED, "b", &b),
		  0);
	ASSERT_EQ(ut_status(5).type, IRQ_TYPE_LEVEL_HIGH);
	ASSERT_EQ(ut_status(5).nr_actions, 2);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_TRIGGER_LOW, "c", &c),
		  -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch irq 5. 00000088 (c) vs. 00000084 (a)"),
		  1);
	ASSERT_EQ(ut_status(5).nr_actions, 2);
	irqcore_shutdown();
}

TEST(r3_oneshot_must_match)
{
	struct ut_dev a, b, c, d;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_dev_init(&d, 3, IRQ_HANDLED);
	ut_start_ext(1, 0);
	/* ONESHOT line, plain newcomer */
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_ONESHOT, "a", &a), 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, IRQF_SHARED, "b", &b),
		  -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch irq 5. 00000080 (b) vs. 00002080 (a)"),
		  1);
	ASSERT_EQ(ut_status(5).nr_actions, 1);
	/* plain line, ONESHOT newcomer */
	ASSERT_EQ(request_threaded_irq(6, ut_handler, NULL, IRQF_SHARED, "c", &c),
		  0);
	ASSERT_EQ(request_threaded_irq(6, ut_handler, NULL,
				       IRQF_SHARED | IRQF_ONESHOT, "d", &d), -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch irq 6. 00002080 (d) vs. 00000080 (c)"),
		  1);
	ASSERT_EQ(ut_status(6).nr_actions, 1);
	irqcore_shutdown();
}

TEST(r3_cond_oneshot_joins_oneshot_line)
{
	struct ut_dev a, b, c, d, e;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_dev_init(&d, 3, IRQ_HANDLED);
	ut_dev_init(&e, 4, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_ONESHOT, "a", &a), 0);
	/* explicit COND_ONESHOT */
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_COND_ONESHOT, "b", &b), 0);
	/* request_irq() adds COND_ONESHOT */
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "c", &c), 0);
	ASSERT_EQ(ut_status(5).nr_actions, 3);
	ASSERT_EQ(th_log_count("Flags mismatch"), 0);
	/* COND_ONESHOT on a line without ONESHOT: joins as plain */
	ASSERT_EQ(request_threaded_irq(6, ut_handler, NULL, IRQF_SHARED, "d", &d),
		  0);
	ASSERT_EQ(request_threaded_irq(6, ut_handler, NULL,
				       IRQF_SHARED | IRQF_COND_ONESHOT, "e", &e), 0);
	ASSERT_EQ(ut_status(6).nr_actions, 2);
	ut_fire(5);
	ut_fire(6);
	ASSERT_EQ(ut_calls(&a) + ut_calls(&b) + ut_calls(&c), 3);
	ASSERT_EQ(ut_calls(&d) + ut_calls(&e), 2);
	irqcore_shutdown();
}

TEST(r3_percpu_must_match)
{
	struct ut_dev a, b, c;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_PERCPU, "a", &a), 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, IRQF_SHARED, "b", &b),
		  -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch irq 5. 00000080 (b) vs. 00000480 (a)"),
		  1);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_PERCPU, "c", &c), 0);
	ASSERT_EQ(ut_status(5).nr_actions, 2);
	irqcore_shutdown();
}

TEST(r3_probe_shared_is_silent)
{
	struct irq_status st;
	struct ut_dev a, b, c, d;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_dev_init(&d, 3, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, 0, "a", &a), 0);
	st = ut_status(5);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL,
				       IRQF_SHARED | IRQF_PROBE_SHARED, "b", &b),
		  -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch"), 0);
	assert_same_state(5, &st);
	/* on a shareable line PROBE_SHARED simply shares */
	ASSERT_EQ(request_threaded_irq(6, ut_handler, NULL, IRQF_SHARED, "c", &c),
		  0);
	ASSERT_EQ(request_threaded_irq(6, ut_handler, NULL,
				       IRQF_SHARED | IRQF_PROBE_SHARED, "d", &d), 0);
	ASSERT_EQ(ut_status(6).nr_actions, 2);
	ASSERT_EQ(th_log_count("Flags mismatch"), 0);
	irqcore_shutdown();
}

/* ---- R4 ----------------------------------------------------------------- */

TEST(r4_handlers_run_in_registration_order)
{
	struct ut_dev d[6];
	static const char *names[6] = { "o0", "o1", "o2", "o3", "o4", "o5" };

	ut_start_ext(1, 0);
	for (int i = 0; i < 6; i++)
		ut_dev_init(&d[i], i, IRQ_NONE);
	/* all but the last return IRQ_NONE: every one still runs */
	atomic_store(&d[4].ret, IRQ_HANDLED);
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, names[i], &d[i]), 0);
	ut_order_reset();
	ut_fire(5);
	ASSERT_EQ(atomic_load(&ut_norder), 5);
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(ut_order[i], i);

	/* a freed action leaves a hole, a new one goes to the tail */
	ASSERT_TRUE(free_irq(5, &d[2]) != NULL);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, names[5], &d[5]), 0);
	ut_order_reset();
	ut_fire(5);
	ASSERT_EQ(atomic_load(&ut_norder), 5);
	ASSERT_EQ(ut_order[0], 0);
	ASSERT_EQ(ut_order[1], 1);
	ASSERT_EQ(ut_order[2], 3);
	ASSERT_EQ(ut_order[3], 4);
	ASSERT_EQ(ut_order[4], 5);
	irqcore_shutdown();
}

/* ---- R5 ----------------------------------------------------------------- */

#define NBITS ((int)(sizeof(unsigned long) * 8))

TEST(r5_oneshot_bits_run_out)
{
	static struct ut_dev d[NBITS + 2];

	ut_start_ext(1, 0);
	for (int i = 0; i < NBITS + 2; i++)
		ut_dev_init(&d[i], i, IRQ_HANDLED);
	for (int i = 0; i < NBITS; i++)
		ASSERT_EQ(request_threaded_irq(7, ut_handler, NULL,
					       IRQF_SHARED | IRQF_ONESHOT, "os",
					       &d[i]), 0);
	ASSERT_EQ(ut_status(7).nr_actions, NBITS);
	ASSERT_EQ(request_threaded_irq(7, ut_handler, NULL,
				       IRQF_SHARED | IRQF_ONESHOT, "os", &d[NBITS]),
		  -EBUSY);
	ASSERT_EQ(th_log_count("Flags mismatch"), 0);
	ASSERT_EQ(ut_status(7).nr_actions, NBITS);
	ut_fire(7);
	for (int i = 0; i < NBITS; i++)
		ASSERT_EQ(ut_calls(&d[i]), 1);
	ASSERT_EQ(ut_calls(&d[NBITS]), 0);
	ASSERT_EQ(ut_status(7).threads_oneshot, 0);

	/* a freed bit is reused */
	ASSERT_TRUE(free_irq(7, &d[10]) != NULL);
	ASSERT_EQ(request_threaded_irq(7, ut_handler, NULL,
				       IRQF_SHARED | IRQF_ONESHOT, "os", &d[NBITS]),
		  0);
	ASSERT_EQ(request_threaded_irq(7, ut_handler, NULL,
				       IRQF_SHARED | IRQF_ONESHOT, "os",
				       &d[NBITS + 1]), -EBUSY);
	ASSERT_EQ(ut_status(7).nr_actions, NBITS);
	irqcore_shutdown();
}

/* COND_ONESHOT newcomers join as ONESHOT, so they take bits too. */
TEST(r5_cond_oneshot_joiners_take_bits)
{
	static struct ut_dev d[NBITS + 1];

	ut_start_ext(1, 0);
	for (int i = 0; i < NBITS + 1; i++)
		ut_dev_init(&d[i], i, IRQ_HANDLED);
	ASSERT_EQ(request_threaded_irq(7, ut_handler, NULL,
				       IRQF_SHARED | IRQF_ONESHOT, "os", &d[0]), 0);
	for (int i = 1; i < NBITS; i++)
		ASSERT_EQ(request_irq(7, ut_handler, IRQF_SHARED, "cos", &d[i]), 0);
	ASSERT_EQ(request_irq(7, ut_handler, IRQF_SHARED, "cos", &d[NBITS]),
		  -EBUSY);
	ASSERT_EQ(ut_status(7).nr_actions, NBITS);
	irqcore_shutdown();
}

TEST(r5_plain_shared_actions_take_no_bits)
{
	static struct ut_dev d[3 * NBITS];

	ut_start_ext(1, 0);
	for (int i = 0; i < 3 * NBITS; i++) {
		ut_dev_init(&d[i], i, IRQ_HANDLED);
		ASSERT_EQ(request_threaded_irq(8, ut_handler, NULL, IRQF_SHARED,
					       "plain", &d[i]), 0);
	}
	ASSERT_EQ(ut_status(8).nr_actions, 3 * NBITS);
	ut_order_reset();
	ut_fire(8);
	ASSERT_EQ(atomic_load(&ut_norder), 3 * NBITS);
	for (int i = 0; i < 3 * NBITS; i++)
		ASSERT_EQ(ut_order[i], i);
	irqcore_shutdown();
}

/* ---- R6 ----------------------------------------------------------------- */

TEST(r6_first_action_starts_line)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(8, ut_handler, IRQF_TRIGGER_FALLING, "first", &a), 0);
	st = ut_status(8);
	ASSERT_EQ(st.nr_actions, 1);
	ASSERT_EQ(st.depth, 0);
	ASSERT_FALSE(st.disabled);
	ASSERT_FALSE(st.masked);
	ASSERT_FALSE(st.spurious_disabled);
	ASSERT_FALSE(st.pending);
	ASSERT_EQ(st.type, IRQ_TYPE_EDGE_FALLING);
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(st.irqs_unhandled, 0);
	ASSERT_EQ(st.threads_oneshot, 0);
	ASSERT_EQ(st.threads_active, 0);
	ut_fire(8);
	ASSERT_EQ(ut_calls(&a), 1);
	irqcore_shutdown();
}

TEST(r6_no_autoen_waits_for_enable)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(8, ut_handler, IRQF_NO_AUTOEN, "noauto", &a), 0);
	st = ut_status(8);
	ASSERT_EQ(st.nr_actions, 1);
	ASSERT_EQ(st.depth, 1);
	ASSERT_TRUE(st.disabled);
	ASSERT_EQ(irq_raise(8), 0);
	ASSERT_EQ(ut_drain(), 0);
	ASSERT_EQ(ut_calls(&a), 0);
	enable_irq(8);
	st = ut_status(8);
	ASSERT_EQ(st.depth, 0);
	ASSERT_FALSE(st.disabled);
	ut_drain();
	/* the event raised while not enabled is delivered once */
	ASSERT_EQ(ut_calls(&a), 1);
	ut_fire(8);
	ASSERT_EQ(ut_calls(&a), 2);
	ASSERT_EQ(th_log_count("Unbalanced enable"), 0);
	irqcore_shutdown();
}

TEST(r6_noautoen_status_flag)
{
	struct irq_status st;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(irq_set_status_flags(8, IRQ_NOAUTOEN), 0);
	ASSERT_EQ(request_irq(8, ut_handler, 0, "noauto", &a), 0);
	st = ut_status(8);
	ASSERT_EQ(st.depth, 1);
	ASSERT_TRUE(st.disabled);
	enable_irq(8);
	ASSERT_EQ(ut_status(8).depth, 0);
	ut_fire(8);
	ASSERT_EQ(ut_calls(&a), 1);
	irqcore_shutdown();
}

TEST(r6_spurious_counters_restart)
{
	struct irqcore_config c;
	struct irq_status st;
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_NONE);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_config(&c, 1, 0);
	c.clock_ns = fake_clock;
	ut_start_cfg_ext(&c);
	ASSERT_EQ(request_irq(8, ut_handler, 0, "none", &a), 0);
	for (int i = 0; i < 3; i++)
		ut_fire(8);
	st = ut_status(8);
	ASSERT_EQ(st.irqs_unhandled, 3);
	ASSERT_EQ(st.irq_count, 3);
	ASSERT_TRUE(free_irq(8, &a) != NULL);
	ASSERT_EQ(request_irq(8, ut_handler, 0, "again", &b), 0);
	st = ut_status(8);
	ASSERT_EQ(st.irqs_unhandled, 0);
	ASSERT_EQ(st.irq_count, 0);
	ASSERT_EQ(st.depth, 0);
	ASSERT_FALSE(st.disabled);
	irqcore_shutdown();
}

/* ---- R8 ----------------------------------------------------------------- */

TEST(r8_any_context_on_ordinary_line_is_hardirq)
{
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_any_context_irq(9, ut_handler, 0, "any", &a),
		  IRQC_IS_HARDIRQ);
	ASSERT_EQ(ut_status(9).nr_actions, 1);
	ut_fire(9);
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_TRUE(atomic_load(&a.last_hardirq));
	/* errors pass through */
	ASSERT_EQ(irq_set_status_flags(10, IRQ_NOREQUEST), 0);
	ASSERT_EQ(request_any_context_irq(10, ut_handler, 0, "any", &b), -EINVAL);
	ASSERT_EQ(request_any_context_irq(100000, ut_handler, 0, "any", &b),
		  -EINVAL);
	ASSERT_EQ(request_any_context_irq(9, ut_handler, IRQF_SHARED, "any", &b),
		  -EBUSY);
	ASSERT_EQ(ut_status(10).nr_actions, 0);
	irqcore_shutdown();
}

/* R6: whatever the depth left by the previous owner, a first action sets
 * depth 0 and starts the line. */
TEST(r6_first_action_resets_depth_after_free)
{
	struct irq_status st;
	struct ut_dev a, b, c;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_start_ext(1, 0);
	/* freed while never enabled */
	ASSERT_EQ(request_irq(8, ut_handler, IRQF_NO_AUTOEN, "noauto", &a), 0);
	ASSERT_TRUE(free_irq(8, &a) != NULL);
	ASSERT_EQ(request_irq(8, ut_handler, 0, "next", &b), 0);
	st = ut_status(8);
	ASSERT_EQ(st.depth, 0);
	ASSERT_FALSE(st.disabled);
	ut_fire(8);
	ASSERT_EQ(ut_calls(&b), 1);
	/* freed while disabled twice */
	disable_irq(8);
	disable_irq(8);
	ASSERT_TRUE(free_irq(8, &b) != NULL);
	ASSERT_EQ(request_irq(8, ut_handler, 0, "third", &c), 0);
	st = ut_status(8);
	ASSERT_EQ(st.depth, 0);
	ASSERT_FALSE(st.disabled);
	ASSERT_FALSE(st.masked);
	ut_fire(8);
	ASSERT_EQ(ut_calls(&c), 1);
	ASSERT_EQ(ut_calls(&a), 0);
	irqcore_shutdown();
}

/* Requesting may sleep: from a hard handler it is refused with a warning. */
static atomic_int req_in_handler_rc = 1;
static struct ut_dev late_dev;

static irqreturn_t requesting_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_store(&req_in_handler_rc,
		     request_irq(12, ut_handler, 0, "fromirq", &late_dev));
	return IRQ_HANDLED;
}

TEST_T(request_from_hard_handler_refused, 10)
{
	int dummy;

	ut_dev_init(&late_dev, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(11, requesting_handler, 0, "req", &dummy), 0);
	ut_fire(11);
	ASSERT_LT(atomic_load(&req_in_handler_rc), 0);
	ASSERT_EQ(ut_status(12).nr_actions, 0);
	ASSERT_GE(strlen(th_log_text()), 1);
	irqcore_shutdown();
}

TEST(misc_out_of_range_arguments)
{
	static const struct irq_chip chip = { .name = "x" };

	ut_start_ext(1, 0);
	ASSERT_EQ(irq_raise(0xffffffffu), -EINVAL);
	ASSERT_EQ(irq_raise(1024), -EINVAL);
	ASSERT_EQ(irq_set_line(1024, 1), -EINVAL);
	ASSERT_EQ(irq_set_chip_and_handler_name(1024, &chip, handle_edge_irq, "e"),
		  -EINVAL);
	ASSERT_EQ(irq_set_status_flags(1024, IRQ_NOREQUEST), -EINVAL);
	ASSERT_EQ(irq_clear_status_flags(1024, IRQ_NOREQUEST), -EINVAL);
	irqcore_shutdown();
}
