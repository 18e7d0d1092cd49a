/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * irqcore/linux.h — the porting kit: the kernel names that a driver's
 * interrupt code uses around request_irq(), so that the code compiles
 * unchanged against irqcore. It adds to irqcore.h (which it includes):
 *
 *   spinlock_t, raw_spinlock_t, spin_lock*()   locks shared with handlers
 *   guard(), scoped_guard(), CLASS()           scoped locking (cleanup attribute)
 *   local_bh_disable()/local_bh_enable()       defer this CPU's tasklets
 *   DECLARE_TASKLET*(), from_tasklet(), tasklet_hi_schedule()
 *   struct irq_domain, irq_domain_create_linear(), irq_create_mapping(),
 *     irq_find_mapping(), irq_dispose_mapping(), generic_handle_domain_irq()
 *   dev_name(), dev_set_drvdata(), dev_get_drvdata(), dev_fwnode()
 *   dev_err()/dev_warn()/dev_notice()/dev_info()/dev_dbg(), pr_*(), dev_err_probe()
 *   container_of(), irq_hw_number_t
 *
 * What it does not offer (a driver's own shim provides it): register access
 * (readl/writel), BIT(), u8..u64, mutexes, memory allocation, platform and
 * bus devices, firmware nodes beyond opaque handles. Hierarchical and tree
 * domains are not offered: only linear ones.
 *
 * The calling contexts named in the comments are those of irqcore.h.
 */
#ifndef IRQCORE_LINUX_H
#define IRQCORE_LINUX_H

#include "../irqcore.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* ---------------------------------------------------------------------------
 * Small helpers
 */
#ifndef container_of
/* The struct of type `type` whose member `member` is at ptr. */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

typedef unsigned long irq_hw_number_t;

#define IRQCORE_LOG_DEBUG	7	/* dev_dbg() and pr_debug() with DEBUG */

/* ---------------------------------------------------------------------------
 * Printing through the log callback of irqcore_config (stderr when irqcore
 * is not running). A message is prefixed "<dev_name>: " (dev NULL: no
 * prefix) and loses one trailing newline; longer than 512 bytes it is cut.
 * Any thread, never sleep (the callback aside).
 */
void irqcore_dev_printk(int level, const struct device *dev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Logs "error %d: <message>" at IRQCORE_LOG_ERR unless err is
 * -EPROBE_DEFER (517: logged at debug level), and returns err. */
int dev_err_probe(const struct device *dev, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define dev_err(dev, fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_ERR, (dev), fmt, ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_WARNING, (dev), fmt, ##__VA_ARGS__)
#define dev_notice(dev, fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_NOTICE, (dev), fmt, ##__VA_ARGS__)
#define dev_info(dev, fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_INFO, (dev), fmt, ##__VA_ARGS__)

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_err(fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_ERR, NULL, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_WARNING, NULL, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_NOTICE, NULL, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_INFO, NULL, pr_fmt(fmt), ##__VA_ARGS__)

/* As the kernel without dynamic debug: compiled in with DEBUG only (the
 * arguments are type-checked either way). */
#ifdef DEBUG
#define dev_dbg(dev, fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_DEBUG, (dev), fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) \
	irqcore_dev_printk(IRQCORE_LOG_DEBUG, NULL, pr_fmt(fmt), ##__VA_ARGS__)
#else
#define dev_dbg(dev, fmt, ...) do { if (0) \
	irqcore_dev_printk(IRQCORE_LOG_DEBUG, (dev), fmt, ##__VA_ARGS__); } while (0)
#define pr_debug(fmt, ...) do { if (0) \
	irqcore_dev_printk(IRQCORE_LOG_DEBUG, NULL, pr_fmt(fmt), ##__VA_ARGS__); } while (0)
#endif

/* ---------------------------------------------------------------------------
 * Devices (struct device is in irqcore.h). Any thread, never sleep.
 */
static inline const char *dev_name(const struct device *dev)
{
	return dev && dev->name ? dev->name : "";
}

static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}

static inline struct fwnode_handle *dev_fwnode(const struct device *dev)
{
	return dev->fwnode;
}

/* ---------------------------------------------------------------------------
 * Spinlocks
 *
 * A spinlock_t excludes every thread, whichever context it runs in, and is
 * tied to irqcore's CPUs as the kernel's is to its CPUs: spin_lock_irqsave()
 * is local_irq_save() then the lock, so on a CPU context (an attached
 * external CPU's thread) no handler of that CPU runs inside the section, and
 * the handler cannot spin on a lock its own CPU holds. spin_lock_bh() defers
 * the CPU's tasklets the same way. A handler on a dispatcher thread and a
 * process thread are different threads: the lock alone excludes them.
 *
 * The lock is a Concurrency Kit test-and-set lock (ck_spinlock_fas). A
 * waiter spins for a while, then sleeps in short, growing naps (at most
 * 100 us), so that a holder preempted on the waiter's processing unit gets
 * to run: as PREEMPT_RT's spinlock_t, it may sleep briefly under contention,
 * in a hard handler too. It is not recursive.
 *
 * Two checks, always on, each warning once per lock:
 *  - recursion: a thread that takes a lock it holds deadlocks, as in the
 *    kernel; it is logged (error) before it spins for ever;
 *  - irq safety, lockdep's rule: a lock taken in a hard handler and
 *    elsewhere with interrupts enabled (in a tasklet and elsewhere with
 *    bottom halves enabled) deadlocks on Linux when the handler interrupts
 *    the holder on its CPU; it is logged (warning) the first time both
 *    have happened, even though irqcore's threads may not deadlock there.
 *
 * All the calls: a NULL lock warns and does nothing (trylock: 0). Any
 * thread; they take no other lock and never sleep but as said above.
 * Fields are private.
 */
typedef struct spinlock {
	unsigned int raw;		/* a ck_spinlock_fas_t word */
	unsigned int seen;		/* contexts it was taken in (debug) */
	int owner;			/* thread id of the holder, 0: none */
	const char *name;
} spinlock_t;
typedef spinlock_t raw_spinlock_t;

#define __SPIN_LOCK_UNLOCKED(lockname) \
	((spinlock_t){ .raw = 0, .seen = 0, .owner = 0, .name = #lockname })
#define __RAW_SPIN_LOCK_UNLOCKED(lockname) __SPIN_LOCK_UNLOCKED(lockname)
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)
#define DEFINE_RAW_SPINLOCK(x)	raw_spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

/* Unlocked; name for the checks' messages. */
void irqcore_spin_lock_init(spinlock_t *lock, const char *name);
#define spin_lock_init(lock)	irqcore_spin_lock_init((lock), #lock)

void spin_lock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
/* 1 taken, 0 busy. */
int spin_trylock(spinlock_t *lock);
/* 1 locked (a racy snapshot). */
int spin_is_locked(spinlock_t *lock);
/* local_irq_disable() + lock; unlock + local_irq_enable(). */
void spin_lock_irq(spinlock_t *lock);
void spin_unlock_irq(spinlock_t *lock);
/* local_bh_disable() + lock; unlock + local_bh_enable(). */
void spin_lock_bh(spinlock_t *lock);
void spin_unlock_bh(spinlock_t *lock);
/* local_irq_save() + lock, returning the flags; unlock + local_irq_restore.
 * The kernel's macros below take flags by name. */
unsigned long irqcore_spin_lock_irqsave(spinlock_t *lock);
void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
/* 1 taken (interrupts stay saved in *flags); 0 busy (restored). */
int irqcore_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags);

#define spin_lock_irqsave(lock, flags) \
	do { (flags) = irqcore_spin_lock_irqsave(lock); } while (0)
#define spin_trylock_irqsave(lock, flags) \
	irqcore_spin_trylock_irqsave((lock), &(flags))

#define raw_spin_lock_init(lock)		spin_lock_init(lock)
#define raw_spin_lock(lock)			spin_lock(lock)
#define raw_spin_unlock(lock)			spin_unlock(lock)
#define raw_spin_trylock(lock)			spin_trylock(lock)
#define raw_spin_lock_irq(lock)			spin_lock_irq(lock)
#define raw_spin_unlock_irq(lock)		spin_unlock_irq(lock)
#define raw_spin_lock_irqsave(lock, flags)	spin_lock_irqsave(lock, flags)
#define raw_spin_unlock_irqrestore(lock, flags)	spin_unlock_irqrestore(lock, flags)

/* ---------------------------------------------------------------------------
 * Bottom halves (tasklets)
 *
 * Tasklets run on a CPU after its hard handlers. local_bh_disable() on a
 * CPU context (an attached external CPU) defers them: that CPU runs no
 * tasklet until the local_bh_enable() that ends the outermost section, which
 * runs the ones that became due (unless interrupts are disabled: then the
 * local_irq_enable that ends that section does). On any other thread it only
 * nests a per-thread count (tasklets never run there), as local_irq_save
 * does. An enable without a disable warns and does nothing. Any thread,
 * never sleep (but the enable may run tasklets and handlers inline).
 */
void local_bh_disable(void);
void local_bh_enable(void);

/* ---------------------------------------------------------------------------
 * Scoped guards, as <linux/cleanup.h>: guard(spinlock_irqsave)(&lock); holds
 * the lock to the end of the scope, scoped_guard(spinlock, &lock) { ... }
 * for the block. Classes: spinlock, spinlock_irq, spinlock_irqsave,
 * spinlock_bh, raw_spinlock, raw_spinlock_irq, raw_spinlock_irqsave, irq,
 * irqsave.
 */
#define IRQCORE_PASTE_(a, b)	a##b
#define IRQCORE_PASTE(a, b)	IRQCORE_PASTE_(a, b)
#define IRQCORE_UNIQUE_ID(prefix) IRQCORE_PASTE(IRQCORE_PASTE(__irqcore_, prefix), __COUNTER__)

#define CLASS(name, var)						\
	class_##name##_t var						\
	__attribute__((cleanup(class_##name##_destructor))) =		\
	class_##name##_constructor
#define guard(name)	CLASS(name, IRQCORE_UNIQUE_ID(guard))
#define scoped_guard(name, ...)						\
	for (CLASS(name, scope)(__VA_ARGS__), *done = NULL; !done;	\
	     done = (class_##name##_t *)1)

#define IRQCORE_LOCK_GUARD(name, lockfn, unlockfn)			\
	typedef struct { spinlock_t *lock; } class_##name##_t;		\
	static inline class_##name##_t class_##name##_constructor(spinlock_t *l) \
	{ class_##name##_t g = { l }; lockfn(l); return g; }		\
	static inline void class_##name##_destructor(class_##name##_t *g) \
	{ unlockfn(g->lock); }
IRQCORE_LOCK_GUARD(spinlock, spin_lock, spin_unlock)
IRQCORE_LOCK_GUARD(spinlock_irq, spin_lock_irq, spin_unlock_irq)
IRQCORE_LOCK_GUARD(spinlock_bh, spin_lock_bh, spin_unlock_bh)
IRQCORE_LOCK_GUARD(raw_spinlock, spin_lock, spin_unlock)
IRQCORE_LOCK_GUARD(raw_spinlock_irq, spin_lock_irq, spin_unlock_irq)

typedef struct { spinlock_t *lock; unsigned long flags; } class_spinlock_irqsave_t;
static inline class_spinlock_irqsave_t class_spinlock_irqsave_constructor(spinlock_t *l)
{
	class_spinlock_irqsave_t g = { l, irqcore_spin_lock_irqsave(l) };
	return g;
}
static inline void class_spinlock_irqsave_destructor(class_spinlock_irqsave_t *g)
{
	spin_unlock_irqrestore(g->lock, g->flags);
}
typedef class_spinlock_irqsave_t class_raw_spinlock_irqsave_t;
#define class_raw_spinlock_irqsave_constructor	class_spinlock_irqsave_constructor
#define class_raw_spinlock_irqsave_destructor	class_spinlock_irqsave_destructor

typedef struct { unsigned long flags; } class_irqsave_t;
static inline class_irqsave_t class_irqsave_constructor(void)
{
	class_irqsave_t g = { irqcore_local_irq_save() };
	return g;
}
static inline void class_irqsave_destructor(class_irqsave_t *g)
{
	irqcore_local_irq_restore(g->flags);
}
typedef struct { int unused; } class_irq_t;
static inline class_irq_t class_irq_constructor(void)
{
	class_irq_t g = { 0 };
	local_irq_disable();
	return g;
}
static inline void class_irq_destructor(class_irq_t *g)
{
	(void)g;
	local_irq_enable();
}

/* ---------------------------------------------------------------------------
 * Tasklet declarations (tasklets themselves are in irqcore.h)
 */
#define DECLARE_TASKLET(name, _callback)				\
	struct tasklet_struct name = { .count = 0, .use_callback = true,	\
				       .callback = (_callback) }
#define DECLARE_TASKLET_DISABLED(name, _callback)			\
	struct tasklet_struct name = { .count = 1, .use_callback = true,	\
				       .callback = (_callback) }
#define DECLARE_TASKLET_OLD(name, _func)				\
	struct tasklet_struct name = { .count = 0, .func = (_func), .data = 0 }
#define DECLARE_TASKLET_DISABLED_OLD(name, _func)			\
	struct tasklet_struct name = { .count = 1, .func = (_func), .data = 0 }
/* The struct (var's type) whose member tasklet_fieldname is t. */
#define from_tasklet(var, t, tasklet_fieldname) \
	container_of(t, __typeof__(*var), tasklet_fieldname)

/* irqcore has one tasklet queue per CPU: a "high priority" tasklet is
 * queued as tasklet_schedule() queues it (it runs after the tasklets
 * already queued on that CPU, not before them). */
static inline void tasklet_hi_schedule(struct tasklet_struct *t)
{
	tasklet_schedule(t);
}

/* ---------------------------------------------------------------------------
 * irq domains (linear)
 *
 * A domain maps a controller's hardware interrupt numbers (hwirq, 0 ..
 * size-1) to irqcore lines, which get their numbers dynamically
 * (irq_alloc_desc): drivers never hard-code line numbers. A mapped line's
 * irq_data carries hwirq and domain, and irq_show_interrupts() prints its
 * hwirq. ops->map is called when a mapping is created (to set the chip, the
 * flow, chip data, nesting: irq_set_chip_and_handler_name() and friends),
 * ops->unmap when it is disposed. A domain belongs to the irqcore instance
 * that created it: after irqcore_shutdown() only irq_domain_remove() still
 * applies (it then only frees memory). See docs/semantics.md, "Domains".
 */
struct irq_domain;
struct irq_domain_ops {
	/* 0 or a negative errno (the mapping then fails). Process context,
	 * with the domain's mutex held: it may sleep, must not call the
	 * domain's mapping functions. */
	int (*map)(struct irq_domain *d, unsigned int virq, irq_hw_number_t hw);
	void (*unmap)(struct irq_domain *d, unsigned int virq);
	/* Firmware specifier -> hwirq and trigger; irqcore itself never
	 * calls it (it has no firmware): drivers may. */
	int (*xlate)(struct irq_domain *d, struct device_node *node,
		     const uint32_t *intspec, unsigned int intsize,
		     unsigned long *out_hwirq, unsigned int *out_type);
};

/* Public fields may be read (host_data in map callbacks); the domain is
 * allocated and freed by irqcore. */
struct irq_domain {
	const char *name;		/* "domain<N>", for messages */
	const struct irq_domain_ops *ops;
	void *host_data;		/* the creator's */
	struct fwnode_handle *fwnode;	/* the creator's, only stored */
	irq_hw_number_t hwirq_max;	/* hwirqs are < hwirq_max */
	unsigned int revmap_size;	/* == hwirq_max */
};

/* A linear domain of size hwirqs. NULL, with a warning: ops NULL, size 0 or
 * above IRQCORE_MAX_IRQS, out of memory, irqcore not running. Process
 * context; never sleeps. */
struct irq_domain *irq_domain_create_linear(struct fwnode_handle *fwnode, unsigned int size,
					    const struct irq_domain_ops *ops, void *host_data);
static inline struct irq_domain *irq_domain_add_linear(struct device_node *of_node,
						       unsigned int size,
						       const struct irq_domain_ops *ops,
						       void *host_data)
{
	/* the node is only stored: it stands for its fwnode */
	return irq_domain_create_linear((struct fwnode_handle *)(void *)of_node, size, ops,
					host_data);
}
/* Disposes of every mapping left (as irq_dispose_mapping), then frees the
 * domain. If a mapped line still has actions it warns and changes nothing
 * (the domain stays valid). NULL: nothing. Process context or irq thread
 * (from IRQ context it warns and does nothing). Sleeps (a grace period). */
void irq_domain_remove(struct irq_domain *d);

/* The line of hwirq, created (irq_alloc_desc, then ops->map) when there is
 * none, else the existing one. 0 on failure, with a warning: d NULL or
 * stale, hwirq >= hwirq_max, no free line, ops->map failed (the line is
 * freed again), called from IRQ context. Process context or irq thread;
 * sleeps as ops->map does (and takes the domain's mutex). */
unsigned int irq_create_mapping(struct irq_domain *d, irq_hw_number_t hwirq);
/* The line of hwirq, 0 if none (or d NULL, hwirq out of range). Any
 * context, never sleeps, takes no lock. */
unsigned int irq_find_mapping(struct irq_domain *d, irq_hw_number_t hwirq);
static inline unsigned int irq_linear_revmap(struct irq_domain *d, irq_hw_number_t hwirq)
{
	return irq_find_mapping(d, hwirq);
}
/* The irq_data of line virq if d maps it, else NULL. Any context. */
struct irq_data *irq_domain_get_irq_data(struct irq_domain *d, unsigned int virq);
/* Undo irq_create_mapping for line virq: no new generic_handle_domain_irq
 * reaches it once this returns (a grace period), ops->unmap is called, and
 * the line is freed (irq_free_desc). A line still requested warns and
 * stays mapped; a line of no domain warns; 0 is nothing. Process context or
 * irq thread (IRQ context: warning, nothing done). Sleeps. */
void irq_dispose_mapping(unsigned int virq);
/* Run the flow of hwirq's line inline, as generic_handle_irq() (the
 * handler of a chained/demultiplexing parent). 0; -EINVAL no mapping
 * (warned once per domain) or d NULL; -EPERM outside a CPU context;
 * -ENODEV. CPU context; never sleeps itself. A threaded parent calls
 * handle_nested_irq(irq_find_mapping(d, hwirq)) instead. */
int generic_handle_domain_irq(struct irq_domain *d, unsigned int hwirq);

/* Standard xlate callbacks: one cell = hwirq (type NONE), two cells =
 * hwirq, IRQ_TYPE_*; onetwocell takes either. 0; -EINVAL too few cells or
 * a NULL pointer (warning). Any context, never sleep. */
int irq_domain_xlate_onecell(struct irq_domain *d, struct device_node *node,
			     const uint32_t *intspec, unsigned int intsize,
			     unsigned long *out_hwirq, unsigned int *out_type);
int irq_domain_xlate_twocell(struct irq_domain *d, struct device_node *node,
			     const uint32_t *intspec, unsigned int intsize,
			     unsigned long *out_hwirq, unsigned int *out_type);
int irq_domain_xlate_onetwocell(struct irq_domain *d, struct device_node *node,
				const uint32_t *intspec, unsigned int intsize,
				unsigned long *out_hwirq, unsigned int *out_type);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* IRQCORE_LINUX_H */
