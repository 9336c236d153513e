#include "node/ec/reed_solomon.h"

#include <isa-l/erasure_code.h>

#include <algorithm>
#include <cstring>

namespace ais::ec {

Result<ReedSolomon> ReedSolomon::make(int data, int parity) {
  if (data < 1 || parity < 1 || data + parity > kMaxSlices) {
    return Status(Code::kInvalidArgument,
                  "erasure coding needs 1 <= data, 1 <= parity and data + parity <= " +
                      std::to_string(kMaxSlices) + " (got " + std::to_string(data) + "+" +
                      std::to_string(parity) + ")");
  }
  return ReedSolomon(data, parity);
}

ReedSolomon::ReedSolomon(int data, int parity)
    : data_(data),
      parity_(parity),
      matrix_(static_cast<size_t>(data + parity) * data),
      tables_(static_cast<size_t>(32) * data * parity) {
  gf_gen_cauchy1_matrix(matrix_.data(), data + parity, data);
  ec_init_tables(data, parity, matrix_.data() + static_cast<size_t>(data) * data, tables_.data());
}

uint64_t ReedSolomon::sliceSize(uint64_t objectSize) const {
  return std::max<uint64_t>(1, (objectSize + data_ - 1) / data_);
}

std::vector<std::string> ReedSolomon::encode(std::string_view object) const {
  const uint64_t n = sliceSize(object.size());
  std::vector<std::string> slices(data_ + parity_, std::string(n, '\0'));
  for (int i = 0; i < data_; ++i) {
    uint64_t off = static_cast<uint64_t>(i) * n;
    if (off < object.size()) {
      std::memcpy(slices[i].data(), object.data() + off,
                  std::min<uint64_t>(n, object.size() - off));
    }
  }
  std::vector<unsigned char*> in(data_), out(parity_);
  for (int i = 0; i < data_; ++i) in[i] = reinterpret_cast<unsigned char*>(slices[i].data());
  for (int i = 0; i < parity_; ++i) {
    out[i] = reinterpret_cast<unsigned char*>(slices[data_ + i].data());
  }
  ec_encode_data(static_cast<int>(n), data_, parity_, const_cast<unsigned char*>(tables_.data()),
                 in.data(), out.data());
  return slices;
}

Status ReedSolomon::reconstruct(std::vector<std::optional<std::string>>& slices) const {
  const int total = data_ + parity_;
  if (static_cast<int>(slices.size()) != total) {
    return Status(Code::kInvalidArgument, "expected " + std::to_string(total) + " slice slots");
  }
  std::vector<int> present, missing;
  std::optional<size_t> size;
  for (int i = 0; i < total; ++i) {
    if (!slices[i]) {
      missing.push_back(i);
      continue;
    }
    if (size && slices[i]->size() != *size) {
      return Status(Code::kInvalidArgument, "slices of different sizes");
    }
    size = slices[i]->size();
    present.push_back(i);
  }
  if (missing.empty()) return Status::OK();
  if (static_cast<int>(present.size()) < data_) {
    return Status(Code::kObjectCorrupted, std::to_string(present.size()) + " of " +
                                              std::to_string(total) + " slices left, " +
                                              std::to_string(data_) + " needed");
  }
  present.resize(data_);  // any D of them do
  // Rows of the survivors, inverted: data = inverse x survivors.
  std::vector<unsigned char> sub(static_cast<size_t>(data_) * data_), inv(sub.size());
  for (int r = 0; r < data_; ++r) {
    std::memcpy(&sub[static_cast<size_t>(r) * data_],
                &matrix_[static_cast<size_t>(present[r]) * data_], data_);
  }
  if (gf_invert_matrix(sub.data(), inv.data(), data_) != 0) {
    return Status(Code::kInternal, "erasure coding matrix is singular");  // never for Cauchy
  }
  // A missing slice's row: inverse rows for data slices, encoding row x inverse for parity.
  std::vector<unsigned char> rows(missing.size() * data_);
  for (size_t m = 0; m < missing.size(); ++m) {
    unsigned char* row = &rows[m * data_];
    if (missing[m] < data_) {
      std::memcpy(row, &inv[static_cast<size_t>(missing[m]) * data_], data_);
      continue;
    }
    const unsigned char* enc = &matrix_[static_cast<size_t>(missing[m]) * data_];
    for (int j = 0; j < data_; ++j) {
      unsigned char acc = 0;
      for (int k = 0; k < data_; ++k) {
        acc ^= gf_mul(enc[k], inv[static_cast<size_t>(k) * data_ + j]);
      }
      row[j] = acc;
    }
  }
  std::vector<unsigned char> tables(static_cast<size_t>(32) * data_ * missing.size());
  ec_init_tables(data_, static_cast<int>(missing.size()), rows.data(), tables.data());
  std::vector<unsigned char*> in(data_), out(missing.size());
  for (int r = 0; r < data_; ++r) {
    in[r] = reinterpret_cast<unsigned char*>(slices[present[r]]->data());
  }
  for (size_t m = 0; m < missing.size(); ++m) {
    slices[missing[m]] = std::string(*size, '\0');
    out[m] = reinterpret_cast<unsigned char*>(slices[missing[m]]->data());
  }
  ec_encode_data(static_cast<int>(*size), data_, static_cast<int>(missing.size()), tables.data(),
                 in.data(), out.data());
  return Status::OK();
}

std::string ReedSolomon::join(const std::vector<std::optional<std::string>>& slices, int data,
                              uint64_t objectSize) {
  std::string out;
  out.reserve(objectSize);
  for (int i = 0; i < data && out.size() < objectSize; ++i) {
    out.append(slices[i]->data(), std::min<uint64_t>(slices[i]->size(), objectSize - out.size()));
  }
  return out;
}

}  // namespace ais::ec
