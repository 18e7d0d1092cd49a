/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow handlers and the walk of a line's handler chain.
 *
 * Ownership instead of desc->lock
 * -------------------------------
 * The kernel's flows run under the line's spinlock. Here a CPU takes the
 * line by setting INPROGRESS with a CAS (line_take_or_latch) and gives it up with a
 * CAS (line_release_or_keep). A CPU that finds the line owned, masked or disabled
 * latches its event as PENDING in the same CAS loop, so the event is either
 * seen by the owner's releasing CAS (which then runs the chain again: D7) or
 * finds the line free and takes it. Two CPUs never run the line at once, and
 * no event falls between them: both decisions are CASes on one word.
 *
 * A line that one CPU runs event after event is biased to it (HOLDER in the
 * state word): that CPU takes and gives it back with plain stores instead
 * (bias_enter, flow_release), and every other taker revokes the bias first
 * (core/bias.c, which has the argument). The two protocols never own the
 * line at once: INPROGRESS is taken only on a word without HOLDER.
 *
 * Chip callbacks at flow time are made by the owner only. Unlike the
 * kernel's edge flow, a CPU that latches an event on a line running elsewhere
 * does not mask it (D7 says "and masked"): the PENDING latch already holds the
 * event, and keeping every flow-time chip call with the owner keeps a chip's
 * mask/unmask order simple. A user chip sees one ack per flow, not per event.
 */
#include "core.h"

#include <errno.h>

#include <stdlib.h>

enum flow_kind { FLOW_EDGE, FLOW_LEVEL, FLOW_FASTEOI, FLOW_SIMPLE };

/* Take the line, or latch the event on it. A biased line is revoked first
 * (core/bias.c); if its holder runs it now, the event goes to the holder. */
bool irqc__line_take_or_latch(struct irq_desc *desc)
{
	uint32_t s = atomic_load_explicit(&desc->state, memory_order_acquire);

	for (;;) {
		bool own_bias = false;

		if (unlikely(s & IRQS_BIAS)) {
			int holder = irqc__bias_revoke(desc, false);

			if (holder >= 0) {
				irqc__bias_forward(desc, holder);
				return false;
			}
			s = atomic_load_explicit(&desc->state, memory_order_acquire);
			/* our own line further up this stack: latch, our
			 * give-back sees it (H5 in core/bias.c) */
			own_bias = holder == IRQC_BIAS_SELF;
			if (!own_bias)
				continue;
		}
		if (unlikely(own_bias || (s & (IRQS_INPROGRESS | IRQS_BLOCKED)))) {
			/* acq_rel: the owner's releasing CAS sees PENDING
			 * (or we see the line free and retry); also when
			 * PENDING is set already (same value written): the
			 * release orders our event's history before the
			 * replay that covers it (G4) */
			if (atomic_compare_exchange_weak_explicit(&desc->state, &s,
								  s | IRQS_PENDING,
								  memory_order_acq_rel,
								  memory_order_acquire)) {
				if (s & IRQS_PENDING)
					irqc__count_coalesced(desc->irq);
				irqc__latched(desc, s);	/* lazy disable (E1) */
				return false;
			}
			continue;
		}
		/* acquire: the previous owner's handler effects are visible
		 * (paired with the release CAS in line_release_or_keep); seq_cst
		 * for nested lines (see free_irq); the same instruction on x86.
		 * s has no HOLDER nor REVOKING: a grant meanwhile fails it */
		if (atomic_compare_exchange_weak_explicit(&desc->state, &s, s | IRQS_INPROGRESS,
							  memory_order_seq_cst,
							  memory_order_acquire)) {
			IRQC_DEBUG_POINT(IRQC_DBG_FLOW_ENTER, desc->irq);
			return true;
		}
	}
}

/* Take the line if nobody runs it (a bias is revoked, its holder not waited
 * for): no latch, no wait. */
bool irqc__line_try_take(struct irq_desc *desc)
{
	uint32_t s = atomic_load_explicit(&desc->state, memory_order_acquire);

	for (;;) {
		if (s & IRQS_BIAS) {
			/* a holder running the line: as INPROGRESS below */
			if (irqc__bias_revoke(desc, false) != -1)
				return false;
			s = atomic_load_explicit(&desc->state, memory_order_acquire);
			continue;
		}
		if (s & IRQS_INPROGRESS)
			return false;
		/* acq_rel: as line_take_or_latch's CAS (the previous owner's
		 * effects before ours; ours before the next owner) */
		if (atomic_compare_exchange_weak_explicit(&desc->state, &s, s | IRQS_INPROGRESS,
							  memory_order_acq_rel,
							  memory_order_acquire))
			return true;
	}
}

/*
 * Give the line up. A PENDING event on a line that may run is replayed:
 * inline (returns true, the caller still owns the line) or, when the caller
 * cannot run flows (the spurious poller), by sending the token to the line's
 * CPU. An asserted level line that may run refires through its CPU, so that
 * a stuck level line cannot starve the CPU's other lines.
 */
bool irqc__line_release_or_keep(struct irq_desc *desc, bool inline_replay)
{
	uint32_t s, ns;
	bool route_token;

	IRQC_DEBUG_POINT(IRQC_DBG_FLOW_RELEASE, desc->irq);
	s = atomic_load_explicit(&desc->state, memory_order_acquire);
	/* The caller owns the line; with HOLDER set that is the holder, running
	 * it on its bias (INPROGRESS is never set with HOLDER): from here the
	 * CAS protocol finishes the event */
	if (unlikely(s & IRQS_HOLDER)) {
		irqc__bias_convert(desc);
		s = atomic_load_explicit(&desc->state, memory_order_acquire);
	}

	for (;;) {
		route_token = false;
		if ((s & IRQS_PENDING) && !(s & IRQS_BLOCKED)) {
			if (inline_replay) {
				if (atomic_compare_exchange_weak_explicit(
					    &desc->state, &s, s & ~IRQS_PENDING,
					    memory_order_acq_rel, memory_order_acquire))
					return true;
				continue;
			}
			ns = s & ~(IRQS_INPROGRESS | IRQS_PENDING);
			route_token = true;
		} else {
			ns = s & ~IRQS_INPROGRESS;
		}
		/* release: our handlers' effects before the next owner's
		 * acquire CAS in line_take_or_latch */
		if (atomic_compare_exchange_weak_explicit(&desc->state, &s, ns,
							  memory_order_acq_rel,
							  memory_order_acquire))
			break;
	}
	if (route_token)
		irqc__route(desc, true);
	else if ((s & (IRQS_LEVEL | IRQS_ASSERTED)) == (IRQS_LEVEL | IRQS_ASSERTED) &&
		 !(s & IRQS_BLOCKED))
		irqc__route(desc, false);
	return false;
}

/*
 * The common case of line_take_or_latch and line_release_or_keep, inline in the flows: a
 * line biased to this CPU is taken and given back with plain stores (H1-H6
 * in core/bias.c); a free, runnable line is taken with one CAS, and a line
 * with nothing latched and no level to recheck is given back with one.
 * Anything else takes the full functions above, which start again from a
 * fresh load.
 */
#define BIAS_RUN_MASK	(IRQS_BIAS | IRQS_INPROGRESS | IRQS_PENDING | IRQS_BLOCKED | \
			 IRQS_LEVEL | IRQS_ONESHOT)

/* H1-H3: run the line on our bias, or back off (busy 0 again). */
static inline __attribute__((always_inline)) bool bias_enter(struct irq_desc *desc,
							    const struct irqc_cpu *cpu)
{
	uint32_t s;

	/* relaxed: our own word; 1 when the line is ours further up this
	 * stack (a handler's generic_handle_irq of its own line) */
	if (unlikely(atomic_load_explicit(&desc->bias_busy, memory_order_relaxed)))
		return false;
	atomic_store_explicit(&desc->bias_busy, 1, IRQC_BIAS_ORDER);	/* H1 */
	irqc__bias_fence();		/* H2: paired with the revoker's membarrier (R2) */
	IRQC_DEBUG_POINT(IRQC_DBG_BIAS_TAKE, desc->irq);
	s = atomic_load_explicit(&desc->state, IRQC_BIAS_ORDER);	/* H3 */
	if (likely((s & BIAS_RUN_MASK) == cpu->bias_tag))
		return true;
	/* release: a revoker waiting in R3 may take the line at once */
	atomic_store_explicit(&desc->bias_busy, 0, memory_order_release);
	return false;
}

static inline __attribute__((always_inline)) bool flow_take(struct irq_desc *desc,
							   const struct irqc_cpu *cpu,
							   bool *biased)
{
	uint32_t s = atomic_load_explicit(&desc->state, memory_order_relaxed);

	*biased = false;
	if (likely((s & IRQS_HOLDER) == cpu->bias_tag)) {
		if (likely(bias_enter(desc, cpu))) {
			*biased = true;
			IRQC_DEBUG_POINT(IRQC_DBG_FLOW_ENTER, desc->irq);
			return true;
		}
		return irqc__line_take_or_latch(desc);	/* drops our bias */
	}
	/* seq_cst on success, as in irqc__line_take_or_latch (the acquire of the
	 * previous owner's release CAS); a failure retries there */
	if (likely(!(s & (IRQS_INPROGRESS | IRQS_BLOCKED | IRQS_BIAS))) &&
	    likely(atomic_compare_exchange_strong_explicit(&desc->state, &s, s | IRQS_INPROGRESS,
							   memory_order_seq_cst,
							   memory_order_relaxed))) {
		IRQC_DEBUG_POINT(IRQC_DBG_FLOW_ENTER, desc->irq);
		return true;
	}
	return irqc__line_take_or_latch(desc);
}

/* A line that may be biased: no block, no ONESHOT, membarrier registered,
 * and not a nested child, whose events handle_nested_irq latches for its
 * parent's thread (a bias would send them to a CPU's hard flow instead). */
static __attribute__((noinline)) bool bias_may_grant(struct irq_desc *desc, uint32_t s)
{
	return !(s & (IRQS_BLOCKED | IRQS_ONESHOT)) && irqc__bias_allowed() &&
	       !(atomic_load_explicit(&desc->status_flags, memory_order_relaxed) &
		 IRQ_NESTED_THREAD);
}

/*
 * The value that gives the line back (INPROGRESS out): with a grant when
 * this CPU has now run the line bias_need times in a row and the line may
 * be biased. The streak is the INPROGRESS owner's (plain fields).
 */
static inline __attribute__((always_inline)) uint32_t bias_streak(struct irq_desc *desc,
								  const struct irqc_cpu *cpu,
								  uint32_t s)
{
	uint32_t ns = s & ~IRQS_INPROGRESS;

	if (desc->streak_cpu != cpu->id) {
		desc->streak_cpu = cpu->id;
		desc->streak = 0;
	}
	if (unlikely(++desc->streak >=
		     atomic_load_explicit(&desc->bias_need, memory_order_relaxed)) &&
	    bias_may_grant(desc, s)) {
		desc->streak = 0;
		ns = (ns & ~IRQS_GEN) | ((s + IRQS_GEN_ONE) & IRQS_GEN) | cpu->bias_tag;
	}
	return ns;
}

/* After the chain: unmask unless disabled or ONESHOT threads still run. */
static void cond_unmask(struct irq_desc *desc)
{
	uint32_t s = atomic_load_explicit(&desc->state, memory_order_acquire);

	if ((s & IRQS_MASKED) && !(s & IRQS_DISABLED) &&
	    !atomic_load_explicit(&desc->threads_oneshot, memory_order_acquire))
		irqc__chip_unmask(desc);
}

/*
 * unmask: the flow unmasks after its chain (edge and level; fasteoi does
 * it before its eoi, simple never). The same load of the state word that
 * finds the line free to give back finds it unmasked, so cond_unmask is
 * called only when MASKED is set. biased: taken on our bias (H5, H6).
 */
static inline __attribute__((always_inline)) bool flow_release(struct irq_desc *desc,
							      const struct irqc_cpu *cpu,
							      bool unmask, bool biased)
{
	uint32_t s = atomic_load_explicit(&desc->state, memory_order_relaxed);
	uint32_t slow = IRQS_PENDING | IRQS_LEVEL | (unmask ? IRQS_MASKED : 0);

	if (biased) {
		if (likely(!(s & slow))) {
			IRQC_DEBUG_POINT(IRQC_DBG_FLOW_RELEASE, desc->irq);
			/* H6. release: our handlers' effects before a revoker's
			 * acquire load in R3 */
			atomic_store_explicit(&desc->bias_busy, 0, memory_order_release);
			return false;
		}
		irqc__bias_convert(desc);	/* H5: the CASes finish it */
	} else if (likely(!(s & slow)) &&
		   /* release: as in irqc__line_release_or_keep; a PENDING that
		    * lands after our load fails the CAS, and the full function
		    * replays it */
		   likely(atomic_compare_exchange_strong_explicit(&desc->state, &s,
								  bias_streak(desc, cpu, s),
								  memory_order_acq_rel,
								  memory_order_relaxed))) {
		IRQC_DEBUG_POINT(IRQC_DBG_FLOW_RELEASE, desc->irq);
		return false;
	}
	if (unmask)
		cond_unmask(desc);
	return irqc__line_release_or_keep(desc, true);
}

/* The chip's ack, called only when the chip has one (the soft chip has
 * none): the test is inline, the call and its lock are not. */
static inline __attribute__((always_inline)) void flow_ack(struct irq_desc *desc)
{
	/* acquire: as desc_chip in chip.c */
	if (unlikely(atomic_load_explicit(&desc->chip, memory_order_acquire)->irq_ack))
		irqc__chip_ack(desc);
}

static void warn_no_thread(unsigned int irq, struct irqaction *action)
{
	bool expected = false;

	if (atomic_compare_exchange_strong(&action->warned_wake, &expected, true))
		irqc_warn("IRQ %u device %s returned IRQ_WAKE_THREAD but no thread function available.",
			  irq, action->name ? action->name : "");
}

/*
 * The chain from action on, whose handler answered res: the answers of
 * every later action, the threads to wake. *th_snap: threads_handled before
 * the first thread is woken (S2).
 */
static __attribute__((noinline)) irqreturn_t walk_rest(struct irq_desc *desc,
						       struct irqaction *action, irqreturn_t res,
						       uint32_t *th_snap)
{
	irqreturn_t retval = IRQ_NONE;
	unsigned int irq = desc->irq;
	bool woke = false;

	for (;;) {
		if (res == IRQ_WAKE_THREAD) {
			/* S2: the snapshot precedes every wake-up of this
			 * event, so no thread woken here can be in it: the
			 * thread's increment happens after its wake-up
			 * (release in irqc__thread_wake, acquire in the
			 * thread). Earlier threads' increments are ordered
			 * before our flow by the state word they finalize
			 * (ONESHOT unmask) or simply land in the next one. */
			if (!woke) {
				*th_snap = atomic_load_explicit(&desc->threads_handled,
								memory_order_relaxed);
				woke = true;
			}
			if (unlikely(!action->thread_fn))
				warn_no_thread(irq, action);
			else
				irqc__thread_wake(desc, action);
		}
		retval |= res;
		/* acquire: as in first_action */
		action = atomic_load_explicit(&action->next, memory_order_acquire);
		if (!action)
			return retval;
		res = action->handler((int)irq, action->dev_id);
	}
}

/* The first action of the chain, NULL for none. */
static inline struct irqaction *first_action(struct irq_desc *desc)
{
	/* acquire (consume): paired with the release store that publishes an
	 * action in __setup_irq; the read-side section keeps it alive */
	return atomic_load_explicit(&desc->action, memory_order_acquire);
}

/*
 * Run the chain from its first action (as the caller loaded it, NULL:
 * free_irq unlinked the last action after the flow looked; it shut the
 * line down first, see flow_no_action) in registration order. The common
 * line, one action that handled the event, is one call and two tests; the
 * rest is walk_rest.
 */
static inline __attribute__((always_inline)) irqreturn_t walk_chain(struct irq_desc *desc,
								   struct irqaction *action,
								   uint32_t *th_snap)
{
	irqreturn_t res = IRQ_NONE;
	unsigned int irq = desc->irq;

	irqc_ctx.running[irqc_ctx.nr_running++] = irq;	/* in irqc__hardirq_depth */
	if (likely(action != NULL)) {
		res = action->handler((int)irq, action->dev_id);
		/* acquire: as in first_action */
		if (unlikely(res != IRQ_HANDLED) ||
		    unlikely(atomic_load_explicit(&action->next, memory_order_acquire) != NULL))
			res = walk_rest(desc, action, res, th_snap);
	}
	irqc_ctx.nr_running--;
	return res;
}

/*
 * The chain, timed: one event in sample_every per CPU (every event with
 * IRQCORE_F_LATENCY, which also takes the raise->handler latency of a
 * flow's first event here). Out of line, off the common path. outer: not
 * inside another line's handler (generic_handle_irq from a handler), whose
 * own timing already covers this time as the CPU's busy time.
 */
static __attribute__((noinline, cold)) irqreturn_t walk_chain_timed(struct irq_desc *desc,
								   struct irqaction *action,
								   struct irqc_cpu *cpu,
								   bool first, uint32_t *th_snap)
{
	bool outer = irqc__hardirq_depth() == 0;
	uint64_t t0 = irqc__mono_ns();
	irqreturn_t ret;

	if (first)
		irqc__exp_latency(desc->irq, t0);
	ret = walk_chain(desc, action, th_snap);
	irqc__exp_hard_time(desc->irq, cpu->id, irqc__mono_ns() - t0, outer);
	return ret;
}

/* Inlined into the flows: one more call level costs as much as the rest.
 * action: the chain's first, as the flow loaded it. */
static inline __attribute__((always_inline)) irqreturn_t handle_event(struct irq_desc *desc,
								     struct irqaction *action,
								     struct irqc_cpu *cpu,
								     bool first)
{
	irqreturn_t ret;
	uint32_t th_snap = 0;

	if (unlikely(irqc__exp_sample_due()))
		ret = walk_chain_timed(desc, action, cpu, first, &th_snap);
	else
		ret = walk_chain(desc, action, &th_snap);
	/* A handled event on a line with no unhandled ones in its window and
	 * no irqpoll: note_interrupt would do nothing (S5). */
	if (!(likely(ret == IRQ_HANDLED) && likely(!(irqc.cfg.flags & IRQCORE_F_IRQPOLL)) &&
	      likely(!atomic_load_explicit(&desc->irqs_unhandled, memory_order_relaxed))))
		irqc__note_interrupt_on(desc, ret, cpu->id, th_snap);
	return ret;
}

static void count_err(struct irqc_cpu *cpu)
{
	if (cpu)
		irqc__inc_owned_n(&cpu->err, 1);	/* this CPU's counter */
	else
		atomic_fetch_add_explicit(&irqc.err_other, 1, memory_order_relaxed);
}

static void log_no_handler(unsigned int irq)
{
	uint64_t now, last;

	/* at most 10 reports per 5 s, as printk_ratelimit */
	now = irqc__mono_ns();
	last = atomic_load_explicit(&irqc.noirq_log_last_ns, memory_order_relaxed);
	if (now - last > 5000000000ull) {
		atomic_store_explicit(&irqc.noirq_log_last_ns, now, memory_order_relaxed);
		atomic_store_explicit(&irqc.noirq_log_burst, 0, memory_order_relaxed);
	}
	if (atomic_fetch_add_explicit(&irqc.noirq_log_burst, 1, memory_order_relaxed) < 10)
		irqc_warn("No irq handler for irq %u", irq);
}

/* D9: an event that found no action. Counted in ERR, logged (rate-limited),
 * the line masked: later raises latch on it instead of reaching a CPU. */
bool irqc__no_action_count_mask_log(struct irq_desc *desc, struct irqc_cpu *cpu)
{
	if (likely(atomic_load_explicit(&desc->action, memory_order_acquire) != NULL))
		return false;
	count_err(cpu);
	atomic_fetch_add_explicit(&desc->noaction, 1, memory_order_relaxed);
	irqc__chip_mask(desc);
	if (!irqc__probe_hit(desc->irq))
		log_no_handler(desc->irq);
	return true;
}

/*
 * An event on a line whose descriptor was never materialized: raisers do not
 * allocate (G6), so the CPU that receives the event materializes it here, on
 * this error path, and the flow then handles it as any event without an
 * action (D9: ERR, masked). Only if that allocation fails is the event
 * counted in ERR with nothing to mask. Returns the descriptor or NULL.
 */
struct irq_desc *irqc__desc_for_stray(unsigned int irq, struct irqc_cpu *cpu)
{
	struct irq_desc *desc = irqc__desc_get(irq);

	if (unlikely(!desc)) {
		count_err(cpu);
		if (!irqc__probe_hit(irq))
			log_no_handler(irq);
	}
	return desc;
}

/*
 * The flow found the chain empty. On a disabled line that is free_irq()
 * shutting it down: it disables the line before it unlinks the last action
 * (manage.c), and this event met the two steps, so it latches as any event
 * on a disabled line does (E1, as the kernel's flows latch PENDING on a
 * line that is disabled or has no action), and goes to the line's next
 * request. Any other line takes D9. Returns NULL when the event was
 * consumed, or the first action of a chain that was requested meanwhile.
 */
static __attribute__((noinline, cold)) struct irqaction *flow_no_action(struct irq_desc *desc,
									struct irqc_cpu *cpu)
{
	struct irqaction *action;
	uint32_t old;

	for (;;) {
		/* acquire: paired with free_irq's seq_cst unlink store, after
		 * its shutdown of the line, whose DISABLED the state load below
		 * sees (and as in first_action) */
		action = atomic_load_explicit(&desc->action, memory_order_acquire);
		if (action)
			return action;
		if (atomic_load_explicit(&desc->state, memory_order_acquire) & IRQS_DISABLED)
			break;
		if (irqc__no_action_count_mask_log(desc, cpu))
			return NULL;
		/* false: an action came after our look; run it */
	}
	/* we own the line (INPROGRESS): our release sees PENDING with the
	 * line blocked and keeps it latched (line_release_or_keep) */
	old = atomic_fetch_or_explicit(&desc->state, IRQS_PENDING, memory_order_acq_rel);
	if (old & IRQS_PENDING)
		irqc__count_coalesced(desc->irq);
	irqc__latched(desc, old);
	return NULL;
}

static inline bool line_oneshot(struct irq_desc *desc)
{
	return atomic_load_explicit(&desc->state, memory_order_relaxed) & IRQS_ONESHOT;
}

/*
 * One event of a flow, on a line the caller owns: the chip's mask for the
 * level and ONESHOT cases, the count, the chain, the fasteoi unmask and eoi.
 * replay: a PENDING event latched while the flow ran (counted coalesced,
 * D1). Returns false when no chain was there to run: the event was
 * consumed and the line given back.
 */
static inline __attribute__((always_inline)) bool flow_event(struct irq_desc *desc,
							    struct irqc_cpu *cpu,
							    enum flow_kind kind, bool replay)
{
	struct irqaction *action;

	if (kind == FLOW_LEVEL)
		irqc__chip_mask_ack(desc);
	action = first_action(desc);
	if (unlikely(!action) && !(action = flow_no_action(desc, cpu))) {
		if (kind == FLOW_FASTEOI)
			irqc__chip_eoi(desc);
		irqc__line_release_or_keep(desc, false);
		return false;
	}
	/* ONESHOT, looked at after the action: a line's first request sets it
	 * before it publishes the action (manage.c), so a flow that sees a
	 * ONESHOT action sees the bit, even one that took the line before */
	if (kind != FLOW_LEVEL && kind != FLOW_SIMPLE && line_oneshot(desc))
		irqc__chip_mask(desc);	/* until the threads finish (D5) */
	/* One event per flow (D1); the event that set PENDING and is
	 * replayed here folded into this flow: it is coalesced. */
	if (!replay)
		irqc__kstat_inc(desc, cpu);
	else
		irqc__count_coalesced(desc->irq);
	handle_event(desc, action, cpu, !replay);
	if (kind == FLOW_FASTEOI) {
		cond_unmask(desc);
		irqc__chip_eoi(desc);
	}
	return true;
}

/* The flow's give-back found events latched meanwhile and kept the line:
 * one run of the chain for them, again until none is left (D7). Out of
 * line: the common flow has one event. */
static __attribute__((noinline)) void flow_replay(struct irq_desc *desc, struct irqc_cpu *cpu,
						  enum flow_kind kind)
{
	do {
		if (!flow_event(desc, cpu, kind, true))
			return;
	} while (flow_release(desc, cpu, kind == FLOW_EDGE || kind == FLOW_LEVEL, false));
}

/* cpu: the calling CPU, found by the caller (NULL: warn, do nothing). */
static inline __attribute__((always_inline)) void flow_run(struct irq_desc *desc,
							    struct irqc_cpu *cpu,
							    enum flow_kind kind)
{
	if (unlikely(!cpu)) {
		irqc_warn("flow handler for irq %u called outside a CPU context", desc->irq);
		return;
	}
	bool biased;

	if (!flow_take(desc, cpu, &biased))
		return;
	if (kind == FLOW_EDGE)
		flow_ack(desc);
	if (flow_event(desc, cpu, kind, false) &&
	    unlikely(flow_release(desc, cpu, kind == FLOW_EDGE || kind == FLOW_LEVEL, biased)))
		flow_replay(desc, cpu, kind);
}

void handle_edge_irq(struct irq_desc *desc)
{
	flow_run(desc, irqc__this_cpu(), FLOW_EDGE);
}

void handle_level_irq(struct irq_desc *desc)
{
	flow_run(desc, irqc__this_cpu(), FLOW_LEVEL);
}

void handle_fasteoi_irq(struct irq_desc *desc)
{
	flow_run(desc, irqc__this_cpu(), FLOW_FASTEOI);
}

void handle_simple_irq(struct irq_desc *desc)
{
	flow_run(desc, irqc__this_cpu(), FLOW_SIMPLE);
}

/* A caller's flow (a demultiplexer): one event per run, never reentered. */
static void run_custom_flow(struct irq_desc *desc, struct irqc_cpu *cpu,
			    irq_flow_handler_t flow)
{
	bool replay = false;

	if (!irqc__line_take_or_latch(desc))
		return;
	do {
		if (!replay) {
			irqc__kstat_inc(desc, cpu);
			if (unlikely(irqc_exp.lat))	/* one sample per counted event */
				irqc__exp_latency(desc->irq, irqc__mono_ns());
		} else {
			irqc__count_coalesced(desc->irq);	/* folded into the replay */
		}
		replay = true;
		irqc_ctx.running[irqc_ctx.nr_running++] = desc->irq;	/* in irqc__hardirq_depth */
		flow(desc);
		irqc_ctx.nr_running--;
	} while (irqc__line_release_or_keep(desc, true));
}

static inline __attribute__((always_inline)) void run_flow(struct irq_desc *desc,
							   struct irqc_cpu *cpu)
{
	/* acquire: paired with the release store of the flow, after its chip */
	irq_flow_handler_t flow = atomic_load_explicit(&desc->flow, memory_order_acquire);

	if (likely(flow == handle_edge_irq))
		flow_run(desc, cpu, FLOW_EDGE);
	else if (irqc__flow_is_builtin(flow))
		flow(desc);
	else
		run_custom_flow(desc, cpu, flow);
}

/* A drain's word: the flow of each line of bits, whose first is line base,
 * inline in one loop (a call per line would cost as much as the edge
 * flow's give-back). Returns the number of lines. */
unsigned int irqc__run_lines(struct irqc_cpu *cpu, unsigned int base, uint64_t bits)
{
	unsigned int n = 0;

	for (; bits; bits &= bits - 1, n++) {
		unsigned int irq = base + (unsigned int)__builtin_ctzll(bits);
		struct irq_desc *desc = irqc__desc_peek(irq);

		if (unlikely(!desc) && !(desc = irqc__desc_for_stray(irq, cpu)))
			continue;
		run_flow(desc, cpu);
	}
	return n;
}

/*
 * generic_handle_irq: an event handled inline, on the caller's CPU (an
 * external CPU's loop, or a demultiplexer's flow). Here, beside the flows,
 * so that the common case (the edge flow) is one function.
 */
int generic_handle_irq(unsigned int irq)
{
	IRQC_RCU_GUARD(-ENODEV);	/* the guard and the chains' read side: one */
	struct irqc_cpu *cpu = irqc__this_cpu();
	struct irq_desc *desc;

	if (!cpu)
		return -EPERM;
	if (unlikely(!irqc__in_range(irq)))
		return -EINVAL;
	irqc__count_raised_cpu(irq);
	desc = irqc__desc_peek(irq);
	if (unlikely(!desc) && !(desc = irqc__desc_for_stray(irq, cpu)))
		return 0;
	if (irqc_ctx.nr_running >= IRQC_MAX_NEST) {
		irqc_warn("generic_handle_irq(%u): nesting deeper than %d", irq, IRQC_MAX_NEST);
		irqc__raise_token(irq);	/* not lost: through the CPU's bitmap */
		return 0;
	}
	run_flow(desc, cpu);
	return 0;
}

/*
 * The spurious poller and misrouted-IRQ polling run a line's handlers without
 * an event: take the line if it is free, walk the chain (no note_interrupt,
 * no count), give it back. Events that latched meanwhile go to the line's CPU.
 */
bool irqc__try_run_line(struct irq_desc *desc)
{
	uint32_t th_snap;
	bool handled;

	if (!irqc__line_try_take(desc))
		return false;
	handled = walk_chain(desc, first_action(desc), &th_snap) & IRQ_HANDLED;
	irqc__line_release_or_keep(desc, false);
	return handled;
}
