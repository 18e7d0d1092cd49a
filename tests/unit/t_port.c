/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rest of include/irqcore/linux.h: devres actions released with the
 * device's IRQs in one newest-first order (as the kernel's devres),
 * devm_request_any_context_irq, struct device embedded in a driver's own
 * struct, dev_err() and friends through the log callback, and the tasklet
 * declarations.
 */
#include "util.h"
#include "irqcore/linux.h"

/* ---- devres ---- */

struct my_dev {
	int id;
	struct device dev;		/* embedded, as in a kernel driver */
};

static char order[16];
static int norder;
static atomic_int status_at_release[4];	/* nr_actions of line 5 seen by each action */

static void record(char c, int slot)
{
	order[norder++] = c;
	atomic_store(&status_at_release[slot], (int)ut_status(5).nr_actions);
}

static void act_a(void *data) { (void)data; record('A', 0); }
static void act_b(void *data) { (void)data; record('B', 1); }
static void act_c(void *data) { (void)data; record('C', 2); }

static irqreturn_t h(int irq, void *dev_id) { return IRQ_HANDLED; }

TEST(devres_actions_and_irqs_release_newest_first)
{
	struct my_dev md;
	int x;

	ut_start_ext(1, 0);
	norder = 0;
	device_initialize(&md.dev, "mydev");
	ASSERT_EQ(devm_add_action(&md.dev, act_a, &md), 0);
	ASSERT_EQ(devm_request_irq(&md.dev, 5, h, 0, NULL, &x), 0);
	ASSERT_EQ(devm_add_action_or_reset(&md.dev, act_b, &md), 0);
	ASSERT_EQ(norder, 0);
	device_release(&md.dev);
	/* B (newest), then the IRQ, then A */
	ASSERT_EQ(norder, 2);
	ASSERT_EQ(order[0], 'B');
	ASSERT_EQ(order[1], 'A');
	ASSERT_EQ(atomic_load(&status_at_release[1]), 1);	/* IRQ still there for B */
	ASSERT_EQ(atomic_load(&status_at_release[0]), 0);	/* freed before A */
	device_release(&md.dev);		/* empty: nothing again */
	ASSERT_EQ(norder, 2);
	irqcore_shutdown();
}

TEST(devres_remove_and_release_action)
{
	struct device dev;
	int data1, data2;

	ut_start_ext(1, 0);
	norder = 0;
	device_initialize(&dev, "d");
	ASSERT_EQ(devm_add_action(&dev, act_a, &data1), 0);
	ASSERT_EQ(devm_add_action(&dev, act_b, &data1), 0);
	ASSERT_EQ(devm_add_action(&dev, act_c, &data2), 0);
	devm_remove_action(&dev, act_a, &data1);	/* never called */
	devm_release_action(&dev, act_c, &data2);	/* called now */
	ASSERT_EQ(norder, 1);
	ASSERT_EQ(order[0], 'C');
	devm_release_action(&dev, act_c, &data2);	/* gone: warns */
	ASSERT_EQ(th_log_count("devm_release_action: no such action on device d"), 1);
	devm_remove_action(&dev, act_b, &data2);	/* other data: no match */
	ASSERT_EQ(th_log_count("devm_remove_action: no such action"), 1);
	device_release(&dev);
	ASSERT_EQ(norder, 2);
	ASSERT_EQ(order[1], 'B');
	irqcore_shutdown();
}

TEST(devres_bad_input)
{
	ut_start_ext(1, 0);
	norder = 0;
	ASSERT_EQ(devm_add_action(NULL, act_a, NULL), -EINVAL);
	ASSERT_EQ(norder, 0);
	/* _or_reset runs the action when it cannot record it */
	ASSERT_EQ(devm_add_action_or_reset(NULL, act_a, NULL), -EINVAL);
	ASSERT_EQ(norder, 1);
	ASSERT_EQ(th_log_count("devm_add_action: NULL device"), 2);
	ASSERT_EQ(devm_request_any_context_irq(NULL, 5, h, 0, "x", NULL), -EINVAL);
	irqcore_shutdown();
}

static irqreturn_t nested_fn(int irq, void *dev_id) { return IRQ_HANDLED; }

TEST(devres_request_any_context_irq)
{
	struct device dev;
	int a, b;

	ut_start_ext(1, 0);
	device_initialize(&dev, "anyctx");
	ASSERT_EQ(irq_set_nested_thread(9, true), 0);
	ASSERT_EQ(devm_request_any_context_irq(&dev, 9, nested_fn, 0, NULL, &a), IRQC_IS_NESTED);
	ASSERT_EQ(devm_request_any_context_irq(&dev, 8, h, 0, NULL, &b), IRQC_IS_HARDIRQ);
	/* an error leaves no record */
	ASSERT_EQ(devm_request_any_context_irq(&dev, 100000, h, 0, NULL, &b), -EINVAL);
	ASSERT_EQ(ut_status(9).nr_actions, 1);
	ASSERT_EQ(ut_status(8).nr_actions, 1);
	device_release(&dev);
	ASSERT_EQ(ut_status(9).nr_actions, 0);
	ASSERT_EQ(ut_status(8).nr_actions, 0);
	ASSERT_EQ(th_log_count("already-free"), 0);
	irqcore_shutdown();
}

TEST(device_embedding_and_drvdata)
{
	struct my_dev parent, child;
	struct device *d = &child.dev;
	int priv;

	device_initialize(&parent.dev, "parent");
	device_initialize(&child.dev, "child");
	child.dev.parent = &parent.dev;
	child.id = 7;
	ASSERT_PTR_EQ(container_of(d, struct my_dev, dev), &child);
	ASSERT_EQ(container_of(d, struct my_dev, dev)->id, 7);
	ASSERT_STR_EQ(dev_name(d), "child");
	ASSERT_STR_EQ(dev_name(d->parent), "parent");
	ASSERT_TRUE(dev_get_drvdata(d) == NULL);
	dev_set_drvdata(d, &priv);
	ASSERT_PTR_EQ(dev_get_drvdata(d), &priv);
	ASSERT_TRUE(dev_fwnode(d) == NULL);
	device_initialize(d, NULL);
	ASSERT_STR_EQ(dev_name(d), "");
	ASSERT_TRUE(d->parent == NULL);
}

/* ---- printing ---- */

static atomic_int last_level;

static void level_log(int level, const char *msg, void *arg)
{
	atomic_store(&last_level, level);
	th_log(level, msg, arg);
}

TEST(dev_printk_through_the_log_callback)
{
	struct irqcore_config c;
	struct device dev;

	ut_config(&c, 1, IRQCORE_F_EXTERNAL_CPUS);
	c.log = level_log;
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
	device_initialize(&dev, "gpio-exp");
	dev_err(&dev, "failed to read status: %d\n", -5);
	ASSERT_EQ(atomic_load(&last_level), IRQCORE_LOG_ERR);
	ASSERT_EQ(th_log_count("gpio-exp: failed to read status: -5"), 1);
	ASSERT_FALSE(strstr(th_log_text(), "-5\n\n") != NULL);	/* newline dropped */
	dev_warn(&dev, "w");
	ASSERT_EQ(atomic_load(&last_level), IRQCORE_LOG_WARNING);
	dev_info(&dev, "i %s", "x");
	ASSERT_EQ(atomic_load(&last_level), IRQCORE_LOG_INFO);
	ASSERT_EQ(th_log_count("gpio-exp: i x"), 1);
	dev_dbg(&dev, "not compiled in without DEBUG %d", 1);
	ASSERT_EQ(th_log_count("not compiled in"), 0);
	pr_err("plain %d\n", 3);
	ASSERT_EQ(th_log_count("plain 3"), 1);
	ASSERT_EQ(dev_err_probe(&dev, -EINVAL, "no irq\n"), -EINVAL);
	ASSERT_EQ(th_log_count("gpio-exp: error -22: no irq"), 1);
	ASSERT_EQ(dev_err_probe(&dev, -517, "later\n"), -517);
	ASSERT_EQ(atomic_load(&last_level), IRQCORE_LOG_DEBUG);
	ASSERT_EQ(IRQ_RETVAL(5), IRQ_HANDLED);
	ASSERT_EQ(IRQ_RETVAL(0), IRQ_NONE);
	irqcore_shutdown();
}

/* ---- tasklet declarations ---- */

struct tdev {
	int value;
	struct tasklet_struct bh;
	atomic_int seen;
};

static void tdev_bh(struct tasklet_struct *t)
{
	struct tdev *td = from_tasklet(td, t, bh);

	atomic_store(&td->seen, td->value);
}

static atomic_int old_runs;
static void old_fn(unsigned long data) { atomic_fetch_add(&old_runs, 1 + (int)data); }
static DECLARE_TASKLET_OLD(old_t, old_fn);
static atomic_int dis_runs;
static void dis_fn(struct tasklet_struct *t) { atomic_fetch_add(&dis_runs, 1); }
static DECLARE_TASKLET_DISABLED(dis_t, dis_fn);

TEST(tasklet_declarations_and_from_tasklet)
{
	struct tdev td = { .value = 42 };

	ut_start_ext(1, 0);
	tasklet_setup(&td.bh, tdev_bh);
	tasklet_schedule(&td.bh);
	ut_drain();
	ASSERT_EQ(atomic_load(&td.seen), 42);
	tasklet_hi_schedule(&old_t);
	ut_drain();
	ASSERT_EQ(atomic_load(&old_runs), 1);
	/* declared disabled: scheduled, runs only once enabled */
	tasklet_schedule(&dis_t);
	ut_drain();
	ASSERT_EQ(atomic_load(&dis_runs), 0);
	tasklet_enable(&dis_t);
	ut_drain();
	ASSERT_EQ(atomic_load(&dis_runs), 1);
	tasklet_kill(&td.bh);
	irqcore_shutdown();
}
