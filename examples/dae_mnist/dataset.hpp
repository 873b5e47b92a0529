// The MNIST-format folder dae_mnist reads: train-{images-idx3,labels-idx1}-ubyte and
// t10k-{images-idx3,labels-idx1}-ubyte, each plain or .gz (MNIST, or Fashion-MNIST from Debian's
// dataset-fashion-mnist, which ships the same names gzipped).
#pragma once

#include <filesystem>
#include <string>

#include "dae/data/images.hpp"

namespace dae_mnist {

/// Finds `name` or `name.gz` in `folder`.
inline std::filesystem::path find_idx(const std::filesystem::path& folder, const std::string& name) {
  for (const auto& candidate : {folder / name, folder / (name + ".gz")}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  throw dae::Error("--data " + folder.string() + ": neither " + name + " nor " + name +
                   ".gz is there (run scripts/fetch_mnist.sh, or point --data at an MNIST-format folder)");
}

/// Loads images and labels of one part ("train" or "t10k"), checking 28x28 and equal counts.
inline dae::data::LabeledImages load_part(const std::filesystem::path& folder, const std::string& part) {
  auto set = dae::data::load_labeled_images(find_idx(folder, part + "-images-idx3-ubyte"),
                                            find_idx(folder, part + "-labels-idx1-ubyte"));
  set.images.require_size(28, 28);
  return set;
}

}  // namespace dae_mnist
