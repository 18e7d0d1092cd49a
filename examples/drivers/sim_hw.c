/* SPDX-License-Identifier: BSD-2-Clause */
/* The simulated hardware of the example drivers (see sim_hw.h). */
#include "sim_hw.h"

#include <time.h>

static void bus_delay(const struct sim_i2c_chip *c)
{
	struct timespec ts = { 0, (long)c->bus_delay_us * 1000 };

	if (c->bus_delay_us)
		nanosleep(&ts, NULL);
}

/* INT follows ISR. c->lock held. */
static void update_int(struct sim_i2c_chip *c)
{
	bool assert = c->isr != 0;

	if (assert != c->int_asserted) {
		c->int_asserted = assert;
		irq_set_line(c->int_line, assert);
	}
}

void sim_i2c_chip_init(struct sim_i2c_chip *c, unsigned int int_line, unsigned int delay_us)
{
	pthread_mutex_init(&c->lock, NULL);
	c->input = 0;
	c->imr = 0xff;
	c->isr = 0;
	c->int_line = int_line;
	c->int_asserted = false;
	c->bus_delay_us = delay_us;
	atomic_init(&c->reads, 0);
	atomic_init(&c->writes, 0);
	atomic_init(&c->imr_writes, 0);
	atomic_init(&c->stall_isr, false);
	atomic_init(&c->in_isr_read, false);
}

void sim_i2c_chip_set_pin(struct sim_i2c_chip *c, unsigned int pin, int level)
{
	u8 bit = (u8)(1u << pin);

	pthread_mutex_lock(&c->lock);
	if (!!(c->input & bit) != !!level) {
		c->input ^= bit;
		if (!(c->imr & bit))
			c->isr |= bit;
		update_int(c);
	}
	pthread_mutex_unlock(&c->lock);
}

u8 sim_i2c_chip_peek(struct sim_i2c_chip *c, u8 reg)
{
	u8 v;

	pthread_mutex_lock(&c->lock);
	v = reg == SIM_EXP_INPUT ? c->input : reg == SIM_EXP_IMR ? c->imr : c->isr;
	pthread_mutex_unlock(&c->lock);
	return v;
}

s32 i2c_smbus_read_byte_data(const struct i2c_client *client, u8 reg)
{
	struct sim_i2c_chip *c = client->chip;
	s32 v;

	if (reg > SIM_EXP_ISR)
		return -EIO;
	if (reg == SIM_EXP_ISR) {
		atomic_store(&c->in_isr_read, true);
		while (atomic_load(&c->stall_isr)) {
			struct timespec ts = { 0, 100000 };

			nanosleep(&ts, NULL);
		}
	}
	bus_delay(c);
	atomic_fetch_add(&c->reads, 1);
	pthread_mutex_lock(&c->lock);
	switch (reg) {
	case SIM_EXP_INPUT:
		v = c->input;
		break;
	case SIM_EXP_IMR:
		v = c->imr;
		break;
	default:
		v = c->isr;
		c->isr = 0;		/* read to clear */
		update_int(c);
		break;
	}
	pthread_mutex_unlock(&c->lock);
	atomic_store(&c->in_isr_read, false);
	return v;
}

static s32 write_reg(const struct i2c_client *client, u8 reg, u8 value)
{
	struct sim_i2c_chip *c = client->chip;

	if (reg != SIM_EXP_IMR)
		return -EIO;		/* INPUT and ISR are read only */
	bus_delay(c);
	atomic_fetch_add(&c->writes, 1);
	atomic_fetch_add(&c->imr_writes, 1);
	pthread_mutex_lock(&c->lock);
	c->imr = value;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

s32 i2c_smbus_write_byte_data(const struct i2c_client *client, u8 reg, u8 value)
{
	return write_reg(client, reg, value);
}

void sim_mmio_init(struct sim_mmio_dev *d, unsigned int line)
{
	d->line = line;
	atomic_init(&d->fired, 0);
}

void sim_mmio_fire(struct sim_mmio_dev *d)
{
	atomic_fetch_add(&d->fired, 1);
	irq_raise(d->line);
}
