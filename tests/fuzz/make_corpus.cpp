// Writes the seed corpora of the fuzz targets, tests/fuzz/corpus/<target>/, with dae's own writers
// (plus the PyTorch-written reference checkpoint from tests/fixtures): small valid files of every
// kind each parser accepts, so that the fuzzers start from inputs that reach deep into the
// parsers instead of rediscovering the formats byte by byte. Deterministic: rerunning it rewrites
// the same bytes. Usage: make_corpus <corpus folder>.
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dae/autoencoder.hpp"
#include "dae/data/idx.hpp"
#include "dae/io/npy.hpp"
#include "dae/io/safetensors.hpp"
#include "fuzz_common.hpp"
#include "training_state.hpp"

namespace fs = std::filesystem;

namespace {

template <class Bytes>
void write(const fs::path& path, const Bytes& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& in) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(in.size())) + 32);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::vector<std::uint8_t> ramp(std::size_t n, int modulo) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i % static_cast<std::size_t>(modulo));
  return v;
}

void idx_corpus(const fs::path& dir) {
  using dae::data::IdxArray;
  const auto images = dae::data::serialize_idx(IdxArray{{3, 4, 4}, ramp(48, 256)});
  write(dir / "images_3x4x4.idx", images);
  write(dir / "images_3x4x4.idx.gz", gzip(images));
  write(dir / "images_none.idx", dae::data::serialize_idx(IdxArray{{0, 28, 28}, {}}));
  const auto labels = dae::data::serialize_idx(IdxArray{{10}, ramp(10, 10)});
  write(dir / "labels_10.idx", labels);
  // Two gzip members are one stream (gzip(1)): the second member carries the labels' tail.
  auto two = gzip({labels.begin(), labels.begin() + 9});
  const auto tail = gzip({labels.begin() + 9, labels.end()});
  two.insert(two.end(), tail.begin(), tail.end());
  write(dir / "labels_two_members.idx.gz", two);
  write(dir / "array_2x2x2x2.idx", dae::data::serialize_idx(IdxArray{{2, 2, 2, 2}, ramp(16, 7)}));
}

void npy_corpus(const fs::path& dir) {
  using dae::io::make_tensor;
  const std::vector<std::uint8_t> u8 = ramp(2 * 3 * 4, 256);
  write(dir / "u1_2x3x4.npy", serialize_npy(make_tensor<std::uint8_t>({2, 3, 4}, u8)));
  const std::vector<float> f32 = {0.f, 0.25f, 0.5f, 1.f, 0.125f, 0.75f, 0.f, 1.f};
  write(dir / "f4_2x1x2x2.npy", serialize_npy(make_tensor<float>({2, 1, 2, 2}, f32)));
  const std::vector<double> f64 = {1.5, -2.0, 3.25};
  write(dir / "f8_3.npy", serialize_npy(make_tensor<double>({3}, f64)));
  const std::vector<std::int32_t> i32 = {1, 2, 3, 4, 5, 6};
  write(dir / "i4_2x3.npy", serialize_npy(make_tensor<std::int32_t>({2, 3}, i32)));
  const std::vector<std::int64_t> i64 = {42};
  write(dir / "i8_scalar.npy", serialize_npy(make_tensor<std::int64_t>({}, i64)));
  write(dir / "f4_0x3.npy", serialize_npy(make_tensor<float>({0, 3}, std::span<const float>())));
  // Version 2.0 (a 4-byte header length), which NumPy writes for long headers.
  auto v1 = serialize_npy(make_tensor<std::int32_t>({6}, i32));
  std::vector<std::byte> v2(v1.begin(), v1.begin() + 8);
  v2[6] = std::byte{2};
  const std::size_t header_len = std::to_integer<std::size_t>(v1[8]) | std::to_integer<std::size_t>(v1[9]) << 8;
  for (int k = 0; k < 4; ++k) v2.push_back(static_cast<std::byte>((header_len + 2) >> (8 * k)));
  v2.insert(v2.end(), v1.begin() + 10, v1.begin() + 10 + static_cast<std::ptrdiff_t>(header_len) - 1);
  v2.push_back(std::byte{' '});
  v2.push_back(std::byte{' '});
  v2.push_back(std::byte{'\n'});
  v2.insert(v2.end(), v1.begin() + 10 + static_cast<std::ptrdiff_t>(header_len), v1.end());
  write(dir / "i4_6_v2.npy", v2);
}

void safetensors_corpus(const fs::path& dir) {
  using dae::io::make_tensor;
  dae::io::SafetensorsFile file;
  const std::vector<float> w = {0.5f, -1.f, 2.f, 0.f, 3.f, -0.25f};
  const std::vector<std::int64_t> count = {7};
  const std::vector<std::uint8_t> mask = {1, 0, 1};
  const std::vector<std::int16_t> small = {-3, 4};
  file.tensors["layer.weight"] = make_tensor<float>({2, 3}, w);
  file.tensors["layer.num_batches_tracked"] = make_tensor<std::int64_t>({}, count);
  file.tensors["mask"] = make_tensor<std::uint8_t>({3}, mask);
  file.tensors["pair"] = make_tensor<std::int16_t>({2}, small);
  file.tensors["empty"] = make_tensor<float>({0, 4}, std::span<const float>());
  write(dir / "mixed.safetensors", serialize_safetensors(file));
  file.metadata = {{"format", "pt"}, {"note", "quote \" backslash \\ tab \t"}};
  write(dir / "mixed_metadata.safetensors", serialize_safetensors(file));
  write(dir / "empty.safetensors", serialize_safetensors(dae::io::SafetensorsFile{}));
}

void model_corpus(const fs::path& dir, const fs::path& fixtures) {
  fs::create_directories(dir);
  dae::Autoencoder<4> model(0);
  model.save(dir / "autoencoder_seed0.safetensors");
  fs::copy_file(fixtures / "model" / "reference_checkpoint.safetensors",
                dir / "pytorch_reference_checkpoint.safetensors", fs::copy_options::overwrite_existing);
}

void training_state_corpus(const fs::path& dir) {
  // One Adam step on a fixed batch, so that the moments and the step counter are not zero.
  dae::Autoencoder<4> model(0);
  dae::Tensor<dae::Shape<1, 28, 28>> noisy(2), clean(2);
  for (Eigen::Index i = 0; i < noisy.matrix().size(); ++i) {
    clean.data()[i] = static_cast<float>(i % 29) / 28.f;
    noisy.data()[i] = static_cast<float>((i * 7) % 31) / 30.f;
  }
  model.train();
  model.train_step(noisy, clean);
  std::int64_t epoch = 1;
  auto state = dae::collect_state<float>(
      [&](auto& v) { dae_mnist::training_state::visit(model, epoch, v); });
  state.metadata = dae::fuzz::training_settings();
  write(dir / "training_state_epoch1.safetensors", serialize_safetensors(state));
  // A run stopped by Ctrl-C in its second epoch: the batches done and their loss sum as metadata.
  dae_mnist::training_state::add_epoch_in_progress(state, {.batches = 57, .loss_sum = 3.25, .seconds = 0.75});
  write(dir / "training_state_mid_epoch.safetensors", serialize_safetensors(state));
}

void labels_corpus(const fs::path& dir) {
  using dae::data::IdxArray;
  const auto idx = dae::data::serialize_idx(IdxArray{{12}, ramp(12, 10)});
  write(dir / "labels_12.idx", idx);
  write(dir / "labels_12.idx.gz", gzip(idx));
  const std::vector<std::uint8_t> u8 = ramp(5, 10);
  write(dir / "labels_u1.npy", serialize_npy(dae::io::make_tensor<std::uint8_t>({5}, u8)));
  const std::vector<std::int32_t> i32 = {9, 0, 3};
  write(dir / "labels_i4.npy", serialize_npy(dae::io::make_tensor<std::int32_t>({3}, i32)));
  const std::vector<std::int64_t> i64 = {4, 4, 1, 0};
  write(dir / "labels_i8.npy", serialize_npy(dae::io::make_tensor<std::int64_t>({4}, i64)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus <corpus folder>\n");
    return 2;
  }
  const fs::path root = argv[1];
  idx_corpus(root / "fuzz_idx");
  npy_corpus(root / "fuzz_npy");
  safetensors_corpus(root / "fuzz_safetensors");
  model_corpus(root / "fuzz_autoencoder_load", DAE_FIXTURE_DIR);
  training_state_corpus(root / "fuzz_training_state");
  labels_corpus(root / "fuzz_labels");
  return 0;
}
