/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * /proc-style texts and line status. Readers never stop the hot path: they
 * read counters with relaxed loads, as /proc/interrupts does.
 */
#include "stats.h"

#include <errno.h>

/* Summed in 64 bits (G6). */
uint64_t irqc__line_total(struct irq_desc *desc)
{
	uint64_t sum = 0;

	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		sum += atomic_load_explicit(irqc__kstat_slot(desc, c), memory_order_relaxed);
	return sum;
}

static uint64_t line_count(unsigned int irq)
{
	struct irq_desc *desc = irqc__desc_peek(irq);

	return desc ? irqc__line_total(desc) : 0;
}

/* Truncated to unsigned int, as the kernel's kstat_irqs_usr() is. */
unsigned int kstat_irqs_usr(unsigned int irq)
{
	IRQC_API_GUARD(0);
	if (!irqc__in_range(irq))
		return 0;
	return (unsigned int)line_count(irq);
}

static uint64_t err_total(void)
{
	uint64_t sum = atomic_load_explicit(&irqc.err_other, memory_order_relaxed);

	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		sum += atomic_load_explicit(&irqc.cpus[c].err, memory_order_relaxed);
	return sum;
}

/* Linux 6.10+: 3 digits, one more per power of ten up to nr_irqs */
static int number_width(void)
{
	int prec = 3;

	for (unsigned long j = 1000; prec < 10 && j <= irqc.nr_irqs; j *= 10)
		prec++;
	return prec;
}

/* One line of the table. The chain is walked under desc->lock: an action
 * seen there is still linked, and free_irq must take the lock to unlink it
 * (then waits, without it), so names stay valid while printed and the text
 * never waits behind a free_irq that waits for threads. */
static int show_line(FILE *out, struct irq_desc *desc, int prec)
{
	struct irqaction *a;
	int ret = 0;

	pthread_mutex_lock(&desc->lock);
	a = atomic_load(&desc->action);
	if (!a || (atomic_load(&desc->status_flags) & IRQ_HIDDEN))	/* as Linux */
		goto out;
	ret |= fprintf(out, "%*u:", prec, desc->irq);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)	/* %10u of the kernel's
								   unsigned int */
		ret |= fprintf(out, " %10u",
			       (unsigned int)atomic_load_explicit(irqc__kstat_slot(desc, c),
								  memory_order_relaxed));
	ret |= fprintf(out, " %8s", atomic_load(&desc->chip)->name ?
				    atomic_load(&desc->chip)->name : "-");
	ret |= fprintf(out, " %*lu", prec, desc->irq_data.hwirq);
	ret |= fprintf(out, "-%-8s", atomic_load(&desc->flow_name));
	ret |= fprintf(out, "  %s", a->name ? a->name : "");
	while ((a = atomic_load(&a->next)))
		ret |= fprintf(out, ", %s", a->name ? a->name : "");
	ret |= fputc('\n', out) == EOF ? -1 : 0;
out:
	pthread_mutex_unlock(&desc->lock);
	return ret < 0 ? -EIO : 0;
}

int irq_show_interrupts(FILE *out)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int prec, ret = 0;

	if (!out)
		return -EINVAL;
	prec = number_width();
	if (fprintf(out, "%*s", prec + 8, "") < 0)
		return -EIO;
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		if (fprintf(out, "CPU%-8u", c) < 0)
			return -EIO;
	if (fputc('\n', out) == EOF)
		return -EIO;
	irqc_for_each_desc(desc, it) {
		ret = show_line(out, desc, prec);
		if (ret)
			break;
	}
	if (!ret && fprintf(out, "%*s: %10u\n", prec, "ERR", (unsigned int)err_total()) < 0)
		ret = -EIO;
	return ret;
}

int irq_show_stat_intr(FILE *out)
{
	IRQC_API_GUARD(-ENODEV);
	unsigned long long total = 0;

	if (!out)
		return -EINVAL;
	for (unsigned int irq = 0; irq < irqc.nr_irqs; irq++)
		total += line_count(irq);
	if (fprintf(out, "intr %llu", total) < 0)
		return -EIO;
	for (unsigned int irq = 0; irq < irqc.nr_irqs; irq++)
		if (fprintf(out, " %u", (unsigned int)line_count(irq)) < 0)
			return -EIO;
	return fputc('\n', out) == EOF ? -EIO : 0;
}

int irq_get_status(unsigned int irq, struct irq_status *st)
{
	struct irq_desc *desc;
	int ret;
	uint64_t raised, coalesced;
	uint32_t s;

	IRQC_API_GUARD(-ENODEV);
	if (!st)
		return -EINVAL;
	ret = irqc__desc_lookup(irq, &desc);
	if (ret)
		return ret;
	s = atomic_load_explicit(&desc->state, memory_order_acquire);
	*st = (struct irq_status){ 0 };
	st->depth = atomic_load(&desc->depth);
	st->masked = s & IRQS_MASKED;
	st->started = s & IRQS_STARTED;
	st->wakeup = atomic_load_explicit(&desc->wake_depth, memory_order_relaxed) > 0;
	st->disabled = s & IRQS_DISABLED;
	st->spurious_disabled = s & IRQS_SPURIOUS;
	/* INPROGRESS, or the holder of the line's bias running it (core/bias.c) */
	st->in_progress = (s & IRQS_INPROGRESS) ||
			  atomic_load_explicit(&desc->bias_busy, memory_order_relaxed);
	st->pending = s & IRQS_PENDING;
	st->level_asserted = s & IRQS_ASSERTED;
	st->threads_oneshot = atomic_load(&desc->threads_oneshot);
	st->threads_active = atomic_load(&desc->threads_active);
	st->nr_actions = atomic_load(&desc->nr_actions);
	st->count = irqc__line_total(desc);
	st->irq_count = atomic_load_explicit(&desc->irq_count, memory_order_relaxed);
	st->irqs_unhandled = atomic_load_explicit(&desc->irqs_unhandled, memory_order_relaxed);
	irqc__counts_read(irq, &raised, &coalesced);
	st->raised = raised;
	st->coalesced = coalesced;
	st->effective_cpu = atomic_load(&desc->effective_cpu);	/* where raises go */
	st->noaction = atomic_load_explicit(&desc->noaction, memory_order_relaxed);
	st->type = atomic_load(&desc->trigger);
	return 0;
}
