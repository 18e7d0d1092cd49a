/* SPDX-License-Identifier: BSD-2-Clause */
/* gpio_expander.c's entry points, for its board program and its test. */
#ifndef EXAMPLES_DRIVERS_GPIO_EXPANDER_H
#define EXAMPLES_DRIVERS_GPIO_EXPANDER_H

#include "shim.h"

#define GPIO_EXP_NGPIO	8

/* Bind the driver to client (client->irq: the line INT is wired to).
 * Undone by device_release(&client->dev). 0 or a negative errno. */
int gpio_exp_probe(struct i2c_client *client);
/* The interrupt line of pin offset (the gpiochip's to_irq): created on
 * first use. A line number, or a negative errno. */
int gpio_exp_to_irq(struct i2c_client *client, unsigned int offset);

#endif
