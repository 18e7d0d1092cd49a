/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Managed resources (R9), as the kernel's devres: a device keeps one list
 * of records, newest first, each an IRQ ({irq, dev_id}, released with
 * free_irq) or an action ({fn, data}, released by calling fn(data)).
 * device_release() releases them all in that one order, so a driver that
 * requested an IRQ after registering an action sees its IRQ freed first,
 * as in the kernel.
 *
 * The list is guarded by one mutex for every device; requests, frees and
 * actions run outside it.
 */
#include "port.h"

#include <errno.h>
#include <stdlib.h>

struct irqcore_devres {
	struct irqcore_devres *next;
	void (*action)(void *data);	/* NULL: an IRQ record */
	void *data;
	unsigned int irq;
	void *dev_id;
};

static pthread_mutex_t devres_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *devname(const struct device *dev)
{
	return dev->name ? dev->name : "";
}

void device_initialize(struct device *dev, const char *name)
{
	if (!dev)
		return;
	*dev = (struct device){ .name = name };
}

static void add_record(struct device *dev, struct irqcore_devres *dr)
{
	pthread_mutex_lock(&devres_lock);
	dr->next = dev->devres;
	dev->devres = dr;
	pthread_mutex_unlock(&devres_lock);
}

/* Unlink and return the newest record that match() accepts, NULL if none. */
static struct irqcore_devres *take_record(struct device *dev,
					  bool (*match)(const struct irqcore_devres *,
							const struct irqcore_devres *),
					  const struct irqcore_devres *key)
{
	struct irqcore_devres **pp, *dr = NULL;

	pthread_mutex_lock(&devres_lock);
	for (pp = &dev->devres; *pp; pp = &(*pp)->next) {
		if (match(*pp, key)) {
			dr = *pp;
			*pp = dr->next;
			break;
		}
	}
	pthread_mutex_unlock(&devres_lock);
	return dr;
}

static bool match_irq(const struct irqcore_devres *dr, const struct irqcore_devres *key)
{
	return !dr->action && dr->irq == key->irq && dr->dev_id == key->dev_id;
}

static bool match_action(const struct irqcore_devres *dr, const struct irqcore_devres *key)
{
	return dr->action == key->action && dr->data == key->data;
}

/* ---- IRQs ---- */

int devm_request_threaded_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
			      irq_handler_t thread_fn, unsigned long flags,
			      const char *name, void *dev_id)
{
	struct irqcore_devres *dr;
	int ret;

	if (!dev)
		return -EINVAL;
	dr = malloc(sizeof(*dr));
	if (!dr)
		return -ENOMEM;
	ret = request_threaded_irq(irq, handler, thread_fn, flags, name ? name : dev->name,
				   dev_id);
	if (ret) {
		free(dr);
		return ret;
	}
	*dr = (struct irqcore_devres){ .irq = irq, .dev_id = dev_id };
	add_record(dev, dr);
	return 0;
}

int devm_request_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
		     unsigned long flags, const char *name, void *dev_id)
{
	/* as request_irq: a hard handler that may join a ONESHOT line */
	return devm_request_threaded_irq(dev, irq, handler, NULL, flags | IRQF_COND_ONESHOT,
					 name, dev_id);
}

int devm_request_any_context_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
				 unsigned long flags, const char *name, void *dev_id)
{
	struct irqcore_devres *dr;
	int ret;

	if (!dev)
		return -EINVAL;
	dr = malloc(sizeof(*dr));
	if (!dr)
		return -ENOMEM;
	ret = request_any_context_irq(irq, handler, flags, name ? name : dev->name, dev_id);
	if (ret < 0) {
		free(dr);
		return ret;
	}
	*dr = (struct irqcore_devres){ .irq = irq, .dev_id = dev_id };
	add_record(dev, dr);
	return ret;		/* IRQC_IS_HARDIRQ or IRQC_IS_NESTED */
}

void devm_free_irq(struct device *dev, unsigned int irq, void *dev_id)
{
	struct irqcore_devres key = { .irq = irq, .dev_id = dev_id }, *dr;

	if (!dev)
		return;
	if (irqc__in_handler_context()) {
		/* F3: free_irq refuses (and warns); the record stays, so that
		 * the IRQ is still released with the device */
		free_irq(irq, dev_id);
		return;
	}
	dr = take_record(dev, match_irq, &key);
	if (!dr)
		irqc_warn("devm_free_irq: IRQ %u (dev_id %p) is not managed by device %s",
			  irq, dev_id, devname(dev));
	free_irq(irq, dev_id);
	free(dr);
}

/* ---- actions ---- */

int devm_add_action(struct device *dev, void (*action)(void *), void *data)
{
	struct irqcore_devres *dr;

	if (!dev || !action) {
		irqc_warn("devm_add_action: NULL %s", dev ? "action" : "device");
		return -EINVAL;
	}
	if (in_interrupt()) {
		irqc_warn("devm_add_action(%s) from IRQ context refused", devname(dev));
		return -EPERM;
	}
	dr = malloc(sizeof(*dr));
	if (!dr)
		return -ENOMEM;
	*dr = (struct irqcore_devres){ .action = action, .data = data };
	add_record(dev, dr);
	return 0;
}

int devm_add_action_or_reset(struct device *dev, void (*action)(void *), void *data)
{
	int ret = devm_add_action(dev, action, data);

	if (ret && action)
		action(data);
	return ret;
}

static struct irqcore_devres *take_action(struct device *dev, void (*action)(void *),
					  void *data, const char *fn)
{
	struct irqcore_devres key = { .action = action, .data = data }, *dr;

	if (!dev || !action)
		return NULL;
	dr = take_record(dev, match_action, &key);
	if (!dr)
		irqc_warn("%s: no such action on device %s", fn, devname(dev));
	return dr;
}

void devm_remove_action(struct device *dev, void (*action)(void *), void *data)
{
	free(take_action(dev, action, data, "devm_remove_action"));
}

void devm_release_action(struct device *dev, void (*action)(void *), void *data)
{
	struct irqcore_devres *dr = take_action(dev, action, data, "devm_release_action");

	if (dr) {
		dr->action(dr->data);
		free(dr);
	}
}

/* ---- release ---- */

void device_release(struct device *dev)
{
	if (!dev)
		return;
	if (irqc__in_handler_context()) {
		/* F3: freeing waits for handlers; nothing is released, the
		 * records stay for a release from process context */
		irqc_warn("device_release(%s) from IRQ context refused", devname(dev));
		return;
	}
	for (;;) {
		struct irqcore_devres *dr;

		pthread_mutex_lock(&devres_lock);
		dr = dev->devres;
		if (dr)
			dev->devres = dr->next;
		pthread_mutex_unlock(&devres_lock);
		if (!dr)
			break;
		if (dr->action)		/* newest first, IRQs and actions alike */
			dr->action(dr->data);
		else
			free_irq(dr->irq, dr->dev_id);
		free(dr);
	}
}
