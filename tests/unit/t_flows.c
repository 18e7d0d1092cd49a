/* SPDX-License-Identifier: BSD-2-Clause */
/* Chips and flows (SEMANTICS D8), trigger types on soft lines, chip data,
 * line allocation. A fake chip records its callbacks, like the kernel's
 * irq_test.c. */
#include "util.h"

enum op { OP_MASK = 1, OP_UNMASK, OP_ACK, OP_EOI, OP_SET_TYPE, OP_HANDLER };

#define REC_MAX 256
static struct rec {
	int op;
	unsigned int irq;
	unsigned long hwirq;
	void *chip_data;
	unsigned int type;
} recs[REC_MAX];
static atomic_int nrecs;

static void record(int op, struct irq_data *d, unsigned int type)
{
	int n = atomic_fetch_add(&nrecs, 1);

	if (n >= REC_MAX)
		return;
	recs[n].op = op;
	recs[n].irq = d ? d->irq : 0;
	recs[n].hwirq = d ? d->hwirq : 0;
	recs[n].chip_data = d ? d->chip_data : NULL;
	recs[n].type = type;
}

static void rec_reset(void)
{
	atomic_store(&nrecs, 0);
}

static void fake_mask(struct irq_data *d) { record(OP_MASK, d, 0); }
static void fake_unmask(struct irq_data *d) { record(OP_UNMASK, d, 0); }
static void fake_ack(struct irq_data *d) { record(OP_ACK, d, 0); }
static void fake_eoi(struct irq_data *d) { record(OP_EOI, d, 0); }
static int fake_set_type(struct irq_data *d, unsigned int type)
{
	record(OP_SET_TYPE, d, type);
	return 0;
}

static const struct irq_chip fake_chip = {
	.name = "fake",
	.irq_mask = fake_mask,
	.irq_unmask = fake_unmask,
	.irq_ack = fake_ack,
	.irq_eoi = fake_eoi,
	.irq_set_type = fake_set_type,
};

/* Handler: records itself; on a level line deasserts after `deassert_after`
 * runs. */
static atomic_int h_calls;
static int deassert_after;

static irqreturn_t rec_handler(int irq, void *dev_id)
{
	(void)dev_id;
	record(OP_HANDLER, NULL, 0);
	if (atomic_fetch_add(&h_calls, 1) + 1 == deassert_after)
		ASSERT_EQ(irq_set_line((unsigned int)irq, 0), 0);
	return IRQ_HANDLED;
}

static void expect_ops(const int *ops, int n)
{
	char got[512] = "", *p = got;
	int have = atomic_load(&nrecs);

	for (int i = 0; i < have && i < REC_MAX && p < got + sizeof(got) - 8; i++)
		p += snprintf(p, (size_t)(got + sizeof(got) - p), "%d ", recs[i].op);
	if (have != n)
		th_fail(__FILE__, __LINE__, "%d chip/handler calls, want %d: %s",
			have, n, got);
	for (int i = 0; i < n; i++)
		if (recs[i].op != ops[i])
			th_fail(__FILE__, __LINE__, "call %d is %d, want %d: %s", i,
				recs[i].op, ops[i], got);
}

static void expect_pattern(const int *pat, int plen, int times)
{
	int ops[REC_MAX];

	for (int t = 0; t < times; t++)
		memcpy(&ops[t * plen], pat, sizeof(int) * (size_t)plen);
	expect_ops(ops, plen * times);
}

static void setup_fake(unsigned int irq, irq_flow_handler_t flow,
		       const char *flow_name)
{
	ASSERT_EQ(irq_set_chip_and_handler_name(irq, &fake_chip, flow, flow_name), 0);
	ASSERT_EQ(request_irq(irq, rec_handler, 0, "fakedev", &h_calls), 0);
	ut_drain();
	rec_reset();
	atomic_store(&h_calls, 0);
}

TEST(edge_flow_acks_each_event)
{
	ut_start_ext(1, 0);
	setup_fake(10, handle_edge_irq, "edge");
	for (int i = 0; i < 3; i++)
		ut_fire(10);
	expect_pattern((int[]){ OP_ACK, OP_HANDLER }, 2, 3);
	ASSERT_EQ(recs[0].irq, 10);
	ASSERT_EQ(ut_status(10).count, 3);
	irqcore_shutdown();
}

TEST(level_flow_mask_ack_unmask_and_refire)
{
	struct irq_status st;

	ut_start_ext(1, 0);
	setup_fake(11, handle_level_irq, "level");
	deassert_after = 4;
	ASSERT_EQ(irq_set_line(11, 1), 0);
	ut_drain();
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(atomic_load(&h_calls), 4);
	expect_pattern((int[]){ OP_MASK, OP_ACK, OP_HANDLER, OP_UNMASK }, 4, 4);
	st = ut_status(11);
	ASSERT_EQ(st.count, 4);
	ASSERT_FALSE(st.masked);
	ASSERT_FALSE(st.level_asserted);
	/* deasserted: quiet */
	ut_drain();
	ASSERT_EQ(atomic_load(&h_calls), 4);
	irqcore_shutdown();
}

TEST(level_flow_asserted_while_disabled_fires_on_enable)
{
	ut_start_ext(1, 0);
	setup_fake(11, handle_level_irq, "level");
	deassert_after = 2;
	disable_irq(11);
	ASSERT_EQ(irq_set_line(11, 1), 0);
	ut_drain();
	ASSERT_EQ(atomic_load(&h_calls), 0);
	enable_irq(11);
	ut_drain();
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(atomic_load(&h_calls), 2);
	irqcore_shutdown();
}

TEST(fasteoi_flow_eoi_after_handler)
{
	ut_start_ext(1, 0);
	setup_fake(12, handle_fasteoi_irq, "fasteoi");
	ut_fire(12);
	ut_fire(12);
	expect_pattern((int[]){ OP_HANDLER, OP_EOI }, 2, 2);
	ASSERT_EQ(ut_status(12).count, 2);
	irqcore_shutdown();
}

TEST(simple_flow_no_chip_calls)
{
	ut_start_ext(1, 0);
	setup_fake(13, handle_simple_irq, "simple");
	ut_fire(13);
	ut_fire(13);
	ASSERT_EQ(irq_raise(13), 0);
	ASSERT_EQ(irq_raise(13), 0);
	ut_drain();
	expect_pattern((int[]){ OP_HANDLER }, 1, 3);
	ASSERT_EQ(ut_status(13).count, 3);
	irqcore_shutdown();
}

TEST(chip_and_flow_names_in_interrupts)
{
	char *l;

	ut_start_ext(1, 0);
	setup_fake(14, handle_fasteoi_irq, NULL);	/* the flow's own name */
	setup_fake(15, handle_edge_irq, "myflow");
	l = ut_interrupts_line(14);
	ASSERT_TRUE(l != NULL);
	ASSERT_CONTAINS(l, "     fake");
	ASSERT_CONTAINS(l, "-fasteoi ");
	ASSERT_CONTAINS(l, "  fakedev");
	free(l);
	l = ut_interrupts_line(15);
	ASSERT_TRUE(l != NULL);
	ASSERT_CONTAINS(l, "-myflow  ");
	free(l);
	/* NULL chip restores the soft chip */
	ASSERT_EQ(irq_set_chip_and_handler_name(15, NULL, handle_edge_irq, NULL), 0);
	l = ut_interrupts_line(15);
	ASSERT_TRUE(l != NULL);
	ASSERT_CONTAINS(l, " irqcore");
	ASSERT_CONTAINS(l, "-edge ");
	free(l);
	ASSERT_EQ(irq_get_irq_data(15)->chip->name[0], 'i');
	irqcore_shutdown();
}

TEST(set_irq_type_calls_chip)
{
	ut_start_ext(1, 0);
	setup_fake(16, handle_edge_irq, "edge");
	ASSERT_EQ(irq_set_irq_type(16, IRQ_TYPE_EDGE_FALLING), 0);
	ASSERT_GE(atomic_load(&nrecs), 1);
	{
		bool found = false;

		for (int i = 0; i < atomic_load(&nrecs); i++)
			if (recs[i].op == OP_SET_TYPE &&
			    recs[i].type == IRQ_TYPE_EDGE_FALLING &&
			    recs[i].irq == 16)
				found = true;
		ASSERT_TRUE(found);
	}
	irqcore_shutdown();
}

/* ---- soft lines: edge <-> level --------------------------------------- */

TEST(soft_line_type_switches_flow)
{
	char *l;

	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(20, rec_handler, 0, "soft", &h_calls), 0);
	l = ut_interrupts_line(20);
	ASSERT_TRUE(l != NULL);
	ASSERT_CONTAINS(l, "  irqcore   20-edge ");
	free(l);

	ASSERT_EQ(irq_set_irq_type(20, IRQ_TYPE_LEVEL_HIGH), 0);
	ASSERT_EQ(ut_status(20).type, IRQ_TYPE_LEVEL_HIGH);
	l = ut_interrupts_line(20);
	ASSERT_CONTAINS(l, "  irqcore   20-level ");
	free(l);
	/* level behaviour: fires while asserted */
	atomic_store(&h_calls, 0);
	deassert_after = 3;
	ASSERT_EQ(irq_set_line(20, 1), 0);
	ut_drain();
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(atomic_load(&h_calls), 3);

	ASSERT_EQ(irq_set_irq_type(20, IRQ_TYPE_EDGE_RISING), 0);
	ASSERT_EQ(ut_status(20).type, IRQ_TYPE_EDGE_RISING);
	l = ut_interrupts_line(20);
	ASSERT_CONTAINS(l, "-edge ");
	free(l);
	/* edge behaviour: raises before a poll coalesce */
	atomic_store(&h_calls, 0);
	deassert_after = -1;
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(irq_raise(20), 0);
	ut_drain();
	ASSERT_EQ(atomic_load(&h_calls), 1);

	ASSERT_EQ(irq_set_irq_type(20, IRQ_TYPE_LEVEL_LOW), 0);
	l = ut_interrupts_line(20);
	ASSERT_CONTAINS(l, "-level ");
	free(l);
	irqcore_shutdown();
}

TEST(request_with_level_trigger_uses_level_flow)
{
	char *l;

	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(21, rec_handler, IRQF_TRIGGER_HIGH, "lvl", &h_calls),
		  0);
	ASSERT_EQ(ut_status(21).type, IRQ_TYPE_LEVEL_HIGH);
	l = ut_interrupts_line(21);
	ASSERT_TRUE(l != NULL);
	ASSERT_CONTAINS(l, "-level ");
	free(l);
	deassert_after = 2;
	ASSERT_EQ(irq_set_line(21, 1), 0);
	ut_drain();
	ASSERT_EQ(irqcore_quiesce(5000), 0);
	ASSERT_EQ(atomic_load(&h_calls), 2);
	irqcore_shutdown();
}

/* ---- irq_data -------------------------------------------------------------- */

TEST(chip_data_and_irq_data)
{
	static int cookie;
	struct irq_data *d;

	ut_start_ext(1, 0);
	d = irq_get_irq_data(30);
	ASSERT_TRUE(d != NULL);
	ASSERT_EQ(d->irq, 30);
	ASSERT_EQ(d->hwirq, 30);
	ASSERT_TRUE(d->chip != NULL);
	ASSERT_STR_EQ(d->chip->name, "irqcore");
	ASSERT_TRUE(irq_get_irq_data(1024) == NULL);
	ASSERT_EQ(irq_set_chip_data(1024, &cookie), -EINVAL);

	ASSERT_EQ(irq_set_chip_and_handler_name(31, &fake_chip, handle_edge_irq,
						"edge"), 0);
	ASSERT_EQ(irq_set_chip_data(31, &cookie), 0);
	d = irq_get_irq_data(31);
	ASSERT_TRUE(d != NULL);
	ASSERT_EQ(d->irq, 31);
	ASSERT_PTR_EQ(d->chip, &fake_chip);
	ASSERT_PTR_EQ(d->chip_data, &cookie);
	ASSERT_EQ(request_irq(31, rec_handler, 0, "cd", &h_calls), 0);
	ut_drain();
	rec_reset();
	ut_fire(31);
	ASSERT_EQ(recs[0].op, OP_ACK);
	ASSERT_EQ(recs[0].irq, 31);
	ASSERT_EQ(recs[0].hwirq, d->hwirq);
	ASSERT_PTR_EQ(recs[0].chip_data, &cookie);
	irqcore_shutdown();
}

/* ---- numbering -------------------------------------------------------------- */

TEST(alloc_desc_until_enospc)
{
	struct irqcore_config c;
	int got[16], n = 0, rc;
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_config(&c, 1, 0);
	c.nr_irqs = 8;
	ut_start_cfg_ext(&c);
	while ((rc = irq_alloc_desc(0)) >= 0 && n < 16)
		got[n++] = rc;
	ASSERT_EQ(rc, -ENOSPC);
	ASSERT_GE(n, 1);
	ASSERT_LE(n, 8);
	for (int i = 0; i < n; i++) {
		ASSERT_GE(got[i], 0);
		ASSERT_LT(got[i], 8);
		for (int j = 0; j < i; j++)
			ASSERT_NE(got[i], got[j]);
	}
	ASSERT_EQ(irq_alloc_desc(0), -ENOSPC);
	/* a freed line can be allocated again, and only it */
	irq_free_desc((unsigned int)got[n / 2]);
	ASSERT_EQ(irq_alloc_desc(0), got[n / 2]);
	ASSERT_EQ(irq_alloc_desc(0), -ENOSPC);
	/* an allocated line is requestable */
	ASSERT_EQ(request_irq((unsigned int)got[0], ut_handler, 0, "alloc", &a), 0);
	ut_fire((unsigned int)got[0]);
	ASSERT_EQ(ut_calls(&a), 1);
	irqcore_shutdown();
}

TEST(alloc_desc_distinct_lines)
{
	int a, b, c;

	ut_start_ext(1, 0);
	a = irq_alloc_desc(0);
	b = irq_alloc_desc(0);
	c = irq_alloc_desc(-1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_GE(c, 0);
	ASSERT_LT(a, 1024);
	ASSERT_NE(a, b);
	ASSERT_NE(b, c);
	ASSERT_NE(a, c);
	irq_free_desc((unsigned int)b);
	irq_free_desc(100000);	/* out of range: no crash */
	irqcore_shutdown();
}

/* E1 on a chip: disabling is lazy (no mask call on disable); events on the
 * disabled line are latched, not lost; enable replays one of them. */
TEST(lazy_disable_latches_events)
{
	ut_start_ext(1, 0);
	setup_fake(17, handle_edge_irq, "edge");
	disable_irq_nosync(17);
	for (int i = 0; i < atomic_load(&nrecs); i++)
		ASSERT_NE(recs[i].op, OP_MASK);
	ASSERT_FALSE(ut_status(17).masked);
	ut_fire(17);
	ut_fire(17);
	ASSERT_EQ(atomic_load(&h_calls), 0);
	ASSERT_TRUE(ut_status(17).pending);
	rec_reset();
	enable_irq(17);
	ut_drain();
	ASSERT_EQ(atomic_load(&h_calls), 1);
	ASSERT_FALSE(ut_status(17).pending);
	ASSERT_FALSE(ut_status(17).masked);
	/* the replayed edge went through the edge flow: acked, then handled */
	{
		int ack = -1, h = -1;

		for (int i = 0; i < atomic_load(&nrecs); i++) {
			if (recs[i].op == OP_ACK && ack < 0)
				ack = i;
			if (recs[i].op == OP_HANDLER && h < 0)
				h = i;
		}
		ASSERT_GE(ack, 0);
		ASSERT_GT(h, ack);
	}
	irqcore_shutdown();
}
