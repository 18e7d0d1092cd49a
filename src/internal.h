/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * internal.h — irqcore's private interface between src/core, src/threaded,
 * src/stats and src/affinity. Never installed, never included by programs.
 * Internal non-static names start with irqc__.
 *
 * The line state word
 * -------------------
 * Everything the hot path decides is decided on one atomic word per line,
 * desc->state, changed only with compare-and-swap:
 *
 *   INPROGRESS  a CPU owns the line and runs its hard handlers. Only the owner
 *               counts events, calls flow-time chip callbacks, runs handlers.
 *   PENDING     an event is latched on the line: it arrived while the line was
 *               in progress elsewhere, masked or disabled. The owner replays it
 *               before giving the line up (D7); unmask/enable replays it
 *               otherwise (E3), except on a nested child, which has no hard
 *               flow: the next handle_nested_irq replays it. At most one
 *               event is latched; more coalesce.
 *   MASKED      the (soft) controller masks the line: raises latch instead of
 *               reaching a CPU.
 *   DISABLED    depth > 0. Changed under desc->lock only.
 *   LEVEL       the line's trigger is a level: ASSERTED refires it.
 *   ASSERTED    irq_set_line(irq, 1) state.
 *   SPURIOUS    disabled by the spurious detector (S5).
 *   ONESHOT     the line's actions are ONESHOT: masked from the hard handler
 *               until the last woken thread finishes (D5).
 *   STARTED     the chip was told to start the line (request, probe, chained
 *               handler); clear: the chip holds it masked (core/chip.c).
 *   WAKE_ARMED  a wake line while irqcore is suspended (core/pm.c).
 *   HOLDER      (bits 16-31) the CPU that holds the line's bias: it runs the
 *               line without INPROGRESS, with plain stores to desc->bias_busy
 *               (core/bias.c). Never set together with INPROGRESS.
 *   REVOKING    a revocation of HOLDER's bias is under way: nobody takes
 *               the line, nobody grants a bias, until it is confirmed.
 *   FENCED      a revoker's membarrier has returned since REVOKING was set:
 *               later revokers need none of their own.
 *   GEN         bumped by each grant, so that a revocation confirms only
 *               the grant it saw.
 *
 * An accepted raise is a token. A token lives as a bit in one CPU's pending
 * bitmap, as PENDING, or as a flow that a CPU runs. A flow counts one event
 * when it starts (kstat); a token that merges into another (a set bitmap bit,
 * a PENDING already latched) or that an owner replays inline within its flow
 * (D7: "folded into a PENDING replay") counts one "coalesced" where that
 * happens. Nothing else creates or destroys tokens, which is why
 * raised == count + coalesced once the line is quiet (DESIGN.md).
 */
#ifndef IRQCORE_INTERNAL_H
#define IRQCORE_INTERNAL_H

#include "irqcore.h"

#include <ck_ec.h>
#include <ck_spinlock.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "stats/export_abi.h"

#define IRQC_CACHELINE		64
#define IRQC_ALIGNED		__attribute__((aligned(IRQC_CACHELINE)))
#define IRQC_DESC_CHUNK		64	/* lines materialized together */
#define IRQC_BITS		64
#define IRQC_MAX_NEST		8	/* nested generic_handle_irq depth */
/* interrupt coalescing (core/dispatch.c): cfg.coalesce_ns's default and
 * bound, and the events whose wait one pass may add up */
#define IRQC_COALESCE_NS	20
#define IRQC_COALESCE_MAX_NS	100000
#define IRQC_COALESCE_EVENTS	16

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* desc->state bits (see the top of this file) */
#define IRQS_INPROGRESS		0x0001u
#define IRQS_PENDING		0x0002u
#define IRQS_MASKED		0x0004u
#define IRQS_DISABLED		0x0008u
#define IRQS_LEVEL		0x0010u
#define IRQS_ASSERTED		0x0020u
#define IRQS_SPURIOUS		0x0040u
#define IRQS_ONESHOT		0x0080u	/* masked until ONESHOT threads finish */
#define IRQS_STARTED		0x0100u	/* the chip was told to start the line
					   (core/chip.c); changed under chip_lock */
#define IRQS_WAKE_ARMED		0x0200u	/* suspended wake line: an event wakes */
/* Biased ownership (core/bias.c): the line's holder, the revocation under
 * way, the grant's generation */
#define IRQS_REVOKING		0x0400u	/* the holder's bias is being revoked */
#define IRQS_FENCED		0x0800u	/* ... and a revoker's membarrier is done */
#define IRQS_GEN_ONE		0x1000u
#define IRQS_GEN		0xf000u	/* bumped by each grant (4 bits) */
#define IRQS_HOLDER_SHIFT	16
#define IRQS_HOLDER		0xffff0000u	/* holder's CPU id + 1; 0: none */
#define IRQS_BIAS		(IRQS_HOLDER | IRQS_REVOKING | IRQS_FENCED)

#define IRQS_BLOCKED		(IRQS_MASKED | IRQS_DISABLED)

/* desc->status_flags: the public IRQ_* status flags, Linux's modifiable set
 * (IRQ_TYPE_* bits go to desc->trigger instead) */
#define IRQC_STATUS_MASK	(IRQ_LEVEL | IRQ_PER_CPU | IRQ_NOPROBE | IRQ_NOREQUEST | \
				 IRQ_NOAUTOEN | IRQ_NO_BALANCING | IRQ_MOVE_PCNTXT | \
				 IRQ_NESTED_THREAD | IRQ_NOTHREAD | IRQ_PER_CPU_DEVID | \
				 IRQ_IS_POLLED | IRQ_DISABLE_UNLAZY | IRQ_HIDDEN)
#define IRQC_NO_DEBUG		(1u << 21)	/* an action has IRQF_NO_DEBUG */

/* S2: deferred threaded accounting marker in threads_handled_last */
#define SPURIOUS_DEFERRED	0x80000000u

struct irqc_thread;

/* struct irqaction: one requested handler. Published on the line's chain with
 * a release store; readers walk the chain inside a read-side section. */
struct irqaction {
	irq_handler_t handler;		/* for nested lines: irqc__nested_primary */
	void *dev_id;
	struct irqaction *_Atomic next;
	irq_handler_t thread_fn;
	unsigned int irq;
	unsigned long flags;
	const char *name;
	unsigned long thread_mask;		/* ONESHOT bit (R5) */
	struct irqc_thread *thread;		/* src/threaded */
	struct irqaction *secondary;		/* forced threading (R7) */
	atomic_bool warned_wake;		/* D2 logged once */
};

struct irq_desc {
	/* --- read-mostly: what raisers and flows read; slow paths write --- */
	_Atomic int effective_cpu IRQC_ALIGNED;
	_Atomic uint32_t blocked;		/* state & IRQS_BLOCKED, for raisers */
	_Atomic unsigned int prio;		/* priority class (irq_set_priority) */
	unsigned int irq;
	struct irqaction *_Atomic action;
	_Atomic(irq_flow_handler_t) flow;
	_Atomic(const struct irq_chip *) chip;
	struct irq_data irq_data;

	/* --- written by the CPU that runs the line, on every event --- */
	_Atomic uint32_t state IRQC_ALIGNED;
	ck_spinlock_fas_t chip_lock;		/* serializes chip callbacks */
	/* biased ownership (core/bias.c): busy is written by the holder only,
	 * 1 while it runs the line on its bias; the streak by the INPROGRESS
	 * owner; need by the owner's grant and by revokers */
	_Atomic uint32_t bias_busy;
	_Atomic uint32_t bias_need;		/* events in a row that grant a bias */
	unsigned int streak_cpu;		/* the CPU of the current streak */
	uint32_t streak;			/* its events in a row under INPROGRESS */

	/* --- spurious window: written by the INPROGRESS owner --- */
	_Atomic uint32_t irq_count;
	_Atomic uint32_t irqs_unhandled;
	_Atomic uint64_t last_unhandled;	/* ns of the clock, 0 never */
	_Atomic uint32_t threads_handled;	/* threads: IRQ_HANDLED results */
	_Atomic uint32_t threads_handled_last;

	/* --- threaded handlers --- */
	_Atomic unsigned long threads_oneshot;
	_Atomic uint32_t threads_active;
	_Atomic uint64_t noaction;		/* events that found no action */

	/* --- process context --- */
	pthread_mutex_t request_mutex IRQC_ALIGNED; /* request/free: serialized */
	pthread_mutex_t lock;		/* depth, type, affinity, chain edits */
	_Atomic unsigned int depth;
	_Atomic unsigned int status_flags;	/* IRQ_NOREQUEST ... */
	_Atomic unsigned int trigger;		/* IRQ_TYPE_* */
	_Atomic unsigned int nr_actions;
	const char *_Atomic flow_name;
	cpu_set_t affinity;
	cpu_set_t hint;
	bool affinity_set;			/* caller chose it: no balancing */
	bool has_hint;
	bool counted;				/* in nr_lines of effective_cpu
						   (requested); place_lock */
	int home_cpu;				/* a CPU going offline moved the
						   line off it, -1 none (A6) */
	_Atomic int thread_prio;		/* irq_set_thread_priority, -1 unset */
	bool allocated;				/* irq_alloc_desc */
	bool trigger_set;			/* a type was set (R3) */

	/* --- chips, wake-up, power management: desc->lock --- */
	void *_Atomic handler_data;		/* irq_set_handler_data */
	bool chained;				/* irq_set_chained_handler_and_data */
	bool suspended;				/* disabled by irqcore_suspend */
	bool probing;				/* started by probe_irq_on */
	bool probe_was_off;			/* ... and was shut down before */
	_Atomic unsigned int wake_depth;	/* irq_set_irq_wake */
};

/* One dispatcher "CPU". Every field a raiser writes sits on its own line. */
/* One pending bitmap: raisers OR, the CPU exchanges (see core/raise.c);
 * one block: top, the summary words, the words (irqc__cpus_init). */
struct irqc_pend {
	_Atomic uint64_t *top;			/* used when nr_summary > 1 */
	_Atomic uint64_t *summary;		/* [nr_summary] */
	_Atomic uint64_t *words;		/* [nr_words] */
};

struct irqc_cpu {
	/* one pending bitmap per priority class (core/raise.c); level 0's
	 * fields are the names the rest of the engine uses */
	union {
		struct irqc_pend pend[IRQ_NR_PRIO];
		struct {
			_Atomic uint64_t *top;
			_Atomic uint64_t *summary;
			_Atomic uint64_t *words;
		};
	};
	/* idle: 1 while the CPU announces that it sleeps (futex word), 2
	 * while it sleeps in ppoll on its polled fds (IRQC_SLEEP_POLL) */
	_Atomic uint32_t sleeping IRQC_ALIGNED;
	_Atomic uint32_t kicks;			/* quiesce asks for a pass */
	/* IRQCORE_SRC_F_POLL sources whose home this CPU is (sources/poll.c):
	 * the one load an idle loop pays when it is 0 */
	_Atomic uint32_t polls;
	int poll_wakefd;			/* eventfd kicking a ppoll sleep; -1 */
	/* bit p: class p > 0 may have pending lines (step 2c in core/raise.c);
	 * beside sleeping, which every raiser loads anyway */
	_Atomic uint64_t levels;
	/* the CPU's level (irqcore_raise_level): classes at or below it are
	 * deferred; IRQCORE_LEVEL_PASSIVE: none. Written and read by the
	 * thread that is the CPU only (its dispatcher, or the attached thread). */
	int level;

	/* owner side */
	_Atomic uint64_t seq IRQC_ALIGNED;	/* completed drain passes */
	_Atomic uint64_t handled;		/* tokens consumed, for quiesce */
	_Atomic uint64_t err;			/* ERR: events with no action */
	_Atomic unsigned int nr_lines;		/* requested lines effectively
						   here; changed under place_lock */
	_Atomic bool offline;			/* irqcore_cpu_offline (A6): gets
						   no line; written under place_lock */
	_Atomic pid_t owner;			/* external: attached thread */
	_Atomic uint64_t *handled_row;		/* its row of irqc_exp.handled */
	unsigned int id;
	uint32_t bias_tag;			/* (id + 1) << IRQS_HOLDER_SHIFT */
	pthread_t thread;
	bool thread_started;
	struct tasklet_struct *_Atomic tasklets IRQC_ALIGNED; /* scheduled here */
	unsigned int drain_pending;		/* local_irq_disable deferred a poll */
};

/* Raise accounting of one line, written by one thread (see stats/counters.c). */
struct irqc_cnt {
	_Atomic uint64_t raised;
	_Atomic uint64_t coalesced;
};

struct irqc_core {
	/* --- read on every call and pass, written at init/shutdown --- */
	_Atomic int state IRQC_ALIGNED;		/* IRQC_DOWN ... IRQC_UP */
	_Atomic unsigned int gen;		/* bumped at init and shutdown */
	_Atomic bool stop;			/* dispatchers: leave the loop */
	unsigned int nr_irqs, nr_cpus;
	unsigned int nr_words, nr_summary;
	unsigned int nr_slots;			/* raise-accounting slots */
	unsigned int coalesce_spins;		/* cpu_relax()es per event of a
						   coalescing wait; 0: none */
	_Atomic uint64_t prio_mask;		/* bit p: a line was given class p */
	struct irqc_cpu *cpus;			/* [nr_cpus], cache-aligned */
	struct irq_desc *_Atomic *chunks;	/* [nr_irqs / IRQC_DESC_CHUNK] */
	struct irqc_cnt *cnt;			/* [nr_slots][nr_irqs], one writer each */
	struct irqc_cnt *cnt_shared;		/* [nr_irqs]: threads without a slot */
	struct irqcore_config cfg;

	/* --- written by threaded handlers on every wake-up --- */
	_Atomic uint32_t threads_active IRQC_ALIGNED;	/* all lines: for quiesce */

	/* --- slow paths --- */
	_Atomic bool fifo_warned IRQC_ALIGNED;	/* SCHED_FIFO refused: warned once */
	_Atomic uint64_t err_other;		/* ERR outside CPUs (nested lines) */
	pthread_mutex_t alloc_lock;		/* irq_alloc_desc */
	pthread_mutex_t default_lock;		/* default_affinity */
	cpu_set_t default_affinity;		/* lines' mask until set (A4) */
	pthread_mutex_t place_lock;		/* nr_lines, offline (A6, A7) */
	pthread_mutex_t hotplug_lock;		/* offline/online: one at a time */
	unsigned int nr_online;			/* place_lock */
	_Atomic uint64_t noirq_log_last_ns;	/* D9 rate limit */
	_Atomic unsigned int noirq_log_burst;
	struct ck_ec_mode ec_mode;		/* irq threads' event counts */
	/* spurious poller (S5) */
	pthread_t poll_thread;
	bool poll_started;
	pthread_mutex_t poll_lock;
	pthread_cond_t poll_cond;
	/* autoprobe (P1) */
	_Atomic uint64_t *probe_armed;		/* [nr_words] */
	_Atomic uint64_t *probe_fired;
	pthread_mutex_t probe_lock;
	/* suspend (core/pm.c) */
	_Atomic bool pm_suspended;
	_Atomic int wakeup_irq;			/* first wake line, -1 none */
};

enum { IRQC_DOWN = 0, IRQC_STARTING, IRQC_UP, IRQC_STOPPING };

extern struct irqc_core irqc;

/*
 * Thread records (core/guard.c): one per thread that ever called irqcore,
 * claimed at its first call without a lock or an allocation, released when
 * the thread exits. Static storage: a record outlives every instance, so a
 * thread can announce a call before it knows whether irqcore is up.
 */
struct irqc_trec {
	_Atomic uint32_t owner;			/* 0 free, 1 claimed */
	_Atomic uint64_t nest;			/* public calls in progress */
	/* odd while the thread is inside a read-side section (core/rcu.c);
	 * the shared record: how many threads are */
	_Atomic uint64_t seq;
} IRQC_ALIGNED;
#define IRQC_MAX_THREADS	1024
extern struct irqc_trec irqc_trecs[IRQC_MAX_THREADS];
/* 1 + the highest index ever claimed: the records a scan must look at */
extern _Atomic unsigned int irqc_trecs_used;

/* Per-thread context. */
struct irqc_ctx {
	struct irqc_cpu *cpu;			/* the CPU this thread is, or NULL */
	unsigned int gen;			/* irqc.gen when cpu was set */
	unsigned int cpu_id;			/* cpu->id, readable after shutdown */
	unsigned int nr_nested;			/* of running[], the nested children
						   (run in thread context) */
	unsigned int irq_off;			/* local_irq_disable nesting */
	unsigned int softirq;			/* running a tasklet */
	unsigned int bh_off;			/* local_bh_disable nesting (port/) */
	unsigned int section_nest;		/* read-side section nesting */
	int thread_irq;				/* irq of the irq thread we are, or -1 */
	unsigned int nr_running;
	unsigned int running[IRQC_MAX_NEST];	/* lines whose handlers we run */
	struct irqc_trec *rec;			/* NULL until the first call */
	/* rec where its counts take the fast path (a record of its own, and
	 * membarrier registered), else NULL: the slow path (core/guard.c) */
	struct irqc_trec *rec_fast;
	unsigned int rec_idx;
	unsigned int cnt_gen;			/* irqc.gen when cnt was set */
	struct irqc_cnt *cnt;			/* this thread's slot, NULL: shared */
};
extern _Thread_local struct irqc_ctx irqc_ctx;

/* Hard handler nesting: every line in running[] but the nested children
 * (one bookkeeping for both, so that a flow stores one count, not two). */
static inline unsigned int irqc__hardirq_depth(void)
{
	return irqc_ctx.nr_running - irqc_ctx.nr_nested;
}

static inline void irqc__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* The CPU the calling thread is, NULL outside a CPU context (a pointer left
 * from an earlier instance does not count). */
static inline struct irqc_cpu *irqc__this_cpu(void)
{
	struct irqc_cpu *cpu = irqc_ctx.cpu;

	if (!cpu || irqc_ctx.gen != atomic_load_explicit(&irqc.gen, memory_order_relaxed))
		return NULL;
	return cpu;
}



/*
 * One vocabulary for atomics: C11 <stdatomic.h>, each with its memory order
 * spelled out. Objects whose type a public or shared header fixes as a
 * plain integer (tasklet_struct, spinlock_t, the statistics segment read by
 * irqtop) are reached through IRQC_ATOMIC(p): the same object seen as
 * _Atomic, which has the same size and alignment on every ABI irqcore
 * builds for (checked here).
 */
#define IRQC_ATOMIC(p)	((_Atomic __typeof__(*(p)) *)(p))
_Static_assert(sizeof(_Atomic unsigned long) == sizeof(unsigned long) &&
	       _Alignof(_Atomic unsigned long) == _Alignof(unsigned long) &&
	       sizeof(_Atomic uint64_t) == sizeof(uint64_t) &&
	       _Alignof(_Atomic uint64_t) == _Alignof(uint64_t) &&
	       sizeof(_Atomic unsigned int) == sizeof(unsigned int) &&
	       sizeof(_Atomic int) == sizeof(int),
	       "IRQC_ATOMIC needs _Atomic T laid out as T");

/*
 * A line's chip lock (desc->chip_lock, a Concurrency Kit test-and-set
 * lock): serializes chip callbacks. Under TSan the same lock is spelled in
 * C11 atomics (an acquire exchange, a release store): ck's builtin backend
 * uses volatile accesses, which TSan takes for plain ones, and would hide
 * the happens-before the lock provides.
 */
static inline void irqc__chip_lock(struct irq_desc *desc)
{
#if defined(__SANITIZE_THREAD__)
	/* acquire: paired with the release store of the unlock */
	while (atomic_exchange_explicit(IRQC_ATOMIC(&desc->chip_lock.value), 1u,
					memory_order_acquire))
		irqc__cpu_relax();
#else
	ck_spinlock_fas_lock(&desc->chip_lock);
#endif
}

static inline void irqc__chip_unlock(struct irq_desc *desc)
{
#if defined(__SANITIZE_THREAD__)
	/* release: the section before the next holder's acquire exchange */
	atomic_store_explicit(IRQC_ATOMIC(&desc->chip_lock.value), 0u, memory_order_release);
#else
	ck_spinlock_fas_unlock(&desc->chip_lock);
#endif
}

/* ---- core/guard.c: public calls against shutdown (G2) ----
 *
 * Every public call that touches the instance runs between
 * irqc__api_enter() and irqc__api_exit() (IRQC_API_GUARD does both, the exit
 * through a cleanup attribute). Enter bumps the thread's own nest count with
 * a plain store, then checks the state; irqcore_shutdown() first publishes
 * STOPPING, then waits until every record's nest count is 0, and only then
 * frees. The two sides are a Dekker pair: the caller's store of its count
 * before its load of the state, and shutdown's store of the state before its
 * loads of the counts. The caller's side costs only a compiler barrier,
 * because shutdown issues membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), a
 * full barrier in every running thread of the process; where the kernel
 * lacks it, the caller pays a full fence instead. Either the caller sees
 * STOPPING (and touches nothing), or shutdown sees its count (and waits for
 * the exit, whose release store orders every access of the call before the
 * free). Threads beyond IRQC_MAX_THREADS share one record with atomic adds.
 */
struct irqc_trec *irqc__trec_claim(void);
extern struct irqc_trec irqc_trec_shared;
extern _Atomic bool irqc_membarrier_ok;

/* The caller's half of an asymmetric pair: a compiler barrier where the
 * other side issues membarrier(), a full fence where the kernel lacks it. */
#if !defined(__SANITIZE_THREAD__)	/* TSan builds use seq_cst RMWs instead */
static inline void irqc__light_barrier(void)
{
	if (likely(atomic_load_explicit(&irqc_membarrier_ok, memory_order_relaxed)))
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}
#endif

/*
 * A thread announces a guarded call (its record's nest count) or a
 * read-side section (its seq, core/rcu.c) the same way. Fast path, inline:
 * the thread has a record of its own and membarrier() is registered
 * (irqc_ctx.rec_fast set), so the count is one writer's plain increment
 * followed by a compiler barrier, the other side's membarrier() standing
 * for the fence. Everything else is the slow path (core/guard.c): a
 * thread's first call (it claims its record), the shared record (atomic
 * adds), a kernel without membarrier (a full fence), TSan (seq_cst RMWs,
 * which TSan models). Both paths end in the same state for a private
 * record, so a call entered by one may leave by the other.
 */
void irqc__rec_enter_slow(bool section);
void irqc__rec_exit_slow(bool section);

/* Announce a call (section false: nest one up) or a section (true: seq to
 * odd), before reading the state. */
static inline void irqc__rec_enter(bool section)
{
	struct irqc_trec *r = irqc_ctx.rec_fast;

	if (likely(r != NULL)) {
		_Atomic uint64_t *c = section ? &r->seq : &r->nest;

		/* one writer: a plain increment */
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		/* paired with shutdown's (or a grace period's) membarrier() */
		atomic_signal_fence(memory_order_seq_cst);
	} else {
		irqc__rec_enter_slow(section);
	}
}

/* The call's end (nest one down) or the section's (seq to even). */
static inline void irqc__rec_exit(bool section)
{
	struct irqc_trec *r = irqc_ctx.rec_fast;

	if (likely(r != NULL)) {
		_Atomic uint64_t *c = section ? &r->seq : &r->nest;

		/* release: every access of the call or section before the
		 * waiter's acquire load of the moved count, and so before the
		 * frees that follow it */
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) +
					 (section ? 1 : (uint64_t)-1),
				      memory_order_release);
	} else {
		irqc__rec_exit_slow(section);
	}
}

static inline bool irqc__api_enter(void)
{
	irqc__rec_enter(false);
	/* acquire: pairs with the release store that ends irqcore_init() */
	return atomic_load_explicit(&irqc.state, memory_order_acquire) == IRQC_UP;
}

static inline void irqc__api_exit(int *unused)
{
	(void)unused;
	irqc__rec_exit(false);
}

/* At the top of a public function: returns `fail` when irqcore is not up;
 * otherwise the call runs to its end before shutdown frees anything. */
#define IRQC_API_GUARD(fail) \
	__attribute__((cleanup(irqc__api_exit))) int irqc_api_up_ = irqc__api_enter(); \
	if (unlikely(!irqc_api_up_)) \
		return fail
#define IRQC_API_GUARD_VOID() \
	__attribute__((cleanup(irqc__api_exit))) int irqc_api_up_ = irqc__api_enter(); \
	if (unlikely(!irqc_api_up_)) \
		return

/* ---- debug points: random yields and a test hook in the torture build
 * (src/torture/, VARIANT=torture), nothing in the others ---- */
enum irqc_dbg_point {
	IRQC_DBG_RAISE_WORD = 1, IRQC_DBG_RAISE_SUMMARY, IRQC_DBG_DRAIN,
	IRQC_DBG_FLOW_ENTER, IRQC_DBG_FLOW_RELEASE, IRQC_DBG_FINALIZE,
	IRQC_DBG_THREAD_WAKE, IRQC_DBG_FREE, IRQC_DBG_SHUTDOWN, IRQC_DBG_SECTION_ENTER,
	IRQC_DBG_RAISE_TOP, IRQC_DBG_RAISE_LEVELS, IRQC_DBG_IDLE_SLEEP,
	IRQC_DBG_FREE_LAST, IRQC_DBG_BIAS_TAKE, IRQC_DBG_BIAS_REVOKE,
	IRQC_DBG_BIAS_CONFIRM, IRQC_DBG_COALESCE, IRQC_DBG_DRAIN_EMPTY,
};
#if defined(IRQC_TORTURE)
void irqc__debug_point(int point, unsigned int irq);
/* IRQCORE_TORTURE_NO_MEMBARRIER=1: never register membarrier (core/guard.c) */
bool irqc__torture_no_membarrier(void);
/* IRQCORE_TORTURE_COALESCE_FOREVER=1: a coalescing wait lasts until one of
 * its ends comes (core/dispatch.c) */
bool irqc__torture_coalesce_forever(void);
#define IRQC_DEBUG_POINT(point, irq)	irqc__debug_point((point), (irq))
#else
#define IRQC_DEBUG_POINT(point, irq)	((void)0)
#endif

/* ---- core/init.c ---- */
void irqc__log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define irqc_warn(...)	irqc__log(IRQCORE_LOG_WARNING, __VA_ARGS__)
#define irqc_err(...)	irqc__log(IRQCORE_LOG_ERR, __VA_ARGS__)
uint64_t irqc__mono_ns(void);			/* CLOCK_MONOTONIC */
static inline bool irqc__up(void)
{
	/* acquire: pairs with the release store that ends irqcore_init() */
	return atomic_load_explicit(&irqc.state, memory_order_acquire) == IRQC_UP;
}
/* Inside a guarded call: the instance stays up (or STOPPING) until it ends. */
static inline bool irqc__in_range(unsigned int irq)
{
	return irq < irqc.nr_irqs;
}

/* ---- core/desc.c ---- */
struct irq_desc *irqc__desc_get(unsigned int irq);	/* materializes; NULL: ENOMEM */
/* The line of an API call: -ENODEV not running, -EINVAL out of range,
 * -ENOMEM when its descriptor cannot be materialized. */
int irqc__desc_lookup(unsigned int irq, struct irq_desc **descp);
static inline struct irq_desc *irqc__desc_peek(unsigned int irq)
{
	/* acquire: pairs with the release CAS that publishes a chunk */
	struct irq_desc *chunk = atomic_load_explicit(&irqc.chunks[irq / IRQC_DESC_CHUNK],
						      memory_order_acquire);
	return chunk ? &chunk[irq % IRQC_DESC_CHUNK] : NULL;
}
/* The next materialized line from *it on (NULL at the end); advances *it. */
struct irq_desc *irqc__desc_next(unsigned int *it);
/* Every line whose descriptor exists, in order. */
#define irqc_for_each_desc(desc, it) \
	for (unsigned int it = 0; ((desc) = irqc__desc_next(&it)) != NULL;)
extern const struct irq_chip irqc_soft_chip;

/* ---- core/chip.c: chip callbacks, serialized per line ---- */
void irqc__chip_unmask(struct irq_desc *desc);	/* clears MASKED, replays */
/* Slow-bus chips: NULL when nothing was locked (no callback, IRQ context). */
const struct irq_chip *irqc__bus_lock(struct irq_desc *desc);
void irqc__bus_sync_unlock(struct irq_desc *desc, const struct irq_chip *chip);

/* ---- core/init.c, core/dispatch.c, core/raise.c: what src/sources uses ---- */
/* Sleep *us microseconds, then double it up to 1 ms: the waits of the slow
 * paths (synchronize, quiesce, tasklet_kill); start with *us = 1 or more. */
void irqc__backoff_sleep(unsigned int *us);
bool irqc__cpu_has_work(struct irqc_cpu *cpu);
#define IRQC_SLEEP_POLL	2u	/* cpu->sleeping: asleep in ppoll (sources/poll.c) */
/* The wake of a kick: a futex wake, or a write to poll_wakefd when the CPU
 * sleeps in ppoll (was: the value of sleeping the kick exchanged). */
void irqc__cpu_wake(struct irqc_cpu *cpu, uint32_t was);
/* Wake CPU cpu if it sleeps; it then makes a pass. */
static inline void irqc__cpu_kick(struct irqc_cpu *cpu)
{
	uint32_t was;

	/* seq_cst: paired with the CPU's store of sleeping = 1 (or 2) before
	 * its recheck of the bitmap (see the top of core/raise.c) */
	if (atomic_load(&cpu->sleeping) && (was = atomic_exchange(&cpu->sleeping, 0)))
		irqc__cpu_wake(cpu, was);
}

/* ---- core/rcu.c: read-side sections of the handler chains ----
 * Inline: a section makes the thread's record odd on entry and even on
 * exit, with plain stores and a compiler barrier (the argument is at the
 * top of core/rcu.c). Shutdown waits for sections as it waits for guarded
 * calls, so a section is also a guard (G2): the hot calls that only walk
 * chains (generic_handle_irq) pay for one announcement, not two.
 * Sections nest; only the outermost moves the record.
 */
static inline bool irqc__rcu_enter(void)
{
	if (likely(!irqc_ctx.section_nest++)) {	/* the outermost: the common case */
		irqc__rec_enter(true);
		IRQC_DEBUG_POINT(IRQC_DBG_SECTION_ENTER, ~0u);
	}
	/* acquire: pairs with the release store that ends irqcore_init() */
	return atomic_load_explicit(&irqc.state, memory_order_acquire) == IRQC_UP;
}

static inline void irqc__rcu_exit(void)
{
	if (likely(!--irqc_ctx.section_nest))	/* the outermost */
		irqc__rec_exit(true);
}

static inline void irqc__rcu_exit_cleanup(int *unused)
{
	(void)unused;
	irqc__rcu_exit();
}

/* At the top of a public call that only reads (generic_handle_irq): a
 * read-side section for the whole call, which is also its guard: returns
 * `fail` when irqcore is not up. */
#define IRQC_RCU_GUARD(fail) \
	__attribute__((cleanup(irqc__rcu_exit_cleanup))) int irqc_rcu_up_ = irqc__rcu_enter(); \
	if (unlikely(!irqc_rcu_up_)) \
		return fail
void irqc__synchronize_rcu(void);
bool irqc__runs_line(unsigned int irq);		/* we own irq's flow (INPROGRESS) */
/* Any handler context: a hard handler, a tasklet, an irq thread, a nested
 * child's handler: waiting for lines, threads or grace periods from here
 * could wait for the caller itself (G5). */
static inline bool irqc__in_handler_context(void)
{
	return in_interrupt() || irqc_ctx.thread_irq >= 0 || irqc_ctx.nr_running > 0;
}

/* ---- core/flow.c, core/handle.c ---- */
/* Take the line (INPROGRESS), or latch the event on it (PENDING, counted
 * coalesced if one was latched already): true when taken. */
bool irqc__line_take_or_latch(struct irq_desc *desc);
/* Take the line (INPROGRESS) if nobody runs it, revoking a bias without
 * waiting for its holder; never latches, never waits. */
bool irqc__line_try_take(struct irq_desc *desc);
/* Give the line back, unless a PENDING event may run now and inline_replay:
 * then keep it and return true (run the chain again). */
bool irqc__line_release_or_keep(struct irq_desc *desc, bool inline_replay);
/* D9: if the line has no action, count the event in ERR, mask the line, log
 * (rate-limited) and return true. cpu may be NULL (nested lines). */
bool irqc__no_action_count_mask_log(struct irq_desc *desc, struct irqc_cpu *cpu);
/* An event that reached a CPU on a line never materialized: the CPU
 * materializes it (an error path: no action can exist there). NULL: the
 * allocation failed and the event was counted in ERR. */
struct irq_desc *irqc__desc_for_stray(unsigned int irq, struct irqc_cpu *cpu);

/* ---- core/bias.c: biased ownership of a line (the argument is there) ---- */
#if defined(__SANITIZE_THREAD__)
/* TSan models no membarrier: the holder's busy store and state load are
 * seq_cst, and so the revoker's CAS and busy load: a Dekker pair in C11's
 * own terms, at the price of an xchg per event in this build only */
#define IRQC_BIAS_ORDER		memory_order_seq_cst
#define irqc__bias_fence()	((void)0)
#else
#define IRQC_BIAS_ORDER		memory_order_relaxed
/* the holder's half: a compiler barrier; the revoker's membarrier() is the
 * fence (a bias is granted only where membarrier is registered) */
#define irqc__bias_fence()	atomic_signal_fence(memory_order_seq_cst)
#endif
#define IRQC_BIAS_NEED_FIRST	64u		/* events in a row for a first grant */
#define IRQC_BIAS_NEED_MAX	(1u << 24)	/* doubled per revocation up to this */
#define IRQC_BIAS_SELF		(-2)		/* irqc__bias_revoke: the caller holds it */
/* Revoke desc's bias. -1: no bias left on the line (the caller's CAS looks
 * again); IRQC_BIAS_SELF: the caller is the holder and runs the line now;
 * else (wait false only) the id of the holder that runs the line now. wait:
 * process context, sleeps until the holder has finished its event. */
int irqc__bias_revoke(struct irq_desc *desc, bool wait);
/* The holder, running the line on its bias, becomes its INPROGRESS owner
 * (the bias dropped), so that the CAS protocol can finish its event. */
void irqc__bias_convert(struct irq_desc *desc);
/* The caller, not the holder, found holder_id running the line: the event
 * goes to that CPU's pending bitmap (a token; coalesced if the bit is set). */
void irqc__bias_forward(struct irq_desc *desc, int holder_id);
/* A bias may be granted: membarrier(2) is registered (TSan: always). */
static inline bool irqc__bias_allowed(void)
{
#if defined(__SANITIZE_THREAD__)
	return true;
#else
	return atomic_load_explicit(&irqc_membarrier_ok, memory_order_relaxed);
#endif
}
/* The holder's id of state s, -1 none. */
static inline int irqc__bias_holder(uint32_t s)
{
	return (int)(s >> IRQS_HOLDER_SHIFT) - 1;
}

/* ---- core/manage.c ---- */
/* ---- affinity/affinity.c: the effective CPU from a mask (desc->lock held) ----
 * Lock order: hotplug_lock, desc->lock, then default_lock or place_lock. */
void irqc__assign_effective(struct irq_desc *desc, const cpu_set_t *mask);
/* A line's first request: its mask (the default mask if nobody set one),
 * then the least loaded online CPU of it, counted there (desc->lock held). */
void irqc__place_line(struct irq_desc *desc);
/* The last free: the line leaves its CPU's count (desc->lock held). */
void irqc__unplace_line(struct irq_desc *desc);
/* Line desc leaves offline CPU: to the least loaded online CPU of its mask,
 * else of the default mask (affinity broken, with a warning). desc->lock held. */
void irqc__evacuate_line(struct irq_desc *desc);
/* Line desc goes to online CPU cpu, counts and all. desc->lock held. */
void irqc__move_line(struct irq_desc *desc, unsigned int cpu);
/* The first online CPU from c on (wrapping): a fresh line's CPU. Lock-free;
 * a CPU going offline meanwhile moves the line once it sees it (hotplug.c). */
unsigned int irqc__online_from(unsigned int c);
bool irqc__cpu_is_online(unsigned int c);
void irqc__affinity_init(void);		/* the default mask: every CPU */
void irqc__affinity_fini(void);
void irqc__wait_hardirq(struct irq_desc *desc);


/* ---- core/spurious.c ---- */
/* The same for a nested line: the cells of its effective CPU, as its kstat. */
void irqc__note_interrupt(struct irq_desc *desc, irqreturn_t ret);

/* ---- core/tasklet.c ---- */
static inline bool irqc__tasklets_pending(struct irqc_cpu *cpu)
{
	return atomic_load_explicit(&cpu->tasklets, memory_order_relaxed) != NULL;
}


/* ---- threaded/ ---- */
irqreturn_t irqc__nested_primary(int irq, void *dev_id);
irqreturn_t irqc__forced_secondary(int irq, void *dev_id);
/* enable_irq of a nested child: drop the event latched while disabled
 * (desc->lock held), as the kernel resends it to the parent instead. */
void irqc__nested_drop_pending(struct irq_desc *desc);
int irqc__thread_setup(struct irq_desc *desc, struct irqaction *action);
void irqc__thread_wake(struct irq_desc *desc, struct irqaction *action);
void irqc__thread_stop(struct irqaction *action);
/* What line desc's threads run at (sched.c): the lowest SCHED_FIFO priority
 * among them, 0 SCHED_OTHER, -1 no thread; *refused: one of them was refused
 * SCHED_FIFO. desc->lock held. */
int irqc__line_thread_prio(struct irq_desc *desc, bool *refused);

/* ---- stats/counters.c: raise accounting, per thread slot (G6) ---- */
static inline void irqc__inc_owned_n(_Atomic uint64_t *p, uint64_t n)
{
	/* single-writer counters: relaxed load + store, no RMW */
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* ---- stats/export.c: the statistics segment (layout: stats/export_abi.h) ----
 *
 * The engine's own per-CPU counters live in the segment: handled (kstat),
 * unhandled, hard handler time, and per line thread time and latency. The
 * segment is shared memory (/dev/shm/irqcore.<pid>) or, with
 * IRQCORE_F_NO_EXPORT or when it cannot be created, private anonymous memory:
 * one code path, only the backing differs. Per-CPU cells follow the kstat
 * rule: cell [c][irq] is written only by whoever owns line irq's flow
 * (INPROGRESS), on CPU c (nested lines: their effective CPU's cell), so a
 * relaxed load and store suffice (irqc__inc_owned_n). Line records are
 * written under desc->lock only (irqc__exp_publish), never from the hot path
 * (a hard handler's disable_irq_nosync, which takes desc->lock anyway, is
 * the exception). Everything here is set up before any CPU runs and stays
 * until every writer is gone (teardown, last).
 */
#define IRQC_EXP_SAMPLE_EVERY	512u	/* power of two: hard-time sampling (a timed
					   run costs two clock reads, ~60 ns here) */

/* Events until the next timed one, counted by the thread that runs the
 * flows: a dispatcher's own thread (for an external CPU, whichever thread
 * drives it; sampling only needs a steady period). Thread-local: one
 * decrement of a TLS word, no atomic, no shared cache line. Starts at 0:
 * a thread's first event is timed. */
extern _Thread_local int32_t irqc_exp_countdown;

struct irqc_export {
	/* --- read on every event, written at init --- */
	_Atomic uint64_t *handled IRQC_ALIGNED;	/* [nr_cpus][stride] */
	_Atomic uint64_t *unhandled;		/* [nr_cpus][stride] */
	struct irqc_exp_cpu *cpus;		/* [nr_cpus], in the segment */
	_Atomic uint64_t *lat;			/* [nr_irqs][64]; NULL: latency off */
	_Atomic uint64_t *raised_at;		/* [nr_irqs], latency on: ns of the
						   last raise (the raiser stores) */
	size_t stride;				/* nr_irqs */
	uint32_t sample_every;			/* 1 with latency tracking */
	/* --- slow paths --- */
	_Atomic uint64_t *hard_ns, *hard_max;	/* [nr_cpus][stride] */
	_Atomic uint64_t *hard_total;		/* [nr_irqs]: sum of hard_ns[*][irq] */
	_Atomic uint64_t *thread_ns;		/* [nr_irqs] */
	_Atomic uint64_t *coalesced;		/* [nr_irqs], housekeeping */
	struct irqc_exp_header *hdr;
	struct irqc_exp_line *lines;		/* [nr_irqs] */
	void *base;
	size_t size;
	bool shared;				/* /dev/shm, not private memory */
};
extern struct irqc_export irqc_exp;

/* Create the segment (or private memory) sized for irqc.nr_cpus/nr_irqs and
 * irqc.cfg.flags; -ENOMEM only if not even private memory is left. */
int irqc__export_init(void);
void irqc__export_start(void);		/* the housekeeping thread, if shared */
void irqc__export_stop(void);		/* joins it; before anything is freed */
void irqc__export_fini(void);		/* unlink, unmap: after every writer */
/* Rewrite line desc's record under its sequence count. desc->lock held. */
void irqc__exp_publish(struct irq_desc *desc);
/* Cold paths of the hot-path helpers below. */
void irqc__exp_stamp_now(unsigned int irq) __attribute__((cold));
void irqc__exp_latency(unsigned int irq, uint64_t now) __attribute__((cold));
void irqc__exp_hard_time(unsigned int irq, unsigned int cpu, uint64_t ns, bool outer)
	__attribute__((cold));
/* A nested line's event (handle_nested_irq, as the line's owner): counted in
 * the slot of CPU slot, with its latency sample. */
void irqc__exp_nested_event(struct irq_desc *desc, struct irqc_cpu *slot);

static inline _Atomic uint64_t *irqc__exp_cell(_Atomic uint64_t *arr, unsigned int cpu,
					       unsigned int irq)
{
	return &arr[(size_t)cpu * irqc_exp.stride + irq];
}

/* A raise: record when, for the raise->handler latency. With
 * IRQCORE_F_LATENCY off it costs a predictable branch on a read-mostly flag. */
static inline void irqc__lat_stamp(unsigned int irq)
{
	if (unlikely(irqc.cfg.flags & IRQCORE_F_LATENCY))
		irqc__exp_stamp_now(irq);
}


/* A thread_fn run of line irq took ns (several threads may share a line). */
static inline void irqc__exp_thread_time(unsigned int irq, uint64_t ns)
{
	atomic_fetch_add_explicit(&irqc_exp.thread_ns[irq], ns, memory_order_relaxed);
}


struct irqc_cnt *irqc__cnt_slot_slow(void);
/* This thread's counters for the current instance; NULL: the shared ones. */
static inline struct irqc_cnt *irqc__cnt_slot(void)
{
	if (likely(irqc_ctx.cnt_gen == atomic_load_explicit(&irqc.gen, memory_order_relaxed)))
		return irqc_ctx.cnt;
	return irqc__cnt_slot_slow();
}

/* Count a raise in c, this thread's slot (NULL: the shared counters). */
static inline void irqc__count_raised_in(struct irqc_cnt *c, unsigned int irq)
{
	irqc__lat_stamp(irq);		/* before the raise publishes the event */
	if (likely(c != NULL))
		irqc__inc_owned_n(&c[irq].raised, 1);
	else	/* a thread beyond the slots: atomic, never dropped */
		atomic_fetch_add_explicit(&irqc.cnt_shared[irq].raised, 1, memory_order_relaxed);
}

static inline void irqc__count_raised(unsigned int irq)
{
	irqc__count_raised_in(irqc__cnt_slot(), irq);
}

/* The same from a thread that irqc__this_cpu() found to be a CPU: its slot
 * was made current with its CPU context (irqc__set_this_cpu). */
static inline void irqc__count_raised_cpu(unsigned int irq)
{
	irqc__count_raised_in(irqc_ctx.cnt, irq);
}

static inline void irqc__count_coalesced(unsigned int irq)
{
	struct irqc_cnt *c = irqc__cnt_slot();

	if (likely(c != NULL))
		irqc__inc_owned_n(&c[irq].coalesced, 1);
	else
		atomic_fetch_add_explicit(&irqc.cnt_shared[irq].coalesced, 1,
					  memory_order_relaxed);
}

int irqc__counters_init(void);
void irqc__counters_fini(void);

/* The handled counter of line desc on CPU cpu: a cell of the statistics
 * segment (stats/export.c), the one accessor of every reader and writer. */
static inline _Atomic uint64_t *irqc__kstat_slot(struct irq_desc *desc, unsigned int cpu)
{
	return irqc__exp_cell(irqc_exp.handled, cpu, desc->irq);
}

static inline void irqc__kstat_inc(struct irq_desc *desc, struct irqc_cpu *cpu)
{
	/* single writer (this CPU): a relaxed load and store, no RMW (T2);
	 * the CPU's row, irqc__kstat_slot(desc, cpu->id), kept at init */
	irqc__inc_owned_n(&cpu->handled_row[desc->irq], 1);
}


/* ---- sources/ (fds and deadline timers as lines): the hooks ---- */
void irqc__timer_run(struct irqc_cpu *cpu);	/* dispatcher: fire due timer lines */
bool irqc__timer_wait(struct irqc_cpu *cpu);	/* dispatcher, idle: false if no timer */
/* IRQCORE_SRC_F_POLL (sources/poll.c): one load of cpu->polls when the CPU
 * polls nothing. poll_run: read the ready polled fds, raise their lines
 * (true if any was read); poll_sleep: sleep in ppoll on the polled fds and
 * the wake eventfd until until_ns (0: no timeout), false (not slept) when
 * the CPU polls nothing: the caller sleeps on its futex. kicks: cpu->kicks
 * as the caller read it (irqc__idle_kicks) before it looked at anything:
 * a poke since then (a source handed to this CPU) means no sleep. */
bool irqc__poll_pass(struct irqc_cpu *cpu);
bool irqc__poll_sleep(struct irqc_cpu *cpu, uint64_t until_ns, uint32_t kicks);
/* Before an idle CPU looks at what to sleep on: the pokes so far. The
 * acquire pairs with the poker's seq_cst add (irqc__src_home_poke); the
 * recheck after the sleep announcement is the other half of the Dekker
 * pair (see sources/poll.c). */
static inline uint32_t irqc__idle_kicks(struct irqc_cpu *cpu)
{
	return atomic_load_explicit(&cpu->kicks, memory_order_acquire);
}

/* After the sleep announcement (seq_cst store of sleeping): may it sleep? */
static inline bool irqc__may_sleep(struct irqc_cpu *cpu, uint32_t kicks)
{
	/* seq_cst: the load half of the Dekker pair with the poker's add
	 * then load of sleeping */
	return !irqc__cpu_has_work(cpu) && atomic_load(&cpu->kicks) == kicks &&
	       !atomic_load(&irqc.stop);
}

static inline bool irqc__poll_run(struct irqc_cpu *cpu)
{
	/* relaxed: 0 unless a polled source is home here (the common case:
	 * this load is all an idle loop pays); poll.c reads the slots */
	if (likely(!atomic_load_explicit(&cpu->polls, memory_order_relaxed)))
		return false;
	return irqc__poll_pass(cpu);
}
void irqc__sources_shutdown(void);		/* shutdown, after the leftovers */

/* ---- affinity/topology.c ---- */
int irqc__topo_init(unsigned int *nr_cpus);	/* fills the default */
int irqc__topo_bind(unsigned int cpu);		/* bind the calling thread */
int irqc__topo_bind_near(unsigned int cpu);	/* ... near cpu (its irq threads) */
/* bind a thread to the processing units of the dispatcher CPUs in cpus */
int irqc__topo_bind_thread(pthread_t tid, const cpu_set_t *cpus);
void irqc__topo_fini(void);
int irqc__topo_os_cpu(unsigned int cpu);	/* OS PU of dispatcher cpu, -1 */
/* How close dispatchers a and b run (larger: closer; -1 unknown) */
int irqc__topo_closeness(unsigned int a, unsigned int b);
/* memory on dispatcher cpu's NUMA node where there are several */
void *irqc__topo_alloc_local(unsigned int cpu, size_t bytes);
void irqc__topo_free_local(void *p, size_t bytes);
/* 0 same PU or a shared cache, 1 same NUMA node, 2 farther (the balancer) */
int irqc__topo_distance(unsigned int a, unsigned int b);

/* ---- affinity/balance.c: the balancer (A7) ---- */
int irqc__balance_init(void);		/* its arrays: -ENOMEM */
void irqc__balance_fini(void);
void irqc__balance_start(void);		/* its thread, if configured; never fails */
void irqc__balance_stop(void);		/* joins it: before anything it reads goes */

#endif /* IRQCORE_INTERNAL_H */
