// dae_mnist: the reference pipeline of docs/DESIGN.md from the command line.
//
//   dae_mnist run --data data/mnist --out runs/mnist     train, pictures, generate, encode, cluster, report
//   dae_mnist train|encode|reconstruct|generate|cluster  one step at a time
//
// Exit codes: 0 success, 1 bad data or a failed computation, 2 a mistake in the command line,
// 3 stopped by SIGINT/SIGTERM after saving a resumable state (interrupt.hpp). Every failure
// prints one line naming the file, field or flag.
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "pipeline.hpp"

#if defined(DAE_MNIST_WITH_CUDA)
namespace dae_mnist {
int cuda_model_command(const std::string& command, int argc, char** argv);  // cuda_main.cu
}
#endif

namespace {

using namespace dae_mnist;

constexpr const char* kUsage = R"(usage: dae_mnist <command> [flags]

commands:
  run         --data DIR --out DIR [train flags] [--k 10] [--n-init 20] [--max-iter 10000]
              [--neighbors 15] [--micro-clusters 150] [--restarts 8]
              the whole reference pipeline: train, pictures, generate, encode the training
              images, k-means and the graph clustering of their codes side by side,
              cluster-to-digit mappings, report.html
  train       --data DIR --out DIR [--epochs 30] [--batch 256] [--lr 1e-3] [--noise 0.3]
              [--seed 0] [--threads N] [--device cpu|cuda] [--val-fraction 0.2] [--resume]
  encode      --model FILE --images FILE [--device cpu|cuda] --out codes.npy
  reconstruct --model FILE --images FILE [--noise F --seed S] [--device cpu|cuda] --out images.npy
  generate    --model FILE [--n 9] [--seed 1] [--device cpu|cuda] --out grid.png
  cluster     --codes codes.npy --labels FILE [--method kmeans|graph] [--k 10] [--seed 0]
              [--threads N] --out DIR
              kmeans (default, the reference): [--n-init 20] [--max-iter 10000]
              graph: [--neighbors 15] [--micro-clusters 150] [--restarts 8]

--data is a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
and t10k-labels-idx1-ubyte (each plain or .gz); scripts/fetch_mnist.sh puts MNIST in data/mnist.
--images/--labels take IDX (plain or .gz) or .npy. --epochs is the total a run reaches: rerun an
interrupted command with --resume to finish it: Ctrl-C (SIGINT) or SIGTERM stops at the next
step, saves a resumable state and exits with status 3. One train or run at a time per --out
(a second one refuses). With --k above 10 (the number of classes) only
the majority mapping is scored: the greedy and Hungarian mappings are one-to-one.
)";

/// The value of --device (cpu unless given); Args checks the flag belongs to the command.
std::string requested_device(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    const std::string token = argv[i];
    if (token == "--device" && i + 1 < argc) return argv[i + 1];
    if (token.rfind("--device=", 0) == 0) return token.substr(9);
  }
  return "cpu";
}

int run_command(const std::string& command, int argc, char** argv) {
  if (command == "cluster") return cluster_command(argc, argv);
  const std::string device = requested_device(argc, argv);
  if (device == "cuda") {
#if defined(DAE_MNIST_WITH_CUDA)
    return cuda_model_command(command, argc, argv);
#else
    throw UsageError("--device cuda: this dae_mnist was built without the CUDA backend (no CUDA compiler was found)");
#endif
  }
  if (device != "cpu") throw UsageError("--device: '" + device + "' is not one of cpu, cuda");
  return model_command<dae::Autoencoder<4>>(command, argc, argv);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  ignore_file_size_signal();
  try {
    return run_command(argv[1], argc, argv);
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "dae_mnist: %s\n", e.what());
    return kInterruptedExit;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "dae_mnist: %s\n", e.what());
    return 2;
  } catch (const dae::Error& e) {
    std::fprintf(stderr, "dae_mnist: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "dae_mnist: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dae_mnist: %s\n", e.what());
    return 1;
  }
}
