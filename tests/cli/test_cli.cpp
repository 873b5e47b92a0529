// End-to-end tests of dae_mnist: the real binary, run on a synthetic dataset written in MNIST's
// exact IDX format (3,000 training and 500 test images of ten drawable classes, one file gzipped).
// Checks that training lowers the loss, every promised file exists and parses, --resume is bit
// for bit the same as training straight through, and that bad input gives one clear line, a
// non-zero exit and no damage to what was saved before.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dae/io/npy.hpp"
#include "dae/io/safetensors.hpp"
#include "cli/cli_harness.hpp"

namespace fs = std::filesystem;
using namespace dae_cli_test;

namespace {

#if defined(DAE_CLI_DEVICE)
constexpr int kTrainImages = 640, kTestImages = 200;  // the CUDA emulation runs kernels thread by thread
#else
constexpr int kTrainImages = 3000, kTestImages = 500;
#endif

const fs::path& dataset() {
  static const fs::path folder = [] {
    const auto f = work_dir() / "data";
    write_dataset(f, kTrainImages, kTestImages);
    return f;
  }();
  return folder;
}

const std::string kTrain = " --epochs 2 --batch 64 --threads 2 --seed 3";

/// The output folder of one `train` run, trained on first use.
const fs::path& trained() {
  static const fs::path out = [] {
    const auto folder = work_dir() / "trained";
    const auto r = dae_mnist("train --data " + dataset().string() + " --out " + folder.string() + kTrain);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return folder;
  }();
  return out;
}

}  // namespace

TEST_CASE("train lowers the loss and writes every promised file", "[cli][device]") {
  const auto& out = trained();
  const auto metrics = read_metrics(out / "metrics.jsonl");
  REQUIRE(metrics.size() == 2);
  for (const auto& m : metrics) {
    for (const char* key : {"epoch", "train_loss", "val_loss", "seconds", "images_per_second"}) CHECK(m.contains(key));
  }
  CHECK(metrics[1]["val_loss"].get<double>() < metrics[0]["val_loss"].get<double>());
  CHECK(metrics[1]["train_loss"].get<double>() < metrics[0]["train_loss"].get<double>());
  CHECK(dae::io::read_safetensors(out / "model.safetensors").tensors.size() == 35);
  CHECK(dae::io::read_safetensors(out / "training_state.safetensors").tensors.count("epoch") == 1);
  for (const char* picture : {"loss.png", "reconstructions/epoch_001.png", "reconstructions/epoch_002.png"}) {
    const auto png = bytes_of(out / picture);
    REQUIRE(png.size() > 8);
    CHECK(std::string(png.begin() + 1, png.begin() + 4) == "PNG");
  }
}

TEST_CASE("--resume continues bit for bit where the run stopped", "[cli][device]") {
  const auto straight = work_dir() / "straight", resumed = work_dir() / "resumed";
  const std::string common = " --data " + dataset().string() + " --batch 64 --threads 2 --seed 5";
  REQUIRE(dae_mnist("train" + common + " --out " + straight.string() + " --epochs 2").exit_code == 0);
  REQUIRE(dae_mnist("train" + common + " --out " + resumed.string() + " --epochs 1").exit_code == 0);
  const auto r = dae_mnist("train" + common + " --out " + resumed.string() + " --epochs 2 --resume");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(bytes_of(straight / "model.safetensors") == bytes_of(resumed / "model.safetensors"));
  CHECK(bytes_of(straight / "training_state.safetensors") == bytes_of(resumed / "training_state.safetensors"));
  CHECK(read_metrics(resumed / "metrics.jsonl").size() == 2);

  // A resumed run must use the same settings, and a fresh run must not overwrite a finished one.
  const auto before = bytes_of(resumed / "model.safetensors");
  expect_failure(dae_mnist("train" + common + " --out " + resumed.string() + " --epochs 3 --resume --lr 0.01"), 2, "--lr");
  expect_failure(dae_mnist("train" + common + " --out " + resumed.string() + " --epochs 3"), 2, "--resume");
  CHECK(bytes_of(resumed / "model.safetensors") == before);
}

TEST_CASE("encode, reconstruct, generate and cluster work on a trained model", "[cli][device]") {
  const auto out = work_dir() / "tools";
  fs::create_directories(out);
  const auto model = (trained() / "model.safetensors").string();
  const auto images = (dataset() / "t10k-images-idx3-ubyte").string();
  const auto labels = (dataset() / "t10k-labels-idx1-ubyte").string();

  REQUIRE(dae_mnist("encode --model " + model + " --images " + images + " --out " + (out / "codes.npy").string()).exit_code == 0);
  const auto codes = dae::io::read_npy(out / "codes.npy");
  const std::int64_t test_images = kTestImages;
  CHECK(codes.shape == std::vector<std::int64_t>{test_images, 4});
  CHECK(codes.dtype == dae::io::DType::F32);

  REQUIRE(dae_mnist("reconstruct --model " + model + " --images " + images + " --noise 0.3 --seed 2 --out " +
                    (out / "recon.npy").string()).exit_code == 0);
  const auto recon = dae::io::read_npy(out / "recon.npy");
  CHECK(recon.shape == std::vector<std::int64_t>{test_images, 1, 28, 28});
  const auto pixels = recon.values<float>();
  CHECK(*std::min_element(pixels.begin(), pixels.end()) >= 0.0f);
  CHECK(*std::max_element(pixels.begin(), pixels.end()) <= 1.0f);

  // The reconstructions are .npy float images: they go back in as --images.
  REQUIRE(dae_mnist("encode --model " + model + " --images " + (out / "recon.npy").string() + " --out " +
                    (out / "codes2.npy").string()).exit_code == 0);

  REQUIRE(dae_mnist("generate --model " + model + " --n 9 --seed 4 --out " + (out / "grid.png").string()).exit_code == 0);
  CHECK(bytes_of(out / "grid.png").size() > 100);

  const auto cluster_dir = out / "clusters";
  const auto r = dae_mnist("cluster --codes " + (out / "codes.npy").string() + " --labels " + labels +
                           " --k 10 --n-init 4 --out " + cluster_dir.string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(cluster_dir / "clusters.json");
  const auto j = nlohmann::json::parse(in);
  for (const char* key : {"inertia", "iterations", "accuracy_raw", "accuracy_greedy", "accuracy_hungarian", "nmi",
                          "ari", "mapping_greedy", "mapping_hungarian", "confusion_matrix_greedy"}) {
    CHECK(j.contains(key));
  }
  CHECK(j["accuracy_hungarian"].get<double>() >= j["accuracy_greedy"].get<double>() - 1e-12);
  CHECK(dae::io::read_npy(cluster_dir / "assignments.npy").shape == std::vector<std::int64_t>{test_images});
  CHECK(fs::exists(cluster_dir / "confusion.png"));
  CHECK(fs::exists(cluster_dir / "latent.png"));

  // The graph clustering of the same codes: the same scores, plus its modularity and restarts.
  const auto graph_dir = out / "clusters_graph";
  const auto g = dae_mnist("cluster --codes " + (out / "codes.npy").string() + " --labels " + labels +
                           " --method graph --restarts 3 --out " + graph_dir.string());
  INFO(g.err);
  REQUIRE(g.exit_code == 0);
  std::ifstream graph_in(graph_dir / "clusters.json");
  const auto gj = nlohmann::json::parse(graph_in);
  CHECK(gj["method"] == "graph");
  CHECK(gj["restart_modularity"].size() == 3);
  for (const char* key : {"modularity", "accuracy_raw", "accuracy_greedy", "accuracy_hungarian", "nmi", "ari",
                          "mapping_greedy", "mapping_hungarian", "confusion_matrix_greedy", "seconds"}) {
    CHECK(gj.contains(key));
  }
  CHECK(dae::io::read_npy(graph_dir / "assignments.npy").shape == std::vector<std::int64_t>{test_images});

  // More clusters than digits: the majority mapping is scored, the one-to-one ones say why not.
  const auto many_dir = out / "clusters_k12";
  const auto many = dae_mnist("cluster --codes " + (out / "codes.npy").string() + " --labels " + labels +
                              " --k 12 --n-init 2 --out " + many_dir.string());
  INFO(many.err);
  REQUIRE(many.exit_code == 0);
  CHECK(many.err.find("need k <= 10") != std::string::npos);
  std::ifstream many_in(many_dir / "clusters.json");
  const auto mj = nlohmann::json::parse(many_in);
  CHECK(mj["accuracy_greedy"].is_null());
  CHECK(mj["accuracy_hungarian"].is_null());
  CHECK(mj["accuracy_majority"].get<double>() > 0.0);
  CHECK(mj["mapping_majority"].size() == 12);
}

TEST_CASE("cluster: bad method, k and codes give one line and the right exit code", "[cli]") {
  const auto codes = work_dir() / "few_codes.npy";
  const auto labels = work_dir() / "few_labels.npy";
  std::vector<float> values(40 * 4);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 7) * 0.5f;
  std::vector<std::int64_t> classes(40);
  for (std::size_t i = 0; i < classes.size(); ++i) classes[i] = static_cast<std::int64_t>(i % 10);
  dae::io::write_npy<float>(codes, {40, 4}, values);
  dae::io::write_npy<std::int64_t>(labels, {40}, classes);
  const std::string inputs = " --codes " + codes.string() + " --labels " + labels.string() + " --out " +
                             (work_dir() / "few").string();
  expect_failure(dae_mnist("cluster" + inputs + " --method spectral"), 2, "--method");
  expect_failure(dae_mnist("cluster" + inputs + " --method graph --n-init 3"), 2, "--n-init");
  expect_failure(dae_mnist("cluster" + inputs + " --neighbors 5"), 2, "--neighbors");
  expect_failure(dae_mnist("cluster" + inputs + " --method graph --neighbors 0"), 2, "--neighbors");
  expect_failure(dae_mnist("cluster" + inputs + " --method graph --k 41"), 1, "--k 41");
  expect_failure(dae_mnist("cluster" + inputs + " --k 41"), 1, "few_codes.npy");
  values[9] = std::numeric_limits<float>::quiet_NaN();
  dae::io::write_npy<float>(codes, {40, 4}, values);
  expect_failure(dae_mnist("cluster" + inputs + " --method graph"), 1, "few_codes.npy");
  CHECK_FALSE(fs::exists(work_dir() / "few" / "clusters.json"));
}

TEST_CASE("run does the whole pipeline and writes a report", "[cli]") {
  const auto out = work_dir() / "pipeline";
  const auto r = dae_mnist("run --data " + dataset().string() + " --out " + out.string() + kTrain + " --n-init 3");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* file : {"model.safetensors", "metrics.jsonl", "generated.png", "codes.npy", "labels.npy",
                           "clusters.json", "assignments.npy", "confusion.png", "latent.png", "report.html",
                           "assignments_graph.npy", "confusion_graph.png"}) {
    INFO(file);
    CHECK(fs::exists(out / file));
  }
  // Both methods side by side, each with the seconds it took.
  std::ifstream in(out / "clusters.json");
  const auto j = nlohmann::json::parse(in);
  CHECK(j.contains("accuracy_hungarian"));
  CHECK(j["seconds"].get<double>() >= 0.0);
  CHECK(j["graph"]["accuracy_hungarian"].get<double>() > 0.0);
  CHECK(j["graph"]["seconds"].get<double>() >= 0.0);
  CHECK(dae::io::read_npy(out / "codes.npy").shape == std::vector<std::int64_t>{2400, 4});
}

TEST_CASE("Bad flags and bad files: one line naming the culprit, non-zero exit, nothing written", "[cli]") {
  const auto out = work_dir() / "bad";
  const std::string data = " --data " + dataset().string();
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --epochs abc"), 2, "--epochs");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --epochs 0"), 2, "--epochs");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --lr -1"), 2, "--lr");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --batch 1"), 2, "--batch");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --colour red"), 2, "--colour");
  expect_failure(dae_mnist("train" + data), 2, "--out");
  expect_failure(dae_mnist("frobnicate"), 2, "frobnicate");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --device tpu"), 2, "--device");
  expect_failure(dae_mnist("train --data " + (work_dir() / "nowhere").string() + " --out " + out.string()), 1, "nowhere");
  CHECK_FALSE(fs::exists(out / "model.safetensors"));

  // An output folder that cannot be created is found before any training.
  write_bytes(work_dir() / "a_file", {1, 2, 3});
  expect_failure(dae_mnist("train" + data + " --out " + (work_dir() / "a_file" / "sub").string()), 1, "a_file");

  // Damaged inputs to the other commands.
  const auto junk = work_dir() / "junk.npy";
  write_bytes(junk, {'n', 'o', 't', ' ', 'n', 'p', 'y'});
  const auto truncated = work_dir() / "truncated-idx3-ubyte";
  auto images = bytes_of(dataset() / "t10k-images-idx3-ubyte");
  images.resize(images.size() - 7);
  write_bytes(truncated, std::vector<unsigned char>(images.begin(), images.end()));
  {
    const auto model = (trained() / "model.safetensors").string();
    expect_failure(dae_mnist("encode --model " + model + " --images " + junk.string() + " --out " + (work_dir() / "c.npy").string()), 1, "junk.npy");
    expect_failure(dae_mnist("encode --model " + model + " --images " + truncated.string() + " --out " + (work_dir() / "c.npy").string()), 1, "truncated");
    expect_failure(dae_mnist("encode --model " + model + " --images " + (dataset() / "t10k-labels-idx1-ubyte").string() + " --out " + (work_dir() / "c.npy").string()), 1, "t10k-labels");
    CHECK_FALSE(fs::exists(work_dir() / "c.npy"));
  }
  auto checkpoint = bytes_of(trained() / "model.safetensors");
  {
    checkpoint.resize(checkpoint.size() / 2);
    const auto half = work_dir() / "half.safetensors";
    write_bytes(half, std::vector<unsigned char>(checkpoint.begin(), checkpoint.end()));
    expect_failure(dae_mnist("generate --model " + half.string() + " --out " + (work_dir() / "g.png").string()), 1, "half.safetensors");
    CHECK_FALSE(fs::exists(work_dir() / "g.png"));
  }
  expect_failure(dae_mnist("cluster --codes " + junk.string() + " --labels " + (dataset() / "t10k-labels-idx1-ubyte").string() + " --out " + (work_dir() / "cl").string()), 1, "junk.npy");
  expect_failure(dae_mnist("generate --model x --n -3 --out y.png"), 2, "--n");
}
