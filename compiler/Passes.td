//===- Passes.td - cnnc passes ------------------------------*- tablegen -*-===//
//
// Every step of cnnc's pipeline is a pass declared here, with a lit test of
// the same name under test/.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_PASSES
#define CNNC_PASSES

include "mlir/Pass/PassBase.td"

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
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
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
    `(n, c, h, w) -> (n, h, w, c)`) and feeds another generic write its
    result in NHWC, giving each user an NHWC -> NCHW transpose that
    elementwise fusion (run inside the pass, to a fixed point) folds into
    generic users or cancels against the NCHW -> NHWC transpose in front of
    the next conv. Layout changes remain only where a non-elementwise op
    needs NCHW (flatten, concat, the function's inputs and results).
    Finally every all-parallel generic whose result map is a permutation is
    interchanged to iterate in the result's memory order, so that its
    innermost loop writes contiguously.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def PadInPlacePass : Pass<"cnnc-pad-in-place", "::mlir::ModuleOp"> {
  let summary = "Decompose tensor.pad so that producers write into the padded buffer";
  let description = [{
    Every `tensor.pad` with a constant padding value becomes a padded tensor
    whose border is filled (one `linalg.fill` per padded side, on a slice)
    and a `tensor.insert_slice` of the source into its interior. Followed by
    `eliminate-empty-tensors`, the source's producer (a fused elementwise
    op, a conv) then writes directly into the interior of the padded buffer
    instead of into a buffer of its own that the pad copies. With
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
  let summary = "Split large-filter convs into one conv per 64-channel filter block";
  let description = [{
    A `linalg.conv_2d_nhwc_hwcf` whose HWCF filter is at least
    `min-filter-bytes` and has more than one block of 64 output channels
    becomes one conv per block: the filter block is a `tensor.extract_slice`
    (parameter-only, so `cnnc-hoist-parameter-transforms` materializes it
    contiguously in `@prepare`), the block's accumulator a slice of the
    output, and the result is inserted back (in place after bufferization).
    Each block conv then streams a contiguous filter instead of rows F floats
    apart. Runs before hoisting.
  }];
  let options = [
    Option<"minFilterBytes", "min-filter-bytes", "int64_t", /*default=*/"524288",
           "Only filters at least this large are split">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
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

    Convs with fewer than `min-channels` input channels stay whole: the
    RGB stems (3 channels, 7x7 or 3x3) read their few channels for all
    kernel taps of a row in one vector, and measured 1.46x slower split
    (ResNet-50's stem, batch 1). Windowed convs (not 1x1) whose output rows
    are wider than `max-windowed-width` stay whole too: each phase passes
    over the whole output, and only the 7-wide rows (whose strided blocks
    were slowest) gained in every case measured. Split/whole, per layer:
    ResNet-50 layer4.0.conv2 0.74 (batch 1) / 0.80 (batch 8), ResNet-18
    layer4.0.conv1 0.76 / 1.01; 14 wide: 0.89 / 1.02 and 0.98 / 1.10; 28
    wide (ResNet-50 layer2.0.conv2): 1.07 / 1.23.
  }];
  let options = [
    Option<"minChannels", "min-channels", "int64_t", /*default=*/"16",
           "Only convs with at least this many input channels are split">,
    Option<"maxWindowedWidth", "max-windowed-width", "int64_t", /*default=*/"7",
           "Windowed (not 1x1) convs are split only if their output rows are at most this wide">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
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

def TileAndVectorizePass : Pass<"cnnc-tile-and-vectorize", "::mlir::ModuleOp"> {
  let summary = "Tile convolutions for registers and cache, then vectorize them";
  let description = [{
    Chooses per-layer tile sizes for every `linalg.conv_2d_nhwc_hwcf` (output
    width x output channels x input-channel step, and the loop order),
    records them as the attribute
    `cnn.tile = array<i64: OW, F, C, ORDER, N, EPILOGUE, INIT>`,
    tiles the output into an `scf.forall` of [N, 1, OW, F] register blocks
    (`scf::tileConsumerAndFuseProducersUsingSCF`, fusing what EPILOGUE and
    INIT below say), then applies a generated transform-dialect schedule:
    tile the reduction (kh, kw, C step), decompose to a 1-D conv and
    vectorize, hoisting the accumulator into loop-carried vectors. The C
    step is 8 input channels, unrolled, except for blocks of 28
    accumulators, which step one channel at a time: unrolled, their loads
    left LLVM no free register and it spilled an accumulator every step. On this machine's AVX-512 that reaches ~99% of one core's FMA
    peak on ResNet layers (shared/notes/mlir22-facts.md).

    With `filter-outer=true`, ORDER = 1 (filter-block outer) where the
    filter exceeds the L2 cache (> 1 MiB) and has at least 8 F blocks: the
    `scf.forall` then runs over F blocks only, and each block walks the
    output rows and width blocks in sequential loops, reading its filter
    slice from memory once instead of once per output row. It is off by
    default: on ResNet's 7x7x512 layers it measured 5-15% slower than the
    row-parallel order (docs/benchmarks.md), so the filter's re-streaming
    is not what limits those layers.

    With `wide-blocks` (on), rows that are a multiple of 14 outputs
    (ResNet's 112, 56, 28, 14) use blocks of 14 outputs x 32 channels (28
    accumulators of the 32 zmm registers, no spills); rows of 7 use the same
    row of two images, 2 x 7 x 32, when the batch is even, and 7 x 64
    otherwise (each broadcast input used for 4 FMAs instead of 2, at the
    cost of two spilled accumulators); otherwise blocks are up to 8 x 32.

    With `chunked-rows` (on), a rows-of-7 conv at batch 1 whose filter
    (block) has 64 output channels and exceeds 512 KB gets ORDER 2: the
    `scf.forall` runs over its two 32-channel halves (7 x 32 blocks), and
    inside each the reduction is cut into chunks of 128 input channels
    outside the loop over rows, so that a chunk of the filter is read from
    memory once and reused by all 7 rows from L2 (row by row, each row
    re-read the whole 1.18 MB block of a 3x3x512 conv).

    EPILOGUE = 1: the conv was marked by `cnnc-fuse-conv-epilogues`; the
    forall tiles its elementwise consumer, into which the conv is fused.
    INIT = 1: the accumulator's initializer (a bias broadcast or fill) is
    fused into the same tile. Both are vectorized with the conv, so the
    accumulator is initialized and finished in registers.

    Depthwise convs (`linalg.depthwise_conv_2d_nhwc_hwc`, `depthwise`, on)
    get `cnn.tile = array<i64: OW, C, EPILOGUE, INIT>`: an `scf.forall` of [1, 1, OW, C]
    output blocks (C 32 or 16 channels, a whole number of vectors), the
    kernel rows in a loop, each row decomposed to a 1-D depthwise conv that
    the vectorizer unrolls over the kernel width with the channels in vector
    lanes.

    Max and sum pools (`linalg.pooling_nhwc_max`, `linalg.pooling_nhwc_sum`,
    option `pooling`, on) are scheduled like depthwise convs, with the same
    `cnn.tile` form: their window is a depthwise conv's without the filter.
    Lowered as they are, they nest the window loops innermost and stay
    scalar and on one thread (ResNet's stem max pool took 2.2-2.6 ms at
    batch 8).

    With `group-block-chains` (on), the convs that `cnnc-block-conv-filters`
    split into 64-channel filter blocks (each with its initializer and
    epilogue, from `cnnc-fuse-conv-epilogues`) become one `scf.forall` over
    the blocks, the filter selected by `scf.index_switch` on the block
    index, and each block's register blocks run in sequential `scf.for`
    loops inside it. Tiled block by block, each block was its own parallel
    region: 32 forks and joins for a 512 -> 2048 1x1 conv, and at batch 1
    a block of 7 rows split 4 : 3 between two threads. Chains of row-outer
    (ORDER 0) convs are grouped where a filter block has at most 128
    register blocks (ResNet's rows of 14 and 7 at batch 1, rows of 7 at
    batch 8: with more, each thread streaming the whole input once per
    filter block measured slower than both sharing it row by row). Chains of
    ORDER 2 convs are grouped too; in the forall their 32-channel halves run
    in a loop (ORDER 3).
  }];
  let options = [
    Option<"enable", "enable", "bool", /*default=*/"true",
           "Apply the schedule (false: only annotate tile sizes)">,
    Option<"groupBlockChains", "group-block-chains", "bool", /*default=*/"true",
           "One scf.forall over the filter blocks of a block-split conv">,
    Option<"filterOuter", "filter-outer", "bool", /*default=*/"false",
           "Iterate filter blocks outermost for filters larger than L2">,
    Option<"wideBlocks", "wide-blocks", "bool", /*default=*/"true",
           "Register blocks of 14 x 32 (rows of 14k) or 7 x 64 (rows of 7) instead of 8 x 32">,
    Option<"chunkedRows", "chunked-rows", "bool", /*default=*/"true",
           "Rows of 7 at batch 1 with a large filter block: one thread per 32-channel half, "
           "the reduction chunked outside the row loop (ORDER 2)">,
    Option<"depthwise", "depthwise", "bool", /*default=*/"true",
           "Also tile and vectorize depthwise convs (linalg.depthwise_conv_2d_nhwc_hwc)">,
    Option<"pooling", "pooling", "bool", /*default=*/"true",
           "Also tile and vectorize max and sum pools (linalg.pooling_nhwc_max/sum)">,
  ];
  let dependentDialects = ["::mlir::transform::TransformDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect", "::mlir::affine::AffineDialect"];
}

def TileMatmulsPass : Pass<"cnnc-tile-matmuls", "::mlir::ModuleOp"> {
  let summary = "Tile dense layers' matmuls for registers and vectorize them";
  let description = [{
    Every static `linalg.matmul` ([M, K] x [K, N], the weight already
    transposed to [K, N] in `@prepare`) gets `cnn.tile = array<i64: M, N, K>`
    from its shape and a generated transform-dialect schedule: an
    `scf.forall` over [M, N] register blocks, the K reduction in steps,
    vectorized to a `vector.contract` on contiguous weight rows with the
    accumulator carried in registers (it lowers to broadcast FMAs). At
    batch 1 (a matrix-vector product that streams the weight) the block is
    one row of 128 floats (8 zmm): enough independent FMA chains, and the
    forall spreads the columns over the cores.
  }];
  let options = [
    Option<"enable", "enable", "bool", /*default=*/"true",
           "Apply the schedule (false: only annotate tile sizes)">,
  ];
  let dependentDialects = ["::mlir::transform::TransformDialect", "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
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
    map is interchanged to iterate in that input's memory order: a global
    pool over NHWC then reads its input contiguously, channels innermost,
    instead of 2048 floats apart.
  }];
  let options = [
    Option<"chunks", "chunks", "int64_t", /*default=*/"4",
           "Pieces per op (a multiple of the thread count balances best)">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"16384",
           "Smaller ops stay sequential (a parallel region costs microseconds)">,
  ];
  let dependentDialects = ["::mlir::transform::TransformDialect", "::mlir::scf::SCFDialect"];
}

def InstrumentLayersPass : Pass<"cnnc-instrument-layers", "::mlir::ModuleOp"> {
  let summary = "Mark layer boundaries for per-layer profiling";
  let description = [{
    Before each cnn op of `@forward` (and before its return) inserts
    `func.call @cnnc_profile_mark(%id)`, and records the layer names, in id
    order, as the module attribute `cnn.layers`. The compiled library
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
    would trade per-call work for batch-sized memory.
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
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // CNNC_PASSES
