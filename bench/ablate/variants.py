#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Patch a copy of the source tree (argv[1]) to drop what M1 pays for, for
measurement only (bench/ablate/ablate.sh): every variant but none is
incorrect. Variants (argv[2:], any combination):
  nocas    take and give back the line with plain stores of the state word
           (no exclusion: neither the bias's stores nor the CASes)
  noguard  no read-side section in generic_handle_irq, which is also its
           guard against a concurrent shutdown (handlers may be freed
           under the walk, the instance under the call)
  nocount  no raise count, per-CPU count or sampled handler timing
  nochecks none of the per-event tests one summary bit in the state word
           could stand for (chip ack, ONESHOT, no action, unmask after the
           chain, spurious detection): the most such a bit could save
A variant whose text no longer matches the source fails loudly."""
import sys
root = sys.argv[1]
which = sys.argv[2:]

def sub(path, old, new):
    p = root + '/' + path
    s = open(p).read()
    if old not in s:
        sys.exit("variants.py: the text to patch is gone from %s: %s" % (path, old[:60]))
    open(p, 'w').write(s.replace(old, new))


# Every build, none included: a line may be biased even without membarrier
# (core/bias.c), so that callgrind, which has no membarrier(2), counts the
# path the timed runs take. m1loop is one thread: nothing can revoke.
sub('src/internal.h', """#else
	return atomic_load_explicit(&irqc_membarrier_ok, memory_order_relaxed);
#endif""", """#else
	return true;	/* measurement builds only (bench/ablate/variants.py) */
#endif""")
if 'nocas' in which:
    # no exclusion at all: neither the bias's busy stores nor the CASes
    sub('src/core/flow.c', """	if (likely((s & IRQS_HOLDER) == cpu->bias_tag)) {""", """	if (0) {""")
    sub('src/core/flow.c',"""	if (likely(!(s & (IRQS_INPROGRESS | IRQS_BLOCKED | IRQS_BIAS))) &&
	    likely(atomic_compare_exchange_strong_explicit(&desc->state, &s, s | IRQS_INPROGRESS,
							   memory_order_seq_cst,
							   memory_order_relaxed))) {""","""	if (likely(!(s & (IRQS_INPROGRESS | IRQS_BLOCKED)))) { atomic_store_explicit(&desc->state, s | IRQS_INPROGRESS, memory_order_relaxed);""")
    sub('src/core/flow.c',"""	} else if (likely(!(s & slow)) &&
		   /* release: as in irqc__line_release_or_keep; a PENDING that
		    * lands after our load fails the CAS, and the full function
		    * replays it */
		   likely(atomic_compare_exchange_strong_explicit(&desc->state, &s,
								  bias_streak(desc, cpu, s),
								  memory_order_acq_rel,
								  memory_order_relaxed))) {""","""	} else if (likely(!(s & slow))) { atomic_store_explicit(&desc->state, s & ~IRQS_INPROGRESS, memory_order_release);""")
if 'noguard' in which:
    sub('src/core/flow.c',"""int generic_handle_irq(unsigned int irq)
{
	IRQC_RCU_GUARD(-ENODEV);""","""int generic_handle_irq(unsigned int irq)
{""")
if 'nocount' in which:
    sub('src/core/flow.c',"""	irqc__count_raised_cpu(irq);
	desc = irqc__desc_peek(irq);""","""	desc = irqc__desc_peek(irq);""")
    sub('src/core/flow.c',"""	if (!replay)
		irqc__kstat_inc(desc, cpu);
	else""","""	if (!replay)
		;
	else""")
    sub('src/core/flow.c',"""	if (unlikely(irqc__exp_sample_due()))""","""	if (0)""")
if 'nochecks' in which:
    sub('src/core/flow.c', """	if (kind == FLOW_EDGE)
		flow_ack(desc);""", "")
    sub('src/core/flow.c', """	if (kind != FLOW_LEVEL && kind != FLOW_SIMPLE && line_oneshot(desc))""",
        """	if (0)""")
    sub('src/core/flow.c', """	if (unlikely(!action) && !(action = flow_no_action(desc, cpu))) {""",
        """	if (0) {""")
    sub('src/core/flow.c', """static __attribute__((noinline, cold)) struct irqaction *flow_no_action(""",
        """static __attribute__((noinline, cold, unused)) struct irqaction *flow_no_action(""")
    # (the unmask after the chain is tested in the give-back's own test of
    # the state word: nothing left to remove)
    sub('src/core/flow.c', """	if (!(likely(ret == IRQ_HANDLED) && likely(!(irqc.cfg.flags & IRQCORE_F_IRQPOLL)) &&""",
        """	if (0 && !(likely(ret == IRQ_HANDLED) && likely(!(irqc.cfg.flags & IRQCORE_F_IRQPOLL)) &&""")
