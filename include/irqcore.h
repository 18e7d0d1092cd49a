/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irqcore — an in-process interrupt dispatch core with the interrupt model of
 * the Linux generic IRQ layer: numbered lines, request_irq()/free_irq(),
 * shared lines walked in registration order, IRQ_NONE/IRQ_HANDLED/
 * IRQ_WAKE_THREAD, per-IRQ CPU affinity, spurious-interrupt detection and
 * per-CPU statistics, with a lock-free hot path.
 *
 * Conventions
 *  - Errors are negative errno values.
 *  - "CPU n" always means dispatcher n (0 .. nr_cpus-1), never an OS CPU.
 *  - "hard IRQ context" is a dispatcher running a hard handler; "process
 *    context" is any other thread.
 *  - Functions that may sleep say so; none of them may be called from a hard
 *    handler (they warn and refuse instead of deadlocking).
 *
 * Build with -D_GNU_SOURCE (pkg-config --cflags irqcore adds it): the API
 * uses cpu_set_t.
 */
#ifndef IRQCORE_H
#define IRQCORE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Handler results and types (values as in Linux)
 */
typedef enum irqreturn {
	IRQ_NONE = 0,		/* not my device */
	IRQ_HANDLED = 1,	/* handled */
	IRQ_WAKE_THREAD = 2,	/* wake the action's thread_fn */
} irqreturn_t;
#define IRQ_RETVAL(x) ((x) ? IRQ_HANDLED : IRQ_NONE)

typedef irqreturn_t (*irq_handler_t)(int irq, void *dev_id);

/* Request flags: names and values of include/linux/interrupt.h. */
#define IRQF_TRIGGER_NONE	0x00000000u
#define IRQF_TRIGGER_RISING	0x00000001u
#define IRQF_TRIGGER_FALLING	0x00000002u
#define IRQF_TRIGGER_HIGH	0x00000004u
#define IRQF_TRIGGER_LOW	0x00000008u
#define IRQF_TRIGGER_MASK	(IRQF_TRIGGER_HIGH | IRQF_TRIGGER_LOW | \
				 IRQF_TRIGGER_RISING | IRQF_TRIGGER_FALLING)
#define IRQF_TRIGGER_PROBE	0x00000010u
#define IRQF_SHARED		0x00000080u
#define IRQF_PROBE_SHARED	0x00000100u
#define __IRQF_TIMER		0x00000200u
#define IRQF_PERCPU		0x00000400u
#define IRQF_NOBALANCING	0x00000800u
#define IRQF_IRQPOLL		0x00001000u
#define IRQF_ONESHOT		0x00002000u
#define IRQF_NO_SUSPEND		0x00004000u
#define IRQF_FORCE_RESUME	0x00008000u
#define IRQF_NO_THREAD		0x00010000u
#define IRQF_EARLY_RESUME	0x00020000u
#define IRQF_COND_SUSPEND	0x00040000u
#define IRQF_NO_AUTOEN		0x00080000u
#define IRQF_NO_DEBUG		0x00100000u
#define IRQF_COND_ONESHOT	0x00200000u
#define IRQF_TIMER		(__IRQF_TIMER | IRQF_NO_SUSPEND | IRQF_NO_THREAD)

/* Trigger types (include/linux/irq.h). */
#define IRQ_TYPE_NONE		0x00000000u
#define IRQ_TYPE_EDGE_RISING	0x00000001u
#define IRQ_TYPE_EDGE_FALLING	0x00000002u
#define IRQ_TYPE_EDGE_BOTH	(IRQ_TYPE_EDGE_FALLING | IRQ_TYPE_EDGE_RISING)
#define IRQ_TYPE_LEVEL_HIGH	0x00000004u
#define IRQ_TYPE_LEVEL_LOW	0x00000008u
#define IRQ_TYPE_LEVEL_MASK	(IRQ_TYPE_LEVEL_LOW | IRQ_TYPE_LEVEL_HIGH)
#define IRQ_TYPE_SENSE_MASK	0x0000000fu

/* Per-line status flags (irq_set_status_flags; values as in Linux). */
#define IRQ_PER_CPU		(1u << 9)
#define IRQ_NOPROBE		(1u << 10)
#define IRQ_NOREQUEST		(1u << 11)
#define IRQ_NOAUTOEN		(1u << 12)
#define IRQ_NO_BALANCING	(1u << 13)
#define IRQ_NESTED_THREAD	(1u << 15)

/* request_any_context_irq() results */
#define IRQC_IS_HARDIRQ		0
#define IRQC_IS_NESTED		1

/* ---------------------------------------------------------------------------
 * Lifecycle
 */
enum {
	IRQCORE_IDLE_SLEEP = 0,		/* sleep on a futex when idle (default) */
	IRQCORE_IDLE_SPIN = 1,		/* never sleep: lowest latency, burns a PU */
	IRQCORE_IDLE_ADAPTIVE = 2,	/* spin for spin_budget_ns, then sleep */
};

#define IRQCORE_F_EXTERNAL_CPUS	0x01u	/* no dispatcher threads: callers drive
					   CPUs (irqcore_cpu_attach/irqcore_poll) */
#define IRQCORE_F_THREADIRQS	0x02u	/* force threading ("threadirqs") */
#define IRQCORE_F_NOIRQDEBUG	0x04u	/* no spurious-interrupt detection */
#define IRQCORE_F_IRQFIXUP	0x08u	/* poll other lines on an unhandled event */
#define IRQCORE_F_IRQPOLL	0x10u	/* ... for lines whose first action has
					   IRQF_IRQPOLL */
#define IRQCORE_F_NO_EXPORT	0x20u	/* no shared-memory statistics segment */
#define IRQCORE_F_ALL		0x3fu

/* Log levels passed to the log callback (syslog's values). */
#define IRQCORE_LOG_ERR		3
#define IRQCORE_LOG_WARNING	4
#define IRQCORE_LOG_NOTICE	5
#define IRQCORE_LOG_INFO	6

#define IRQCORE_MAX_IRQS	65536u
#define IRQCORE_MAX_CPUS	CPU_SETSIZE

struct irqcore_config {
	unsigned int nr_irqs;	/* lines 0..nr_irqs-1; default 1024, at most 65536 */
	unsigned int nr_cpus;	/* dispatchers; default: PUs the process may run on */
	int idle;		/* IRQCORE_IDLE_* */
	unsigned int flags;	/* IRQCORE_F_* */
	void (*log)(int level, const char *msg, void *arg); /* NULL: stderr */
	void *log_arg;
	/* Zero means default for everything below. */
	unsigned long spin_budget_ns;	/* IRQCORE_IDLE_ADAPTIVE: spin this long
					   before sleeping (default 50 us) */
	const int *cpu_map;	/* nr_cpus entries: OS PU (hwloc logical index
				   among the PUs the process may use) for each
				   dispatcher; NULL: round-robin */
	bool no_pinning;	/* do not bind dispatcher threads */
	/* SCHED_FIFO priority of irq threads (1..99); 0: 50, like the kernel's
	   irq threads; -1: SCHED_OTHER. Without the right to use SCHED_FIFO
	   the threads run SCHED_OTHER after one warning. */
	int thread_priority;
	/* Monotonic clock in ns used for the spurious-interrupt windows
	   (simulations and tests may drive time themselves); NULL: CLOCK_MONOTONIC. */
	unsigned long long (*clock_ns)(void *arg);
	void *clock_arg;
};

void irqcore_config_init(struct irqcore_config *cfg);	/* fills defaults */
/* NULL = defaults. -EBUSY if running, -EINVAL for a bad field, -ENOMEM,
 * or the error of a dispatcher thread start. May sleep. */
int irqcore_init(const struct irqcore_config *cfg);
/* Stops the dispatchers, frees what is left (warning once per leftover
 * action). Process context only. */
void irqcore_shutdown(void);

/* ---------------------------------------------------------------------------
 * The device side
 */
/* An edge from any thread (never sleeps, no lock, no allocation).
 * 0, -EINVAL out of range, -ENODEV not initialized. */
int irq_raise(unsigned int irq);
/* Level lines: assert (1) / deassert (0). An asserted, unmasked level line
 * fires again after each run of its flow. */
int irq_set_line(unsigned int irq, int level);
/* Run the line's flow inline on the caller's CPU context (a dispatcher, a
 * handler, or a thread attached with irqcore_cpu_attach). -EPERM outside a
 * CPU context, -EINVAL out of range. */
int generic_handle_irq(unsigned int irq);
/* Returns when every raise made before the call is handled (threaded
 * handlers included), except events latched on masked or disabled lines.
 * timeout_ms < 0: no limit. -ETIMEDOUT, -EDEADLK from a handler. May sleep. */
int irqcore_quiesce(int timeout_ms);

/* External CPUs (IRQCORE_F_EXTERNAL_CPUS): a control loop drives a CPU.
 * attach: -EINVAL bad CPU, -EOPNOTSUPP without the flag, -EBUSY CPU owned by
 * another thread, -EALREADY this thread already is a CPU. */
int irqcore_cpu_attach(unsigned int cpu);
int irqcore_cpu_detach(void);		/* -EPERM if not attached */
int irqcore_poll(void);			/* drain this CPU now; IRQs handled, or
					   -EPERM when not attached */

/* ---------------------------------------------------------------------------
 * Requesting (process context; may sleep)
 */
int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags,
		const char *name, void *dev_id);
int request_threaded_irq(unsigned int irq, irq_handler_t handler,
			 irq_handler_t thread_fn, unsigned long flags,
			 const char *name, void *dev_id);
int request_any_context_irq(unsigned int irq, irq_handler_t handler,
			    unsigned long flags, const char *name, void *dev_id);
/* Returns the name given at request time; NULL if not found. After it
 * returns the handler never runs again and dev_id may be freed. */
const void *free_irq(unsigned int irq, void *dev_id);

/* ---------------------------------------------------------------------------
 * Threaded handlers
 *
 * A thread_fn runs in its own thread "irq/<N>-<name>" (SCHED_FIFO, see
 * irqcore_config.thread_priority), woken when the hard handler returns
 * IRQ_WAKE_THREAD. With IRQF_ONESHOT the line stays masked until the last
 * woken thread of the line has finished.
 */
/* Wake the thread of the action dev_id as if its handler had returned
 * IRQ_WAKE_THREAD. Any context. */
void irq_wake_thread(unsigned int irq, void *dev_id);
/* Nested lines: a parent whose threaded handler demultiplexes children on a
 * slow bus calls handle_nested_irq(child), which runs the child's thread_fn
 * in the caller's thread. Process or threaded-handler context only. */
void handle_nested_irq(unsigned int irq);
int irq_set_nested_thread(unsigned int irq, bool nest);	/* IRQ_NESTED_THREAD */
/* SCHED_FIFO priority (1..99) of every thread of the line, 0: SCHED_OTHER.
 * -EPERM when the process may not use SCHED_FIFO. */
int irq_set_thread_priority(unsigned int irq, int prio);
/* CPUs (dispatcher numbers: their processing units) the thread of the action
 * dev_id runs on; NULL: follow the line's effective affinity again (D6). */
int irq_set_thread_affinity(unsigned int irq, void *dev_id, const cpu_set_t *mask);

/* ---------------------------------------------------------------------------
 * Managed (devres) requests: released together with the device
 */
struct irqcore_devres;
struct device {
	const char *name;
	struct irqcore_devres *devres;	/* private: managed IRQs, newest first */
};
void device_initialize(struct device *dev, const char *name);
void device_release(struct device *dev);	/* frees its IRQs, newest first */
int devm_request_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
		     unsigned long flags, const char *name, void *dev_id);
int devm_request_threaded_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
			      irq_handler_t thread_fn, unsigned long flags,
			      const char *name, void *dev_id);
void devm_free_irq(struct device *dev, unsigned int irq, void *dev_id);

/* ---------------------------------------------------------------------------
 * Tasklets: deferred functions that run on a CPU after its hard handlers,
 * outside any handler (in_interrupt() true, in_hardirq() false), never
 * concurrently with themselves. Scheduled from a CPU context they run on
 * that CPU; from any other thread on CPU 0. The structure is the caller's;
 * its fields are private.
 */
struct tasklet_struct {
	struct tasklet_struct *next;
	unsigned long state;
	int count;			/* > 0: disabled */
	bool use_callback;
	void (*func)(unsigned long data);
	void (*callback)(struct tasklet_struct *t);
	unsigned long data;
};
void tasklet_init(struct tasklet_struct *t, void (*func)(unsigned long), unsigned long data);
void tasklet_setup(struct tasklet_struct *t, void (*callback)(struct tasklet_struct *));
void tasklet_schedule(struct tasklet_struct *t);
void tasklet_disable(struct tasklet_struct *t);	/* waits for a running one */
void tasklet_enable(struct tasklet_struct *t);
/* Waits until t is neither scheduled nor running. Process context. */
void tasklet_kill(struct tasklet_struct *t);

/* ---------------------------------------------------------------------------
 * Line control
 */
void disable_irq(unsigned int irq);
void disable_irq_nosync(unsigned int irq);
bool disable_hardirq(unsigned int irq);
void enable_irq(unsigned int irq);
void synchronize_irq(unsigned int irq);
bool synchronize_hardirq(unsigned int irq);
int irq_set_irq_type(unsigned int irq, unsigned int type);
/* Line status flags IRQ_NOREQUEST, IRQ_NOPROBE, IRQ_NOAUTOEN,
 * IRQ_NO_BALANCING, IRQ_PER_CPU, IRQ_NESTED_THREAD. */
int irq_set_status_flags(unsigned int irq, unsigned long set);
int irq_clear_status_flags(unsigned int irq, unsigned long clr);

/* ---------------------------------------------------------------------------
 * Affinity (CPU numbers are dispatcher numbers)
 */
int irq_set_affinity(unsigned int irq, const cpu_set_t *mask);	/* -EINVAL empty/out of range */
int irq_get_affinity(unsigned int irq, cpu_set_t *mask);
int irq_get_effective_affinity(unsigned int irq, cpu_set_t *mask);
/* Stores the hint (shown by tools) and applies it; NULL clears the hint. */
int irq_set_affinity_hint(unsigned int irq, const cpu_set_t *mask);

/* ---------------------------------------------------------------------------
 * Context
 */
bool in_hardirq(void);		/* inside a hard handler */
bool in_interrupt(void);	/* hard handler or tasklet */
bool in_serving_softirq(void);	/* a tasklet */
bool in_task(void);		/* !in_interrupt() */
int smp_processor_id(void);	/* current CPU number, -1 outside a CPU context */

/* Defer dispatch on the caller's CPU (an attached external CPU polls nothing
 * while disabled and drains on the enable that ends the section). Outside a
 * CPU they only nest a per-thread flag that irqs_disabled() reports. */
unsigned long irqcore_local_irq_save(void);
void irqcore_local_irq_restore(unsigned long flags);
void local_irq_disable(void);
void local_irq_enable(void);
bool irqs_disabled(void);
#define local_irq_save(flags)    do { (flags) = irqcore_local_irq_save(); } while (0)
#define local_irq_restore(flags) irqcore_local_irq_restore(flags)

/* ---------------------------------------------------------------------------
 * Chips, flows, numbering
 */
struct irq_chip;
struct irq_desc;		/* layout is private */

struct irq_data {		/* what a chip callback sees */
	unsigned int irq;
	unsigned long hwirq;
	const struct irq_chip *chip;
	void *chip_data;
};

/* Chip callbacks of one line are serialized (a per-line spinlock that the
 * default soft chip, which has no callbacks, never takes). */
struct irq_chip {
	const char *name;
	void (*irq_mask)(struct irq_data *d);
	void (*irq_unmask)(struct irq_data *d);
	void (*irq_ack)(struct irq_data *d);
	void (*irq_eoi)(struct irq_data *d);
	int (*irq_set_type)(struct irq_data *d, unsigned int type);
	int (*irq_set_affinity)(struct irq_data *d, const cpu_set_t *mask, bool force);
	unsigned long flags;
};

typedef void (*irq_flow_handler_t)(struct irq_desc *desc);
void handle_simple_irq(struct irq_desc *desc);
void handle_level_irq(struct irq_desc *desc);
void handle_edge_irq(struct irq_desc *desc);
void handle_fasteoi_irq(struct irq_desc *desc);

/* Every line 0..nr_irqs-1 exists from init with the default soft chip (name
 * "irqcore") and handle_edge_irq (flow name "edge"). The soft chip takes every
 * trigger type: a level type switches the line to handle_level_irq, an edge
 * type back to handle_edge_irq. chip NULL restores the soft chip; name NULL
 * takes the flow's own name. A custom flow handler is a demultiplexer: it is
 * counted as one event per run and calls generic_handle_irq() on children. */
int irq_set_chip_and_handler_name(unsigned int irq, const struct irq_chip *chip,
				  irq_flow_handler_t handle, const char *name);
int irq_set_chip_data(unsigned int irq, void *data);
struct irq_data *irq_get_irq_data(unsigned int irq);
unsigned int irq_desc_get_irq(struct irq_desc *desc);
struct irq_data *irq_desc_get_irq_data(struct irq_desc *desc);
int irq_alloc_desc(int node);		/* reserve a free line; -ENOSPC */
void irq_free_desc(unsigned int irq);

/* ---------------------------------------------------------------------------
 * Autoprobe
 */
unsigned long probe_irq_on(void);
int probe_irq_off(unsigned long val);	/* the line that fired, 0 none, negative if several */

/* ---------------------------------------------------------------------------
 * Statistics and status
 */
unsigned int kstat_irqs_cpu(unsigned int irq, int cpu);
unsigned int kstat_irqs_usr(unsigned int irq);
int irq_show_interrupts(FILE *out);		/* /proc/interrupts text */
int irq_show_stat_intr(FILE *out);		/* the /proc/stat "intr ..." line */
int irq_show_spurious(unsigned int irq, FILE *out); /* /proc/irq/N/spurious */

struct irq_status {
	unsigned int depth;		/* disable depth */
	bool masked, disabled, spurious_disabled, in_progress, pending;
	unsigned long threads_oneshot;	/* ONESHOT bits of threads still running */
	unsigned int threads_active;
	unsigned int nr_actions;
	unsigned long long count;	/* handled events, as kstat_irqs_usr */
	unsigned int irq_count, irqs_unhandled; /* spurious window */
	unsigned long long raised;	/* accepted irq_raise/irq_set_line events */
	unsigned long long coalesced;	/* raises that did not start a flow of their
					   own: merged into a set pending bit,
					   latched on a masked line behind another,
					   or folded into a PENDING replay */
	int effective_cpu;		/* -1 if none */
	/* beyond the contract */
	unsigned long long noaction;	/* events that found no action (in ERR) */
	unsigned int type;		/* IRQ_TYPE_* */
	bool level_asserted;		/* irq_set_line() state */
};
int irq_get_status(unsigned int irq, struct irq_status *st);

#ifdef __cplusplus
}
#endif
#endif /* IRQCORE_H */
