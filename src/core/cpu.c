/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CPUs: per-CPU pending bitmaps, raising and routing, the dispatcher loop and
 * its idle policies, external CPUs driven by a caller, quiesce, and the epoch
 * sections that protect the handler chains.
 *
 * Pending bitmap (two levels)
 * ---------------------------
 * words[w] holds one bit per line; summary[w / 64] one bit per word that may
 * be non-empty. The CPU exchanges summary words, then the words they name,
 * with 0: a drain costs O(set bits). A raise (irqc__pending_set) does three
 * things, all of them itself, whatever other raisers do (G1):
 *   1. OR the line's bit into its word (seq_cst RMW). A bit already set is a
 *      merge: the event is coalesced into the one that set it.
 *   2. Make the word visible: load its summary bit and, if clear, OR it in
 *      (seq_cst). Done by every raiser, the merged ones included, so that no
 *      raise waits for the raiser that set the bit or made the word
 *      non-zero: a raiser stopped anywhere delays only its own event.
 *   3. Wake the CPU if it sleeps: load cpu->sleeping (seq_cst); only if it
 *      is 1, exchange it to 0 and futex-wake. No system call when the CPU is
 *      awake, none at all with spinning or external CPUs.
 *
 * Why no event is lost
 *  - Step 2 sees the summary bit set only before the CPU exchanges it (the
 *    CPU alone clears it), so the CPU's exchange of the summary, and then of
 *    the word, come after our OR in the seq_cst order: the word exchange
 *    returns our bit. If step 2 sees it clear, our OR sets it, and the same
 *    holds for the CPU's next exchange of the summary.
 *  - A CPU about to sleep stores sleeping = 1 (seq_cst), then loads the
 *    summary words again, and sleeps only if all are 0, on a futex that
 *    returns at once if sleeping is no longer 1. A raiser stores into the
 *    summary (step 2), then loads sleeping (step 3). In the seq_cst order
 *    one of the two stores comes first, so either the CPU's recheck sees
 *    the summary bit (it does not sleep) or the raiser sees sleeping = 1 (it
 *    wakes the CPU). This is the Dekker pattern of liburcu's futex wake-up.
 *  - Merged raises are counted as coalesced; the happens-before that G4
 *    needs comes with the RMW: a merging fetch_or is in the word's
 *    modification order before the CPU's acquire exchange, which reads the
 *    release sequence it belongs to.
 *
 * Grace periods
 * -------------
 * A CPU enters its epoch section once per drain pass and runs every handler of
 * the pass inside it. free_irq() unlinks an action and waits for a grace
 * period: every section that could have seen the action has ended, so the
 * handler can no longer run when free_irq() returns.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void futex_wait(_Atomic uint32_t *addr, uint32_t expected)
{
	syscall(SYS_futex, addr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
}

/* ---- ck_ec operations for the irq threads' event counts ---- */

static int ec_gettime(const struct ck_ec_ops *ops, struct timespec *out)
{
	(void)ops;
	return clock_gettime(CLOCK_MONOTONIC, out);
}

static void ec_wait32(const struct ck_ec_wait_state *st, const uint32_t *addr,
		      uint32_t expected, const struct timespec *deadline)
{
	(void)st;
	syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected,
		deadline, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void ec_wait64(const struct ck_ec_wait_state *st, const uint64_t *addr,
		      uint64_t expected, const struct timespec *deadline)
{
	/* 64-bit event counts are unused; wait on the low half like ck's tests */
	ec_wait32(st, (const uint32_t *)addr, (uint32_t)expected, deadline);
}

static void ec_wake32(const struct ck_ec_ops *ops, const uint32_t *addr)
{
	(void)ops;
	syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
}

static void ec_wake64(const struct ck_ec_ops *ops, const uint64_t *addr)
{
	ec_wake32(ops, (const uint32_t *)addr);
}

static const struct ck_ec_ops irqc_ec_ops = {
	.gettime = ec_gettime,
	.wait32 = ec_wait32,
	.wait64 = ec_wait64,
	.wake32 = ec_wake32,
	.wake64 = ec_wake64,
};

/* ---- epoch sections ---- */


static _Thread_local ck_epoch_record_t *epoch_rec;

static void epoch_enter_rec(ck_epoch_record_t *rec)
{
	if (irqc_ctx.epoch_nest++ == 0) {
		epoch_rec = rec;
		ck_epoch_begin(rec, NULL);
	}
}

void irqc__epoch_enter(void)
{
	struct irqc_cpu *cpu = irqc__this_cpu();

	epoch_enter_rec(cpu ? &cpu->epoch_rec : &irqc.poll_rec);
}

void irqc__epoch_exit(void)
{
	if (--irqc_ctx.epoch_nest == 0) {
		/* TSan: everything read in the section happens before the end
		 * of the grace period that waits for it (paired with the
		 * acquire in irqc__synchronize_rcu) */
		irqc_tsan_release(&irqc.epoch);
		ck_epoch_end(epoch_rec, NULL);
	}
}

void irqc__synchronize_rcu(void)
{
	ck_epoch_synchronize_wait(&irqc.epoch, NULL, NULL);
	/* TSan: pairs with the release at every section end */
	irqc_tsan_acquire(&irqc.epoch);
}

/* ---- raising ---- */

void irqc__cpu_wake(struct irqc_cpu *cpu)
{
	futex_wake(&cpu->sleeping);
}

bool irqc__pending_set(unsigned int cpu_id, unsigned int irq)
{
	struct irqc_cpu *cpu = &irqc.cpus[cpu_id];
	unsigned int w = irq / IRQC_BITS;
	uint64_t bit = 1ull << (irq % IRQC_BITS), sbit = 1ull << (w % IRQC_BITS);
	_Atomic uint64_t *summary = &cpu->summary[w / IRQC_BITS];
	bool fresh;

	/* 1. seq_cst: before the CPU's exchange of the word (only the bit is
	 *    tested: one `lock bts`) */
	fresh = !(atomic_fetch_or(&cpu->words[w], bit) & bit);
	IRQC_DEBUG_POINT(IRQC_DBG_RAISE_WORD, irq);
	/* 2. seq_cst: the load sees the summary bit only before the CPU's
	 *    exchange of it, which then precedes its exchange of our word */
	if (!(atomic_load(summary) & sbit))
		atomic_fetch_or(summary, sbit);
	IRQC_DEBUG_POINT(IRQC_DBG_RAISE_SUMMARY, irq);
	/* 3. wake it if it announced that it sleeps */
	irqc__cpu_kick(cpu);
	return fresh;
}

void irqc__route(struct irq_desc *desc, bool token)
{
	/* relaxed: any CPU is fine during an affinity change; INPROGRESS keeps
	 * the line from running on two CPUs at once */
	int cpu = atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed);

	if (!irqc__pending_set((unsigned int)cpu, desc->irq) && token)
		irqc__count_coalesced(desc->irq);
}

/* An accepted event: to the line's CPU, or latched on a blocked line. A line
 * that was never materialized has no action: its CPU counts the event in ERR. */
static void raise_token(unsigned int irq)
{
	struct irq_desc *desc = irqc__desc_peek(irq);
	uint32_t s;

	if (unlikely(!desc)) {
		if (!irqc__pending_set(irq % irqc.nr_cpus, irq))
			irqc__count_coalesced(irq);
		return;
	}
	s = atomic_load_explicit(&desc->state, memory_order_acquire);
	for (;;) {
		if (likely(!(s & IRQS_BLOCKED))) {
			irqc__route(desc, true);
			return;
		}
		/* acq_rel, also when PENDING is already set (the CAS then
		 * writes the same value): a release RMW that the unmask or
		 * enable which replays the event reads (G4), and that sees
		 * MASKED/DISABLED still set, so the replay cannot be missed */
		if (atomic_compare_exchange_weak_explicit(&desc->state, &s, s | IRQS_PENDING,
							  memory_order_acq_rel,
							  memory_order_acquire)) {
			if (s & IRQS_PENDING)
				irqc__count_coalesced(irq);
			return;
		}
	}
}

int irq_raise(unsigned int irq)
{
	IRQC_API_GUARD(-ENODEV);
	if (unlikely(!irqc__in_range(irq)))
		return -EINVAL;
	irqc__count_raised(irq);
	raise_token(irq);
	return 0;
}

/*
 * Batch raising: consecutive lines that go to the same CPU and word are
 * merged into one OR (and one summary check); each CPU touched is kicked
 * once, after all its words are visible. Every step is the raiser's own, as
 * in irqc__pending_set, so the argument at the top of this file holds for
 * each word. Blocked lines and lines never materialized take the one-line
 * path (latching, or their default CPU).
 */
struct raise_batch {
	unsigned int cpu, word;
	uint64_t bits;
	uint64_t kick[(IRQCORE_MAX_CPUS + 63) / 64];	/* CPUs to kick */
};

static void batch_flush(struct raise_batch *b)
{
	struct irqc_cpu *cpu;
	_Atomic uint64_t *summary;
	uint64_t merged, sbit;

	if (!b->bits)
		return;
	cpu = &irqc.cpus[b->cpu];
	summary = &cpu->summary[b->word / IRQC_BITS];
	sbit = 1ull << (b->word % IRQC_BITS);
	/* seq_cst: as step 1 of irqc__pending_set, for all the bits at once */
	merged = atomic_fetch_or(&cpu->words[b->word], b->bits) & b->bits;
	IRQC_DEBUG_POINT(IRQC_DBG_RAISE_WORD, b->word * IRQC_BITS);
	/* seq_cst: step 2 */
	if (!(atomic_load(summary) & sbit))
		atomic_fetch_or(summary, sbit);
	while (merged) {		/* bits already set: coalesced */
		irqc__count_coalesced(b->word * IRQC_BITS + (unsigned int)__builtin_ctzll(merged));
		merged &= merged - 1;
	}
	b->kick[b->cpu / 64] |= 1ull << (b->cpu % 64);
	b->bits = 0;
}

int irq_raise_many(const unsigned int *irqs, unsigned int n)
{
	IRQC_API_GUARD(-ENODEV);
	struct raise_batch b = { .bits = 0 };

	if (n && !irqs)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)	/* all or nothing */
		if (unlikely(!irqc__in_range(irqs[i])))
			return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int irq = irqs[i], cpu, w = irq / IRQC_BITS;
		struct irq_desc *desc = irqc__desc_peek(irq);

		irqc__count_raised(irq);
		if (unlikely(!desc) ||
		    (atomic_load_explicit(&desc->state, memory_order_acquire) & IRQS_BLOCKED)) {
			raise_token(irq);
			continue;
		}
		/* relaxed: as irqc__route */
		cpu = (unsigned int)atomic_load_explicit(&desc->effective_cpu,
							 memory_order_relaxed);
		if (b.bits && (cpu != b.cpu || w != b.word))
			batch_flush(&b);
		b.cpu = cpu;
		b.word = w;
		if (b.bits & (1ull << (irq % IRQC_BITS)))
			irqc__count_coalesced(irq);	/* listed twice in a row */
		b.bits |= 1ull << (irq % IRQC_BITS);
	}
	batch_flush(&b);
	/* step 3, once per CPU, after every word of it is visible */
	for (unsigned int k = 0; k < sizeof(b.kick) / sizeof(b.kick[0]); k++)
		for (uint64_t m = b.kick[k]; m; m &= m - 1)
			irqc__cpu_kick(&irqc.cpus[k * 64 + (unsigned int)__builtin_ctzll(m)]);
	return 0;
}

static bool edge_fires(unsigned int trigger, bool rising)
{
	if (trigger == IRQ_TYPE_NONE)
		return rising;
	return rising ? (trigger & IRQ_TYPE_EDGE_RISING) : (trigger & IRQ_TYPE_EDGE_FALLING);
}

int irq_set_line(unsigned int irq, int level)
{
	struct irq_desc *desc;
	uint32_t old;
	bool rising = level != 0;

	IRQC_API_GUARD(-ENODEV);
	if (unlikely(!irqc__in_range(irq)))
		return -EINVAL;
	desc = irqc__desc_peek(irq);
	if (unlikely(!desc)) {
		/* never touched, hence no action and no recorded level (a
		 * level type would have materialized it): a rising edge is
		 * an event on a fresh edge line, which its CPU counts in ERR
		 * and which masks the line */
		if (rising) {
			irqc__count_raised(irq);
			raise_token(irq);
		}
		return 0;
	}
	/* acq_rel: an owner's exit CAS and unmask read ASSERTED in the same
	 * word; whichever comes second refires the line */
	if (rising)
		old = atomic_fetch_or_explicit(&desc->state, IRQS_ASSERTED, memory_order_acq_rel);
	else
		old = atomic_fetch_and_explicit(&desc->state, ~IRQS_ASSERTED, memory_order_acq_rel);
	if (!!(old & IRQS_ASSERTED) == rising)
		return 0;		/* no transition: no event */
	if (old & IRQS_LEVEL) {
		if (!rising)
			return 0;
		irqc__count_raised(irq);
		if (!(old & (IRQS_BLOCKED | IRQS_INPROGRESS)))
			irqc__route(desc, false);
		return 0;
	}
	if (!edge_fires(atomic_load_explicit(&desc->trigger, memory_order_relaxed), rising))
		return 0;
	irqc__count_raised(irq);
	raise_token(irq);
	return 0;
}

/* ---- draining ---- */

static void drain_word(struct irqc_cpu *cpu, unsigned int w, unsigned int *n)
{
	/* seq_cst: paired with raisers' fetch_or on the word */
	uint64_t bits = atomic_exchange(&cpu->words[w], 0);

	while (bits) {
		unsigned int irq = w * IRQC_BITS + (unsigned int)__builtin_ctzll(bits);
		struct irq_desc *desc = irqc__desc_peek(irq);

		bits &= bits - 1;
		if (unlikely(!desc))
			desc = irqc__desc_for_stray(irq, cpu);
		if (likely(desc != NULL))
			irqc__run_flow(desc);
		(*n)++;
	}
}

static bool cpu_has_work(struct irqc_cpu *cpu)
{
	/* seq_cst: the loads of the sleep announcement's recheck, and of
	 * quiesce's passes (see there) */
	if (atomic_load(&cpu->tasklets))
		return true;
	for (unsigned int i = 0; i < irqc.nr_summary; i++)
		if (atomic_load(&cpu->summary[i]))
			return true;
	return false;
}

/* One pass: drain every set bit, inside one epoch section. */
static unsigned int cpu_pass(struct irqc_cpu *cpu)
{
	unsigned int n = 0;

	if (cpu_has_work(cpu)) {
		epoch_enter_rec(&cpu->epoch_rec);
		for (unsigned int i = 0; i < irqc.nr_summary; i++) {
			uint64_t s;

			if (!atomic_load_explicit(&cpu->summary[i], memory_order_relaxed))
				continue;
			/* seq_cst: paired with raisers' load/fetch_or of the
			 * summary (step 2 at the top of this file) */
			s = atomic_exchange(&cpu->summary[i], 0);
			IRQC_DEBUG_POINT(IRQC_DBG_DRAIN, ~0u);
			while (s) {
				unsigned int w = i * IRQC_BITS + (unsigned int)__builtin_ctzll(s);

				s &= s - 1;
				drain_word(cpu, w, &n);
			}
		}
		irqc__epoch_exit();
		/* bottom halves: after the hard handlers, outside the section */
		if (irqc__tasklets_pending(cpu))
			n += irqc__run_tasklets(cpu);
		irqc__inc_owned_n(&cpu->handled, n);
	}
	/* seq_cst: quiesce reads it and then relies on the next pass seeing
	 * every bit set before that read (a full barrier after the store);
	 * idle CPUs do not pass, so this costs only busy and kicked passes */
	atomic_store(&cpu->seq, atomic_load_explicit(&cpu->seq, memory_order_relaxed) + 1);
	return n;
}

static const char *dispatcher_name(unsigned int id, char name[16])
{
	snprintf(name, 16, "irqcore/%u", id);
	return name;
}

static bool stopping(void)
{
	/* seq_cst: paired with the store in stop_threads before its kicks */
	return atomic_load(&irqc.stop);
}

/* Sleep until a raiser, a kick or stop_threads wakes us (see the top of
 * this file for why no wake-up is lost). */
static void cpu_sleep(struct irqc_cpu *cpu)
{
	/* seq_cst: the store half of the Dekker pair with irqc__cpu_kick */
	atomic_store(&cpu->sleeping, 1);
	if (!cpu_has_work(cpu) && !stopping())
		futex_wait(&cpu->sleeping, 1);	/* returns at once if no longer 1 */
	atomic_store_explicit(&cpu->sleeping, 0, memory_order_relaxed);
}

/* Idle and spinning: loads only, until there is work, a kick or stop (no
 * pass, hence no store, per spin): returns true then. Returns false after
 * budget_ns when budget_ns != 0 (adaptive), reading the clock once per 256
 * spins. */
static bool cpu_spin(struct irqc_cpu *cpu, uint64_t budget_ns)
{
	uint32_t kicks = atomic_load_explicit(&cpu->kicks, memory_order_acquire);
	uint64_t start = budget_ns ? irqc__mono_ns() : 0;

	for (unsigned int spins = 1;; spins++) {
		/* acquire: paired with the release add in request_pass */
		if (cpu_has_work(cpu) || stopping() ||
		    atomic_load_explicit(&cpu->kicks, memory_order_acquire) != kicks)
			return true;
		irqc__cpu_relax();
		if (spins % 256)
			continue;
		if (budget_ns && irqc__mono_ns() - start >= budget_ns)
			return false;
		if (!budget_ns && spins % 4096 == 0)
			sched_yield();		/* oversubscribed machines */
	}
}

static void *dispatcher_main(void *arg)
{
	struct irqc_cpu *cpu = arg;
	char name[16];

	pthread_setname_np(pthread_self(), dispatcher_name(cpu->id, name));
	if (!irqc.cfg.no_pinning)
		irqc__topo_bind(cpu->id);
	irqc__set_this_cpu(cpu);
	irqc__cnt_slot();		/* claim a counter row before the first event */

	while (!stopping()) {
		if (cpu_pass(cpu))
			continue;
		switch (irqc.cfg.idle) {
		case IRQCORE_IDLE_SPIN:
			cpu_spin(cpu, 0);
			break;
		case IRQCORE_IDLE_ADAPTIVE:
			if (cpu_spin(cpu, irqc.cfg.spin_budget_ns))
				break;
			/* fall through */
		default:
			cpu_sleep(cpu);
		}
	}
	irqc_ctx.cpu = NULL;
	return NULL;
}

/* ---- setup ---- */

static void cpu_free_maps(struct irqc_cpu *cpu)
{
	free(cpu->words);
	free(cpu->summary);
}

int irqc__cpus_init(void)
{
	size_t wbytes = ((irqc.nr_words * sizeof(uint64_t)) + IRQC_CACHELINE - 1) &
			~(size_t)(IRQC_CACHELINE - 1);
	size_t sbytes = IRQC_CACHELINE * ((irqc.nr_summary * sizeof(uint64_t) +
					   IRQC_CACHELINE - 1) / IRQC_CACHELINE);

	irqc.ec_mode.ops = &irqc_ec_ops;
	irqc.ec_mode.single_producer = false;
	irqc.cpus = aligned_alloc(IRQC_CACHELINE, sizeof(*irqc.cpus) * irqc.nr_cpus);
	if (!irqc.cpus)
		return -ENOMEM;
	memset(irqc.cpus, 0, sizeof(*irqc.cpus) * irqc.nr_cpus);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		struct irqc_cpu *cpu = &irqc.cpus[c];

		cpu->id = c;
		cpu->words = aligned_alloc(IRQC_CACHELINE, wbytes);
		cpu->summary = aligned_alloc(IRQC_CACHELINE, sbytes);
		if (!cpu->words || !cpu->summary) {
			for (unsigned int d = 0; d <= c; d++)
				cpu_free_maps(&irqc.cpus[d]);
			free(irqc.cpus);
			irqc.cpus = NULL;
			return -ENOMEM;
		}
		memset(cpu->words, 0, wbytes);
		memset(cpu->summary, 0, sbytes);
		ck_epoch_register(&irqc.epoch, &cpu->epoch_rec, NULL);
	}
	return 0;
}

static void stop_threads(void)
{
	/* seq_cst: paired with stopping() after a CPU's sleep announcement */
	atomic_store(&irqc.stop, true);
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		struct irqc_cpu *cpu = &irqc.cpus[c];

		if (!cpu->thread_started)
			continue;
		irqc__cpu_kick(cpu);
		pthread_join(cpu->thread, NULL);
		cpu->thread_started = false;
	}
}

int irqc__cpus_start_threads(void)
{
	if (irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS)
		return 0;
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		struct irqc_cpu *cpu = &irqc.cpus[c];
		int ret = pthread_create(&cpu->thread, NULL, dispatcher_main, cpu);

		if (ret) {
			irqc_err("cannot start dispatcher %u: %s", c, strerror(ret));
			stop_threads();
			return -ret;
		}
		cpu->thread_started = true;
		/* named before init returns (the thread names itself too) */
		pthread_setname_np(cpu->thread, dispatcher_name(cpu->id, (char[16]){ 0 }));
	}
	return 0;
}

void irqc__cpus_fini(void)
{
	if (!irqc.cpus)
		return;
	stop_threads();
	for (unsigned int c = 0; c < irqc.nr_cpus; c++) {
		irqc__tasklets_drop(&irqc.cpus[c]);
		ck_epoch_unregister(&irqc.cpus[c].epoch_rec);
		cpu_free_maps(&irqc.cpus[c]);
	}
	free(irqc.cpus);
	irqc.cpus = NULL;
}

/* ---- external CPUs ---- */

static pid_t self_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

int irqcore_cpu_attach(unsigned int cpu)
{
	pid_t none = 0;

	IRQC_API_GUARD(-ENODEV);
	if (!(irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS))
		return -EOPNOTSUPP;
	if (cpu >= irqc.nr_cpus)
		return -EINVAL;
	if (irqc__this_cpu())
		return -EALREADY;
	/* acquire: the previous owner's drains happen before ours (paired
	 * with the release store in irqcore_cpu_detach) */
	if (!atomic_compare_exchange_strong_explicit(&irqc.cpus[cpu].owner, &none, self_tid(),
						     memory_order_acquire,
						     memory_order_relaxed))
		return -EBUSY;
	irqc__set_this_cpu(&irqc.cpus[cpu]);
	return 0;
}

int irqcore_cpu_detach(void)
{
	IRQC_API_GUARD(-EPERM);
	struct irqc_cpu *cpu = irqc__this_cpu();

	if (!cpu || !(irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS))
		return -EPERM;
	if (in_interrupt())
		return -EBUSY;
	irqc_ctx.cpu = NULL;
	/* release: paired with the acquire CAS of the next attach */
	atomic_store_explicit(&cpu->owner, 0, memory_order_release);
	return 0;
}

int irqcore_poll(void)
{
	IRQC_API_GUARD(-EPERM);
	struct irqc_cpu *cpu = irqc__this_cpu();

	if (!cpu)
		return -EPERM;
	if (irqc_ctx.irq_off || in_interrupt()) {
		cpu->drain_pending = 1;		/* local_irq_enable drains */
		return 0;
	}
	cpu->drain_pending = 0;
	return (int)cpu_pass(cpu);
}

int generic_handle_irq(unsigned int irq)
{
	IRQC_API_GUARD(-ENODEV);
	struct irqc_cpu *cpu = irqc__this_cpu();
	struct irq_desc *desc;

	if (!cpu)
		return -EPERM;
	if (unlikely(!irqc__in_range(irq)))
		return -EINVAL;
	irqc__count_raised(irq);
	desc = irqc__desc_peek(irq);
	if (unlikely(!desc) && !(desc = irqc__desc_for_stray(irq, cpu)))
		return 0;
	if (irqc_ctx.nr_running >= IRQC_MAX_NEST) {
		irqc_warn("generic_handle_irq(%u): nesting deeper than %d", irq, IRQC_MAX_NEST);
		raise_token(irq);	/* not lost: through the CPU's bitmap */
		return 0;
	}
	irqc__epoch_enter();
	irqc__run_flow(desc);
	irqc__epoch_exit();
	return 0;
}

/* ---- local_irq_* ---- */

unsigned long irqcore_local_irq_save(void)
{
	return irqc_ctx.irq_off++;
}

/* A poll that local_irq_disable deferred, now that it is over. */
static void poll_deferred(void)
{
	IRQC_API_GUARD_VOID();
	struct irqc_cpu *cpu = irqc__this_cpu();

	if (cpu && cpu->drain_pending) {
		cpu->drain_pending = 0;
		cpu_pass(cpu);
	}
}

void irqcore_local_irq_restore(unsigned long flags)
{
	irqc_ctx.irq_off = (unsigned int)flags;
	if (!flags && irqc_ctx.cpu && !in_interrupt())
		poll_deferred();
}

void local_irq_disable(void)
{
	irqc_ctx.irq_off++;
}

void local_irq_enable(void)
{
	if (!irqc_ctx.irq_off) {
		irqc_warn("local_irq_enable() without local_irq_disable()");
		return;
	}
	irqcore_local_irq_restore(irqc_ctx.irq_off - 1);
}

bool irqs_disabled(void)
{
	return irqc_ctx.irq_off > 0 || irqc_ctx.hardirq > 0;
}

/* ---- quiesce ---- */

static uint64_t total_handled(void)
{
	uint64_t n = 0;

	for (unsigned int c = 0; c < irqc.nr_cpus; c++)
		n += atomic_load_explicit(&irqc.cpus[c].handled, memory_order_relaxed);
	return n;
}

/* Drain an external CPU nobody drives, as that CPU, for the time of a pass. */
static bool borrow_and_drain(struct irqc_cpu *cpu)
{
	pid_t none = 0;
	struct irqc_cpu *saved = irqc_ctx.cpu;
	unsigned int saved_gen = irqc_ctx.gen;

	/* acquire/release: as attach and detach */
	if (!atomic_compare_exchange_strong_explicit(&cpu->owner, &none, self_tid(),
						     memory_order_acquire,
						     memory_order_relaxed))
		return false;
	irqc__set_this_cpu(cpu);
	cpu_pass(cpu);
	irqc_ctx.cpu = saved;
	irqc_ctx.gen = saved_gen;
	atomic_store_explicit(&cpu->owner, 0, memory_order_release);
	return true;
}

/* Make an idle CPU pass: a spinning one sees kicks move, a sleeping one is
 * woken. */
static void request_pass(struct irqc_cpu *cpu)
{
	/* release: paired with the acquire load in cpu_spin */
	atomic_fetch_add_explicit(&cpu->kicks, 1, memory_order_release);
	irqc__cpu_kick(cpu);
}

/*
 * Wait until CPU c completed a pass that started after `snap` was read. The
 * raises made before irqcore_quiesce() precede (seq_cst) our reading of the
 * pass counter; the pass after the next one starts after the CPU's store of a
 * value we did not read, so its seq_cst loads of the bitmap see those raises.
 */
static int wait_passes(struct irqc_cpu *cpu, uint64_t target, uint64_t deadline)
{
	unsigned int us = 20;

	while (atomic_load(&cpu->seq) < target) {
		if (cpu == irqc__this_cpu())
			cpu_pass(cpu);
		else if ((irqc.cfg.flags & IRQCORE_F_EXTERNAL_CPUS) && borrow_and_drain(cpu))
			continue;
		else
			request_pass(cpu);
		if (atomic_load(&cpu->seq) >= target)
			break;
		if (irqc__mono_ns() > deadline)
			return -ETIMEDOUT;
		irqc__backoff_sleep(&us);
	}
	return 0;
}

static int wait_threads(uint64_t deadline)
{
	unsigned int us = 20;

	/* acquire: pairs with the release decrement when a thread finishes */
	while (atomic_load_explicit(&irqc.threads_active, memory_order_acquire)) {
		if (irqc__mono_ns() > deadline)
			return -ETIMEDOUT;
		irqc__backoff_sleep(&us);
	}
	return 0;
}

int irqcore_quiesce(int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX :
			    irqc__mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	uint64_t *snap;
	int ret = 0;

	IRQC_API_GUARD(-ENODEV);
	if (irqc__in_handler_context()) {
		irqc_warn("irqcore_quiesce() from IRQ context would wait for itself");
		return -EDEADLK;
	}
	snap = calloc(irqc.nr_cpus, sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	/*
	 * A round: no irq thread active, then a full pass on every CPU. Quiet
	 * means the round handled nothing and no thread became active: the
	 * passes found no token, and no thread was left to send one (a thread
	 * sends its replay before it stops counting as active; only a flow,
	 * which would have been counted, or irq_wake_thread can wake one).
	 */
	for (;;) {
		uint64_t before;

		ret = wait_threads(deadline);
		if (ret)
			break;
		before = total_handled();
		for (unsigned int c = 0; c < irqc.nr_cpus; c++)
			snap[c] = atomic_load(&irqc.cpus[c].seq);
		for (unsigned int c = 0; c < irqc.nr_cpus && !ret; c++)
			ret = wait_passes(&irqc.cpus[c], snap[c] + 2, deadline);
		if (ret)
			break;
		if (total_handled() == before &&
		    !atomic_load_explicit(&irqc.threads_active, memory_order_acquire))
			break;
	}
	free(snap);
	return ret;
}
