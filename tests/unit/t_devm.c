/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Managed (devres) requests: SEMANTICS R9. devm_request_irq() and
 * devm_request_threaded_irq() record {irq, dev_id} on a struct device; a
 * NULL name takes the device's name; device_release() frees them newest
 * first; devm_free_irq() frees one; without a record it warns and frees.
 */
#include "util_thr.h"

/* The action names of irq_show_interrupts() for a line ("a, b"), malloc'ed;
 * NULL when the line has no action. */
static char *action_names(unsigned int irq)
{
	char *line = ut_interrupts_line(irq);
	char *p, *res;

	if (!line)
		return NULL;
	/* the flow name is followed by two blanks, then the names */
	p = strstr(line, "-edge");
	if (!p)
		p = strstr(line, "-level");
	ASSERT_TRUE(p != NULL);
	p = strstr(p, "  ");
	ASSERT_TRUE(p != NULL);
	while (*p == ' ')
		p++;
	res = strdup(p);
	free(line);
	return res;
}

static void assert_names(unsigned int irq, const char *want)
{
	char *got = action_names(irq);

	if (!want) {
		ASSERT_TRUE(got == NULL);
		return;
	}
	ASSERT_STR_EQ(got, want);
	free(got);
}

TEST(r9_null_name_takes_device_name)
{
	struct device dev;
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	device_initialize(&dev, "mydev");
	ASSERT_STR_EQ(dev.name, "mydev");
	ASSERT_EQ(devm_request_irq(&dev, 5, ut_handler, IRQF_SHARED, NULL, &a), 0);
	ASSERT_EQ(devm_request_irq(&dev, 5, ut_handler, IRQF_SHARED, "named", &b), 0);
	assert_names(5, "mydev, named");
	ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 1);
	ASSERT_EQ(ut_calls(&b), 1);
	device_release(&dev);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	assert_names(5, NULL);
	irqcore_shutdown();
}

TEST(r9_threaded_null_name_names_thread_after_device)
{
	struct device dev;
	struct tt_dev d;
	char comm[16];

	tt_dev_init(&d, 0);
	ut_start_ext(1, 0);
	device_initialize(&dev, "mydev");
	ASSERT_EQ(devm_request_threaded_irq(&dev, 5, tt_hard, tt_thread_fn, 0, NULL, &d), 0);
	TT_WAIT(tt_thread_exists("irq/5-mydev"));
	ut_fire(5);
	synchronize_irq(5);
	ASSERT_EQ(tt_thread_done(&d), 1);
	tt_seen_comm(&d, comm);
	ASSERT_STR_EQ(comm, "irq/5-mydev");
	assert_names(5, "mydev");
	device_release(&dev);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	TT_WAIT(tt_irq_threads() == 0);
	ASSERT_EQ(th_log_count("already-free"), 0);
	irqcore_shutdown();
}

TEST(r9_threaded_null_handler_rule_uses_device_name)
{
	struct device dev;
	struct tt_dev d;

	tt_dev_init(&d, 0);
	ut_start_ext(1, 0);
	device_initialize(&dev, "mydev");
	ASSERT_EQ(devm_request_threaded_irq(&dev, 5, NULL, tt_thread_fn, 0, NULL, &d), -EINVAL);
	ASSERT_EQ(th_log_count("Threaded irq requested with handler=NULL and !ONESHOT for mydev (irq 5)"), 1);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	th_log_reset();
	device_release(&dev);		/* nothing was recorded */
	ASSERT_EQ(th_log_count("already-free"), 0);
	ASSERT_EQ(tt_irq_threads(), 0);
	irqcore_shutdown();
}

TEST(r9_release_frees_only_its_own_keeping_order)
{
	struct device d1, d2;
	struct ut_dev a, x, b, y;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&x, 1, IRQ_HANDLED);
	ut_dev_init(&b, 2, IRQ_HANDLED);
	ut_dev_init(&y, 3, IRQ_HANDLED);
	ut_start_ext(1, 0);
	device_initialize(&d1, "one");
	device_initialize(&d2, "two");
	ASSERT_EQ(devm_request_irq(&d1, 5, ut_handler, IRQF_SHARED, "a", &a), 0);
	ASSERT_EQ(devm_request_irq(&d2, 5, ut_handler, IRQF_SHARED, "x", &x), 0);
	ASSERT_EQ(devm_request_irq(&d1, 5, ut_handler, IRQF_SHARED, "b", &b), 0);
	ASSERT_EQ(devm_request_irq(&d2, 5, ut_handler, IRQF_SHARED, "y", &y), 0);
	ASSERT_EQ(devm_request_irq(&d1, 6, ut_handler, 0, "c", &a), 0);
	assert_names(5, "a, x, b, y");
	device_release(&d1);
	assert_names(5, "x, y");
	ASSERT_EQ(ut_status(5).nr_actions, 2);
	ASSERT_EQ(ut_status(6).nr_actions, 0);
	ut_order_reset();
	ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 0);
	ASSERT_EQ(ut_calls(&b), 0);
	ASSERT_EQ(atomic_load(&ut_norder), 2);
	ASSERT_EQ(ut_order[0], 1);
	ASSERT_EQ(ut_order[1], 3);
	device_release(&d2);
	assert_names(5, NULL);
	ASSERT_EQ(th_log_count("already-free"), 0);
	irqcore_shutdown();
}

struct rel_arg {
	struct device *dev;
	atomic_int done;
};

static void *release_main(void *p)
{
	struct rel_arg *r = p;

	device_release(r->dev);
	atomic_store(&r->done, 1);
	return NULL;
}

/* Newest first: three lines, the threads of the two older ones held. Each
 * free_irq() waits for its line's thread, so the release stops at the first
 * held one and what is still registered shows the order. */
TEST_T(r9_release_frees_newest_first, 60)
{
	struct device dev;
	struct tt_dev a, b, c;
	struct rel_arg r = { .dev = &dev };
	pthread_t t;

	tt_dev_init(&a, 0);
	tt_dev_init(&b, 1);
	tt_dev_init(&c, 2);
	ut_start_ext(1, 0);
	device_initialize(&dev, "ord");
	ASSERT_EQ(devm_request_threaded_irq(&dev, 10, tt_hard, tt_thread_fn, 0, "a", &a), 0);
	ASSERT_EQ(devm_request_threaded_irq(&dev, 11, tt_hard, tt_thread_fn, 0, "b", &b), 0);
	ASSERT_EQ(devm_request_threaded_irq(&dev, 12, tt_hard, tt_thread_fn, 0, "c", &c), 0);
	tt_block(&a);
	tt_block(&b);
	irq_wake_thread(10, &a);
	irq_wake_thread(11, &b);
	TT_WAIT(tt_thread_calls(&a) == 1 && tt_thread_calls(&b) == 1);
	ASSERT_EQ(pthread_create(&t, NULL, release_main, &r), 0);

	/* c goes first (its thread is idle), then b is unlinked and waited for */
	TT_WAIT(ut_status(11).nr_actions == 0);
	ASSERT_EQ(ut_status(12).nr_actions, 0);
	ASSERT_EQ(ut_status(10).nr_actions, 1);
	ut_sleep_ms(20);
	ASSERT_EQ(ut_status(10).nr_actions, 1);	/* a waits for b's free */
	ASSERT_FALSE(atomic_load(&r.done));

	tt_release(&b);
	TT_WAIT(ut_status(10).nr_actions == 0);
	ASSERT_FALSE(atomic_load(&r.done));	/* held by a's thread */
	tt_release(&a);
	pthread_join(t, NULL);
	ASSERT_TRUE(atomic_load(&r.done));
	ASSERT_EQ(tt_thread_done(&a), 1);
	ASSERT_EQ(tt_thread_done(&b), 1);
	ASSERT_EQ(tt_thread_calls(&c), 0);
	TT_WAIT(tt_irq_threads() == 0);
	ASSERT_EQ(th_log_count("already-free"), 0);
	irqcore_shutdown();
}

/* The same on one shared line: the newest action's thread is held, so the
 * release stops in the first free_irq(), which waits for that thread (the
 * action's own thread, F2). Newest first: the two older actions are still
 * there, in their order; oldest first would have freed them already. */
TEST_T(r9_release_newest_first_shared_line, 60)
{
	struct device dev;
	struct tt_dev a, b, c;
	struct rel_arg r = { .dev = &dev };
	pthread_t t;

	tt_dev_init(&a, 0);
	tt_dev_init(&b, 1);
	tt_dev_init(&c, 2);
	ut_start_ext(1, 0);
	device_initialize(&dev, "sh");
	ASSERT_EQ(devm_request_threaded_irq(&dev, 5, tt_hard, tt_thread_fn, IRQF_SHARED, "a", &a), 0);
	ASSERT_EQ(devm_request_threaded_irq(&dev, 5, tt_hard, tt_thread_fn, IRQF_SHARED, "b", &b), 0);
	ASSERT_EQ(devm_request_threaded_irq(&dev, 5, tt_hard, tt_thread_fn, IRQF_SHARED, "c", &c), 0);
	assert_names(5, "a, b, c");
	tt_block(&c);
	irq_wake_thread(5, &c);
	TT_WAIT(tt_thread_calls(&c) == 1);
	ASSERT_EQ(pthread_create(&t, NULL, release_main, &r), 0);
	/* the first free unlinks c and waits for its running thread
	 * (irq_get_status() only: the text output may wait for free_irq) */
	TT_WAIT(ut_status(5).nr_actions == 2);
	ut_sleep_ms(20);
	{
		int n = ut_status(5).nr_actions;
		bool early = atomic_load(&r.done);

		tt_release(&c);
		pthread_join(t, NULL);
		ASSERT_EQ(n, 2);
		ASSERT_FALSE(early);
	}
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	ASSERT_EQ(tt_thread_done(&c), 1);
	TT_WAIT(tt_irq_threads() == 0);
	irqcore_shutdown();
}

TEST(r9_devm_free_irq_frees_one)
{
	struct device dev;
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	device_initialize(&dev, "df");
	ASSERT_EQ(devm_request_irq(&dev, 5, ut_handler, IRQF_SHARED, "a", &a), 0);
	ASSERT_EQ(devm_request_irq(&dev, 5, ut_handler, IRQF_SHARED, "b", &b), 0);
	devm_free_irq(&dev, 5, &a);
	assert_names(5, "b");
	ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 0);
	ASSERT_EQ(ut_calls(&b), 1);
	ASSERT_EQ(strlen(th_log_text()), 0);	/* a recorded one: no warning */
	/* the record is gone: the release does not free a again */
	device_release(&dev);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	ASSERT_EQ(th_log_count("already-free"), 0);
	ASSERT_EQ(strlen(th_log_text()), 0);
	irqcore_shutdown();
}

TEST(r9_devm_free_irq_without_record_warns_and_frees)
{
	struct device dev, other;
	struct ut_dev p, q, m;

	ut_dev_init(&p, 0, IRQ_HANDLED);
	ut_dev_init(&q, 1, IRQ_HANDLED);
	ut_dev_init(&m, 2, IRQ_HANDLED);
	ut_start_ext(1, 0);
	device_initialize(&dev, "nr");
	device_initialize(&other, "other");
	/* a plain request: no record */
	ASSERT_EQ(request_irq(6, ut_handler, 0, "plain", &p), 0);
	devm_free_irq(&dev, 6, &p);
	ASSERT_GT(strlen(th_log_text()), 0);
	ASSERT_EQ(ut_status(6).nr_actions, 0);

	/* recorded on another device */
	ASSERT_EQ(devm_request_irq(&other, 7, ut_handler, 0, "mine", &m), 0);
	th_log_reset();
	devm_free_irq(&dev, 7, &m);
	ASSERT_GT(strlen(th_log_text()), 0);
	ASSERT_EQ(ut_status(7).nr_actions, 0);

	/* nothing at all there: warns, nothing breaks */
	th_log_reset();
	devm_free_irq(&dev, 8, &q);
	ASSERT_GT(strlen(th_log_text()), 0);
	ASSERT_EQ(ut_status(8).nr_actions, 0);

	th_log_reset();
	device_release(&dev);
	ASSERT_EQ(strlen(th_log_text()), 0);
	irqcore_shutdown();
}

TEST(r9_failed_requests_record_nothing)
{
	struct device dev;
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	device_initialize(&dev, "fail");
	ASSERT_EQ(devm_request_irq(&dev, 5, NULL, 0, "x", &a), -EINVAL);
	ASSERT_EQ(devm_request_irq(&dev, 1u << 20, ut_handler, 0, "x", &a), -EINVAL);
	ASSERT_EQ(devm_request_irq(&dev, 5, ut_handler, IRQF_SHARED, "x", NULL), -EINVAL);
	ASSERT_EQ(devm_request_irq(&dev, 6, ut_handler, 0, "ok", &b), 0);
	ASSERT_EQ(devm_request_irq(&dev, 6, ut_handler, 0, "busy", &a), -EBUSY);
	th_log_reset();
	device_release(&dev);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	ASSERT_EQ(ut_status(6).nr_actions, 0);
	ASSERT_EQ(strlen(th_log_text()), 0);
	irqcore_shutdown();
}

TEST(r9_release_empty_and_reuse)
{
	struct device dev;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	device_initialize(&dev, "re");
	device_release(&dev);		/* nothing managed */
	ASSERT_EQ(strlen(th_log_text()), 0);
	device_initialize(&dev, "re");
	ASSERT_EQ(devm_request_irq(&dev, 5, ut_handler, 0, NULL, &a), 0);
	ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 1);
	device_release(&dev);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	/* a second release finds nothing left */
	device_release(&dev);
	ASSERT_EQ(strlen(th_log_text()), 0);
	ut_fire(5);
	ASSERT_EQ(ut_calls(&a), 1);
	irqcore_shutdown();
}

/* F3 through devres: a device released (or one IRQ freed) from a hard
 * handler frees nothing and keeps its records, so that the release from
 * process context still frees every IRQ. */
static struct device irqctx_dev;
static struct ut_dev irqctx_a;

static irqreturn_t release_from_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	devm_free_irq(&irqctx_dev, 7, &irqctx_a);
	device_release(&irqctx_dev);
	return IRQ_HANDLED;
}

TEST(r9_release_from_irq_context_keeps_records)
{
	struct ut_dev trigger;

	ut_dev_init(&irqctx_a, 0, IRQ_HANDLED);
	ut_dev_init(&trigger, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	device_initialize(&irqctx_dev, "irqctx");
	ASSERT_EQ(devm_request_irq(&irqctx_dev, 7, ut_handler, 0, "a", &irqctx_a), 0);
	ASSERT_EQ(request_irq(8, release_from_handler, 0, "trigger", &trigger), 0);
	ut_fire(8);
	ASSERT_EQ(th_log_count("Trying to free IRQ 7 from IRQ context!"), 1);
	ASSERT_EQ(th_log_count("device_release(irqctx) from IRQ context refused"), 1);
	ASSERT_EQ(ut_status(7).nr_actions, 1);		/* nothing freed */
	device_release(&irqctx_dev);			/* process context */
	ASSERT_EQ(ut_status(7).nr_actions, 0);
	ASSERT_EQ(th_log_count("already-free"), 0);
	free_irq(8, &trigger);
	irqcore_shutdown();
}
