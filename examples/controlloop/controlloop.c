/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * controlloop — the demo behind `make run`: a small real-time controller
 * whose interrupt sources are all irqcore lines.
 *
 *   control  a 1 kHz deadline timer line (IRQCORE_SRC_TIMER): each tick
 *            runs one step of a PID controller on a simulated first-order
 *            plant (a heater: tau 0.5 s); the set point steps every 2 s.
 *   shared   two simulated devices sharing one level-triggered line: each
 *            handler reads its own status register and returns IRQ_NONE
 *            when the interrupt was not its device's.
 *   sensor   a slow sensor "on a bus": a threaded ONESHOT handler (the bus
 *            transfer sleeps 2 ms); the line stays masked until it is done.
 *   worker   an eventfd line (IRQCORE_SRC_EVENTFD) a worker thread writes.
 *   uio      a UIO-style device simulated through a socketpair
 *            (IRQCORE_SRC_UIO): it sends its 4-byte event count and waits
 *            for the 4-byte 1 that irqcore writes back after the handler.
 *
 * Runs -t SECONDS (default 10); -Q holds /dev/cpu_dma_latency at 0 while
 * it runs (see pm_qos_hold). Prints a status line every second, then
 * the /proc/interrupts table, the control loop's missed deadlines and
 * lateness percentiles, and a legend. Watch it live with
 * `irqtop -p <pid>` (tools/irqtop) meanwhile.
 *
 * Uses only the public API (irqcore.h). Build:
 *   cc controlloop.c $(pkg-config --cflags --libs irqcore)
 */
#include <irqcore.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_NS	1000000ull	/* 1 kHz */
#define MAX_TICKS	(3600 * 1000)

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "controlloop: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static atomic_bool stop;

/* ---- the control loop: PID on a first-order plant, 1 ms steps ---- */

static struct {
	double y;			/* plant output (temperature) */
	double setpoint, integral, prev_err;
	double err_abs_sum;		/* for the status line */
	unsigned long steps;
	unsigned int *late_ns;		/* per tick, for the percentiles */
	atomic_ulong ticks;
} ctl = { .setpoint = 1.0 };

static irqreturn_t control_tick(int irq, void *dev)
{
	const double dt = PERIOD_NS / 1e9, kp = 4.0, ki = 8.0, kd = 0.01;
	const double tau = 0.5, gain = 1.0;
	unsigned long long late = now_ns() % PERIOD_NS;	/* deadlines: multiples */
	unsigned long n = atomic_load_explicit(&ctl.ticks, memory_order_relaxed);
	double err, u;

	(void)irq;
	(void)dev;
	if (n < MAX_TICKS)
		ctl.late_ns[n] = (unsigned int)late;
	if (n % 2000 == 0)				/* a set-point step every 2 s */
		ctl.setpoint = (n / 2000) % 2 ? 0.5 : 1.0;
	err = ctl.setpoint - ctl.y;
	ctl.integral += err * dt;
	u = kp * err + ki * ctl.integral + kd * (err - ctl.prev_err) / dt;
	ctl.prev_err = err;
	ctl.y += dt * (gain * u - ctl.y) / tau;		/* the plant, one Euler step */
	ctl.err_abs_sum += err < 0 ? -err : err;
	ctl.steps++;
	atomic_store_explicit(&ctl.ticks, n + 1, memory_order_release);
	return IRQ_HANDLED;
}

/* ---- two devices on one level-triggered line ---- */

struct dev {
	const char *name;
	atomic_uint status;		/* its interrupt status register */
	atomic_ulong served, not_mine;
};
static struct dev dev_a = { .name = "adc" }, dev_b = { .name = "dac" };
static unsigned int shared_irq;

static void shared_line_update(void)
{
	/* the wire: high while any device's status is set */
	irq_set_line(shared_irq, atomic_load(&dev_a.status) || atomic_load(&dev_b.status));
}

static irqreturn_t shared_handler(int irq, void *dev_id)
{
	struct dev *d = dev_id;

	(void)irq;
	if (!atomic_exchange(&d->status, 0)) {
		atomic_fetch_add(&d->not_mine, 1);
		return IRQ_NONE;	/* not my device: the other one's */
	}
	atomic_fetch_add(&d->served, 1);
	shared_line_update();		/* cleared: the wire may drop */
	return IRQ_HANDLED;
}

static void *shared_hw(void *arg)
{
	unsigned int seed = 1;

	(void)arg;
	while (!atomic_load(&stop)) {
		struct dev *d = rand_r(&seed) % 3 ? &dev_a : &dev_b;

		atomic_store(&d->status, 1);
		shared_line_update();
		sleep_ms(2 + rand_r(&seed) % 5);
	}
	return NULL;
}

/* ---- the slow sensor: threaded ONESHOT ---- */

static unsigned int sensor_irq;
static atomic_ulong sensor_reads;

static irqreturn_t sensor_thread(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	sleep_ms(2);			/* the bus transfer: may sleep here */
	atomic_fetch_add(&sensor_reads, 1);
	return IRQ_HANDLED;
}

static void *sensor_hw(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		irq_raise(sensor_irq);	/* "data ready", every 20 ms */
		sleep_ms(20);
	}
	return NULL;
}

/* ---- the eventfd worker ---- */

static int worker_fd;
static atomic_ulong worker_done;

static irqreturn_t worker_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&worker_done, 1);
	return IRQ_HANDLED;
}

static void *worker(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	while (!atomic_load(&stop)) {
		sleep_ms(5);		/* a job done: tell the loop */
		if (write(worker_fd, &one, sizeof(one)) < 0)
			break;
	}
	return NULL;
}

/* ---- the UIO-style device on a socketpair ---- */

static int uio_sv[2];
static atomic_ulong uio_irqs;

static irqreturn_t uio_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	atomic_fetch_add(&uio_irqs, 1);
	return IRQ_HANDLED;		/* irqcore then writes 1: re-enabled */
}

static void *uio_device(void *arg)
{
	uint32_t count = 0, v;

	(void)arg;
	while (!atomic_load(&stop)) {
		count++;
		if (send(uio_sv[1], &count, sizeof(count), MSG_NOSIGNAL) < 0)
			break;
		/* disabled until the driver writes 1 (UIO's irqcontrol) */
		while (!atomic_load(&stop) && recv(uio_sv[1], &v, sizeof(v), MSG_DONTWAIT) < 0)
			sleep_ms(1);
		sleep_ms(10);
	}
	return NULL;
}

/* SCHED_FIFO for the control loop's dispatcher thread, where allowed (a
 * PREEMPT_RT system gives it; elsewhere the demo runs SCHED_OTHER and
 * says so). */
static void rt_dispatcher(const char *comm_name)
{
	struct sched_param sp = { .sched_priority = 80 };
	char path[64], comm[32];
	bool done = false;

	for (int tid = getpid(); tid < getpid() + 64 && !done; tid++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, comm_name, strlen(comm_name))) {
			done = true;
			if (sched_setscheduler(tid, SCHED_FIFO, &sp))
				printf("controlloop: %s stays SCHED_OTHER (%s): expect missed "
				       "deadlines on a loaded machine\n", comm_name, strerror(errno));
			else
				printf("controlloop: %s runs SCHED_FIFO 80\n", comm_name);
		}
		fclose(f);
	}
}

/* -Q: a CPU wake-up latency requirement of 0 µs while the demo runs, as
 * cyclictest holds by default: idle CPUs poll instead of halting, so the
 * timer line's wake-up before each deadline comes on time (on a VM a
 * halted vCPU can wait a millisecond for its host). Machine-wide, so only
 * on request; the kernel drops it when the file closes (at exit). */
static void pm_qos_hold(void)
{
	int32_t zero = 0;
	int fd = open("/dev/cpu_dma_latency", O_RDWR | O_CLOEXEC);

	if (fd < 0 || write(fd, &zero, sizeof(zero)) != sizeof(zero)) {
		printf("controlloop: -Q: /dev/cpu_dma_latency: %s: running without it\n",
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	printf("controlloop: holding /dev/cpu_dma_latency at 0 us\n");	/* open until exit */
}

/* ---- reporting ---- */

/* A line's affinity in the kernel's /proc/irq/N/ formats (each call prints
 * its value and a newline). */
static void show_affinity(unsigned int irq, const char *what)
{
	printf("  irq %-4u %-9s smp_affinity      ", irq, what);
	irq_show_smp_affinity(irq, stdout);
	printf("%20s smp_affinity_list ", "");
	irq_show_smp_affinity_list(irq, stdout);
	printf("%20s effective_list    ", "");
	irq_show_effective_affinity_list(irq, stdout);
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

static unsigned int pct(const unsigned int *v, unsigned long n, double p)
{
	unsigned long i = (unsigned long)(p / 100.0 * (double)(n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

static const char legend[] =
	"Legend\n"
	"  /proc/interrupts table: one row per line with a handler; per CPU (dispatcher)\n"
	"    the number of times the line's flow ran there; then the chip (timer, eventfd,\n"
	"    uio: an irqcore source; irqcore: a soft line), the hwirq and the flow\n"
	"    (edge, level), then the handlers' names. ERR: events on lines with no handler.\n"
	"  Fewer runs than raises is normal: a raise that finds the line already pending\n"
	"    is coalesced into that one (as a real controller's pending bit does); the\n"
	"    handler sees one event and reads the device to find how much work there is.\n"
	"  'not mine' on the shared line is normal: both handlers run for each event and\n"
	"    the one whose device did not interrupt returns IRQ_NONE. Only a line where\n"
	"    nobody ever returns IRQ_HANDLED is disabled (\"nobody cared\").\n"
	"  missed deadlines: control ticks that could not run at their deadline because\n"
	"    the previous tick was still running or the CPU was late by a whole period;\n"
	"    they are skipped (the phase is kept), never run late in a burst.\n"
	"  lateness: deadline -> control handler entry. With a lead the dispatcher\n"
	"    sleeps until shortly before the deadline and spins the rest.\n";

int main(int argc, char **argv)
{
	struct irqcore_config cfg;
	struct irqcore_source src;
	struct irqcore_source_stats st;
	pthread_t th[4];
	unsigned int control_irq, worker_irq, uio_irq, seconds = 10;
	unsigned long last_ticks = 0, last_missed = 0;
	int opt, ret;

	while ((opt = getopt(argc, argv, "t:Qh")) != -1) {
		if (opt == 't') {
			seconds = (unsigned int)strtoul(optarg, NULL, 10);
		} else if (opt == 'Q') {
			pm_qos_hold();
		} else {
			fprintf(opt == 'h' ? stdout : stderr, "usage: controlloop [-t SECONDS] [-Q]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!seconds || seconds > 3600)
		seconds = 10;
	ctl.late_ns = calloc(MAX_TICKS, sizeof(*ctl.late_ns));
	if (!ctl.late_ns)
		die("calloc", ENOMEM);

	irqcore_config_init(&cfg);
	cfg.nr_cpus = 2;		/* dispatcher 0: the control loop; 1: the rest */
	cfg.nr_irqs = 64;
	if ((ret = irqcore_init(&cfg)))
		die("irqcore_init", ret);

	/* the control loop: a deadline timer line on CPU 0 */
	memset(&src, 0, sizeof(src));
	src.kind = IRQCORE_SRC_TIMER;
	src.fd = -1;
	src.period_ns = PERIOD_NS;
	src.lead_ns = 100000;
	if ((ret = irqcore_source_attach(-1, &src)) < 0)
		die("attach timer", ret);
	control_irq = (unsigned int)ret;
	{
		cpu_set_t zero;

		CPU_ZERO(&zero);
		CPU_SET(0, &zero);
		if ((ret = irq_set_affinity(control_irq, &zero)))
			die("irq_set_affinity", ret);
	}
	rt_dispatcher("irqcore/0");
	if ((ret = request_irq(control_irq, control_tick, IRQF_TIMER, "pid-control", NULL)))
		die("request control", ret);

	/* everything else on CPU 1 */
	{
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(1, &one);
		if ((ret = irq_alloc_desc(-1)) < 0)
			die("irq_alloc_desc", ret);
		shared_irq = (unsigned int)ret;
		if ((ret = irq_alloc_desc(-1)) < 0)
			die("irq_alloc_desc", ret);
		sensor_irq = (unsigned int)ret;
		irq_set_affinity(shared_irq, &one);
		irq_set_affinity(sensor_irq, &one);
		if ((ret = request_irq(shared_irq, shared_handler,
				       IRQF_SHARED | IRQF_TRIGGER_HIGH, dev_a.name, &dev_a)) ||
		    (ret = request_irq(shared_irq, shared_handler,
				       IRQF_SHARED | IRQF_TRIGGER_HIGH, dev_b.name, &dev_b)))
			die("request shared", ret);
		if ((ret = request_threaded_irq(sensor_irq, NULL, sensor_thread, IRQF_ONESHOT,
					       "i2c-sensor", NULL)))
			die("request sensor", ret);

		worker_fd = eventfd(0, EFD_CLOEXEC);
		memset(&src, 0, sizeof(src));
		src.kind = IRQCORE_SRC_EVENTFD;
		src.fd = worker_fd;
		if ((ret = irqcore_source_attach(-1, &src)) < 0)
			die("attach eventfd", ret);
		worker_irq = (unsigned int)ret;
		irq_set_affinity(worker_irq, &one);
		if ((ret = request_irq(worker_irq, worker_handler, 0, "worker", NULL)))
			die("request worker", ret);

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, uio_sv))
			die("socketpair", errno);
		memset(&src, 0, sizeof(src));
		src.kind = IRQCORE_SRC_UIO;
		src.fd = uio_sv[0];
		if ((ret = irqcore_source_attach(-1, &src)) < 0)
			die("attach uio", ret);
		uio_irq = (unsigned int)ret;
		irq_set_affinity(uio_irq, &one);
		if ((ret = request_irq(uio_irq, uio_handler, 0, "uio-dev", NULL)))
			die("request uio", ret);
	}

	pthread_create(&th[0], NULL, shared_hw, NULL);
	pthread_create(&th[1], NULL, sensor_hw, NULL);
	pthread_create(&th[2], NULL, worker, NULL);
	pthread_create(&th[3], NULL, uio_device, NULL);
	printf("controlloop: pid %d, %u s; watch with: irqtop -p %d\n", (int)getpid(), seconds,
	       (int)getpid());
	for (unsigned int s = 1; s <= seconds; s++) {
		unsigned long ticks, steps;
		double err;

		sleep_ms(1000);
		irqcore_source_get_stats(control_irq, &st);
		ticks = atomic_load(&ctl.ticks);
		steps = ctl.steps;
		err = steps ? ctl.err_abs_sum / (double)steps : 0;
		printf("[%2us] control %4lu ticks/s, missed %llu (+%llu), |error| %.4f, y %.3f -> %.1f"
		       " | shared %lu/%lu, sensor %lu, worker %lu, uio %lu\n", s,
		       ticks - last_ticks, st.missed, st.missed - last_missed, err, ctl.y,
		       ctl.setpoint, atomic_load(&dev_a.served), atomic_load(&dev_b.served),
		       atomic_load(&sensor_reads), atomic_load(&worker_done),
		       atomic_load(&uio_irqs));
		fflush(stdout);
		last_ticks = ticks;
		last_missed = st.missed;
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	irqcore_quiesce(2000);

	printf("\n");
	irq_show_interrupts(stdout);
	irqcore_source_get_stats(control_irq, &st);
	{
		unsigned long n = atomic_load(&ctl.ticks);

		if (n > MAX_TICKS)
			n = MAX_TICKS;
		qsort(ctl.late_ns, n, sizeof(*ctl.late_ns), cmp_uint);
		printf("\ncontrol loop: %llu ticks, %llu missed deadlines, lateness p50 %u ns, "
		       "p99 %u ns, p99.9 %u ns, max %u ns (late_max %llu ns), CPU 0 spinning "
		       "%.1f%%\n", st.events, st.missed, pct(ctl.late_ns, n, 50),
		       pct(ctl.late_ns, n, 99), pct(ctl.late_ns, n, 99.9),
		       pct(ctl.late_ns, n, 100), st.late_max_ns,
		       100.0 * (double)st.spin_ns / ((double)seconds * 1e9));
		printf("shared line: %s served %lu (IRQ_NONE %lu), %s served %lu (IRQ_NONE %lu)\n\n",
		       dev_a.name, atomic_load(&dev_a.served), atomic_load(&dev_a.not_mine),
		       dev_b.name, atomic_load(&dev_b.served), atomic_load(&dev_b.not_mine));
	}
	printf("affinity, as /proc/irq/N/ shows it:\n");
	show_affinity(control_irq, "control");
	show_affinity(shared_irq, "shared");
	show_affinity(sensor_irq, "sensor");
	printf("\n");
	fputs(legend, stdout);

	free_irq(control_irq, NULL);
	irqcore_source_detach(control_irq);
	free_irq(worker_irq, NULL);
	irqcore_source_detach(worker_irq);
	free_irq(uio_irq, NULL);
	irqcore_source_detach(uio_irq);
	free_irq(sensor_irq, NULL);
	free_irq(shared_irq, &dev_a);
	free_irq(shared_irq, &dev_b);
	irqcore_shutdown();
	close(worker_fd);
	close(uio_sv[0]);
	close(uio_sv[1]);
	free(ctl.late_ns);
	return 0;
}
