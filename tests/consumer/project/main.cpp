// The downstream program of the consumer test: everything a first user does with the public API.
// It includes <dae/autoencoder.hpp>, trains Autoencoder<4> for one step on a few synthetic images,
// saves a checkpoint, loads it into a differently initialised model and checks that both now
// reconstruct identically, then writes the reconstructions as a PNG picture (which links the
// stb_image_write library dae::dae brings). Exits non-zero, with one line saying why, on any failure.
#include <dae/autoencoder.hpp>
#include <dae/io/image_grid.hpp>
#include <dae/io/png.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <span>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: app CHECKPOINT_PATH\n");
    return 2;
  }
  const std::filesystem::path checkpoint = argv[1];
  try {
    using Model = dae::Autoencoder<4>;
    constexpr int kImages = 8;
    Model::Images clean(kImages), noisy(kImages);
    // Image n: a bright 8x8 square at a position that depends on n, on a dark background.
    for (int n = 0; n < kImages; ++n) {
      float* image = clean.sample(n);
      for (int y = 0; y < 28; ++y) {
        for (int x = 0; x < 28; ++x) {
          const bool inside = y >= 2 * n && y < 2 * n + 8 && x >= 3 * n && x < 3 * n + 8;
          image[y * 28 + x] = inside ? 0.9f : 0.05f;
        }
      }
    }
    // The reference noise: clamp(x + 0.3 N(0,1), 0, 1), drawn by pixel coordinates.
    for (Eigen::Index i = 0; i < clean.matrix().size(); ++i) {
      const float value = clean.data()[i] + 0.3f * dae::normal_at(0, 0, static_cast<std::uint64_t>(i));
      noisy.data()[i] = std::clamp(value, 0.0f, 1.0f);
    }

    Model model(/*seed=*/1);
    model.train();
    const double before = model.loss(noisy, clean);
    const double loss = model.train_step(noisy, clean);
    if (!std::isfinite(loss) || loss != before) {
      std::fprintf(stderr, "app: train_step loss %g differs from the loss before it, %g\n", loss, before);
      return 1;
    }
    model.save(checkpoint);

    Model loaded(/*seed=*/2);
    loaded.load(checkpoint);
    model.eval();
    loaded.eval();
    Model::Images expected, actual;
    model.reconstruct(noisy, expected);
    loaded.reconstruct(noisy, actual);
    if (expected.matrix() != actual.matrix()) {
      std::fprintf(stderr, "app: the loaded checkpoint %s reconstructs differently\n", checkpoint.c_str());
      return 1;
    }
    const auto picture = std::filesystem::path(checkpoint).replace_extension(".png");
    dae::io::write_png(picture, dae::io::tile_images(std::span<const float>(actual.data(), static_cast<std::size_t>(actual.matrix().size())),
                                                     static_cast<int>(actual.batch()), 28, 28,
                                                     {.rows = 1, .cols = static_cast<int>(actual.batch())}));
    if (std::filesystem::file_size(picture) < 8) {
      std::fprintf(stderr, "app: %s is not a PNG file\n", picture.c_str());
      return 1;
    }
    std::printf("dae consumer: one train_step (loss %.6f), checkpoint saved and loaded, picture written: ok\n", loss);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "app: %s\n", error.what());
    return 1;
  }
}
