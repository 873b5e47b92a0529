// End-to-end tests of dae_mnist: the real binary, run on a synthetic dataset written in MNIST's
// exact IDX format (3,000 training and 500 test images of ten drawable classes, one file gzipped).
// Checks that training lowers the loss, every promised file exists and parses, --resume is bit
// for bit the same as training straight through, and that bad input gives one clear line, a
// non-zero exit and no damage to what was saved before.
#include <stb/stb_image.h>

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

#include "cli/cli_harness.hpp"
#include "dae/io/npy.hpp"
#include "dae/io/safetensors.hpp"

namespace fs = std::filesystem;
using namespace dae_cli_test;

namespace {

/// A PNG decoded to 8-bit gray with stb_image (a decoder that is not ours).
struct GrayPicture {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;
};

GrayPicture read_gray_png(const fs::path& path) {
  int width = 0, height = 0, channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &width, &height, &channels, 1);
  REQUIRE(data != nullptr);
  GrayPicture picture{
      width, height,
      std::vector<std::uint8_t>(data, data + static_cast<std::size_t>(width) * height)};
  stbi_image_free(data);
  return picture;
}

#if defined(DAE_CLI_DEVICE)
constexpr int kTrainImages = 640,
              kTestImages = 200;  // the CUDA emulation runs kernels thread by thread
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
    const auto r =
        dae_mnist("train --data " + dataset().string() + " --out " + folder.string() + kTrain);
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
    for (const char* key : {"epoch", "train_loss", "val_loss", "seconds", "images_per_second"})
      CHECK(m.contains(key));
  }
  CHECK(metrics[1]["val_loss"].get<double>() < metrics[0]["val_loss"].get<double>());
  CHECK(metrics[1]["train_loss"].get<double>() < metrics[0]["train_loss"].get<double>());
  CHECK(dae::io::read_safetensors(out / "model.safetensors").tensors.size() == 35);
  CHECK(dae::io::read_safetensors(out / "training_state.safetensors").tensors.count("epoch") == 1);
  for (const char* picture :
       {"loss.png", "reconstructions/epoch_001.png", "reconstructions/epoch_002.png"}) {
    const auto png = bytes_of(out / picture);
    REQUIRE(png.size() > 8);
    CHECK(std::string(png.begin() + 1, png.begin() + 4) == "PNG");
  }
}

TEST_CASE("--resume continues bit for bit where the run stopped", "[cli][device]") {
  const auto straight = work_dir() / "straight", resumed = work_dir() / "resumed";
  const std::string common = " --data " + dataset().string() + " --batch 64 --threads 2 --seed 5";
  REQUIRE(dae_mnist("train" + common + " --out " + straight.string() + " --epochs 2").exit_code ==
          0);
  REQUIRE(dae_mnist("train" + common + " --out " + resumed.string() + " --epochs 1").exit_code ==
          0);
  const auto r =
      dae_mnist("train" + common + " --out " + resumed.string() + " --epochs 2 --resume");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(bytes_of(straight / "model.safetensors") == bytes_of(resumed / "model.safetensors"));
  CHECK(bytes_of(straight / "training_state.safetensors") ==
        bytes_of(resumed / "training_state.safetensors"));
  CHECK(read_metrics(resumed / "metrics.jsonl").size() == 2);

  // A resumed run must use the same settings, and a fresh run must not overwrite a finished one.
  const auto before = bytes_of(resumed / "model.safetensors");
  expect_failure(
      dae_mnist("train" + common + " --out " + resumed.string() + " --epochs 3 --resume --lr 0.01"),
      2, "--lr");
  expect_failure(dae_mnist("train" + common + " --out " + resumed.string() + " --epochs 3"), 2,
                 "--resume");
  CHECK(bytes_of(resumed / "model.safetensors") == before);
}

TEST_CASE("encode, reconstruct, generate and cluster work on a trained model", "[cli][device]") {
  const auto out = work_dir() / "tools";
  fs::create_directories(out);
  const auto model = (trained() / "model.safetensors").string();
  const auto images = (dataset() / "t10k-images-idx3-ubyte").string();
  const auto labels = (dataset() / "t10k-labels-idx1-ubyte").string();

  REQUIRE(dae_mnist("encode --model " + model + " --images " + images + " --out " +
                    (out / "codes.npy").string())
              .exit_code == 0);
  const auto codes = dae::io::read_npy(out / "codes.npy");
  const std::int64_t test_images = kTestImages;
  CHECK(codes.shape == std::vector<std::int64_t>{test_images, 4});
  CHECK(codes.dtype == dae::io::DType::F32);

  REQUIRE(dae_mnist("reconstruct --model " + model + " --images " + images +
                    " --noise 0.3 --seed 2 --out " + (out / "recon.npy").string())
              .exit_code == 0);
  const auto recon = dae::io::read_npy(out / "recon.npy");
  CHECK(recon.shape == std::vector<std::int64_t>{test_images, 1, 28, 28});
  const auto pixels = recon.values<float>();
  CHECK(*std::min_element(pixels.begin(), pixels.end()) >= 0.0f);
  CHECK(*std::max_element(pixels.begin(), pixels.end()) <= 1.0f);

  // The reconstructions are .npy float images: they go back in as --images.
  REQUIRE(dae_mnist("encode --model " + model + " --images " + (out / "recon.npy").string() +
                    " --out " + (out / "codes2.npy").string())
              .exit_code == 0);

  REQUIRE(dae_mnist("generate --model " + model + " --n 9 --seed 4 --out " +
                    (out / "grid.png").string())
              .exit_code == 0);
  CHECK(bytes_of(out / "grid.png").size() > 100);

  // The latent traversal: 4 rows (one per code dimension) of 7 decoded codes, cells 28 x 3 pixels
  // with 3-pixel gaps; along a row the picture changes, and a sweep over the codes' own range
  // differs from the sweep over the prior's.
  REQUIRE(dae_mnist("traverse --model " + model + " --codes " + (out / "codes.npy").string() +
                    " --steps 7 --out " + (out / "traversal.png").string())
              .exit_code == 0);
  REQUIRE(dae_mnist("traverse --model " + model + " --steps 7 --out " +
                    (out / "traversal_prior.png").string())
              .exit_code == 0);
  const auto traversal = read_gray_png(out / "traversal.png");
  REQUIRE(traversal.width == 7 * 87 + 3);
  REQUIRE(traversal.height == 4 * 87 + 3);
  const auto cell = [&](const GrayPicture& picture, int row, int col) {
    std::vector<std::uint8_t> pixels;
    for (int y = 0; y < 84; ++y)
      for (int x = 0; x < 84; ++x)
        pixels.push_back(picture.pixels[static_cast<std::size_t>(
            (3 + row * 87 + y) * picture.width + 3 + col * 87 + x)]);
    return pixels;
  };
  for (int row = 0; row < 4; ++row) {
    INFO("code dimension " << row);
    CHECK(cell(traversal, row, 0) != cell(traversal, row, 6));
  }
  CHECK(read_gray_png(out / "traversal_prior.png").pixels != traversal.pixels);
  auto three = dae::io::read_npy(out / "codes.npy").values<float>();
  three.resize(static_cast<std::size_t>(test_images) * 3);
  dae::io::write_npy<float>(out / "codes3.npy", {test_images, 3}, three);
  expect_failure(dae_mnist("traverse --model " + model + " --codes " +
                           (out / "codes3.npy").string() + " --out " + (out / "t3.png").string()),
                 1, "codes3.npy");
  CHECK_FALSE(fs::exists(out / "t3.png"));

  const auto cluster_dir = out / "clusters";
  const auto r = dae_mnist("cluster --codes " + (out / "codes.npy").string() + " --labels " +
                           labels + " --k 10 --n-init 4 --out " + cluster_dir.string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(cluster_dir / "clusters.json");
  const auto j = nlohmann::json::parse(in);
  for (const char* key :
       {"inertia", "iterations", "accuracy_raw", "accuracy_greedy", "accuracy_hungarian", "nmi",
        "ari", "mapping_greedy", "mapping_hungarian", "confusion_matrix_greedy", "seconds"}) {
    CHECK(j.contains(key));
  }
  CHECK(j["seconds"].get<double>() > 0.0);  // the fit's own time
  CHECK(j["accuracy_hungarian"].get<double>() >= j["accuracy_greedy"].get<double>() - 1e-12);
  CHECK(dae::io::read_npy(cluster_dir / "assignments.npy").shape ==
        std::vector<std::int64_t>{test_images});
  CHECK(fs::exists(cluster_dir / "confusion.png"));
  CHECK(fs::exists(cluster_dir / "latent.png"));

  // The graph clustering of the same codes: the same scores, plus its modularity and restarts.
  const auto graph_dir = out / "clusters_graph";
  const auto g = dae_mnist("cluster --codes " + (out / "codes.npy").string() + " --labels " +
                           labels + " --method graph --restarts 3 --out " + graph_dir.string());
  INFO(g.err);
  REQUIRE(g.exit_code == 0);
  std::ifstream graph_in(graph_dir / "clusters.json");
  const auto gj = nlohmann::json::parse(graph_in);
  CHECK(gj["method"] == "graph");
  CHECK(gj["restart_modularity"].size() == 3);
  for (const char* key :
       {"modularity", "accuracy_raw", "accuracy_greedy", "accuracy_hungarian", "nmi", "ari",
        "mapping_greedy", "mapping_hungarian", "confusion_matrix_greedy", "seconds"}) {
    CHECK(gj.contains(key));
  }
  CHECK(dae::io::read_npy(graph_dir / "assignments.npy").shape ==
        std::vector<std::int64_t>{test_images});

  // More clusters than digits: the majority mapping is scored, the one-to-one ones say why not.
  const auto many_dir = out / "clusters_k12";
  const auto many = dae_mnist("cluster --codes " + (out / "codes.npy").string() + " --labels " +
                              labels + " --k 12 --n-init 2 --out " + many_dir.string());
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
  const std::string inputs = " --codes " + codes.string() + " --labels " + labels.string() +
                             " --out " + (work_dir() / "few").string();
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
  const auto r = dae_mnist("run --data " + dataset().string() + " --out " + out.string() + kTrain +
                           " --n-init 3");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* file : {"model.safetensors", "metrics.jsonl", "generated.png", "codes.npy",
                           "labels.npy", "clusters.json", "assignments.npy", "confusion.png",
                           "latent.png", "report.html", "assignments_graph.npy", "traversal.png"}) {
    INFO(file);
    CHECK(fs::exists(out / file));
  }
  // The report shows every epoch's reconstructions behind a slider, and the traversal.
  std::ifstream page_in(out / "report.html");
  const std::string page((std::istreambuf_iterator<char>(page_in)),
                         std::istreambuf_iterator<char>());
  CHECK(page.find("const frames = "
                  "[\"reconstructions/epoch_001.png\",\"reconstructions/epoch_002.png\"];") !=
        std::string::npos);
  CHECK(page.find("type=\"range\" min=\"1\" max=\"2\"") != std::string::npos);
  CHECK(page.find("<img src=\"traversal.png\"") != std::string::npos);
  // The charts are SVG in the page, none a picture: the loss curves with a dot per epoch, both
  // confusion matrices (100 cells each) and every one of the 2,400 codes, one dot each.
  const auto occurrences = [&](const std::string& text) {
    std::size_t n = 0;
    for (auto at = page.find(text); at != std::string::npos; at = page.find(text, at + 1)) ++n;
    return n;
  };
  CHECK(occurrences("<svg class=\"chart line-chart\"") == 1);
  CHECK(occurrences("<svg class=\"chart heatmap\"") == 2);
  CHECK(occurrences("<svg class=\"chart scatter\"") == 1);
  CHECK(occurrences("<circle cx=") ==
        2 * 2 + 2 + 10);  // 2 series x 2 epochs; the legends: 2 series, 10 digits
  CHECK(occurrences("<rect x=") ==
        2 * 100 + 2);  // the cells; the plot areas of the loss and latent charts
  CHECK(occurrences("h0") == 2400);
  CHECK(page.find("<img src=\"loss.png\"") == std::string::npos);
  CHECK(page.find("<img src=\"latent.png\"") == std::string::npos);
  CHECK(page.find("All 2,400 codes") != std::string::npos);
  CHECK(occurrences("http") ==
        occurrences("http://www.w3.org/2000/svg"));  // no URL but SVG's namespace: nothing fetched
  CHECK_FALSE(fs::exists(out / "confusion_graph.png"));
  // Both methods side by side, each with the seconds it took.
  std::ifstream in(out / "clusters.json");
  const auto j = nlohmann::json::parse(in);
  CHECK(j.contains("accuracy_hungarian"));
  CHECK(j["seconds"].get<double>() >= 0.0);
  CHECK(j["graph"]["accuracy_hungarian"].get<double>() > 0.0);
  CHECK(j["graph"]["seconds"].get<double>() >= 0.0);
  CHECK(dae::io::read_npy(out / "codes.npy").shape == std::vector<std::int64_t>{2400, 4});
}

TEST_CASE("Bad flags and bad files: one line naming the culprit, non-zero exit, nothing written",
          "[cli]") {
  const auto out = work_dir() / "bad";
  const std::string data = " --data " + dataset().string();
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --epochs abc"), 2,
                 "--epochs");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --epochs 0"), 2,
                 "--epochs");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --lr -1"), 2, "--lr");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --batch 1"), 2, "--batch");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --colour red"), 2,
                 "--colour");
  expect_failure(dae_mnist("train" + data), 2, "--out");
  expect_failure(dae_mnist("frobnicate"), 2, "frobnicate");
  expect_failure(dae_mnist("train" + data + " --out " + out.string() + " --device tpu"), 2,
                 "--device");
  expect_failure(
      dae_mnist("train --data " + (work_dir() / "nowhere").string() + " --out " + out.string()), 1,
      "nowhere");
  CHECK_FALSE(fs::exists(out / "model.safetensors"));

  // An output folder that cannot be created is found before any training.
  write_bytes(work_dir() / "a_file", {1, 2, 3});
  expect_failure(dae_mnist("train" + data + " --out " + (work_dir() / "a_file" / "sub").string()),
                 1, "a_file");

  // Damaged inputs to the other commands.
  const auto junk = work_dir() / "junk.npy";
  write_bytes(junk, {'n', 'o', 't', ' ', 'n', 'p', 'y'});
  const auto truncated = work_dir() / "truncated-idx3-ubyte";
  auto images = bytes_of(dataset() / "t10k-images-idx3-ubyte");
  images.resize(images.size() - 7);
  write_bytes(truncated, std::vector<unsigned char>(images.begin(), images.end()));
  {
    const auto model = (trained() / "model.safetensors").string();
    expect_failure(dae_mnist("encode --model " + model + " --images " + junk.string() + " --out " +
                             (work_dir() / "c.npy").string()),
                   1, "junk.npy");
    expect_failure(dae_mnist("encode --model " + model + " --images " + truncated.string() +
                             " --out " + (work_dir() / "c.npy").string()),
                   1, "truncated");
    expect_failure(dae_mnist("encode --model " + model + " --images " +
                             (dataset() / "t10k-labels-idx1-ubyte").string() + " --out " +
                             (work_dir() / "c.npy").string()),
                   1, "t10k-labels");
    CHECK_FALSE(fs::exists(work_dir() / "c.npy"));
  }
  auto checkpoint = bytes_of(trained() / "model.safetensors");
  {
    checkpoint.resize(checkpoint.size() / 2);
    const auto half = work_dir() / "half.safetensors";
    write_bytes(half, std::vector<unsigned char>(checkpoint.begin(), checkpoint.end()));
    expect_failure(dae_mnist("generate --model " + half.string() + " --out " +
                             (work_dir() / "g.png").string()),
                   1, "half.safetensors");
    CHECK_FALSE(fs::exists(work_dir() / "g.png"));
  }
  expect_failure(dae_mnist("cluster --codes " + junk.string() + " --labels " +
                           (dataset() / "t10k-labels-idx1-ubyte").string() + " --out " +
                           (work_dir() / "cl").string()),
                 1, "junk.npy");
  expect_failure(dae_mnist("generate --model x --n -3 --out y.png"), 2, "--n");
}

// The command line itself (command_line.hpp, CLI11): help and version from the declarations
// that parse, and every kind of mistake as exactly one line naming the flag, exit status 2.
// Nothing here reads data: the paths (in the test's own folder) do not exist, so a mistake that
// got past the parser would fail on them with status 1 instead.
TEST_CASE("--help, --version and command-line mistakes", "[cli][flags]") {
  SECTION("--help lists the commands, each command's --help its flags; exit 0, nothing on stderr") {
    const auto program = dae_mnist("--help");
    CHECK(program.exit_code == 0);
    CHECK(program.err.empty());
    CHECK(program.out.starts_with("dae_mnist: "));
    for (const char* word : {"run", "train", "encode", "reconstruct", "generate", "cluster",
                             "--version", "-h,--help"}) {
      INFO(word);
      CHECK(program.out.find(std::string("  ") + word + " ") != std::string::npos);
    }
    CHECK(dae_mnist("-h").out == program.out);

    const auto train = dae_mnist("train --help");
    CHECK(train.exit_code == 0);
    CHECK(train.err.empty());
    CHECK(train.out.find("Usage: dae_mnist train [OPTIONS]") != std::string::npos);
    for (const char* option :
         {"--data DIR REQUIRED", "--out DIR REQUIRED", "--epochs INT:[1, 100000]=30",
          "--batch INT:[2, 1048576]=256", "--lr FLOAT:[1e-12, 10]=0.001",
          "--noise FLOAT:[0, 10]=0.3", "--seed INT:[0, 2^63)=0", "--threads INT:[1, 1024]",
          "--device {cpu,cuda}=cpu", "--val-fraction FLOAT:[1e-06, 0.999]=0.2", "--resume "}) {
      INFO(option);
      CHECK(train.out.find(std::string("  ") + option) != std::string::npos);
    }
    CHECK(train.out.find("--k ") == std::string::npos);  // run's, not train's

    const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
        {"run",
         {"--data", "--out", "--epochs", "--resume", "--k", "--n-init", "--max-iter", "--neighbors",
          "--micro-clusters", "--restarts"}},
        {"encode", {"--model", "--images", "--out", "--threads", "--device"}},
        {"reconstruct",
         {"--model", "--images", "--out", "--noise FLOAT:[0, 10]=0", "--seed", "--threads",
          "--device"}},
        {"generate",
         {"--model", "--out", "--n INT:[1, 1024]=9", "--seed INT:[0, 2^63)=1", "--device"}},
        {"cluster",
         {"--codes", "--labels", "--out", "--method {kmeans,graph}=kmeans", "--k INT:[1, 1000]=10",
          "--n-init", "--max-iter", "--neighbors", "--micro-clusters", "--restarts", "--seed",
          "--threads"}},
    };
    for (const auto& [command, options] : commands) {
      const auto help = dae_mnist(command + " --help");
      INFO(command << ": " << help.out);
      CHECK(help.exit_code == 0);
      CHECK(help.out.find("Usage: dae_mnist " + command + " [OPTIONS]") != std::string::npos);
      for (const auto& option : options) CHECK(help.out.find("  " + option) != std::string::npos);
    }
  }

  SECTION("--version prints CMake's project version") {
    const auto r = dae_mnist("--version");
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out == std::string("dae_mnist ") + DAE_MNIST_VERSION + "\n");
  }

  SECTION("no command: the help on stderr, exit 2") {
    const auto r = dae_mnist("");
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == dae_mnist("--help").out);
  }

  SECTION("each mistake: one line naming the flag, exit 2") {
    const std::string nowhere = (work_dir() / "flags" / "nowhere").string();
    const std::string train = "train --data " + nowhere + " --out " + nowhere + "_out";
    const std::string cluster =
        "cluster --codes " + nowhere + ".npy --labels " + nowhere + ".npy --out " + nowhere;
    expect_usage_error(dae_mnist(train + " --noise 11"),
                       "dae_mnist: --noise: 11 is out of range [0, 10]");
    expect_usage_error(dae_mnist(train + " --epochs 0"),
                       "dae_mnist: --epochs: 0 is out of range [1, 100000]");
    expect_usage_error(dae_mnist(train + " --lr abc"), "dae_mnist: --lr: 'abc' is not a number");
    expect_usage_error(dae_mnist(train + " --lr inf"), "dae_mnist: --lr: 'inf' is not a number");
    // CLI11's own conversion would take these; a count of epochs is written in digits.
    expect_usage_error(dae_mnist(train + " --epochs 1e3"),
                       "dae_mnist: --epochs: '1e3' is not an integer");
    expect_usage_error(dae_mnist(train + " --batch 0x10"),
                       "dae_mnist: --batch: '0x10' is not an integer");
    expect_usage_error(dae_mnist(train + " --epochs=abc"),
                       "dae_mnist: --epochs: 'abc' is not an integer");
    expect_usage_error(dae_mnist(train + " --colour red"),
                       "dae_mnist: unknown flag --colour for 'train' (see dae_mnist train --help)");
    expect_usage_error(dae_mnist(train + " --k 3"),
                       "dae_mnist: unknown flag --k for 'train' (see dae_mnist train --help)");
    expect_usage_error(dae_mnist(train + " extra"),
                       "dae_mnist: train: unexpected argument 'extra' (flags start with --; see "
                       "dae_mnist train --help)");
    expect_usage_error(dae_mnist("train --data " + nowhere), "dae_mnist: train: --out is required");
    expect_usage_error(dae_mnist("encode --model " + nowhere + " --out " + nowhere + ".npy"),
                       "dae_mnist: encode: --images is required");
    expect_usage_error(dae_mnist(train + " --epochs"), "dae_mnist: --epochs: missing value");
    expect_usage_error(dae_mnist("train --data " + nowhere + " --out="),
                       "dae_mnist: --out: missing value");
    expect_usage_error(dae_mnist(train + " --device tpu"),
                       "dae_mnist: --device: 'tpu' is not one of cpu, cuda");
    expect_usage_error(dae_mnist(train + " --resume=yes"), "dae_mnist: --resume: takes no value");
    expect_usage_error(dae_mnist(cluster + " --method spectral"),
                       "dae_mnist: --method: 'spectral' is not one of kmeans, graph");
    expect_usage_error(dae_mnist(cluster + " --method graph --k 20 --micro-clusters 10"),
                       "dae_mnist: --micro-clusters: 10 is fewer than --k 20");
    expect_usage_error(
        dae_mnist("--epochs 3"),
        "dae_mnist: unknown flag --epochs (flags follow a command; see dae_mnist --help)");
    expect_usage_error(dae_mnist("frobnicate --epochs 3"),
                       "dae_mnist: unknown command 'frobnicate' (commands: run, train, encode, "
                       "reconstruct, generate, traverse, cluster)");
  }
}
