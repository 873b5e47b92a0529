// Seeded index permutations: the train/validation split and the per-epoch shuffle. Both are
// Fisher-Yates over dae::Rng (Philox), so they are the same on every platform, and the shuffle of
// epoch e depends only on (seed, e): resuming a run at epoch e needs no random-generator state.
#pragma once

#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dae/error.hpp"
#include "dae/rng.hpp"

namespace dae::data {

/// Philox streams of the data pipeline, kept apart from each other and from initialisation.
inline constexpr std::uint64_t kSplitStream = 0x5B117;
inline constexpr std::uint64_t kShuffleStreamBase = 0x5B0FF1E000000000ull;

/// A random partition of [0, count) into a training part and a validation part.
struct Split {
  std::vector<std::int64_t> train;       ///< train_count indices
  std::vector<std::int64_t> validation;  ///< count - train_count indices
};

/// Shuffles `indices` in place (Fisher-Yates) with `rng`.
inline void shuffle(std::span<std::int64_t> indices, Rng& rng) {
  for (std::size_t i = indices.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.below(i));
    std::swap(indices[i - 1], indices[j]);
  }
}

/// Splits [0, count) at random into `train_count` training and the rest validation indices, like
/// torch.utils.data.random_split (the permutation itself differs: another generator).
/// @pre 0 < train_count < count
/// @throws dae::Error otherwise
inline Split random_split(std::int64_t count, std::int64_t train_count, std::uint64_t seed) {
  if (train_count <= 0 || train_count >= count) {
    throw Error("random_split: cannot take " + std::to_string(train_count) + " training images out of " +
                std::to_string(count) + " and keep some for validation");
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  Rng rng(seed, kSplitStream);
  shuffle(order, rng);
  Split split;
  split.train.assign(order.begin(), order.begin() + train_count);
  split.validation.assign(order.begin() + train_count, order.end());
  return split;
}

/// The order in which epoch `epoch` visits `indices`: a permutation that depends only on
/// (seed, epoch).
inline std::vector<std::int64_t> epoch_order(std::span<const std::int64_t> indices, std::uint64_t seed,
                                             std::uint64_t epoch) {
  std::vector<std::int64_t> order(indices.begin(), indices.end());
  Rng rng(seed, kShuffleStreamBase + epoch);
  shuffle(order, rng);
  return order;
}

}  // namespace dae::data
