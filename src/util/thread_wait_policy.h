#pragma once
// Between two parallel regions, OpenMP's worker threads spin before they sleep (libgomp: about
// 300,000 iterations when OMP_WAIT_POLICY is unset). A supervision step is dozens of short
// regions, and on a machine whose cores are also busy with other work (another run, a build,
// ctest -j) the spinning workers take the cores from the thread with work to do: `gram bench`
// measured 10-20x lower throughput for small batches under such load. Sleeping waiters cost a
// futex wake per region instead.
//
// libgomp reads its policy once, when it is loaded, before main(); so when neither
// OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, gram sets OMP_WAIT_POLICY=passive and executes
// itself again (same process id, arguments and environment otherwise). Setting either variable
// keeps the user's choice; both are echoed into every result file's context block.
namespace gram {

void apply_default_thread_wait_policy(char** argv);

}  // namespace gram
