/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spinlock_t and bottom halves of include/irqcore/linux.h: mutual
 * exclusion between process threads and handlers, spin_lock_irqsave and
 * spin_lock_bh deferring an attached CPU's handlers and tasklets, flags by
 * name, guards, and the two checks (irq safety, misuse).
 */
#include "util.h"
#include "irqcore/linux.h"

static DEFINE_SPINLOCK(static_lock);

TEST(spin_basic_lock_trylock_unlock)
{
	spinlock_t l;

	ut_start_ext(1, 0);
	ASSERT_FALSE(spin_is_locked(&static_lock));
	spin_lock(&static_lock);
	ASSERT_TRUE(spin_is_locked(&static_lock));
	ASSERT_EQ(spin_trylock(&static_lock), 0);
	spin_unlock(&static_lock);
	ASSERT_EQ(spin_trylock(&static_lock), 1);
	spin_unlock(&static_lock);
	spin_lock_init(&l);
	ASSERT_FALSE(spin_is_locked(&l));
	raw_spin_lock(&l);
	ASSERT_TRUE(spin_is_locked(&l));
	raw_spin_unlock(&l);
	ASSERT_STR_EQ(th_log_text(), "");
	irqcore_shutdown();
}

TEST(spin_misuse_warns)
{
	spinlock_t l;

	ut_start_ext(1, 0);
	spin_lock_init(&l);
	spin_unlock(&l);
	ASSERT_EQ(th_log_count("spin_unlock(&l): the lock is not held"), 1);
	spin_lock(NULL);
	ASSERT_EQ(th_log_count("spin_lock(NULL)"), 1);
	ASSERT_EQ(spin_trylock(NULL), 0);
	local_bh_enable();
	ASSERT_EQ(th_log_count("local_bh_enable() without local_bh_disable()"), 1);
	irqcore_shutdown();
}

/* ---- exclusion between threads ---- */

static spinlock_t cnt_lock;
static unsigned long counter;		/* plain: the lock protects it */

static void *incr_thread(void *arg)
{
	unsigned long flags;

	for (int i = 0; i < 20000; i++) {
		if (i & 1) {
			spin_lock_irqsave(&cnt_lock, flags);
			counter++;
			spin_unlock_irqrestore(&cnt_lock, flags);
		} else {
			spin_lock(&cnt_lock);
			counter++;
			spin_unlock(&cnt_lock);
		}
	}
	(void)arg;
	return NULL;
}

static irqreturn_t incr_handler(int irq, void *dev_id)
{
	spin_lock(&cnt_lock);		/* a handler: irqs are off already */
	counter++;
	spin_unlock(&cnt_lock);
	return IRQ_HANDLED;
}

TEST_T(spin_excludes_threads_and_handlers, 120)
{
	pthread_t t[3];
	int dev;
	unsigned long long handled;

	ut_start_disp(2, 0);
	spin_lock_init(&cnt_lock);
	counter = 0;
	ASSERT_EQ(request_irq(7, incr_handler, 0, "incr", &dev), 0);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, incr_thread, NULL), 0);
	for (int i = 0; i < 20000; i++)
		irq_raise(7);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ut_quiesce();
	handled = ut_status(7).count;
	ASSERT_GT(handled, 0);
	spin_lock(&cnt_lock);
	ASSERT_EQ(counter, 3 * 20000 + handled);
	spin_unlock(&cnt_lock);
	free_irq(7, &dev);
	irqcore_shutdown();
}

/* ---- irqsave / bh on an attached CPU ---- */

static spinlock_t dev_lock;		/* handler <-> process */
static spinlock_t bh_lock;		/* tasklet <-> process */
static atomic_int handler_runs, tasklet_runs;

static void bh_fn(struct tasklet_struct *t)
{
	spin_lock(&bh_lock);		/* bottom halves are off in a tasklet */
	atomic_fetch_add(&tasklet_runs, 1);
	spin_unlock(&bh_lock);
}
static DECLARE_TASKLET(dev_tasklet, bh_fn);

static irqreturn_t dev_handler(int irq, void *dev_id)
{
	unsigned long flags;

	spin_lock_irqsave(&dev_lock, flags);
	atomic_fetch_add(&handler_runs, 1);
	spin_unlock_irqrestore(&dev_lock, flags);
	tasklet_schedule(&dev_tasklet);
	return IRQ_HANDLED;
}

TEST(spin_lock_irqsave_defers_this_cpus_handlers)
{
	unsigned long flags = 12345;
	int dev;

	ut_start_ext(1, 0);
	spin_lock_init(&dev_lock);
	spin_lock_init(&bh_lock);
	ASSERT_EQ(request_irq(5, dev_handler, 0, "dev", &dev), 0);
	ASSERT_FALSE(irqs_disabled());
	spin_lock_irqsave(&dev_lock, flags);
	ASSERT_TRUE(irqs_disabled());
	ASSERT_EQ(flags, 0);		/* the saved state: interrupts were on */
	ASSERT_EQ(irq_raise(5), 0);
	/* this CPU holds the lock: its handler must not run (on Linux it
	 * would deadlock spinning on it) */
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(atomic_load(&handler_runs), 0);
	spin_unlock_irqrestore(&dev_lock, flags);
	/* the restore ran the deferred poll: handler, then its tasklet */
	ASSERT_FALSE(irqs_disabled());
	ASSERT_EQ(atomic_load(&handler_runs), 1);
	ASSERT_EQ(atomic_load(&tasklet_runs), 1);
	/* spin_lock_irq / spin_unlock_irq: the same without flags */
	spin_lock_irq(&dev_lock);
	ASSERT_TRUE(irqs_disabled());
	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irqcore_poll(), 0);
	ASSERT_EQ(atomic_load(&handler_runs), 1);
	spin_unlock_irq(&dev_lock);
	ASSERT_EQ(atomic_load(&handler_runs), 2);
	ASSERT_EQ(atomic_load(&tasklet_runs), 2);
	ASSERT_EQ(th_log_count("spinlock"), 0);	/* used the irq-safe way */
	free_irq(5, &dev);
	irqcore_shutdown();
}

TEST(spin_lock_irqsave_nests_and_restores_flags)
{
	unsigned long f1, f2;
	spinlock_t a, b;

	ut_start_ext(1, 0);
	spin_lock_init(&a);
	spin_lock_init(&b);
	spin_lock_irqsave(&a, f1);
	spin_lock_irqsave(&b, f2);
	ASSERT_NE(f1, f2);
	spin_unlock_irqrestore(&b, f2);
	ASSERT_TRUE(irqs_disabled());
	spin_unlock_irqrestore(&a, f1);
	ASSERT_FALSE(irqs_disabled());
	ASSERT_EQ(spin_trylock_irqsave(&a, f1), 1);
	ASSERT_TRUE(irqs_disabled());
	spin_lock(&b);
	ASSERT_EQ(spin_trylock_irqsave(&b, f2), 0);	/* busy: restored */
	spin_unlock(&b);
	spin_unlock_irqrestore(&a, f1);
	ASSERT_FALSE(irqs_disabled());
	irqcore_shutdown();
}

TEST(spin_lock_bh_defers_this_cpus_tasklets)
{
	int dev;

	ut_start_ext(1, 0);
	spin_lock_init(&dev_lock);
	spin_lock_init(&bh_lock);
	atomic_store(&handler_runs, 0);
	atomic_store(&tasklet_runs, 0);
	ASSERT_EQ(request_irq(5, dev_handler, 0, "dev", &dev), 0);
	spin_lock_bh(&bh_lock);
	ASSERT_EQ(irq_raise(5), 0);
	ut_drain();
	/* hard handlers still run (interrupts are on), tasklets wait */
	ASSERT_EQ(atomic_load(&handler_runs), 1);
	ASSERT_EQ(atomic_load(&tasklet_runs), 0);
	spin_unlock_bh(&bh_lock);
	ASSERT_EQ(atomic_load(&tasklet_runs), 1);
	/* bare local_bh_disable nests */
	local_bh_disable();
	local_bh_disable();
	tasklet_hi_schedule(&dev_tasklet);
	ut_drain();
	local_bh_enable();
	ASSERT_EQ(atomic_load(&tasklet_runs), 1);
	local_bh_enable();
	ASSERT_EQ(atomic_load(&tasklet_runs), 2);
	ASSERT_EQ(th_log_count("spinlock"), 0);
	free_irq(5, &dev);
	irqcore_shutdown();
}

/* ---- the irq-safety check ---- */

static spinlock_t unsafe_lock;

static irqreturn_t unsafe_handler(int irq, void *dev_id)
{
	spin_lock(&unsafe_lock);
	spin_unlock(&unsafe_lock);
	return IRQ_HANDLED;
}

TEST(spin_irq_unsafe_use_warns_once)
{
	int dev;
	unsigned long flags;

	ut_start_ext(1, 0);
	spin_lock_init(&unsafe_lock);
	ASSERT_EQ(request_irq(5, unsafe_handler, 0, "dev", &dev), 0);
	ut_fire(5);
	/* irq-safe use elsewhere: no warning */
	spin_lock_irqsave(&unsafe_lock, flags);
	spin_unlock_irqrestore(&unsafe_lock, flags);
	ASSERT_EQ(th_log_count("spinlock"), 0);
	/* with interrupts on: the kernel's deadlock, warned once */
	spin_lock(&unsafe_lock);
	spin_unlock(&unsafe_lock);
	ASSERT_EQ(th_log_count("spinlock &unsafe_lock is taken in hard irq context"), 1);
	spin_lock(&unsafe_lock);
	spin_unlock(&unsafe_lock);
	ut_fire(5);
	ASSERT_EQ(th_log_count("spinlock"), 1);
	free_irq(5, &dev);
	irqcore_shutdown();
}

static spinlock_t bh_unsafe_lock;

static void bh_unsafe_fn(struct tasklet_struct *t)
{
	spin_lock(&bh_unsafe_lock);
	spin_unlock(&bh_unsafe_lock);
}

TEST(spin_bh_unsafe_use_warns)
{
	DECLARE_TASKLET(t, bh_unsafe_fn);

	ut_start_ext(1, 0);
	spin_lock_init(&bh_unsafe_lock);
	tasklet_schedule(&t);
	ut_drain();
	spin_lock_bh(&bh_unsafe_lock);		/* the right way: no warning */
	spin_unlock_bh(&bh_unsafe_lock);
	ASSERT_EQ(th_log_count("spinlock"), 0);
	spin_lock(&bh_unsafe_lock);
	spin_unlock(&bh_unsafe_lock);
	ASSERT_EQ(th_log_count("is taken in tasklet context"), 1);
	irqcore_shutdown();
}

/* ---- guards ---- */

static void locked_helper(spinlock_t *l, bool *was_locked)
{
	guard(spinlock_irqsave)(l);
	*was_locked = spin_is_locked(l) && irqs_disabled();
}

TEST(spin_guards_unlock_at_scope_end)
{
	spinlock_t l;
	bool inside = false;
	int n = 0;

	ut_start_ext(1, 0);
	spin_lock_init(&l);
	locked_helper(&l, &inside);
	ASSERT_TRUE(inside);
	ASSERT_FALSE(spin_is_locked(&l));
	ASSERT_FALSE(irqs_disabled());
	scoped_guard(spinlock, &l) {
		ASSERT_TRUE(spin_is_locked(&l));
		ASSERT_FALSE(irqs_disabled());
		n++;
	}
	ASSERT_EQ(n, 1);
	ASSERT_FALSE(spin_is_locked(&l));
	scoped_guard(spinlock_irq, &l) {
		ASSERT_TRUE(irqs_disabled());
		break;				/* leaving early unlocks too */
	}
	ASSERT_FALSE(spin_is_locked(&l));
	ASSERT_FALSE(irqs_disabled());
	{
		guard(irqsave)();
		guard(spinlock_bh)(&l);
		ASSERT_TRUE(irqs_disabled());
		ASSERT_TRUE(spin_is_locked(&l));
	}
	ASSERT_FALSE(irqs_disabled());
	ASSERT_FALSE(spin_is_locked(&l));
	irqcore_shutdown();
}
