/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Line descriptors: storage, chips, flow selection, trigger types, status
 * flags, dynamic allocation.
 *
 * Every line 0..nr_irqs-1 exists from init, but its descriptor is only
 * materialized, 64 lines at a time, when something touches it: 65536 lines
 * cost a pointer array (8 KiB) until used. A chunk is published with a
 * release CAS and never freed before shutdown, so a reader that loaded the
 * pointer with acquire may use it without further synchronization.
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The soft chip has nothing to program: wake-up needs no callback. */
const struct irq_chip irqc_soft_chip = {
	.name = "irqcore",
	.flags = IRQCHIP_SKIP_SET_WAKE,
};

struct flow_name {
	irq_flow_handler_t flow;
	const char *name;
};

static const struct flow_name builtin_flows[] = {
	{ handle_edge_irq, "edge" },
	{ handle_level_irq, "level" },
	{ handle_fasteoi_irq, "fasteoi" },
	{ handle_simple_irq, "simple" },
};

bool irqc__flow_is_builtin(irq_flow_handler_t flow)
{
	for (size_t i = 0; i < sizeof(builtin_flows) / sizeof(builtin_flows[0]); i++)
		if (builtin_flows[i].flow == flow)
			return true;
	return false;
}

static const char *builtin_flow_name(irq_flow_handler_t flow)
{
	for (size_t i = 0; i < sizeof(builtin_flows) / sizeof(builtin_flows[0]); i++)
		if (builtin_flows[i].flow == flow)
			return builtin_flows[i].name;
	return "chained";
}

/* A line's per-CPU counters are not here: they are cells of the statistics
 * segment (irqc__kstat_slot), which exists for every line from init. */
static void desc_init_one(struct irq_desc *desc, unsigned int irq)
{
	atomic_init(&desc->state, 0);
	atomic_init(&desc->bias_busy, 0);
	atomic_init(&desc->bias_need, IRQC_BIAS_NEED_FIRST);
	desc->streak_cpu = 0;
	desc->streak = 0;
	atomic_init(&desc->blocked, 0);
	atomic_init(&desc->effective_cpu, (int)irqc__online_from(irq % irqc.nr_cpus));
	atomic_init(&desc->action, NULL);
	atomic_init(&desc->flow, handle_edge_irq);
	atomic_init(&desc->chip, &irqc_soft_chip);
	atomic_init(&desc->flow_name, "edge");
	desc->irq_data.irq = irq;
	desc->irq_data.hwirq = irq;
	desc->irq_data.chip = &irqc_soft_chip;
	desc->irq_data.chip_data = NULL;
	ck_spinlock_fas_init(&desc->chip_lock);
	pthread_mutex_init(&desc->request_mutex, NULL);
	pthread_mutex_init(&desc->lock, NULL);
	CPU_ZERO(&desc->affinity);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		CPU_SET(c, &desc->affinity);
	CPU_ZERO(&desc->hint);
	desc->irq = irq;
	atomic_init(&desc->thread_prio, -1);
	desc->counted = false;
	desc->home_cpu = -1;
}

static void chunk_destroy(struct irq_desc *chunk, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		pthread_mutex_destroy(&chunk[i].request_mutex);
		pthread_mutex_destroy(&chunk[i].lock);
	}
	free(chunk);
}

struct irq_desc *irqc__desc_get(unsigned int irq)
{
	unsigned int ci = irq / IRQC_DESC_CHUNK, base = ci * IRQC_DESC_CHUNK;
	struct irq_desc *chunk = irqc__desc_peek(irq), *expected = NULL;

	if (likely(chunk != NULL))
		return chunk;
	chunk = aligned_alloc(IRQC_CACHELINE, sizeof(*chunk) * IRQC_DESC_CHUNK);
	if (!chunk)
		return NULL;
	memset(chunk, 0, sizeof(*chunk) * IRQC_DESC_CHUNK);
	for (unsigned int i = 0; i < IRQC_DESC_CHUNK; i++)
		desc_init_one(&chunk[i], base + i);
	/* release: the initialized chunk is visible to every acquire load of
	 * the pointer (irqc__desc_peek) */
	if (!atomic_compare_exchange_strong_explicit(&irqc.chunks[ci], &expected, chunk,
						     memory_order_release,
						     memory_order_acquire)) {
		chunk_destroy(chunk, IRQC_DESC_CHUNK);
		chunk = expected;	/* someone else won; acquire above */
	}
	return &chunk[irq % IRQC_DESC_CHUNK];
}

int irqc__desc_lookup(unsigned int irq, struct irq_desc **descp)
{
	if (!irqc__up())
		return -ENODEV;
	if (!irqc__in_range(irq))
		return -EINVAL;
	*descp = irqc__desc_get(irq);
	return *descp ? 0 : -ENOMEM;
}

struct irq_desc *irqc__desc_next(unsigned int *it)
{
	while (*it < irqc.nr_irqs) {
		/* acquire: paired with the release CAS that publishes a chunk */
		struct irq_desc *chunk = atomic_load_explicit(&irqc.chunks[*it / IRQC_DESC_CHUNK],
							      memory_order_acquire);

		if (!chunk) {
			*it = (*it / IRQC_DESC_CHUNK + 1) * IRQC_DESC_CHUNK;
			continue;
		}
		return &chunk[(*it)++ % IRQC_DESC_CHUNK];
	}
	return NULL;
}

int irqc__descs_init(void)
{
	size_t n = (irqc.nr_irqs + IRQC_DESC_CHUNK - 1) / IRQC_DESC_CHUNK;

	irqc.chunks = calloc(n, sizeof(*irqc.chunks));
	if (!irqc.chunks)
		return -ENOMEM;
	pthread_mutex_init(&irqc.alloc_lock, NULL);
	return 0;
}

void irqc__descs_fini(void)
{
	size_t n = (irqc.nr_irqs + IRQC_DESC_CHUNK - 1) / IRQC_DESC_CHUNK;

	if (!irqc.chunks)
		return;
	for (size_t i = 0; i < n; i++) {
		struct irq_desc *chunk = atomic_load(&irqc.chunks[i]);

		if (chunk)
			chunk_destroy(chunk, IRQC_DESC_CHUNK);
	}
	free(irqc.chunks);
	irqc.chunks = NULL;
	pthread_mutex_destroy(&irqc.alloc_lock);
}

/* Per-CPU counter of a line (0 before the chunk exists). Counted in 64
 * bits; truncated here, as the kernel's kstat_irqs_cpu() is (G6). */
unsigned int kstat_irqs_cpu(unsigned int irq, int cpu)
{
	IRQC_API_GUARD(0);
	struct irq_desc *desc;

	if (!irqc__in_range(irq) || cpu < 0 || (unsigned int)cpu >= irqc.nr_cpus)
		return 0;
	desc = irqc__desc_peek(irq);
	if (!desc)
		return 0;
	return (unsigned int)atomic_load_explicit(irqc__kstat_slot(desc, (unsigned int)cpu),
						  memory_order_relaxed);
}

/* ---- flows and chips ---- */

static void update_level_bit(struct irq_desc *desc)
{
	bool level = (atomic_load(&desc->trigger) & IRQ_TYPE_LEVEL_MASK) ||
		     (atomic_load(&desc->status_flags) & IRQ_LEVEL) ||
		     atomic_load(&desc->flow) == handle_level_irq;

	if (level)
		atomic_fetch_or(&desc->state, IRQS_LEVEL);	/* under desc->lock */
	else
		atomic_fetch_and(&desc->state, ~IRQS_LEVEL);
}

int irq_set_chip_and_handler_name(unsigned int irq, const struct irq_chip *chip,
				  irq_flow_handler_t handle, const char *name)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int ret;

	ret = irqc__desc_lookup(irq, &desc);
	if (ret)
		return ret;
	if (!chip)
		chip = &irqc_soft_chip;
	if (!handle)
		handle = (atomic_load(&desc->trigger) & IRQ_TYPE_LEVEL_MASK) ?
			 handle_level_irq : handle_edge_irq;
	if (!name)
		name = builtin_flow_name(handle);

	pthread_mutex_lock(&desc->lock);
	irqc__chip_lock(desc);
	desc->irq_data.chip = chip;
	irqc__chip_unlock(desc);
	/* release: a dispatcher that loads the new flow sees the chip set up */
	atomic_store_explicit(&desc->chip, chip, memory_order_release);
	atomic_store_explicit(&desc->flow_name, name, memory_order_release);
	atomic_store_explicit(&desc->flow, handle, memory_order_release);
	update_level_bit(desc);
	irqc__exp_publish(desc);
	pthread_mutex_unlock(&desc->lock);
	return 0;
}

int irq_set_chip_data(unsigned int irq, void *data)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int ret;

	ret = irqc__desc_lookup(irq, &desc);
	if (ret)
		return ret;
	pthread_mutex_lock(&desc->lock);
	irqc__chip_lock(desc);
	desc->irq_data.chip_data = data;
	irqc__chip_unlock(desc);
	pthread_mutex_unlock(&desc->lock);
	return 0;
}

struct irq_data *irq_get_irq_data(unsigned int irq)
{
	IRQC_API_GUARD(NULL);
	if (!irqc__in_range(irq))
		return NULL;
	return irq_desc_get_irq_data(irqc__desc_get(irq));
}

unsigned int irq_desc_get_irq(struct irq_desc *desc)
{
	return desc ? desc->irq : 0;
}

struct irq_data *irq_desc_get_irq_data(struct irq_desc *desc)
{
	return desc ? &desc->irq_data : NULL;
}

/* Record a trigger type without telling the chip (Linux's
 * irqd_set_trigger_type): the share check of R3 and the IRQ_TYPE_* bits of
 * irq_set_status_flags. desc->lock held. */
void irqc__record_type_locked(struct irq_desc *desc, unsigned int type)
{
	atomic_store(&desc->trigger, type & IRQ_TYPE_SENSE_MASK);
	desc->trigger_set = true;
	update_level_bit(desc);
}

/* IRQCHIP_SET_TYPE_MASKED: the chip wants the line masked while its type
 * changes; true when we masked it (and must unmask). */
static bool mask_for_set_type(struct irq_desc *desc, const struct irq_chip *chip)
{
	uint32_t s = atomic_load(&desc->state);

	if (!(chip->flags & IRQCHIP_SET_TYPE_MASKED) || (s & IRQS_MASKED))
		return false;
	irqc__chip_mask(desc);
	return !(s & IRQS_DISABLED);
}

/* Called with desc->lock held. The soft chip takes every type and picks the
 * flow; another chip is asked through irq_set_type and keeps its flow. */
int irqc__set_type_locked(struct irq_desc *desc, unsigned int type)
{
	const struct irq_chip *chip = atomic_load(&desc->chip);
	irq_flow_handler_t flow = atomic_load(&desc->flow);

	type &= IRQ_TYPE_SENSE_MASK;
	if (chip->irq_set_type) {
		bool unmask = mask_for_set_type(desc, chip);
		int ret;

		irqc__chip_lock(desc);
		ret = chip->irq_set_type(&desc->irq_data, type);
		irqc__chip_unlock(desc);
		if (unmask)
			irqc__chip_unmask(desc);
		if (ret < 0)
			return ret;
	}
	atomic_store(&desc->trigger, type);
	if (chip == &irqc_soft_chip && type != IRQ_TYPE_NONE &&
	    (flow == handle_edge_irq || flow == handle_level_irq)) {
		flow = (type & IRQ_TYPE_LEVEL_MASK) ? handle_level_irq : handle_edge_irq;
		atomic_store_explicit(&desc->flow_name, builtin_flow_name(flow),
				      memory_order_release);
		atomic_store_explicit(&desc->flow, flow, memory_order_release);
	}
	update_level_bit(desc);
	return 0;
}

int irq_set_irq_type(unsigned int irq, unsigned int type)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int ret;

	if (!irqc__in_range(irq) || (type & ~IRQ_TYPE_SENSE_MASK))
		return -EINVAL;
	const struct irq_chip *bus;

	desc = irqc__desc_get(irq);
	if (!desc)
		return -ENOMEM;
	bus = irqc__bus_lock(desc);
	pthread_mutex_lock(&desc->lock);
	ret = irqc__set_type_locked(desc, type);
	if (!ret)
		irqc__exp_publish(desc);
	pthread_mutex_unlock(&desc->lock);
	irqc__bus_sync_unlock(desc, bus);
	return ret;
}

/*
 * Linux's irq_modify_status: the flags are settings the rest of irqcore
 * reads where it decides (request, probe, threading, disable, spurious
 * detection, /proc output). IRQ_TYPE_* bits set record the trigger type
 * without calling the chip; clearing them leaves the recorded type, as in
 * Linux. IRQ_LEVEL makes the line level (refire while asserted).
 */
static int modify_status(unsigned int irq, unsigned long clr, unsigned long set)
{
	IRQC_API_GUARD(-ENODEV);
	const unsigned long ok = IRQC_STATUS_MASK | IRQ_TYPE_SENSE_MASK;
	struct irq_desc *desc;
	unsigned int fl;

	if (!irqc__in_range(irq))
		return -EINVAL;
	if ((clr | set) & ~ok) {
		irqc_warn("irq_modify_status(%u): unknown status flags %#lx", irq,
			  (clr | set) & ~ok);
		return -EINVAL;
	}
	desc = irqc__desc_get(irq);
	if (!desc)
		return -ENOMEM;
	pthread_mutex_lock(&desc->lock);
	if ((set & IRQ_NOAUTOEN) && atomic_load(&desc->nr_actions) && !atomic_load(&desc->depth))
		irqc_warn("irq_modify_status(%u): IRQ_NOAUTOEN on an active line", irq);
	fl = atomic_load(&desc->status_flags);
	fl = (fl & ~(unsigned int)(clr & IRQC_STATUS_MASK)) | (unsigned int)(set & IRQC_STATUS_MASK);
	atomic_store(&desc->status_flags, fl);
	if (set & IRQ_TYPE_SENSE_MASK)
		irqc__record_type_locked(desc, (unsigned int)(set & IRQ_TYPE_SENSE_MASK));
	else
		update_level_bit(desc);
	irqc__exp_publish(desc);
	pthread_mutex_unlock(&desc->lock);
	return 0;
}

int irq_set_status_flags(unsigned int irq, unsigned long set)
{
	return modify_status(irq, 0, set);
}

int irq_clear_status_flags(unsigned int irq, unsigned long clr)
{
	return modify_status(irq, clr, 0);
}

/* ---- dynamic numbering ---- */

static bool line_is_free(unsigned int irq)
{
	struct irq_desc *desc = irqc__desc_peek(irq);

	if (!desc)
		return true;
	return !desc->allocated && !atomic_load(&desc->nr_actions) &&
	       !(atomic_load(&desc->status_flags) & IRQ_NOREQUEST);
}

int irq_alloc_desc(int node)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int found = -ENOSPC;

	if (node < -1)
		return -EINVAL;
	pthread_mutex_lock(&irqc.alloc_lock);
	/* Line 0 last: like the kernel, hand out non-zero numbers first. */
	for (unsigned int i = 1; i <= irqc.nr_irqs; i++) {
		unsigned int irq = i % irqc.nr_irqs;

		if (!line_is_free(irq))
			continue;
		desc = irqc__desc_get(irq);
		if (!desc) {
			found = -ENOMEM;
			break;
		}
		pthread_mutex_lock(&desc->lock);
		desc->allocated = true;
		pthread_mutex_unlock(&desc->lock);
		found = (int)irq;
		break;
	}
	pthread_mutex_unlock(&irqc.alloc_lock);
	return found;
}

void irq_free_desc(unsigned int irq)
{
	IRQC_API_GUARD_VOID();
	struct irq_desc *desc;

	if (!irqc__in_range(irq) || !(desc = irqc__desc_peek(irq)))
		return;
	pthread_mutex_lock(&irqc.alloc_lock);
	pthread_mutex_lock(&desc->lock);
	if (atomic_load(&desc->nr_actions)) {
		irqc_warn("irq_free_desc: IRQ %u still has actions", irq);
	} else if (!desc->allocated) {
		irqc_warn("irq_free_desc: IRQ %u was not allocated", irq);
	} else {
		desc->allocated = false;
		atomic_store(&desc->status_flags, 0);
		irqc__chip_lock(desc);
		desc->irq_data.chip = &irqc_soft_chip;
		desc->irq_data.chip_data = NULL;
		irqc__chip_unlock(desc);
		atomic_store(&desc->chip, &irqc_soft_chip);
		atomic_store(&desc->trigger, IRQ_TYPE_NONE);
		atomic_store(&desc->flow_name, "edge");
		atomic_store(&desc->flow, handle_edge_irq);
		update_level_bit(desc);
		/* an event latched for the previous user (D9) is not the next
		 * one's: forgotten, counted as coalesced (raised == count +
		 * coalesced); seq_cst RMW, as every change of the state word */
		if (atomic_fetch_and(&desc->state, ~IRQS_PENDING) & IRQS_PENDING)
			irqc__count_coalesced(irq);
		irqc__exp_publish(desc);
	}
	pthread_mutex_unlock(&desc->lock);
	pthread_mutex_unlock(&irqc.alloc_lock);
}

/* ---- accessors (Linux's names and types) ---- */

unsigned int irq_get_trigger_type(unsigned int irq)
{
	IRQC_API_GUARD(0);
	struct irq_desc *desc;

	if (!irqc__in_range(irq) || !(desc = irqc__desc_peek(irq)))
		return 0;
	return irqd_get_trigger_type(&desc->irq_data);
}

/* The accessors below are snapshots: relaxed loads, ordered with nothing
 * (the kernel's read the irq_data bits without a lock, too). */
unsigned int irqd_get_trigger_type(struct irq_data *d)
{
	struct irq_desc *desc = irqc__desc_of_data(d);

	return desc ? atomic_load_explicit(&desc->trigger, memory_order_relaxed) : 0;
}

bool irqd_is_level_type(struct irq_data *d)
{
	struct irq_desc *desc = irqc__desc_of_data(d);

	return desc && (atomic_load_explicit(&desc->state, memory_order_relaxed) & IRQS_LEVEL);
}

irq_hw_number_t irqd_to_hwirq(struct irq_data *d)
{
	return d ? d->hwirq : 0;
}

void *irq_data_get_irq_chip_data(struct irq_data *d)
{
	return d ? d->chip_data : NULL;
}

struct irq_chip *irq_data_get_irq_chip(struct irq_data *d)
{
	/* the kernel's type: drivers store it in a struct irq_chip * */
	return d ? (struct irq_chip *)d->chip : NULL;
}

struct irq_chip *irq_get_chip(unsigned int irq)
{
	return irq_data_get_irq_chip(irq_get_irq_data(irq));
}

void *irq_get_chip_data(unsigned int irq)
{
	return irq_data_get_irq_chip_data(irq_get_irq_data(irq));
}

struct irq_chip *irq_desc_get_chip(struct irq_desc *desc)
{
	return desc ? irq_data_get_irq_chip(&desc->irq_data) : NULL;
}

void *irq_desc_get_chip_data(struct irq_desc *desc)
{
	return desc ? desc->irq_data.chip_data : NULL;
}

void *irq_desc_get_handler_data(struct irq_desc *desc)
{
	/* acquire: pairs with the release store in irq_set_handler_data */
	return desc ? atomic_load_explicit(&desc->handler_data, memory_order_acquire) : NULL;
}

int irq_set_handler_data(unsigned int irq, void *data)
{
	IRQC_API_GUARD(-ENODEV);
	struct irq_desc *desc;
	int ret;

	ret = irqc__desc_lookup(irq, &desc);
	if (ret) {
		if (ret == -EINVAL)
			irqc_warn("irq_set_handler_data(%u): no such line", irq);
		return ret;
	}
	/* release: what data points to is set up before a flow reads it */
	atomic_store_explicit(&desc->handler_data, data, memory_order_release);
	return 0;
}

void *irq_get_handler_data(unsigned int irq)
{
	IRQC_API_GUARD(NULL);
	struct irq_desc *desc;

	if (!irqc__in_range(irq) || !(desc = irqc__desc_peek(irq)))
		return NULL;
	return irq_desc_get_handler_data(desc);
}

/* ---- chained handlers ---- */

/*
 * A demultiplexing flow on a parent line that no driver requests: the line
 * becomes IRQ_NOREQUEST, IRQ_NOPROBE and IRQ_NOTHREAD and is started at once
 * (depth 0), as the kernel does. handle NULL removes it: the line is shut
 * down and its flags and default flow come back.
 */
void irq_set_chained_handler_and_data(unsigned int irq, irq_flow_handler_t handle, void *data)
{
	IRQC_API_GUARD_VOID();
	const unsigned int chained_flags = IRQ_NOREQUEST | IRQ_NOPROBE | IRQ_NOTHREAD;
	const struct irq_chip *bus;
	struct irq_desc *desc;

	if (irqc__desc_lookup(irq, &desc)) {
		irqc_warn("irq_set_chained_handler_and_data(%u): no such line", irq);
		return;
	}
	bus = irqc__bus_lock(desc);
	pthread_mutex_lock(&desc->lock);
	if (atomic_load(&desc->nr_actions)) {
		irqc_warn("irq_set_chained_handler_and_data(%u): the line has actions", irq);
		goto out;
	}
	if (handle) {
		/* release: the data before the flow that reads it */
		atomic_store_explicit(&desc->handler_data, data, memory_order_release);
		atomic_fetch_or(&desc->status_flags, chained_flags);
		desc->chained = true;
		atomic_store_explicit(&desc->flow_name, builtin_flow_name(handle),
				      memory_order_release);
		/* release: paired with the acquire load in run_flow (core/flow.c) */
		atomic_store_explicit(&desc->flow, handle, memory_order_release);
		update_level_bit(desc);
		atomic_store(&desc->depth, 0);
		irqc__line_unblock_how(desc, IRQS_DISABLED | IRQS_MASKED, IRQC_UNBLOCK_STARTUP);
	} else if (desc->chained) {
		desc->chained = false;
		atomic_fetch_and(&desc->status_flags, ~chained_flags);
		atomic_store(&desc->depth, atomic_load(&desc->depth) + 1);
		irqc__chip_shutdown(desc);	/* a flow already running ends as it was */
		atomic_store_explicit(&desc->flow_name, "edge", memory_order_release);
		atomic_store_explicit(&desc->flow, handle_edge_irq, memory_order_release);
		atomic_store_explicit(&desc->handler_data, data, memory_order_release);
		update_level_bit(desc);
	}
	irqc__exp_publish(desc);
out:
	pthread_mutex_unlock(&desc->lock);
	irqc__bus_sync_unlock(desc, bus);
}

/* Parent chip calls around a chained flow's demultiplexing: a fasteoi chip
 * needs nothing on entry and an eoi on exit; others are masked and acked on
 * entry and unmasked on exit. Through the line's state, so that an event
 * that arrives meanwhile latches and is replayed by the flow's owner. */
void chained_irq_enter(struct irq_chip *chip, struct irq_desc *desc)
{
	if (!chip || !desc || chip->irq_eoi)
		return;
	irqc__chip_mask_ack(desc);
}

void chained_irq_exit(struct irq_chip *chip, struct irq_desc *desc)
{
	if (!chip || !desc)
		return;
	if (chip->irq_eoi)
		irqc__chip_eoi(desc);
	else
		irqc__chip_unmask(desc);
}
