/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Affinity: which CPUs a line may go to (its mask, or its hint), and the one
 * it goes to (its effective CPU): the least loaded CPU of the mask, kept as
 * long as it stays in the mask. Raisers read the effective CPU with a
 * relaxed load; during a change they may route to either CPU, and the
 * line's ownership (INPROGRESS, core/flow.c) keeps it from running on two
 * CPUs at once, while its pending bit on the old CPU is drained there (A1).
 * Placement of dispatcher threads on processing units is topology.c's; an
 * irq thread follows its line's CPU (threaded/sched.c binds it).
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static void valid_cpus(const cpu_set_t *in, cpu_set_t *out)
{
	CPU_ZERO(out);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		if (CPU_ISSET(c, in))
			CPU_SET(c, out);
}

/* Pick the effective CPU of a line from mask: keep the current one if it is
 * in the mask, else the least loaded CPU of the mask. desc->lock held. */
void irqc__assign_effective(struct irq_desc *desc, const cpu_set_t *mask)
{
	int cur = atomic_load(&desc->effective_cpu), best = -1;
	unsigned int best_load = ~0u;
	bool counted = atomic_load(&desc->nr_actions) > 0;

	if (cur >= 0 && CPU_ISSET((unsigned int)cur, mask))
		return;
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		unsigned int load;

		if (!CPU_ISSET(c, mask))
			continue;
		load = atomic_load_explicit(&irqc.cpus[c].nr_lines, memory_order_relaxed);
		if (load < best_load) {
			best_load = load;
			best = (int)c;
		}
	}
	if (best < 0)
		return;
	if (counted) {
		atomic_fetch_sub(&irqc.cpus[cur].nr_lines, 1);
		atomic_fetch_add(&irqc.cpus[best].nr_lines, 1);
	}
	/* relaxed: raisers may route to either CPU during the change (A1);
	 * INPROGRESS keeps the line single-threaded */
	atomic_store_explicit(&desc->effective_cpu, best, memory_order_relaxed);
}

/* ---- the default mask (/proc/irq/default_smp_affinity) ---- */

void irqc__affinity_init(void)
{
	pthread_mutex_init(&irqc.default_lock, NULL);
	CPU_ZERO(&irqc.default_affinity);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		CPU_SET(c, &irqc.default_affinity);
}

void irqc__affinity_fini(void)
{
	pthread_mutex_destroy(&irqc.default_lock);
}

void irqc__assign_default(struct irq_desc *desc)
{
	pthread_mutex_lock(&irqc.default_lock);
	desc->affinity = irqc.default_affinity;
	pthread_mutex_unlock(&irqc.default_lock);
	irqc__assign_effective(desc, &desc->affinity);
}

int irq_set_default_affinity(const cpu_set_t *mask)
{
	IRQC_API_GUARD(-ENODEV);
	cpu_set_t valid;

	if (!mask)
		return -EINVAL;
	valid_cpus(mask, &valid);	/* as irq_set_affinity */
	if (CPU_COUNT(&valid) == 0) {
		irqc_warn("irq_set_default_affinity: the mask names none of the %u dispatchers",
			  irqc.nr_cpus);
		return -EINVAL;
	}
	pthread_mutex_lock(&irqc.default_lock);
	irqc.default_affinity = valid;
	pthread_mutex_unlock(&irqc.default_lock);
	return 0;
}

int irq_get_default_affinity(cpu_set_t *mask)
{
	IRQC_API_GUARD(-ENODEV);

	if (!mask)
		return -EINVAL;
	pthread_mutex_lock(&irqc.default_lock);
	*mask = irqc.default_affinity;
	pthread_mutex_unlock(&irqc.default_lock);
	return 0;
}

/* ---- the public calls ---- */

int irq_set_affinity(unsigned int irq, const cpu_set_t *mask)
{
	const struct irq_chip *chip, *bus;
	struct irq_desc *desc;
	cpu_set_t valid;
	int ret = 0;

	IRQC_API_GUARD(-ENODEV);
	if (!irqc__in_range(irq) || !mask)
		return -EINVAL;
	valid_cpus(mask, &valid);
	if (CPU_COUNT(&valid) == 0)
		return -EINVAL;
	desc = irqc__desc_get(irq);
	if (!desc)
		return -ENOMEM;
	bus = irqc__bus_lock(desc);		/* slow-bus chips (C2) */
	pthread_mutex_lock(&desc->lock);
	chip = atomic_load(&desc->chip);
	if (chip->irq_set_affinity) {
		irqc__chip_lock(desc);
		ret = chip->irq_set_affinity(&desc->irq_data, &valid, false);
		irqc__chip_unlock(desc);
	}
	if (ret >= 0) {
		ret = 0;
		desc->affinity = valid;
		desc->affinity_set = true;
		irqc__assign_effective(desc, &valid);
		irqc__exp_publish(desc);
	}
	pthread_mutex_unlock(&desc->lock);
	irqc__bus_sync_unlock(desc, bus);
	return ret;
}

/* The line of a getter: -EINVAL NULL mask (or out of range), -ENODEV. */
static int getter_line(unsigned int irq, cpu_set_t *mask, struct irq_desc **desc)
{
	if (!mask)
		return irqc__up() ? -EINVAL : -ENODEV;
	return irqc__desc_lookup(irq, desc);
}

int irq_get_affinity(unsigned int irq, cpu_set_t *mask)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int ret = getter_line(irq, mask, &desc);

	if (ret)
		return ret;
	pthread_mutex_lock(&desc->lock);
	*mask = desc->affinity;
	pthread_mutex_unlock(&desc->lock);
	return 0;
}

int irq_get_effective_affinity(unsigned int irq, cpu_set_t *mask)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int ret = getter_line(irq, mask, &desc);

	if (ret)
		return ret;
	CPU_ZERO(mask);
	CPU_SET((unsigned int)atomic_load(&desc->effective_cpu), mask);
	return 0;
}

int irq_set_affinity_hint(unsigned int irq, const cpu_set_t *mask)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int ret;

	ret = irqc__desc_lookup(irq, &desc);
	if (ret)
		return ret;
	if (mask) {
		cpu_set_t valid;

		valid_cpus(mask, &valid);
		if (CPU_COUNT(&valid) == 0)
			return -EINVAL;
	}
	pthread_mutex_lock(&desc->lock);
	desc->has_hint = mask != NULL;
	if (mask)
		desc->hint = *mask;
	else
		CPU_ZERO(&desc->hint);
	pthread_mutex_unlock(&desc->lock);
	return mask ? irq_set_affinity(irq, mask) : 0;
}

/* ---- text views, in the kernel's /proc/irq/N formats ---- */

/* The hex mask: nr_cpus bits in groups of 32, most significant first, the
 * first group as wide as its bits need, the others 8 digits. */
static int put_hex(FILE *out, const cpu_set_t *m)
{
	unsigned int groups = (irqc.nr_cpus + 31) / 32;
	int ret = 0;

	for (unsigned int g = groups; g-- > 0;) {
		unsigned int bits = g == groups - 1 ? irqc.nr_cpus - g * 32 : 32;
		uint32_t v = 0;

		for (unsigned int b = 0; b < bits; b++)
			if (CPU_ISSET(g * 32 + b, m))
				v |= 1u << b;
		if (fprintf(out, "%s%0*x", g == groups - 1 ? "" : ",", (int)((bits + 3) / 4),
			    v) < 0)
			ret = -EIO;
	}
	return fputc('\n', out) == EOF ? -EIO : ret;
}

/* The list: ascending ranges "a-b" or single CPUs, comma separated. */
static int put_list(FILE *out, const cpu_set_t *m)
{
	const char *sep = "";
	int ret = 0;

	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		unsigned int e = c;

		if (!CPU_ISSET(c, m))
			continue;
		while (e + 1 < irqc.nr_cpus && CPU_ISSET(e + 1, m))
			e++;
		if ((e > c ? fprintf(out, "%s%u-%u", sep, c, e) :
			     fprintf(out, "%s%u", sep, c)) < 0)
			ret = -EIO;
		sep = ",";
		c = e;
	}
	return fputc('\n', out) == EOF ? -EIO : ret;
}

static int show(unsigned int irq, FILE *out, bool effective, bool list)
{
	IRQC_API_GUARD(-ENODEV);
	cpu_set_t m;
	int ret;

	if (!out)
		return -EINVAL;
	ret = effective ? irq_get_effective_affinity(irq, &m) : irq_get_affinity(irq, &m);
	if (ret)
		return ret;
	return list ? put_list(out, &m) : put_hex(out, &m);
}

int irq_show_smp_affinity(unsigned int irq, FILE *out)
{
	return show(irq, out, false, false);
}

int irq_show_smp_affinity_list(unsigned int irq, FILE *out)
{
	return show(irq, out, false, true);
}

int irq_show_effective_affinity(unsigned int irq, FILE *out)
{
	return show(irq, out, true, false);
}

int irq_show_effective_affinity_list(unsigned int irq, FILE *out)
{
	return show(irq, out, true, true);
}
