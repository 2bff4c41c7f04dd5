#pragma once
// Every wait of the NCCL communicator has a deadline: a rank whose peer died or hangs must end
// with one clear error instead of blocking forever in ncclCommInitRank or a collective. NCCL
// cannot tell a dead peer from a slow one, so the deadline is generous (a rank that finished
// its share waits in the first gather for the slowest rank) and set per job with
// GRAM_NCCL_TIMEOUT, in seconds (default 1800; read here, once).
//
//   if (!poll_until([&] { return cudaEventQuery(done) == cudaSuccess; }, timeout)) {
//     ncclCommAbort(comm);
//     throw Error(deadline_message("NCCL gather", timeout, identity));
//   }
#include <functional>
#include <string>

namespace gram::dist {

// GRAM_NCCL_TIMEOUT in seconds (> 0), or 1800 when unset. Throws gram::Error on a value that is
// not a positive number.
double nccl_timeout_seconds();

// Calls `done` until it returns true (then true), sleeping a little between calls, or until
// `timeout_seconds` have passed (then false). `done` may throw; the exception passes through.
bool poll_until(const std::function<bool()>& done, double timeout_seconds);

// "NCCL gather did not finish within 2.5 s (GRAM_NCCL_TIMEOUT): a peer rank is gone or stuck;
// the communicator was aborted (rank 1 of 2 on node7)"
std::string deadline_message(const std::string& what, double timeout_seconds,
                             const std::string& identity);

// "rank 1 of 2 on node7": how errors of the communicators name the rank.
std::string rank_identity(int rank, int size, const std::string& host);

}  // namespace gram::dist
