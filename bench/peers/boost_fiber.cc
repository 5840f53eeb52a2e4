// SPDX-License-Identifier: BSD-2-Clause
//
// Boost.Fiber as a peer: the libgoconc scheduler and channel benchmarks of
// the same workload, on Boost.Fiber's work-stealing scheduler
// (boost::fibers::algo::work_stealing over P threads) with its
// unbuffered_channel and buffered_channel. Output is Go's format with
// names prefixed BoostFiber (BenchmarkBoostFiberChanSync-2 ...), so
// bench/suite.sh puts them beside bench/sched and bench/chan.
//
//   CreateGoroutines  P chains of fibers, each spawns the next and ends
//   Gosched           two fibers yield to each other (one thread)
//   ChanSync          two fibers ping-pong on an unbuffered channel
//   ChanProdCons0     P producers, P consumers, unbuffered channel
//   ChanProdCons100   the same over a buffered channel of 128 (Boost
//                     wants a power of two; Go and libgoconc use 100)
//
// A work-stealing scheduler is installed once per thread and fixes the
// thread count, so each -cpu value runs in a child process of its own
// (this program re-executes itself with -cpu=P). Built only when
// configure finds libboost-fiber-dev.
#include <boost/fiber/all.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace bf = boost::fibers;

namespace
{

int procs = 1;

// The pool: procs threads (this one included) run fibers with work
// stealing; the others wait here until the program ends.
std::mutex pool_mu;
std::condition_variable pool_cv;
bool pool_stop = false;
std::vector<std::thread> pool;

// Every pool thread has its scheduler installed before fibers start.
struct barrier {
	std::mutex mu;
	std::condition_variable cv;
	int left;
	explicit barrier(int n) : left(n)
	{
	}
	void
	wait()
	{
		std::unique_lock<std::mutex> lk(mu);
		if (--left == 0)
			cv.notify_all();
		else
			cv.wait(lk, [this] { return left == 0; });
	}
};

void
pool_start(int n)
{
	barrier b(n);
	for (int i = 1; i < n; i++)
		pool.emplace_back([&b, n] {
			bf::use_scheduling_algorithm<bf::algo::work_stealing>(
				static_cast<std::uint32_t>(n));
			b.wait();
			std::unique_lock<std::mutex> lk(pool_mu);
			pool_cv.wait(lk, [] { return pool_stop; });
		});
	bf::use_scheduling_algorithm<bf::algo::work_stealing>(
		static_cast<std::uint32_t>(n));
	b.wait();
}

void
pool_end()
{
	{
		std::lock_guard<std::mutex> lk(pool_mu);
		pool_stop = true;
	}
	pool_cv.notify_all();
	for (auto &t : pool)
		t.join();
}

// Runs body(n) as a fiber and waits for everything it started (a count
// of live fibers, awaited with Boost's fiber-aware primitives).
struct group {
	bf::mutex mu;
	bf::condition_variable cv;
	long live = 0;
	void
	add(long k)
	{
		std::lock_guard<bf::mutex> lk(mu);
		live += k;
	}
	void
	done()
	{
		std::lock_guard<bf::mutex> lk(mu);
		if (--live == 0)
			cv.notify_all();
	}
	void
	wait()
	{
		std::unique_lock<bf::mutex> lk(mu);
		cv.wait(lk, [this] { return live == 0; });
	}
};

// ---- the workloads ------------------------------------------------------

void
create_chain(group *g, long n)
{
	if (n == 0) {
		g->done();
		return;
	}
	bf::fiber(bf::launch::post, create_chain, g, n - 1).detach();
}

void
bench_create(long n)
{
	group g;
	g.add(procs);
	for (int i = 0; i < procs; i++)
		bf::fiber(bf::launch::post, create_chain, &g, n / procs)
			.detach();
	g.wait();
}

void
bench_gosched(long n)
{
	// Two fibers on this thread (launch::dispatch keeps them local as
	// far as the algorithm allows), each yielding n / 2 times.
	group g;
	g.add(2);
	for (int k = 0; k < 2; k++)
		bf::fiber(bf::launch::dispatch, [&g, n] {
			for (long i = 0; i < n / 2; i++)
				boost::this_fiber::yield();
			g.done();
		}).detach();
	g.wait();
}

void
bench_chansync(long n)
{
	// Go's ChanSync: two fibers, one channel, alternating send/receive.
	bf::unbuffered_channel<int> c;
	group g;
	g.add(2);
	for (int k = 0; k < 2; k++)
		bf::fiber(bf::launch::post, [&, k] {
			int v = 0;
			for (long i = 0; i < n / 2; i++) {
				if (k == 0) {
					c.pop(v);
					c.push(v);
				} else {
					c.push(v);
					c.pop(v);
				}
			}
			g.done();
		}).detach();
	g.wait();
}

template <class Chan>
void
prodcons(long n, Chan &c)
{
	group g;
	std::atomic<long> left{n};
	g.add(2L * procs);
	for (int p = 0; p < procs; p++) {
		bf::fiber(bf::launch::post, [&] {
			while (left.fetch_sub(1, std::memory_order_relaxed) > 0)
				c.push(1);
			c.push(0); // one end mark per producer
			g.done();
		}).detach();
		bf::fiber(bf::launch::post, [&] {
			int v;
			while (c.pop(v) == bf::channel_op_status::success &&
			       v != 0)
				;
			g.done();
		}).detach();
	}
	g.wait();
}

void
bench_prodcons0(long n)
{
	bf::unbuffered_channel<int> c;
	prodcons(n, c);
}

void
bench_prodcons100(long n)
{
	bf::buffered_channel<int> c(128);
	prodcons(n, c);
}

struct bench {
	const char *name;
	void (*fn)(long);
};

const bench benches[] = {
	{"CreateGoroutines", bench_create},
	{"Gosched", bench_gosched},
	{"ChanSync", bench_chansync},
	{"ChanProdCons0", bench_prodcons0},
	{"ChanProdCons100", bench_prodcons100},
};

double
run(const bench &b, long n)
{
	auto t0 = std::chrono::steady_clock::now();
	b.fn(n);
	auto t1 = std::chrono::steady_clock::now();
	return std::chrono::duration<double, std::nano>(t1 - t0).count();
}

double
parse_seconds(const char *s)
{
	double v = std::atof(s);
	std::size_t l = std::strlen(s);
	if (l >= 2 && std::strcmp(s + l - 2, "ms") == 0)
		return v / 1e3;
	if (l >= 2 && std::strcmp(s + l - 2, "us") == 0)
		return v / 1e6;
	return v;
}

} // namespace

int
main(int argc, char **argv)
{
	std::string filter, cpus = "1";
	double benchtime = 1.0;
	long fixed = 0;
	int count = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (std::strncmp(a, "-test.", 6) == 0)
			a += 5;
		if (std::strncmp(a, "-bench=", 7) == 0)
			filter = a + 7;
		else if (std::strncmp(a, "-benchtime=", 11) == 0) {
			const char *v = a + 11;
			if (v[std::strlen(v) - 1] == 'x')
				fixed = std::atol(v);
			else
				benchtime = parse_seconds(v);
		} else if (std::strncmp(a, "-count=", 7) == 0)
			count = std::atoi(a + 7);
		else if (std::strncmp(a, "-cpu=", 5) == 0)
			cpus = a + 5;
		else if (std::strncmp(a, "-deadline=", 10) == 0)
			; // the workloads always finish
		else if (std::strcmp(a, "-list") == 0) {
			for (const bench &b : benches)
				std::printf("BenchmarkBoostFiber%s\n", b.name);
			return 0;
		} else {
			std::fprintf(
				stderr,
				"usage: %s [-bench=NAME] [-benchtime=1s|Nx] "
				"[-count=N] [-cpu=1,2] [-list]\n",
				argv[0]);
			return 2;
		}
	}
	if (filter == ".")
		filter.clear();

	// Several -cpu values: one child per value (see the top).
	if (cpus.find(',') != std::string::npos) {
		std::fflush(stdout);
		std::size_t pos = 0;
		while (pos <= cpus.size()) {
			std::size_t end = cpus.find(',', pos);
			if (end == std::string::npos)
				end = cpus.size();
			std::string one = "-cpu=" + cpus.substr(pos, end - pos);
			std::vector<char *> av(argv, argv + argc);
			av.push_back(const_cast<char *>(one.c_str()));
			av.push_back(nullptr);
			pid_t pid = fork();
			if (pid == 0) {
				execv("/proc/self/exe", av.data());
				_exit(127);
			}
			int st = 0;
			waitpid(pid, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				return 1;
			pos = end + 1;
		}
		return 0;
	}
	procs = std::atoi(cpus.c_str());
	if (procs < 1)
		procs = 1;

	pool_start(procs);
	for (const bench &b : benches) {
		if (!filter.empty() &&
		    std::strstr(b.name, filter.c_str()) == nullptr)
			continue;
		for (int k = 0; k < count; k++) {
			long n = fixed > 0 ? fixed : 1;
			double ns = run(b, n);
			while (fixed == 0 && ns < benchtime * 1e9 &&
			       n < 1000000000L) {
				double per = ns > 0 ? ns / n : 1;
				long next = static_cast<long>(benchtime * 1e9 /
							      per * 1.2);
				if (next > 100 * n)
					next = 100 * n;
				if (next <= n)
					next = n + 1;
				n = next;
				ns = run(b, n);
			}
			std::printf("%-40s %10ld %12.2f ns/op\n",
				    ("BenchmarkBoostFiber" +
				     std::string(b.name) + "-" +
				     std::to_string(procs))
					    .c_str(),
				    n, ns / n);
			std::fflush(stdout);
		}
	}
	pool_end();
	return 0;
}
