/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irqcore — an in-process interrupt dispatch core with the interrupt model of
 * the Linux generic IRQ layer: numbered lines, request_irq()/free_irq(),
 * shared lines walked in registration order, IRQ_NONE/IRQ_HANDLED/
 * IRQ_WAKE_THREAD, per-IRQ CPU affinity, spurious-interrupt detection and
 * per-CPU statistics, with a lock-free hot path.
 *
 * Conventions
 *  - Calling contexts, as the comments below name them:
 *      any thread    every context below, and threads irqcore never saw.
 *      process       a thread that is none of the following (a thread
 *                    attached with irqcore_cpu_attach, outside its handlers,
 *                    included).
 *      hard handler  a CPU running a flow or hard handler (in_hardirq()),
 *                    also one run inline by generic_handle_irq().
 *      irq thread    an irq thread "irq/<N>-<name>" running its thread_fn.
 *      nested child  a nested child's thread_fn run by handle_nested_irq()
 *                    in its parent's irq thread.
 *      tasklet       a CPU running a tasklet (in_serving_softirq()).
 *    "IRQ context" = hard handler or tasklet (in_interrupt()). "CPU context"
 *    = a dispatcher (handlers, tasklets) or an attached thread.
 *  - "Sleeps": may block without bound (waits for handlers, threads, grace
 *    periods; starts or joins threads). "Never sleeps": waits for nobody;
 *    "brief lock": may block briefly on the line's mutex, which nobody holds
 *    while waiting. Handlers that a call runs inline in the caller (flows,
 *    tasklets, a nested child's thread_fn) take what they take.
 *  - A call made from a context it refuses logs a warning through the log
 *    callback and returns at once, with the value its comment names: no call
 *    waits for its own caller (G5 of docs/semantics.md).
 *  - Errors are negative errno values. Before irqcore_init(), after
 *    irqcore_shutdown(), or when a call overlaps a shutdown, every call that
 *    uses the instance returns -ENODEV (or the 0/NULL/false its comment
 *    names; void calls do nothing) or completes normally.
 *  - "CPU n" always means dispatcher n (0 .. nr_cpus-1), never an OS CPU.
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

/* The library is built with -fvisibility=hidden: what this header declares
 * is exactly what libirqcore.so exports. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
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

/* Per-line status flags (irq_set_status_flags; names and values as in
 * Linux's include/linux/irq.h; the IRQ_TYPE_* bits are accepted there too). */
#define IRQ_LEVEL		(1u << 8)	/* level triggered: refires while asserted */
#define IRQ_PER_CPU		(1u << 9)	/* not polled, not balanced */
#define IRQ_NOPROBE		(1u << 10)	/* autoprobe skips the line */
#define IRQ_NOREQUEST		(1u << 11)	/* request_irq: -EINVAL */
#define IRQ_NOAUTOEN		(1u << 12)	/* request leaves it disabled, depth 1 */
#define IRQ_NO_BALANCING	(1u << 13)	/* the balancer leaves it alone */
#define IRQ_MOVE_PCNTXT		(1u << 14)	/* accepted: affinity always moves
						   from process context here */
#define IRQ_NESTED_THREAD	(1u << 15)	/* child run by handle_nested_irq */
#define IRQ_NOTHREAD		(1u << 16)	/* no forced threading */
#define IRQ_PER_CPU_DEVID	(1u << 17)	/* request_irq: -EINVAL */
#define IRQ_IS_POLLED		(1u << 18)	/* polled: no spurious detection */
#define IRQ_DISABLE_UNLAZY	(1u << 19)	/* disable_irq masks at once */
#define IRQ_HIDDEN		(1u << 20)	/* not in irq_show_interrupts */

/* struct irq_chip flags (names and values as in Linux). Honoured:
 * IRQCHIP_SET_TYPE_MASKED (masked around irq_set_type),
 * IRQCHIP_MASK_ON_SUSPEND (irqcore_suspend masks non-wake lines at once),
 * IRQCHIP_SKIP_SET_WAKE (wake without irq_set_wake), IRQCHIP_ONESHOT_SAFE
 * (requests drop IRQF_ONESHOT and a thread_fn needs no hard handler with
 * ONESHOT: the chip needs no masking while threads run). The others are
 * accepted and have no effect here. */
#define IRQCHIP_SET_TYPE_MASKED			(1ul << 0)
#define IRQCHIP_EOI_IF_HANDLED			(1ul << 1)
#define IRQCHIP_MASK_ON_SUSPEND			(1ul << 2)
#define IRQCHIP_ONOFFLINE_ENABLED		(1ul << 3)
#define IRQCHIP_SKIP_SET_WAKE			(1ul << 4)
#define IRQCHIP_ONESHOT_SAFE			(1ul << 5)
#define IRQCHIP_EOI_THREADED			(1ul << 6)
#define IRQCHIP_SUPPORTS_LEVEL_MSI		(1ul << 7)
#define IRQCHIP_SUPPORTS_NMI			(1ul << 8)
#define IRQCHIP_ENABLE_WAKEUP_ON_SUSPEND	(1ul << 9)
#define IRQCHIP_AFFINITY_PRE_STARTUP		(1ul << 10)
#define IRQCHIP_IMMUTABLE			(1ul << 11)

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
#define IRQCORE_F_NO_EXPORT	0x20u	/* no shared-memory statistics segment
					   (/dev/shm/irqcore.<pid>, read by
					   irqtop): the same counters stay
					   private to the process */
#define IRQCORE_F_LATENCY	0x40u	/* latency tracking: every raise is
					   time-stamped (one clock read per
					   raise) and the statistics record a
					   raise->handler latency histogram per
					   line and time every hard handler run
					   (otherwise one run in 512 per CPU) */
#define IRQCORE_F_MLOCK		0x80u	/* mlockall(MCL_CURRENT | MCL_FUTURE) at
					   init, for RT loops; refused: one
					   warning, init goes on */
#define IRQCORE_F_ALL		0xffu

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
	/* NULL: stderr. Called from any context, possibly with a line's locks
	   held: it must not call back into irqcore. */
	void (*log)(int level, const char *msg, void *arg);
	void *log_arg;
	/* Zero means default for everything below. */
	unsigned long spin_budget_ns;	/* IRQCORE_IDLE_ADAPTIVE: spin this long
					   before sleeping (default 50 us) */
	const int *cpu_map;	/* nr_cpus entries: OS PU (hwloc logical index
				   among the PUs the process may use) for each
				   dispatcher; NULL: see cpu_list */
	/* The OS CPUs of the dispatchers, in the kernel's list format
	   ("2-5,8"), read at init: dispatcher n goes to the n-th CPU of the
	   list (round-robin when nr_cpus is larger; nr_cpus 0: one per CPU of
	   the list). -EINVAL, with a warning, for a list that does not parse,
	   is empty, names a CPU the process may not run on, or comes with
	   cpu_map. NULL: every PU the process may use, one per core first,
	   hyper-thread siblings last. */
	const char *cpu_list;
	bool no_pinning;	/* do not bind dispatcher threads */
	/* SCHED_FIFO priority of the dispatcher threads (1..99); 0: SCHED_OTHER.
	   Without the right to use SCHED_FIFO they run SCHED_OTHER after one
	   warning. Out of range: -EINVAL. */
	int dispatcher_priority;
	/* SCHED_FIFO priority of irq threads (1..99); 0: 50, like the kernel's
	   irq threads; -1: SCHED_OTHER. Without the right to use SCHED_FIFO
	   the threads run SCHED_OTHER after one warning. */
	int thread_priority;
	/* Monotonic clock in ns used for the spurious-interrupt windows
	   (simulations and tests may drive time themselves); NULL: CLOCK_MONOTONIC. */
	unsigned long long (*clock_ns)(void *arg);
	void *clock_arg;
	/* The balancer (A8; see irqcore_balance_now below). Off by default,
	   like irqbalance: every balance_interval_ms a thread
	   ("irqcore-balance") moves lines off overloaded CPUs; 0: no thread.
	   At most 3600000 (an hour), else -EINVAL. */
	unsigned int balance_interval_ms;
	/* A CPU is overloaded above this percentage of the mean CPU load;
	   0: 125. 100..1000, else -EINVAL. */
	unsigned int balance_threshold_pct;
	unsigned int balance_max_moves;	/* moves per pass at most; 0: 4 */
	unsigned int balance_cooldown;	/* passes a moved line stays put; 0: 10 */
	/* Interrupt coalescing (D10): a dispatcher thread that has just
	   handled n events stays off its pending bitmaps for min(n, 16) x
	   coalesce_ns, so that a stream of raises sets several bits per
	   transfer of the bitmap's cache line; a line of a priority class
	   above 0, a quiesce or shutdown ends the wait at once. Events of
	   class 0 raised meanwhile wait for it: at most 16 x coalesce_ns.
	   0: 20 ns; -1: none; 1..100000 (100 us), else -EINVAL. External
	   CPUs never wait (their loop decides when to poll). */
	int coalesce_ns;
};

/* Fills *cfg with the defaults; NULL: nothing. Any thread, never sleeps. */
void irqcore_config_init(struct irqcore_config *cfg);
/* cfg NULL = defaults. -EBUSY already running, -EINVAL bad field (cpu_map
 * included), -ENOMEM, -ENODEV no topology, or -errno of a dispatcher's
 * pthread_create. Process context (not checked; from the running instance's
 * handlers it is -EBUSY). Sleeps: starts threads, waits for a shutdown. */
int irqcore_init(const struct irqcore_config *cfg);
/* Stops the dispatchers, frees what is left as free_irq does (warning once
 * per leftover action); not running: nothing. Process context: from IRQ
 * context or an irq thread it warns "irqcore_shutdown() from IRQ context
 * refused" and does nothing. Sleeps (calls in flight, grace periods, threads). */
void irqcore_shutdown(void);

/* ---------------------------------------------------------------------------
 * The device side
 */
/* An edge. 0, -EINVAL out of range, -ENODEV not running; never fails for
 * bookkeeping. Any thread; never sleeps: no lock, no allocation, no system
 * call but a futex wake of a sleeping target CPU. */
int irq_raise(unsigned int irq);
/* Many edges at once, for poll-mode drivers that find several events in one
 * look: as irq_raise() on each line, with one OR per pending word and one
 * wake-up per CPU (lines sorted by number batch best; a line listed twice
 * is raised twice, the second coalesced). All or nothing on bad input:
 * -EINVAL if irqs is NULL with n > 0 or any line is out of range (nothing
 * raised), -ENODEV. Any thread; never sleeps; no lock, no allocation. */
int irq_raise_many(const unsigned int *irqs, unsigned int n);
/* Drive a line: level != 0 asserts, 0 deasserts. A level line fires on
 * assertion and again after each run of its flow while asserted and unmasked;
 * an edge line on the transitions its type selects (none: rising). 0 also
 * when nothing fires; errors and contexts as irq_raise(). */
int irq_set_line(unsigned int irq, int level);
/* Run the line's flow inline on the caller's CPU (CPU context only: a hard
 * handler, a tasklet, an attached thread). -EPERM elsewhere (irq threads,
 * nested children), -EINVAL out of range, -ENODEV. Never sleeps itself; more
 * than 8 levels deep it warns and queues the event on the CPU instead. */
int generic_handle_irq(unsigned int irq);
/* 0 once every raise made before the call is handled (threads and tasklets
 * included), except events latched on masked or disabled lines and events
 * an attached CPU defers (local_irq_disable, a raised level: they wait for
 * the section's end, Q2); timeout_ms
 * < 0: no limit. -ETIMEDOUT, -ENOMEM, -ENODEV. Process context: from IRQ
 * context or an irq thread it warns and returns -EDEADLK. Sleeps. */
int irqcore_quiesce(int timeout_ms);

/* External CPUs (IRQCORE_F_EXTERNAL_CPUS): a control loop drives a CPU. Any
 * thread; they never sleep (irqcore_poll runs handlers and tasklets inline).
 * attach: makes the caller CPU cpu. -EOPNOTSUPP without the flag, -EINVAL bad
 * CPU, -EALREADY this thread already is a CPU, -EBUSY CPU owned by another
 * thread, -ENODEV. */
int irqcore_cpu_attach(unsigned int cpu);
/* -EPERM not attached (also when not running: shutdown detaches every CPU),
 * -EBUSY from a handler or tasklet of this CPU. */
int irqcore_cpu_detach(void);
/* Drain this CPU now: events and tasklets handled. 0 inside local_irq_disable
 * or IRQ context (deferred to the next poll, or to the local_irq_enable that
 * ends the section); -EPERM not attached or not running. */
int irqcore_poll(void);

/* ---------------------------------------------------------------------------
 * Requesting (R1-R8 of docs/semantics.md)
 *
 * request_irq() is request_threaded_irq() with IRQF_COND_ONESHOT;
 * request_any_context_irq() returns IRQC_IS_NESTED on an IRQ_NESTED_THREAD
 * line (handler becomes the thread_fn), else IRQC_IS_HARDIRQ. Errors, in R1
 * order: -ENODEV not running; -EINVAL line out of range, SHARED without
 * dev_id, SHARED with NO_AUTOEN, COND_SUSPEND without SHARED or with
 * NO_SUSPEND, neither handler nor thread_fn; -EPERM from IRQ context
 * (warning "request_irq(%u) from IRQ context refused"); -EDEADLK from the
 * line's own irq thread or nested child (warning "... would wait for itself:
 * refused"); -ENOMEM; -EINVAL line IRQ_NOREQUEST, nested line without
 * thread_fn, thread_fn without handler and without IRQF_ONESHOT (R2). Then
 * -errno of the thread's pthread_create, -EBUSY flags mismatch (R3) or no
 * ONESHOT bit left (R5), or the chip's irq_set_type error.
 * Process context (other lines' irq threads and nested children may call
 * them). Sleep: start threads, take the line's request mutex, which a
 * free_irq() of the line holds while it waits.
 */
int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags,
		const char *name, void *dev_id);
int request_threaded_irq(unsigned int irq, irq_handler_t handler,
			 irq_handler_t thread_fn, unsigned long flags,
			 const char *name, void *dev_id);
int request_any_context_irq(unsigned int irq, irq_handler_t handler,
			    unsigned long flags, const char *name, void *dev_id);
/* Frees the action dev_id (F1-F3) and returns the name given at request
 * time; then its handler and thread_fn never run again and dev_id may be
 * freed. NULL with "Trying to free already-free IRQ %d" if there is no such
 * action or line; NULL, silently, when not running. Process context: from
 * IRQ context or an irq thread (nested children included) it warns "Trying
 * to free IRQ %d from IRQ context!" and returns NULL. Sleeps (grace period,
 * the line's handlers and threads, thread exit). */
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
 * IRQ_WAKE_THREAD; no such thread, line out of range, not running: nothing.
 * Any context, the line's own hard handler included. Brief lock; outside the
 * line's own flow it also waits while the line runs elsewhere (a flow, or a
 * nested child's thread_fn, which may sleep). */
void irq_wake_thread(unsigned int irq, void *dev_id);
/* Nested lines: a parent whose threaded handler demultiplexes children on a
 * slow bus calls handle_nested_irq(child), which runs the child's thread_fns
 * in the caller's thread (a second event meanwhile is replayed there). Irq
 * thread or process context: from IRQ context it warns "... from IRQ context:
 * it may sleep" and drops the event, as it does (warning) beyond 8 nested
 * levels. Sleeps as long as the thread_fns. Out of range, not running:
 * nothing. IRQ_NESTED_THREAD lines only: it calls every thread_fn, NULL too. */
void handle_nested_irq(unsigned int irq);
/* Sets/clears IRQ_NESTED_THREAD: as irq_set_status_flags(). */
int irq_set_nested_thread(unsigned int irq, bool nest);
/* SCHED_FIFO priority (1..99) of every thread of the line, now and later; 0:
 * SCHED_OTHER. -EINVAL line or prio out of range, -errno of
 * pthread_setschedparam (-EPERM: SCHED_FIFO not allowed), -ENOMEM, -ENODEV.
 * Any context (the line's own threads and handlers too): brief lock, system
 * calls, never sleeps. */
int irq_set_thread_priority(unsigned int irq, int prio);
/* CPUs (dispatcher numbers: their processing units) the thread of the action
 * dev_id runs on; NULL: follow the line's effective affinity again (D6).
 * -EINVAL line out of range, no CPU < nr_cpus in mask, or the action has no
 * thread; -ENOENT no such action; -EIO binding failed; -ENOMEM; -ENODEV. Any
 * context (own thread and handlers too): brief lock, system call, never sleeps. */
int irq_set_thread_affinity(unsigned int irq, void *dev_id, const cpu_set_t *mask);

/* ---------------------------------------------------------------------------
 * Managed (devres) requests: released together with the device (R9)
 *
 * devm_request_irq/devm_request_threaded_irq: as request_irq() and
 * request_threaded_irq() (errors, process context, sleep), plus -EINVAL for
 * a NULL dev, -ENOMEM; a NULL name takes the device's. devm_free_irq and
 * device_release free through free_irq(): process context, sleep; from IRQ
 * context or an irq thread free_irq refuses (warning) but the record is
 * dropped all the same. NULL dev: they do nothing.
 */
struct irqcore_devres;
struct device_node;		/* opaque firmware handles: only stored */
struct fwnode_handle;
/* A driver may embed it in its own device struct (container_of). */
struct device {
	const char *name;		/* dev_name() */
	struct irqcore_devres *devres;	/* private: managed resources, newest first */
	struct device *parent;		/* the caller's: irqcore never follows it */
	void *driver_data;		/* dev_set_drvdata()/dev_get_drvdata() */
	struct device_node *of_node;	/* the caller's, passed to irq domains */
	struct fwnode_handle *fwnode;
};
/* Sets name and clears every other field (set parent and driver_data
 * after it). Any thread, never sleeps. */
void device_initialize(struct device *dev, const char *name);
/* Releases its managed resources, newest first: IRQs through free_irq(),
 * actions (devm_add_action) by calling them. */
void device_release(struct device *dev);
int devm_request_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
		     unsigned long flags, const char *name, void *dev_id);
int devm_request_threaded_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
			      irq_handler_t thread_fn, unsigned long flags,
			      const char *name, void *dev_id);
/* Warns (and frees anyway) when the device has no such record. */
void devm_free_irq(struct device *dev, unsigned int irq, void *dev_id);
/* As request_any_context_irq() (IRQC_IS_HARDIRQ or IRQC_IS_NESTED, or its
 * errors), managed; plus -EINVAL NULL dev, -ENOMEM. Process context, sleeps. */
int devm_request_any_context_irq(struct device *dev, unsigned int irq, irq_handler_t handler,
				 unsigned long flags, const char *name, void *dev_id);
/* Managed actions: device_release() calls action(data), in one newest-first
 * order with the device's IRQs. 0; -EINVAL NULL dev or action, -ENOMEM.
 * The _or_reset form calls action(data) itself when it fails. Any thread
 * but IRQ context (it allocates: -EPERM there, with a warning); never sleep
 * (brief lock). */
int devm_add_action(struct device *dev, void (*action)(void *), void *data);
int devm_add_action_or_reset(struct device *dev, void (*action)(void *), void *data);
/* Drop the newest record of {action, data} without calling it (remove) or
 * calling it (release). A missing record warns. Any thread, never sleep;
 * release runs the action in the caller's context. */
void devm_remove_action(struct device *dev, void (*action)(void *), void *data);
void devm_release_action(struct device *dev, void (*action)(void *), void *data);

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
/* All: t NULL does nothing. init/setup: any thread, never sleep. */
void tasklet_init(struct tasklet_struct *t, void (*func)(unsigned long), unsigned long data);
void tasklet_setup(struct tasklet_struct *t, void (*callback)(struct tasklet_struct *));
/* Already scheduled: nothing; not running: warns and does nothing. Any
 * thread, never sleeps (a futex wake of the CPU at most). */
void tasklet_schedule(struct tasklet_struct *t);
/* Disables t (nesting), then waits for a running t to finish (sleeps) unless
 * called from a tasklet. Any context; from a hard handler it waits too. */
void tasklet_disable(struct tasklet_struct *t);
/* Ends one disable; at 0 a schedule made while disabled is queued. Any
 * thread, never sleeps. Unbalanced calls are not detected. */
void tasklet_enable(struct tasklet_struct *t);
/* Waits until t is neither scheduled nor running (sleeps). Process context or
 * irq thread: from IRQ context it warns "tasklet_kill() from IRQ context would
 * wait for itself" and returns at once. */
void tasklet_kill(struct tasklet_struct *t);

/* ---------------------------------------------------------------------------
 * Line control (E1-E6)
 *
 * Line out of range or not running: the void calls do nothing, silently;
 * disable_hardirq() returns false, synchronize_hardirq() true.
 *   disable_irq_nosync, enable_irq: any context, never sleep (brief lock;
 *     enable may call the chip's irq_unmask and wake a CPU).
 *   disable_irq, disable_hardirq, synchronize_irq, synchronize_hardirq:
 *     sleep: the _hardirq forms until no flow of the line runs, the others
 *     until its threads are idle too. From any hard handler, or from a
 *     handler, irq thread or nested child of the same line, they warn
 *     "%s(%u) from IRQ context would wait for itself: not waiting" and do
 *     not wait (disable_irq acts as disable_irq_nosync). From a tasklet or
 *     another line's thread they wait.
 */
void disable_irq(unsigned int irq);
void disable_irq_nosync(unsigned int irq);
/* true if the line's threads are idle (what synchronize_hardirq returns) */
bool disable_hardirq(unsigned int irq);
void enable_irq(unsigned int irq);	/* at depth 0: "Unbalanced enable for IRQ %d" */
void synchronize_irq(unsigned int irq);
/* true if, once no flow runs, the line's threads are idle (E4) */
bool synchronize_hardirq(unsigned int irq);
/* -EINVAL out of range or bits outside IRQ_TYPE_SENSE_MASK, -ENOMEM, the
 * chip's irq_set_type error, -ENODEV. Any context: brief lock, never sleeps
 * (a slow-bus chip's irq_bus_lock aside, taken outside IRQ context). */
int irq_set_irq_type(unsigned int irq, unsigned int type);
/* Line status flags, Linux's modifiable set: IRQ_TYPE_* (records the trigger
 * type without calling the chip; clearing them keeps the recorded type, as in
 * Linux), IRQ_LEVEL, IRQ_PER_CPU, IRQ_NOPROBE, IRQ_NOREQUEST, IRQ_NOAUTOEN,
 * IRQ_NO_BALANCING, IRQ_MOVE_PCNTXT, IRQ_NESTED_THREAD, IRQ_NOTHREAD,
 * IRQ_PER_CPU_DEVID, IRQ_IS_POLLED, IRQ_DISABLE_UNLAZY, IRQ_HIDDEN (see their
 * definitions for what each does). -EINVAL out of range or another bit (with
 * a warning; nothing changes), -ENOMEM, -ENODEV. Any context: brief lock,
 * never sleep. */
int irq_set_status_flags(unsigned int irq, unsigned long set);
int irq_clear_status_flags(unsigned int irq, unsigned long clr);

/* ---------------------------------------------------------------------------
 * Affinity (A1-A3; CPU numbers are dispatcher numbers)
 *
 * All: -ENODEV not running, -EINVAL line out of range or NULL mask (the
 * hint excepted), -ENOMEM at the line's first use. Any context, never sleep:
 * a brief lock (none for the effective affinity).
 */
/* -EINVAL no CPU < nr_cpus in mask; the chip's irq_set_affinity error. */
int irq_set_affinity(unsigned int irq, const cpu_set_t *mask);
int irq_get_affinity(unsigned int irq, cpu_set_t *mask);
int irq_get_effective_affinity(unsigned int irq, cpu_set_t *mask);
/* Stores the hint (shown by tools) and applies it with irq_set_affinity(),
 * whose errors it returns (the hint stays); NULL clears the hint only.
 * -EINVAL no CPU < nr_cpus in mask. */
int irq_set_affinity_hint(unsigned int irq, const cpu_set_t *mask);
/* The mask a line takes at its first request when nobody set its own (the
 * kernel's /proc/irq/default_smp_affinity); lines already requested keep
 * theirs. Default: every dispatcher. CPUs beyond nr_cpus are ignored, as by
 * irq_set_affinity. -EINVAL NULL, or no dispatcher in the mask (with a
 * warning; nothing changes), -ENODEV. Process context, brief lock. */
int irq_set_default_affinity(const cpu_set_t *mask);
int irq_get_default_affinity(cpu_set_t *mask);

/* CPU offline/online (A6), as the kernel's CPU hotplug for interrupts.
 * offline: every line whose effective CPU is cpu moves to the least loaded
 * online CPU of its mask, or of the default mask when its mask has none
 * online left ("affinity broken", with a warning), and no line is placed on
 * cpu until it is online again; raises in flight are not lost (the CPU's
 * dispatcher still drains whatever reaches it). -EBUSY the last online CPU.
 * online: the lines an offline moved off cpu, and the broken ones whose
 * mask holds cpu, come back to it. Both: 0 also when cpu already is in that
 * state (nothing done); -EINVAL cpu >= nr_cpus, -EOPNOTSUPP with external
 * CPUs (IRQCORE_F_EXTERNAL_CPUS), -EPERM from IRQ context (a hard handler
 * or a tasklet), with a warning; -ENODEV not running. Process context or an
 * irq thread; may sleep (takes each line's lock in turn).
 * irq_set_affinity with no online CPU in the mask: -EINVAL (a warning). */
int irqcore_cpu_offline(unsigned int cpu);
int irqcore_cpu_online(unsigned int cpu);

/* ---------------------------------------------------------------------------
 * Priority classes (Q1-Q3): an interrupt controller's priority levels.
 *
 * Each line has a class 0..IRQ_NR_PRIO-1 (0, the lowest, by default). A CPU
 * drains its pending lines highest class first, and between two lines of a
 * class looks for pending lines of a higher one: a line of a higher class
 * waits at most for the one handler running when it was raised, never for
 * the lower lines raised before it. Within a class, lines go in number
 * order, as without classes.
 */
#define IRQ_NR_PRIO		8
/* irq_set_priority: -EINVAL line out of range or prio >= IRQ_NR_PRIO (with a
 * warning; nothing changes), -ENOMEM at the line's first use, -ENODEV. An
 * event raised during the change goes to either class, never lost. Any
 * context, never sleeps. irq_get_priority: the class, or the same errors. */
int irq_set_priority(unsigned int irq, unsigned int prio);
int irq_get_priority(unsigned int irq);

/* A CPU's level, as Windows' IRQL or an APIC's task-priority register: on a
 * CPU at level L, lines of class <= L stay pending (deferred, not lost)
 * while lines of higher classes still dispatch there; the CPU takes the
 * deferred ones when its level is lowered. IRQCORE_LEVEL_PASSIVE (-1), a
 * CPU's level at start: nothing deferred; IRQ_NR_PRIO - 1: everything.
 *
 * irqcore_raise_level(level) sets the caller's CPU to level and returns its
 * old level (>= IRQCORE_LEVEL_PASSIVE); pass that to irqcore_restore_level()
 * to end the section. The caller's CPU: an attached external CPU's thread,
 * or a hard handler or tasklet running on a CPU. A dispatcher's level must
 * be restored before the handler returns; a dispatcher found at a raised
 * level after its pass warns once and goes back to passive.
 *
 * Errors, all below IRQCORE_LEVEL_PASSIVE: -EINVAL level out of range, or
 * lower than the current level (raise) or higher than it (restore) (with
 * a warning; nothing changes); -ENXIO the caller is no CPU (an ordinary
 * thread, an irq thread); -ENODEV not running. Never sleeps. Restoring
 * outside IRQ context on an external CPU runs the deferred lines inline
 * (as local_irq_enable runs a deferred poll); in a handler they run after
 * it, in the same pass or the next. */
#define IRQCORE_LEVEL_PASSIVE	(-1)
int irqcore_raise_level(int level);
int irqcore_restore_level(int old);

/* ---------------------------------------------------------------------------
 * Context: any thread, never sleep, valid whether or not irqcore runs
 */
bool in_hardirq(void);		/* inside a hard handler */
bool in_interrupt(void);	/* hard handler or tasklet */
bool in_serving_softirq(void);	/* a tasklet */
bool in_task(void);		/* !in_interrupt() */
int smp_processor_id(void);	/* current CPU number, -1 outside a CPU context */

/* Defer dispatch on the caller's CPU (an attached external CPU polls nothing
 * while disabled and drains on the enable that ends the section). Outside a
 * CPU they only nest a per-thread flag that irqs_disabled() reports. Any
 * thread, never sleep; the restore/enable that ends the outermost section
 * outside IRQ context runs a deferred irqcore_poll() inline. An enable
 * without a disable warns and does nothing; restore's value is not checked. */
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
struct irq_domain;		/* include/irqcore/linux.h */

typedef unsigned long irq_hw_number_t;	/* as in Linux */

struct irq_data {		/* what a chip callback sees */
	unsigned int irq;
	irq_hw_number_t hwirq;	/* the line number, or the domain's hwirq */
	const struct irq_chip *chip;
	void *chip_data;
	struct irq_domain *domain;	/* the line's irq domain, NULL: none */
};

/* Chip callbacks of one line are serialized (a per-line spinlock that the
 * default soft chip, which has no callbacks, never takes). They run in any
 * context, with the line's locks held: they must not sleep nor call irqcore
 * on their own line. Exceptions, which may sleep: irq_bus_lock and
 * irq_bus_sync_unlock, irq_request_resources and irq_release_resources,
 * called from process context or an irq thread with no irqcore lock held.
 *
 * A callback left NULL gets the kernel's default:
 *   startup (the line's first request, enable_irq of a line never started,
 *     autoprobe, a chained handler): irq_startup, else irq_enable, else
 *     irq_unmask; irq_startup's result is ignored, as in the kernel.
 *   shutdown (the line's last free, end of a probe): irq_shutdown, else
 *     irq_disable, else irq_mask.
 *   enable_irq (depth 1 -> 0): irq_enable, else irq_unmask.
 *   disable_irq (depth 0 -> 1): irq_disable at once if present; else lazy:
 *     the next event calls irq_mask (at once with IRQ_DISABLE_UNLAZY).
 *   irq_set_wake: -ENXIO unless the chip has IRQCHIP_SKIP_SET_WAKE.
 *   irq_bus_lock/irq_bus_sync_unlock: called around request_irq, free_irq,
 *     enable_irq, disable_irq*, irq_set_irq_type, irq_set_affinity and
 *     irq_set_irq_wake when called from process context or an irq thread,
 *     and the ONESHOT unmask at the end of a thread's run (a slow-bus chip:
 *     irq_mask and friends update a cache under the bus lock and
 *     sync_unlock writes it out); never from IRQ context.
 *   irq_request_resources: called by the first request_irq of the line
 *     (its error fails the request); irq_release_resources by the last free.
 * The members up to flags keep their order; later ones were appended. */
struct irq_chip {
	const char *name;
	void (*irq_mask)(struct irq_data *d);
	void (*irq_unmask)(struct irq_data *d);
	void (*irq_ack)(struct irq_data *d);
	void (*irq_eoi)(struct irq_data *d);
	int (*irq_set_type)(struct irq_data *d, unsigned int type);
	int (*irq_set_affinity)(struct irq_data *d, const cpu_set_t *mask, bool force);
	unsigned long flags;		/* IRQCHIP_* */
	unsigned int (*irq_startup)(struct irq_data *d);
	void (*irq_shutdown)(struct irq_data *d);
	void (*irq_enable)(struct irq_data *d);
	void (*irq_disable)(struct irq_data *d);
	void (*irq_bus_lock)(struct irq_data *d);
	void (*irq_bus_sync_unlock)(struct irq_data *d);
	int (*irq_set_wake)(struct irq_data *d, unsigned int on);
	int (*irq_request_resources)(struct irq_data *d);
	void (*irq_release_resources)(struct irq_data *d);
};

/* Flows, installed with irq_set_chip_and_handler_name() and run by a CPU in
 * hard context; never sleep (chip callbacks and handlers aside). Outside a
 * CPU context they warn and do nothing. A caller's flow must not call them on
 * its own line (the event only latches, and the flow is replayed for it). */
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
 * counted as one event per run and calls generic_handle_irq() on children.
 * -EINVAL out of range, -ENOMEM, -ENODEV (also irq_set_chip_data). Any
 * context: brief lock, never sleep. */
int irq_set_chip_and_handler_name(unsigned int irq, const struct irq_chip *chip,
				  irq_flow_handler_t handle, const char *name);
int irq_set_chip_data(unsigned int irq, void *data);
/* NULL out of range, not running or out of memory; valid until shutdown. Any
 * context, never sleeps. */
struct irq_data *irq_get_irq_data(unsigned int irq);
/* A flow's desc: its line number / irq_data (NULL desc: 0 / NULL). Any
 * thread, never sleep. */
unsigned int irq_desc_get_irq(struct irq_desc *desc);
struct irq_data *irq_desc_get_irq_data(struct irq_desc *desc);
/* Reserve a free line (no action, not IRQ_NOREQUEST, not reserved; 0 last):
 * its number. -ENOSPC none, -EINVAL node < -1, -ENOMEM, -ENODEV. Any context:
 * brief global lock, never sleeps. */
int irq_alloc_desc(int node);
/* Unreserve a line, resetting chip, flow, type and status flags; warns if it
 * still has actions or was not reserved. Out of range, never used, not
 * running: nothing. Any context: brief lock, never sleeps. */
void irq_free_desc(unsigned int irq);

/* Accessors, with Linux's names and types. A bad line or NULL gives 0/NULL
 * (false). Any thread, never sleep, no lock: snapshots.
 *   irq_get_trigger_type, irqd_get_trigger_type: IRQ_TYPE_* of the line.
 *   irqd_is_level_type: the line is level triggered.
 *   irqd_to_hwirq: d->hwirq.
 *   irq_get_chip, irq_data_get_irq_chip, irq_desc_get_chip: the chip (the
 *     soft chip when none was set); irq_get_* materialize the line.
 *   irq_get_chip_data, irq_data_get_irq_chip_data, irq_desc_get_chip_data:
 *     what irq_set_chip_data stored.
 *   irq_get_handler_data, irq_desc_get_handler_data: what
 *     irq_set_handler_data or irq_set_chained_handler_and_data stored. */
unsigned int irq_get_trigger_type(unsigned int irq);
unsigned int irqd_get_trigger_type(struct irq_data *d);
bool irqd_is_level_type(struct irq_data *d);
irq_hw_number_t irqd_to_hwirq(struct irq_data *d);
struct irq_chip *irq_get_chip(unsigned int irq);
struct irq_chip *irq_data_get_irq_chip(struct irq_data *d);
struct irq_chip *irq_desc_get_chip(struct irq_desc *desc);
void *irq_get_chip_data(unsigned int irq);
void *irq_data_get_irq_chip_data(struct irq_data *d);
void *irq_desc_get_chip_data(struct irq_desc *desc);
void *irq_get_handler_data(unsigned int irq);
void *irq_desc_get_handler_data(struct irq_desc *desc);
/* Data for the line's flow (chained handlers). 0, -EINVAL out of range,
 * -ENOMEM, -ENODEV. Any context, never sleeps, no lock. */
int irq_set_handler_data(unsigned int irq, void *data);

/* Chained handlers: handle becomes the flow of a parent line that no driver
 * requests (a demultiplexer that calls generic_handle_irq() on children),
 * data its handler data. The line is marked IRQ_NOREQUEST, IRQ_NOPROBE and
 * IRQ_NOTHREAD and started at once (the chip's startup), as in Linux; handle
 * NULL undoes it (shutdown, flags cleared, the edge flow back). A line that
 * has actions, out of range, not running: a warning, nothing changes.
 * Process context (a slow-bus chip's bus lock), never sleeps otherwise. */
void irq_set_chained_handler_and_data(unsigned int irq, irq_flow_handler_t handle,
				      void *data);
/* In a chained flow, around the demultiplexing, with the parent's chip
 * (irq_desc_get_chip(desc)): a chip with irq_eoi gets nothing on entry and
 * an eoi on exit; another chip mask+ack on entry, unmask on exit. Events of
 * the parent that arrive meanwhile latch and are replayed after the flow.
 * Hard context (the flow); NULL chip or desc: nothing. Never sleep. */
void chained_irq_enter(struct irq_chip *chip, struct irq_desc *desc);
void chained_irq_exit(struct irq_chip *chip, struct irq_desc *desc);

/* ---------------------------------------------------------------------------
 * Wake-up lines, suspend and resume
 *
 * irq_set_irq_wake(irq, on): on != 0 counts one more wake enable (the first
 * calls the chip's irq_set_wake(d, 1)), 0 one less (the last calls
 * irq_set_wake(d, 0)). 0; -EINVAL out of range, or a disable with no enable
 * left (warning "Unbalanced IRQ %d wake disable"); -ENXIO the chip has no
 * irq_set_wake and no IRQCHIP_SKIP_SET_WAKE (the soft chip has the flag);
 * the chip's error (the count is unchanged); -ENOMEM; -ENODEV. Process
 * context or irq thread (the chip's bus lock); never sleeps otherwise.
 */
int irq_set_irq_wake(unsigned int irq, unsigned int on);
int enable_irq_wake(unsigned int irq);		/* irq_set_irq_wake(irq, 1) */
int disable_irq_wake(unsigned int irq);		/* irq_set_irq_wake(irq, 0) */
/* The line has wake enables. Any thread, never sleeps. */
bool irqd_is_wakeup_set(struct irq_data *d);
/* Suspend: every line with an action is disabled one more level (lazily; at
 * once with IRQCHIP_MASK_ON_SUSPEND), except lines with an IRQF_NO_SUSPEND
 * action, whose handlers keep running, and chained lines. Wake lines
 * (irqd_is_wakeup_set) are disabled too but armed: their first event runs no
 * handler; it is latched and reported (irqcore_wakeup_pending,
 * irqcore_wakeup_irq). Waits until no handler of a suspended line runs.
 * While suspended, enable_irq cannot undo suspend's level ("Unbalanced
 * enable for IRQ %d"). 0; -EALREADY already suspended; -EPERM from a
 * handler context (warning); -ENODEV. Process context; sleeps. */
int irqcore_suspend(void);
/* Resume: undoes suspend's disable on each line; events latched meanwhile
 * (the wake event included) are replayed then, once per line. 0; -EALREADY
 * not suspended; -ENODEV. Process context or irq thread; never sleeps (a
 * slow-bus chip's bus lock aside). */
int irqcore_resume(void);
/* Since the last irqcore_suspend(): whether a wake line had an event / the
 * first such line (-ENOENT none, -ENODEV not running). The report stays
 * after resume until the next suspend. Any thread, never sleep. */
bool irqcore_wakeup_pending(void);
int irqcore_wakeup_irq(void);

/* ---------------------------------------------------------------------------
 * Autoprobe (P1). Both return 0 when not running. Process context (not
 * checked); they take the probe mutex and call the chips of the armed lines
 * (startup, shutdown).
 */
/* Arms and starts the lines without an action or IRQ_NOPROBE; the mask of
 * those below BITS_PER_LONG. Never sleeps. */
unsigned long probe_irq_on(void);
/* The line that fired, 0 none, negative if several; events raised and not
 * yet handled count. Waits (briefly, sleeping) for the dispatcher passes in
 * progress to end; not for external CPUs, nor when called from a handler. */
int probe_irq_off(unsigned long val);

/* ---------------------------------------------------------------------------
 * Statistics and status
 */
/* Flow runs of the line on CPU cpu / on all CPUs (T1), counted in 64 bits and
 * truncated to unsigned int as the kernel's (irq_status.count is 64-bit). 0
 * for a bad line or CPU or when not running. Any context, no lock, never sleep. */
unsigned int kstat_irqs_cpu(unsigned int irq, int cpu);
unsigned int kstat_irqs_usr(unsigned int irq);
/* 0; -EINVAL NULL out (or line out of range), -EIO write error, -ENODEV.
 * Process context (not checked): they write to a stdio FILE and
 * irq_show_interrupts takes each line's lock in turn; they wait for nobody. */
int irq_show_interrupts(FILE *out);		/* /proc/interrupts text */
int irq_show_stat_intr(FILE *out);		/* the /proc/stat "intr ..." line */
int irq_show_spurious(unsigned int irq, FILE *out); /* /proc/irq/N/spurious */
/* A line's affinity in the kernel's /proc/irq/N formats, over the dispatcher
 * CPUs 0..nr_cpus-1, one line each: smp_affinity is a hex mask in 32-bit
 * groups separated by commas, most significant first ("3", "82,00000001");
 * smp_affinity_list is ranges ("0-1", "0,33,39"); effective_affinity(_list)
 * the same for the CPU the line goes to. Errors and context as above. */
int irq_show_smp_affinity(unsigned int irq, FILE *out);
int irq_show_smp_affinity_list(unsigned int irq, FILE *out);
int irq_show_effective_affinity(unsigned int irq, FILE *out);
int irq_show_effective_affinity_list(unsigned int irq, FILE *out);

struct irq_status {
	unsigned int depth;		/* disable depth */
	bool masked, disabled, spurious_disabled, in_progress, pending;
	unsigned long threads_oneshot;	/* ONESHOT bits of threads still running */
	unsigned int threads_active;
	unsigned int nr_actions;
	unsigned long long count;	/* flow runs, as kstat_irqs_usr, in 64 bits */
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
	bool started;			/* the chip started the line (else it
					   holds it masked, as a fresh line) */
	bool wakeup;			/* wake enables (irqd_is_wakeup_set) */
};
/* A racy snapshot. 0; -EINVAL NULL st or line out of range, -ENOMEM (the
 * line's first use allocates it), -ENODEV. Any context, never sleeps, takes
 * no lock. */
int irq_get_status(unsigned int irq, struct irq_status *st);

/* ---------------------------------------------------------------------------
 * Interrupt sources: file descriptors and deadline timers as lines
 *
 * A source makes a line of what a userspace driver receives: an eventfd, a
 * timerfd, a UIO device, a VFIO vector, a GPIO line-request fd, or a
 * periodic deadline timer. Each kind is an irq domain whose chip is named
 * after it ("eventfd", "timerfd", "uio", "vfio", "gpio", "timer":
 * irq_show_interrupts() and irqtop show it, with the hwirq). One source
 * thread per instance ("irqcore/src", epoll) reads each ready fd with its
 * kind's protocol and raises the line:
 *   EVENTFD  read the 8-byte counter, one event per read (the counter is
 *            the sum the writers added: several writes between two reads
 *            are one event, as coalesced raises are). Edge flow.
 *   TIMERFD  read the 8-byte expiration count: one event; count - 1 go to
 *            `missed`. Edge flow.
 *   UIO      read the 4-byte event count (a jump of more than one goes to
 *            `missed`). The device masks itself when it fires; the line is
 *            handled as ONESHOT (level flow): it stays masked until the hard
 *            handler, or for a threaded line the last woken thread, has
 *            finished, then the chip's unmask writes a 4-byte 1 to the fd.
 *   VFIO     fd: the vector's eventfd (8-byte counter); ctl_fd: the device
 *            fd; index: the VFIO IRQ index. INTx (index 0) arrives
 *            auto-masked and is handled as UIO is, the unmask being ioctl
 *            VFIO_DEVICE_SET_IRQS (DATA_NONE | ACTION_UNMASK, index, start
 *            0, count 1) on ctl_fd; MSI/MSI-X indexes need no unmask (edge
 *            flow). A socket as ctl_fd stands for the device (a device
 *            model, or a test): the same struct vfio_irq_set is written to
 *            it instead of the ioctl.
 *   GPIO     a GPIO v2 line-request fd (<linux/gpio.h>): reads struct
 *            gpio_v2_line_event; index is the line offset: events of other
 *            offsets count in `errors` (one warning). A gap in line_seqno
 *            goes to `missed`. Edge flow.
 *   TIMER    no fd: period_ns (required) and lead_ns (at most the period;
 *            0: adaptive, starting at 50 us: after each sleep the CPU
 *            measures how late it woke and keeps the lead at an estimate
 *            of the 99.5th percentile of that plus 10 us, between 20 us
 *            and half the period). Deadlines are the multiples of period_ns on
 *            CLOCK_MONOTONIC (the first one after attach). The line's
 *            effective CPU sleeps (a futex with an absolute CLOCK_MONOTONIC
 *            timeout, as clock_nanosleep(TIMER_ABSTIME) sleeps, but one a
 *            raise still wakes) until deadline - lead, then spins to the
 *            deadline and runs the line's flow itself. A deadline that
 *            passed before the previous handler returned, or a whole period
 *            late, is skipped and counted in `missed`; the phase is kept.
 *            While the line has no handler it does not tick.
 *            Needs dispatcher threads (not IRQCORE_F_EXTERNAL_CPUS).
 * irqcore never closes a source's fds and must be their only reader. A fd
 * that stops working under a live line (closed: EBADF or another file now
 * behind the number; EPOLLHUP, EPOLLERR, end of file, a read error) is
 * dropped from the source thread's epoll, counted in `errors` and warned
 * once; the line stays attached (detach it). A read of the wrong size
 * counts in `errors` and is skipped.
 * IRQCORE_SRC_F_POLL (not for TIMER; needs dispatcher threads; 64 such
 * sources at most): the source thread does not watch the fd; the line's
 * effective CPU polls it itself, with one poll(timeout 0) over all its
 * polled fds on every pass of its idle loop (every spin with
 * IRQCORE_IDLE_SPIN or an adaptive CPU's spin) and reads a ready one with
 * the kind's protocol, as the source thread would; when it sleeps (sleep
 * policy, adaptive after its budget, a timer's sleep to its lead) it does
 * so in ppoll on those fds and on a wake eventfd that raises and kicks
 * write, so no event waits for the source thread and none is lost. An
 * affinity change moves the polling to the new CPU; detach returns once no
 * CPU reads the fd (docs/semantics.md, X1-X6). It trades CPU time for
 * latency: the polling CPU makes a system call per spin. The stats'
 * poll_cpu tells which CPU read the last event.
 */
enum irqcore_source_kind {
	IRQCORE_SRC_EVENTFD = 1, IRQCORE_SRC_TIMERFD, IRQCORE_SRC_UIO,
	IRQCORE_SRC_VFIO, IRQCORE_SRC_GPIO, IRQCORE_SRC_TIMER,
};
#define IRQCORE_SRC_F_POLL	0x01u	/* see above */

struct irqcore_source {
	int kind;			/* IRQCORE_SRC_* */
	int fd;				/* watched, never closed by irqcore; unused for TIMER */
	int ctl_fd;			/* VFIO: the device fd (unmask); else unused */
	unsigned int index;		/* VFIO: IRQ index; GPIO: line offset; else 0 */
	unsigned long hwirq;		/* shown in /proc/interrupts; 0: the source's own
					   number (the fd; VFIO: index; GPIO: offset;
					   TIMER: the period in us); < 65536 */
	unsigned long long period_ns;	/* TIMER: period (required) */
	unsigned long long lead_ns;	/* TIMER: wake this early and spin to the
					   deadline; 0: adaptive (see above) */
	unsigned int flags;		/* IRQCORE_SRC_F_* */
};

/* Attach a source to line irq, or with irq < 0 to a new line of the kind's
 * domain (at hwirq; -EBUSY if a source of the kind has the hwirq given).
 * Returns the line. With irq >= 0 the line gets the
 * kind's chip and flow (its hwirq stays the line number) and keeps its
 * actions; request it before or after. -EBADF fd (or VFIO ctl_fd) not
 * open; -EINVAL bad kind, flags or fields (TIMER without period, lead >
 * period, external CPUs; hwirq >= 65536; irq out of range), or a fd of the
 * wrong type (checked through /proc/self/fd where mounted: eventfd,
 * timerfd, a character device or socket for UIO, gpio-line or a socket for
 * GPIO, an eventfd and a VFIO device or socket for VFIO); -EBUSY the line
 * already has a source, or the fd is watched for another; -ENOSPC no line
 * left (or 64 timers, or 64 polled sources); -ENOMEM; IRQCORE_SRC_F_POLL:
 * -EINVAL with a TIMER or external CPUs, -EMFILE/-ENFILE no wake eventfd; -EPERM from IRQ context or an irq thread
 * (warning); -ENODEV not initialised. Every error but -ENODEV logs a
 * warning; nothing changed. Process context; sleeps (starts the source
 * thread, takes the sources' mutex, creates a mapping). */
int irqcore_source_attach(int irq, const struct irqcore_source *src);
/* Stop watching: the fd leaves the source thread's epoll (a TIMER or a
 * polled source leaves its CPU) before the line changes; then the line gets the soft chip back,
 * and a line attach allocated returns to its domain (if it still has
 * actions it stays mapped, with a warning: free_irq, then
 * irq_dispose_mapping). Once it returns, no read, unmask or timer run of
 * the source is in progress. 0; -ENOENT no source on the line (or out of
 * range); -EPERM from IRQ context or an irq thread (warning); -ENODEV.
 * Process context; sleeps (waits for the line's handlers and threads and
 * a grace period). */
int irqcore_source_detach(unsigned int irq);

struct irqcore_source_stats {
	unsigned long long events;	/* events read from the source (TIMER: runs) */
	unsigned long long missed;	/* events the source says happened but were not
					   delivered one by one: UIO count jumps, timerfd
					   expirations > 1, GPIO seqno gaps, TIMER overruns */
	unsigned long long errors;	/* read/unmask failures, fd closed under the line */
	unsigned long long late_max_ns;	/* TIMER: worst deadline -> handler entry */
	/* beyond the contract (TIMER) */
	unsigned long long deadline_ns;	/* the deadline of the last run (CLOCK_MONOTONIC) */
	unsigned long long spin_ns;	/* time the CPU spun before the deadlines */
	unsigned long long lead_ns;	/* the lead now (adaptive: as adapted) */
	/* beyond the contract (IRQCORE_SRC_F_POLL) */
	int poll_cpu;			/* the CPU that read the last event; -1: none
					   yet, or not a polled source */
};
/* A snapshot. 0; -ENOENT no source on the line (or out of range); -EINVAL
 * st NULL; -ENODEV. Any context (a handler of the line included): brief
 * lock (the sources' mutex, held by the source thread only around
 * non-blocking reads), never sleeps. */
int irqcore_source_get_stats(unsigned int irq, struct irqcore_source_stats *st);

/* ---------------------------------------------------------------------------
 * The balancer (A8): irqbalance inside the process
 *
 * A pass measures each CPU's load over the lines effectively on it (events
 * since the previous pass, weighted by the line's average hard-handler time
 * once it has one) and, while the busiest CPU is above
 * cfg.balance_threshold_pct of the mean (and saw at least 64 events), moves
 * one of its lines to a CPU below the mean, in the line's mask, that lowers
 * the larger of the two loads: a CPU sharing a cache first, then one on the
 * same NUMA node, then any (with IRQCORE_F_EXTERNAL_CPUS: only a CPU a
 * thread has attached). At most cfg.balance_max_moves a pass; a moved
 * line stays put for cfg.balance_cooldown passes. Only the effective CPU
 * changes (the mask stays, and stays "not set by the caller"); never
 * moved: lines whose mask a caller set (irq_set_affinity,
 * irq_set_affinity_hint), IRQF_NOBALANCING / IRQ_NO_BALANCING and
 * IRQF_PERCPU / IRQ_PER_CPU lines, nested lines. Each move logs "balance:
 * irq N cpu A -> B (load x -> y)" at info level (A's load before and after).
 */
struct irqcore_balance_stats {
	unsigned long long passes;	/* passes run: the thread's and irqcore_balance_now's */
	unsigned long long moves;	/* lines moved */
	unsigned int interval_ms;	/* the thread's interval; 0: no thread runs */
};
/* One pass now, whether or not the thread runs (tests, or a program that
 * balances at its own moments): the number of lines moved (0 or more).
 * -ENODEV not running; -EPERM from IRQ context or an irq thread (warning).
 * Process context; sleeps (takes the balancer's and the lines' mutexes). */
int irqcore_balance_now(void);
/* A snapshot. 0; -EINVAL st NULL (warning); -ENODEV. Any context: a brief
 * lock, never sleeps. */
int irqcore_balance_get_stats(struct irqcore_balance_stats *st);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* IRQCORE_H */
