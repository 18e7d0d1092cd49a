// SPDX-License-Identifier: BSD-2-Clause
//
// gbench_shim.cc — the C interface of gbench_c.h over Google Benchmark.
// gb_state is a benchmark::State, gb_bench a benchmark::internal::Benchmark;
// the casts below are the whole trick. Nothing here is on a timed path
// except gb_keep_running*, which are one out-of-line call each.
#include "gbench_c.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

benchmark::State &S(gb_state *st) { return *reinterpret_cast<benchmark::State *>(st); }
gb_state *C(benchmark::State &s) { return reinterpret_cast<gb_state *>(&s); }
benchmark::internal::Benchmark *B(gb_bench *b)
{
	return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}
gb_bench *C(benchmark::internal::Benchmark *b) { return reinterpret_cast<gb_bench *>(b); }

// Libraries before 1.8 parse --benchmark_min_time as a plain number of
// seconds; 1.8 wants a unit ("0.2s", or "100x" for iterations). Makefiles
// pass the right form; this lets a hand-typed "0.2s" work on 1.7 too.
#ifndef GB_MIN_TIME_HAS_UNIT
std::string strip_min_time_unit(const char *arg)
{
	static const char flag[] = "--benchmark_min_time=";
	std::string s(arg);

	if (s.compare(0, sizeof(flag) - 1, flag) == 0 && s.size() > sizeof(flag) - 1 &&
	    s.back() == 's')
		s.pop_back();
	return s;
}
#endif

}  // namespace

extern "C" {

gb_bench *gb_register(const char *name, gb_fn fn, void *arg)
{
	return C(benchmark::RegisterBenchmark(
		name, [fn, arg](benchmark::State &s) { fn(C(s), arg); }));
}

gb_bench *gb_arg(gb_bench *b, long x) { return C(B(b)->Arg(x)); }
gb_bench *gb_arg_name(gb_bench *b, const char *name) { return C(B(b)->ArgName(name)); }
gb_bench *gb_range(gb_bench *b, long lo, long hi) { return C(B(b)->Range(lo, hi)); }
gb_bench *gb_range_multiplier(gb_bench *b, int m) { return C(B(b)->RangeMultiplier(m)); }
gb_bench *gb_threads(gb_bench *b, int n) { return C(B(b)->Threads(n)); }
gb_bench *gb_use_real_time(gb_bench *b) { return C(B(b)->UseRealTime()); }
gb_bench *gb_unit_ns(gb_bench *b) { return C(B(b)->Unit(benchmark::kNanosecond)); }

bool gb_keep_running(gb_state *st) { return S(st).KeepRunning(); }
bool gb_keep_running_batch(gb_state *st, long n)
{
	return S(st).KeepRunningBatch(static_cast<benchmark::IterationCount>(n));
}
long gb_get_arg(gb_state *st, int i) { return static_cast<long>(S(st).range(i)); }
long long gb_iterations(gb_state *st) { return static_cast<long long>(S(st).iterations()); }
int gb_thread_index(gb_state *st) { return S(st).thread_index(); }
int gb_threads_count(gb_state *st) { return S(st).threads(); }
void gb_pause_timing(gb_state *st) { S(st).PauseTiming(); }
void gb_resume_timing(gb_state *st) { S(st).ResumeTiming(); }
void gb_set_items_processed(gb_state *st, long long items) { S(st).SetItemsProcessed(items); }

void gb_counter(gb_state *st, const char *name, double value, int flags)
{
	S(st).counters[name] =
		benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(flags));
}

void gb_skip_with_error(gb_state *st, const char *msg) { S(st).SkipWithError(msg); }
bool gb_error_occurred(gb_state *st) { return S(st).error_occurred(); }

void gb_add_context(const char *key, const char *value)
{
	benchmark::AddCustomContext(key, value);
}

int gb_main(int argc, char **argv)
{
#ifndef GB_MIN_TIME_HAS_UNIT
	std::vector<std::string> args(argv, argv + argc);
	std::vector<char *> ptrs;

	for (auto &a : args) {
		a = strip_min_time_unit(a.c_str());
		ptrs.push_back(&a[0]);
	}
	ptrs.push_back(nullptr);
	argv = ptrs.data();
#endif
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}

}  // extern "C"
