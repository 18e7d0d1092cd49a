/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Lifecycle (one instance per process, re-initializable), logging, clocks and
 * the calling-context queries.
 */
#include "core.h"

#include <errno.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct irqc_core irqc;
_Thread_local struct irqc_ctx irqc_ctx = { .thread_irq = -1 };

/* Serializes init against shutdown (never taken on any other path). */
static pthread_mutex_t lifecycle_lock = PTHREAD_MUTEX_INITIALIZER;

/* The configured callback: only from inside a guarded call, an irqcore
 * thread or init/shutdown themselves, where cfg cannot change under us. */
void irqc__log(int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (atomic_load_explicit(&irqc.state, memory_order_acquire) != IRQC_DOWN && irqc.cfg.log)
		irqc.cfg.log(level, msg, irqc.cfg.log_arg);
	else
		fprintf(stderr, "irqcore: %s\n", msg);
}

/* A call made while irqcore is not running (outside any guard): no
 * instance, hence no callback to read; stderr. */
void irqc__log_down(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("irqcore: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

uint64_t irqc__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t irqc__now_ns(void)
{
	if (irqc.cfg.clock_ns)
		return irqc.cfg.clock_ns(irqc.cfg.clock_arg);
	return irqc__mono_ns();
}

void irqc__backoff_sleep(unsigned int *us)
{
	struct timespec ts = { 0, (long)*us * 1000 };

	nanosleep(&ts, NULL);
	if (*us < 1000)
		*us *= 2;
}

void irqcore_config_init(struct irqcore_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_irqs = 1024;
	cfg->nr_cpus = 0;		/* filled from the topology at init */
	cfg->idle = IRQCORE_IDLE_SLEEP;
	cfg->spin_budget_ns = 50000;
	cfg->coalesce_ns = IRQC_COALESCE_NS;
}

/* The balancer's fields (A7): defaults for 0, bounds. */
static int check_balance(struct irqcore_config *cfg)
{
	if (!cfg->balance_threshold_pct)
		cfg->balance_threshold_pct = 125;
	if (!cfg->balance_max_moves)
		cfg->balance_max_moves = 4;
	if (!cfg->balance_cooldown)
		cfg->balance_cooldown = 10;
	if (cfg->balance_threshold_pct < 100 || cfg->balance_threshold_pct > 1000) {
		irqc_warn("balance_threshold_pct %u: not a percentage of the average load (100..1000)",
			  cfg->balance_threshold_pct);
		return -EINVAL;
	}
	if (cfg->balance_interval_ms > 3600000u) {
		irqc_warn("balance_interval_ms %u: more than an hour", cfg->balance_interval_ms);
		return -EINVAL;
	}
	return 0;
}

static int check_config(struct irqcore_config *cfg)
{
	if (!cfg->nr_irqs)
		cfg->nr_irqs = 1024;
	if (cfg->nr_irqs > IRQCORE_MAX_IRQS) {
		irqc_warn("nr_irqs %u exceeds %u", cfg->nr_irqs, IRQCORE_MAX_IRQS);
		return -EINVAL;
	}
	if (cfg->nr_cpus > IRQCORE_MAX_CPUS) {
		irqc_warn("nr_cpus %u exceeds %u", cfg->nr_cpus, (unsigned int)IRQCORE_MAX_CPUS);
		return -EINVAL;
	}
	if (cfg->idle != IRQCORE_IDLE_SLEEP && cfg->idle != IRQCORE_IDLE_SPIN &&
	    cfg->idle != IRQCORE_IDLE_ADAPTIVE) {
		irqc_warn("unknown idle policy %d", cfg->idle);
		return -EINVAL;
	}
	if (cfg->flags & ~IRQCORE_F_ALL) {
		irqc_warn("unknown flags %#x", cfg->flags & ~IRQCORE_F_ALL);
		return -EINVAL;
	}
	if (cfg->dispatcher_priority < 0 || cfg->dispatcher_priority > 99) {
		irqc_warn("dispatcher_priority %d: not a SCHED_FIFO priority (1..99, 0: none)",
			  cfg->dispatcher_priority);
		return -EINVAL;
	}
	if (!cfg->spin_budget_ns)
		cfg->spin_budget_ns = 50000;
	if (!cfg->coalesce_ns)
		cfg->coalesce_ns = IRQC_COALESCE_NS;
	if (cfg->coalesce_ns < -1 || cfg->coalesce_ns > IRQC_COALESCE_MAX_NS) {
		irqc_warn("coalesce_ns %d: not a wait per event (1..%d ns, 0: %d, -1: none)",
			  cfg->coalesce_ns, IRQC_COALESCE_MAX_NS, IRQC_COALESCE_NS);
		return -EINVAL;
	}
	return check_balance(cfg);
}

/* IRQCORE_F_MLOCK: no page fault in a handler of an RT loop. Process-wide
 * and left in place at shutdown (the program may rely on it). */
static void lock_memory(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		irqc_warn("IRQCORE_F_MLOCK: mlockall refused (%s); memory stays pageable",
			  strerror(errno));
}

static void teardown(void)
{
	irqc__balance_stop();		/* it reads and moves lines */
	irqc__export_stop();		/* it reads lines and counters */
	irqc__spurious_fini();
	irqc__cpus_fini();
	irqc__probe_fini();
	irqc__descs_fini();
	irqc__counters_fini();
	irqc__topo_fini();
	irqc__affinity_fini();
	irqc__balance_fini();
	irqc__export_fini();		/* no writer left: CPUs and threads are gone */
}

int irqcore_init(const struct irqcore_config *ucfg)
{
	struct irqcore_config cfg;
	int expected = IRQC_DOWN, ret;

	if (ucfg)
		cfg = *ucfg;
	else
		irqcore_config_init(&cfg);

	/* G5: from a handler the instance is up; and a shutdown in progress
	 * would hold the lifecycle lock while it waits for that handler */
	if (irqc__in_handler_context())
		return -EBUSY;
	pthread_mutex_lock(&lifecycle_lock);
	if (!atomic_compare_exchange_strong(&irqc.state, &expected, IRQC_STARTING)) {
		pthread_mutex_unlock(&lifecycle_lock);
		return -EBUSY;
	}
	/* the caller's log callback for the configuration's warnings too */
	irqc.cfg.log = cfg.log;
	irqc.cfg.log_arg = cfg.log_arg;
	ret = check_config(&cfg);
	if (ret)
		goto fail_state;

	memset(&irqc.cfg, 0, sizeof(irqc.cfg));
	irqc.cfg = cfg;
	irqc.nr_irqs = cfg.nr_irqs;
	irqc.nr_words = (cfg.nr_irqs + IRQC_BITS - 1) / IRQC_BITS;
	irqc.nr_summary = (irqc.nr_words + IRQC_BITS - 1) / IRQC_BITS;
	atomic_store_explicit(&irqc.prio_mask, 1, memory_order_relaxed); /* class 0 */
	atomic_fetch_add(&irqc.gen, 1);
	atomic_store(&irqc.stop, false);
	atomic_store(&irqc.threads_active, 0);
	atomic_store(&irqc.fifo_warned, false);
	atomic_store(&irqc.err_other, 0);
	atomic_store(&irqc.noirq_log_last_ns, 0);
	atomic_store(&irqc.noirq_log_burst, 0);
	atomic_store(&irqc.pm_suspended, false);
	atomic_store(&irqc.wakeup_irq, -1);

	if (cfg.flags & IRQCORE_F_MLOCK)
		lock_memory();
	ret = irqc__topo_init(&irqc.cfg.nr_cpus);
	if (ret)
		goto fail_state;
	irqc.nr_cpus = irqc.cfg.nr_cpus;
	irqc__affinity_init();
	irqc__guard_init();

	ret = irqc__export_init();	/* the counters' cells: before any CPU */
	if (!ret)
		ret = irqc__counters_init();
	if (!ret)
		ret = irqc__descs_init();
	if (!ret)
		ret = irqc__probe_init();
	if (!ret)
		ret = irqc__balance_init();
	if (!ret)
		ret = irqc__cpus_init();
	if (ret)
		goto fail;
	/* release: everything above is visible to whoever sees IRQC_UP
	 * (pairs with the acquire in irqc__up()) */
	atomic_store_explicit(&irqc.state, IRQC_UP, memory_order_release);
	ret = irqc__cpus_start_threads();
	if (ret) {
		atomic_store_explicit(&irqc.state, IRQC_STOPPING, memory_order_release);
		goto fail;
	}
	irqc__export_start();		/* housekeeping; never fails init */
	irqc__balance_start();		/* cfg.balance_interval_ms; never fails init */
	pthread_mutex_unlock(&lifecycle_lock);
	return 0;

fail:
	teardown();
fail_state:
	atomic_store_explicit(&irqc.state, IRQC_DOWN, memory_order_release);
	memset(&irqc.cfg, 0, sizeof(irqc.cfg));
	pthread_mutex_unlock(&lifecycle_lock);
	return ret;
}

void irqcore_shutdown(void)
{
	int expected = IRQC_UP;

	if (irqc__in_handler_context()) {
		irqc_warn("irqcore_shutdown() from IRQ context refused");
		return;
	}
	pthread_mutex_lock(&lifecycle_lock);
	if (atomic_load(&irqc.state) != expected) {
		pthread_mutex_unlock(&lifecycle_lock);
		return;
	}
	/* G2: from here on public calls return -ENODEV (or do nothing); wait
	 * for the calls already in flight, which complete normally. */
	irqc__api_drain();
	/* Leftover actions are freed while the dispatchers still run, so that
	 * free_irq's grace periods and thread stops work as usual: no irq
	 * thread outlives shutdown, not even one a request in flight made. */
	irqc__release_leftovers();
	irqc__sources_shutdown();	/* the source thread, timers (sources/) */
	irqc_ctx.cpu = NULL;	/* an attached caller detaches implicitly */
	teardown();
	atomic_fetch_add(&irqc.gen, 1);	/* other threads' CPU pointers go stale */
	atomic_store_explicit(&irqc.state, IRQC_DOWN, memory_order_release);
	memset(&irqc.cfg, 0, sizeof(irqc.cfg));
	pthread_mutex_unlock(&lifecycle_lock);
}

/* ---- context ---- */

bool in_hardirq(void)
{
	return irqc__hardirq_depth() > 0;
}

bool in_interrupt(void)
{
	return irqc__hardirq_depth() > 0 || irqc_ctx.softirq > 0;
}

bool in_serving_softirq(void)
{
	return irqc_ctx.softirq > 0;
}

bool in_task(void)
{
	return !in_interrupt();
}

int smp_processor_id(void)
{
	/* the id kept in the thread, not cpu->id: shutdown may free the CPU */
	return irqc__this_cpu() ? (int)irqc_ctx.cpu_id : -1;
}

/* The calling thread runs a flow of irq (a hard handler, a caller's flow,
 * a nested child's handler in its parent's thread): it owns the line. */
bool irqc__runs_line(unsigned int irq)
{
	for (unsigned int i = 0; i < irqc_ctx.nr_running; i++)
		if (irqc_ctx.running[i] == irq)
			return true;
	return false;
}

/* A wait for irq's handlers or threads would wait for the caller itself. */
bool irqc__in_line_context(unsigned int irq)
{
	return irqc_ctx.thread_irq == (int)irq || irqc__runs_line(irq);
}
