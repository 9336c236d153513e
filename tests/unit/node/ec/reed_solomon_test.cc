// Reed-Solomon with ISA-L: every way of losing up to P of D+P slices gives back the object, byte
// for byte; losing more is a clear error.
#include "node/ec/reed_solomon.h"

#include <gtest/gtest.h>

#include <random>

namespace ais::ec {
namespace {

std::string randomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(ReedSolomon, EveryLossOfUpToParitySlicesIsRepaired) {
  for (auto [d, p] : {std::pair{2, 1}, std::pair{4, 2}, std::pair{3, 3}}) {
    auto rs = ReedSolomon::make(d, p);
    ASSERT_TRUE(rs.ok());
    for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{(1 << 20) + 7}}) {
      std::string object = randomBytes(size, static_cast<uint32_t>(size + d));
      std::vector<std::string> slices = rs->encode(object);
      ASSERT_EQ(slices.size(), size_t(d + p));
      for (const auto& s : slices) ASSERT_EQ(s.size(), rs->sliceSize(size));
      // Every subset of lost slices (bit i = slice i lost) with at most p members.
      for (uint32_t lost = 1; lost < (1u << (d + p)); ++lost) {
        if (__builtin_popcount(lost) > p) continue;
        std::vector<std::optional<std::string>> have(slices.begin(), slices.end());
        for (int i = 0; i < d + p; ++i) {
          if (lost & (1u << i)) have[i].reset();
        }
        Status st = rs->reconstruct(have);
        ASSERT_TRUE(st.ok()) << d << "+" << p << " lost " << lost << ": " << st.toString();
        for (int i = 0; i < d + p; ++i) ASSERT_EQ(*have[i], slices[i]) << "slice " << i;
        ASSERT_EQ(ReedSolomon::join(have, d, size), object);
      }
    }
  }
}

TEST(ReedSolomon, TooFewSlicesOrBadShapesAreErrors) {
  auto rs = ReedSolomon::make(4, 2);
  ASSERT_TRUE(rs.ok());
  std::vector<std::string> slices = rs->encode(randomBytes(5000, 1));
  std::vector<std::optional<std::string>> have(slices.begin(), slices.end());
  have[0].reset();
  have[3].reset();
  have[5].reset();
  EXPECT_EQ(rs->reconstruct(have).code(), Code::kObjectCorrupted);
  std::vector<std::optional<std::string>> uneven(slices.begin(), slices.end());
  uneven[1]->pop_back();
  uneven[0].reset();
  EXPECT_EQ(rs->reconstruct(uneven).code(), Code::kInvalidArgument);
  std::vector<std::optional<std::string>> few(3);
  EXPECT_EQ(rs->reconstruct(few).code(), Code::kInvalidArgument);
  EXPECT_FALSE(ReedSolomon::make(0, 2).ok());
  EXPECT_FALSE(ReedSolomon::make(2, 0).ok());
  EXPECT_FALSE(ReedSolomon::make(30, 3).ok());
}

}  // namespace
}  // namespace ais::ec
