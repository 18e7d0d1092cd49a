/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Topology with hwloc: which processing units (PUs) the process may use, and
 * binding a dispatcher thread to one. Dispatcher n goes to the cpu_map[n]-th
 * allowed PU, or round-robin over them; there may be more dispatchers than
 * PUs. (Topology-aware placement, priorities and NUMA come later.)
 */
#include "internal.h"

#include <errno.h>
#include <hwloc.h>

static hwloc_topology_t topo;
static hwloc_bitmap_t allowed;	/* PUs the process may run on */
static int nr_allowed;
static _Atomic bool bind_warned;

int irqc__topo_init(unsigned int *nr_cpus)
{
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
	if (!*nr_cpus)
		*nr_cpus = (unsigned int)nr_allowed;
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
	if (allowed)
		hwloc_bitmap_free(allowed);
	allowed = NULL;
	if (topo)
		hwloc_topology_destroy(topo);
	topo = NULL;
}

static hwloc_obj_t pu_of(unsigned int cpu)
{
	int idx = irqc.cfg.cpu_map ? irqc.cfg.cpu_map[cpu] : (int)(cpu % (unsigned int)nr_allowed);

	return hwloc_get_obj_inside_cpuset_by_type(topo, allowed, HWLOC_OBJ_PU, (unsigned int)idx);
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
