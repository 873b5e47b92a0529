// dae_mnist: the reference pipeline of docs/DESIGN.md from the command line.
//
//   dae_mnist run --data data/mnist --out runs/mnist     train, pictures, generate, encode,
//   cluster, report dae_mnist train|encode|reconstruct|generate|traverse|cluster  one step at a
//   time
//
// The flags are declared in command_line.hpp (CLI11), which also prints --help and --version.
// Exit codes: 0 success, 1 bad data or a failed computation, 2 a mistake in the command line,
// 3 stopped by SIGINT/SIGTERM after saving a resumable state (interrupt.hpp). Every failure
// prints one line naming the file, field or flag.
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "command_line.hpp"
#include "pipeline.hpp"

#if defined(DAE_MNIST_WITH_CUDA)
namespace dae_mnist {
int cuda_model_command(const Command& command);  // cuda_main.cu
}
#endif

namespace {

using namespace dae_mnist;

int run_command(const Command& command) {
  if (command.name == "cluster") return cluster_command(command);
  if (command.device == "cuda") {
#if defined(DAE_MNIST_WITH_CUDA)
    return cuda_model_command(command);
#else
    throw UsageError("--device cuda: this dae_mnist was built without the CUDA backend (no CUDA compiler was found)");
#endif
  }
  return model_command<dae::Autoencoder<4>>(command);
}

}  // namespace

int main(int argc, char** argv) {
  ignore_file_size_signal();
  try {
    CommandLine command_line;
    if (const auto exit_code = command_line.parse(argc, argv)) return *exit_code;
    return run_command(command_line.command());
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
