/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shim.h — what the example drivers need from the kernel beyond
 * interrupts, which irqcore/linux.h does not offer: fixed-size integers,
 * BIT(), a sleeping mutex, allocation, and the bus and platform devices
 * that the simulated hardware (sim_hw.c) implements. A real port has a
 * file like this one, written against its own bus (UIO/VFIO mappings,
 * i2c-dev, spidev).
 */
#ifndef EXAMPLES_DRIVERS_SHIM_H
#define EXAMPLES_DRIVERS_SHIM_H

#include <irqcore/linux.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef int32_t s32;

#define BIT(n)		(1ul << (n))

/* Sleeping locks: process context and irq threads only. */
struct mutex {
	pthread_mutex_t m;
};
#define mutex_init(x)	pthread_mutex_init(&(x)->m, NULL)
#define mutex_lock(x)	pthread_mutex_lock(&(x)->m)
#define mutex_unlock(x)	pthread_mutex_unlock(&(x)->m)
#define mutex_destroy(x) pthread_mutex_destroy(&(x)->m)

/* Managed zeroed allocation: freed by device_release(), in devres order. */
static inline void *devm_kzalloc(struct device *dev, size_t size, int gfp)
{
	void *p = calloc(1, size);

	(void)gfp;
	if (p && devm_add_action_or_reset(dev, free, p))
		return NULL;
	return p;
}
#define GFP_KERNEL	0

/* A device on a slow bus (sim_hw.c plays the chip behind it). */
struct i2c_client {
	struct device dev;
	unsigned short addr;
	int irq;			/* the line its INT pin is wired to */
	struct sim_i2c_chip *chip;	/* the simulated chip */
};
/* SMBus byte transfers: they sleep (a bus transaction). The value, or a
 * negative errno. */
s32 i2c_smbus_read_byte_data(const struct i2c_client *client, u8 reg);
s32 i2c_smbus_write_byte_data(const struct i2c_client *client, u8 reg, u8 value);

/* A memory-mapped device with one interrupt line (sim_hw.c). */
struct platform_device {
	struct device dev;
	int irq;
	struct sim_mmio_dev *hw;
};
static inline int platform_get_irq(struct platform_device *pdev, unsigned int num)
{
	return num == 0 && pdev->irq > 0 ? pdev->irq : -ENXIO;
}

#endif
