//===- Passes.td - cnnc passes ------------------------------*- tablegen -*-===//
//
// Every step of cnnc's pipeline is a pass declared here, with a lit test of
// the same name under test/.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_PASSES
#define CNNC_PASSES

include "mlir/Pass/PassBase.td"

def ConvertLoopsToLLVMPass : Pass<"cnnc-convert-loops-to-llvm", "::mlir::ModuleOp"> {
  let summary = "Lower memref, math, arith, cf, func, index, ub and OpenMP to LLVM in one conversion";
  let description = [{
    The last step of the CPU pipeline, after `convert-vector-to-llvm`: the
    patterns of upstream's `finalize-memref-to-llvm`, `convert-math-to-llvm`,
    `convert-arith-to-llvm`, `convert-cf-to-llvm`, `convert-func-to-llvm`
    (bare-pointer memref calling convention), `convert-index-to-llvm`,
    `convert-ub-to-llvm` and `convert-openmp-to-llvm` applied in one
    dialect conversion, as upstream's OpenMP conversion already combines
    some of them: one walk over the module instead of eight (each walked the
    whole of a model's `@forward`).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def ConvertCnnToLinalgPass : Pass<"cnnc-convert-cnn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower cnn ops to linalg, tensor and arith on tensors";
  let description = [{
    Convolutions become `linalg.conv_2d_nhwc_hwcf` (groups = 1),
    `linalg.depthwise_conv_2d_nhwc_hwc` (depthwise) or
    `linalg.conv_2d_nhwgc_gfhwc` (grouped), computed in NHWC with layout
    transposes around them (MLIR 22 vectorizes the NCHW forms wrongly);
    `dense` becomes `linalg.matmul`; pooling uses the `linalg.pooling_nhwc_*`
    family on padded inputs; the rest are `linalg.generic`s and tensor
    reshapes/slices. Biases initialize the accumulators.

    ```mlir
    %y = cnn.relu %x : tensor<1x8xf32>
    // becomes
    %e = tensor.empty() : tensor<1x8xf32>
    %y = linalg.generic {...} ins(%x) outs(%e) { arith.maximumf ... }
    ```
  }];
  let options = [
    Option<"channelsLastPoolGradients", "channels-last-pool-gradients", "bool",
           /*default=*/"false",
           "Max-pool gradients in NHWC, the channels the inner loop of every op (the "
           "CPU pipeline sets it: LLVM vectorizes along the channels); without it "
           "windows that do not tile the input go in NCHW, each input's windows "
           "innermost (the GPU maps linalg loops to threads)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def FoldBatchNormPass : Pass<"cnnc-fold-batchnorm", "::mlir::ModuleOp"> {
  let summary = "Fold inference batchnorm into the preceding convolution";
  let description = [{
    `cnn.batchnorm(cnn.conv2d(x, W, b))`, where the conv's only user is the
    batchnorm and every weight, bias and statistic is a parameter
    (`cnn.param` argument), becomes `cnn.conv2d(x, W', b')` with
    s = gamma * rsqrt(var + eps), W' = W * s (per output channel) and
    b' = (b - mean) * s + beta. W' and b' are `linalg.generic`s on parameters
    only, so cnnc-hoist-parameter-transforms computes them once in
    `@prepare`. Modules compiled for training (`cnn.training`) are left
    alone: the training step normalizes with batch statistics.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
}

def PropagateChannelsLastPass
    : Pass<"cnnc-propagate-channels-last", "::mlir::ModuleOp"> {
  let summary = "Keep activations in NHWC between convolutions";
  let description = [{
    Lowering computes convolutions and pooling in NHWC and leaves NCHW <->
    NHWC transposes around them; elementwise fusion removes those only
    where the intermediate has one use. This pass makes every 4-D
    elementwise `linalg.generic` that reads an NHWC tensor (map
    `(n, c, h, w) -> (n, h, w, c)`, or `(n, h, w, f(c))`: a channel shuffle)
    and feeds another generic or a slice write its result in NHWC, giving
    each user an NHWC -> NCHW transpose that elementwise fusion (run inside
    the pass, to a fixed point) folds into generic users or cancels against
    the NCHW -> NHWC transpose in front of the next conv; a
    `tensor.extract_slice` of such a transpose is then taken before it, in
    NHWC (ShuffleNet's channel split), and the rounds go on. Layout changes
    remain only where a non-elementwise op needs NCHW (flatten, concat, the
    function's inputs and results).
    Finally every all-parallel generic whose result map is a permutation is
    interchanged to iterate in the result's memory order, so that its
    innermost loop writes contiguously.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def GrowConcatsPass : Pass<"cnnc-grow-concats", "::mlir::ModuleOp"> {
  let summary = "Concats that extend one another become views of one growing tensor";
  let description = [{
    A run of concats (lowered as `tensor.empty` plus `tensor.insert_slice`s
    of whole sources along one axis) in which each concat's sources are the
    previous one's followed by more, as in DenseNet's dense blocks, becomes
    one tensor of the widest concat's shape: each source is inserted once,
    right after its producer and its last reader outside the run, and each
    narrower concat is an `extract_slice` of its leading part. Bufferization then writes every source once, in place, instead of
    copying it into every later concat. A run stops before a concat that
    is read after the next source goes in (the view would be overwritten).
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def PadInPlacePass : Pass<"cnnc-pad-in-place", "::mlir::ModuleOp"> {
  let summary = "Decompose tensor.pad so that producers write into the padded buffer";
  let description = [{
    Every `tensor.pad` with a constant padding value becomes a padded tensor
    whose border is filled (one `linalg.fill` per padded side, on a slice)
    and a `tensor.insert_slice` of the source into its interior. Followed by
    `eliminate-empty-tensors`, the source's producer (a fused elementwise
    op, a conv) then writes directly into the interior of the padded buffer
    instead of into a buffer of its own that the pad copies. Where the
    interior is at most a quarter of the padded tensor, one fill of the
    whole tensor replaces the slabs (short strided runs there). With
    `border-only=false` the whole padded tensor is filled first (upstream's
    pad decomposition): one fill instead of one per side, which the GPU
    pipeline keeps (one kernel launch per fill there).
  }];
  let options = [
    Option<"borderOnly", "border-only", "bool", /*default=*/"true",
           "fill only the border, not the interior the source overwrites">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def BlockConvFiltersPass : Pass<"cnnc-block-conv-filters", "::mlir::ModuleOp"> {
  let summary = "Split large-filter convs into one conv per filter block of 64 (or 32, 16) channels, and odd channel counts into whole vectors and the rest";
  let description = [{
    A `linalg.conv_2d_nhwc_hwcf` whose HWCF filter is at least
    `min-filter-bytes` and has more than one block of 64 output channels
    (a block row is whole cache lines of floats; the whole lines past the
    last block of 64, and the channels past the last whole line, form tail
    blocks, inserted first, each starting its own chain, and the equal
    blocks after them start theirs, `cnn.chain_start`; F of at most 64
    whole lines takes blocks of 32, or 16) becomes one conv per block: the filter block is a
    `tensor.extract_slice`
    (parameter-only, so `cnnc-hoist-parameter-transforms` materializes it
    contiguously in `@prepare`), the block's accumulator a slice of the
    output, and the result is inserted back (in place after bufferization).
    Each block conv then streams a contiguous filter instead of rows F floats
    apart. With a `codegen.target`, a float conv of any filter size whose F
    is not a multiple of half the target's vector (whose channel tiles would
    be odd-width vectors) and whose output has more than one pixel per image
    becomes a conv over its whole vectors and a tail conv over the rest
    (ShuffleNetV2's 58 channels on 16 lanes: 48 + 10); and a float conv
    whose output width has no divisor of at least an eighth of the vector
    registers (register blocks span a divisor of at most half of them)
    becomes a conv over the columns of whole blocks and one over the rest,
    each reading its input columns (Inception-v3's 109: 96 + 13). Runs
    before hoisting.
  }];
  let options = [
    Option<"minFilterBytes", "min-filter-bytes", "int64_t", /*default=*/"524288",
           "Only filters at least this large are split">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def DemoteConvsToBf16Pass : Pass<"cnnc-demote-convs-to-bf16", "::mlir::ModuleOp"> {
  let summary = "Convolutions read bf16 inputs and filters, accumulate in f32 (--precision=bf16)";
  let description = [{
    Each f32 `linalg.conv_2d_nhwc_hwcf` over an even number of input
    channels reads its input and filter rounded to bf16 (elementwise
    `arith.truncf` generics; a zero `tensor.pad` of the input is rebuilt over
    the rounded tensor) and keeps its f32 accumulator and result. The
    filter's rounding is parameter-only (cnnc-hoist-parameter-transforms
    moves it to @prepare); the input's fuses into its producer. Other ops
    keep f32. Runs after cnnc-convert-cnn-to-linalg, before filter blocking
    and hoisting.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QuantizeConvsToInt8Pass : Pass<"cnnc-quantize-convs-to-int8", "::mlir::ModuleOp"> {
  let summary = "Calibrated convolutions on int8 inputs and filters, int32 accumulation "
                "(--precision=int8)";
  let description = [{
    Each f32 `linalg.conv_2d_nhwc_hwcf` over a multiple of 4 input channels
    whose node has a non-negative range in the module's `cnn.calibration`
    reads its input quantized to i8 in [0, 127] (one scale per tensor, from
    the calibrated maximum; a zero `tensor.pad` rebuilt over the quantized
    tensor) and its filter quantized symmetrically per output channel, laid
    out as quads [F/B, KH, KW, C/4, B, 4] behind a `cnn.layout_view`. The
    conv accumulates in i32 from zero; an elementwise dequantization
    (`init + s_x * s_w[f] * acc`) replaces its result. Runs after
    cnnc-convert-cnn-to-linalg, before filter blocking and hoisting.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"];
}

def WalkRowsOutsideBlocksPass : Pass<"cnnc-walk-rows-outside-blocks", "::mlir::ModuleOp"> {
  let summary = "A grouped conv's chain: the output rows parallel, the groups inside each row";
  let description = [{
    On buffers, before the foralls become OpenMP loops: a filter-block
    chain's `scf.forall` marked `cnn.rows_outside_blocks`
    (cnnc-tile-and-vectorize, from `rows_outside` schedules) whose body is
    ops that only read (the block's filter, bias and output view) and then
    one nest of sequential row loops becomes a forall over its first (at
    most three: images, rows, register blocks along the row) loops with
    the blocks a sequential loop inside: every
    group of a grouped conv then reads an input row while the others have
    it in cache, instead of each streaming the whole input.

    ```mlir
    scf.forall (%b) in (10) {
      %w = scf.index_switch %b ...
      scf.for %n = %c0 to %c8 step %c1 {
        scf.for %h = %c0 to %c14 step %c1 { ... %w, %b, %n, %h ... } } }
    // becomes
    scf.forall (%n, %h) in (8, 14) {
      scf.for %b = %c0 to %c10 step %c1 { %w = scf.index_switch %b ... ... } }
    ```
    A forall of another shape only loses its mark.
  }];
}

def PrefetchEpilogueReadsPass : Pass<"cnnc-prefetch-epilogue-reads", "::mlir::ModuleOp"> {
  let summary = "Prefetch what a register block's epilogue reads before its reduction loop";
  let description = [{
    On buffers: a register block is a loop nest that carries its
    accumulators in vectors (`scf.for` with vector iter_args), followed by
    its epilogue. Where the epilogue reads memory that the reduction does
    not write (a fused residual add reads the residual), the lines of that
    read are prefetched (`memref.prefetch`, one per cache line) before the
    reduction loop, so that they arrive while the reduction runs rather
    than stalling the epilogue: out-of-order execution reaches the
    epilogue's loads only in the reduction's last iterations, less than a
    memory latency before they are needed.

    ```mlir
    %acc = scf.for ... iter_args(%a = %init) -> (vector<1x14x32xf32>) { ... }
    %r = vector.transfer_read %residual[%n, %h, %w, %c] ... : vector<1x1x14x32xf32>
    // gets, before the loop, for each of the 14 rows and 2 lines of 16 floats:
    memref.prefetch %residual[%n, %h, %w + i, %c + 16 j], read, locality<3>, data
    ```
  }];
  let options = [
    Option<"maxPrefetches", "max-prefetches", "int64_t", /*default=*/"64",
           "a read of more lines is not prefetched">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect"];
}

def LowerAllocaScopesPass : Pass<"cnnc-lower-alloca-scopes", "::mlir::ModuleOp"> {
  let summary = "memref.alloca_scope as llvm.intr.stacksave, the body inlined, stackrestore";
  let description = [{
    Each `memref.alloca_scope` (convert-scf-to-openmp wraps every parallel
    iteration in one; canonicalization inlines those without allocations)
    becomes its body between `llvm.intr.stacksave` and
    `llvm.intr.stackrestore`, while the body is still one block (before
    convert-scf-to-cf splits it around loops).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def OutlineParallelRegionsPass : Pass<"cnnc-outline-parallel-regions", "::mlir::ModuleOp"> {
  let summary = "Move each OpenMP parallel region of a function into a function of its own";
  let description = [{
    Before translation to LLVM IR (LLVM dialect and `omp` ops): every
    top-level `omp.parallel` of an `llvm.func` holding more than one becomes
    the body of a new internal `llvm.func` (`<fn>..parallel`, renamed
    `_0`, `_1`, ... where taken), called in its place with the values it
    uses from around it; constants and global addresses are cloned in. The
    OpenMP translation analyses the whole enclosing function for each region
    it outlines: a model's @forward with hundreds of regions took time
    quadratic in its size.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LowerContractionsToAmxPass
    : Pass<"cnnc-lower-contractions-to-amx", "::mlir::ModuleOp"> {
  let summary = "bf16 and int8 conv register blocks with matrix tiles onto AMX tiles";
  let description = [{
    A `vector.contract` marked `codegen.matrix_tiles` (cnnc-tile-and-vectorize,
    from a conv schedule with `tile_rows` R): [P, K] input pixels x [K, N]
    filter rows of a filter prepared as pairs (bf16) or quads (int8), into an
    f32 (i32) accumulator carried through scf.for loops, becomes
    `amx.tile_mulf` (`amx.tile_muli`, signed x signed) on (P/R) x (N/16)
    accumulator tiles carried through the same loops, input and filter tiles
    loaded from their tensors' buffers, the accumulator in and out through a
    stack buffer (llvm.intr.stacksave / stackrestore around it). A marked
    contraction of another form loses its mark and is left to
    cnnc-lower-bf16-contractions or cnnc-lower-int8-contractions.
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect", "::mlir::amx::AMXDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def LowerBf16ContractionsPass : Pass<"cnnc-lower-bf16-contractions", "::mlir::ModuleOp"> {
  let summary = "bf16 vector contractions into f32 as AVX512_BF16 dot products";
  let description = [{
    A `vector.contract` of bf16 operands (or their `arith.extf` to f32)
    into f32 accumulators, shaped [pixels, K] x [K, N] (a conv's register
    block, cnnc-tile-and-vectorize), with K even and N a multiple of 4,
    becomes `x86vector.avx512.dot` (`vdpbf16ps`) per pixel, pair of K and
    16/8/4-lane slice of N: rhs rows interleaved in pairs by one shuffle
    each, the pixel's pair of lhs values broadcast as one 32-bit word.
    Other contractions are left alone.
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::x86vector::X86VectorDialect"];
}

def LowerInt8ContractionsPass : Pass<"cnnc-lower-int8-contractions", "::mlir::ModuleOp"> {
  let summary = "i8 vector contractions into i32 as AVX512_VNNI dot products";
  let description = [{
    A `vector.contract` of i8 operands (or their `arith.extsi` to i32) into
    i32 accumulators, shaped [pixels, K] x [K, N] (a conv's register block,
    cnnc-tile-and-vectorize), with K a multiple of 4 and N of 4, becomes
    the target's u8 x s8 quad dot product (the module's
    `#codegen.cpu_target`: `vpdpbusd` with AVX512_VNNI or AVX-VNNI, else
    `vpmaddubsw` + `vpmaddwd` + add) per pixel, quad of K and 16/8/4-lane
    slice of N: the rhs rows read as quads from a
    filter prepared so (cnnc-quantize-convs-to-int8's layout view) or
    interleaved by shuffles, the pixel's four lhs values broadcast as one
    32-bit word. `vpdpbusd` multiplies u8 by s8: the lhs must be
    non-negative, which only the caller can know, so contractions are
    rewritten only with `nonnegative-lhs` (cnnc's int8 pipeline, whose
    quantized activations are in [0, 127]). Others are left alone.
  }];
  let options = [
    Option<"nonnegativeLhs", "nonnegative-lhs", "bool", /*default=*/"false",
           "every i8 lhs value is in [0, 127]">
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect", "::mlir::vector::VectorDialect"];
}

def PlanMemoryPass : Pass<"cnnc-plan-memory", "::mlir::ModuleOp"> {
  let summary = "Place every intermediate buffer in one arena by liveness";
  let description = [{
    After bufferization, each top-level `memref.alloc` of an entry function
    becomes a `memref.view` into a new trailing argument `%arena :
    memref<Nxi8>`. Buffers whose live ranges (alias-aware, in program order)
    do not overlap share bytes; offsets are 64-byte aligned. The arena size N
    is recorded as the function attribute `cnn.arena_bytes`.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

def LowerCopiesPass : Pass<"cnnc-lower-copies", "::mlir::ModuleOp"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    Bufferization copies into strided subviews (concat, slices) as
    `memref.copy`, which the LLVM lowering turns into a call to an external
    `memrefCopy` from MLIR's C runner library. A compiled model must not need
    that library, so the copies become `linalg.copy` and lower to loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TrimPaddingTapsPass : Pass<"cnnc-trim-padding-taps", "::mlir::ModuleOp"> {
  let summary = "Drop the kernel taps of convs that read only padding";
  let description = [{
    A tap (kernel row or column) that reads zero padding for every output
    position adds nothing: a 3x3 conv with padding 1 over a 1x1 map is its
    center tap, a 1x1 conv. Each `cnn.conv2d` with such taps at its
    kernel's edges becomes a conv over a `cnn.slice` of the filter to the
    live taps, its padding shifted so every output reads the same inputs.
    Runs before the training step is built, so the gradients are those of
    the trimmed conv (the dead taps' weight gradient is zero either way).
  }];
}

def FuseActivationsPass : Pass<"cnnc-fuse-activations", "::mlir::ModuleOp"> {
  let summary = "x * sigmoid(x) as silu(x), x * hardsigmoid(x) as hardswish(x)";
  let description = [{
    Exporters write SiLU and Hardswish decomposed (torch.onnx.export at
    opset 13: Sigmoid and Mul, HardSigmoid and Mul). Where the gate has no
    other user, the pair becomes the one activation, which lowers to one
    elementwise body and fuses into a conv's epilogue like any activation.
  }];
}

def IgnoreSignedZerosInMaxMinPass : Pass<"cnnc-ignore-signed-zeros-in-max-min", "::mlir::ModuleOp"> {
  let summary = "arith.maximumf / minimumf stop ordering -0 below +0 (nsz), as PyTorch does (CPU)";
  let description = [{
    IEEE's maximum orders -0 below +0, which x86 has no instruction for:
    LLVM spends a sign test and two blends on it beside `vmaxps` and the NaN
    test, six instructions per max instead of three. PyTorch orders no
    signed zeros (`relu(-0.0)` is -0.0, `torch.maximum(-0.0, 0.0)` -0.0, a
    max pool keeps the first of equal zeros), so every `arith.maximumf` and
    `arith.minimumf` (ReLU, ReLU6, max pools, clamps) gets the `nsz`
    fast-math flag; NaN still propagates. The GPU's `max.NaN` needs no help.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ApproximateMathPass : Pass<"cnnc-approximate-math", "::mlir::ModuleOp"> {
  let summary = "Replace math.exp, math.tanh and math.erf by MLIR's polynomial approximations (CPU)";
  let description = [{
    LLVM lowers a vector `llvm.exp` (and tanh) to one libm call per lane,
    and has no erf at all: on the CPU, sigmoid's, SiLU's, softmax's, tanh's
    and GELU's `math.exp`, `math.tanh` and `math.erf` (scalar or vector)
    become MLIR's polynomial approximations (a few ulp in f32), which stay
    vectorized and need no libm. The GPU keeps them for libdevice.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect",
                           "::mlir::math::MathDialect"];
}

def SplitStridedConvsPass : Pass<"cnnc-split-strided-convs", "::mlir::ModuleOp"> {
  let summary = "Run strided convs as stride-1 convs over strided views of their input";
  let description = [{
    A `linalg.conv_2d_nhwc_hwcf` with a stride other than 1 (and dilation 1,
    or a 1x1 window) is split by phase: for each (ph, pw) < (s_h, s_w) with
    taps, a stride-1 conv of the filter's taps kh = ph mod s_h,
    kw = pw mod s_w (a strided `tensor.extract_slice` of the filter) over
    the view `tensor.extract_slice %x[0, ph, pw, 0] [...] [1, s_h, s_w, 1]`.
    The phase convs accumulate into the output one after the other; a 1x1
    conv has a single phase. Bufferization makes the input views and filter
    slices strided subviews: nothing is copied (within a tap, the filter's
    C x F block stays contiguous). The vectorized conv rows then load only
    the pixels they use, where a strided row loads the whole span under it
    and extracts every s-th pixel. Needs NHWC convs: runs after
    `cnnc-propagate-channels-last`, in the CPU schedule.

    The groups of a grouped conv (each a conv over a channel slice of the
    input) stay whole: cnnc-walk-rows-outside-blocks walks their rows
    together, one nest per group (ResNeXt-50's strided grouped conv in
    layer4 at batch 8 on Zen 5, AVX-512: 0.55x the time of its phases).
    Convs with fewer than `min-channels` input channels stay whole: the
    RGB stems (3 channels, 7x7 or 3x3) read their few channels for all
    kernel taps of a row in one vector, and measured 1.46x slower split
    (ResNet-50's stem, batch 1); a group of 16 channels (RegNetX's grouped
    convs) gives each phase only 16 to 64 FMAs per accumulator between
    its loads and stores of the whole block (docs/benchmarks.md, session
    21). Windowed convs (not 1x1) whose output rows
    are wider than `max-windowed-width` stay whole too: each phase passes
    over the whole output, and only the 7-wide rows (whose strided blocks
    were slowest) gained in every case measured. Split/whole, per layer:
    ResNet-50 layer4.0.conv2 0.74 (batch 1) / 0.80 (batch 8), ResNet-18
    layer4.0.conv1 0.76 / 1.01; 14 wide: 0.89 / 1.02 and 0.98 / 1.10; 28
    wide (ResNet-50 layer2.0.conv2): 1.07 / 1.23. Whatever their width,
    bf16 and int8 convs that the module's `codegen.target` runs on matrix
    tiles (AMX; cnnc-select-cpu-schedules) are split: the tiles need unit
    stride.
  }];
  let options = [
    Option<"minChannels", "min-channels", "int64_t", /*default=*/"32",
           "Only convs with at least this many input channels are split">,
    Option<"maxWindowedWidth", "max-windowed-width", "int64_t", /*default=*/"7",
           "Windowed (not 1x1) convs are split only if their output rows are at most this wide">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def PackColumnsIntoChannelsPass : Pass<"cnnc-pack-columns-into-channels", "::mlir::ModuleOp"> {
  let summary = "Pack adjacent output columns of a narrow conv into its channels";
  let description = [{
    A stride-1, undilated f32 `linalg.conv_2d_nhwc_hwcf` whose F output
    channels fill at most half of the target's vector (`codegen.target`
    lanes L) and whose accumulator is a `linalg.fill` packs p adjacent
    output columns into its channels: the largest p with p * F <= L that
    divides the input and output widths and needs fewer filter columns,
    KW' = (KW + p - 2) / p + 1 < KW. The input and output become
    [N, H, W / p, p * C] and [N, OH, OW / p, p * F] (expand/collapse
    shapes of NHWC, no copies) and the filter [KH, KW', p * C, p * F] with
    W'[kh, kw', j' C + c, j F + f] = W[kh, p kw' + j' - j, c, f], zero
    outside the window. LeNet's data gradient into its 6-channel layer on
    AVX-512: p = 2, 12 of 16 lanes, 3 filter columns instead of 5. Runs in
    the CPU schedule, before the schedules are selected.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def FuseQuantizationsIntoProducersPass : Pass<"cnnc-fuse-quantizations-into-producers", "::mlir::ModuleOp"> {
  let summary = "Fuse an int8 quantization into a producer that has other users";
  let description = [{
    An all-parallel, identity-indexed `linalg.generic` that reads one float
    tensor and writes it as i8 (the next conv's input quantization,
    cnnc-quantize-convs-to-int8) is fused into that tensor's elementwise
    producer when the producer has other users too (a residual add whose
    sum is the next block's residual as well): the fused producer yields
    both the float and the int8 value, so the float one is not read back
    from memory to be quantized. Runs after cnnc-fuse-conv-epilogues, so a
    fused producer is a conv's epilogue whose tile writes both.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FuseConvEpiloguesPass : Pass<"cnnc-fuse-conv-epilogues", "::mlir::ModuleOp"> {
  let summary = "Choose the elementwise consumer each conv absorbs into its register tile";
  let description = [{
    For each top-level, 4-D, all-parallel `linalg.generic` (ReLU, residual
    add + ReLU, ReLU6, ...) that reads a single-use conv's result
    (`linalg.conv_2d_nhwc_hwcf` or `linalg.depthwise_conv_2d_nhwc_hwc`)
    with the identity map, marks that conv `cnn.fused_epilogue` (the one
    computed last, if several); `cnnc-tile-and-vectorize` then tiles the
    consumer by the conv's register block and fuses the conv, and its
    accumulator's initializer (the bias broadcast), into the same tile, so
    the bias, the conv and the activation leave registers once.

    A consumer of a conv split by `cnnc-block-conv-filters` (a chain of
    block convs inserted into one tensor) is split the same way: one
    consumer per block, each reading its block conv. Block convs'
    accumulators become per-block slices of the bias broadcast.

    The fused tile runs where the consumer was, inside the consumer's
    layer: profiling marks (`cnnc_profile_mark`) of the conv's layer before
    it and of the consumer's after it make `cnnc-run --profile` report the
    fused time on the conv's layer (a layer's intervals add up).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def AccumulateIntoResidualPass : Pass<"cnnc-accumulate-into-residual", "::mlir::ModuleOp"> {
  let summary = "A fused epilogue's residual add writes in place on the residual";
  let description = [{
    For each 4-D elementwise epilogue of a conv marked
    `cnn.fused_epilogue` (by `cnnc-fuse-conv-epilogues`) whose destination
    is a `tensor.empty`: another identity-mapped input of the result's type,
    produced in the same block and read there for the last time (not a
    function argument, not returned), becomes the destination, and the
    payload reads it through the output block argument. Bufferization then
    writes the fused tile over the residual, one pass over memory fewer
    than reading it and writing a fresh buffer. The epilogues of a
    filter-block chain write into the residual's slices, the chain starting
    from it (first insert marked `cnn.chain_start`), where every block's
    schedule (`cnnc-select-cpu-schedules`, which runs first) fuses the
    accumulator's initializer into the register blocks.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def AttachTargetPass : Pass<"cnnc-attach-target", "::mlir::ModuleOp"> {
  let summary = "Describe an x86-64 CPU as the module's codegen.target";
  let description = [{
    Sets the module attribute `codegen.target = #codegen.cpu_target<...>`
    that every CPU scheduling pass reads, from LLVM's description of `cpu`
    as `cnnc -mcpu=CPU` does before lowering (compiler/Target/CpuTarget.cpp,
    docs/target.md). A named CPU takes its caches from the table, on any
    host, so that lit tests see one description everywhere; empty: the host
    (sysfs). For cnnc-opt and lit tests: `--cnnc-attach-target=cpu=x86-64-v3`.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", /*default=*/"\"\"",
           "LLVM CPU name (x86-64-v3, znver3, znver5, ...); empty: the host">,
  ];
  let dependentDialects = ["::mlir::codegen::CodegenDialect"];
}

def CollapseContractionReductionsPass
    : Pass<"cnnc-collapse-contraction-reductions", "::mlir::ModuleOp"> {
  let summary = "Collapse a contraction's contiguous M, N and reduction loops: a matmul again";
  let description = [{
    A contraction generic with loops [M...][N...][reductions...], each group
    laid out contiguously by every operand, gets one loop per group, so that
    it is matmul-like and scheduled as one: a flatten folded into a dense
    layer ([1, C, H, W] x [C, H, W, N]: one long vectorized reduction), and
    a flatten's gradient folded into dense's input gradient ([N, K] x [K, C,
    H, W] -> [N, C, H, W]), which otherwise ran as strided scalar loops.
    A zero-filled contraction whose second input orders the N loops
    otherwise than the output (dense's weight gradient through a flatten of
    NHWC activations: dW[o, c, h, w] = sum_n g[n, o] x[n, h, w, c]) first
    computes into a temporary in the input's order, transposed after.
  }];
}

def WinogradConvsPass : Pass<"cnnc-winograd-convs", "::mlir::ModuleOp"> {
  let summary = "Run 3x3 stride-1 float convs as Winograd F(m x m, 3 x 3) convs where that pays on the target";
  let description = [{
    A float `linalg.conv_2d_nhwc_hwcf` with a 3x3 window, unit stride and
    dilation, whose filter comes from parameters and whose channels are
    whole vectors of the module's `#codegen.cpu_target`, becomes a
    `codegen.winograd_conv2d`: the filter's transform `G g G^T` is a
    `linalg.generic` on parameters only (marked `cnn.prepared_transform`,
    so that `cnnc-hoist-parameter-transforms` computes it once at load
    although it is (m + 2)^2 / 9 times the filter), and the input's
    padding grows to cover whole tiles. Per tile, m^2 outputs take
    (m + 2)^2 C F multiplications instead of 9 m^2 C F (F(4x4): 2.25 per
    output instead of 9; F(2x2): 4), the transforms' additions aside. The
    largest m up to `output-tile` whose rules hold is taken: the filter's
    transform prepared at load where it is read from cache (not where it
    is read from memory more than its products reuse it, where the conv
    has fewer tiles than two register blocks' rows, or where a block of
    tiles' transformed input would not fit the L2 cache); else the 3x3
    filter itself stays the op's filter, transformed in the loops, where
    the direct conv is not bound by reading it (ResNet's 14x14 layers at
    batch 1, its 7x7 ones at batch 8); else the conv stays.
    Runs before `cnnc-block-conv-filters` and hoisting, on the CPU only.
  }];
  let options = [
    Option<"outputTile", "output-tile", "int64_t", /*default=*/"4",
           "Largest output tile side m of F(m x m, 3 x 3) tried: 4 (then 2) or 2; 0 turns the rewrite off">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::codegen::CodegenDialect"];
}

def LowerWinogradConvsPass : Pass<"cnnc-lower-winograd-convs", "::mlir::ModuleOp"> {
  let summary = "Apply the Winograd schedules: one parallel loop of vector code per winograd conv";
  let description = [{
    The application half for `codegen.winograd_conv2d` with a
    `#codegen.winograd_schedule` (`cnnc-select-cpu-schedules`): an
    `scf.forall` over images and rows of output tiles. Each iteration walks
    its row in blocks of `tile_block` tiles: the block's patches are
    transformed (`B^T d B`, one vector of channels at a time, constant
    coefficients folded: zeros skipped, ones added) into a stack buffer
    [tiles, (m + 2)^2, C]; then, per `channel_tile` output channels and
    transform position, a register block of tiles x channel tile
    accumulates over the input channels (broadcast input x filter vectors)
    into a second buffer, which `A^T M A` turns into the output tiles. The
    accumulator's initializer (a bias broadcast is read as its vector, a
    fill as its scalar) and the op's elementwise consumer (ReLU, a
    residual add: its scalar body applied to vectors) are applied as the
    outputs are written; rows and columns past the output's edge are not.
    With the 3x3 filter (`filter_chunk`): a forall over images and tile
    rows writes every tile's transformed patches into one tensor; a second
    runs over groups of `group_images` images and channel tiles, each
    transforming its filter slice `filter_chunk` input channels at a time
    (`G g G^T`) into a stack buffer and accumulating its tiles' products
    before the output transform.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::codegen::CodegenDialect"];
}

def SelectCpuSchedulesPass : Pass<"cnnc-select-cpu-schedules", "::mlir::ModuleOp"> {
  let summary = "Write each op's CPU schedule, derived from the module's codegen.target";
  let description = [{
    The selection half of CPU scheduling (IREE's
    LLVMCPUSelectLoweringStrategy): from each op's shape and the module's
    `#codegen.cpu_target` (vector lanes L, vector registers R, caches, FMA
    rate), writes a typed, verified `codegen.schedule`; the passes that
    apply them (`cnnc-tile-matmuls`, `cnnc-tile-and-vectorize`) choose
    nothing. The rules, with their reasons and measurements in
    compiler/Transforms/SelectCpuSchedules.cpp and docs/target.md:

    - `linalg.conv_2d_nhwc_hwcf` gets `#codegen.conv_schedule`: a register
      block of batch x width x output channels. The channel tile is two or
      one whole vectors (a half vector for channel counts that are no
      multiple of L); the widest row block whose accumulators, the filter
      vectors and one broadcast fit the R registers (`wide-blocks`; without
      it, half the file), a row that fits whole doubled with the next
      image's when the batch is even; ties keep the wider channel tile. The
      reduction steps 8 input channels where 4 registers stay free, else 1.
      With `short-rows-wide-filter`, a short row doubles its channel tile
      at one register over the file where the target issues one vector FMA
      a cycle and has embedded broadcasts (7 x 64 on Zen 4). With
      `chunked-rows`, a short row of a two-tile filter block larger than
      half of L2 takes the `chunked_filter_blocks` order: one parallel tile
      per thread, the reduction in chunks whose filter slice fits a quarter
      of L2. With `l1-chunked-pointwise`, a 1x1 conv's widened short row
      takes that order with chunks whose filter slice fits 3/4 of L1, so
      that rows after the first read it from L1, not L2. With
      `chunked-filter-rows`, a conv whose filter block is larger than L2
      and has several rows (a weight gradient's: the output gradient as
      filter) takes the `chunked_filter_rows` order, chunks of rows whose
      slice fits a quarter of L2. With
      `filter-outer` (off: measured slower), filters larger than
      L2 with 8 or more channel tiles take the `filter_blocks` order.
      `fuse_epilogue`/`fuse_init` follow `cnnc-fuse-conv-epilogues`;
      `group_chain` (with `group-block-chains`) marks the convs of filter-
      block chains to run as one forall over their blocks where a block has
      at most `max-grouped-register-blocks` register blocks, and chunked ones;
      the groups of a grouped conv over an input larger than half of L2
      form a chain whatever their register blocks, with `rows_outside`
      (`rows-outside-groups`): its rows are the parallel loop, every group
      walked inside each (cnnc-walk-rows-outside-blocks); so do the filter
      blocks of a conv over such an input whose whole filter fits in L2
      (`rows-outside-blocks`). With `channel-rest`, a float conv whose
      output channels are whole vectors and one power-of-two part of a
      vector (MobileNetV3's 40 = 2 x 16 + 8) takes the whole vectors' block
      and `channel_rest` for the part, where its images and pixels make at
      least 8 parallel blocks; without, every block takes half vectors.
    - Depthwise convs and max/sum pools (`depthwise`, `pooling`) get
      `#codegen.window_schedule`: two or one vectors of channels, the row
      block within half the file.
    - Matmul-like contractions (`matmuls`) get `#codegen.matmul_schedule`:
      an M x N block within half the file, a row of at most (FMA issue rate
      x latency) vectors, the innermost reduction one vector per step.

    Without a `codegen.target` module attribute the pass fails (with
    cnnc-opt, run `--cnnc-attach-target` first).
  }];
  let options = [
    Option<"wideBlocks", "wide-blocks", "bool", /*default=*/"true",
           "Row blocks filling the register file (14 x 32 on AVX-512) instead of half of it">,
    Option<"shortRowsWideFilter", "short-rows-wide-filter", "bool", /*default=*/"true",
           "Short rows double their channel tile at one register over the file (7 x 64) "
           "where the target issues one vector FMA a cycle">,
    Option<"fitL1Ways", "fit-l1-ways", "bool", /*default=*/"true",
           "a row block of one vector a row whose input pixels share an L1 set "
           "takes at most as many pixels as the set has ways, less one">,
    Option<"chunkedRows", "chunked-rows", "bool", /*default=*/"true",
           "Short rows of a filter block larger than L2/2: one parallel tile per thread, "
           "the reduction chunked outside the row loop">,
    Option<"chunkedFilterRows", "chunked-filter-rows", "bool", /*default=*/"true",
           "A filter block larger than L2 with more than one filter row (a weight "
           "gradient's), re-read by every register block: the reduction in chunks of "
           "filter rows whose slice fits a quarter of L2, outside the register blocks">,
    Option<"l1ChunkedPointwise", "l1-chunked-pointwise", "bool", /*default=*/"true",
           "A pointwise conv's widened short row: the reduction in chunks whose filter "
           "slice fits 3/4 of L1, outside the row loop">,
    Option<"filterOuter", "filter-outer", "bool", /*default=*/"false",
           "Iterate filter blocks outermost for filters larger than L2">,
    Option<"groupBlockChains", "group-block-chains", "bool", /*default=*/"true",
           "One scf.forall over the filter blocks of a block-split conv">,
    Option<"rowsOutsideGroups", "rows-outside-groups", "bool", /*default=*/"true",
           "The groups of a grouped conv run as one chain whose parallel loop walks the "
           "output rows, every group inside each row">,
    Option<"rowsOutsideBlocks", "rows-outside-blocks", "bool", /*default=*/"true",
           "Filter-block chains over an input larger than L2/2 whose whole filter fits L2: "
           "rows outside the blocks too">,
    Option<"channelRest", "channel-rest", "bool", /*default=*/"true",
           "Output channels past a conv's last whole vector as a register block of their own "
           "in the same parallel iteration (channel_rest)">,
    Option<"maxGroupedRegisterBlocks", "max-grouped-register-blocks", "int64_t",
           /*default=*/"128",
           "Group a chain only where a block has at most this many register blocks "
           "(measured on 2 threads)">,
    Option<"depthwise", "depthwise", "bool", /*default=*/"true",
           "Schedule depthwise convs (linalg.depthwise_conv_2d_nhwc_hwc)">,
    Option<"pooling", "pooling", "bool", /*default=*/"true",
           "Schedule max and sum pools (linalg.pooling_nhwc_max/sum)">,
    Option<"matmuls", "matmuls", "bool", /*default=*/"true",
           "Schedule matmul-like contractions">,
    Option<"matrixTiles", "matrix-tiles", "bool", /*default=*/"true",
           "bf16 and int8 convs on the CPU's matrix tiles (AMX) where the target has them">,
    Option<"candidate", "candidate", "int64_t", /*default=*/"0",
           "cnnc --tune: give every conv its K-th alternative block (0: the rules')">,
    Option<"tuningCache", "tuning-cache", "std::string", /*default=*/"\"\"",
           "A tuning cache (cnnc --tune): tuned conv schedules by shape">,
    Option<"recordPath", "record", "std::string", /*default=*/"\"\"",
           "cnnc --tune: write each conv's node, shape key and schedule here (JSON lines)">,
  ];
  let dependentDialects = ["::mlir::codegen::CodegenDialect"];
}

def TileAndVectorizePass : Pass<"cnnc-tile-and-vectorize", "::mlir::ModuleOp"> {
  let summary = "Apply the conv, depthwise and pooling schedules: tile, then vectorize";
  let description = [{
    The application half of CPU scheduling: mechanical, it chooses nothing.
    For every op with a `#codegen.conv_schedule` or
    `#codegen.window_schedule` (`cnnc-select-cpu-schedules`):

    - Convs of filter-block chains marked `group_chain` become one
      `scf.forall` over the blocks (the filter selected by
      `scf.index_switch` on the block index, compiler/Transforms/
      BlockChainForall.cpp), each block's register blocks in sequential
      loops inside; a conv whose chain did not form gets `group_chain` reset.
    - `rows` order and window schedules: an `scf.forall` over [N, 1, OW, F]
      register blocks ([1, 1, OW, C] for windows) built with
      `scf::tileConsumerAndFuseProducersUsingSCF`, tiling the conv's
      epilogue with the conv fused in (`fuse_epilogue`) and fusing its
      accumulator's initializer (`fuse_init`), all vectorized together so
      the accumulator is initialized and finished in registers. With a
      `channel_rest`, the forall runs over [N, 1, OW] only and each of its
      iterations splits the fused ops along the channels: a loop over the
      whole `channel_tile` blocks, then the rest, each part's ops computed
      from the part before (TilingInterface's tiled implementations).
    - A transform schedule built with the transform ops' C++ builders: for
      the filter-block orders, the filter blocks as a forall (a loop in a
      block chain's forall), the reduction chunks, then the rows and width
      blocks as loops; for every conv, the reduction (kh, kw, C step) tiled,
      decomposed to a 1-D conv and vectorized, accumulators hoisted into
      loop-carried vectors; windows tile their kernel rows.
  }];
  let dependentDialects = ["::mlir::transform::TransformDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect", "::mlir::affine::AffineDialect",
                           "::mlir::codegen::CodegenDialect"];
}

def TileMatmulsPass : Pass<"cnnc-tile-matmuls", "::mlir::ModuleOp"> {
  let summary = "Apply the matmul schedules: tile dense layers' matmuls, vectorize them";
  let description = [{
    Every op with a `#codegen.matmul_schedule` (`cnnc-select-cpu-schedules`;
    a `linalg.matmul` [M, K] x [K, N] with the weight transposed to [K, N]
    in `@prepare`, or a matmul-like generic) is tiled by a transform
    schedule built with the transform ops' builders: an `scf.forall` over
    [M, N] register blocks, the reductions in the schedule's steps,
    vectorized to a `vector.contract` on contiguous weight rows with the
    accumulator carried in registers (it lowers to broadcast FMAs).
  }];
  let dependentDialects = ["::mlir::transform::TransformDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect", "::mlir::codegen::CodegenDialect"];
}

def ParallelizeElementwisePass
    : Pass<"cnnc-parallelize-elementwise", "::mlir::ModuleOp"> {
  let summary = "Split large elementwise generics and reductions over the threads";
  let description = [{
    Every top-level `linalg.generic` on tensors with at least
    `min-elements` iterations (the layout-transpose epilogues between
    convolutions with their batchnorm, activation and residual add; bias
    broadcasts; global pooling) is tiled with `tile_using_forall` into
    `chunks` pieces along its outermost parallel dimension that has at least
    `chunks` elements, recorded as `cnn.parallel_chunks = array<i64: ...>`
    (pieces per dimension). The forall becomes an OpenMP loop like the
    convolutions'; the pieces stay scalar loops for LLVM to vectorize.
    Without it these loops run on one core while the other waits.

    First, each reduction whose first input is read through a permutation
    map (or a projected one whose other loops are single iterations, which
    go outermost) is interchanged to iterate in that input's memory order:
    a global pool over NHWC then reads its input contiguously, channels innermost,
    instead of 2048 floats apart. A sum of one input into its last few
    dimensions (at most 256 outputs, innermost: a conv's bias gradient over
    NHWC) takes the reduction loop just outside them as parallel partial
    sums (W x C independent elements innermost), summed over W after. A sum into at most 256 outputs over a
    large input (a conv's bias gradient, batchnorm's statistics in
    training) is then split along its outermost reduction loop into
    `chunks` partial sums and their sum, so that the pieces split the input
    rather than the few outputs. Copies through a permutation that read
    their input a page apart per element iterate in the input's order;
    those that read a line or more (under a page) apart per element walk
    each piece in blocks of a line by a line (`cnn.transpose_tiles`, then
    scf.for loops). Elementwise generics that read an operand backwards (a
    data gradient's flipped filter), which `tile_using_forall` cannot
    slice, are split by hand along a loop every operand indexes as a
    dimension of its own.
  }];
  let options = [
    Option<"chunks", "chunks", "int64_t", /*default=*/"4",
           "Pieces per op (a multiple of the thread count balances best)">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"16384",
           "Smaller ops stay sequential (a parallel region costs microseconds)">,
  ];
  let dependentDialects = ["::mlir::transform::TransformDialect", "::mlir::scf::SCFDialect"];
}

def FlattenElementwiseLoopsPass
    : Pass<"cnnc-flatten-elementwise-loops", "::mlir::ModuleOp"> {
  let summary = "Elementwise generics over contiguous buffers as one loop";
  let description = [{
    After bufferization: a `linalg.generic` without reductions or index
    ops whose operands are all accessed through identity maps and whose
    buffers collapse to one dimension (reads at constant indices aside)
    becomes the same generic over `memref.collapse_shape` views, so
    its loop nest is one loop over the elements, which LLVM vectorizes
    whatever the last dimension's extent (a 3x3 filter's optimizer update
    was a nest of 3-trip scalar loops). A `linalg.fill` of a contiguous
    buffer likewise fills it as one loop (a memset).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def InterleaveChannelsPass : Pass<"cnnc-interleave-channels", "::mlir::ModuleOp"> {
  let summary = "Layout changes to a few interleaved channels and channel shuffles, by vector shuffles";
  let description = [{
    After bufferization: a `linalg.generic` copy through a permutation
    whose result ends in a few channels (2 to 4: an RGB image's NCHW ->
    NHWC at a model's input) and whose input's innermost dimension is the
    result's next-to-innermost one (the image's width, contiguous on both
    sides) becomes loops over vector rows: each channel's row of one
    vector is loaded, the rows are interleaved by one `vector.shuffle`, and
    the channels x lanes floats are stored as one contiguous vector.
    Lowered as a loop nest, LLVM vectorized the copy with scatters (AMD
    Zen 5) or not at all.

    ```mlir
    linalg.generic {indexing_maps = [(n, h, w, c) -> (n, c, h, w), identity]}
        ins(%x : memref<2x3x224x224xf32>) outs(%y : memref<2x224x224x3xf32, strided<...>>)
    // becomes, per (n, h) and 16 pixels w:
    %r0 = vector.load %x[%n, 0, %h, %w] : vector<16xf32>   // and %r1, %r2
    %i = vector.shuffle ... [0, 16, 32, 1, 17, 33, ...] : vector<48xf32>
    vector.store %i, %y_rows[%n, %h, 3 * %w]                // %y with (w, c) collapsed
    ```

    Likewise a channel shuffle of 2 to 4 groups in NHWC (ShuffleNet's: a
    copy whose input map reads channel (c mod g) * C/g + c floordiv g of
    the same pixel, checked for every c): per pixel and `lanes` channels of
    each group, the g rows are loaded (`vector.maskedload`, the last step of
    a group masked), interleaved by the same shuffle, and stored as g x
    lanes contiguous channels (`vector.maskedstore`). As a loop nest each
    channel was a scalar gather.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"];
}

def InstrumentLayersPass : Pass<"cnnc-instrument-layers", "::mlir::ModuleOp"> {
  let summary = "Mark layer boundaries for per-layer profiling";
  let description = [{
    Before each cnn op of `@forward` (and before its return) inserts
    `func.call @cnnc_profile_mark(%id)`, and records the layer names, in id
    order, as the module attribute `cnn.layers`; the same for `@train_step`
    (labels "node op", as `cnn.train_layers`). The compiled library
    defines `cnnc_profile_mark` to call a hook the runtime installs for
    `cnnc-run --profile` (one load and branch per layer otherwise).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::arith::ArithDialect"];
}

def HoistParameterTransformsPass
    : Pass<"cnnc-hoist-parameter-transforms", "::mlir::ModuleOp"> {
  let summary = "Move computations on parameters alone into a load-time function";
  let description = [{
    Ops of `@forward` that depend only on parameters (weight layout
    transposes and reshapes) move into `@prepare(params...) -> (prepared...)`,
    which the runtime runs once when the model is loaded. `@forward` receives
    the prepared tensors as extra arguments marked `cnn.prepared = <index>`.
    Ops whose result is larger than their operands (broadcasts) stay: they
    would trade per-call work for batch-sized memory; except those marked
    `cnn.prepared_transform` (a Winograd filter transform,
    `cnnc-winograd-convs`), a load-time layout larger by design.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MapLoopsToGpuPass : Pass<"cnnc-map-loops-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Map each top-level loop nest of the entry functions to GPU blocks and threads";
  let description = [{
    After `convert-linalg-to-parallel-loops`, every top-level `scf.parallel`
    of `@forward`/`@prepare` is collapsed to one dimension, tiled by
    `block-size`, and annotated so that `convert-parallel-loops-to-gpu` maps
    the tiles to blocks and the elements to threads (an `scf.if` guards the
    tail). Top-level sequential loop nests run in a single thread. Nothing
    touches memory on the host afterwards, so all buffers can live on the GPU.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256", "Threads per block">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::affine::AffineDialect"];
}

def DistinctFunctionResultsPass
    : Pass<"cnnc-distinct-function-results", "::mlir::ModuleOp"> {
  let summary = "Give every repeated tensor result of a function its own copy";
  let description = [{
    CSE may make a function return one value in two result positions (the
    backward graph computes some gradients identically). Bufferized, both
    results would be one buffer, which buffer-results-to-out-params cannot
    split into two out-parameters. Each repeat becomes
    `bufferization.alloc_tensor() copy(%v)`, which CSE does not merge.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def GpuAtomicReductionsPass
    : Pass<"cnnc-gpu-atomic-reductions", "::mlir::ModuleOp"> {
  let summary = "Spread narrow, long f32 sums over threads with atomic adds (GPU)";
  let description = [{
    On bufferized linalg ops (named ops are generalized first) whose payload
    is `yield addf(f(ins), out)`, with fewer than `min-outputs` outputs and at
    least `min-reduction` summed terms: becomes an scf.parallel over every
    dimension but the innermost reduction one, a sequential scf.for over that
    one summing in a register, and one `memref.atomic_rmw addf` into the
    output. Used on the GPU path only, before the loops are mapped to blocks
    and threads: bias and small-filter gradients otherwise run on a handful of
    threads.
  }];
  let options = [
    Option<"minOutputs", "min-outputs", "int64_t", "4096",
           "ops with at least this many outputs are left alone">,
    Option<"minReduction", "min-reduction", "int64_t", "256",
           "ops summing fewer terms per output are left alone">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect"];
}

def MarkNoAliasKernelArgsPass
    : Pass<"cnnc-mark-noalias-kernel-args", "::mlir::ModuleOp"> {
  let summary = "Mark a kernel's buffer arguments noalias where they are disjoint";
  let description = [{
    After kernel outlining, each kernel has one launch. Where every buffer
    it receives is a distinct function argument or a memref.view of the arena
    at a constant offset, and no two byte ranges overlap, its memref
    arguments get `llvm.noalias`: LLVM may then keep a reduction's
    accumulator in a register instead of storing it every iteration.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def FuseGpuLoopNestsPass : Pass<"cnnc-fuse-gpu-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Fuse adjacent parallel loop nests that meet only at the same element";
  let description = [{
    On the GPU path every top-level `scf.parallel` becomes one kernel: a
    conv's bias broadcast, the conv and its ReLU were three kernels, each
    writing the whole output to memory for the next to read. Where two
    adjacent nests have the same bounds and every pair of their accesses
    that may touch the same bytes is the same buffer at the same index (the
    loops' induction variables, position by position), the first nest's body
    is put at the start of the second's: each thread then computes its
    element's bias, sum and activation in a row (upstream's
    `scf::naivelyFuseParallelOps` rule, with disjointness proved from the
    arena plan's byte ranges, `BufferRanges.h`, which upstream's alias
    analysis cannot see). The two need not be adjacent: a nest looks back
    over up to four earlier ones for a partner, if that one commutes with
    every nest between them (no store of either touches bytes the other
    accesses: a pad's fill between a conv and its ReLU). Other ops between
    must be free of memory effects, or profiling marks: those move after
    the fused nest, so the fused time (and that of nests between) is
    reported on the first layer's mark, as the CPU's fused epilogues are. A
    body with any memory access other than loads and stores (atomics) is
    left alone.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def TileGpuLoopNestsPass : Pass<"cnnc-tile-gpu-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Give each GPU thread a register tile of a reduction nest's outputs";
  let description = [{
    A top-level `scf.parallel` whose body is straight-line code around one
    perfect nest of `scf.for` loops (a conv, dense layer or pool after
    `convert-linalg-to-parallel-loops` and `cnnc-fuse-gpu-loop-nests`) makes
    one GPU thread per output: every multiply-add loads both of its
    operands, and the loads, not the arithmetic, bound the kernel. This
    pass gives each thread a tile of `channel-tile` x `row-tile` outputs
    along the nest's two innermost parallel dimensions (channels and output
    columns in NHWC): the iterations of the tile are jammed into one
    reduction nest (legal because a parallel loop's iterations are
    independent), so a load that does not depend on a tiled dimension (the
    input pixel, across a channel tile; the filter tap, across a row tile)
    is made once per tile, and the tile's sums stay in registers.

    A dimension is tiled only where some load of the innermost body does
    not depend on it, by the largest power of two up to its option that
    divides its extent, and only while the nest keeps at least `min-threads`
    threads (the target's `GpuTarget::minBusyThreads`): small layers (batch
    1, 7x7 maps) keep one thread per output. The loop is rewritten with
    unit steps: along the innermost dimension a thread's elements are a
    tile count apart (`t + k * extent / tile`: adjacent threads touch
    adjacent channels in each of the tile's loads and stores, which a warp
    then makes as one coalesced access), along the other they are adjacent
    (`t * tile + k`: a column tile's input windows overlap in the cache).
  }];
  let options = [
    Option<"channelTile", "channel-tile", "int64_t", /*default=*/"4",
           "Most outputs a thread computes along the innermost dimension">,
    Option<"rowTile", "row-tile", "int64_t", /*default=*/"4",
           "Most outputs a thread computes along the second innermost dimension">,
    Option<"minThreads", "min-threads", "int64_t", /*default=*/"0",
           "Fewest threads a tiled nest may keep">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
}

def ContractMultiplyAddsPass
    : Pass<"cnnc-contract-multiply-adds", "::mlir::ModuleOp"> {
  let summary = "Turn a float multiply whose only use is an add into math.fma";
  let description = [{
    `arith.mulf` and `arith.addf` without fast-math flags lower to IEEE
    `mul.rn.f32` and `add.rn.f32` in PTX, which ptxas may not contract: a
    GPU kernel then spends two instructions on every multiply-add of a
    convolution. This pass rewrites `addf(mulf(a, b), c)` (in either operand
    order), where the product has no other use, as `math.fma(a, b, c)`: one
    instruction and one rounding, as cuDNN's kernels (and the CPU path's
    vector FMAs) compute. Scalars and vectors of any float type.
  }];
  let dependentDialects = ["::mlir::math::MathDialect"];
}

def MergeGpuModulesPass : Pass<"cnnc-merge-gpu-modules", "::mlir::ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per kernel, each named
    after its kernel, and their functions share names (`@forward_kernel` in
    every module). This pass moves every kernel into one module,
    `@cnnc_kernels`, renaming each function after the module it came from
    (the names outlining made unique), and points the launches at them. The
    library then holds one PTX module: `--emit=ptx` writes a file `ptxas`
    assembles as it is, and loading the library JIT-compiles one module
    instead of one per kernel. The modules must share their targets.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def EnqueueGpuLaunchesPass
    : Pass<"cnnc-enqueue-gpu-launches", "::mlir::ModuleOp"> {
  let summary = "Launch a function's kernels in order on one stream, with no host wait";
  let description = [{
    A synchronous `gpu.launch_func` waits on the host for its kernel to end
    (gpu-to-llvm: stream create, launch, synchronize, destroy): a host
    round trip after every kernel. The host code of cnnc's entry points
    never touches device memory (`cnnc-map-loops-to-gpu`), so no kernel
    needs to wait for the host or the host for a kernel: this pass makes
    each function's launches asynchronous, chained in program order on the
    token of one `gpu.wait async` at the function's entry (one stream, so
    each kernel still starts after the previous one ends), and waits for
    none of them. The caller (libcnnrt) synchronizes once, where results
    must come back, and can capture the enqueued launches as a CUDA graph.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def DistributeParallelLoopsPass
    : Pass<"cnnc-distribute-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Choose how the threads share each OpenMP loop's iterations";
  let description = [{
    Sets the schedule clause of every `omp.wsloop` (made from the tiles'
    scf.forall loops by convert-scf-to-openmp). `static` splits the
    iterations into one contiguous range per thread, decided before the loop
    runs: on a machine whose cores are shared, the loop waits for its slowest
    thread. `dynamic` hands out `chunk` iterations at a time to whichever
    thread is free; `guided` hands out shrinking chunks (large first, then
    down to `chunk`). The measurements that chose the default are in
    docs/benchmarks.md.
  }];
  let options = [
    Option<"schedule", "schedule", "std::string", /*default=*/"\"static\"",
           "static, dynamic or guided">,
    Option<"chunk", "chunk", "int64_t", /*default=*/"0",
           "iterations handed out at a time (0: the runtime's default)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::omp::OpenMPDialect"];
}

def BuildTrainStepPass : Pass<"cnnc-build-train-step", "::mlir::ModuleOp"> {
  let summary = "Differentiate @forward and add the SGD update: @train_step";
  let description = [{
    Reads the module attribute `cnn.training` (loss, learning rate, momentum,
    weight decay, nesterov) and builds

      @train_step(inputs..., labels, rng, params..., momentum buffers..., lr)
        -> (loss, updated learnable params..., updated buffers..., grads...,
            updated batchnorm running statistics...)

    by replaying @forward with batchnorm in training mode and dropout
    (p > 0) as cnn.dropout_train on `rng` = {seed, step}, applying
    softmax_cross_entropy to its single output, and walking the ops
    backwards: each forward op's vector-Jacobian product is built from cnn
    gradient ops (conv2d_grad_input/_weight, maxpool2d_grad, matmul,
    batchnorm_grad, ...); gradients of values used twice are summed. Finally
    one cnn.sgd_update per learnable parameter implements torch.optim.SGD.
    Ops without a gradient rule are reported, all at once, by node name.

    With `data-parallel`, also the step of one data-parallel replica
    (docs/training.md), with @train_step's signature:

      @train_step_replicated(inputs..., labels, rng, params..., buffers...,
                             lr, step) -> (as @train_step's results)

    In it batchnorm's statistics and the loss's mean run over every replica
    (`cross_replica`), so that the replicas' gradients sum to the combined
    batch's, and each gradient is summed over the replicas
    (cnn.cross_replica_sum) right after the op that completes it, before
    clipping and the update, which every replica then applies alike.
  }];
  let options = [
    Option<"dataParallel", "data-parallel", "bool", /*default=*/"false",
           "also build @train_step_replicated">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // CNNC_PASSES
