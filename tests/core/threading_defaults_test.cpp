// The default threading configuration, as a user gets it without any flag or call: dae's own pool
// does all the parallel work and Eigen stays on the calling thread. This file is compiled with
// -fopenmp (see CMakeLists.txt) because that is the build in which Eigen would fork an OpenMP
// team inside every task of the pool: a 4.9x slower epoch with bit-identical results, which only
// a test of the configuration itself can catch.
#include <dirent.h>
#include <omp.h>

#include <Eigen/Core>
#include <atomic>
#include <catch2/catch.hpp>

#include "dae/autoencoder.hpp"
#include "dae/backend/cpu/parallel.hpp"
#include "dae/cluster/kmeans.hpp"
#include "dae/rng.hpp"

namespace {

/// The threads this process has right now (Linux: the entries of /proc/self/task).
int process_threads() {
  DIR* dir = opendir("/proc/self/task");
  REQUIRE(dir != nullptr);
  int count = 0;
  while (const dirent* entry = readdir(dir))
    if (entry->d_name[0] != '.') ++count;
  closedir(dir);
  return count;
}

}  // namespace

TEST_CASE("By default Eigen runs single-threaded inside dae and no OpenMP team is ever started",
          "[threads]") {
  // Eigen would use every core here: the build has OpenMP and nobody has called setNbThreads.
  REQUIRE(omp_get_max_threads() >= 1);
  dae::Autoencoder<4> model(3);
  dae::Rng rng(4);
  dae::Tensor<dae::Shape<1, 28, 28>> clean(64), noisy(64);
  for (Eigen::Index i = 0; i < clean.matrix().size(); ++i) {
    clean.data()[i] = rng.uniform();
    noisy.data()[i] = clean.data()[i];
  }
  model.train_step(noisy, clean);
  CHECK(Eigen::nbThreads() == 1);

  std::atomic<int> eigen_threads_in_tasks{0};
  dae::detail::parallel_ranges(
      8, [&](Eigen::Index, Eigen::Index) { eigen_threads_in_tasks.fetch_add(Eigen::nbThreads()); });
  CHECK(eigen_threads_in_tasks.load() == std::min(8, dae::threads()));

  // The pool's workers and this thread, nothing else: libgomp starts its team lazily, at the
  // first parallel region, so any OpenMP region run by Eigen or by k-means would show here.
  std::vector<float> points(4 * 5000);
  for (float& p : points) p = static_cast<float>(rng.normal());
  (void)dae::cluster::kmeans(points, 4, {.k = 5, .n_init = 4, .seed = 1});
  model.train_step(noisy, clean);
#if defined(__SANITIZE_THREAD__)
  constexpr int kSanitizerThreads = 1;  // ThreadSanitizer's own background thread
#else
  constexpr int kSanitizerThreads = 0;
#endif
  CHECK(process_threads() == dae::threads() + kSanitizerThreads);
}

TEST_CASE("A user's own Eigen thread count, set after dae started, is left alone", "[threads]") {
  dae::set_threads(2);  // the pool exists: from here on dae never touches Eigen's setting again
  Eigen::setNbThreads(3);
  dae::detail::parallel_ranges(4, [](Eigen::Index, Eigen::Index) {});
  CHECK(Eigen::nbThreads() == 3);
  Eigen::setNbThreads(1);
}
