// Model state <-> safetensors. Anything with a `visit_state(visitor)` member (see parameter.hpp)
// can be saved and loaded: parameters and buffers as float tensors in PyTorch's shapes, counters
// (BatchNorm's num_batches_tracked) as 0-dimensional I64 tensors, as torch.save of a state_dict
// through safetensors would write them.
//
// Loading is all-or-nothing: the file is parsed and checked in full (every expected tensor
// present with its dtype and shape, nothing unexpected) before a single value is copied, so a
// failed load leaves the model as it was. Saving is atomic (temporary file, fsync, rename).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "dae/io/safetensors.hpp"
#include "dae/parameter.hpp"

namespace dae {

namespace detail {

template <class Scalar>
struct StateCollector {
  io::SafetensorsFile& file;
  void parameter(const std::string& name, Parameter<Scalar>& p) { add(name, p.shape, p.value); }
  void buffer(const std::string& name, Buffer<Scalar>& b) { add(name, b.shape, b.value); }
  void counter(const std::string& name, std::int64_t& value) {
    file.tensors[name] = io::make_tensor<std::int64_t>({}, std::span<const std::int64_t>(&value, 1));
  }
  template <class Vector>
  void add(const std::string& name, const std::vector<std::int64_t>& shape, const Vector& values) {
    file.tensors[name] =
        io::make_tensor<Scalar>(shape, std::span<const Scalar>(values.data(), static_cast<std::size_t>(values.size())));
  }
};

template <class Scalar>
struct StateValidator {
  const io::SafetensorsFile& file;
  const std::filesystem::path& source;
  std::vector<std::string> names;
  void parameter(const std::string& name, Parameter<Scalar>& p) { check(name, io::dtype_of<Scalar>(), p.shape); }
  void buffer(const std::string& name, Buffer<Scalar>& b) { check(name, io::dtype_of<Scalar>(), b.shape); }
  void counter(const std::string& name, std::int64_t&) { check(name, io::DType::I64, {}); }
  void check(const std::string& name, io::DType dtype, const std::vector<std::int64_t>& shape) {
    io::expect_tensor(file, name, dtype, shape, source);
    names.push_back(name);
  }
};

template <class Scalar>
struct StateAssigner {
  const io::SafetensorsFile& file;
  void parameter(const std::string& name, Parameter<Scalar>& p) { copy(name, p.value); }
  void buffer(const std::string& name, Buffer<Scalar>& b) { copy(name, b.value); }
  void counter(const std::string& name, std::int64_t& value) {
    file.tensors.at(name).copy_to(std::span<std::int64_t>(&value, 1));
  }
  template <class Vector>
  void copy(const std::string& name, Vector& values) {
    file.tensors.at(name).copy_to(std::span<Scalar>(values.data(), static_cast<std::size_t>(values.size())));
  }
};

}  // namespace detail

/// Collects everything `visit(visitor)` visits into a safetensors image (no metadata).
template <class Scalar, class Visit>
io::SafetensorsFile collect_state(Visit&& visit) {
  io::SafetensorsFile file;
  detail::StateCollector<Scalar> collector{file};
  visit(collector);
  return file;
}

/// Checks that `file` holds exactly what `visit` visits, with matching dtypes and shapes, then
/// copies it in. Nothing is modified unless every check passes.
/// @throws dae::Error naming `source` and the tensor at fault
template <class Scalar, class Visit>
void restore_state(const io::SafetensorsFile& file, const std::filesystem::path& source, Visit&& visit) {
  detail::StateValidator<Scalar> validator{file, source, {}};
  visit(validator);
  io::expect_tensor_names(file, validator.names, source);
  detail::StateAssigner<Scalar> assigner{file};
  visit(assigner);
}

/// Saves `model.visit_state` to `path` as safetensors, atomically.
template <class Model>
void save_state(Model& model, const std::filesystem::path& path) {
  using Scalar = typename Model::scalar;
  io::write_safetensors(path, collect_state<Scalar>([&](auto& visitor) { model.visit_state(visitor); }));
}

/// Loads `model.visit_state` from a safetensors image held in memory; all-or-nothing.
/// @param model anything with `visit_state(visitor)` and a `scalar` type.
/// @param bytes the whole file.
/// @param source the file's name, for error messages.
/// @post on failure the model is unchanged.
/// @throws dae::Error naming `source` and the field or tensor at fault.
template <class Model>
void load_state(Model& model, std::span<const std::byte> bytes, const std::string& source) {
  using Scalar = typename Model::scalar;
  const io::SafetensorsFile file = io::parse_safetensors(bytes, source);
  restore_state<Scalar>(file, source, [&](auto& visitor) { model.visit_state(visitor); });
}

/// Loads `model.visit_state` from the safetensors file at `path`; all-or-nothing.
/// @param model anything with `visit_state(visitor)` and a `scalar` type.
/// @param path the file.
/// @post on failure the model is unchanged.
/// @throws dae::Error naming the path and the field or tensor at fault.
template <class Model>
void load_state(Model& model, const std::filesystem::path& path) {
  load_state(model, io::read_file_bytes(path), path.string());
}

}  // namespace dae
