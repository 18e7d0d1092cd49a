/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel-faithful chips (issue 9): startup and shutdown with the kernel's
 * defaults, lazy disable, IRQ_DISABLE_UNLAZY, slow-bus chips, resources,
 * chip flags, the share check of trigger types, Linux's status flags, the
 * accessors and chained handlers. A fake chip records its callbacks, as in
 * tests/unit/t_flows.c; variants leave callbacks out to see the defaults.
 */
#include "util.h"

enum op {
	OP_MASK = 1, OP_UNMASK, OP_ACK, OP_EOI, OP_SET_TYPE, OP_STARTUP, OP_SHUTDOWN,
	OP_ENABLE, OP_DISABLE, OP_BUS_LOCK, OP_BUS_SYNC, OP_SET_WAKE, OP_REQ_RES,
	OP_REL_RES, OP_HANDLER, OP_CHILD,
};

#define REC_MAX 256
static struct rec {
	int op;
	unsigned int irq;
	unsigned int arg;
	bool hardirq;
	pthread_t thread;
} recs[REC_MAX];
static atomic_int nrecs;
static atomic_int res_ret;	/* what irq_request_resources returns */

static void record(int op, struct irq_data *d, unsigned int arg)
{
	int n = atomic_fetch_add(&nrecs, 1);

	if (n >= REC_MAX)
		return;
	recs[n].op = op;
	recs[n].irq = d ? d->irq : 0;
	recs[n].arg = arg;
	recs[n].hardirq = in_interrupt();
	recs[n].thread = pthread_self();
}

static void rec_reset(void)
{
	atomic_store(&nrecs, 0);
}

static int count_op(int op)
{
	int n = 0;

	for (int i = 0; i < atomic_load(&nrecs) && i < REC_MAX; i++)
		n += recs[i].op == op;
	return n;
}

static int first_op(int op)
{
	for (int i = 0; i < atomic_load(&nrecs) && i < REC_MAX; i++)
		if (recs[i].op == op)
			return i;
	return -1;
}

static void expect_ops(const int *ops, int n)
{
	char got[512] = "", *p = got;
	int have = atomic_load(&nrecs);

	for (int i = 0; i < have && i < REC_MAX && p < got + sizeof(got) - 8; i++)
		p += snprintf(p, (size_t)(got + sizeof(got) - p), "%d ", recs[i].op);
	if (have != n)
		th_fail(__FILE__, __LINE__, "%d calls, want %d: %s", have, n, got);
	for (int i = 0; i < n; i++)
		if (recs[i].op != ops[i])
			th_fail(__FILE__, __LINE__, "call %d is %d, want %d: %s", i,
				recs[i].op, ops[i], got);
}
#define EXPECT(...) do { static const int e_[] = { __VA_ARGS__ };              \
	expect_ops(e_, (int)UT_ARRAY_SIZE(e_)); } while (0)
#define EXPECT_NONE() expect_ops(NULL, 0)

static void f_mask(struct irq_data *d) { record(OP_MASK, d, 0); }
static void f_unmask(struct irq_data *d) { record(OP_UNMASK, d, 0); }
static void f_ack(struct irq_data *d) { record(OP_ACK, d, 0); }
static void f_eoi(struct irq_data *d) { record(OP_EOI, d, 0); }
static int f_set_type(struct irq_data *d, unsigned int t) { record(OP_SET_TYPE, d, t); return 0; }
static unsigned int f_startup(struct irq_data *d) { record(OP_STARTUP, d, 0); return 0; }
static void f_shutdown(struct irq_data *d) { record(OP_SHUTDOWN, d, 0); }
static void f_enable(struct irq_data *d) { record(OP_ENABLE, d, 0); }
static void f_disable(struct irq_data *d) { record(OP_DISABLE, d, 0); }
static void f_bus_lock(struct irq_data *d) { record(OP_BUS_LOCK, d, 0); }
static void f_bus_sync(struct irq_data *d) { record(OP_BUS_SYNC, d, 0); }
static int f_set_wake(struct irq_data *d, unsigned int on) { record(OP_SET_WAKE, d, on); return 0; }
static int f_req_res(struct irq_data *d)
{
	record(OP_REQ_RES, d, 0);
	return atomic_load(&res_ret);
}
static void f_rel_res(struct irq_data *d) { record(OP_REL_RES, d, 0); }

/* mask/unmask/ack only: every default applies */
static const struct irq_chip mask_chip = {
	.name = "maskchip",
	.irq_mask = f_mask,
	.irq_unmask = f_unmask,
	.irq_ack = f_ack,
	.irq_set_type = f_set_type,
};

static const struct irq_chip startup_chip = {
	.name = "startchip",
	.irq_mask = f_mask,
	.irq_unmask = f_unmask,
	.irq_startup = f_startup,
	.irq_shutdown = f_shutdown,
	.irq_enable = f_enable,
	.irq_disable = f_disable,
};

static const struct irq_chip enable_chip = {
	.name = "enchip",
	.irq_mask = f_mask,
	.irq_unmask = f_unmask,
	.irq_enable = f_enable,
	.irq_disable = f_disable,
};

static const struct irq_chip bus_chip = {
	.name = "buschip",
	.irq_mask = f_mask,
	.irq_unmask = f_unmask,
	.irq_set_type = f_set_type,
	.irq_bus_lock = f_bus_lock,
	.irq_bus_sync_unlock = f_bus_sync,
	.irq_request_resources = f_req_res,
	.irq_release_resources = f_rel_res,
	.irq_set_wake = f_set_wake,
};

static atomic_int h_calls;

static irqreturn_t rec_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	record(OP_HANDLER, NULL, 0);
	atomic_fetch_add(&h_calls, 1);
	return IRQ_HANDLED;
}

static void chip_line(unsigned int irq, const struct irq_chip *chip)
{
	ASSERT_EQ(irq_set_chip_and_handler_name(irq, chip, handle_edge_irq, NULL), 0);
	rec_reset();
	atomic_store(&h_calls, 0);
}

/* ---- 1. startup, shutdown, lazy disable ---- */

/* A fresh line is masked at the chip; the first request unmasks it (the
 * default startup of a chip with neither irq_startup nor irq_enable), the
 * last free masks it again. */
TEST(fresh_line_starts_masked_request_unmasks)
{
	int d1, d2;

	ut_start_ext(1, 0);
	chip_line(10, &mask_chip);
	ASSERT_FALSE(ut_status(10).started);
	ASSERT_EQ(request_irq(10, rec_handler, IRQF_SHARED, "a", &d1), 0);
	EXPECT(OP_UNMASK);
	ASSERT_TRUE(ut_status(10).started);
	/* a second sharer starts nothing */
	rec_reset();
	ASSERT_EQ(request_irq(10, rec_handler, IRQF_SHARED, "b", &d2), 0);
	EXPECT_NONE();
	ut_fire(10);
	EXPECT(OP_ACK, OP_HANDLER, OP_HANDLER);
	rec_reset();
	free_irq(10, &d1);
	EXPECT_NONE();
	free_irq(10, &d2);
	EXPECT(OP_MASK);
	ASSERT_FALSE(ut_status(10).started);
	ASSERT_TRUE(ut_status(10).masked);
	/* and requested again, it starts again */
	rec_reset();
	ASSERT_EQ(request_irq(10, rec_handler, 0, "a", &d1), 0);
	EXPECT(OP_UNMASK);
	irqcore_shutdown();
}

TEST(startup_and_shutdown_callbacks_preferred)
{
	int d;

	ut_start_ext(1, 0);
	chip_line(11, &startup_chip);
	ASSERT_EQ(request_irq(11, rec_handler, 0, "s", &d), 0);
	EXPECT(OP_STARTUP);
	rec_reset();
	free_irq(11, &d);
	EXPECT(OP_SHUTDOWN);

	chip_line(12, &enable_chip);
	ASSERT_EQ(request_irq(12, rec_handler, 0, "e", &d), 0);
	EXPECT(OP_ENABLE);
	rec_reset();
	free_irq(12, &d);
	EXPECT(OP_DISABLE);
	irqcore_shutdown();
}

/* disable_irq masks nothing; the next event masks the line at the chip and
 * latches; enable_irq unmasks and replays it once. */
TEST(lazy_disable_masks_on_next_event)
{
	int d;
	struct irq_status st;

	ut_start_ext(1, 0);
	chip_line(13, &mask_chip);
	ASSERT_EQ(request_irq(13, rec_handler, 0, "lazy", &d), 0);
	rec_reset();
	disable_irq(13);
	EXPECT_NONE();
	ut_fire(13);
	ut_fire(13);
	EXPECT(OP_MASK);		/* once: the line is masked after the first */
	st = ut_status(13);
	ASSERT_TRUE(st.masked);
	ASSERT_TRUE(st.pending);
	ASSERT_EQ(atomic_load(&h_calls), 0);
	rec_reset();
	enable_irq(13);
	ut_drain();
	ASSERT_EQ(first_op(OP_UNMASK), 0);
	ASSERT_EQ(atomic_load(&h_calls), 1);
	ASSERT_FALSE(ut_status(13).masked);
	ASSERT_FALSE(ut_status(13).pending);
	/* no event while disabled: enable has nothing to unmask */
	disable_irq(13);
	rec_reset();
	enable_irq(13);
	EXPECT_NONE();
	irqcore_shutdown();
}

TEST(disable_unlazy_masks_at_once)
{
	int d;

	ut_start_ext(1, 0);
	chip_line(14, &mask_chip);
	ASSERT_EQ(irq_set_status_flags(14, IRQ_DISABLE_UNLAZY), 0);
	ASSERT_EQ(request_irq(14, rec_handler, 0, "unlazy", &d), 0);
	rec_reset();
	disable_irq_nosync(14);
	EXPECT(OP_MASK);
	ASSERT_TRUE(ut_status(14).masked);
	rec_reset();
	enable_irq(14);
	EXPECT(OP_UNMASK);
	/* a chip with irq_disable is never lazy: irq_disable, then irq_enable */
	chip_line(15, &enable_chip);
	ASSERT_EQ(request_irq(15, rec_handler, 0, "en", &d), 0);
	rec_reset();
	disable_irq(15);
	EXPECT(OP_DISABLE);
	rec_reset();
	enable_irq(15);
	EXPECT(OP_ENABLE);
	irqcore_shutdown();
}

/* IRQ_NOAUTOEN: the request leaves the line disabled (depth 1) and never
 * started; enable_irq starts it. */
TEST(noautoen_status_flag_leaves_line_disabled)
{
	int d;
	struct irq_status st;

	ut_start_ext(1, 0);
	chip_line(16, &startup_chip);
	ASSERT_EQ(irq_set_status_flags(16, IRQ_NOAUTOEN), 0);
	ASSERT_EQ(request_irq(16, rec_handler, 0, "noauto", &d), 0);
	EXPECT_NONE();
	st = ut_status(16);
	ASSERT_EQ(st.depth, 1);
	ASSERT_TRUE(st.disabled);
	ASSERT_FALSE(st.started);
	ut_fire(16);
	ASSERT_EQ(atomic_load(&h_calls), 0);
	enable_irq(16);
	ut_drain();
	ASSERT_EQ(first_op(OP_STARTUP), 0);
	ASSERT_EQ(atomic_load(&h_calls), 1);	/* the latched event, once */
	irqcore_shutdown();
}

/* ---- 5. trigger types of a shared line ---- */

TEST(share_untyped_then_typed_is_ebusy_without_chip_call)
{
	int a, b, c;

	ut_start_ext(1, 0);
	chip_line(20, &mask_chip);
	ASSERT_EQ(request_irq(20, rec_handler, IRQF_SHARED, "a", &a), 0);
	ASSERT_EQ(request_irq(20, rec_handler, IRQF_SHARED, "b", &b), 0);
	rec_reset();
	ASSERT_EQ(request_irq(20, rec_handler, IRQF_SHARED | IRQF_TRIGGER_FALLING, "c", &c),
		  -EBUSY);
	ASSERT_EQ(count_op(OP_SET_TYPE), 0);
	ASSERT_EQ(th_log_count("Flags mismatch irq 20"), 1);
	ASSERT_EQ(ut_status(20).nr_actions, 2);
	ASSERT_EQ(irq_get_trigger_type(20), IRQ_TYPE_NONE);
	irqcore_shutdown();
}

/* One untyped sharer: the newcomer's type is recorded, not programmed. */
TEST(share_one_untyped_takes_newcomer_type_recorded_only)
{
	int a, b;

	ut_start_ext(1, 0);
	chip_line(21, &mask_chip);
	ASSERT_EQ(request_irq(21, rec_handler, IRQF_SHARED, "a", &a), 0);
	rec_reset();
	ASSERT_EQ(request_irq(21, rec_handler, IRQF_SHARED | IRQF_TRIGGER_RISING, "b", &b), 0);
	ASSERT_EQ(count_op(OP_SET_TYPE), 0);
	ASSERT_EQ(irq_get_trigger_type(21), IRQ_TYPE_EDGE_RISING);
	irqcore_shutdown();
}

/* ---- 6. status flags ---- */

TEST(status_flags_take_linux_bits)
{
	static const unsigned long bits[] = {
		IRQ_LEVEL, IRQ_PER_CPU, IRQ_NOPROBE, IRQ_NOREQUEST, IRQ_NOAUTOEN,
		IRQ_NO_BALANCING, IRQ_MOVE_PCNTXT, IRQ_NESTED_THREAD, IRQ_NOTHREAD,
		IRQ_PER_CPU_DEVID, IRQ_IS_POLLED, IRQ_DISABLE_UNLAZY, IRQ_HIDDEN,
		IRQ_TYPE_EDGE_RISING,
	};

	/* Linux's values */
	ASSERT_EQ(IRQ_LEVEL, 1u << 8);
	ASSERT_EQ(IRQ_MOVE_PCNTXT, 1u << 14);
	ASSERT_EQ(IRQ_NOTHREAD, 1u << 16);
	ASSERT_EQ(IRQ_PER_CPU_DEVID, 1u << 17);
	ASSERT_EQ(IRQ_IS_POLLED, 1u << 18);
	ASSERT_EQ(IRQ_DISABLE_UNLAZY, 1u << 19);
	ASSERT_EQ(IRQ_HIDDEN, 1u << 20);
	ut_start_ext(1, 0);
	for (size_t i = 0; i < UT_ARRAY_SIZE(bits); i++) {
		ASSERT_EQ(irq_set_status_flags(30, bits[i]), 0);
		ASSERT_EQ(irq_clear_status_flags(30, bits[i]), 0);
	}
	/* unknown bits: -EINVAL with a warning, nothing changed */
	ASSERT_EQ(irq_set_status_flags(30, IRQ_NOREQUEST | (1ul << 22)), -EINVAL);
	ASSERT_EQ(th_log_count("unknown status flags"), 1);
	ASSERT_EQ(request_irq(30, rec_handler, 0, "ok", &h_calls), 0);
	irqcore_shutdown();
}

TEST(status_flags_are_honoured)
{
	int d;
	char *txt;

	ut_start_ext(1, 0);
	/* NOREQUEST, PER_CPU_DEVID: the request fails */
	ASSERT_EQ(irq_set_status_flags(31, IRQ_NOREQUEST), 0);
	ASSERT_EQ(request_irq(31, rec_handler, 0, "x", &d), -EINVAL);
	ASSERT_EQ(irq_set_status_flags(32, IRQ_PER_CPU_DEVID), 0);
	ASSERT_EQ(request_irq(32, rec_handler, 0, "x", &d), -EINVAL);
	/* a type bit records the type, without the chip */
	chip_line(33, &mask_chip);
	ASSERT_EQ(irq_set_status_flags(33, IRQ_TYPE_LEVEL_HIGH), 0);
	ASSERT_EQ(count_op(OP_SET_TYPE), 0);
	ASSERT_EQ(irq_get_trigger_type(33), IRQ_TYPE_LEVEL_HIGH);
	ASSERT_TRUE(irqd_is_level_type(irq_get_irq_data(33)));
	/* IRQ_LEVEL alone makes the line level */
	ASSERT_FALSE(irqd_is_level_type(irq_get_irq_data(34)));
	ASSERT_EQ(irq_set_status_flags(34, IRQ_LEVEL), 0);
	ASSERT_TRUE(irqd_is_level_type(irq_get_irq_data(34)));
	/* IRQ_HIDDEN: not in /proc/interrupts */
	ASSERT_EQ(request_irq(35, rec_handler, 0, "hidden-dev", &d), 0);
	ASSERT_EQ(irq_set_status_flags(35, IRQ_HIDDEN), 0);
	txt = ut_capture_interrupts();
	ASSERT_TRUE(strstr(txt, "hidden-dev") == NULL);
	free(txt);
	ASSERT_EQ(irq_clear_status_flags(35, IRQ_HIDDEN), 0);
	txt = ut_capture_interrupts();
	ASSERT_CONTAINS(txt, "hidden-dev");
	free(txt);
	irqcore_shutdown();
}

static atomic_int none_calls;
static irqreturn_t none_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&none_calls, 1);
	return IRQ_NONE;
}

/* IRQ_IS_POLLED: the driver polls; an unhandled event is not judged. */
TEST(status_is_polled_skips_spurious_accounting)
{
	int d;

	ut_start_ext(1, 0);
	ASSERT_EQ(irq_set_status_flags(36, IRQ_IS_POLLED), 0);
	ASSERT_EQ(request_irq(36, none_handler, 0, "polled", &d), 0);
	for (int i = 0; i < 5; i++)
		ut_fire(36);
	ASSERT_EQ(atomic_load(&none_calls), 5);
	ASSERT_EQ(ut_status(36).irqs_unhandled, 0);
	irqcore_shutdown();
}

static atomic_int hard_seen;
static irqreturn_t where_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_store(&hard_seen, in_hardirq() ? 1 : 2);
	return IRQ_HANDLED;
}

/* IRQ_NOTHREAD: no forced threading ("threadirqs") for the line. */
TEST(status_nothread_prevents_forced_threading)
{
	int d;

	ut_start_disp(1, IRQCORE_F_THREADIRQS);
	ASSERT_EQ(irq_set_status_flags(37, IRQ_NOTHREAD), 0);
	ASSERT_EQ(request_irq(37, where_handler, 0, "nothr", &d), 0);
	ASSERT_EQ(irq_raise(37), 0);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&hard_seen), 1);
	/* without the flag the handler is threaded */
	ASSERT_EQ(request_irq(38, where_handler, 0, "thr", &d), 0);
	ASSERT_EQ(irq_raise(38), 0);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&hard_seen), 2);
	irqcore_shutdown();
}

/* ---- 7. slow-bus chips, resources, chip flags ---- */

static irqreturn_t nosync_handler(int irq, void *dev_id)
{
	(void)dev_id;
	record(OP_HANDLER, NULL, 0);
	disable_irq_nosync((unsigned int)irq);
	return IRQ_HANDLED;
}

TEST(bus_lock_brackets_configuration_calls)
{
	int d;
	cpu_set_t m = ut_mask1(0);

	ut_start_ext(1, 0);
	chip_line(40, &bus_chip);
	ASSERT_EQ(request_irq(40, rec_handler, 0, "bus", &d), 0);
	EXPECT(OP_BUS_LOCK, OP_REQ_RES, OP_UNMASK, OP_BUS_SYNC);
	rec_reset();
	disable_irq(40);
	EXPECT(OP_BUS_LOCK, OP_BUS_SYNC);
	rec_reset();
	enable_irq(40);
	EXPECT(OP_BUS_LOCK, OP_BUS_SYNC);
	rec_reset();
	ASSERT_EQ(irq_set_irq_type(40, IRQ_TYPE_EDGE_RISING), 0);
	EXPECT(OP_BUS_LOCK, OP_SET_TYPE, OP_BUS_SYNC);
	rec_reset();
	ASSERT_EQ(irq_set_affinity(40, &m), 0);
	EXPECT(OP_BUS_LOCK, OP_BUS_SYNC);
	rec_reset();
	ASSERT_EQ(enable_irq_wake(40), 0);
	EXPECT(OP_BUS_LOCK, OP_SET_WAKE, OP_BUS_SYNC);
	ASSERT_EQ(recs[1].arg, 1);
	rec_reset();
	free_irq(40, &d);
	EXPECT(OP_BUS_LOCK, OP_MASK, OP_BUS_SYNC, OP_BUS_LOCK, OP_REL_RES, OP_BUS_SYNC);
	/* never from a hard handler: its disable reaches the bus later */
	ASSERT_EQ(request_irq(40, nosync_handler, 0, "bus", &d), 0);
	rec_reset();
	ut_fire(40);
	EXPECT(OP_HANDLER);
	ASSERT_TRUE(ut_status(40).disabled);
	irqcore_shutdown();
}

TEST(request_resources_error_fails_request)
{
	int a, b;

	ut_start_ext(1, 0);
	chip_line(41, &bus_chip);
	atomic_store(&res_ret, -EIO);
	ASSERT_EQ(request_irq(41, rec_handler, IRQF_SHARED, "res", &a), -EIO);
	ASSERT_EQ(th_log_count("Failed to request resources for res (irq 41) on irqchip buschip"),
		  1);
	ASSERT_EQ(ut_status(41).nr_actions, 0);
	ASSERT_FALSE(ut_status(41).started);
	EXPECT(OP_BUS_LOCK, OP_REQ_RES, OP_BUS_SYNC);
	/* asked once, by the first request; released by the last free */
	atomic_store(&res_ret, 0);
	ASSERT_EQ(request_irq(41, rec_handler, IRQF_SHARED, "res", &a), 0);
	ASSERT_EQ(request_irq(41, rec_handler, IRQF_SHARED, "res2", &b), 0);
	free_irq(41, &a);
	ASSERT_EQ(count_op(OP_REQ_RES), 2);
	ASSERT_EQ(count_op(OP_REL_RES), 0);
	free_irq(41, &b);
	ASSERT_EQ(count_op(OP_REL_RES), 1);
	irqcore_shutdown();
}

static irqreturn_t thread_fn(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&h_calls, 1);
	return IRQ_HANDLED;
}

TEST(chip_flags_oneshot_safe_and_set_type_masked)
{
	static const struct irq_chip safe_chip = {
		.name = "safe", .irq_mask = f_mask, .irq_unmask = f_unmask,
		.flags = IRQCHIP_ONESHOT_SAFE,
	};
	static const struct irq_chip stm_chip = {
		.name = "stm", .irq_mask = f_mask, .irq_unmask = f_unmask,
		.irq_set_type = f_set_type, .flags = IRQCHIP_SET_TYPE_MASKED,
	};
	int d;

	ut_start_disp(1, 0);
	/* ONESHOT-safe: a thread_fn alone needs no IRQF_ONESHOT, and the line
	 * is not masked while the thread runs */
	chip_line(42, &safe_chip);
	ASSERT_EQ(request_threaded_irq(42, NULL, thread_fn, 0, "safe", &d), 0);
	rec_reset();
	ASSERT_EQ(irq_raise(42), 0);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&h_calls), 1);
	ASSERT_EQ(count_op(OP_MASK), 0);
	/* SET_TYPE_MASKED: masked around irq_set_type on a running line */
	chip_line(43, &stm_chip);
	ASSERT_EQ(request_irq(43, rec_handler, 0, "stm", &d), 0);
	rec_reset();
	ASSERT_EQ(irq_set_irq_type(43, IRQ_TYPE_EDGE_FALLING), 0);
	EXPECT(OP_MASK, OP_SET_TYPE, OP_UNMASK);
	irqcore_shutdown();
}

/*
 * A line's chip and flow change under it: each change below is followed by
 * an event whose chip calls tell which flow ran it. A chip with irq_ack
 * gets its ack; the level flow masks, acks and unmasks; back on the soft
 * chip's edge flow, no chip is called; a chained handler runs instead of
 * the chain, and the chain again once it is removed.
 */
static atomic_int chained_runs;

static void chained_flow(struct irq_desc *desc)
{
	(void)desc;
	atomic_fetch_add(&chained_runs, 1);
}

TEST(flow_and_chip_changes_take_effect)
{
	int dev = 0;

	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, rec_handler, 0, "plain", &dev), 0);
	rec_reset();
	ut_fire(5);
	EXPECT(OP_HANDLER);			/* soft chip, edge: no chip call */

	ASSERT_EQ(irq_set_chip_and_handler_name(5, &mask_chip, handle_edge_irq, NULL), 0);
	rec_reset();
	ut_fire(5);
	EXPECT(OP_ACK, OP_HANDLER);		/* the edge flow acks */

	ASSERT_EQ(irq_set_chip_and_handler_name(5, &mask_chip, handle_level_irq, NULL), 0);
	rec_reset();
	ut_fire(5);
	EXPECT(OP_MASK, OP_ACK, OP_HANDLER, OP_UNMASK);	/* mask_ack, unmask */

	ASSERT_EQ(irq_set_chip_and_handler_name(5, NULL, handle_edge_irq, NULL), 0);
	rec_reset();
	ut_fire(5);
	EXPECT(OP_HANDLER);			/* soft chip again */
	ASSERT_TRUE(free_irq(5, &dev) != NULL);

	irq_set_chained_handler_and_data(7, chained_flow, NULL);
	rec_reset();
	ut_fire(7);
	EXPECT_NONE();				/* no chain: the chained flow ran */
	ASSERT_EQ(atomic_load(&chained_runs), 1);
	irq_set_chained_handler_and_data(7, NULL, NULL);
	ASSERT_EQ(request_irq(7, rec_handler, 0, "after", &dev), 0);
	rec_reset();
	ut_fire(7);
	EXPECT(OP_HANDLER);
	ASSERT_EQ(atomic_load(&chained_runs), 1);
	ASSERT_TRUE(free_irq(7, &dev) != NULL);
	irqcore_shutdown();
}

/* ---- 9. accessors, chained handlers ---- */

TEST(accessors_kernel_names)
{
	static int chipdata, hdata;
	struct irq_data *d;

	ut_start_ext(1, 0);
	ASSERT_EQ(irq_set_chip_and_handler_name(50, &mask_chip, handle_level_irq, NULL), 0);
	ASSERT_EQ(irq_set_chip_data(50, &chipdata), 0);
	ASSERT_EQ(irq_set_handler_data(50, &hdata), 0);
	ASSERT_EQ(irq_set_irq_type(50, IRQ_TYPE_LEVEL_LOW), 0);
	d = irq_get_irq_data(50);
	ASSERT_TRUE(d != NULL);
	ASSERT_PTR_EQ(irq_get_chip(50), &mask_chip);
	ASSERT_PTR_EQ(irq_data_get_irq_chip(d), &mask_chip);
	ASSERT_PTR_EQ(irq_get_chip_data(50), &chipdata);
	ASSERT_PTR_EQ(irq_data_get_irq_chip_data(d), &chipdata);
	ASSERT_PTR_EQ(irq_get_handler_data(50), &hdata);
	ASSERT_EQ(irqd_to_hwirq(d), 50);
	ASSERT_EQ(irq_get_trigger_type(50), IRQ_TYPE_LEVEL_LOW);
	ASSERT_EQ(irqd_get_trigger_type(d), IRQ_TYPE_LEVEL_LOW);
	ASSERT_TRUE(irqd_is_level_type(d));
	/* bad input: 0 / NULL */
	ASSERT_TRUE(irq_get_chip(100000) == NULL);
	ASSERT_TRUE(irq_get_handler_data(100000) == NULL);
	ASSERT_EQ(irq_get_trigger_type(100000), 0);
	ASSERT_EQ(irq_set_handler_data(100000, NULL), -EINVAL);
	ASSERT_FALSE(irqd_is_level_type(NULL));
	irqcore_shutdown();
}

#define PARENT 60
#define CHILD 61
static atomic_uint demux_pending;	/* children "asserted" at the parent */

static void demux_flow(struct irq_desc *desc)
{
	struct irq_chip *chip = irq_desc_get_chip(desc);
	unsigned int *base = irq_desc_get_handler_data(desc);

	chained_irq_enter(chip, desc);
	record(OP_CHILD, irq_desc_get_irq_data(desc), 0);
	for (unsigned int p = atomic_exchange(&demux_pending, 0); p; p &= p - 1)
		generic_handle_irq(*base + (unsigned int)__builtin_ctz(p));
	chained_irq_exit(chip, desc);
}

TEST(chained_handler_demultiplexes)
{
	static unsigned int base = CHILD;
	unsigned long mask;
	int d;

	ut_start_ext(1, 0);
	chip_line(PARENT, &mask_chip);
	irq_set_chained_handler_and_data(PARENT, demux_flow, &base);
	EXPECT(OP_UNMASK);		/* started at once */
	ASSERT_TRUE(ut_status(PARENT).started);
	ASSERT_PTR_EQ(irq_get_handler_data(PARENT), &base);
	/* no driver may request or probe it */
	ASSERT_EQ(request_irq(PARENT, rec_handler, 0, "x", &d), -EINVAL);
	mask = probe_irq_on();
	ASSERT_FALSE(mask & (1ul << PARENT));
	ASSERT_EQ(probe_irq_off(mask), 0);

	ASSERT_EQ(request_irq(CHILD, rec_handler, 0, "child", &d), 0);
	rec_reset();
	atomic_store(&demux_pending, 1u);
	ut_fire(PARENT);
	/* mask+ack on entry, the child, unmask on exit */
	EXPECT(OP_MASK, OP_ACK, OP_CHILD, OP_HANDLER, OP_UNMASK);
	ASSERT_EQ(kstat_irqs_usr(PARENT), 1);
	ASSERT_EQ(kstat_irqs_usr(CHILD), 1);
	/* removed: shut down, requestable again */
	rec_reset();
	irq_set_chained_handler_and_data(PARENT, NULL, NULL);
	EXPECT(OP_MASK);
	ASSERT_EQ(request_irq(PARENT, rec_handler, 0, "x", &d), 0);
	/* on a line with actions: refused with a warning */
	irq_set_chained_handler_and_data(PARENT, demux_flow, &base);
	ASSERT_EQ(th_log_count("the line has actions"), 1);
	irqcore_shutdown();
}

/* A fasteoi parent: nothing on entry, eoi on exit. */
TEST(chained_handler_fasteoi_parent)
{
	static const struct irq_chip eoi_chip = {
		.name = "eoichip", .irq_mask = f_mask, .irq_unmask = f_unmask, .irq_eoi = f_eoi,
	};
	static unsigned int base = CHILD;
	int d;

	ut_start_ext(1, 0);
	chip_line(PARENT, &eoi_chip);
	irq_set_chained_handler_and_data(PARENT, demux_flow, &base);
	ASSERT_EQ(request_irq(CHILD, rec_handler, 0, "child", &d), 0);
	rec_reset();
	atomic_store(&demux_pending, 1u);
	ut_fire(PARENT);
	EXPECT(OP_CHILD, OP_HANDLER, OP_EOI);
	irqcore_shutdown();
}

/* A ONESHOT thread's unmask on a slow-bus chip happens under the bus lock,
 * from the thread. */
TEST(oneshot_unmask_under_bus_lock)
{
	int d, u;

	ut_start_disp(1, 0);
	chip_line(44, &bus_chip);
	ASSERT_EQ(request_threaded_irq(44, NULL, thread_fn, IRQF_ONESHOT, "bus-thr", &d), 0);
	rec_reset();
	ASSERT_EQ(irq_raise(44), 0);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&h_calls), 1);
	/* the flow (dispatcher): the mask, no bus; the thread: lock, unmask,
	 * sync */
	EXPECT(OP_MASK, OP_BUS_LOCK, OP_UNMASK, OP_BUS_SYNC);
	u = first_op(OP_UNMASK);
	ASSERT_FALSE(pthread_equal(recs[0].thread, recs[u].thread));
	ASSERT_TRUE(pthread_equal(recs[u - 1].thread, recs[u].thread));
	ASSERT_FALSE(pthread_equal(recs[u].thread, pthread_self()));
	irqcore_shutdown();
}
