/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linear irq domains (include/irqcore/linux.h, docs/semantics.md
 * "Domains"): lines allocated per hwirq, map/unmap callbacks, hwirq in
 * irq_data and /proc/interrupts, generic_handle_domain_irq from a chained
 * (demultiplexing) flow, disposal and removal, and the errors.
 */
#include "util.h"
#include "irqcore/linux.h"

/* A fake interrupt controller: a chip whose mask register is a word. */
struct fake_ctl {
	struct irq_domain *domain;
	atomic_uint pending;		/* "status register": bit n = hwirq n */
	atomic_ullong mask_reg;	/* bit n set: hwirq n masked */
	atomic_int maps, unmaps, fail_map_hw;
	atomic_int last_map_virq;
	atomic_long last_map_hw;
	void *host_seen;
};

static void fake_mask(struct irq_data *d)
{
	struct fake_ctl *c = d->chip_data;

	atomic_fetch_or(&c->mask_reg, 1ull << d->hwirq);
}

static void fake_unmask(struct irq_data *d)
{
	struct fake_ctl *c = d->chip_data;

	atomic_fetch_and(&c->mask_reg, ~(1ull << d->hwirq));
}

static const struct irq_chip fake_chip = {
	.name = "fakectl",
	.irq_mask = fake_mask,
	.irq_unmask = fake_unmask,
};

static int fake_map(struct irq_domain *d, unsigned int virq, irq_hw_number_t hw)
{
	struct fake_ctl *c = d->host_data;

	c->host_seen = d->host_data;
	atomic_fetch_add(&c->maps, 1);
	atomic_store(&c->last_map_virq, (int)virq);
	atomic_store(&c->last_map_hw, (long)hw);
	if ((long)hw == atomic_load(&c->fail_map_hw))
		return -EIO;
	irq_set_chip_data(virq, c);
	irq_set_chip_and_handler_name(virq, &fake_chip, handle_simple_irq, NULL);
	return 0;
}

static void fake_unmap(struct irq_domain *d, unsigned int virq)
{
	struct fake_ctl *c = d->host_data;

	atomic_fetch_add(&c->unmaps, 1);
	irq_set_chip_and_handler_name(virq, NULL, NULL, NULL);
	irq_set_chip_data(virq, NULL);
}

static const struct irq_domain_ops fake_ops = {
	.map = fake_map,
	.unmap = fake_unmap,
	.xlate = irq_domain_xlate_twocell,
};

/* The parent's chained flow: demultiplex the status register. */
static void fake_demux(struct irq_desc *desc)
{
	struct fake_ctl *c = irq_desc_get_irq_data(desc)->chip_data;
	unsigned int bits = atomic_exchange(&c->pending, 0);

	while (bits) {
		unsigned int hw = (unsigned int)__builtin_ctz(bits);

		bits &= bits - 1;
		generic_handle_domain_irq(c->domain, hw);
	}
}

static void fake_init(struct fake_ctl *c, unsigned int size)
{
	memset(c, 0, sizeof(*c));
	atomic_store(&c->fail_map_hw, -1);
	c->domain = irq_domain_create_linear(NULL, size, &fake_ops, c);
	ASSERT_TRUE(c->domain != NULL);
}

TEST(domain_mapping_allocates_lines_and_sets_hwirq)
{
	struct fake_ctl c;
	unsigned int v3, v5;
	struct irq_data *d;

	ut_start_ext(1, 0);
	fake_init(&c, 8);
	ASSERT_EQ(c.domain->hwirq_max, 8);
	ASSERT_PTR_EQ(c.domain->host_data, &c);
	ASSERT_EQ(irq_find_mapping(c.domain, 3), 0);
	v3 = irq_create_mapping(c.domain, 3);
	ASSERT_GT(v3, 0);
	ASSERT_EQ(atomic_load(&c.maps), 1);
	ASSERT_EQ(atomic_load(&c.last_map_virq), v3);
	ASSERT_EQ(atomic_load(&c.last_map_hw), 3);
	ASSERT_PTR_EQ(c.host_seen, &c);
	/* the same hwirq again: the same line, no second map */
	ASSERT_EQ(irq_create_mapping(c.domain, 3), v3);
	ASSERT_EQ(atomic_load(&c.maps), 1);
	v5 = irq_create_mapping(c.domain, 5);
	ASSERT_GT(v5, 0);
	ASSERT_NE(v5, v3);
	ASSERT_EQ(irq_find_mapping(c.domain, 3), v3);
	ASSERT_EQ(irq_linear_revmap(c.domain, 5), v5);
	ASSERT_EQ(irq_find_mapping(c.domain, 4), 0);
	ASSERT_EQ(irq_find_mapping(c.domain, 800), 0);
	d = irq_get_irq_data(v5);
	ASSERT_TRUE(d != NULL);
	ASSERT_EQ(d->hwirq, 5);
	ASSERT_PTR_EQ(d->domain, c.domain);
	ASSERT_PTR_EQ(d->chip, &fake_chip);
	ASSERT_PTR_EQ(irq_domain_get_irq_data(c.domain, v5), d);
	ASSERT_TRUE(irq_domain_get_irq_data(c.domain, 7) == NULL);
	ASSERT_EQ(th_log_count("irq_create_mapping"), 0);
	irq_domain_remove(c.domain);
	ASSERT_EQ(atomic_load(&c.unmaps), 2);
	irqcore_shutdown();
}

TEST(domain_hwirq_shown_in_proc_interrupts)
{
	struct fake_ctl c;
	struct ut_dev dev;
	unsigned int virq;
	char *line, want[64];

	ut_dev_init(&dev, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	fake_init(&c, 64);
	virq = irq_create_mapping(c.domain, 42);
	ASSERT_GT(virq, 0);
	ASSERT_NE(virq, 42);	/* dynamic numbers: the first free line */
	ASSERT_EQ(request_irq(virq, ut_handler, 0, "child42", &dev), 0);
	line = ut_interrupts_line(virq);
	ASSERT_TRUE(line != NULL);
	/* chip name "%8s", then the hwirq " %*lu" (width 4 for 1024 lines) */
	snprintf(want, sizeof(want), "  fakectl   42-simple    child42");
	ASSERT_CONTAINS(line, want);
	free(line);
	free_irq(virq, &dev);
	irq_domain_remove(c.domain);
	irqcore_shutdown();
}

TEST(domain_chained_demux_runs_children)
{
	struct fake_ctl c;
	struct ut_dev ch[3], parent_dev;
	unsigned int parent, virq[3];

	ut_start_ext(1, 0);
	fake_init(&c, 8);
	for (int i = 0; i < 3; i++) {
		ut_dev_init(&ch[i], i, IRQ_HANDLED);
		virq[i] = irq_create_mapping(c.domain, (irq_hw_number_t)(i * 2));
		ASSERT_GT(virq[i], 0);
		ASSERT_EQ(request_irq(virq[i], ut_handler, 0, "child", &ch[i]), 0);
	}
	ut_dev_init(&parent_dev, 9, IRQ_HANDLED);
	parent = (unsigned int)irq_alloc_desc(-1);
	ASSERT_GT(parent, 0);
	ASSERT_EQ(irq_set_chip_data(parent, &c), 0);
	ASSERT_EQ(irq_set_chip_and_handler_name(parent, NULL, fake_demux, "demux"), 0);
	/* hwirq 0 and 4 pending, then the parent fires */
	atomic_store(&c.pending, 1u << 0 | 1u << 4);
	ut_fire(parent);
	ASSERT_EQ(ut_calls(&ch[0]), 1);
	ASSERT_EQ(ut_calls(&ch[1]), 0);
	ASSERT_EQ(ut_calls(&ch[2]), 1);
	ASSERT_EQ(atomic_load(&ch[2].last_irq), virq[2]);
	ASSERT_TRUE(atomic_load(&ch[2].last_hardirq));
	ASSERT_EQ(kstat_irqs_usr(virq[0]), 1);
	ASSERT_EQ(kstat_irqs_usr(virq[2]), 1);
	/* a hwirq without mapping: -EINVAL, one warning per domain */
	atomic_store(&c.pending, 1u << 7 | 1u << 2);
	ut_fire(parent);
	ASSERT_EQ(ut_calls(&ch[1]), 1);
	ASSERT_EQ(th_log_count("hwirq 7 has no mapping"), 1);
	atomic_store(&c.pending, 1u << 7);
	ut_fire(parent);
	ASSERT_EQ(th_log_count("has no mapping"), 1);
	for (int i = 0; i < 3; i++)
		free_irq(virq[i], &ch[i]);
	irq_free_desc(parent);
	irq_domain_remove(c.domain);
	irqcore_shutdown();
}

static void *handle_from_other_thread(void *arg)
{
	struct fake_ctl *c = arg;

	return (void *)(long)generic_handle_domain_irq(c->domain, 1);
}

TEST(domain_generic_handle_errors)
{
	struct fake_ctl c;
	pthread_t t;
	void *ret;

	ut_start_ext(1, 0);
	fake_init(&c, 4);
	ASSERT_GT(irq_create_mapping(c.domain, 1), 0);
	ASSERT_EQ(generic_handle_domain_irq(NULL, 1), -EINVAL);
	ASSERT_EQ(generic_handle_domain_irq(c.domain, 2), -EINVAL);
	ASSERT_EQ(generic_handle_domain_irq(c.domain, 99), -EINVAL);
	/* outside a CPU context */
	ASSERT_EQ(pthread_create(&t, NULL, handle_from_other_thread, &c), 0);
	pthread_join(t, &ret);
	ASSERT_EQ((long)ret, -EPERM);
	irq_domain_remove(c.domain);
	irqcore_shutdown();
	ASSERT_EQ(generic_handle_domain_irq(c.domain, 1), -ENODEV);
}

TEST(domain_bad_input_warns_and_fails)
{
	struct fake_ctl c;
	unsigned int v;

	ut_start_ext(1, 0);
	ASSERT_TRUE(irq_domain_create_linear(NULL, 4, NULL, NULL) == NULL);
	ASSERT_TRUE(irq_domain_create_linear(NULL, 0, &fake_ops, NULL) == NULL);
	ASSERT_EQ(th_log_count("irq_domain_create_linear"), 2);
	ASSERT_EQ(irq_create_mapping(NULL, 0), 0);
	ASSERT_EQ(th_log_count("irq_create_mapping: NULL domain"), 1);
	fake_init(&c, 4);
	ASSERT_EQ(irq_create_mapping(c.domain, 4), 0);
	ASSERT_EQ(th_log_count("hwirq 4 out of range"), 1);
	ASSERT_EQ(atomic_load(&c.maps), 0);
	/* a failing map: no mapping, the line goes back (the next
	 * allocation gets the same number) */
	atomic_store(&c.fail_map_hw, 2);
	ASSERT_EQ(irq_create_mapping(c.domain, 2), 0);
	ASSERT_EQ(th_log_count("mapping hwirq 2"), 1);
	v = (unsigned int)atomic_load(&c.last_map_virq);
	ASSERT_EQ(irq_find_mapping(c.domain, 2), 0);
	ASSERT_EQ(irq_get_irq_data(v)->domain, NULL);
	ASSERT_EQ(irq_get_irq_data(v)->hwirq, v);
	ASSERT_EQ(irq_alloc_desc(-1), (int)v);
	irq_free_desc(v);
	/* disposing of line 0 is nothing; of a plain line warns */
	irq_dispose_mapping(0);
	ASSERT_EQ(th_log_count("irq_dispose_mapping"), 0);
	irq_dispose_mapping(7);
	ASSERT_EQ(th_log_count("irq_dispose_mapping(7)"), 1);
	irq_domain_remove(c.domain);
	irq_domain_remove(NULL);
	irqcore_shutdown();
}

TEST(domain_dispose_refuses_requested_line_then_frees_it)
{
	struct fake_ctl c;
	struct ut_dev dev;
	unsigned int v;

	ut_dev_init(&dev, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	fake_init(&c, 4);
	v = irq_create_mapping(c.domain, 3);
	ASSERT_GT(v, 0);
	ASSERT_EQ(request_irq(v, ut_handler, 0, "busy", &dev), 0);
	irq_dispose_mapping(v);
	ASSERT_EQ(th_log_count("still requested"), 1);
	ASSERT_EQ(irq_find_mapping(c.domain, 3), v);
	ASSERT_EQ(atomic_load(&c.unmaps), 0);
	/* still works, and may still be requested by another sharer later */
	atomic_store(&c.pending, 1u << 3);
	ASSERT_EQ(generic_handle_domain_irq(c.domain, 3), 0);
	ASSERT_EQ(ut_calls(&dev), 1);
	/* removing the domain is refused as well, nothing changes */
	irq_domain_remove(c.domain);
	ASSERT_EQ(th_log_count("domain kept"), 1);
	ASSERT_EQ(irq_find_mapping(c.domain, 3), v);
	free_irq(v, &dev);
	irq_dispose_mapping(v);
	ASSERT_EQ(atomic_load(&c.unmaps), 1);
	ASSERT_EQ(irq_find_mapping(c.domain, 3), 0);
	ASSERT_TRUE(irq_get_irq_data(v)->domain == NULL);
	ASSERT_PTR_EQ(irq_get_irq_data(v)->chip, irq_get_irq_data(0)->chip); /* soft chip */
	ASSERT_EQ(generic_handle_domain_irq(c.domain, 3), -EINVAL);
	ASSERT_EQ(ut_calls(&dev), 1);
	/* the line is free again: a new mapping may get it */
	ASSERT_EQ(irq_create_mapping(c.domain, 0), v);
	irq_domain_remove(c.domain);
	ASSERT_EQ(atomic_load(&c.unmaps), 2);
	irqcore_shutdown();
}

TEST(domain_of_a_previous_instance_is_stale)
{
	struct fake_ctl c;

	ut_start_ext(1, 0);
	fake_init(&c, 4);
	ASSERT_GT(irq_create_mapping(c.domain, 1), 0);
	irqcore_shutdown();
	ut_start_ext(1, 0);
	ASSERT_EQ(irq_find_mapping(c.domain, 1), 0);
	ASSERT_EQ(irq_create_mapping(c.domain, 2), 0);
	ASSERT_EQ(th_log_count("shut down"), 1);
	irq_domain_remove(c.domain);		/* frees the memory only */
	ASSERT_EQ(atomic_load(&c.unmaps), 0);
	irqcore_shutdown();
}

TEST(domain_xlate_helpers)
{
	uint32_t spec[2] = { 6, IRQ_TYPE_LEVEL_HIGH };
	unsigned long hw = 0;
	unsigned int type = 99;

	ut_start_ext(1, 0);
	ASSERT_EQ(irq_domain_xlate_twocell(NULL, NULL, spec, 2, &hw, &type), 0);
	ASSERT_EQ(hw, 6);
	ASSERT_EQ(type, IRQ_TYPE_LEVEL_HIGH);
	ASSERT_EQ(irq_domain_xlate_onecell(NULL, NULL, spec, 1, &hw, &type), 0);
	ASSERT_EQ(type, IRQ_TYPE_NONE);
	ASSERT_EQ(irq_domain_xlate_onetwocell(NULL, NULL, spec, 2, &hw, &type), 0);
	ASSERT_EQ(type, IRQ_TYPE_LEVEL_HIGH);
	ASSERT_EQ(irq_domain_xlate_twocell(NULL, NULL, spec, 1, &hw, &type), -EINVAL);
	ASSERT_EQ(th_log_count("too few cells"), 1);
	irqcore_shutdown();
}

/* Dispatcher mode: disposing of a mapping while a chained parent keeps
 * demultiplexing its hwirq. Once irq_dispose_mapping returns, the line's
 * number may be handed to another user at once: no event of the old
 * mapping may reach it. */
static struct fake_ctl race_ctl;

static void race_demux(struct irq_desc *desc)
{
	generic_handle_domain_irq(race_ctl.domain, 1);
}

TEST_T(domain_dispose_then_reuse_line_gets_no_old_events, 60)
{
	struct ut_dev child, reuser;
	unsigned int parent, v;
	double end;

	ut_dev_init(&child, 0, IRQ_HANDLED);
	ut_dev_init(&reuser, 1, IRQ_HANDLED);
	ut_start_disp(2, 0);
	fake_init(&race_ctl, 4);
	v = irq_create_mapping(race_ctl.domain, 1);
	ASSERT_GT(v, 0);
	ASSERT_EQ(request_irq(v, ut_handler, 0, "child", &child), 0);
	parent = (unsigned int)irq_alloc_desc(-1);
	ASSERT_EQ(irq_set_chip_and_handler_name(parent, NULL, race_demux, "demux"), 0);
	for (int i = 0; i < 200; i++)
		irq_raise(parent);
	ut_quiesce();
	ASSERT_GT(ut_calls(&child), 0);
	/* the driver frees its handler, then disposes of the mapping while
	 * the parent still fires (its events count in ERR meanwhile) */
	free_irq(v, &child);
	end = th_now() + 0.2;
	while (th_now() < end)
		irq_raise(parent);
	irq_dispose_mapping(v);
	ASSERT_EQ(irq_alloc_desc(-1), (int)v);	/* reused at once */
	ASSERT_EQ(request_irq(v, ut_handler, 0, "reuser", &reuser), 0);
	for (int i = 0; i < 200; i++)
		irq_raise(parent);
	ut_quiesce();
	ASSERT_EQ(ut_calls(&reuser), 0);
	ASSERT_EQ(irq_find_mapping(race_ctl.domain, 1), 0);
	free_irq(v, &reuser);
	irq_free_desc(v);
	irq_free_desc(parent);
	irq_domain_remove(race_ctl.domain);
	irqcore_shutdown();
}

/* From IRQ context the writers refuse (they sleep); from an irq thread
 * they work, as in the kernel. */
static struct fake_ctl ctx_ctl;
static atomic_uint ctx_virq_hard, ctx_virq_thread;

static irqreturn_t ctx_hard(int irq, void *dev_id)
{
	atomic_store(&ctx_virq_hard, irq_create_mapping(ctx_ctl.domain, 2) + 1000);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t ctx_thread(int irq, void *dev_id)
{
	unsigned int v = irq_create_mapping(ctx_ctl.domain, 3);

	irq_dispose_mapping(v);
	atomic_store(&ctx_virq_thread, v);
	return IRQ_HANDLED;
}

TEST(domain_writers_refuse_irq_context_work_in_irq_threads)
{
	int dev;

	ut_start_disp(1, 0);
	fake_init(&ctx_ctl, 4);
	ASSERT_EQ(request_threaded_irq(6, ctx_hard, ctx_thread, 0, "ctx", &dev), 0);
	irq_raise(6);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&ctx_virq_hard), 1000);		/* refused: 0 */
	ASSERT_EQ(th_log_count("irq_create_mapping(domain"), 1);
	ASSERT_EQ(th_log_count("from IRQ context refused"), 1);
	ASSERT_GT(atomic_load(&ctx_virq_thread), 0);
	ASSERT_EQ(atomic_load(&ctx_ctl.unmaps), 1);		/* disposed there */
	ASSERT_EQ(irq_find_mapping(ctx_ctl.domain, 3), 0);
	free_irq(6, &dev);
	irq_domain_remove(ctx_ctl.domain);
	irqcore_shutdown();
}

/* Concurrent creators of the same hwirqs: one line per hwirq, one map
 * call each, every caller gets that line. */
static struct fake_ctl conc_ctl;
static unsigned int conc_got[4][16];

static void *conc_creator(void *arg)
{
	unsigned int *got = arg;

	for (unsigned int hw = 0; hw < 16; hw++)
		got[hw] = irq_create_mapping(conc_ctl.domain, hw);
	return NULL;
}

TEST(domain_concurrent_create_maps_once)
{
	pthread_t t[4];

	ut_start_disp(1, 0);
	fake_init(&conc_ctl, 16);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, conc_creator, conc_got[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(atomic_load(&conc_ctl.maps), 16);
	for (unsigned int hw = 0; hw < 16; hw++) {
		ASSERT_GT(conc_got[0][hw], 0);
		for (int i = 1; i < 4; i++)
			ASSERT_EQ(conc_got[i][hw], conc_got[0][hw]);
		ASSERT_EQ(irq_find_mapping(conc_ctl.domain, hw), conc_got[0][hw]);
	}
	irq_domain_remove(conc_ctl.domain);
	ASSERT_EQ(atomic_load(&conc_ctl.unmaps), 16);
	irqcore_shutdown();
}
