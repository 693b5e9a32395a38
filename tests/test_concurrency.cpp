// Ops called from 8 threads at once (forward and backward, shared read-only inputs, each call
// itself split over the intra-op thread pool) give exactly the serial results, without deadlock.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <atomic>
#include <thread>

#include "op_table.h"

namespace torchact_test {
namespace {

// Forward output and input gradients of op on the given inputs.
std::vector<Tensor> run(const OpCase& op, const std::vector<Tensor>& values, const Tensor& grad) {
  Inputs in;
  for (const auto& v : values) in.push_back(v.detach().requires_grad_(true));
  const Tensor out = op.ours(in);
  std::vector<Tensor> results{out.detach()};
  const auto grads = torch::autograd::grad({out}, in, {grad});
  results.insert(results.end(), grads.begin(), grads.end());
  return results;
}

TEST(Concurrency, EightThreadsMatchSerialBitForBit) {
  torch::manual_seed(5);
  const int64_t n = 1 << 17;  // several intra-op tasks per call
  const Tensor a = torch::randn({n}) * 3, b = torch::randn({n}), packed = torch::randn({64, n / 32});
  const Tensor grad = torch::randn({n}), packed_grad = torch::randn({64, n / 64});

  struct Job {
    const OpCase* op;
    std::vector<Tensor> inputs;
    Tensor grad;
    std::vector<Tensor> expected;
  };
  std::vector<Job> jobs;
  for (const auto& op : op_table()) {
    Job job{&op, {}, grad, {}};
    if (op.arity == Arity::Packed) {
      job.inputs = {packed};
      job.grad = packed_grad;
    } else {
      job.inputs = op.arity == Arity::Gated ? std::vector<Tensor>{a, b} : std::vector<Tensor>{a};
    }
    job.expected = run(op, job.inputs, job.grad);  // serial
    jobs.push_back(job);
  }

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t j = 0; j < jobs.size(); ++j) {
          const Job& job = jobs[(j + t) % jobs.size()];  // threads hit different ops at once
          const auto results = run(*job.op, job.inputs, job.grad);
          for (size_t k = 0; k < results.size(); ++k) {
            if (!torch::equal(results[k], job.expected[k])) ++mismatches;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GE(at::get_num_threads(), 1);
}

// The CPU kernels give the same bits whatever the number of intra-op threads.
TEST(Concurrency, ResultsDoNotDependOnThreadCount) {
  torch::manual_seed(6);
  const int64_t n = (1 << 18) + 77;  // several blocks and a ragged end
  const Tensor a = torch::randn({n}) * 3, b = torch::randn({n}), grad = torch::randn({n});
  const int threads_before = at::get_num_threads();
  for (const auto& op : op_table()) {
    if (op.arity == Arity::Packed) continue;
    const std::vector<Tensor> inputs =
        op.arity == Arity::Gated ? std::vector<Tensor>{a, b} : std::vector<Tensor>{a};
    at::set_num_threads(1);
    const auto one = run(op, inputs, grad);
    at::set_num_threads(std::max(2, threads_before));
    const auto many = run(op, inputs, grad);
    for (size_t k = 0; k < one.size(); ++k) {
      EXPECT_TRUE(torch::equal(one[k], many[k])) << op.name << " result " << k;
    }
  }
  at::set_num_threads(threads_before);
}

}  // namespace
}  // namespace torchact_test
