/* SPDX-License-Identifier: BSD-2-Clause */
/* Lifecycle: irqcore_config_init, irqcore_init / irqcore_shutdown. */
#include "util.h"

#include <limits.h>

TEST(config_init_defaults)
{
	struct irqcore_config c;

	memset(&c, 0xa5, sizeof(c));
	irqcore_config_init(&c);
	ASSERT_EQ(c.nr_irqs, 1024);
	ASSERT_EQ(c.idle, IRQCORE_IDLE_SLEEP);
	ASSERT_EQ(c.flags, 0);
	ASSERT_TRUE(c.log == NULL);
	ASSERT_TRUE(c.log_arg == NULL);
	ASSERT_TRUE(c.cpu_map == NULL);
	ASSERT_FALSE(c.no_pinning);
	ASSERT_TRUE(c.clock_ns == NULL);
	ASSERT_TRUE(c.clock_arg == NULL);
	/* zero means default for the budget; otherwise the documented 50 us */
	ASSERT_TRUE(c.spin_budget_ns == 0 || c.spin_budget_ns == 50000);
	/* default: the PUs the process may run on (or 0 = decide at init) */
	ASSERT_TRUE(c.nr_cpus == 0 || (int)c.nr_cpus == ut_online_pus());
}

TEST_T(init_null_uses_defaults, 20)
{
	struct ut_dev d;
	bool found;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ASSERT_EQ(irqcore_init(NULL), 0);
	/* default nr_irqs 1024 */
	ASSERT_EQ(irq_raise(1024), -EINVAL);
	ASSERT_EQ(request_irq(1023, ut_handler, 0, "dflt", &d), 0);
	ASSERT_EQ(irq_raise(1023), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(ut_calls(&d), 1);
	/* default nr_cpus: one dispatcher per PU the process may run on */
	ASSERT_EQ(ut_count_threads("irqcore/", "irqcore/0", &found),
		  ut_online_pus());
	ASSERT_TRUE(found);
	ASSERT_TRUE(free_irq(1023, &d) != NULL);
	irqcore_shutdown();
}

static void one_cycle(bool external, unsigned int nr_irqs)
{
	struct irqcore_config c;
	struct ut_dev d;
	struct irq_status st;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_config(&c, 2, external ? IRQCORE_F_EXTERNAL_CPUS : 0);
	c.nr_irqs = nr_irqs;
	ASSERT_EQ(irqcore_init(&c), 0);
	if (external)
		ASSERT_EQ(irqcore_cpu_attach(0), 0);

	/* a fresh instance: nothing left from the previous one */
	st = ut_status(5);
	ASSERT_EQ(st.nr_actions, 0);
	ASSERT_EQ(st.count, 0);
	ASSERT_EQ(st.raised, 0);
	ASSERT_EQ(kstat_irqs_usr(5), 0);
	ASSERT_EQ(irq_raise(nr_irqs - 1), 0);	/* highest line exists */
	ASSERT_EQ(irq_raise(nr_irqs), -EINVAL);

	ASSERT_EQ(request_irq(5, ut_handler, 0, "cycle", &d), 0);
	if (external) {
		cpu_set_t m = ut_mask1(0);

		ASSERT_EQ(irq_set_affinity(5, &m), 0);
	}
	ASSERT_EQ(irq_raise(5), 0);
	ASSERT_EQ(irqcore_quiesce(10000), 0);
	ASSERT_EQ(ut_calls(&d), 1);
	ASSERT_EQ(ut_status(5).count, 1);
	ASSERT_TRUE(free_irq(5, &d) != NULL);
	if (external)
		ASSERT_EQ(irqcore_cpu_detach(), 0);
	irqcore_shutdown();
	ASSERT_EQ(irq_raise(5), -ENODEV);
}

TEST_T(init_shutdown_reinit, 30)
{
	one_cycle(true, 16);
	one_cycle(false, 2048);
	one_cycle(true, 1024);
	one_cycle(false, 64);
	ASSERT_EQ(ut_count_threads("irqcore/", NULL, NULL), 0);
}

TEST(init_twice_is_ebusy)
{
	struct irqcore_config c;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ut_config(&c, 1, IRQCORE_F_EXTERNAL_CPUS);
	ASSERT_EQ(irqcore_init(&c), -EBUSY);
	ASSERT_EQ(irqcore_init(NULL), -EBUSY);
	ut_config(&c, 3, 0);	/* another mode: still busy */
	ASSERT_EQ(irqcore_init(&c), -EBUSY);
	/* the running instance is untouched */
	ASSERT_EQ(ut_count_threads("irqcore/", NULL, NULL), 0);
	ASSERT_EQ(request_irq(3, ut_handler, 0, "busy", &d), 0);
	ut_fire(3);
	ASSERT_EQ(ut_calls(&d), 1);
	irqcore_shutdown();
}

static void expect_bad_config(const struct irqcore_config *c)
{
	ASSERT_EQ(irqcore_init(c), -EINVAL);
	/* nothing started */
	ASSERT_EQ(irq_raise(0), -ENODEV);
	ASSERT_EQ(ut_count_threads("irqcore/", NULL, NULL), 0);
}

TEST(bad_config_is_einval)
{
	struct irqcore_config c;
	struct ut_dev d;

	ut_config(&c, 2, 0);
	c.nr_irqs = IRQCORE_MAX_IRQS + 1;
	expect_bad_config(&c);
	ut_config(&c, 2, 0);
	c.nr_irqs = UINT_MAX;
	expect_bad_config(&c);

	ut_config(&c, 2, 0);
	c.idle = 3;
	expect_bad_config(&c);
	ut_config(&c, 2, 0);
	c.idle = -1;
	expect_bad_config(&c);

	ut_config(&c, 2, 0);
	c.flags |= IRQCORE_F_ALL + 1;	/* first unknown flag bit */
	expect_bad_config(&c);
	ut_config(&c, 2, 0);
	c.flags |= 0x80000000u;
	expect_bad_config(&c);
	ut_config(&c, 2, IRQCORE_F_EXTERNAL_CPUS);
	c.flags |= ~IRQCORE_F_ALL;
	expect_bad_config(&c);

	ut_config(&c, IRQCORE_MAX_CPUS + 1, 0);
	expect_bad_config(&c);

	/* a good configuration still starts afterwards */
	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(1, ut_handler, 0, "good", &d), 0);
	ut_fire(1);
	ASSERT_EQ(ut_calls(&d), 1);
	irqcore_shutdown();
}

/* coalesce_ns (D10): 20 by default, -1 none, 1..100000; anything else is
 * refused with a warning naming the field, and nothing starts. */
TEST(coalesce_ns_bounds)
{
	static const int bad[] = { -2, INT_MIN, 100001, INT_MAX };
	static const int good[] = { -1, 0, 1, 20, 100000 };
	struct irqcore_config c;
	struct ut_dev d;

	irqcore_config_init(&c);
	ASSERT_EQ(c.coalesce_ns, 20);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ut_config(&c, 1, 0);
		c.coalesce_ns = bad[i];
		th_log_reset();
		expect_bad_config(&c);
		ASSERT_EQ(th_log_count("coalesce_ns"), 1);
	}
	for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ut_dev_init(&d, 0, IRQ_HANDLED);
		ut_config(&c, 1, 0);
		c.coalesce_ns = good[i];
		ASSERT_EQ(irqcore_init(&c), 0);
		ASSERT_EQ(request_irq(1, ut_handler, 0, "co", &d), 0);
		for (int k = 0; k < 100; k++)
			ASSERT_EQ(irq_raise(1), 0);
		ASSERT_EQ(irqcore_quiesce(20000), 0);
		ASSERT_TRUE(ut_calls(&d) >= 1);
		ASSERT_EQ(ut_status(1).raised, 100);
		ASSERT_EQ(ut_status(1).count + ut_status(1).coalesced, 100);
		ASSERT_EQ((long long)ut_status(1).count, ut_calls(&d));
		irqcore_shutdown();
	}
}

TEST(nr_irqs_max_works)
{
	struct irqcore_config c;
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_config(&c, 1, 0);
	c.nr_irqs = IRQCORE_MAX_IRQS;
	ut_start_cfg_ext(&c);
	ASSERT_EQ(request_irq(65535, ut_handler, 0, "top", &d), 0);
	ASSERT_EQ(request_irq(65536, ut_handler, 0, "over", &d), -EINVAL);
	ASSERT_EQ(irq_raise(65536), -EINVAL);
	ut_fire(65535);
	ASSERT_EQ(ut_calls(&d), 1);
	ASSERT_EQ(atomic_load(&d.last_irq), 65535);
	ASSERT_EQ(kstat_irqs_usr(65535), 1);
	irqcore_shutdown();
}

TEST_T(more_cpus_than_cores, 30)
{
	int n = ut_online_pus() + 3;
	struct ut_dev *d;
	bool found;

	if (n < 8)
		n = 8;
	if (n > 64)
		n = 64;
	d = calloc((size_t)n, sizeof(*d));
	ASSERT_TRUE(d != NULL);
	ut_start_disp((unsigned int)n, 0);
	for (int i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "irqcore/%d", i);
		ASSERT_GE(ut_count_threads("irqcore/", name, &found), n);
		ASSERT_TRUE(found);
	}
	for (int i = 0; i < n; i++) {
		cpu_set_t m = ut_mask1(i);

		ut_dev_init(&d[i], i, IRQ_HANDLED);
		ASSERT_EQ(request_irq(100 + i, ut_handler, 0, "many", &d[i]), 0);
		ASSERT_EQ(irq_set_affinity(100 + i, &m), 0);
	}
	for (int i = 0; i < n; i++)
		ASSERT_EQ(irq_raise(100 + i), 0);
	ut_quiesce();
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(ut_calls(&d[i]), 1);
		ASSERT_EQ(atomic_load(&d[i].last_cpu), i);
		ASSERT_EQ(kstat_irqs_cpu(100 + i, i), 1);
	}
	for (int i = 0; i < n; i++)
		ASSERT_TRUE(free_irq(100 + i, &d[i]) != NULL);
	irqcore_shutdown();
	free(d);
}

TEST_T(dispatcher_thread_names, 20)
{
	bool found;

	ut_start_disp(3, 0);
	ASSERT_EQ(ut_count_threads("irqcore/", "irqcore/0", &found), 3);
	ASSERT_TRUE(found);
	ut_count_threads("irqcore/", "irqcore/1", &found);
	ASSERT_TRUE(found);
	ut_count_threads("irqcore/", "irqcore/2", &found);
	ASSERT_TRUE(found);
	ut_count_threads("irqcore/", "irqcore/3", &found);
	ASSERT_FALSE(found);
	irqcore_shutdown();
	/* the dispatchers are gone after shutdown */
	ASSERT_EQ(ut_count_threads("irqcore/", NULL, NULL), 0);
}

TEST(external_mode_starts_no_dispatchers)
{
	ut_start_ext(4, 0);
	ASSERT_EQ(ut_count_threads("irqcore/", NULL, NULL), 0);
	irqcore_shutdown();
}

static void api_without_instance(void)
{
	struct ut_dev d;
	struct irq_status st;
	cpu_set_t m = ut_mask1(0);
	unsigned long f;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ASSERT_EQ(irq_raise(0), -ENODEV);
	ASSERT_EQ(irq_raise(5), -ENODEV);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "early", &d), -ENODEV);
	ASSERT_EQ(request_threaded_irq(5, ut_handler, NULL, 0, "early", &d),
		  -ENODEV);
	ASSERT_LT(request_any_context_irq(5, ut_handler, 0, "early", &d), 0);
	ASSERT_LT(irq_set_line(5, 1), 0);
	ASSERT_LT(generic_handle_irq(5), 0);
	ASSERT_LT(irqcore_cpu_attach(0), 0);
	ASSERT_LT(irqcore_poll(), 0);
	ASSERT_LT(irq_get_status(5, &st), 0);
	ASSERT_LT(irq_set_affinity(5, &m), 0);
	ASSERT_LT(irq_set_irq_type(5, IRQ_TYPE_LEVEL_HIGH), 0);
	ASSERT_TRUE(free_irq(5, &d) == NULL);
	ASSERT_TRUE(irq_get_irq_data(5) == NULL);
	ASSERT_EQ(kstat_irqs_usr(5), 0);
	ASSERT_EQ(kstat_irqs_cpu(5, 0), 0);
	/* void ones must not crash */
	disable_irq(5);
	disable_irq_nosync(5);
	enable_irq(5);
	synchronize_irq(5);
	(void)synchronize_hardirq(5);
	(void)disable_hardirq(5);
	(void)irqcore_quiesce(10);
	(void)probe_irq_off(probe_irq_on());
	local_irq_save(f);
	local_irq_restore(f);
	out = open_memstream(&buf, &len);
	(void)irq_show_interrupts(out);
	(void)irq_show_stat_intr(out);
	(void)irq_show_spurious(5, out);
	fclose(out);
	free(buf);
	irqcore_shutdown();	/* no instance: a no-op */
	ASSERT_EQ(ut_calls(&d), 0);
}

TEST(api_before_init)
{
	api_without_instance();
}

TEST(api_after_shutdown)
{
	struct ut_dev d;

	ut_dev_init(&d, 0, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, 0, "x", &d), 0);
	ASSERT_TRUE(free_irq(5, &d) != NULL);
	irqcore_shutdown();
	api_without_instance();
	irqcore_shutdown();	/* twice: still a no-op */
}

TEST(shutdown_warns_and_frees_leftovers)
{
	struct ut_dev a, b, c, n;
	char *txt;
	int lines = 0;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_dev_init(&b, 1, IRQ_HANDLED);
	ut_dev_init(&c, 2, IRQ_HANDLED);
	ut_dev_init(&n, 3, IRQ_HANDLED);
	ut_start_ext(1, 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "leftA", &a), 0);
	ASSERT_EQ(request_irq(5, ut_handler, IRQF_SHARED, "leftB", &b), 0);
	ASSERT_EQ(request_irq(7, ut_handler, 0, "leftC", &c), 0);
	th_log_reset();
	irqcore_shutdown();

	/* one warning per leftover action, naming it */
	txt = strdup(th_log_text());
	for (char *p = txt; (p = strchr(p, '\n')); p++)
		lines++;
	ASSERT_GE(lines, 3);
	ASSERT_GE(th_log_count("leftA"), 1);
	ASSERT_GE(th_log_count("leftB"), 1);
	ASSERT_GE(th_log_count("leftC"), 1);
	free(txt);

	/* freed: a new instance starts with empty lines */
	ut_start_ext(1, 0);
	ASSERT_EQ(ut_status(5).nr_actions, 0);
	ASSERT_EQ(ut_status(7).nr_actions, 0);
	ASSERT_EQ(request_irq(7, ut_handler, 0, "new", &n), 0);
	ut_fire(7);
	ut_fire(5);
	ASSERT_EQ(ut_calls(&n), 1);
	ASSERT_EQ(ut_calls(&a) + ut_calls(&b) + ut_calls(&c), 0);
	irqcore_shutdown();
}

TEST_T(shutdown_dispatcher_mode_with_actions, 20)
{
	struct ut_dev a;

	ut_dev_init(&a, 0, IRQ_HANDLED);
	ut_start_disp(2, 0);
	ASSERT_EQ(request_irq(9, ut_handler, 0, "busyline", &a), 0);
	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(irq_raise(9), 0);
	th_log_reset();
	irqcore_shutdown();
	ASSERT_GE(th_log_count("busyline"), 1);
	ASSERT_EQ(ut_count_threads("irqcore/", NULL, NULL), 0);
	ASSERT_EQ(irq_raise(9), -ENODEV);
	{
		int before = ut_calls(&a);

		ut_sleep_ms(20);
		ASSERT_EQ(ut_calls(&a), before);
	}
}
