/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spinlock_t: a Concurrency Kit test-and-set lock (ck_spinlock_fas) in the
 * word spinlock_t.raw, plus the local_irq/local_bh sections of the _irq,
 * _irqsave and _bh forms (include/irqcore/linux.h says what they mean on
 * irqcore's CPUs).
 *
 * Ordering: ck_spinlock_fas_trylock is an atomic exchange followed by
 * ck_pr_fence_lock (acquire), ck_spinlock_fas_unlock is ck_pr_fence_unlock
 * (release) followed by the store of 0: each critical section happens
 * before the next holder's. Everything else here is written only by the
 * holder, under the lock (seen), or is a diagnostic read outside it with
 * relaxed atomics (owner).
 *
 * Waiting: a waiter spins on the lock word (a load, no exchange: the line
 * stays shared) for SPIN_TRIES rounds, then naps (1 us, doubling to
 * 100 us) between tries. irqcore's "CPUs" are threads that the OS may
 * preempt: a holder preempted on the waiter's processing unit, or an
 * SCHED_FIFO handler spinning above a SCHED_OTHER holder, would otherwise
 * spin away the holder's time slice for ever.
 */
#include "port.h"

#include <ck_spinlock.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(ck_spinlock_fas_t) == sizeof(unsigned int),
	       "spinlock_t.raw holds a ck_spinlock_fas_t");

#define SPIN_TRIES	1000u
#define NAP_MAX_US	100u

/* spinlock_t.seen: contexts the lock was taken in (lockdep's usage bits) */
#define SEEN_IN_HARDIRQ		0x01u	/* in a hard handler */
#define SEEN_IN_SOFTIRQ		0x02u	/* in a tasklet */
#define SEEN_HARDIRQ_ON		0x04u	/* elsewhere, interrupts enabled */
#define SEEN_SOFTIRQ_ON		0x08u	/* in task context, bottom halves enabled */
#define SEEN_WARNED		0x10u	/* irq-safety warning given */

static _Thread_local int port_tid;

int irqc__port_tid(void)
{
	if (!port_tid)
		port_tid = (int)syscall(SYS_gettid);
	return port_tid;
}

static inline ck_spinlock_fas_t *fas(spinlock_t *lock)
{
	return (ck_spinlock_fas_t *)(void *)&lock->raw;
}

/*
 * The lock word. ck's compiler-builtin backend (the TSan build's) loads
 * and stores with volatile accesses, which TSan takes for plain ones: TSan
 * builds use the same operations in C11 atomics instead (exchange with
 * acquire, store with release, relaxed load), so that it sees the
 * happens-before edge the lock provides.
 */
#if defined(__SANITIZE_THREAD__)
static inline bool raw_trylock(spinlock_t *lock)
{
	return atomic_exchange_explicit(IRQC_ATOMIC(&lock->raw), 1u, memory_order_acquire) == 0;
}

static inline bool raw_locked(spinlock_t *lock)
{
	return atomic_load_explicit(IRQC_ATOMIC(&lock->raw), memory_order_relaxed) != 0;
}

static inline void raw_unlock(spinlock_t *lock)
{
	atomic_store_explicit(IRQC_ATOMIC(&lock->raw), 0u, memory_order_release);
}
#else
static inline bool raw_trylock(spinlock_t *lock)
{
	return ck_spinlock_fas_trylock(fas(lock));
}

static inline bool raw_locked(spinlock_t *lock)
{
	return ck_spinlock_fas_locked(fas(lock));
}

static inline void raw_unlock(spinlock_t *lock)
{
	ck_spinlock_fas_unlock(fas(lock));
}
#endif

static const char *lock_name(const spinlock_t *lock)
{
	return lock->name ? lock->name : "?";
}

static bool null_lock(const spinlock_t *lock, const char *fn)
{
	if (lock)
		return false;
	irqc_warn("%s(NULL): no lock", fn);
	return true;
}

void irqcore_spin_lock_init(spinlock_t *lock, const char *name)
{
	if (null_lock(lock, "spin_lock_init"))
		return;
	*lock = (spinlock_t){ .name = name };
	ck_spinlock_fas_init(fas(lock));
}

/* Called by the holder, under the lock: record the context, and warn once
 * when the lock is both irq-safe and irq-unsafe (lockdep's rule). */
static void note_context(spinlock_t *lock)
{
	unsigned int seen = lock->seen, add;

	if (in_hardirq())
		add = SEEN_IN_HARDIRQ;
	else if (in_serving_softirq())
		add = SEEN_IN_SOFTIRQ | (irqs_disabled() ? 0 : SEEN_HARDIRQ_ON);
	else if (!irqs_disabled())
		add = SEEN_HARDIRQ_ON | (irqc_ctx.bh_off ? 0 : SEEN_SOFTIRQ_ON);
	else
		add = 0;
	if ((seen | add) == seen)
		return;
	seen |= add;
	if (!(seen & SEEN_WARNED) &&
	    (((seen & SEEN_IN_HARDIRQ) && (seen & SEEN_HARDIRQ_ON)) ||
	     ((seen & SEEN_IN_SOFTIRQ) && (seen & SEEN_SOFTIRQ_ON)))) {
		seen |= SEEN_WARNED;
		irqc_warn("spinlock %s is taken in %s context and elsewhere with %s enabled: "
			  "on Linux this deadlocks when the %s interrupts the holder "
			  "(take it with spin_lock_%s there)", lock_name(lock),
			  (seen & SEEN_IN_HARDIRQ) && (seen & SEEN_HARDIRQ_ON) ? "hard irq" : "tasklet",
			  (seen & SEEN_IN_HARDIRQ) && (seen & SEEN_HARDIRQ_ON) ? "interrupts" :
										"bottom halves",
			  (seen & SEEN_IN_HARDIRQ) && (seen & SEEN_HARDIRQ_ON) ? "handler" : "tasklet",
			  (seen & SEEN_IN_HARDIRQ) && (seen & SEEN_HARDIRQ_ON) ? "irqsave" : "bh");
	}
	lock->seen = seen;
}

static void nap(unsigned int *us)
{
	struct timespec ts = { 0, (long)*us * 1000 };

	nanosleep(&ts, NULL);
	if (*us < NAP_MAX_US)
		*us = *us * 2 > NAP_MAX_US ? NAP_MAX_US : *us * 2;
}

static void lock_slow(spinlock_t *lock)
{
	unsigned int tries = 0, us = 1;
	int self = irqc__port_tid();

	/* relaxed: a diagnostic; only the holder stores its own id, so
	 * reading ours means we hold it */
	if (atomic_load_explicit(IRQC_ATOMIC(&lock->owner), memory_order_relaxed) == self) {
		irqc_err("BUG: spinlock recursion: spinlock %s taken again by the thread "
			 "that holds it (deadlock)%s", lock_name(lock),
			 in_hardirq() ? ": a handler interrupted its holder, which took it "
					"without spin_lock_irqsave" : "");
	}
	for (;;) {
		if (raw_trylock(lock))	/* acquire: see the top */
			return;
		while (raw_locked(lock)) {
			if (++tries < SPIN_TRIES)
				irqc__cpu_relax();
			else
				nap(&us);
		}
	}
}

static void lock_taken(spinlock_t *lock)
{
	/* relaxed: read only by lock_slow's diagnostic */
	atomic_store_explicit(IRQC_ATOMIC(&lock->owner), irqc__port_tid(), memory_order_relaxed);
	note_context(lock);
}

void spin_lock(spinlock_t *lock)
{
	if (null_lock(lock, "spin_lock"))
		return;
	/* acquire: ck_spinlock_fas_trylock, paired with the unlock's release */
	if (unlikely(!raw_trylock(lock)))
		lock_slow(lock);
	lock_taken(lock);
}

int spin_trylock(spinlock_t *lock)
{
	if (null_lock(lock, "spin_trylock"))
		return 0;
	/* acquire: paired with the unlock's release */
	if (!raw_trylock(lock))
		return 0;
	lock_taken(lock);
	return 1;
}

void spin_unlock(spinlock_t *lock)
{
	if (null_lock(lock, "spin_unlock"))
		return;
	if (unlikely(!raw_locked(lock))) {
		irqc_warn("spin_unlock(%s): the lock is not held", lock_name(lock));
		return;
	}
	atomic_store_explicit(IRQC_ATOMIC(&lock->owner), 0, memory_order_relaxed);	/* diagnostic */
	/* release: the section before the next holder's acquire */
	raw_unlock(lock);
}

int spin_is_locked(spinlock_t *lock)
{
	if (null_lock(lock, "spin_is_locked"))
		return 0;
	return raw_locked(lock);
}

void spin_lock_irq(spinlock_t *lock)
{
	if (null_lock(lock, "spin_lock_irq"))
		return;
	local_irq_disable();
	spin_lock(lock);
}

void spin_unlock_irq(spinlock_t *lock)
{
	if (null_lock(lock, "spin_unlock_irq"))
		return;
	spin_unlock(lock);
	local_irq_enable();
}

void spin_lock_bh(spinlock_t *lock)
{
	if (null_lock(lock, "spin_lock_bh"))
		return;
	local_bh_disable();
	spin_lock(lock);
}

void spin_unlock_bh(spinlock_t *lock)
{
	if (null_lock(lock, "spin_unlock_bh"))
		return;
	spin_unlock(lock);
	local_bh_enable();
}

unsigned long irqcore_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	if (null_lock(lock, "spin_lock_irqsave"))
		return 0;
	flags = irqcore_local_irq_save();
	spin_lock(lock);
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	if (null_lock(lock, "spin_unlock_irqrestore"))
		return;
	spin_unlock(lock);
	irqcore_local_irq_restore(flags);
}

int irqcore_spin_trylock_irqsave(spinlock_t *lock, unsigned long *flags)
{
	unsigned long f;

	if (null_lock(lock, "spin_trylock_irqsave") || !flags)
		return 0;
	f = irqcore_local_irq_save();
	if (spin_trylock(lock)) {
		*flags = f;
		return 1;
	}
	irqcore_local_irq_restore(f);
	return 0;
}
