//===- CodegenOps.td - codegen ops: algorithms linalg has no op for -*- tablegen -*-===//
//
// Ops for computations that cnnc's CPU code generation runs by an algorithm
// of its own, between the pass that chooses the algorithm and the one that
// writes its loops (IREE's LinalgExt winograd ops play this part there).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECT_CODEGEN_OPS
#define CNNC_DIALECT_CODEGEN_OPS

include "Codegen/CodegenBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Codegen_WinogradConv2DOp : Op<Codegen_Dialect, "winograd_conv2d",
    [Pure, DestinationStyleOpInterface]> {
  let summary = "a 3x3, stride-1 NHWC convolution by Winograd's F(m x m, 3 x 3)";
  let description = [{
    `result = init + conv(input, g)` for the 3x3 filter `g` whose Winograd
    transform `G g G^T` is `filter` ([m + 2, m + 2, C, F], the transform
    positions first), or for `filter` = g itself ([3, 3, C, F]: transformed
    as the products need it, where the transform would be read from
    memory): the output, [N, OH, OW, F], is computed in m x m tiles,
    each from an (m + 2) x (m + 2) patch of `input` ([N, H, W, C], already
    padded, H >= m * ceil(OH / m) + 2 and likewise W, so that every tile's
    patch is inside it; the rows and columns past OH + 2 and OW + 2 only
    feed outputs past the result's edge). Per tile and channel, the patch d
    becomes `B^T d B`; per transform position, a GEMM over the channels
    multiplies it by the filter's; `A^T M A` gives the m x m outputs. The
    matrices are Lavin and Gray's (2016) for m = 2 and m = 4.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$filter,
                       AnyRankedTensor:$init, I64Attr:$output_tile);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    `ins` `(` $input `,` $filter `:` type($input) `,` type($filter) `)`
    `outs` `(` $init `:` type($init) `)` attr-dict `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
    /// The transform's points per side: output_tile + 2.
    int64_t getTransformSize() { return getOutputTile() + 2; }
    /// Whether `filter` is the 3x3 filter itself, transformed in the loops.
    bool hasUntransformedFilter() {
      return ::llvm::cast<::mlir::RankedTensorType>(getFilter().getType()).getDimSize(0) == 3;
    }
  }];
}

#endif // CNNC_DIALECT_CODEGEN_OPS
