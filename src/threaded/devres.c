/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Managed requests (R9): a device records {irq, dev_id} for each IRQ it
 * requested through devm_*; device_release() frees them newest first.
 * Process context only (they request and free).
 */
#include "threaded.h"

#include <errno.h>
#include <stdlib.h>

struct irqcore_devres {
	struct irqcore_devres *next;
	unsigned int irq;
	void *dev_id;
};

/* Guards every device's list; request and free run outside it. */
static pthread_mutex_t devres_lock = PTHREAD_MUTEX_INITIALIZER;

void device_initialize(struct device *dev, const char *name)
{
	if (!dev)
		return;
	dev->name = name;
	dev->devres = NULL;
}

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
	dr->irq = irq;
	dr->dev_id = dev_id;
	pthread_mutex_lock(&devres_lock);
	dr->next = dev->devres;
	dev->devres = dr;
	pthread_mutex_unlock(&devres_lock);
	return 0;
}

int devm_request_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
		     unsigned long flags, const char *name, void *dev_id)
{
	/* as request_irq: a hard handler that may join a ONESHOT line */
	return devm_request_threaded_irq(dev, irq, handler, NULL, flags | IRQF_COND_ONESHOT,
					 name, dev_id);
}

static struct irqcore_devres *take_record(struct device *dev, unsigned int irq, void *dev_id)
{
	struct irqcore_devres **pp, *dr = NULL;

	pthread_mutex_lock(&devres_lock);
	for (pp = &dev->devres; *pp; pp = &(*pp)->next) {
		if ((*pp)->irq == irq && (*pp)->dev_id == dev_id) {
			dr = *pp;
			*pp = dr->next;
			break;
		}
	}
	pthread_mutex_unlock(&devres_lock);
	return dr;
}

void devm_free_irq(struct device *dev, unsigned int irq, void *dev_id)
{
	struct irqcore_devres *dr;

	if (!dev)
		return;
	if (irqc__in_handler_context()) {
		/* F3: free_irq refuses (and warns); the record stays, so that
		 * the IRQ is still released with the device */
		free_irq(irq, dev_id);
		return;
	}
	dr = take_record(dev, irq, dev_id);
	if (!dr)
		irqc_warn("devm_free_irq: IRQ %u (dev_id %p) is not managed by device %s",
			  irq, dev_id, dev->name ? dev->name : "");
	free_irq(irq, dev_id);
	free(dr);
}

void device_release(struct device *dev)
{
	if (!dev)
		return;
	if (irqc__in_handler_context()) {
		/* F3: freeing waits for handlers; nothing is released, the
		 * records stay for a release from process context */
		irqc_warn("device_release(%s) from IRQ context refused",
			  dev->name ? dev->name : "");
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
		free_irq(dr->irq, dr->dev_id);	/* newest first */
		free(dr);
	}
}
