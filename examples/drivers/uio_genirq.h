/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * uio_genirq.c's entry points: a minimal UIO core (the kernel's
 * drivers/uio shape: an event counter that interrupt handlers bump and
 * that "user space" reads, and an irqcontrol write) and a generic-IRQ
 * platform driver on it.
 */
#ifndef EXAMPLES_DRIVERS_UIO_GENIRQ_H
#define EXAMPLES_DRIVERS_UIO_GENIRQ_H

#include "shim.h"

#include <stdatomic.h>

struct uio_device;

struct uio_info {
	const char *name;
	long irq;
	unsigned long irq_flags;
	void *priv;
	irqreturn_t (*handler)(int irq, struct uio_info *info);
	int (*irqcontrol)(struct uio_info *info, s32 irq_on);
	struct uio_device *uio_dev;	/* the core's */
};

/* Registers info, requests info->irq with info->handler (managed: undone
 * by device_release(parent)). 0 or a negative errno. Process context. */
int devm_uio_register_device(struct device *parent, struct uio_info *info);
/* From the handler: one more event, readers woken. Any context. */
void uio_event_notify(struct uio_info *info);

/* The "user space" side of /dev/uioN. uio_read: waits until the event
 * count differs from *count (up to timeout_ms; < 0: no limit) and stores
 * the new count there; 0, -ETIMEDOUT. uio_write: irqcontrol(irq_on); 0,
 * -ENOSYS without irqcontrol. Process context; uio_read sleeps. */
int uio_read(struct uio_info *info, u32 *count, int timeout_ms);
int uio_write(struct uio_info *info, s32 irq_on);

/* The driver: binds to pdev (pdev->irq), registers a UIO device. Undone by
 * device_release(&pdev->dev). 0 or a negative errno. */
int uio_pdrv_genirq_probe(struct platform_device *pdev);
/* Its UIO info (for "user space"), NULL before probe. */
struct uio_info *uio_pdrv_genirq_info(struct platform_device *pdev);

#endif
