/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Engine hardening (issue "Engine hardening"), the findings that unit tests
 * can reach:
 *
 *  A (finding 5)  no public call waits for its own caller: from an irq
 *                 thread, a nested child running in its parent's thread, a
 *                 hard handler or a tasklet, a call that would wait on the
 *                 caller warns and refuses, or proceeds without waiting.
 *                 A deadlock shows as the test's (short) timeout.
 *  B (finding 8)  an irq thread carries its name "irq/<N>-<name>" by the time
 *                 request_threaded_irq() returns.
 *  C (finding 3)  a ONESHOT line is never unmasked while a woken thread run
 *                 of it is pending (a custom chip checks every unmask).
 *  D (finding 7)  irq_raise() allocates nothing, takes no mutex and makes no
 *                 system call, even as a thread's first raise and a line's
 *                 first raise (malloc & co., pthread_mutex_lock and
 *                 syscall() are interposed in this binary; skipped under a
 *                 sanitizer, which owns malloc).
 *
 * Finding 6 (64-bit counters) needs the torture build:
 * tests/torture/t_counters64.c.
 */
#include "util_thr.h"

#include <dlfcn.h>
#include <stdarg.h>

/* Bounded wait for a condition that a deadlock would keep false; shorter
 * than the tests' timeouts so that a deadlock fails with a line number. */
#define HW_WAIT(cond) do {                                                    \
	double hw_t0_ = th_now();                                             \
	while (!(cond) && th_now() - hw_t0_ < 15.0)                           \
		tt_pause();                                                   \
	if (!(cond))                                                          \
		th_fail(__FILE__, __LINE__, "still waiting for %s after 15 s " \
			"(deadlock?)", #cond);                                \
} while (0)

/* ===========================================================================
 * A. (finding 5) Calls that would wait for their own caller
 * ======================================================================== */

#define L_SELF	9

enum hw_op {
	OP_REQUEST_IRQ,		/* request_irq(L) of a second shared action */
	OP_REQUEST_THREADED,	/* request_threaded_irq(L) of a second action */
	OP_SET_PRIO,		/* irq_set_thread_priority(L, 0) */
	OP_SET_THREAD_AFF,	/* irq_set_thread_affinity(L, owner, NULL) */
	OP_DISABLE,		/* disable_irq(L) */
	OP_SYNC,		/* synchronize_irq(L) */
};

/* One blocking caller: a handler that waits for `go`, then makes `op`. */
static struct {
	int op;
	unsigned int target;		/* the line the op is about */
	void *owner;			/* dev_id of the caller's own action */
	atomic_int ran;			/* first run only makes the call */
	atomic_int entered;
	atomic_int go;
	atomic_int done;
	atomic_int res;
	struct ut_dev extra;		/* the action requested by the op */
	struct tt_dev extra_t;
} sw;

static void sw_init(int op, unsigned int target, void *owner, bool go)
{
	memset(&sw, 0, sizeof(sw));
	sw.op = op;
	sw.target = target;
	sw.owner = owner;
	atomic_store(&sw.go, go);
	atomic_store(&sw.res, 12345);
	ut_dev_init(&sw.extra, 77, IRQ_NONE);
	tt_dev_init(&sw.extra_t, 78);
	atomic_store(&sw.extra_t.hard_ret, IRQ_NONE);
}

static int sw_do_op(void)
{
	switch (sw.op) {
	case OP_REQUEST_IRQ:
		return request_irq(sw.target, ut_handler, IRQF_SHARED, "extra", &sw.extra);
	case OP_REQUEST_THREADED:
		return request_threaded_irq(sw.target, tt_hard, tt_thread_fn, IRQF_SHARED,
					    "extra", &sw.extra_t);
	case OP_SET_PRIO:
		return irq_set_thread_priority(sw.target, 0);
	case OP_SET_THREAD_AFF:
		return irq_set_thread_affinity(sw.target, sw.owner, NULL);
	case OP_DISABLE:
		disable_irq(sw.target);
		return 0;
	case OP_SYNC:
		synchronize_irq(sw.target);
		return 0;
	}
	return -EINVAL;
}

/* The body of every blocking handler: only its first run calls. */
static void sw_run(void)
{
	if (atomic_exchange(&sw.ran, 1))
		return;
	atomic_store(&sw.entered, 1);
	while (!atomic_load(&sw.go))
		tt_pause();
	atomic_store(&sw.res, sw_do_op());
	atomic_store(&sw.done, 1);
}

static irqreturn_t sw_thread_fn(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	sw_run();
	return IRQ_HANDLED;
}

static irqreturn_t sw_hard(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	sw_run();
	return IRQ_HANDLED;
}

static irqreturn_t sw_hard_wake(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return IRQ_WAKE_THREAD;
}

/* A warning that the call was refused because it would wait for itself. */
static int self_wait_warnings(void)
{
	return th_log_count("would wait for itself") + th_log_count("from IRQ context");
}

/* Start free_irq(irq, victim) in a helper thread and return once it has
 * unlinked the action (it then holds whatever it holds across its waits)
 * and had time to reach its wait; then release the blocked caller. */
static void free_then_release(struct tt_async *fa, unsigned int irq, void *victim,
			      unsigned int actions_before)
{
	tt_async_start(fa, tt_do_free_irq, irq, victim, NULL);
	HW_WAIT(ut_status(irq).nr_actions == actions_before - 1);
	ut_sleep_ms(50);
	atomic_store(&sw.go, 1);
}

/* The result of a request made from the line's own context: it either
 * succeeded (then the new action is freed here) or was refused with a
 * negative errno and a warning. */
static void check_request_result(unsigned int irq, void *extra_dev)
{
	int res = atomic_load(&sw.res);

	if (res == 0) {
		ASSERT_TRUE(free_irq(irq, extra_dev) != NULL);
		return;
	}
	ASSERT_LT(res, 0);
	ASSERT_GE(self_wait_warnings(), 1);
}

/*
 * An irq thread of L is blocked inside its thread_fn; free_irq(L, victim)
 * starts in a helper thread (and waits for that thread); then the thread_fn
 * makes `op` on L. Both calls must return.
 */
static void thread_op_while_free_waits(int op)
{
	struct tt_async fa;
	struct ut_dev victim;
	static int owner;

	ut_dev_init(&victim, 1, IRQ_HANDLED);
	sw_init(op, L_SELF, &owner, false);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_threaded_irq(L_SELF, sw_hard_wake, sw_thread_fn, IRQF_SHARED,
				       "self", &owner), 0);
	ASSERT_EQ(request_irq(L_SELF, ut_handler, IRQF_SHARED, "victim", &victim), 0);
	ut_fire(L_SELF);
	HW_WAIT(atomic_load(&sw.entered));
	free_then_release(&fa, L_SELF, &victim, 2);
	HW_WAIT(atomic_load(&sw.done));			/* the thread's call returned */
	HW_WAIT(atomic_load(&fa.done));			/* free_irq returned */
	tt_async_join(&fa);
	ASSERT_TRUE(fa.ret_ptr != NULL);
	ASSERT_STR_EQ((const char *)fa.ret_ptr, "victim");
	if (op == OP_REQUEST_IRQ)
		check_request_result(L_SELF, &sw.extra);
	else if (op == OP_REQUEST_THREADED)
		check_request_result(L_SELF, &sw.extra_t);
	/* SET_PRIO / SET_THREAD_AFF: may succeed or refuse, but returned */
	synchronize_irq(L_SELF);
	ASSERT_TRUE(free_irq(L_SELF, &owner) != NULL);
	irqcore_shutdown();
}

/* finding 5: request_irq from the line's own irq thread while free_irq waits */
TEST_T(a1_thread_request_irq_own_line_while_free_waits, 30)
{
	thread_op_while_free_waits(OP_REQUEST_IRQ);
}

/* finding 5: request_threaded_irq from the line's own irq thread while free_irq waits */
TEST_T(a1_thread_request_threaded_irq_own_line_while_free_waits, 30)
{
	thread_op_while_free_waits(OP_REQUEST_THREADED);
}

/* finding 5: irq_set_thread_priority from the line's own irq thread while free_irq waits */
TEST_T(a2_thread_set_priority_own_line_while_free_waits, 30)
{
	thread_op_while_free_waits(OP_SET_PRIO);
}

/* finding 5: irq_set_thread_affinity from the line's own irq thread while free_irq waits */
TEST_T(a2_thread_set_affinity_own_line_while_free_waits, 30)
{
	thread_op_while_free_waits(OP_SET_THREAD_AFF);
}

/*
 * A hard handler of L (dispatcher mode) is blocked; free_irq(L, victim)
 * starts (its grace period waits for that handler); then the handler makes
 * `op` on L. Both must return.
 */
static void hard_op_while_free_waits(int op)
{
	struct tt_async fa;
	struct ut_dev victim;
	struct tt_dev owner;

	ut_dev_init(&victim, 1, IRQ_HANDLED);
	tt_dev_init(&owner, 0);
	sw_init(op, L_SELF, &owner, false);
	ut_start_disp(2, 0);
	/* threaded, so that irq_set_thread_affinity has a thread to move */
	ASSERT_EQ(request_threaded_irq(L_SELF, sw_hard, tt_thread_fn, IRQF_SHARED,
				       "self", &owner), 0);
	ASSERT_EQ(request_irq(L_SELF, ut_handler, IRQF_SHARED, "victim", &victim), 0);
	ASSERT_EQ(irq_raise(L_SELF), 0);
	HW_WAIT(atomic_load(&sw.entered));
	free_then_release(&fa, L_SELF, &victim, 2);
	HW_WAIT(atomic_load(&sw.done));			/* the handler's call returned */
	HW_WAIT(atomic_load(&fa.done));			/* free_irq returned */
	tt_async_join(&fa);
	ASSERT_TRUE(fa.ret_ptr != NULL);
	ASSERT_STR_EQ((const char *)fa.ret_ptr, "victim");
	ut_quiesce();
	ASSERT_TRUE(free_irq(L_SELF, &owner) != NULL);
	irqcore_shutdown();
}

/* finding 5: irq_set_thread_priority from a hard handler of L while free_irq(L) waits */
TEST_T(a3_hard_set_priority_own_line_while_free_waits, 30)
{
	hard_op_while_free_waits(OP_SET_PRIO);
}

/* finding 5: irq_set_thread_affinity from a hard handler of L while free_irq(L) waits */
TEST_T(a3_hard_set_affinity_own_line_while_free_waits, 30)
{
	hard_op_while_free_waits(OP_SET_THREAD_AFF);
}

/* ---- nested children: the child runs in its parent's thread --------------- */

#define P_LINE	20
#define C_LINE	30

static int np_parent_dev, np_child_dev;
static atomic_int np_child_calls;

static irqreturn_t np_parent_fn(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	handle_nested_irq(C_LINE);
	return IRQ_HANDLED;
}

/* extra calls a child makes after sw's op, in its first run */
static atomic_int np_quiesce_res;
static const void *_Atomic np_free_res;
static atomic_int np_extra;

static irqreturn_t np_child_fn(int irq, void *dev_id)
{
	bool first = !atomic_load(&sw.ran);

	(void)irq;
	(void)dev_id;
	atomic_fetch_add(&np_child_calls, 1);
	sw_run();
	if (first && atomic_load(&np_extra)) {
		atomic_store(&np_quiesce_res, irqcore_quiesce(-1));
		atomic_store(&np_free_res, free_irq(P_LINE, &np_parent_dev));
	}
	return IRQ_HANDLED;
}

static void nested_setup(unsigned long pflags)
{
	atomic_store(&np_child_calls, 0);
	atomic_store(&np_quiesce_res, 12345);
	atomic_store(&np_free_res, (const void *)&np_free_res);
	ASSERT_EQ(request_threaded_irq(P_LINE, NULL, np_parent_fn, IRQF_ONESHOT | pflags,
				       "parent", &np_parent_dev), 0);
	ASSERT_EQ(irq_set_nested_thread(C_LINE, true), 0);
	ASSERT_EQ(request_threaded_irq(C_LINE, NULL, np_child_fn, IRQF_ONESHOT, "child",
				       &np_child_dev), 0);
}

static void nested_teardown(void)
{
	ASSERT_TRUE(free_irq(C_LINE, &np_child_dev) != NULL);
	ASSERT_TRUE(free_irq(P_LINE, &np_parent_dev) != NULL);
	irqcore_shutdown();
}

/* finding 5: disable_irq(parent) from a nested child's thread_fn (runs in the
 * parent's thread) must not wait for itself */
TEST_T(a4_nested_child_disable_parent_does_not_wait, 20)
{
	sw_init(OP_DISABLE, P_LINE, &np_child_dev, true);
	atomic_store(&np_extra, 0);
	ut_start_ext(1, 0);
	nested_setup(0);
	ut_fire(P_LINE);
	HW_WAIT(atomic_load(&sw.done));
	ASSERT_GE(th_log_count("would wait for itself"), 1);
	synchronize_irq(P_LINE);			/* the parent thread is done */
	ASSERT_EQ(ut_status(P_LINE).depth, 1);
	ASSERT_TRUE(ut_status(P_LINE).disabled);
	enable_irq(P_LINE);
	ASSERT_EQ(ut_status(P_LINE).depth, 0);
	ASSERT_FALSE(ut_status(P_LINE).disabled);
	ASSERT_FALSE(ut_status(P_LINE).masked);
	/* the line works again */
	ut_fire(P_LINE);
	synchronize_irq(P_LINE);
	ASSERT_EQ(atomic_load(&np_child_calls), 2);
	nested_teardown();
}

/* finding 5: synchronize_irq(parent), irqcore_quiesce and free_irq(parent)
 * from a nested child's thread_fn: return, refusing where they would wait */
TEST_T(a4_nested_child_synchronize_quiesce_free_parent, 20)
{
	sw_init(OP_SYNC, P_LINE, &np_child_dev, true);
	atomic_store(&np_extra, 1);
	ut_start_ext(1, 0);
	nested_setup(0);
	ut_fire(P_LINE);
	HW_WAIT(atomic_load(&sw.done));
	HW_WAIT(atomic_load(&np_quiesce_res) != 12345);
	HW_WAIT(atomic_load(&np_free_res) != (const void *)&np_free_res);
	synchronize_irq(P_LINE);
	ASSERT_GE(th_log_count("would wait for itself"), 1);	/* synchronize_irq */
	ASSERT_EQ(atomic_load(&np_quiesce_res), -EDEADLK);
	ASSERT_TRUE(atomic_load(&np_free_res) == NULL);
	ASSERT_EQ(th_log_count("Trying to free IRQ 20 from IRQ context!"), 1);
	ASSERT_EQ(ut_status(P_LINE).nr_actions, 1);
	ASSERT_EQ(ut_status(P_LINE).depth, 0);
	nested_teardown();
}

/* A nested child's thread_fn makes call `op` on its parent while free_irq of
 * another action of the parent waits for the parent's thread: both return. */
static void nested_child_op_while_free_waits(int op)
{
	struct tt_async fa;
	struct ut_dev victim;

	ut_dev_init(&victim, 1, IRQ_HANDLED);
	sw_init(op, P_LINE, &np_child_dev, false);
	atomic_store(&np_extra, 0);
	ut_start_ext(1, 0);
	nested_setup(IRQF_SHARED);
	/* joins the ONESHOT line through IRQF_COND_ONESHOT */
	ASSERT_EQ(request_irq(P_LINE, ut_handler, IRQF_SHARED, "victim", &victim), 0);
	ut_fire(P_LINE);
	HW_WAIT(atomic_load(&sw.entered));
	free_then_release(&fa, P_LINE, &victim, 2);
	HW_WAIT(atomic_load(&sw.done));
	HW_WAIT(atomic_load(&fa.done));
	tt_async_join(&fa);
	ASSERT_TRUE(fa.ret_ptr != NULL);
	ASSERT_STR_EQ((const char *)fa.ret_ptr, "victim");
	synchronize_irq(P_LINE);
	if (op == OP_REQUEST_IRQ)
		check_request_result(P_LINE, &sw.extra);
	nested_teardown();
}

/* finding 5: irq_set_thread_priority(parent) from a nested child's thread_fn */
TEST_T(a4_nested_child_set_parent_priority_while_free_waits, 30)
{
	nested_child_op_while_free_waits(OP_SET_PRIO);
}

/* finding 5: request_irq(parent) from a nested child's thread_fn */
TEST_T(a4_nested_child_request_parent_while_free_waits, 30)
{
	nested_child_op_while_free_waits(OP_REQUEST_IRQ);
}

/* ---- tasklets ---------------------------------------------------------------- */

#define L_TK	11

static struct tasklet_struct hw_tk;
static atomic_int tk_step, tk_quiesce_res, tk_runs;

static void tk_func(unsigned long data)
{
	unsigned int irq = (unsigned int)data;

	if (atomic_fetch_add(&tk_runs, 1))
		return;
	synchronize_irq(irq);
	atomic_store(&tk_step, 1);
	synchronize_hardirq(irq);
	atomic_store(&tk_step, 2);
	disable_irq(irq);
	atomic_store(&tk_step, 3);
	enable_irq(irq);
	atomic_store(&tk_step, 4);
	tasklet_kill(&hw_tk);		/* itself: would wait for itself */
	atomic_store(&tk_step, 5);
	atomic_store(&tk_quiesce_res, irqcore_quiesce(5000));
	atomic_store(&tk_step, 6);
}

static irqreturn_t tk_hard(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	tasklet_schedule(&hw_tk);
	return IRQ_WAKE_THREAD;
}

/* finding 5: a tasklet scheduled by L's hard handler calls synchronize_irq,
 * disable_irq and enable_irq on L, tasklet_kill on itself and irqcore_quiesce:
 * every call returns */
TEST_T(a5_tasklet_calls_on_its_line_return, 30)
{
	struct tt_dev d;
	int q;

	tt_dev_init(&d, 0);
	atomic_store(&tk_step, 0);
	atomic_store(&tk_runs, 0);
	atomic_store(&tk_quiesce_res, 12345);
	tasklet_init(&hw_tk, tk_func, L_TK);
	ut_start_disp(2, 0);
	ASSERT_EQ(request_threaded_irq(L_TK, tk_hard, tt_thread_fn, 0, "tk", &d), 0);
	ASSERT_EQ(irq_raise(L_TK), 0);
	HW_WAIT(atomic_load(&tk_step) == 6);
	ASSERT_GE(th_log_count("tasklet_kill"), 1);
	ASSERT_GE(th_log_count("would wait for itself"), 1);
	q = atomic_load(&tk_quiesce_res);
	ASSERT_TRUE(q == -EDEADLK || q == 0);	/* not -ETIMEDOUT: it did not wait for itself */
	ut_quiesce();
	ASSERT_EQ(ut_status(L_TK).depth, 0);
	ASSERT_EQ(tt_thread_done(&d), 1);
	tasklet_kill(&hw_tk);
	ASSERT_TRUE(free_irq(L_TK, &d) != NULL);
	irqcore_shutdown();
}

/* ---- hard handler and irq thread: the calls that exist today ---------------- */

#define L_HC	12

static struct {
	atomic_int ran, done;
	atomic_int quiesce_res, request_res;
	atomic_int disable_hardirq_res;
	const void *_Atomic free_res;
} hc;
static struct ut_dev hc_extra;

static void hc_calls(unsigned int irq, void *dev_id)
{
	synchronize_irq(irq);
	(void)synchronize_hardirq(irq);
	disable_irq(irq);
	enable_irq(irq);
	atomic_store(&hc.disable_hardirq_res, disable_hardirq(irq));
	enable_irq(irq);
	atomic_store(&hc.free_res, free_irq(irq, dev_id));
	atomic_store(&hc.quiesce_res, irqcore_quiesce(-1));
	irqcore_shutdown();		/* refused: we run inside the instance */
	atomic_store(&hc.done, 1);
}

static irqreturn_t hc_hard(int irq, void *dev_id)
{
	if (!atomic_exchange(&hc.ran, 1))
		hc_calls((unsigned int)irq, dev_id);
	return IRQ_HANDLED;
}

static irqreturn_t hc_thread_fn(int irq, void *dev_id)
{
	if (!atomic_exchange(&hc.ran, 1))
		hc_calls((unsigned int)irq, dev_id);
	return IRQ_HANDLED;
}

static void hc_reset(void)
{
	memset(&hc, 0, sizeof(hc));
	atomic_store(&hc.quiesce_res, 12345);
	atomic_store(&hc.free_res, (const void *)&hc);
	ut_dev_init(&hc_extra, 5, IRQ_NONE);
}

static void hc_check(void)
{
	HW_WAIT(atomic_load(&hc.done));
	ASSERT_TRUE(atomic_load(&hc.free_res) == NULL);
	ASSERT_EQ(th_log_count("Trying to free IRQ 12 from IRQ context!"), 1);
	ASSERT_EQ(atomic_load(&hc.quiesce_res), -EDEADLK);
	ASSERT_GE(th_log_count("would wait for itself"), 1);
	ut_quiesce();
	ASSERT_EQ(ut_status(L_HC).depth, 0);
	ASSERT_EQ(ut_status(L_HC).nr_actions, 1);
	ASSERT_EQ(irq_raise(L_HC), 0);		/* still running: shutdown refused */
	ut_quiesce();
}

/* finding 5: from a hard handler, synchronize/disable on its own line return,
 * free_irq returns NULL with a warning, irqcore_quiesce is -EDEADLK */
TEST_T(a6_hard_handler_self_calls_return, 20)
{
	static int dev;

	hc_reset();
	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(L_HC, hc_hard, 0, "hc", &dev), 0);
	ASSERT_EQ(irq_raise(L_HC), 0);
	hc_check();
	ASSERT_TRUE(free_irq(L_HC, &dev) != NULL);
	irqcore_shutdown();
}

/* finding 5: the same calls from the line's own irq thread */
TEST_T(a6_irq_thread_self_calls_return, 20)
{
	static int dev;

	hc_reset();
	ut_start_disp(2, 0);
	ASSERT_EQ(request_threaded_irq(L_HC, NULL, hc_thread_fn, IRQF_ONESHOT, "hc", &dev), 0);
	ASSERT_EQ(irq_raise(L_HC), 0);
	hc_check();
	ASSERT_FALSE(ut_status(L_HC).masked);
	ASSERT_TRUE(free_irq(L_HC, &dev) != NULL);
	irqcore_shutdown();
}

static atomic_int hr_res;
static struct ut_dev hr_extra;

static irqreturn_t hr_hard(int irq, void *dev_id)
{
	(void)dev_id;
	if (atomic_load(&hr_res) == 12345)
		atomic_store(&hr_res, request_irq((unsigned int)irq, ut_handler, IRQF_SHARED,
						  "extra", &hr_extra));
	return IRQ_HANDLED;
}

/* finding 5: request_irq from a hard handler is refused (it would wait on
 * the grace period of the section it runs in) */
TEST_T(a6_hard_handler_request_irq_refused, 20)
{
	static int dev;

	atomic_store(&hr_res, 12345);
	ut_dev_init(&hr_extra, 1, IRQ_NONE);
	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(L_HC, hr_hard, IRQF_SHARED, "hr", &dev), 0);
	ASSERT_EQ(irq_raise(L_HC), 0);
	HW_WAIT(atomic_load(&hr_res) != 12345);
	ut_quiesce();
	ASSERT_LT(atomic_load(&hr_res), 0);
	ASSERT_EQ(ut_status(L_HC).nr_actions, 1);
	ASSERT_TRUE(free_irq(L_HC, &dev) != NULL);
	irqcore_shutdown();
}

/* ===========================================================================
 * B. (finding 8) irq threads are named before the request returns
 * ======================================================================== */

#define NAME_ROUNDS 50

static void expect_thread_now(const char *exact, int round)
{
	bool found = false;

	ut_count_threads(exact, exact, &found);
	if (!found)
		th_fail(__FILE__, __LINE__, "round %d: no thread named \"%s\" right after "
			"the request returned", round, exact);
}

/* finding 8: "irq/<N>-<name>" exists when request_threaded_irq returns */
TEST_T(b_thread_named_when_request_returns, 60)
{
	static char names[NAME_ROUNDS][16];
	struct tt_dev d;
	char exact[32];

	tt_dev_init(&d, 0);
	ut_start_ext(1, 0);
	for (int i = 0; i < NAME_ROUNDS; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i);
		snprintf(exact, sizeof(exact), "irq/5-n%d", i);
		ASSERT_EQ(request_threaded_irq(5, tt_hard, tt_thread_fn, 0, names[i], &d), 0);
		expect_thread_now(exact, i);
		ASSERT_PTR_EQ(free_irq(5, &d), names[i]);
	}
	irqcore_shutdown();
}

/* finding 8: forced threading: the primary "irq/<N>-<name>" and the
 * secondary "irq/<N>-s-<name>" exist when the request returns */
TEST_T(b_forced_threads_named_when_request_returns, 60)
{
	static char names[NAME_ROUNDS][16], hnames[NAME_ROUNDS][16];
	struct tt_dev d;
	struct ut_dev h;
	char exact[32];

	tt_dev_init(&d, 0);
	ut_dev_init(&h, 1, IRQ_HANDLED);
	ut_start_ext(1, IRQCORE_F_THREADIRQS);
	for (int i = 0; i < NAME_ROUNDS; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d", i);
		snprintf(hnames[i], sizeof(hnames[i]), "h%d", i);
		ASSERT_EQ(request_threaded_irq(6, tt_hard, tt_thread_fn, 0, names[i], &d), 0);
		snprintf(exact, sizeof(exact), "irq/6-f%d", i);
		expect_thread_now(exact, i);
		snprintf(exact, sizeof(exact), "irq/6-s-f%d", i);
		expect_thread_now(exact, i);
		/* a plain request_irq is forced into a thread too */
		ASSERT_EQ(request_irq(7, ut_handler, 0, hnames[i], &h), 0);
		snprintf(exact, sizeof(exact), "irq/7-h%d", i);
		expect_thread_now(exact, i);
		ASSERT_PTR_EQ(free_irq(6, &d), names[i]);
		ASSERT_PTR_EQ(free_irq(7, &h), hnames[i]);
	}
	irqcore_shutdown();
}

/* ===========================================================================
 * C. (finding 3) A ONESHOT line is never unmasked under a pending thread run
 * ======================================================================== */

#define L_OS	13
#define OS_MAX	2

struct os_dev {
	atomic_int pending;	/* hard handler woke a run that has not started */
	atomic_int hard;
	atomic_int runs;
	bool toggle;		/* thread_fn: disable_irq_nosync + enable_irq */
	bool reraise;		/* ... with a raise latched in between */
	unsigned int seed;	/* jitter after the enable (thread_fn only) */
};

static struct os_dev osd[OS_MAX];
static int os_nr;
static atomic_int os_violations, os_unmasks, os_masks;
static atomic_bool os_stop;

static void os_chip_mask(struct irq_data *d)
{
	(void)d;
	atomic_fetch_add(&os_masks, 1);
}

static void os_chip_unmask(struct irq_data *d)
{
	(void)d;
	atomic_fetch_add(&os_unmasks, 1);
	for (int i = 0; i < os_nr; i++)
		if (atomic_load(&osd[i].pending))
			atomic_fetch_add(&os_violations, 1);
}

static const struct irq_chip os_chip = {
	.name = "oschip",
	.irq_mask = os_chip_mask,
	.irq_unmask = os_chip_unmask,
};

static irqreturn_t os_hard(int irq, void *dev_id)
{
	struct os_dev *d = dev_id;

	(void)irq;
	atomic_fetch_add(&d->hard, 1);
	atomic_store(&d->pending, 1);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t os_thread_fn(int irq, void *dev_id)
{
	struct os_dev *d = dev_id;
	int n;

	atomic_exchange(&d->pending, 0);
	n = atomic_fetch_add(&d->runs, 1);
	if (d->reraise && !atomic_load(&os_stop)) {
		/* One enable per run, while this run's bit keeps the line
		 * masked and nothing else is pending: the unmask it makes is
		 * legitimate. The latched raise replays at once, so a flow
		 * starts on the line's CPU while this thread goes on to
		 * finalize; a random delay sweeps the flow's start across the
		 * finalize's decision. */
		disable_irq_nosync((unsigned int)irq);
		irq_raise((unsigned int)irq);
		enable_irq((unsigned int)irq);
		d->seed = d->seed * 1103515245u + 12345u;
		for (volatile unsigned int i = (d->seed >> 16) % 3000u; i; i--)
			;
	} else if (d->toggle && (n & 1)) {
		disable_irq_nosync((unsigned int)irq);
		enable_irq((unsigned int)irq);
	}
	return IRQ_HANDLED;
}

static void *os_raiser(void *arg)
{
	double end = *(double *)arg;

	for (unsigned int i = 0; !atomic_load(&os_stop) && th_now() < end; i++) {
		irq_raise(L_OS);
		if ((i & 15) == 0)
			sched_yield();
	}
	return NULL;
}

static void *os_waker(void *arg)
{
	double end = *(double *)arg;

	for (unsigned int i = 0; !atomic_load(&os_stop) && th_now() < end; i++) {
		irq_wake_thread(L_OS, &osd[i % (unsigned int)os_nr]);
		if ((i & 7) == 0)
			sched_yield();
	}
	return NULL;
}

static void oneshot_stress(unsigned int nr_cpus, int idle, int nr_actions, bool waker,
			   bool toggle, bool reraise)
{
	struct irqcore_config c;
	pthread_t tr, tw;
	struct irq_status st;
	double end;
	int total_runs = 0, unmasks, violations;

	os_nr = nr_actions;
	for (int i = 0; i < OS_MAX; i++) {
		memset(&osd[i], 0, sizeof(osd[i]));
		osd[i].toggle = toggle;
		osd[i].reraise = reraise;
		osd[i].seed = 1u + (unsigned int)i;
	}
	atomic_store(&os_violations, 0);
	atomic_store(&os_unmasks, 0);
	atomic_store(&os_masks, 0);
	atomic_store(&os_stop, false);

	ut_config(&c, nr_cpus, 0);
	c.idle = idle;
	c.thread_priority = -1;		/* SCHED_OTHER: no RT starvation on small machines */
	c.no_pinning = true;		/* irq threads and CPUs in parallel, not on one PU */
	ASSERT_EQ(irqcore_init(&c), 0);
	th_log_reset();
	ASSERT_EQ(irq_set_chip_and_handler_name(L_OS, &os_chip, handle_edge_irq, NULL), 0);
	for (int i = 0; i < nr_actions; i++)
		ASSERT_EQ(request_threaded_irq(L_OS, os_hard, os_thread_fn,
					       IRQF_ONESHOT | (nr_actions > 1 ? IRQF_SHARED : 0),
					       "os", &osd[i]), 0);

	end = th_now() + 1.5 * th_stress_seconds() / 2.0;
	if (reraise) {
		/* self-sustaining: the first event starts the chain */
		ASSERT_EQ(irq_raise(L_OS), 0);
		while (th_now() < end)
			ut_sleep_ms(10);
		atomic_store(&os_stop, true);
	} else {
		ASSERT_EQ(pthread_create(&tr, NULL, os_raiser, &end), 0);
		if (waker)
			ASSERT_EQ(pthread_create(&tw, NULL, os_waker, &end), 0);
		pthread_join(tr, NULL);
		if (waker)
			pthread_join(tw, NULL);
	}

	/* Nothing may stay stuck: once everything is handled the line is
	 * unmasked and no ONESHOT bit is left. */
	for (int i = 0; i < 100; i++) {
		ASSERT_EQ(irqcore_quiesce(10000), 0);
		st = ut_status(L_OS);
		if (!st.masked && st.threads_oneshot == 0 && st.threads_active == 0)
			break;
		ut_sleep_ms(10);
	}
	st = ut_status(L_OS);
	for (int i = 0; i < nr_actions; i++)
		total_runs += atomic_load(&osd[i].runs);
	if (getenv("TH_VERBOSE"))
		fprintf(stderr, "  runs %d, hard %d, masks %d, unmasks %d, violations %d\n",
			total_runs, atomic_load(&osd[0].hard), atomic_load(&os_masks),
			atomic_load(&os_unmasks), atomic_load(&os_violations));
	unmasks = atomic_load(&os_unmasks);
	violations = atomic_load(&os_violations);
	ASSERT_GT(total_runs, 0);
	ASSERT_GT(unmasks, 0);
	ASSERT_EQ(violations, 0);	/* unmasked with a woken run pending */
	ASSERT_FALSE(st.masked);
	ASSERT_EQ(st.threads_oneshot, 0);
	ASSERT_EQ(st.threads_active, 0);
	ASSERT_EQ(st.depth, 0);
	for (int i = 0; i < nr_actions; i++)
		ASSERT_TRUE(free_irq(L_OS, &osd[i]) != NULL);
	irqcore_shutdown();
}

/* finding 3: raises and irq_wake_thread() (which does not mask) race the
 * thread's ONESHOT finalize: 2 CPUs, sleeping idle */
TEST_T(c_oneshot_no_unmask_under_pending_run_2cpus_sleep, 60)
{
	oneshot_stress(2, IRQCORE_IDLE_SLEEP, 1, true, false, false);
}

/* finding 3: the same on a shared ONESHOT line (two actions, two bits):
 * 4 CPUs, adaptive idle */
TEST_T(c_oneshot_no_unmask_under_pending_run_shared_4cpus_adaptive, 60)
{
	oneshot_stress(4, IRQCORE_IDLE_ADAPTIVE, 2, true, false, false);
}

/* finding 3: the thread_fn itself opens the line (disable_irq_nosync +
 * enable_irq every other run), so hard flows race its finalize: 3 CPUs */
TEST_T(c_oneshot_no_unmask_under_pending_run_enable_in_thread, 60)
{
	oneshot_stress(3, IRQCORE_IDLE_ADAPTIVE, 1, false, true, false);
}

/* finding 3: the thread_fn re-raises its line while it is disabled and
 * enables it, so that the replayed event's flow starts on a spinning CPU
 * just as the thread finalizes: the flow's wake-up must not be lost to the
 * finalize's decision (which would unmask with that run pending) */
TEST_T(c_oneshot_no_unmask_under_pending_run_reraise_spin, 60)
{
	oneshot_stress(1, IRQCORE_IDLE_SPIN, 1, false, false, true);
}

/* ===========================================================================
 * D. (finding 7) No allocation, lock or system call inside irq_raise()
 * ======================================================================== */

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define HW_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define HW_SANITIZED 1
#endif
#endif

#ifndef HW_SANITIZED

/* Counted only in a thread that armed them, only while armed. */
static _Thread_local int hw_armed;
static _Thread_local unsigned int hw_allocs, hw_locks, hw_syscalls;

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);
extern void __libc_free(void *p);

static inline void hw_count_alloc(void)
{
	if (hw_armed)
		hw_allocs++;
}

void *malloc(size_t n)
{
	hw_count_alloc();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	hw_count_alloc();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	hw_count_alloc();
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (p)
		hw_count_alloc();
	__libc_free(p);
}

void *aligned_alloc(size_t align, size_t n)
{
	hw_count_alloc();
	return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
	hw_count_alloc();
	return __libc_memalign(align, n);
}

void *valloc(size_t n)
{
	hw_count_alloc();
	return __libc_valloc(n);
}

void *pvalloc(size_t n)
{
	hw_count_alloc();
	return __libc_pvalloc(n);
}

int posix_memalign(void **pp, size_t align, size_t n)
{
	void *p;

	hw_count_alloc();
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*pp = p;
	return 0;
}

/* The real functions, looked up with dlsym(RTLD_NEXT) by a constructor
 * (never while armed); the lazy lookup is a fallback for calls made before. */
typedef int (*hw_lock_fn)(pthread_mutex_t *);
typedef int (*hw_rwlock_fn)(pthread_rwlock_t *);
typedef long (*hw_syscall_fn)(long, ...);
static hw_lock_fn _Atomic hw_real_lock, hw_real_trylock;
static hw_rwlock_fn _Atomic hw_real_rdlock, hw_real_wrlock;
static hw_syscall_fn _Atomic hw_real_syscall;

static void *hw_real(void *_Atomic *slot, const char *name)
{
	void *f = atomic_load(slot);

	if (!f) {
		f = dlsym(RTLD_NEXT, name);
		if (!f)
			abort();
		atomic_store(slot, f);
	}
	return f;
}

#define HW_REAL(var, name) \
	((__typeof__(atomic_load(&var)))hw_real((void *_Atomic *)&var, name))

__attribute__((constructor(101))) static void hw_resolve(void)
{
	(void)HW_REAL(hw_real_lock, "pthread_mutex_lock");
	(void)HW_REAL(hw_real_trylock, "pthread_mutex_trylock");
	(void)HW_REAL(hw_real_rdlock, "pthread_rwlock_rdlock");
	(void)HW_REAL(hw_real_wrlock, "pthread_rwlock_wrlock");
	(void)HW_REAL(hw_real_syscall, "syscall");
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (hw_armed)
		hw_locks++;
	return HW_REAL(hw_real_lock, "pthread_mutex_lock")(m);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	if (hw_armed)
		hw_locks++;
	return HW_REAL(hw_real_trylock, "pthread_mutex_trylock")(m);
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (hw_armed)
		hw_locks++;
	return HW_REAL(hw_real_rdlock, "pthread_rwlock_rdlock")(l);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (hw_armed)
		hw_locks++;
	return HW_REAL(hw_real_wrlock, "pthread_rwlock_wrlock")(l);
}

long syscall(long nr, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (hw_armed)
		hw_syscalls++;
	return HW_REAL(hw_real_syscall, "syscall")(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

struct raise_job {
	unsigned int irq;
	bool set_line;		/* irq_set_line(irq, 1) instead of irq_raise */
	int nr;			/* raises */
	int ret[2];
	unsigned int allocs, locks, syscalls;
};

static void raise_measured(struct raise_job *j)
{
	hw_allocs = hw_locks = hw_syscalls = 0;
	for (int i = 0; i < j->nr; i++) {
		hw_armed = 1;
		atomic_signal_fence(memory_order_seq_cst);
		j->ret[i] = j->set_line ? irq_set_line(j->irq, !i) : irq_raise(j->irq);
		atomic_signal_fence(memory_order_seq_cst);
		hw_armed = 0;
	}
	j->allocs = hw_allocs;
	j->locks = hw_locks;
	j->syscalls = hw_syscalls;
}

static void *raise_main(void *arg)
{
	raise_measured(arg);
	return NULL;
}

/* Raise from a thread that never raised before. */
static void raise_in_new_thread(struct raise_job *j)
{
	pthread_t t;

	ASSERT_EQ(pthread_create(&t, NULL, raise_main, j), 0);
	ASSERT_EQ(pthread_join(t, NULL), 0);
}

static void expect_clean(struct raise_job *j)
{
	for (int i = 0; i < j->nr; i++)
		ASSERT_EQ(j->ret[i], 0);	/* never -ENOMEM */
	ASSERT_EQ(j->allocs, 0);
	ASSERT_EQ(j->locks, 0);
	ASSERT_EQ(j->syscalls, 0);
}

static void hw_start_big(void)
{
	struct irqcore_config c;

	ut_config(&c, 1, 0);
	c.nr_irqs = 4096;
	ut_start_cfg_ext(&c);
}

#define HW_SKIP_IF_SANITIZED() do { } while (0)

#else /* HW_SANITIZED */

#define HW_SKIP_IF_SANITIZED() do {                                           \
	printf("  skipped under a sanitizer (it owns malloc)\n");             \
	return;                                                               \
} while (0)

#endif

/* finding 7: a new thread's first raise, on a line nobody ever touched (no
 * action, never requested, no descriptor asked for): no allocation, no
 * mutex, no system call, no -ENOMEM; twice */
TEST_T(d_first_raise_new_thread_untouched_line, 30)
{
	HW_SKIP_IF_SANITIZED();
#ifndef HW_SANITIZED
	struct raise_job j = { .irq = 3001, .nr = 2 };

	hw_start_big();
	raise_in_new_thread(&j);
	expect_clean(&j);
	ut_drain();
	ASSERT_EQ(ut_status(3001).raised, 2);
	irqcore_shutdown();
#endif
}

/* finding 7: a new thread's first raise of a requested line: the same */
TEST_T(d_first_raise_new_thread_requested_line, 30)
{
	HW_SKIP_IF_SANITIZED();
#ifndef HW_SANITIZED
	struct raise_job j = { .irq = 2000, .nr = 2 };
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	hw_start_big();
	ASSERT_EQ(request_irq(2000, ut_handler, 0, "d", &d), 0);
	raise_in_new_thread(&j);
	expect_clean(&j);
	ut_drain();
	ASSERT_GE(ut_calls(&d), 1);
	ASSERT_EQ(ut_status(2000).raised, 2);
	ASSERT_TRUE(free_irq(2000, &d) != NULL);
	irqcore_shutdown();
#endif
}

/* finding 7: the first raise of the attached CPU thread itself, on an
 * untouched line */
TEST_T(d_first_raise_attached_cpu_untouched_line, 30)
{
	HW_SKIP_IF_SANITIZED();
#ifndef HW_SANITIZED
	struct raise_job j = { .irq = 3500, .nr = 2 };

	hw_start_big();
	raise_measured(&j);
	expect_clean(&j);
	ut_drain();
	irqcore_shutdown();
#endif
}

struct many_job {
	unsigned int base;
	unsigned int allocs, locks, syscalls, bad;
};

#ifndef HW_SANITIZED
static void *many_main(void *arg)
{
	struct many_job *m = arg;

	hw_allocs = hw_locks = hw_syscalls = 0;
	for (unsigned int k = 0; k < 64; k++) {
		unsigned int irq = (m->base + k * 61u) % 4096u;
		int r;

		hw_armed = 1;
		atomic_signal_fence(memory_order_seq_cst);
		r = irq_raise(irq);
		atomic_signal_fence(memory_order_seq_cst);
		hw_armed = 0;
		if (r)
			m->bad++;
	}
	m->allocs = hw_allocs;
	m->locks = hw_locks;
	m->syscalls = hw_syscalls;
	return NULL;
}
#endif

/* finding 7: many fresh threads, each raising many lines for the first time
 * (spread over the whole range): nothing allocated, locked or called */
TEST_T(d_first_raises_many_threads_many_lines, 30)
{
	HW_SKIP_IF_SANITIZED();
#ifndef HW_SANITIZED
	struct many_job m[8];
	pthread_t t[8];

	hw_start_big();
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 8; i++) {
		m[i].base = 7u + (unsigned int)i * 509u;
		ASSERT_EQ(pthread_create(&t[i], NULL, many_main, &m[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(pthread_join(t[i], NULL), 0);
		ASSERT_EQ(m[i].bad, 0);		/* never -ENOMEM */
		ASSERT_EQ(m[i].allocs, 0);
		ASSERT_EQ(m[i].locks, 0);
		ASSERT_EQ(m[i].syscalls, 0);
	}
	ut_drain();
	irqcore_shutdown();
#endif
}

/* finding 7 (the same hot path through irq_set_line): a new thread's first
 * level transitions on an untouched line */
TEST_T(d_first_set_line_new_thread_untouched_line, 30)
{
	HW_SKIP_IF_SANITIZED();
#ifndef HW_SANITIZED
	struct raise_job j = { .irq = 3003, .nr = 2, .set_line = true };

	hw_start_big();
	raise_in_new_thread(&j);
	expect_clean(&j);
	ut_drain();
	irqcore_shutdown();
#endif
}
