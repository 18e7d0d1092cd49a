/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GPIO expander example driver (examples/drivers/gpio_expander.c)
 * against Linux's behaviour: children in a linear domain get dynamic line
 * numbers and the expander's chip and pin as hwirq; their handlers run
 * nested in the parent's ONESHOT irq thread (task context, parent masked
 * meanwhile), once per latched pin change, several pins demultiplexed from
 * one status read; free_irq masks the pin at the chip (irq_mask) and a new
 * request unmasks it (irq_unmask); removal releases INT, then the domain.
 */
#include "util_thr.h"
#include "../../examples/drivers/gpio_expander.h"
#include "../../examples/drivers/sim_hw.h"

static struct sim_i2c_chip chip;
static struct i2c_client client;

struct key {
	atomic_int calls;
	atomic_int hardirq, task, cpu;
	char comm[16];
	pthread_mutex_t lock;
};

static irqreturn_t key_fn(int irq, void *dev_id)
{
	struct key *k = dev_id;

	atomic_store(&k->hardirq, in_hardirq());
	atomic_store(&k->task, in_task());
	atomic_store(&k->cpu, smp_processor_id());
	pthread_mutex_lock(&k->lock);
	tt_comm(k->comm);
	pthread_mutex_unlock(&k->lock);
	atomic_fetch_add(&k->calls, 1);
	return IRQ_HANDLED;
}

static void key_init(struct key *k)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
}

static void setup(void)
{
	struct irqcore_config c;

	ut_config(&c, 2, 0);
	c.thread_priority = -1;
	ASSERT_EQ(irqcore_init(&c), 0);
	memset(&client, 0, sizeof(client));
	client.irq = irq_alloc_desc(-1);
	ASSERT_GT(client.irq, 0);
	sim_i2c_chip_init(&chip, (unsigned int)client.irq, 20);
	client.chip = &chip;
	device_initialize(&client.dev, "gpio-exp");
	ASSERT_EQ(gpio_exp_probe(&client), 0);
	ASSERT_EQ(sim_i2c_chip_peek(&chip, SIM_EXP_IMR), 0xff);	/* probe masked all */
	th_log_reset();
}

static void teardown(void)
{
	unsigned int parent = (unsigned int)client.irq;

	device_release(&client.dev);
	ASSERT_EQ(ut_status(parent).nr_actions, 0);
	irq_free_desc(parent);
	ASSERT_EQ(th_log_count("gpio-exp:"), 0);	/* the driver logged no error */
	irqcore_shutdown();
}

static unsigned int key_request(struct key *k, unsigned int pin, const char *name)
{
	int irq = gpio_exp_to_irq(&client, pin);

	ASSERT_GT(irq, 0);
	ASSERT_EQ(request_any_context_irq((unsigned int)irq, key_fn, 0, name, k),
		  IRQC_IS_NESTED);
	return (unsigned int)irq;
}

static void toggle(unsigned int pin)
{
	sim_i2c_chip_set_pin(&chip, pin, !(sim_i2c_chip_peek(&chip, SIM_EXP_INPUT) & BIT(pin)));
}

TEST(gpio_exp_children_run_nested_in_parent_thread)
{
	struct key k;
	unsigned int irq, parent;
	char want[16];

	key_init(&k);
	setup();
	parent = (unsigned int)client.irq;
	irq = key_request(&k, 2, "key2");
	ASSERT_NE(irq, parent);
	ASSERT_EQ(irq_get_irq_data(irq)->hwirq, 2);
	ASSERT_FALSE(sim_i2c_chip_peek(&chip, SIM_EXP_IMR) & BIT(2));	/* unmasked */
	toggle(2);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&k.calls), 1);
	ASSERT_FALSE(atomic_load(&k.hardirq));
	ASSERT_TRUE(atomic_load(&k.task));
	snprintf(want, sizeof(want), "irq/%u-gpio-exp", parent);
	ASSERT_STR_EQ(k.comm, want);
	ASSERT_EQ(kstat_irqs_usr(irq), 1);
	ASSERT_EQ(kstat_irqs_usr(parent), 1);
	ASSERT_EQ(sim_i2c_chip_peek(&chip, SIM_EXP_ISR), 0);	/* read to clear */
	ASSERT_FALSE(ut_status(parent).level_asserted);		/* INT released */
	toggle(2);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&k.calls), 2);
	ASSERT_EQ(ut_status(irq).raised, 2);
	free_irq(irq, &k);
	teardown();
}

TEST(gpio_exp_one_status_read_demultiplexes_several_pins)
{
	struct key k[3];
	unsigned int irq[3], parent, reads;

	setup();
	parent = (unsigned int)client.irq;
	for (int i = 0; i < 3; i++) {
		key_init(&k[i]);
		irq[i] = key_request(&k[i], (unsigned int)(i * 3), "key");
	}
	/* the bus stalls in the status read: the parent stays masked
	 * (ONESHOT) while its thread waits there */
	atomic_store(&chip.stall_isr, true);
	reads = atomic_load(&chip.reads);
	toggle(0);
	TT_WAIT(atomic_load(&chip.in_isr_read));
	ASSERT_TRUE(ut_status(parent).masked);
	ASSERT_EQ(ut_status(parent).threads_active, 1);
	toggle(3);
	toggle(6);
	atomic_store(&chip.stall_isr, false);
	ut_quiesce();
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(atomic_load(&k[i].calls), 1);
		ASSERT_EQ(kstat_irqs_usr(irq[i]), 1);
	}
	ASSERT_EQ(kstat_irqs_usr(parent), 1);
	ASSERT_EQ(atomic_load(&chip.reads) - reads, 1);	/* one status read */
	ASSERT_FALSE(ut_status(parent).masked);
	for (int i = 0; i < 3; i++)
		free_irq(irq[i], &k[i]);
	teardown();
}

TEST(gpio_exp_free_masks_pin_request_unmasks_it)
{
	struct key k;
	unsigned int irq, parent;

	key_init(&k);
	setup();
	parent = (unsigned int)client.irq;
	irq = key_request(&k, 4, "key4");
	toggle(4);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&k.calls), 1);
	free_irq(irq, &k);				/* chip irq_mask */
	ASSERT_TRUE(sim_i2c_chip_peek(&chip, SIM_EXP_IMR) & BIT(4));
	toggle(4);					/* masked at the chip */
	ut_quiesce();
	ASSERT_EQ(sim_i2c_chip_peek(&chip, SIM_EXP_ISR), 0);
	ASSERT_EQ(kstat_irqs_usr(parent), 1);
	ASSERT_EQ(request_any_context_irq(irq, key_fn, 0, "key4", &k), IRQC_IS_NESTED);
	ASSERT_FALSE(sim_i2c_chip_peek(&chip, SIM_EXP_IMR) & BIT(4));	/* irq_unmask */
	toggle(4);
	ut_quiesce();
	ASSERT_EQ(atomic_load(&k.calls), 2);
	free_irq(irq, &k);
	teardown();
}

TEST(gpio_exp_proc_interrupts_and_trigger_types)
{
	struct key k;
	unsigned int irq;
	char *line;

	key_init(&k);
	setup();
	irq = key_request(&k, 7, "button");
	line = ut_interrupts_line(irq);
	ASSERT_TRUE(line != NULL);
	ASSERT_CONTAINS(line, "gpio-exp    7-simple    button");
	free(line);
	line = ut_interrupts_line((unsigned int)client.irq);
	ASSERT_CONTAINS(line, "-level     gpio-exp");
	free(line);
	/* the chip latches both edges only */
	ASSERT_EQ(irq_set_irq_type(irq, IRQ_TYPE_EDGE_BOTH), 0);
	ASSERT_EQ(irq_set_irq_type(irq, IRQ_TYPE_LEVEL_HIGH), -EINVAL);
	ASSERT_EQ(th_log_count("gpio-exp: pin 7: trigger type 4 not supported"), 1);
	th_log_reset();
	free_irq(irq, &k);
	teardown();
}

TEST(gpio_exp_remove_releases_int_then_domain)
{
	struct key k;
	unsigned int irq, parent;

	key_init(&k);
	setup();
	parent = (unsigned int)client.irq;
	irq = key_request(&k, 1, "key1");
	free_irq(irq, &k);
	device_release(&client.dev);
	ASSERT_EQ(ut_status(parent).nr_actions, 0);
	ASSERT_TRUE(irq_get_irq_data(irq)->domain == NULL);	/* disposed */
	ASSERT_EQ(ut_status(irq).nr_actions, 0);
	ASSERT_EQ(irq_alloc_desc(-1), (int)irq);		/* free again */
	irq_free_desc(irq);
	irq_free_desc(parent);
	ASSERT_STR_EQ(th_log_text(), "");
	irqcore_shutdown();
}

