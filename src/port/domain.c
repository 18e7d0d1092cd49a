/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linear irq domains: hwirq 0..size-1 of one controller -> irqcore lines
 * allocated on demand (irq_alloc_desc).
 *
 * Writers (create, dispose, remove) run in process context and serialize
 * on the domain's mutex. Readers (irq_find_mapping, and
 * generic_handle_domain_irq in a demultiplexing handler) take no lock: a
 * mapping is published with a release store of its line number into
 * revmap[hwirq] once the line is fully set up (hwirq and domain in its
 * irq_data, then ops->map's chip and flow), and a reader loads it with
 * acquire, so a reader that finds the number finds the line set up.
 *
 * Disposal is RCU-like, on the handler chains' grace periods (core/rcu.c):
 * the writer clears revmap[hwirq], then waits for a grace period, then
 * unmaps and frees the line. generic_handle_domain_irq() runs its lookup
 * and the child's flow inside one read-side section, so after the grace
 * period no such call can still be running the line, and none can find it
 * again: the line may then be freed and handed out to someone else.
 * Lookups outside a section (irq_find_mapping() then handle_nested_irq()
 * in a threaded parent) are the driver's to stop first, as in the kernel:
 * dispose of a mapping once its hardware source is quiet.
 */
#include "port.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>

struct irqc_domain {
	struct irq_domain pub;
	pthread_mutex_t mutex;		/* create/dispose/remove */
	unsigned int gen;		/* irqc.gen of the instance that made it */
	atomic_bool warned_unmapped;	/* generic_handle_domain_irq: warned once */
	char name[24];
	_Atomic unsigned int revmap[];	/* hwirq -> line, 0: none */
};

static _Atomic unsigned int domain_ids;

static struct irqc_domain *to_dom(struct irq_domain *d)
{
	return container_of(d, struct irqc_domain, pub);
}

/* The domain belongs to the running instance (within a guarded call). */
static bool domain_current(const struct irqc_domain *dom)
{
	return dom->gen == atomic_load_explicit(&irqc.gen, memory_order_relaxed);
}

/* Writers take the domain's mutex, ops->map may sleep, and disposal waits
 * for a grace period: not from IRQ context, nor from inside a read-side
 * section (it would wait for itself). irq threads and nested children may
 * (they are no readers). */
static bool may_sleep(const char *fn, const char *name)
{
	if (!in_interrupt() && !irqc_ctx.section_nest)
		return true;
	irqc_warn("%s(%s) from IRQ context refused", fn, name);
	return false;
}

static bool domain_usable(struct irq_domain *d, const char *fn)
{
	if (!d) {
		irqc_warn("%s: NULL domain", fn);
		return false;
	}
	if (!domain_current(to_dom(d))) {
		irqc_warn("%s: domain %s belongs to an irqcore instance that was shut down",
			  fn, d->name);
		return false;
	}
	if (!may_sleep(fn, d->name))
		return false;
	return true;
}

struct irq_domain *irq_domain_create_linear(struct fwnode_handle *fwnode, unsigned int size,
					    const struct irq_domain_ops *ops, void *host_data)
{
	IRQC_API_GUARD(NULL);
	struct irqc_domain *dom;

	if (!ops || size == 0 || size > IRQCORE_MAX_IRQS) {
		irqc_warn("irq_domain_create_linear: %s", !ops ? "NULL ops" : "bad size");
		return NULL;
	}
	dom = calloc(1, sizeof(*dom) + size * sizeof(dom->revmap[0]));
	if (!dom) {
		irqc_warn("irq_domain_create_linear: out of memory");
		return NULL;
	}
	pthread_mutex_init(&dom->mutex, NULL);
	dom->gen = atomic_load_explicit(&irqc.gen, memory_order_relaxed);
	/* relaxed: a name, nothing else hangs on it */
	snprintf(dom->name, sizeof(dom->name), "domain%u",
		 atomic_fetch_add_explicit(&domain_ids, 1, memory_order_relaxed));
	dom->pub = (struct irq_domain){
		.name = dom->name, .ops = ops, .host_data = host_data, .fwnode = fwnode,
		.hwirq_max = size, .revmap_size = size,
	};
	return &dom->pub;
}

/* Set the line's hwirq and domain (its irq_data), and publish them to the
 * statistics segment. */
static int line_set_domain(unsigned int irq, struct irq_domain *d, irq_hw_number_t hwirq)
{
	struct irq_desc *desc;
	int ret = irqc__desc_lookup(irq, &desc);

	if (ret)
		return ret;
	pthread_mutex_lock(&desc->lock);
	irqc__chip_lock(desc);	/* chip callbacks read irq_data */
	desc->irq_data.hwirq = hwirq;
	desc->irq_data.domain = d;
	irqc__chip_unlock(desc);
	irqc__exp_publish(desc);
	pthread_mutex_unlock(&desc->lock);
	return 0;
}

/* A line that failed its mapping, or whose mapping is gone: back to a
 * plain free line. */
static void line_put(unsigned int irq)
{
	line_set_domain(irq, NULL, irq);
	irq_free_desc(irq);
}

unsigned int irq_create_mapping(struct irq_domain *d, irq_hw_number_t hwirq)
{
	IRQC_API_GUARD(0);
	struct irqc_domain *dom;
	unsigned int virq;
	int irq, ret;

	if (!domain_usable(d, "irq_create_mapping"))
		return 0;
	if (hwirq >= d->hwirq_max) {
		irqc_warn("irq_create_mapping(%s): hwirq %lu out of range (size %lu)", d->name,
			  hwirq, d->hwirq_max);
		return 0;
	}
	dom = to_dom(d);
	pthread_mutex_lock(&dom->mutex);
	/* relaxed: written under the mutex we hold */
	virq = atomic_load_explicit(&dom->revmap[hwirq], memory_order_relaxed);
	if (virq)
		goto out;			/* already mapped: the same line */
	irq = irq_alloc_desc(-1);
	if (irq == 0) {			/* 0 means "no interrupt" to drivers */
		irq_free_desc(0);
		irq = -ENOSPC;
	}
	if (irq < 0) {
		irqc_warn("irq_create_mapping(%s): no line for hwirq %lu (%d)", d->name, hwirq,
			  irq);
		goto out;
	}
	ret = line_set_domain((unsigned int)irq, d, hwirq);
	if (!ret && d->ops->map)
		ret = d->ops->map(d, (unsigned int)irq, hwirq);
	if (ret) {
		irqc_warn("irq_create_mapping(%s): mapping hwirq %lu to IRQ %d failed (%d)",
			  d->name, hwirq, irq, ret);
		line_put((unsigned int)irq);
		goto out;
	}
	/* release: the line's setup (above and in ops->map) before any
	 * lookup that finds it; paired with the acquire in irq_find_mapping */
	atomic_store_explicit(&dom->revmap[hwirq], (unsigned int)irq, memory_order_release);
	virq = (unsigned int)irq;
out:
	pthread_mutex_unlock(&dom->mutex);
	return virq;
}

unsigned int irq_find_mapping(struct irq_domain *d, irq_hw_number_t hwirq)
{
	struct irqc_domain *dom;

	if (!d || hwirq >= d->hwirq_max)
		return 0;
	dom = to_dom(d);
	if (!domain_current(dom))
		return 0;
	/* acquire: paired with the release store in irq_create_mapping */
	return atomic_load_explicit(&dom->revmap[hwirq], memory_order_acquire);
}

struct irq_data *irq_domain_get_irq_data(struct irq_domain *d, unsigned int virq)
{
	struct irq_data *data;

	if (!d || !virq)
		return NULL;
	data = irq_get_irq_data(virq);
	return data && data->domain == d ? data : NULL;
}

/* Undo one mapping, the domain's mutex held. -EBUSY: the line is still
 * requested (warned; nothing changed). */
static int dispose_locked(struct irqc_domain *dom, unsigned int virq, irq_hw_number_t hwirq)
{
	struct irq_status st;

	/* new requests fail from here on (irq_free_desc clears the flag) */
	irq_set_status_flags(virq, IRQ_NOREQUEST);
	if (irq_get_status(virq, &st) == 0 && st.nr_actions) {
		irq_clear_status_flags(virq, IRQ_NOREQUEST);
		irqc_warn("irq_dispose_mapping(%u): the line is still requested (free_irq it "
			  "first): left mapped", virq);
		return -EBUSY;
	}
	/* relaxed: the grace period's barrier orders it before our wait */
	atomic_store_explicit(&dom->revmap[hwirq], 0, memory_order_relaxed);
	irqc__synchronize_rcu();	/* no generic_handle_domain_irq runs it */
	if (dom->pub.ops->unmap)
		dom->pub.ops->unmap(&dom->pub, virq);
	line_put(virq);
	return 0;
}

void irq_dispose_mapping(unsigned int virq)
{
	IRQC_API_GUARD_VOID();
	struct irq_desc *desc;
	struct irq_domain *d;
	irq_hw_number_t hwirq;

	if (!virq)
		return;				/* "no interrupt": nothing, as Linux */
	if (!irqc__in_range(virq) || !(desc = irqc__desc_peek(virq))) {
		irqc_warn("irq_dispose_mapping(%u): no such mapping", virq);
		return;
	}
	pthread_mutex_lock(&desc->lock);
	d = desc->irq_data.domain;
	hwirq = desc->irq_data.hwirq;
	pthread_mutex_unlock(&desc->lock);
	if (!d) {
		irqc_warn("irq_dispose_mapping(%u): the line belongs to no domain", virq);
		return;
	}
	if (!domain_usable(d, "irq_dispose_mapping"))
		return;
	pthread_mutex_lock(&to_dom(d)->mutex);
	/* relaxed: under the mutex; a concurrent dispose got there first */
	if (atomic_load_explicit(&to_dom(d)->revmap[hwirq], memory_order_relaxed) == virq)
		dispose_locked(to_dom(d), virq, hwirq);
	pthread_mutex_unlock(&to_dom(d)->mutex);
}

/* Dispose of every mapping of dom. false: a line is still requested
 * (warned; nothing changed). */
static bool dispose_all(struct irqc_domain *dom)
{
	IRQC_API_GUARD(true);		/* not running: no line left to free */
	bool ok = true;

	if (!domain_current(dom))
		return true;		/* its lines died with their instance */
	if (!may_sleep("irq_domain_remove", dom->pub.name))
		return false;
	pthread_mutex_lock(&dom->mutex);
	for (unsigned int hw = 0; hw < dom->pub.revmap_size && ok; hw++) {
		unsigned int virq = atomic_load_explicit(&dom->revmap[hw], memory_order_relaxed);
		struct irq_status st;

		if (virq && irq_get_status(virq, &st) == 0 && st.nr_actions) {
			irqc_warn("irq_domain_remove(%s): IRQ %u (hwirq %u) is still requested: "
				  "domain kept", dom->pub.name, virq, hw);
			ok = false;
		}
	}
	for (unsigned int hw = 0; hw < dom->pub.revmap_size && ok; hw++) {
		unsigned int virq = atomic_load_explicit(&dom->revmap[hw], memory_order_relaxed);

		if (virq && dispose_locked(dom, virq, hw))
			ok = false;
	}
	pthread_mutex_unlock(&dom->mutex);
	return ok;
}

void irq_domain_remove(struct irq_domain *d)
{
	struct irqc_domain *dom;

	if (!d)
		return;
	dom = to_dom(d);
	if (!dispose_all(dom))
		return;
	pthread_mutex_destroy(&dom->mutex);
	free(dom);
}

int generic_handle_domain_irq(struct irq_domain *d, unsigned int hwirq)
{
	IRQC_RCU_GUARD(-ENODEV);	/* the lookup and the flow: one section */
	unsigned int virq;
	int ret;

	if (!d)
		return -EINVAL;
	if (!irqc__this_cpu())
		return -EPERM;
	virq = irq_find_mapping(d, hwirq);
	ret = virq ? generic_handle_irq(virq) : -EINVAL;
	/* relaxed: a one-shot warning flag */
	if (!virq && !atomic_exchange_explicit(&to_dom(d)->warned_unmapped, true,
					       memory_order_relaxed))
		irqc_warn("generic_handle_domain_irq(%s): hwirq %u has no mapping", d->name,
			  hwirq);
	return ret;
}

/* ---- xlate helpers ---- */

int irq_domain_xlate_onecell(struct irq_domain *d, struct device_node *node,
			     const uint32_t *intspec, unsigned int intsize,
			     unsigned long *out_hwirq, unsigned int *out_type)
{
	if (!intspec || intsize < 1 || !out_hwirq || !out_type) {
		irqc_warn("irq_domain_xlate_onecell: too few cells");
		return -EINVAL;
	}
	*out_hwirq = intspec[0];
	*out_type = IRQ_TYPE_NONE;
	return 0;
}

int irq_domain_xlate_twocell(struct irq_domain *d, struct device_node *node,
			     const uint32_t *intspec, unsigned int intsize,
			     unsigned long *out_hwirq, unsigned int *out_type)
{
	if (!intspec || intsize < 2 || !out_hwirq || !out_type) {
		irqc_warn("irq_domain_xlate_twocell: too few cells");
		return -EINVAL;
	}
	*out_hwirq = intspec[0];
	*out_type = intspec[1] & IRQ_TYPE_SENSE_MASK;
	return 0;
}

int irq_domain_xlate_onetwocell(struct irq_domain *d, struct device_node *node,
				const uint32_t *intspec, unsigned int intsize,
				unsigned long *out_hwirq, unsigned int *out_type)
{
	if (intsize == 1)
		return irq_domain_xlate_onecell(d, node, intspec, intsize, out_hwirq, out_type);
	return irq_domain_xlate_twocell(d, node, intspec, intsize, out_hwirq, out_type);
}
