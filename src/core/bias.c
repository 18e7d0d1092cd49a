/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Biased ownership of a line: its slow half (revoke, convert, forward). The
 * fast half, inline in the flows, is in flow.c (bias_enter, flow_release).
 *
 * Why
 * ---
 * Taking a line with a CAS and giving it back with another (flow.c) costs
 * two read-modify-writes per event, though a line is nearly always run by
 * one CPU, event after event. A line that one CPU has run IRQC_BIAS_NEED
 * times in a row under INPROGRESS is biased to it: the CPU's id goes into
 * the HOLDER field of desc->state, and from then on the holder takes and
 * gives back the line with plain stores to desc->bias_busy, a word only the
 * holder writes. Anyone else who needs the line revokes the bias first.
 *
 * The protocol
 * ------------
 * Grant. The INPROGRESS owner sets HOLDER to itself (and bumps GEN) in the
 * CAS that gives the line back, if its streak reached bias_need and the
 * word has nothing else on it (no PENDING, REVOKING, LEVEL, ONESHOT, block).
 * INPROGRESS and HOLDER are never set together.
 *
 * Holder, per event (flow.c):
 *   H1. busy = 1 (relaxed store; busy was 0: the line is not already ours
 *       further up this stack)
 *   H2. compiler barrier: the revoker's membarrier() is the fence
 *   H3. load state: run only if HOLDER is ours, and no REVOKING, INPROGRESS,
 *       PENDING, block, LEVEL or ONESHOT; else busy = 0 and take the slow
 *       path (which drops our own bias: we are not busy, nobody else can be)
 *   H4. the chain
 *   H5. load state: PENDING (our own nested event), LEVEL or MASKED (the
 *       unmask) need the CAS protocol: convert (below); else
 *   H6. busy = 0 (release store)
 *
 * Revoker, any other taker (irqc__bias_revoke):
 *   R1. load state; if HOLDER is set and REVOKING is not, CAS REVOKING in
 *       (seq_cst). bias_need doubles, so that a line taken from several CPUs
 *       settles on the CASes.
 *   R2. membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), then FENCED in by a
 *       CAS (if REVOKING, HOLDER and GEN are still what R1 saw). A revoker
 *       that finds FENCED already set skips R2: one membarrier per
 *       revocation, not one per event that meets it.
 *   R3. load busy (acquire); while it is 1, the holder runs the line: wait
 *       (process context), or hand the event to the holder (flow context:
 *       it must not wait for a thread that may be preempted)
 *   R4. confirm: CAS HOLDER and REVOKING out, only if HOLDER, GEN and
 *       REVOKING are still what R1 saw; else start again from R1.
 * The caller then takes INPROGRESS with its usual CAS, which requires
 * HOLDER and REVOKING clear in the value it replaces.
 *
 * Why two CPUs never run the line at once
 *  - The holder's H1-H3 against the revoker's R1-R3 are a Dekker pair made
 *    asymmetric by membarrier, as liburcu's urcu-memb read side: membarrier
 *    puts a full barrier in every running thread of the process (and a
 *    thread that is not running passes one when it is scheduled again). If
 *    that barrier falls before H1 in the holder, H3 sees REVOKING; if after
 *    H3, R3 sees busy = 1; if between, both. So either the holder backs off
 *    or the revoker sees it running and waits for H6 (or its back-off's
 *    busy = 0). A revoker that found REVOKING set by another one reads it
 *    with an acquire load before its own membarrier, so the same holds for
 *    it (the barrier is cumulative over what the revoker has read). One that
 *    finds FENCED relies on the membarrier of the revoker that set it: that
 *    barrier came after REVOKING was visible, so a holder's H3 after it
 *    sees REVOKING; a holder whose H1 and H3 both came before it has its
 *    busy = 1 visible once it returned, and FENCED was set after that (our
 *    acquire load of FENCED orders it before our R3).
 *  - After R4 no holder of that grant runs the line on its bias again: its
 *    next H3 sees HOLDER gone. A new grant needs an INPROGRESS owner, which
 *    needs HOLDER and REVOKING clear, and it bumps GEN, so a revoker that
 *    slept between R1 and R4 cannot confirm (and clear) a later grant that
 *    it never fenced against: its R4 fails and it starts again. GEN has 4
 *    bits: a revoker would have to sleep through 16 grants, each after a
 *    streak of at least 64 events, doubled by every revocation. The same
 *    comparison keeps a FENCED of one revocation off the next.
 *  - The holder's convert (irqc__bias_convert) sets INPROGRESS and clears
 *    HOLDER and REVOKING in one CAS, before its busy = 0: no revoker can
 *    take the line between the two (it sees INPROGRESS and latches, or it
 *    still sees busy = 1), and one that slept through it fails R4.
 *
 * Why no event is lost
 *  - A flow that finds the holder running the line (R3, busy = 1) sends its
 *    event to the holder's pending bitmap (irqc__bias_forward): a token in a
 *    bitmap, drained by the holder after its present flow; counted
 *    coalesced if the bit was set. It does not latch PENDING: the holder's
 *    H5 has no fence, and could miss a latch that lands after it.
 *  - Only the holder itself latches PENDING while it runs the line on its
 *    bias (generic_handle_irq of its own line from its handler): H5 sees it
 *    in program order. Raisers latch PENDING only on a blocked line, which
 *    keeps the latch until the unblock moves it (chip.c): it sees no
 *    INPROGRESS and routes the token.
 *  - State the holder must obey (a block, LEVEL, ONESHOT, a chip) is written
 *    before the events that must obey it are raised: the raise's release
 *    and the drain's acquire (or the caller's program order) put it before
 *    the holder's H3. Waits for the handler (synchronize_irq, free_irq, a
 *    thread's ONESHOT finalize, the spurious poller) revoke first.
 *
 * Costs: a revocation is a membarrier(2), an interrupt to every CPU running
 * a thread of the process, so it stays off the hot path: bias_need doubles
 * with every revocation (up to IRQC_BIAS_NEED_MAX). A bias is granted only
 * where membarrier is registered; without it the CASes stay (the fence the
 * holder would need costs as much as a CAS). An event sent to a holder
 * runs there, after the holder's flow, where INPROGRESS would have replayed
 * it in that flow; on an external CPU it waits for the next irqcore_poll.
 */
#include "core.h"


/* R1's doubling: several revokers may double at once; any of them will do. */
static void need_more(struct irq_desc *desc)
{
	uint32_t n = atomic_load_explicit(&desc->bias_need, memory_order_relaxed);

	if (n < IRQC_BIAS_NEED_MAX)
		atomic_store_explicit(&desc->bias_need, n * 2, memory_order_relaxed);
}

/* The caller is the holder and not running the line: no one else can run it
 * on the bias, so the bias goes without a fence. false: the word changed. */
static bool drop_own(struct irq_desc *desc, uint32_t s)
{
	/* acq_rel: as any CAS on the state word */
	return atomic_compare_exchange_strong_explicit(&desc->state, &s,
						       s & ~IRQS_BIAS,
						       memory_order_acq_rel,
						       memory_order_acquire);
}

int irqc__bias_revoke(struct irq_desc *desc, bool wait)
{
	struct irqc_cpu *me = irqc__this_cpu();
	const uint32_t epoch_bits = IRQS_HOLDER | IRQS_GEN | IRQS_REVOKING;
	unsigned int us = 1;

	for (;;) {
		/* acquire: a REVOKING set by another revoker is read before our
		 * membarrier (see the top of this file) */
		uint32_t s = atomic_load_explicit(&desc->state, memory_order_acquire);
		uint32_t cur;

		if (!(s & IRQS_HOLDER)) {
			/* REVOKING never stays without HOLDER (R4, convert and
			 * drop_own clear both) */
			return -1;
		}
		if (me && (s & IRQS_HOLDER) == me->bias_tag) {
			/* the holder itself: running the line (further up this
			 * stack), or not, and then nobody can be */
			if (atomic_load_explicit(&desc->bias_busy, memory_order_relaxed))
				return IRQC_BIAS_SELF;
			drop_own(desc, s);
			continue;
		}
		if (!(s & IRQS_REVOKING)) {
			/* R1. seq_cst: the store side of the Dekker pair (and
			 * TSan's model of it, IRQC_BIAS_ORDER) */
			if (!atomic_compare_exchange_strong_explicit(&desc->state, &s,
								     s | IRQS_REVOKING,
								     memory_order_seq_cst,
								     memory_order_acquire))
				continue;
			s |= IRQS_REVOKING;
			need_more(desc);
		}
		if (!(s & IRQS_FENCED)) {
			IRQC_DEBUG_POINT(IRQC_DBG_BIAS_REVOKE, desc->irq);
			irqc__heavy_barrier();	/* R2: paired with H2 */
			cur = atomic_load_explicit(&desc->state, memory_order_relaxed);
			/* release: our membarrier before a later revoker's
			 * acquire load of FENCED */
			while ((cur & epoch_bits) == (s & epoch_bits) && !(cur & IRQS_FENCED) &&
			       !atomic_compare_exchange_weak_explicit(&desc->state, &cur,
								      cur | IRQS_FENCED,
								      memory_order_release,
								      memory_order_relaxed))
				;
		}
		/* R3. acquire: paired with the holder's release store of 0 (H6),
		 * so its handler's effects come before what we do next; seq_cst
		 * for TSan's model (IRQC_BIAS_ORDER), a plain load on x86 */
		while (atomic_load_explicit(&desc->bias_busy, memory_order_seq_cst)) {
			if (!wait)
				return irqc__bias_holder(s);
			irqc__backoff_sleep(&us);
		}
		IRQC_DEBUG_POINT(IRQC_DBG_BIAS_CONFIRM, desc->irq);
		/* R4: only the grant we fenced against */
		cur = atomic_load_explicit(&desc->state, memory_order_acquire);
		while ((cur & epoch_bits) == (s & epoch_bits))
			/* acq_rel: as any CAS on the state word */
			if (atomic_compare_exchange_weak_explicit(&desc->state, &cur,
								  cur & ~IRQS_BIAS,
								  memory_order_acq_rel,
								  memory_order_acquire))
				return -1;
		/* the word moved on: a convert, or another revoker's R4 and a
		 * new grant; look again */
	}
}

void irqc__bias_convert(struct irq_desc *desc)
{
	uint32_t s = atomic_load_explicit(&desc->state, memory_order_relaxed);

	/* acq_rel: as line_take_or_latch's CAS. Nobody holds INPROGRESS: it is
	 * never set with HOLDER, and revokers take the line only after
	 * seeing busy = 0, which we store after this */
	while (!atomic_compare_exchange_weak_explicit(&desc->state, &s,
						      (s & ~IRQS_BIAS) | IRQS_INPROGRESS,
						      memory_order_acq_rel,
						      memory_order_relaxed))
		;
	/* release: H6 of the holder that we were; a revoker that sees 0 sees
	 * INPROGRESS too */
	atomic_store_explicit(&desc->bias_busy, 0, memory_order_release);
}

void irqc__bias_forward(struct irq_desc *desc, int holder_id)
{
	/* relaxed: as the route of a raise (raise.c) */
	unsigned int prio = atomic_load_explicit(&desc->prio, memory_order_relaxed);

	if (!irqc__pending_set((unsigned int)holder_id, prio, desc->irq))
		irqc__count_coalesced(desc->irq);
}
