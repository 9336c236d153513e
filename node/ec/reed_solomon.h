// Reed-Solomon erasure coding over GF(2^8) with ISA-L: an object is cut into D data slices of
// equal size (the last zero-padded) and P parity slices are computed from them; any D of the D+P
// slices give back every other. The encoding matrix is ISA-L's Cauchy matrix (every D x D
// sub-matrix is invertible); ISA-L does all the field arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace ais::ec {

class ReedSolomon {
 public:
  static constexpr int kMaxSlices = 32;  // data + parity

  // kInvalidArgument unless 1 <= data, 1 <= parity, data + parity <= kMaxSlices.
  static Result<ReedSolomon> make(int data, int parity);

  int dataSlices() const { return data_; }
  int paritySlices() const { return parity_; }
  // Bytes in each slice of an object of `objectSize` bytes: ceil(size / D), at least 1.
  uint64_t sliceSize(uint64_t objectSize) const;

  // D data slices of `object` (the last zero-padded to sliceSize) followed by P parity slices.
  std::vector<std::string> encode(std::string_view object) const;
  // Given D + P slots with at least D present (all of sliceSize bytes), fills in the missing
  // ones. kObjectCorrupted if fewer than D are present, kInvalidArgument on mismatched sizes.
  Status reconstruct(std::vector<std::optional<std::string>>& slices) const;
  // The object from its D data slices (all present): concatenated and cut to objectSize.
  static std::string join(const std::vector<std::optional<std::string>>& slices, int data,
                          uint64_t objectSize);

 private:
  ReedSolomon(int data, int parity);

  int data_, parity_;
  std::vector<unsigned char> matrix_;  // (D + P) x D: identity on top, Cauchy rows below
  std::vector<unsigned char> tables_;  // ec_init_tables of the P parity rows
};

}  // namespace ais::ec
