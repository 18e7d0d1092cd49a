/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dev_err() and friends: messages through irqcore's log callback.
 */
#include "port.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define EPROBE_DEFER	517	/* the kernel's value */

static void vprintk_dev(int level, const struct device *dev, const char *prefix,
			const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt ? fmt : "", ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')	/* kernel messages end with one */
		msg[n - 1] = '\0';
	if (dev)
		irqc__log(level, "%s: %s%s", dev_name(dev), prefix, msg);
	else
		irqc__log(level, "%s%s", prefix, msg);
}

void irqcore_dev_printk(int level, const struct device *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk_dev(level, dev, "", fmt, ap);
	va_end(ap);
}

int dev_err_probe(const struct device *dev, int err, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "error %d: ", err);
	va_start(ap, fmt);
	vprintk_dev(err == -EPROBE_DEFER ? IRQCORE_LOG_DEBUG : IRQCORE_LOG_ERR, dev, prefix,
		    fmt, ap);
	va_end(ap);
	return err;
}
