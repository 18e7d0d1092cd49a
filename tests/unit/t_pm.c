/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wake-up lines and suspend/resume (issue 9): irq_set_irq_wake depth
 * counting and chip calls, irqcore_suspend()/irqcore_resume(), the wake-up
 * report.
 */
#include "util.h"

static atomic_int wake_on, wake_off, masks;
static atomic_int wake_ret;

static int f_set_wake(struct irq_data *d, unsigned int on)
{
	(void)d;
	atomic_fetch_add(on ? &wake_on : &wake_off, 1);
	return atomic_load(&wake_ret);
}

static void f_mask(struct irq_data *d) { (void)d; atomic_fetch_add(&masks, 1); }
static void f_unmask(struct irq_data *d) { (void)d; }

static const struct irq_chip wake_chip = {
	.name = "wake", .irq_mask = f_mask, .irq_unmask = f_unmask, .irq_set_wake = f_set_wake,
};
static const struct irq_chip nowake_chip = {
	.name = "nowake", .irq_mask = f_mask, .irq_unmask = f_unmask,
};
static const struct irq_chip mos_chip = {
	.name = "mos", .irq_mask = f_mask, .irq_unmask = f_unmask,
	.flags = IRQCHIP_SKIP_SET_WAKE | IRQCHIP_MASK_ON_SUSPEND,
};

TEST(wake_is_depth_counted)
{
	ut_start_ext(1, 0);
	ASSERT_EQ(irq_set_chip_and_handler_name(5, &wake_chip, handle_edge_irq, NULL), 0);
	ASSERT_FALSE(irqd_is_wakeup_set(irq_get_irq_data(5)));
	ASSERT_EQ(enable_irq_wake(5), 0);
	ASSERT_EQ(irq_set_irq_wake(5, 1), 0);
	ASSERT_EQ(atomic_load(&wake_on), 1);
	ASSERT_TRUE(irqd_is_wakeup_set(irq_get_irq_data(5)));
	ASSERT_EQ(disable_irq_wake(5), 0);
	ASSERT_EQ(atomic_load(&wake_off), 0);
	ASSERT_TRUE(irqd_is_wakeup_set(irq_get_irq_data(5)));
	ASSERT_EQ(disable_irq_wake(5), 0);
	ASSERT_EQ(atomic_load(&wake_off), 1);
	ASSERT_FALSE(irqd_is_wakeup_set(irq_get_irq_data(5)));
	ASSERT_EQ(disable_irq_wake(5), -EINVAL);
	ASSERT_EQ(th_log_count("Unbalanced IRQ 5 wake disable"), 1);
	/* the chip refuses: the count stays */
	atomic_store(&wake_ret, -EIO);
	ASSERT_EQ(enable_irq_wake(5), -EIO);
	ASSERT_FALSE(irqd_is_wakeup_set(irq_get_irq_data(5)));
	atomic_store(&wake_ret, 0);
	/* no irq_set_wake: -ENXIO; the soft chip needs none */
	ASSERT_EQ(irq_set_chip_and_handler_name(6, &nowake_chip, handle_edge_irq, NULL), 0);
	ASSERT_EQ(enable_irq_wake(6), -ENXIO);
	ASSERT_EQ(enable_irq_wake(7), 0);
	ASSERT_TRUE(ut_status(7).wakeup);
	ASSERT_EQ(enable_irq_wake(100000), -EINVAL);
	irqcore_shutdown();
}

#define L_NORMAL	10
#define L_NOSUSP	11
#define L_WAKE		12

TEST(suspend_disables_wake_lines_report)
{
	struct ut_dev n, ns, w;

	ut_dev_init(&n, 0, IRQ_HANDLED);
	ut_dev_init(&ns, 1, IRQ_HANDLED);
	ut_dev_init(&w, 2, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(L_NORMAL, ut_handler, 0, "normal", &n), 0);
	ASSERT_EQ(request_irq(L_NOSUSP, ut_handler, IRQF_NO_SUSPEND, "nosusp", &ns), 0);
	ASSERT_EQ(request_irq(L_WAKE, ut_handler, 0, "wake", &w), 0);
	ASSERT_EQ(enable_irq_wake(L_WAKE), 0);
	ASSERT_EQ(irqcore_suspend(), 0);
	ASSERT_EQ(irqcore_suspend(), -EALREADY);
	ASSERT_FALSE(irqcore_wakeup_pending());
	ASSERT_EQ(irqcore_wakeup_irq(), -ENOENT);
	ASSERT_EQ(ut_status(L_NORMAL).depth, 1);
	ASSERT_EQ(ut_status(L_NOSUSP).depth, 0);
	ASSERT_EQ(ut_status(L_WAKE).depth, 1);

	ut_fire(L_NORMAL);
	ut_fire(L_NOSUSP);
	ASSERT_EQ(ut_calls(&n), 0);
	ASSERT_EQ(ut_calls(&ns), 1);		/* keeps running */
	ASSERT_FALSE(irqcore_wakeup_pending());	/* not a wake line */
	ut_fire(L_WAKE);
	ut_fire(L_WAKE);
	ASSERT_EQ(ut_calls(&w), 0);		/* no handler: it wakes */
	ASSERT_TRUE(irqcore_wakeup_pending());
	ASSERT_EQ(irqcore_wakeup_irq(), L_WAKE);

	/* suspend's level is not the driver's to undo */
	enable_irq(L_NORMAL);
	ASSERT_EQ(th_log_count("Unbalanced enable for IRQ 10"), 1);
	ASSERT_EQ(ut_status(L_NORMAL).depth, 1);

	ASSERT_EQ(irqcore_resume(), 0);
	ASSERT_EQ(irqcore_resume(), -EALREADY);
	ut_drain();
	ASSERT_EQ(ut_calls(&n), 1);		/* replayed once */
	ASSERT_EQ(ut_calls(&w), 1);
	ASSERT_EQ(ut_status(L_NORMAL).depth, 0);
	ASSERT_EQ(ut_status(L_WAKE).depth, 0);
	ASSERT_EQ(irqcore_wakeup_irq(), L_WAKE);	/* until the next suspend */
	ut_fire(L_WAKE);
	ASSERT_EQ(ut_calls(&w), 2);

	/* a second round starts with no report */
	ASSERT_EQ(irqcore_suspend(), 0);
	ASSERT_FALSE(irqcore_wakeup_pending());
	ASSERT_EQ(irqcore_resume(), 0);
	irqcore_shutdown();
}

TEST(suspend_mask_on_suspend_and_disabled_lines)
{
	struct ut_dev a, b;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(irq_set_chip_and_handler_name(20, &mos_chip, handle_edge_irq, NULL), 0);
	ASSERT_EQ(request_irq(20, ut_handler, 0, "mos", &a), 0);
	atomic_store(&masks, 0);
	ASSERT_EQ(irqcore_suspend(), 0);
	ASSERT_EQ(atomic_load(&masks), 1);	/* at once, not lazily */
	ASSERT_TRUE(ut_status(20).masked);
	ASSERT_EQ(irqcore_resume(), 0);
	ASSERT_FALSE(ut_status(20).masked);
	/* a line the driver disabled stays disabled across the pair */
	ASSERT_EQ(request_irq(21, ut_handler, 0, "off", &b), 0);
	disable_irq(21);
	ASSERT_EQ(irqcore_suspend(), 0);
	ASSERT_EQ(ut_status(21).depth, 2);
	ASSERT_EQ(irqcore_resume(), 0);
	ASSERT_EQ(ut_status(21).depth, 1);
	ut_fire(21);
	ASSERT_EQ(ut_calls(&b), 0);
	enable_irq(21);
	ut_drain();
	ASSERT_EQ(ut_calls(&b), 1);
	/* freed while suspended: resume leaves it alone */
	ASSERT_EQ(irqcore_suspend(), 0);
	ASSERT_TRUE(free_irq(21, &b) != NULL);
	ASSERT_EQ(irqcore_resume(), 0);
	ASSERT_EQ(request_irq(21, ut_handler, 0, "again", &b), 0);
	ut_fire(21);
	ASSERT_EQ(ut_calls(&b), 2);
	ASSERT_EQ(th_log_count("Unbalanced"), 0);
	irqcore_shutdown();
}
