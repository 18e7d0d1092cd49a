/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Affinity: which CPUs a line may go to (its mask, or its hint), and the one
 * it goes to (its effective CPU). Raisers read the effective CPU with a
 * relaxed load; during a change they may route to either CPU, and the
 * line's ownership (INPROGRESS, core/flow.c) keeps it from running on two
 * CPUs at once, while its pending bit on the old CPU is drained there (A1).
 *
 * Placement (A7), as the kernel's vector matrix: a line goes to the online
 * CPU of its mask with the fewest lines, so no CPU gets more than its share
 * of the lines whose masks allow it. nr_lines counts each CPU's requested
 * lines (desc->counted): one more at request, one less at the last free,
 * moved with the line by an affinity change or a CPU going offline (A6,
 * hotplug.c). Every change of the counts, of a counted line's CPU and of a
 * CPU's offline flag, and every pick that reads them, is made under
 * place_lock, so lines placed at once see each other and the spread is
 * exact. On a tie a line keeps its CPU (a move costs its caches and its
 * thread's migration), else goes to the CPU that runs closest to it (same
 * PU, core, cache, NUMA node: topology.c), else to the lowest-numbered one.
 * Lock order: hotplug_lock, desc->lock, then default_lock
 * or place_lock, never both.
 *
 * Placement of dispatcher threads on processing units is topology.c's; an
 * irq thread follows its line's CPU (threaded/sched.c binds it).
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>

static void valid_cpus(const cpu_set_t *in, cpu_set_t *out)
{
	CPU_ZERO(out);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		if (CPU_ISSET(c, in))
			CPU_SET(c, out);
}

/* ---- placement ---- */

/* The CPU line desc is on, for its own writers (desc->lock held). */
static unsigned int eff_of(struct irq_desc *desc)
{
	/* relaxed: only writers read it here, and they hold desc->lock */
	return (unsigned int)atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed);
}

bool irqc__cpu_is_online(unsigned int c)
{
	/* relaxed: written under place_lock, which orders it for the pickers;
	 * a lock-free reader (a fresh line) is corrected by the offline walk */
	return !atomic_load_explicit(&irqc.cpus[c].offline, memory_order_relaxed);
}

unsigned int irqc__online_from(unsigned int c)
{
	if (!irqc.cpus)		/* lines set up before the CPUs */
		return c;
	for (unsigned int i = 0; i < irqc.nr_cpus; i++)
		if (irqc__cpu_is_online((c + i) % irqc.nr_cpus))
			return (c + i) % irqc.nr_cpus;
	return c;		/* not reached: one CPU is always online */
}

/* The online CPUs of mask, in out: false when there are none. */
static bool online_of(const cpu_set_t *mask, cpu_set_t *out)
{
	CPU_ZERO(out);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		if (CPU_ISSET(c, mask) && irqc__cpu_is_online(c))
			CPU_SET(c, out);
	return CPU_COUNT(out) > 0;
}

/* Does c win a tie against best, for a line on cur? cur itself wins, then
 * the CPU that runs closest to it (same PU, core, cache, node), then the
 * lower number (c > best: the loop goes up). */
static bool wins_tie(unsigned int c, unsigned int best, int *best_close, int cur)
{
	int close;

	if ((int)best == cur)
		return false;
	if ((int)c == cur)
		return true;
	close = irqc__topo_closeness(c, (unsigned int)cur);
	if (*best_close == INT_MIN)
		*best_close = irqc__topo_closeness(best, (unsigned int)cur);
	if (close <= *best_close)
		return false;
	*best_close = close;
	return true;
}

/* The least loaded CPU of cand: the line's own count is not held against
 * its current CPU, which wins a tie (wins_tie). place_lock held. */
static unsigned int least_loaded(struct irq_desc *desc, const cpu_set_t *cand)
{
	int cur = atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed);
	unsigned int best = 0, best_load = UINT_MAX;
	int best_close = INT_MIN;		/* INT_MIN: not looked up yet */

	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		unsigned int load;

		if (!CPU_ISSET(c, cand))
			continue;
		/* relaxed: every change of the counts is under place_lock */
		load = atomic_load_explicit(&irqc.cpus[c].nr_lines, memory_order_relaxed);
		if (desc->counted && (int)c == cur)
			load--;
		if (load < best_load) {
			best = c;
			best_load = load;
			best_close = INT_MIN;
		} else if (load == best_load && wins_tie(c, best, &best_close, cur)) {
			best = c;
		}
	}
	return best;
}

/* The line goes to CPU to, its count with it. place_lock held. */
static void move_locked(struct irq_desc *desc, unsigned int to)
{
	int cur = atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed);

	if (desc->counted && cur != (int)to) {
		/* relaxed: place_lock orders the counts */
		atomic_fetch_sub_explicit(&irqc.cpus[cur].nr_lines, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&irqc.cpus[to].nr_lines, 1, memory_order_relaxed);
	}
	/* relaxed: raisers may route to either CPU during the change (A1);
	 * INPROGRESS keeps the line single-threaded, and a bit left on the
	 * old CPU is drained there, offline or not (hotplug.c) */
	atomic_store_explicit(&desc->effective_cpu, (int)to, memory_order_relaxed);
}

/*
 * Put line desc on the least loaded online CPU of mask; when mask has none,
 * of the default mask, and when that has none, of every CPU: the affinity is
 * "broken" (returns true). count: the line is being requested, count it.
 * desc->lock held.
 */
static bool place(struct irq_desc *desc, const cpu_set_t *mask, bool count)
{
	cpu_set_t dflt, all, cand;
	bool broken;

	pthread_mutex_lock(&irqc.default_lock);
	dflt = irqc.default_affinity;
	pthread_mutex_unlock(&irqc.default_lock);
	CPU_ZERO(&all);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		CPU_SET(c, &all);
	pthread_mutex_lock(&irqc.place_lock);
	broken = !online_of(mask, &cand);
	if (broken && !online_of(&dflt, &cand))
		online_of(&all, &cand);
	move_locked(desc, least_loaded(desc, &cand));
	if (count && !desc->counted) {
		desc->counted = true;
		/* relaxed: place_lock orders the counts */
		atomic_fetch_add_explicit(
			&irqc.cpus[eff_of(desc)].nr_lines, 1,
			memory_order_relaxed);
	}
	pthread_mutex_unlock(&irqc.place_lock);
	return broken;
}

static bool any_online(const cpu_set_t *mask)
{
	cpu_set_t on;

	return online_of(mask, &on);
}

static void warn_broken(struct irq_desc *desc)
{
	irqc_warn("irq %u: no online CPU left in its affinity mask: affinity broken, "
		  "now on CPU%u", desc->irq, eff_of(desc));
}

/* irq_set_affinity: the line is placed again within its new mask. */
void irqc__assign_effective(struct irq_desc *desc, const cpu_set_t *mask)
{
	desc->home_cpu = -1;		/* the caller decided */
	if (place(desc, mask, false) && desc->counted)
		warn_broken(desc);
}

void irqc__place_line(struct irq_desc *desc)
{
	if (!desc->affinity_set) {
		pthread_mutex_lock(&irqc.default_lock);
		desc->affinity = irqc.default_affinity;
		pthread_mutex_unlock(&irqc.default_lock);
	}
	desc->home_cpu = -1;
	if (place(desc, &desc->affinity, true))
		warn_broken(desc);
}

void irqc__unplace_line(struct irq_desc *desc)
{
	pthread_mutex_lock(&irqc.place_lock);
	if (desc->counted) {
		/* relaxed: place_lock orders the counts */
		atomic_fetch_sub_explicit(
			&irqc.cpus[eff_of(desc)].nr_lines, 1,
			memory_order_relaxed);
		desc->counted = false;
	}
	pthread_mutex_unlock(&irqc.place_lock);
}

void irqc__evacuate_line(struct irq_desc *desc)
{
	if (place(desc, &desc->affinity, false) && (desc->counted || desc->affinity_set))
		warn_broken(desc);
}

void irqc__move_line(struct irq_desc *desc, unsigned int cpu)
{
	pthread_mutex_lock(&irqc.place_lock);
	move_locked(desc, cpu);
	pthread_mutex_unlock(&irqc.place_lock);
}

/* ---- the default mask (/proc/irq/default_smp_affinity) ---- */

void irqc__affinity_init(void)
{
	pthread_mutex_init(&irqc.default_lock, NULL);
	pthread_mutex_init(&irqc.place_lock, NULL);
	pthread_mutex_init(&irqc.hotplug_lock, NULL);
	irqc.nr_online = irqc.nr_cpus;
	CPU_ZERO(&irqc.default_affinity);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		CPU_SET(c, &irqc.default_affinity);
}

void irqc__affinity_fini(void)
{
	pthread_mutex_destroy(&irqc.hotplug_lock);
	pthread_mutex_destroy(&irqc.place_lock);
	pthread_mutex_destroy(&irqc.default_lock);
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
	if (!any_online(&valid)) {
		irqc_warn("irq_set_affinity(%u): no online CPU in the mask", irq);
		return -EINVAL;
	}
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
