/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Topology with hwloc: which processing units (PUs) the process may use, the
 * order dispatchers are placed on them, binding threads, and memory on a
 * dispatcher's NUMA node.
 *
 * Placement: dispatcher n goes to order[n % nr_order]. By default the order
 * takes one PU per core first (cores in hwloc's logical order), then each
 * core's second PU, and so on: hyper-thread siblings only once every core
 * has a dispatcher. cfg.cpu_list replaces the order with the listed OS CPUs
 * (hwloc's list syntax, "2-5,8"); cfg.cpu_map picks, per dispatcher, the
 * n-th PU the process may use. There may be more dispatchers than PUs.
 */
#include "internal.h"

#include <errno.h>
#include <hwloc.h>
#include <stdlib.h>

static hwloc_topology_t topo;
static hwloc_bitmap_t allowed;	/* PUs the process may run on */
static int nr_allowed;
static hwloc_obj_t *order;	/* PUs in placement order */
static unsigned int nr_order;
static _Atomic bool bind_warned;

/* Sibling rank of a PU (0: first allowed PU of its core) and its core's
 * logical index; a PU outside any core is a core of its own. */
struct pu_key {
	hwloc_obj_t pu;
	unsigned int rank, core, idx;
};

static int cmp_key(const void *a, const void *b)
{
	const struct pu_key *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->core != y->core)
		return x->core < y->core ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The default order: one PU per core first, siblings last. */
static int order_by_core(void)
{
	struct pu_key *keys = calloc((size_t)nr_allowed, sizeof(*keys));
	hwloc_obj_t pu = NULL;
	unsigned int n = 0;

	if (!keys)
		return -ENOMEM;
	while ((pu = hwloc_get_next_obj_inside_cpuset_by_type(topo, allowed, HWLOC_OBJ_PU,
								  pu)) != NULL &&
	       n < (unsigned int)nr_allowed) {
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);

		keys[n].pu = pu;
		keys[n].idx = n;
		keys[n].core = core ? core->logical_index : ~0u - n;
		keys[n].rank = 0;
		for (unsigned int k = 0; k < n; k++)	/* earlier siblings */
			if (core && keys[k].core == core->logical_index)
				keys[n].rank++;
		n++;
	}
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (unsigned int k = 0; k < n; k++)
		order[k] = keys[k].pu;
	nr_order = n;
	free(keys);
	return n ? 0 : -ENODEV;
}

/* cfg.cpu_list: the listed OS CPUs, each one the process may use. */
static int order_from_list(const char *list)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc(), bad = hwloc_bitmap_alloc();
	int ret = 0, os;

	if (!set || !bad) {
		ret = -ENOMEM;
		goto out;
	}
	if (hwloc_bitmap_list_sscanf(set, list) < 0 || hwloc_bitmap_iszero(set)) {
		irqc_warn("cpu_list \"%s\": not a list of CPUs (e.g. \"2-5,8\")", list);
		ret = -EINVAL;
		goto out;
	}
	hwloc_bitmap_andnot(bad, set, allowed);
	if (!hwloc_bitmap_iszero(bad)) {
		char *may = NULL;

		hwloc_bitmap_list_asprintf(&may, allowed);
		irqc_warn("cpu_list \"%s\": CPU %d is not one this process may run on (%s)",
			  list, hwloc_bitmap_first(bad), may ? may : "?");
		free(may);
		ret = -EINVAL;
		goto out;
	}
	nr_order = 0;
	hwloc_bitmap_foreach_begin(os, set) {
		hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(topo, (unsigned int)os);

		if (pu && nr_order < (unsigned int)nr_allowed)
			order[nr_order++] = pu;
	} hwloc_bitmap_foreach_end();
	if (!nr_order) {
		irqc_warn("cpu_list \"%s\": no such CPU", list);
		ret = -EINVAL;
	}
out:
	hwloc_bitmap_free(set);
	hwloc_bitmap_free(bad);
	return ret;
}

int irqc__topo_init(unsigned int *nr_cpus)
{
	int ret;

	if (hwloc_topology_init(&topo) < 0)
		return -ENOMEM;
	if (hwloc_topology_load(topo) < 0) {
		hwloc_topology_destroy(topo);
		topo = NULL;
		return -ENODEV;
	}
	allowed = hwloc_bitmap_alloc();
	if (!allowed || hwloc_get_cpubind(topo, allowed, HWLOC_CPUBIND_PROCESS) < 0 ||
	    hwloc_bitmap_iszero(allowed)) {
		if (!allowed)
			allowed = hwloc_bitmap_alloc();
		hwloc_bitmap_copy(allowed, hwloc_topology_get_allowed_cpuset(topo));
	}
	nr_allowed = hwloc_get_nbobjs_inside_cpuset_by_type(topo, allowed, HWLOC_OBJ_PU);
	if (nr_allowed <= 0)
		nr_allowed = 1;
	order = calloc((size_t)nr_allowed, sizeof(*order));
	if (!order) {
		irqc__topo_fini();
		return -ENOMEM;
	}
	if (irqc.cfg.cpu_list && irqc.cfg.cpu_map) {
		irqc_warn("cpu_list and cpu_map both given: choose one");
		irqc__topo_fini();
		return -EINVAL;
	}
	ret = irqc.cfg.cpu_list ? order_from_list(irqc.cfg.cpu_list) : order_by_core();
	if (ret) {
		irqc__topo_fini();
		return ret;
	}
	if (!*nr_cpus)
		*nr_cpus = irqc.cfg.cpu_list ? nr_order : (unsigned int)nr_allowed;
	if (*nr_cpus > IRQCORE_MAX_CPUS)	/* a default on a machine this large */
		*nr_cpus = IRQCORE_MAX_CPUS;
	if (irqc.cfg.cpu_map) {
		for (unsigned int c = 0; c < *nr_cpus; c++) {
			if (irqc.cfg.cpu_map[c] < 0 || irqc.cfg.cpu_map[c] >= nr_allowed) {
				irqc_warn("cpu_map[%u] = %d: no such PU (the process may use %d)",
					  c, irqc.cfg.cpu_map[c], nr_allowed);
				irqc__topo_fini();
				return -EINVAL;
			}
		}
	}
	atomic_store(&bind_warned, false);
	return 0;
}

void irqc__topo_fini(void)
{
	free(order);
	order = NULL;
	nr_order = 0;
	if (allowed)
		hwloc_bitmap_free(allowed);
	allowed = NULL;
	if (topo)
		hwloc_topology_destroy(topo);
	topo = NULL;
}

static hwloc_obj_t pu_of(unsigned int cpu)
{
	if (irqc.cfg.cpu_map)
		return hwloc_get_obj_inside_cpuset_by_type(topo, allowed, HWLOC_OBJ_PU,
							   (unsigned int)irqc.cfg.cpu_map[cpu]);
	return nr_order ? order[cpu % nr_order] : NULL;
}

static void warn_bind(unsigned int cpu)
{
	bool expected = false;

	if (atomic_compare_exchange_strong(&bind_warned, &expected, true))
		irqc_warn("cannot bind to the processing unit of CPU %u; running unbound", cpu);
}

int irqc__topo_bind(unsigned int cpu)
{
	hwloc_obj_t pu;

	if (!topo)
		return -ENODEV;
	pu = pu_of(cpu);
	if (!pu || hwloc_set_cpubind(topo, pu->cpuset, HWLOC_CPUBIND_THREAD) < 0) {
		warn_bind(cpu);
		return -EIO;
	}
	return 0;
}

/*
 * Where the irq threads of dispatcher cpu's lines run. With sleeping
 * dispatchers: on the dispatcher's PU, as the kernel runs an irq thread
 * on its line's effective CPU (the dispatcher is asleep while the thread
 * has work, and the hard handler's data is in that PU's caches). With
 * spinning dispatchers (IRQCORE_IDLE_SPIN) a thread there would run only
 * when the dispatcher's time slice ends, or never under a SCHED_FIFO
 * dispatcher: then on the PUs nearest to it, the smallest object above
 * its PU (its core, then the caches it shares, then its NUMA node or
 * package, then the machine) that holds PUs the process may use other
 * than the dispatchers' own, or, where every PU has a dispatcher, other
 * than this dispatcher's.
 */
int irqc__topo_bind_near(unsigned int cpu)
{
	hwloc_bitmap_t set, disp;
	hwloc_obj_t pu, obj;
	int ret = 0;

	if (!topo)
		return -ENODEV;
	if (irqc.cfg.idle != IRQCORE_IDLE_SPIN)
		return irqc__topo_bind(cpu);
	pu = pu_of(cpu);
	set = hwloc_bitmap_alloc();
	disp = hwloc_bitmap_alloc();
	if (!pu || !set || !disp) {
		hwloc_bitmap_free(set);
		hwloc_bitmap_free(disp);
		return irqc__topo_bind(cpu);
	}
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		hwloc_obj_t p = pu_of(c);

		if (p)
			hwloc_bitmap_or(disp, disp, p->cpuset);
	}
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0: away from every dispatcher; 1: from this one */
		for (obj = pu->parent; obj; obj = obj->parent) {
			if (!obj->cpuset)
				continue;
			hwloc_bitmap_and(set, obj->cpuset, allowed);
			hwloc_bitmap_andnot(set, set, pass ? pu->cpuset : disp);
			if (!hwloc_bitmap_iszero(set))
				break;
		}
		if (obj)
			break;
	}
	if (!obj)
		hwloc_bitmap_copy(set, pu->cpuset);	/* alone on the machine */
	if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD) < 0) {
		warn_bind(cpu);
		ret = -EIO;
	}
	hwloc_bitmap_free(set);
	hwloc_bitmap_free(disp);
	return ret;
}

int irqc__topo_bind_thread(pthread_t tid, const cpu_set_t *cpus)
{
	hwloc_bitmap_t set;
	int ret = 0;

	if (!topo)
		return -ENODEV;
	set = hwloc_bitmap_alloc();
	if (!set)
		return -ENOMEM;
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		hwloc_obj_t pu;

		if (!CPU_ISSET(c, cpus))
			continue;
		pu = pu_of(c);
		if (pu)
			hwloc_bitmap_or(set, set, pu->cpuset);
	}
	if (hwloc_bitmap_iszero(set) || hwloc_set_thread_cpubind(topo, tid, set, 0) < 0)
		ret = -EIO;
	hwloc_bitmap_free(set);
	return ret;
}

/* How close dispatchers a and b run: the depth of the deepest hwloc object
 * holding both their PUs (the PU itself, then a core, a cache, a NUMA node,
 * the machine): larger is closer. -1 unknown: no topology, or dispatchers
 * not bound to PUs (no_pinning, external CPUs). */
int irqc__topo_closeness(unsigned int a, unsigned int b)
{
	hwloc_obj_t x, y, anc;

	if (!topo || irqc.cfg.no_pinning || (irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS))
		return -1;
	x = pu_of(a);
	y = pu_of(b);
	if (!x || !y)
		return -1;
	anc = hwloc_get_common_ancestor_obj(topo, x, y);
	return anc ? (int)anc->depth : -1;
}

/* The OS number of the PU dispatcher cpu is bound to (the statistics
 * export shows it); -1 when unknown. */
int irqc__topo_os_cpu(unsigned int cpu)
{
	hwloc_obj_t pu;

	if (!topo)
		return -1;
	pu = pu_of(cpu);
	return pu ? (int)pu->os_index : -1;
}

/*
 * Memory for dispatcher cpu's own data (its pending bitmap), bound to the
 * NUMA node of its PU where the machine has more than one node; plain
 * page-aligned memory otherwise, or where binding is refused. Freed with
 * irqc__topo_free_local(p, bytes). NULL: out of memory.
 */
void *irqc__topo_alloc_local(unsigned int cpu, size_t bytes)
{
	hwloc_obj_t pu = topo ? pu_of(cpu) : NULL;
	void *p = NULL;

	if (pu && pu->nodeset &&
	    hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) > 1)
		p = hwloc_alloc_membind(topo, bytes, pu->nodeset, HWLOC_MEMBIND_BIND,
					HWLOC_MEMBIND_BYNODESET);
	if (!p)
		p = topo ? hwloc_alloc(topo, bytes) : NULL;
	return p;
}

void irqc__topo_free_local(void *p, size_t bytes)
{
	if (p && topo)
		hwloc_free(topo, p, bytes);
}

/*
 * How near dispatchers a and b are, for the balancer: 0 on one PU or under
 * a shared cache, 1 on the same NUMA node, 2 farther or unknown. A cache
 * above the two PUs' common ancestor is one both use.
 */
int irqc__topo_distance(unsigned int a, unsigned int b)
{
	hwloc_obj_t pa, pb, o;

	if (!topo)
		return 2;
	pa = pu_of(a);
	pb = pu_of(b);
	if (!pa || !pb)
		return 2;
	if (pa == pb)
		return 0;
	for (o = hwloc_get_common_ancestor_obj(topo, pa, pb); o; o = o->parent)
		if (hwloc_obj_type_is_cache(o->type))
			return 0;
	if (pa->nodeset && pb->nodeset && hwloc_bitmap_intersects(pa->nodeset, pb->nodeset))
		return 1;
	return 2;
}
