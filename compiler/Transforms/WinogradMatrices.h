//===- WinogradMatrices.h - Winograd F(m x m, 3 x 3) transforms --*- C++ -*-===//
//
// The matrices of Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks" (2016): output tile Y = A^T [(G g G^T) . (B^T d B)] A for a 3x3
// filter g and an (m + 2) x (m + 2) input patch d. Shared by the pass that
// transforms the filters (cnnc-winograd-convs) and the one that writes the
// input and output transforms (cnnc-lower-winograd-convs).
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_TRANSFORMS_WINOGRADMATRICES_H
#define CNNC_TRANSFORMS_WINOGRADMATRICES_H

#include <cstdint>
#include <vector>

namespace cnnc {

struct WinogradMatrices {
  int64_t outputTile;                   // m
  int64_t size;                         // m + 2 transform points
  std::vector<std::vector<double>> bt;  // [size][size]: B^T
  std::vector<std::vector<double>> g;   // [size][3]
  std::vector<std::vector<double>> at;  // [m][size]: A^T
};

/// The matrices for output tile m (2 or 4); null for any other m.
inline const WinogradMatrices *winogradMatrices(int64_t m) {
  // The points 0, 1, -1 (m = 2) and 0, +-1, +-2 (m = 4), and infinity.
  static const WinogradMatrices f2{2, 4,
                                   {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
                                   {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
                                   {{1, 1, 1, 0}, {0, 1, -1, -1}}};
  static const WinogradMatrices f4{
      4,
      6,
      {{4, 0, -5, 0, 1, 0},
       {0, -4, -4, 1, 1, 0},
       {0, 4, -4, -1, 1, 0},
       {0, -2, -1, 2, 1, 0},
       {0, 2, -1, -2, 1, 0},
       {0, 4, 0, -5, 0, 1}},
      {{1.0 / 4, 0, 0},
       {-1.0 / 6, -1.0 / 6, -1.0 / 6},
       {-1.0 / 6, 1.0 / 6, -1.0 / 6},
       {1.0 / 24, 1.0 / 12, 1.0 / 6},
       {1.0 / 24, -1.0 / 12, 1.0 / 6},
       {0, 0, 1}},
      {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
  return m == 2 ? &f2 : m == 4 ? &f4 : nullptr;
}

} // namespace cnnc

#endif
