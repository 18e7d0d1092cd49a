/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An I2C GPIO expander's interrupt controller, written as a kernel driver
 * would be (it uses only kernel names: irqcore/linux.h, and shim.h for the
 * bus). The expander latches a change of any unmasked input pin in its
 * interrupt status register (read to clear) and pulls its INT output,
 * wired to a line of the "SoC" (client->irq), while a bit is latched.
 *
 *  - INT is requested as a threaded ONESHOT interrupt: reading the status
 *    register is a bus transaction that sleeps, so it happens in the irq
 *    thread, with the parent line masked meanwhile.
 *  - Each pin is a child interrupt in a linear irq domain, created on
 *    demand (gpio_exp_to_irq); children are nested: their handlers run in
 *    the parent's thread through handle_nested_irq().
 *  - The chip's irq_mask/irq_unmask keep a shadow of the mask register;
 *    irq_bus_lock/irq_bus_sync_unlock (a slow-bus chip) write it to the
 *    expander once per configuration call, from process context. A fresh
 *    pin starts masked; requesting it starts it (irq_unmask, as the
 *    kernel's default startup).
 */
#include "gpio_expander.h"

#include "sim_hw.h"		/* register numbers of the simulated chip */

struct gpio_exp {
	struct i2c_client *client;
	struct irq_domain *domain;
	struct mutex irq_lock;		/* bus lock: one configuration at a time */
	spinlock_t lock;		/* irq_mask */
	u8 irq_mask;			/* shadow of the IMR: bit set = masked */
	u8 irq_mask_hw;			/* what the chip holds (bus lock path) */
};

static void gpio_exp_irq_mask(struct irq_data *d)
{
	struct gpio_exp *exp = d->chip_data;
	unsigned long flags;

	spin_lock_irqsave(&exp->lock, flags);
	exp->irq_mask |= (u8)BIT(d->hwirq);	/* to the chip at sync_unlock */
	spin_unlock_irqrestore(&exp->lock, flags);
}

static void gpio_exp_irq_unmask(struct irq_data *d)
{
	struct gpio_exp *exp = d->chip_data;
	unsigned long flags;

	spin_lock_irqsave(&exp->lock, flags);
	exp->irq_mask &= (u8)~BIT(d->hwirq);	/* to the chip at sync_unlock */
	spin_unlock_irqrestore(&exp->lock, flags);
}

/* The chip latches both edges of every pin, and nothing else. */
static int gpio_exp_irq_set_type(struct irq_data *d, unsigned int type)
{
	struct gpio_exp *exp = d->chip_data;

	if (type != IRQ_TYPE_NONE && type != IRQ_TYPE_EDGE_BOTH) {
		dev_err(&exp->client->dev, "pin %lu: trigger type %u not supported\n",
			d->hwirq, type);
		return -EINVAL;
	}
	return 0;
}

static void gpio_exp_irq_bus_lock(struct irq_data *d)
{
	struct gpio_exp *exp = d->chip_data;

	mutex_lock(&exp->irq_lock);
}

/* Process context, after the configuration call: the one bus write. */
static void gpio_exp_irq_bus_sync_unlock(struct irq_data *d)
{
	struct gpio_exp *exp = d->chip_data;
	unsigned long flags;
	u8 mask;

	spin_lock_irqsave(&exp->lock, flags);
	mask = exp->irq_mask;
	spin_unlock_irqrestore(&exp->lock, flags);
	if (mask != exp->irq_mask_hw) {
		if (i2c_smbus_write_byte_data(exp->client, SIM_EXP_IMR, mask) < 0)
			dev_err(&exp->client->dev, "cannot write the interrupt mask\n");
		else
			exp->irq_mask_hw = mask;
	}
	mutex_unlock(&exp->irq_lock);
}

static const struct irq_chip gpio_exp_irq_chip = {
	.name = "gpio-exp",
	.irq_mask = gpio_exp_irq_mask,
	.irq_unmask = gpio_exp_irq_unmask,
	.irq_set_type = gpio_exp_irq_set_type,
	.irq_bus_lock = gpio_exp_irq_bus_lock,
	.irq_bus_sync_unlock = gpio_exp_irq_bus_sync_unlock,
};

static int gpio_exp_irq_map(struct irq_domain *d, unsigned int virq, irq_hw_number_t hw)
{
	struct gpio_exp *exp = d->host_data;
	int ret;

	ret = irq_set_chip_data(virq, exp);
	if (!ret)
		ret = irq_set_chip_and_handler_name(virq, &gpio_exp_irq_chip, handle_simple_irq,
						    NULL);
	if (!ret)
		ret = irq_set_nested_thread(virq, true);
	if (!ret)
		ret = irq_set_status_flags(virq, IRQ_NOPROBE);
	return ret;
}

static void gpio_exp_irq_unmap(struct irq_domain *d, unsigned int virq)
{
	irq_set_nested_thread(virq, false);
	irq_set_chip_and_handler_name(virq, NULL, NULL, NULL);
	irq_set_chip_data(virq, NULL);
}

static const struct irq_domain_ops gpio_exp_domain_ops = {
	.map = gpio_exp_irq_map,
	.unmap = gpio_exp_irq_unmap,
	.xlate = irq_domain_xlate_twocell,
};

/* INT: the status register says which pins changed. */
static irqreturn_t gpio_exp_irq_thread(int irq, void *data)
{
	struct gpio_exp *exp = data;
	unsigned long pending, flags;
	s32 status;

	status = i2c_smbus_read_byte_data(exp->client, SIM_EXP_ISR);
	if (status < 0) {
		dev_err(&exp->client->dev, "cannot read the interrupt status: %d\n", status);
		return IRQ_NONE;
	}
	spin_lock_irqsave(&exp->lock, flags);
	pending = (unsigned long)status & ~(unsigned long)exp->irq_mask;
	spin_unlock_irqrestore(&exp->lock, flags);
	if (!pending)
		return IRQ_NONE;
	for (unsigned int hw = 0; hw < GPIO_EXP_NGPIO; hw++) {
		unsigned int child;

		if (!(pending & BIT(hw)))
			continue;
		child = irq_find_mapping(exp->domain, hw);
		if (child)
			handle_nested_irq(child);
		else
			dev_warn(&exp->client->dev, "pin %u fired without a mapping\n", hw);
	}
	return IRQ_HANDLED;
}

int gpio_exp_to_irq(struct i2c_client *client, unsigned int offset)
{
	struct gpio_exp *exp = dev_get_drvdata(&client->dev);
	unsigned int virq;

	if (!exp || offset >= GPIO_EXP_NGPIO)
		return -EINVAL;
	virq = irq_create_mapping(exp->domain, offset);
	return virq ? (int)virq : -ENXIO;
}

static void gpio_exp_remove_domain(void *data)
{
	struct gpio_exp *exp = data;

	irq_domain_remove(exp->domain);
	mutex_destroy(&exp->irq_lock);
}

int gpio_exp_probe(struct i2c_client *client)
{
	struct device *dev = &client->dev;
	struct gpio_exp *exp;
	int ret;

	if (client->irq <= 0)
		return dev_err_probe(dev, -EINVAL, "no interrupt line\n");
	exp = devm_kzalloc(dev, sizeof(*exp), GFP_KERNEL);
	if (!exp)
		return -ENOMEM;
	exp->client = client;
	mutex_init(&exp->irq_lock);
	spin_lock_init(&exp->lock);

	/* every pin masked, stale status cleared, before INT is requested */
	exp->irq_mask = exp->irq_mask_hw = 0xff;
	ret = i2c_smbus_write_byte_data(client, SIM_EXP_IMR, exp->irq_mask);
	if (ret < 0)
		return dev_err_probe(dev, ret, "cannot mask the pins\n");
	ret = i2c_smbus_read_byte_data(client, SIM_EXP_ISR);
	if (ret < 0)
		return dev_err_probe(dev, ret, "cannot read the interrupt status\n");

	exp->domain = irq_domain_create_linear(dev_fwnode(dev), GPIO_EXP_NGPIO,
					       &gpio_exp_domain_ops, exp);
	if (!exp->domain)
		return -ENOMEM;
	/* registered before INT: released after it (devres order) */
	ret = devm_add_action_or_reset(dev, gpio_exp_remove_domain, exp);
	if (ret)
		return ret;
	dev_set_drvdata(dev, exp);

	ret = devm_request_threaded_irq(dev, (unsigned int)client->irq, NULL,
					gpio_exp_irq_thread,
					IRQF_ONESHOT | IRQF_TRIGGER_LOW, dev_name(dev), exp);
	if (ret)
		return dev_err_probe(dev, ret, "cannot request IRQ %d\n", client->irq);
	dev_info(dev, "%d pins, interrupts on IRQ %d\n", GPIO_EXP_NGPIO, client->irq);
	return 0;
}
