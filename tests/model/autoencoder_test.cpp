// Autoencoder<Latent> as a whole: two training steps against PyTorch (loss, every parameter
// gradient, parameters and BatchNorm statistics after each Adam step), a PyTorch checkpoint
// loaded and evaluated and saved back bit for bit, strict checkpoint validation that leaves the
// model untouched, a finite-difference check of the whole network, and the other latent sizes.
#include "dae/autoencoder.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>

#include "dae/finite.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"
#include "support/require_close.hpp"

using namespace dae;
using dae::test::Fixture;
using dae::test::mean_scaled_atol;
using dae::test::require_close;

namespace {

constexpr double kRtol = 1e-5;

/// The tensors of `file` whose names start with `prefix`, with the prefix removed.
io::SafetensorsFile with_prefix(const io::SafetensorsFile& file, const std::string& prefix) {
  io::SafetensorsFile out;
  for (const auto& [name, tensor] : file.tensors) {
    if (name.rfind(prefix, 0) == 0) out.tensors[name.substr(prefix.size())] = tensor;
  }
  return out;
}

template <class Model>
io::SafetensorsFile state_of(Model& model) {
  return collect_state<typename Model::scalar>([&](auto& v) { model.visit_state(v); });
}

/// Compares the model's state after an Adam step with PyTorch's, element by element.
/// Adam's first steps move each parameter by about lr * g / (|g| + eps): where |g| is tiny, a
/// rounding-level difference in g (the gradient check's floor, `gradient_atol`) changes the step
/// by up to lr * gradient_atol / (|g| + eps). That is added to the 1e-5 relative bound, element by
/// element; it matters only for near-zero gradients (e.g. a convolution bias feeding BatchNorm,
/// whose exact gradient is 0, so both sides hand Adam pure rounding noise).
struct CompareAfterAdam {
  const io::SafetensorsFile& expected;
  const Fixture& gradients;
  std::string step;
  void parameter(const std::string& name, Parameter<float>& p) {
    const auto values = expected.tensors.at(name).values<float>();
    const auto grad = gradients.floats(step + ".grad." + name);
    const double gradient_atol = std::max(1e-8, mean_scaled_atol(grad, kRtol));
    std::size_t failures = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double allowed =
          1e-6 + kRtol * std::abs(values[i]) + 1e-3 * gradient_atol / (std::abs(grad[i]) + 1e-8);
      if (std::abs(p.value[static_cast<Eigen::Index>(i)] - values[i]) > allowed) ++failures;
    }
    INFO(step << " after Adam: " << name << ": " << failures << " elements differ");
    CHECK(failures == 0);
  }
  /// For a BatchNorm fed by such a bias: our bias minus PyTorch's, as it entered this step's
  /// forward. The batch mean (and only it: BatchNorm removes the shift from everything else)
  /// moves by exactly that, so the running mean moves by momentum times it.
  std::map<std::string, Eigen::VectorXf> bias_drift_into;
  void buffer(const std::string& name, Buffer<float>& b) {
    Eigen::VectorXf actual = b.value;
    const auto drift = bias_drift_into.find(name);
    if (drift != bias_drift_into.end()) actual -= 0.1f * drift->second;
    require_close(actual, expected.tensors.at(name).values<float>(), kRtol, 1e-6,
                  step + " after: " + name);
  }
  void counter(const std::string& name, std::int64_t& value) {
    CHECK(value == expected.tensors.at(name).values<std::int64_t>().at(0));
  }
};

std::vector<char> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::filesystem::path temp_dir() {
  auto dir =
      std::filesystem::temp_directory_path() / ("dae_model_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("Two training steps of Autoencoder<4> match PyTorch", "[parity][model]") {
  const Fixture f("model/training_steps.safetensors");
  Autoencoder<4> model(123);
  restore_state<float>(with_prefix(f.file, "before."), "before",
                       [&](auto& v) { model.visit_state(v); });
  model.train();
  const std::map<std::string, std::pair<std::string, const Eigen::VectorXf*>> bias_feeding = {
      {"encoder.encoder_cnn.3.running_mean",
       {"encoder.encoder_cnn.2.bias", &model.encoder.cnn2.bias.value}},
      {"decoder.decoder_conv.1.running_mean",
       {"decoder.decoder_conv.0.bias", &model.decoder.conv0.bias.value}},
      {"decoder.decoder_conv.4.running_mean",
       {"decoder.decoder_conv.3.bias", &model.decoder.conv3.bias.value}}};
  std::map<std::string, Eigen::VectorXf> bias_drift;
  for (const auto& [running_mean, bias] : bias_feeding)
    bias_drift[running_mean] = Eigen::VectorXf::Zero(bias.second->size());
  for (const std::string step : {"step1", "step2"}) {
    const auto clean = f.tensor<Shape<1, 28, 28>>(step + ".clean");
    const auto noisy = f.tensor<Shape<1, 28, 28>>(step + ".noisy");
    const double loss = model.train_step(noisy, clean);
    CHECK(loss == Approx(f.scalar(step + ".loss")).epsilon(kRtol));
    struct CompareGradients {
      const Fixture& f;
      std::string prefix;
      void parameter(const std::string& name, Parameter<float>& p) {
        const auto expected = f.floats(prefix + name);
        // The bias of a convolution followed by BatchNorm has a gradient of exactly 0 in exact
        // arithmetic (the mean is removed); both sides hold rounding noise there, hence the floor.
        require_close(p.grad, expected, kRtol, std::max(1e-8, mean_scaled_atol(expected, kRtol)),
                      prefix + name);
      }
      void buffer(const std::string&, Buffer<float>&) {}
      void counter(const std::string&, std::int64_t&) {}
    } gradients{f, step + ".grad."};
    model.visit_state(gradients);
    CompareAfterAdam after{with_prefix(f.file, step + ".after."), f, step, bias_drift};
    model.visit_state(after);
    for (const auto& [running_mean, bias] : bias_feeding) {
      const auto expected = f.floats(step + ".after." + bias.first);
      bias_drift[running_mean] =
          *bias.second - Eigen::Map<const Eigen::VectorXf>(expected.data(), bias.second->size());
    }
  }
}

TEST_CASE("A PyTorch checkpoint loads, evaluates as in PyTorch, and saves back bit for bit",
          "[parity][checkpoint]") {
  const auto checkpoint = test::fixture_path("model/reference_checkpoint.safetensors");
  const Fixture eval("model/reference_eval.safetensors");
  Autoencoder<4> model(5);
  model.load(checkpoint);
  model.eval();
  const auto images = eval.tensor<Shape<1, 28, 28>>("images");
  Tensor<Shape<4>> codes;
  Tensor<Shape<1, 28, 28>> reconstructions;
  model.encode(images, codes);
  require_close(codes.matrix(), eval.floats("codes"), kRtol, 1e-6, "eval codes");
  model.reconstruct(images, reconstructions);
  require_close(reconstructions.matrix(), eval.floats("reconstructions"), kRtol, 1e-6,
                "eval reconstructions");

  const auto saved = temp_dir() / "resaved.safetensors";
  model.save(saved);
  CHECK(file_bytes(saved) == file_bytes(checkpoint));
  std::filesystem::remove_all(saved.parent_path());
}

TEST_CASE("A bad checkpoint raises a clear error and leaves the model untouched", "[checkpoint]") {
  const auto dir = temp_dir();
  Autoencoder<4> donor(9);
  const io::SafetensorsFile good = state_of(donor);

  auto expect_rejected = [&](const io::SafetensorsFile& bad, const std::string& fragment) {
    const auto path = dir / "bad.safetensors";
    io::write_safetensors(path, bad);
    Autoencoder<4> model(1);
    const auto before = io::serialize_safetensors(state_of(model));
    try {
      model.load(path);
      FAIL("loaded a checkpoint that should be rejected (" << fragment << ")");
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
      CHECK(std::string(e.what()).find(path.string()) != std::string::npos);
    }
    CHECK(io::serialize_safetensors(state_of(model)) == before);
  };

  auto missing = good;
  missing.tensors.erase("decoder.decoder_conv.4.running_var");
  expect_rejected(missing, "decoder.decoder_conv.4.running_var");

  auto unexpected = good;
  unexpected.tensors["encoder.extra.weight"] = io::make_tensor<float>({1}, std::vector<float>{1.f});
  expect_rejected(unexpected, "encoder.extra.weight");

  auto wrong_shape = good;
  wrong_shape.tensors["encoder.encoder_lin.2.weight"] =
      io::make_tensor<float>({8, 128}, std::vector<float>(8 * 128));
  expect_rejected(wrong_shape, "encoder.encoder_lin.2.weight");

  auto wrong_dtype = good;
  wrong_dtype.tensors["encoder.encoder_cnn.0.bias"] =
      io::make_tensor<double>({8}, std::vector<double>(8));
  expect_rejected(wrong_dtype, "encoder.encoder_cnn.0.bias");

  auto counter_as_float = good;
  counter_as_float.tensors["encoder.encoder_cnn.3.num_batches_tracked"] =
      io::make_tensor<float>({}, std::vector<float>{0.f});
  expect_rejected(counter_as_float, "num_batches_tracked");

  // Damaged bytes: the reader's own errors surface through load() with the model intact.
  const auto valid_path = dir / "valid.safetensors";
  io::write_safetensors(valid_path, good);
  auto bytes = file_bytes(valid_path);
  const auto truncated_path = dir / "truncated.safetensors";
  std::ofstream(truncated_path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 100));
  Autoencoder<4> model(1);
  const auto before = io::serialize_safetensors(state_of(model));
  CHECK_THROWS_AS(model.load(truncated_path), Error);
  CHECK_THROWS_AS(model.load(dir / "does_not_exist.safetensors"), Error);
  CHECK(io::serialize_safetensors(state_of(model)) == before);
  std::filesystem::remove_all(dir);
}

TEST_CASE("The checkpoint holds exactly the 35 state_dict tensors of docs/DESIGN.md",
          "[checkpoint]") {
  Autoencoder<4> model(0);
  const auto state = state_of(model);
  CHECK(state.tensors.size() == 35);
  CHECK(state.tensors.at("encoder.encoder_cnn.0.weight").shape ==
        std::vector<std::int64_t>{8, 1, 3, 3});
  CHECK(state.tensors.at("decoder.decoder_conv.0.weight").shape ==
        std::vector<std::int64_t>{32, 16, 3, 3});
  CHECK(state.tensors.at("decoder.decoder_lin.2.weight").shape ==
        std::vector<std::int64_t>{288, 128});
  CHECK(state.tensors.at("decoder.decoder_conv.4.num_batches_tracked").dtype == io::DType::I64);
  CHECK(state.tensors.at("decoder.decoder_conv.4.num_batches_tracked").shape.empty());
}

TEST_CASE("PyTorch's default initialisation bounds, reproducible from the seed", "[model]") {
  Autoencoder<4> a(42), b(42), c(43);
  CHECK(io::serialize_safetensors(state_of(a)) == io::serialize_safetensors(state_of(b)));
  CHECK(io::serialize_safetensors(state_of(a)) != io::serialize_safetensors(state_of(c)));
  // ConvTranspose2d takes fan_in from weight.size(1) * k * k = out_channels * 9.
  const float bound = 1.0f / std::sqrt(16.0f * 9.0f);
  CHECK(a.decoder.conv0.weight.value.cwiseAbs().maxCoeff() <= bound);
  CHECK(a.decoder.conv0.weight.value.cwiseAbs().maxCoeff() > 0.9f * bound);
  CHECK(a.encoder.lin0.weight.value.cwiseAbs().maxCoeff() <= 1.0f / std::sqrt(288.0f));
  CHECK(a.encoder.cnn3.weight.value.isOnes());
  CHECK(a.encoder.cnn3.bias.value.isZero());
}

TEST_CASE("Finite differences agree with backward through the whole autoencoder",
          "[gradient][model]") {
  using Double = test::Double;
  Autoencoder<4, Double> model(3);
  Rng rng(99);
  Tensor<Shape<1, 28, 28>, Double> noisy(3), clean(3);
  for (Eigen::Index i = 0; i < noisy.matrix().size(); ++i) {
    clean.data()[i] = rng.uniform_double();
    noisy.data()[i] = std::clamp(clean.data()[i] + 0.3 * rng.normal(), 0.0, 1.0);
  }
  model.optimizer().zero_grad();
  model.forward_backward(noisy, clean);
  struct Collect {
    std::vector<std::pair<std::string, Parameter<double>*>> parameters;
    void parameter(const std::string& name, Parameter<double>& p) {
      parameters.emplace_back(name, &p);
    }
    void buffer(const std::string&, Buffer<double>&) {}
    void counter(const std::string&, std::int64_t&) {}
  } collect;
  model.visit_state(collect);
  for (auto& [name, p] : collect.parameters) {
    const Eigen::VectorXd analytic = p->grad;
    std::size_t failures = 0;
    for (int probe = 0; probe < 12; ++probe) {
      const auto i =
          static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(p->value.size())));
      const double saved = p->value[i];
      double best = INFINITY;
      for (const double h : {1e-4, 1e-5, 1e-6}) {
        p->value[i] = saved + h;
        const double plus = model.loss(noisy, clean);
        p->value[i] = saved - h;
        const double minus = model.loss(noisy, clean);
        p->value[i] = saved;
        const double numeric = (plus - minus) / (2 * h);
        best =
            std::min(best, std::abs(numeric - analytic[i]) - (1e-9 + 1e-4 * std::abs(analytic[i])));
      }
      if (best > 0) ++failures;
    }
    INFO(name);
    CHECK(failures == 0);
  }
}

TEMPLATE_TEST_CASE_SIG("Other latent sizes compile and learn", "[model]", ((int Latent), Latent), 2,
                       8, 16) {
  Autoencoder<Latent> model(Latent);
  Rng rng(Latent);
  Tensor<Shape<1, 28, 28>> clean(32), noisy(32);
  for (Eigen::Index n = 0; n < 32; ++n) {  // bright squares at random places: learnable structure
    const int row = static_cast<int>(rng.below(20)), col = static_cast<int>(rng.below(20));
    for (int i = 0; i < 784; ++i) {
      const int y = i / 28, x = i % 28;
      clean.sample(n)[i] = (y >= row && y < row + 8 && x >= col && x < col + 8) ? 1.0f : 0.0f;
      noisy.sample(n)[i] =
          std::clamp(clean.sample(n)[i] + 0.3f * static_cast<float>(rng.normal()), 0.0f, 1.0f);
    }
  }
  model.train();
  const double first = model.train_step(noisy, clean);
  double last = first;
  for (int step = 0; step < 60; ++step) last = model.train_step(noisy, clean);
  INFO("latent " << Latent << ": loss " << first << " -> " << last);
  CHECK(last < 0.7 * first);
  Tensor<Shape<Latent>> codes;
  model.eval();
  model.encode(clean, codes);
  CHECK(codes.batch() == 32);
  CHECK(codes.matrix().allFinite());
}

TEST_CASE("Training is reproducible bit for bit, whatever the thread count", "[model]") {
  auto run = [](int threads) {
    set_threads(threads);
    Autoencoder<4> model(7);
    Rng rng(8);
    Tensor<Shape<1, 28, 28>> clean(40), noisy(40);
    for (Eigen::Index i = 0; i < clean.matrix().size(); ++i) {
      clean.data()[i] = rng.uniform();
      noisy.data()[i] =
          std::clamp(clean.data()[i] + 0.3f * static_cast<float>(rng.normal()), 0.0f, 1.0f);
    }
    for (int step = 0; step < 3; ++step) model.train_step(noisy, clean);
    return io::serialize_safetensors(state_of(model));
  };
  const auto two_threads = run(2);
  CHECK(run(2) == two_threads);
  CHECK(run(1) == two_threads);
  CHECK(run(3) == two_threads);
  set_threads(2);
}

TEST_CASE("first_non_finite names the first tensor holding NaN or infinity", "[model]") {
  Autoencoder<4> model(7);
  const auto check = [&] { return first_non_finite([&](auto& v) { model.visit_state(v); }); };
  CHECK_FALSE(check().has_value());
  model.decoder.conv4.running_var.value[3] = std::numeric_limits<float>::infinity();
  CHECK(check() == std::optional<std::string>("decoder.decoder_conv.4.running_var"));
  model.decoder.conv3.weight.grad[0] = std::numeric_limits<float>::quiet_NaN();
  CHECK(check() == std::optional<std::string>("decoder.decoder_conv.3.weight (gradient)"));
  model.encoder.lin0.bias.value[1] = -std::numeric_limits<float>::infinity();
  CHECK(check() == std::optional<std::string>("encoder.encoder_lin.0.bias"));

  // The optimiser's moments are part of a training state too.
  model.reset_parameters(7);
  float* exp_avg_sq = nullptr;
  struct FindMoment {
    float*& out;
    void parameter(const std::string&, Parameter<float>&) {}
    void buffer(const std::string& name, Buffer<float>& b) {
      if (name == "encoder.encoder_cnn.0.weight.exp_avg_sq") out = b.value.data();
    }
    void counter(const std::string&, std::int64_t&) {}
  } find{exp_avg_sq};
  model.optimizer().visit_state(find);
  REQUIRE(exp_avg_sq != nullptr);
  exp_avg_sq[0] = std::numeric_limits<float>::quiet_NaN();
  CHECK(first_non_finite([&](auto& v) { model.optimizer().visit_state(v); }) ==
        std::optional<std::string>("encoder.encoder_cnn.0.weight.exp_avg_sq"));
}
