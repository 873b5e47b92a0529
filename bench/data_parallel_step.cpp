// What data parallelism costs on this machine: run under `mpirun -np R`, every rank trains
// Autoencoder<4> on its shard of a global batch under a DataParallel scope, and rank 0 prints one
// table row: the median step time, the bytes each step gathers, and the median time of a gather
// of that size alone (the communication a step cannot avoid). Not a Google Benchmark: a step is a
// collective, and every rank must take part in every repetition. Usage:
//   mpirun -np R data_parallel_step [--batch 256] [--steps 30] [--threads T]
// T defaults to the cores divided by R, so that R ranks do not oversubscribe the machine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "dae/autoencoder.hpp"
#include "dae/distributed/mpi_communicator.hpp"

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  dae::distributed::MpiSession session(argc, argv);
  const dae::distributed::MpiCommunicator world;
  Eigen::Index batch = 256;
  int steps = 30;
  int threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / world.size());
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--batch")
      batch = std::stol(argv[i + 1]);
    else if (flag == "--steps")
      steps = std::stoi(argv[i + 1]);
    else if (flag == "--threads")
      threads = std::stoi(argv[i + 1]);
  }
  dae::set_threads(threads);

  using Model = dae::Autoencoder<4>;
  Model model(0);
  model.train();
  const dae::distributed::Shard shard =
      dae::distributed::shard_of(batch, world.size(), world.rank());
  Model::Images noisy(shard.samples()), clean(shard.samples());
  for (Eigen::Index i = 0; i < noisy.batch() * 784; ++i) {
    clean.data()[i] = static_cast<float>((i * 37) % 255) / 255.0f;
    noisy.data()[i] = static_cast<float>((i * 91) % 255) / 255.0f;
  }

  // The bytes one step gathers: per chunk, every conv/linear weight and bias gradient (float);
  // per sample, 4 doubles per BatchNorm channel (two statistics forward, two sums backward) and
  // the sample's squared error (double).
  std::int64_t gradient_values = 0;
  int batch_norm_channels = 0;
  struct Counter {
    std::int64_t* gradients;
    int* channels;
    void parameter(const std::string& name, dae::Parameter<float>& p) {
      const bool batch_norm = name.find("encoder_cnn.3") != std::string::npos ||
                              name.find("decoder_conv.1") != std::string::npos ||
                              name.find("decoder_conv.4") != std::string::npos;
      if (!batch_norm)
        *gradients += p.value.size();
      else if (name.ends_with(".weight"))
        *channels += static_cast<int>(p.value.size());
    }
    void buffer(const std::string&, dae::Buffer<float>&) {}
    void counter(const std::string&, std::int64_t&) {}
  } counter{&gradient_values, &batch_norm_channels};
  model.visit_state(counter);
  const Eigen::Index chunks =
      (batch + dae::detail::kReductionChunk - 1) / dae::detail::kReductionChunk;
  const std::int64_t step_bytes =
      chunks * gradient_values * 4 + batch * (4 * batch_norm_channels + 1) * 8;

  std::vector<double> step_seconds, gather_seconds;
  for (int step = 0; step < steps + 3; ++step) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = std::chrono::steady_clock::now();
    {
      const dae::distributed::DataParallel scope(world, batch);
      model.train_step(noisy, clean);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (step >= 3) step_seconds.push_back(seconds_since(start));
  }
  // One gather of a step's bytes, split among the ranks as a step splits them.
  std::vector<int> counts(static_cast<std::size_t>(world.size()));
  for (int r = 0; r < world.size(); ++r) {
    const dae::distributed::Shard s = dae::distributed::shard_of(batch, world.size(), r);
    counts[static_cast<std::size_t>(r)] = static_cast<int>(step_bytes * s.samples() / batch);
  }
  std::int64_t total = 0;
  for (int c : counts) total += c;
  std::vector<std::byte> mine(
      static_cast<std::size_t>(counts[static_cast<std::size_t>(world.rank())]));
  std::vector<std::byte> all(static_cast<std::size_t>(total));
  for (int repetition = 0; repetition < steps + 3; ++repetition) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = std::chrono::steady_clock::now();
    world.allgather_bytes(mine, counts, all);
    if (repetition >= 3) gather_seconds.push_back(seconds_since(start));
  }
  if (world.rank() == 0)
    std::printf("| %d | %d | %ld | %.2f | %.2f | %.3f |\n", world.size(), threads,
                static_cast<long>(batch), 1e3 * median(step_seconds), step_bytes / 1e6,
                1e3 * median(gather_seconds));
  return 0;
}
