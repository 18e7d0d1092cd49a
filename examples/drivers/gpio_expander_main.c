/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The GPIO expander driver on a simulated I2C chip: two "keys" on pins 0
 * and 5 are requested by a consumer driver (their handlers run nested in
 * the expander's irq thread); the "world" presses them; the program prints
 * what the handlers saw and the /proc/interrupts table, where the
 * children show the expander's chip and their pin (hwirq).
 *
 *   gpio_expander [-n PRESSES]      (default 10)
 *
 * Build (installed irqcore):
 *   cc gpio_expander_main.c gpio_expander.c sim_hw.c $(pkg-config --cflags --libs irqcore)
 * Exit status 0 when every press was seen, 1 otherwise.
 */
#include "gpio_expander.h"
#include "sim_hw.h"

#include <stdio.h>
#include <time.h>

struct key {
	const char *name;
	unsigned int pin;
	int irq;
	atomic_uint changes;
};

static irqreturn_t key_irq(int irq, void *dev_id)
{
	struct key *k = dev_id;

	atomic_fetch_add(&k->changes, 1);
	return IRQ_HANDLED;
}

int main(int argc, char **argv)
{
	struct key keys[2] = { { .name = "key-a", .pin = 0 }, { .name = "key-b", .pin = 5 } };
	struct sim_i2c_chip chip;
	struct i2c_client client = { .addr = 0x20 };
	struct irqcore_config cfg;
	unsigned int presses = 10;
	int ret, ok = 1;

	if (argc == 3 && argv[1][0] == '-' && argv[1][1] == 'n')
		presses = (unsigned int)atoi(argv[2]);
	irqcore_config_init(&cfg);
	cfg.nr_cpus = 2;
	cfg.flags = IRQCORE_F_NO_EXPORT;
	cfg.thread_priority = -1;
	if ((ret = irqcore_init(&cfg)) != 0) {
		fprintf(stderr, "irqcore_init: %d\n", ret);
		return 1;
	}
	/* the "board": the SoC line INT is wired to, chosen at run time */
	client.irq = irq_alloc_desc(-1);
	sim_i2c_chip_init(&chip, (unsigned int)client.irq, 20);
	client.chip = &chip;
	device_initialize(&client.dev, "gpio-exp");
	if ((ret = gpio_exp_probe(&client)) != 0) {
		fprintf(stderr, "probe: %d\n", ret);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		keys[i].irq = gpio_exp_to_irq(&client, keys[i].pin);
		ret = keys[i].irq < 0 ? keys[i].irq :
		      request_any_context_irq((unsigned int)keys[i].irq, key_irq, 0, keys[i].name,
					      &keys[i]);
		if (ret < 0) {
			fprintf(stderr, "%s: %d\n", keys[i].name, ret);
			return 1;
		}
	}
	for (unsigned int n = 0; n < presses; n++) {
		for (int i = 0; i < 2; i++) {
			sim_i2c_chip_set_pin(&chip, keys[i].pin, 1);	/* press */
			irqcore_quiesce(5000);
			sim_i2c_chip_set_pin(&chip, keys[i].pin, 0);	/* release */
			irqcore_quiesce(5000);
		}
	}
	for (int i = 0; i < 2; i++) {
		unsigned int c = atomic_load(&keys[i].changes);

		printf("%s (pin %u, IRQ %d): %u changes\n", keys[i].name, keys[i].pin, keys[i].irq,
		       c);
		ok &= c == 2 * presses;
	}
	printf("bus transfers: %u reads, %u writes\n", atomic_load(&chip.reads),
	       atomic_load(&chip.writes));
	irq_show_interrupts(stdout);
	for (int i = 0; i < 2; i++)
		free_irq((unsigned int)keys[i].irq, &keys[i]);
	device_release(&client.dev);
	irq_free_desc((unsigned int)client.irq);
	irqcore_shutdown();
	return ok ? 0 : 1;
}
