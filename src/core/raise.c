/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Raising: routing an event to its CPU's pending bitmap, latching it on a
 * blocked line, waking the CPU (irq_raise, irq_raise_many, irq_set_line).
 * The path of an interrupt goes on in dispatch.c (the CPU's drain), flow.c
 * (the flow of one line and the walk of its handler chain) and rcu.c (what
 * keeps the chain alive while it is walked).
 *
 * Pending bitmap (two levels, three above 4096 lines)
 * ---------------------------------------------------
 * words[w] holds one bit per line; summary[w / 64] one bit per word that may
 * be non-empty; with more than one summary word, *top holds one bit per
 * summary word that has ever had a bit: top bits are set and never cleared.
 * The CPU loads top, the summary words it names, and exchanges with 0 each
 * word they name that has bits: a drain costs O(set bits) plus a load per
 * summary word in use (16 at most). A summary bit stays set while its word
 * has events: the CPU clears it (a fetch_and) only when it finds the word
 * empty, and then looks at the word again (dispatch.c, word_look). So a
 * stream of raises into a busy word pays one RMW each (step 1), not two,
 * and the CPU none on the summary; clearing top bits would likewise cost
 * every raise and drain one more RMW (a third of them where a locked
 * instruction takes 6 ns) to save a drain at most 15 loads. A raise
 * (irqc__pending_set) does these things, all of them itself, whatever
 * other raisers do (G1):
 *   1. OR the line's bit into its word (seq_cst RMW). A bit already set is a
 *      merge: the event is coalesced into the one that set it.
 *   2. Make the word visible: load its summary bit and, if clear, OR it in
 *      (seq_cst). Done by every raiser, the merged ones included, so that no
 *      raise waits for the raiser that set the bit or made the word
 *      non-zero: a raiser stopped anywhere delays only its own event.
 *  2b. With a top word: the same for the summary word's bit in top (an RMW
 *      only for the first event of a summary word: nobody clears it).
 *  2c. For a line of priority class p > 0, whose bitmap is the CPU's class
 *      p bitmap (one per class, same shape): the same for bit p of the
 *      CPU's levels word.
 *   3. Wake the CPU if it sleeps: load cpu->sleeping (seq_cst); only if it
 *      is not 0, exchange it to 0 and futex-wake (or, when it was 2, write
 *      the CPU's wake eventfd: it sleeps in ppoll on its polled fds,
 *      sources/poll.c). No system call when the CPU is
 *      awake, none at all with spinning or external CPUs.
 *
 * Why no event is lost
 *  - The CPU alone clears summary bits, each with a seq_cst fetch_and made
 *    after it found the word empty, and followed by a seq_cst load of the
 *    word (its look again). If step 2 sees the bit set, the CPU's next
 *    clear of it, if any, comes after our load, hence after our OR, in the
 *    seq_cst order: its look again sees our bit, unless an exchange took
 *    it first. If no clear comes, the bit stays set and every later pass,
 *    and every sleep recheck, looks at our word. If step 2 sees the bit
 *    clear, our OR sets it, and the same holds from there. Step 2b: once our
 *    step 2b has seen or set the top bit, it stays set, so every later
 *    pass, which loads top first, looks at our summary word; from there the
 *    argument above goes on. Step 2c is one level up again: the CPU takes
 *    bit p of levels (a seq_cst fetch_and) before it loads class p's top
 *    or summary.
 *  - A CPU about to sleep stores sleeping = 1 (seq_cst), then loads the
 *    summary word (with more than one: top, then the summary words it
 *    names), each word a set summary bit names, and levels (all seq_cst),
 *    and sleeps only if no word has a bit and levels is 0, on a futex that
 *    returns at once if sleeping is no longer 1. A raiser's last step
 *    before the wake check (2, or 2b) ORs the bit or sees it set, then
 *    loads sleeping (step 3). In the seq_cst order either the CPU's store
 *    comes first, and the raiser's load sees 1 and wakes the CPU; or the
 *    raiser's steps come first: then the CPU's recheck sees the summary
 *    bit and our word's bit, unless the CPU took them meanwhile: a clear
 *    of the summary bit is followed by the CPU's look again at the word,
 *    and an exchange of the word is a pass that runs our line (first
 *    point). This is the Dekker pattern of liburcu's futex wake-up.
 *  - Merged raises are counted as coalesced; the happens-before that G4
 *    needs comes with the RMW: a merging fetch_or is in the word's
 *    modification order before the CPU's acquire exchange, which reads the
 *    release sequence it belongs to.
 */
#include "core.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

static void futex_wake(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
}

/* ---- raising ---- */

void irqc__cpu_wake(struct irqc_cpu *cpu, uint32_t was)
{
	uint64_t one = 1;

	if (was != IRQC_SLEEP_POLL) {
		futex_wake(&cpu->sleeping);
		return;
	}
	/* the fd was set before any source was polled here (sources/poll.c),
	 * and the CPU's store of sleeping = 2, which our exchange read, came
	 * after that; a full counter (never: one write per sleep) wakes too */
	if (write(cpu->poll_wakefd, &one, sizeof(one)) < 0)
		(void)0;
}

/* Step 2b (more than one summary word only): make summary word sw visible. */
static inline void top_set(struct irqc_pend *pd, unsigned int sw)
{
	uint64_t tbit = 1ull << sw;

	if (irqc.nr_summary == 1)
		return;
	/* seq_cst: as step 2, one level up; a top bit is never cleared, so
	 * once set (by us or anyone) every later pass of the CPU loads our
	 * summary word, after its seq_cst load of top */
	if (!(atomic_load(pd->top) & tbit))
		atomic_fetch_or(pd->top, tbit);
}

/* Steps 2, 2b and 2c: make word w of class prio's bitmap visible (irq: for
 * the debug hooks). */
static inline __attribute__((always_inline)) void pending_show(struct irqc_cpu *cpu,
								unsigned int prio, unsigned int w,
								unsigned int irq)
{
	struct irqc_pend *pd = &cpu->pend[prio];
	_Atomic uint64_t *summary = &pd->summary[w / IRQC_BITS];
	uint64_t sbit = 1ull << (w % IRQC_BITS);

	/* 2. seq_cst: the load sees the summary bit only before the CPU's
	 *    exchange of it, which then precedes its exchange of our word */
	if (!(atomic_load(summary) & sbit))
		atomic_fetch_or(summary, sbit);
	IRQC_DEBUG_POINT(IRQC_DBG_RAISE_SUMMARY, irq);
	/* 2b. the same for the summary word in the top word */
	top_set(pd, w / IRQC_BITS);
	IRQC_DEBUG_POINT(IRQC_DBG_RAISE_TOP, irq);
	/* 2c. seq_cst: the same for the class in levels: the load sees bit
	 *     prio only before the CPU's fetch_and of it, which precedes its
	 *     exchanges of the class's top and summary */
	if (prio && !(atomic_load(&cpu->levels) & (1ull << prio)))
		atomic_fetch_or(&cpu->levels, 1ull << prio);
	IRQC_DEBUG_POINT(IRQC_DBG_RAISE_LEVELS, irq);
}

static inline __attribute__((always_inline)) bool pending_set(unsigned int cpu_id,
							       unsigned int prio,
							       unsigned int irq)
{
	struct irqc_cpu *cpu = &irqc.cpus[cpu_id];
	unsigned int w = irq / IRQC_BITS;
	uint64_t bit = 1ull << (irq % IRQC_BITS);
	bool fresh;

	/* 1. seq_cst: before the CPU's exchange of the word (only the bit is
	 *    tested: one `lock bts`) */
	fresh = !(atomic_fetch_or(&cpu->pend[prio].words[w], bit) & bit);
	IRQC_DEBUG_POINT(IRQC_DBG_RAISE_WORD, irq);
	pending_show(cpu, prio, w, irq);	/* 2, 2b, 2c */
	/* 3. wake it if it announced that it sleeps */
	irqc__cpu_kick(cpu);
	return fresh;
}

bool irqc__pending_set(unsigned int cpu_id, unsigned int prio, unsigned int irq)
{
	return pending_set(cpu_id, prio, irq);
}

/* The event to the line's CPU, inline in irq_raise; irqc__route for the rest. */
static inline __attribute__((always_inline)) void route(struct irq_desc *desc, bool token)
{
	/* relaxed: any CPU is fine during an affinity change; INPROGRESS keeps
	 * the line from running on two CPUs at once */
	int cpu = atomic_load_explicit(&desc->effective_cpu, memory_order_relaxed);
	/* relaxed: during irq_set_priority the event goes to either class of
	 * the same CPU, both drained */
	unsigned int prio = atomic_load_explicit(&desc->prio, memory_order_relaxed);

	if (!pending_set((unsigned int)cpu, prio, desc->irq) && token)
		irqc__count_coalesced(desc->irq);
}

void irqc__route(struct irq_desc *desc, bool token)
{
	route(desc, token);
}

/* A line never materialized: no action, so its CPU counts the event in ERR. */
static __attribute__((noinline)) void raise_stray(unsigned int irq)
{
	if (!irqc__pending_set(irq % irqc.nr_cpus, 0, irq))
		irqc__count_coalesced(irq);
}

/* A line whose raisers' copy says blocked: latch, unless it is not. */
static __attribute__((noinline)) void raise_blocked(struct irq_desc *desc)
{
	uint32_t s = atomic_load_explicit(&desc->state, memory_order_acquire);

	for (;;) {
		if (!(s & IRQS_BLOCKED)) {
			route(desc, true);
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
				irqc__count_coalesced(desc->irq);
			irqc__latched(desc, s);	/* lazy disable (E1) */
			return;
		}
	}
}

/* An accepted event: to the line's CPU, or latched on a blocked line. The
 * common line, materialized and not blocked, is inline. */
static inline __attribute__((always_inline)) void raise_token(unsigned int irq)
{
	struct irq_desc *desc = irqc__desc_peek(irq);

	if (unlikely(!desc))
		raise_stray(irq);
	/* relaxed: the copy of the blocked bits (a hint, see chip.c); the
	 * flow latches the event if the line is blocked after all */
	else if (likely(!atomic_load_explicit(&desc->blocked, memory_order_relaxed)))
		route(desc, true);
	else
		raise_blocked(desc);
}

void irqc__raise_token(unsigned int irq)
{
	raise_token(irq);
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
	unsigned int cpu, prio, word;
	uint64_t bits;
	uint64_t kick[(IRQCORE_MAX_CPUS + 63) / 64];	/* CPUs to kick */
};

static void batch_flush(struct raise_batch *b)
{
	struct irqc_cpu *cpu;
	uint64_t merged;

	if (!b->bits)
		return;
	cpu = &irqc.cpus[b->cpu];
	/* seq_cst: as step 1 of irqc__pending_set, for all the bits at once */
	merged = atomic_fetch_or(&cpu->pend[b->prio].words[b->word], b->bits) & b->bits;
	IRQC_DEBUG_POINT(IRQC_DBG_RAISE_WORD, b->word * IRQC_BITS);
	pending_show(cpu, b->prio, b->word, b->word * IRQC_BITS);	/* steps 2-2c */
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
		unsigned int irq = irqs[i], cpu, prio, w = irq / IRQC_BITS;
		struct irq_desc *desc = irqc__desc_peek(irq);

		irqc__count_raised(irq);
		/* relaxed: the hint, as in irqc__raise_token */
		if (unlikely(!desc) ||
		    atomic_load_explicit(&desc->blocked, memory_order_relaxed)) {
			irqc__raise_token(irq);
			continue;
		}
		/* relaxed: as irqc__route */
		cpu = (unsigned int)atomic_load_explicit(&desc->effective_cpu,
							 memory_order_relaxed);
		prio = atomic_load_explicit(&desc->prio, memory_order_relaxed);
		if (b.bits && (cpu != b.cpu || w != b.word || prio != b.prio))
			batch_flush(&b);
		b.cpu = cpu;
		b.prio = prio;
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
			irqc__raise_token(irq);
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
		else
			irqc__latched(desc, old);	/* ASSERTED is the latch */
		return 0;
	}
	if (!edge_fires(atomic_load_explicit(&desc->trigger, memory_order_relaxed), rising))
		return 0;
	irqc__count_raised(irq);
	irqc__raise_token(irq);
	return 0;
}
