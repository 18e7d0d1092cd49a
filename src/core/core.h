/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core.h — what the files of src/core share and nothing outside src/core
 * uses: the chip operations, the drain and raise internals, the flows'
 * helpers, setup and teardown of the core's parts. What other folders use
 * is in ../internal.h.
 */
#ifndef IRQCORE_CORE_H
#define IRQCORE_CORE_H

#include "../internal.h"

/* ---- the calling thread becomes CPU cpu (init.c, external.c) ---- */
static inline void irqc__set_this_cpu(struct irqc_cpu *cpu)
{
	irqc_ctx.cpu = cpu;
	irqc_ctx.cpu_id = cpu ? cpu->id : 0;
	irqc_ctx.gen = atomic_load_explicit(&irqc.gen, memory_order_relaxed);
	/* after gen: the slot's generation is then at least the CPU's, so a
	 * CPU context that is current has a current slot
	 * (irqc__count_raised_cpu) */
	(void)irqc__cnt_slot();
}

/* ---- core/guard.c ---- */
/* Shutdown: refuse new calls, then wait for the calls in flight. */
void irqc__api_drain(void);
void irqc__guard_init(void);			/* membarrier registration */
/* membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), or a fence where callers
 * fence (also core/rcu.c's writer side) */
void irqc__heavy_barrier(void);
/* After a heavy barrier: wait until every thread's read-side section that
 * began before it has ended (not the caller's own; core/rcu.c). */
void irqc__wait_sections(void);

/* ---- core/init.c ---- */
void irqc__log_down(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t irqc__now_ns(void);			/* the configured clock */
bool irqc__in_line_context(unsigned int irq);	/* handler or thread of irq */

/* ---- core/desc.c ---- */
int irqc__descs_init(void);
void irqc__descs_fini(void);
int irqc__set_type_locked(struct irq_desc *desc, unsigned int type);
bool irqc__flow_is_builtin(irq_flow_handler_t flow);
/* The line of an irq_data that irqcore handed out (NULL: NULL). */
static inline struct irq_desc *irqc__desc_of_data(struct irq_data *d)
{
	return d ? (struct irq_desc *)((char *)d - offsetof(struct irq_desc, irq_data)) : NULL;
}
void irqc__record_type_locked(struct irq_desc *desc, unsigned int type);

/* ---- core/chip.c ---- */
void irqc__chip_mask(struct irq_desc *desc);	/* sets MASKED, calls irq_mask */
void irqc__blocked_sync(struct irq_desc *desc);	/* desc->blocked = state's */
uint32_t irqc__state_block(struct irq_desc *desc, uint32_t bits); /* old state */
/* Clear `bits` (MASKED and/or DISABLED); if the line may run and nobody owns
 * it, a latched event goes to its CPU and an asserted level line refires. */
void irqc__line_unblock(struct irq_desc *desc, uint32_t bits);
void irqc__chip_ack(struct irq_desc *desc);
void irqc__chip_eoi(struct irq_desc *desc);
void irqc__chip_mask_ack(struct irq_desc *desc);
/* How the chip hears of an unblock: UNMASK calls irq_unmask when the line
 * becomes unmasked at the chip; STARTUP (request, enable_irq, probe) also
 * starts a line never started: irq_startup, else irq_enable, else
 * irq_unmask, and for a disabled line irq_enable rather than irq_unmask. */
enum irqc_unblock { IRQC_UNBLOCK_UNMASK, IRQC_UNBLOCK_STARTUP };
void irqc__line_unblock_how(struct irq_desc *desc, uint32_t bits, enum irqc_unblock how);
/* The first disable (lazy unless the chip has irq_disable, the line is
 * IRQ_DISABLE_UNLAZY or unlazy); the last free (irq_shutdown, ...). */
void irqc__chip_disable(struct irq_desc *desc, bool unlazy);
void irqc__chip_shutdown(struct irq_desc *desc);
/* Called by whoever latched PENDING on a line that was DISABLED and not
 * MASKED (raise, flow entry, level assertion): lazy disable masks it now. */
void irqc__disabled_event(struct irq_desc *desc, uint32_t old) __attribute__((cold));
static inline void irqc__latched(struct irq_desc *desc, uint32_t old)
{
	if (unlikely((old & (IRQS_DISABLED | IRQS_MASKED)) == IRQS_DISABLED))
		irqc__disabled_event(desc, old);
}
int irqc__chip_request_resources(struct irq_desc *desc);
void irqc__chip_release_resources(struct irq_desc *desc);

/* ---- core/dispatch.c: drain passes, dispatcher threads, setup ---- */
int irqc__cpus_init(void);
int irqc__cpus_start_threads(void);
void irqc__cpus_fini(void);
unsigned int irqc__cpu_pass(struct irqc_cpu *cpu);	/* returns tokens handled */
/* ---- core/external.c ---- */
pid_t irqc__self_tid(void);

/* ---- core/raise.c ---- */
/* An accepted event (already counted as raised): to the line's CPU, or
 * latched on a blocked line. */
void irqc__raise_token(unsigned int irq);
/* Set irq's bit in CPU cpu's pending bitmap of class prio, make it visible and wake the
 * CPU if it sleeps. Returns false when the bit was already set (merged). */
bool irqc__pending_set(unsigned int cpu, unsigned int prio, unsigned int irq);
/* core/prio.c: a dispatcher found at a raised level after its pass. */
void irqc__level_leaked(struct irqc_cpu *cpu);
/* Send the line to its effective CPU. token: a raise's token (counted as
 * coalesced if it merges into a set bit); false: a level refire. */
void irqc__route(struct irq_desc *desc, bool token);

/* ---- core/flow.c ---- */
/* the flows of the lines of bits (line base + bit), as cpu; how many */
unsigned int irqc__run_lines(struct irqc_cpu *cpu, unsigned int base, uint64_t bits);
bool irqc__try_run_line(struct irq_desc *desc);	/* spurious polling */

/* ---- core/manage.c ---- */
void irqc__release_leftovers(void);
void irqc__disable_nosync(struct irq_desc *desc);
void irqc__enable_locked(struct irq_desc *desc);	/* enable_irq, desc->lock held */

/* ---- core/pm.c: wake-up and suspend ---- */
/* An event on a WAKE_ARMED line during suspend: record the wake-up. */
void irqc__pm_wakeup(struct irq_desc *desc);

/* ---- core/spurious.c ---- */
extern _Atomic int irqc_bogus_reports_left;	/* S1: per process, not per init */
/* cpu: whose statistics cells the caller (the line's owner) writes;
 * threads_handled: desc->threads_handled as read before the chain woke any
 * thread (S2: a thread woken by this event must not count for it). */
void irqc__note_interrupt_on(struct irq_desc *desc, irqreturn_t ret, unsigned int cpu,
			     uint32_t threads_handled);
void irqc__spurious_fini(void);
void irqc__spurious_reset(struct irq_desc *desc);

/* ---- core/tasklet.c ---- */
unsigned int irqc__run_tasklets(struct irqc_cpu *cpu);	/* returns how many ran */
void irqc__tasklets_drop(struct irqc_cpu *cpu);

/* ---- core/autoprobe.c ---- */
bool irqc__probe_hit(unsigned int irq);		/* true: armed, recorded */
int irqc__probe_init(void);
void irqc__probe_fini(void);

/* ---- the statistics cells a CPU writes (stats/export.c's layout) ---- */
/* A CPU is about to run a chain: true when this event is the one in
 * sample_every to time (then the countdown starts again). */
static inline bool irqc__exp_sample_due(void)
{
	if (likely(--irqc_exp_countdown > 0))
		return false;
	/* 0: nobody reads handler time (no segment): never time */
	irqc_exp_countdown = irqc_exp.sample_every ? (int32_t)irqc_exp.sample_every : INT32_MAX;
	return irqc_exp.sample_every != 0;
}

/* The owner of line desc on CPU cpu judged an event IRQ_NONE. */
static inline void irqc__exp_count_unhandled(struct irq_desc *desc, unsigned int cpu)
{
	irqc__inc_owned_n(irqc__exp_cell(irqc_exp.unhandled, cpu, desc->irq), 1);
}

/* A drain pass of CPU cpu (called by cpu_pass, as the CPU). */
static inline void irqc__exp_pass(struct irqc_cpu *cpu)
{
	irqc__inc_owned_n((_Atomic uint64_t *)&irqc_exp.cpus[cpu->id].passes, 1);
}

/* CPU cpu spent ns in its bottom halves (tasklets), as the CPU: busy_ns. */
static inline void irqc__exp_busy_add(struct irqc_cpu *cpu, uint64_t ns)
{
	irqc__inc_owned_n((_Atomic uint64_t *)&irqc_exp.cpus[cpu->id].busy_ns, ns);
}

#endif /* IRQCORE_CORE_H */
