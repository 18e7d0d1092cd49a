/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A UIO-style generic-IRQ driver, written as a kernel driver would be,
 * with the small UIO core it needs.
 *
 * The device cannot be quieted by the kernel side (user space owns its
 * registers), so the hard handler disables the line (disable_irq_nosync)
 * and notifies user space, which handles the device and then writes 1 to
 * re-enable the line (irqcontrol -> enable_irq). Events that arrive while
 * the line is disabled are latched by the interrupt core and delivered
 * once by enable_irq: user space sees one more event, not one per edge,
 * and none is lost (the kernel's behaviour).
 *
 * A flag under a spinlock records whether the driver disabled the line,
 * so that the handler and irqcontrol never disable twice nor enable what
 * they did not disable, whatever user space writes.
 */
#include "uio_genirq.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* ---- the UIO core ---- */

struct uio_device {
	struct device *parent;
	struct uio_info *info;
	atomic_uint event;		/* events so far */
	int efd;			/* wakes readers (an eventfd never blocks
					   its writer: callable from a handler) */
};

void uio_event_notify(struct uio_info *info)
{
	struct uio_device *idev = info->uio_dev;
	uint64_t one = 1;

	/* seq_cst: the count before the wake-up; the reader loads it after
	 * its poll returned (the eventfd's write/read order them) */
	atomic_fetch_add(&idev->event, 1);
	if (write(idev->efd, &one, sizeof(one)) != sizeof(one))
		dev_err(idev->parent, "uio: cannot wake readers\n");
}

static irqreturn_t uio_interrupt(int irq, void *dev_id)
{
	struct uio_device *idev = dev_id;
	irqreturn_t ret = idev->info->handler(irq, idev->info);

	if (ret == IRQ_HANDLED)
		uio_event_notify(idev->info);
	return ret;
}

static void uio_unregister(void *data)
{
	struct uio_device *idev = data;

	close(idev->efd);
	idev->info->uio_dev = NULL;
}

int devm_uio_register_device(struct device *parent, struct uio_info *info)
{
	struct uio_device *idev;
	int ret;

	if (!parent || !info || !info->name || !info->handler || info->irq <= 0)
		return -EINVAL;
	idev = devm_kzalloc(parent, sizeof(*idev), GFP_KERNEL);
	if (!idev)
		return -ENOMEM;
	idev->parent = parent;
	idev->info = info;
	idev->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (idev->efd < 0)
		return -errno;
	info->uio_dev = idev;
	ret = devm_add_action_or_reset(parent, uio_unregister, idev);
	if (ret)
		return ret;
	return devm_request_irq(parent, (unsigned int)info->irq, uio_interrupt, info->irq_flags,
				info->name, idev);
}

int uio_read(struct uio_info *info, u32 *count, int timeout_ms)
{
	struct uio_device *idev = info->uio_dev;
	uint64_t v;

	for (;;) {
		u32 now = atomic_load(&idev->event);
		struct pollfd p = { .fd = idev->efd, .events = POLLIN };

		if (now != *count) {
			*count = now;
			return 0;
		}
		if (poll(&p, 1, timeout_ms) == 0)
			return -ETIMEDOUT;
		if (read(idev->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -errno;
	}
}

int uio_write(struct uio_info *info, s32 irq_on)
{
	if (!info->irqcontrol)
		return -ENOSYS;
	return info->irqcontrol(info, irq_on);
}

/* ---- the driver ---- */

#define UIO_IRQ_DISABLED	0

struct uio_genirq {
	struct uio_info info;
	spinlock_t lock;
	unsigned long flags;		/* UIO_IRQ_DISABLED */
	struct platform_device *pdev;
};

static irqreturn_t uio_genirq_handler(int irq, struct uio_info *info)
{
	struct uio_genirq *priv = info->priv;

	/* the device keeps its interrupt until user space handles it: keep
	 * the line off until then */
	spin_lock(&priv->lock);
	if (!(priv->flags & BIT(UIO_IRQ_DISABLED))) {
		priv->flags |= BIT(UIO_IRQ_DISABLED);
		disable_irq_nosync((unsigned int)irq);
	}
	spin_unlock(&priv->lock);
	return IRQ_HANDLED;
}

static int uio_genirq_irqcontrol(struct uio_info *info, s32 irq_on)
{
	struct uio_genirq *priv = info->priv;
	unsigned long flags;

	spin_lock_irqsave(&priv->lock, flags);
	if (irq_on && (priv->flags & BIT(UIO_IRQ_DISABLED))) {
		priv->flags &= ~BIT(UIO_IRQ_DISABLED);
		enable_irq((unsigned int)info->irq);
	} else if (!irq_on && !(priv->flags & BIT(UIO_IRQ_DISABLED))) {
		priv->flags |= BIT(UIO_IRQ_DISABLED);
		disable_irq_nosync((unsigned int)info->irq);
	}
	spin_unlock_irqrestore(&priv->lock, flags);
	return 0;
}

struct uio_info *uio_pdrv_genirq_info(struct platform_device *pdev)
{
	struct uio_genirq *priv = dev_get_drvdata(&pdev->dev);

	return priv ? &priv->info : NULL;
}

int uio_pdrv_genirq_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct uio_genirq *priv;
	int irq, ret;

	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return dev_err_probe(dev, irq, "no interrupt\n");
	priv = devm_kzalloc(dev, sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	priv->pdev = pdev;
	spin_lock_init(&priv->lock);
	priv->info.name = dev_name(dev);
	priv->info.irq = irq;
	priv->info.priv = priv;
	priv->info.handler = uio_genirq_handler;
	priv->info.irqcontrol = uio_genirq_irqcontrol;
	dev_set_drvdata(dev, priv);
	ret = devm_uio_register_device(dev, &priv->info);
	if (ret)
		return dev_err_probe(dev, ret, "cannot register the UIO device\n");
	return 0;
}
