/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port.h — private to src/port, the porting kit behind
 * include/irqcore/linux.h: spinlocks, bottom halves, irq domains, devres
 * and printing. It sits on the core's private interface (internal.h) and
 * adds nothing to it.
 */
#ifndef IRQCORE_PORT_H
#define IRQCORE_PORT_H

#include "internal.h"
#include "irqcore/linux.h"

/* This thread's kernel thread id, cached (spinlock owners). */
int irqc__port_tid(void);

#endif
