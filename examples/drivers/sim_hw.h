/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sim_hw.h — the simulated hardware of the example drivers, driven by the
 * example programs and their tests (the "world" outside the chips).
 *
 * sim_i2c_chip: an 8-pin GPIO expander on an I2C bus. Registers:
 *   SIM_EXP_INPUT  pin levels (read only)
 *   SIM_EXP_IMR    interrupt mask, bit set = pin masked (reset: 0xff)
 *   SIM_EXP_ISR    interrupt status: a bit is set when its unmasked pin
 *                  changes level; reading the register clears it
 * Its INT output (active low in a real board; here: asserted) is wired to
 * an irqcore line with irq_set_line(): asserted while ISR != 0. Every
 * transfer sleeps (bus_delay_us) and is counted.
 *
 * sim_mmio_dev: a device that raises edges on its irqcore line and counts
 * them.
 */
#ifndef EXAMPLES_DRIVERS_SIM_HW_H
#define EXAMPLES_DRIVERS_SIM_HW_H

#include "shim.h"

#include <stdatomic.h>
#include <stdbool.h>

enum { SIM_EXP_INPUT = 0x00, SIM_EXP_IMR = 0x01, SIM_EXP_ISR = 0x02 };

struct sim_i2c_chip {
	pthread_mutex_t lock;		/* the chip's registers */
	u8 input, imr, isr;
	unsigned int int_line;		/* irqcore line of INT */
	bool int_asserted;
	unsigned int bus_delay_us;
	atomic_uint reads, writes;	/* bus transfers */
	atomic_uint imr_writes;
	/* test hook: while set, a read of ISR waits (a stalled bus) */
	atomic_bool stall_isr;
	atomic_bool in_isr_read;
};

void sim_i2c_chip_init(struct sim_i2c_chip *c, unsigned int int_line, unsigned int delay_us);
/* The world drives pin `pin` to level (0/1). */
void sim_i2c_chip_set_pin(struct sim_i2c_chip *c, unsigned int pin, int level);
/* Register values as the chip holds them (for tests; no bus transfer). */
u8 sim_i2c_chip_peek(struct sim_i2c_chip *c, u8 reg);

struct sim_mmio_dev {
	unsigned int line;
	atomic_uint fired;		/* edges raised */
};
void sim_mmio_init(struct sim_mmio_dev *d, unsigned int line);
void sim_mmio_fire(struct sim_mmio_dev *d);	/* one event (an edge) */

#endif
