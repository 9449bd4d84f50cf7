//===- CodegenAttrs.td - target and schedule attributes ----*- tablegen -*-===//

#ifndef CNNC_DIALECT_CODEGEN_ATTRS
#define CNNC_DIALECT_CODEGEN_ATTRS

include "Codegen/CodegenBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

class Codegen_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Codegen_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
  let assemblyFormat = "`<` struct(params) `>`";
}

def Codegen_CpuTargetAttr : Codegen_Attr<"CpuTarget", "cpu_target"> {
  let summary = "an x86-64 CPU as the schedules see it";
  let description = [{
    What every CPU scheduling decision is derived from, filled by the
    driver from LLVM's description of `-mcpu` (or the host): the vector
    width LLVM uses and the vector registers it allocates from (its
    TargetTransformInfo) and its cache line, the ISA extensions, the caches (the host's from
    sysfs, a named CPU's from a table; `cache_source` says which), FMA
    issue and latency and the L3's read rate per core in bytes a cycle (a
    table: LLVM does not say), and the cores (the
    host's; 0 when compiling for another machine).

    ```mlir
    module attributes {codegen.target = #codegen.cpu_target<cpu = "znver3",
        vector_bits = 256, vector_registers = 16, isa = "avx,avx2,fma",
        fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 32768, l1d_ways = 8,
        cache_line_bytes = 64, l2_bytes = 524288, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>} {}
    ```
  }];
  let parameters = (ins
    StringRefParameter<"LLVM CPU name">:$cpu,
    "int64_t":$vector_bits,
    "int64_t":$vector_registers,
    StringRefParameter<"comma-separated ISA extensions">:$isa,
    "int64_t":$fma_per_cycle,
    "int64_t":$fma_latency,
    "int64_t":$l1d_bytes,
    "int64_t":$l1d_ways,
    "int64_t":$cache_line_bytes,
    "int64_t":$l2_bytes,
    "int64_t":$l3_bytes,
    "int64_t":$l3_bytes_per_cycle,
    StringRefParameter<"host, table or default">:$cache_source,
    "int64_t":$cores);
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// f32 lanes per vector register.
    int64_t getLanes() const { return getVectorBits() / 32; }
    bool hasIsa(::llvm::StringRef name) const;
    /// Input channels of `element` one matrix-tile row holds (AMX: 64
    /// bytes, 32 bf16 or 64 int8), or 0 where the target multiplies no
    /// tiles of that type.
    int64_t getMatrixTileChannels(::mlir::Type element) const;
  }];
}

def Codegen_ConvLoopOrder : I32EnumAttr<"ConvLoopOrder", "a conv schedule's loop order", [
    // The parallel loop runs over register blocks (output rows outermost):
    // small filters stay in cache from row to row.
    I32EnumAttrCase<"Rows", 0, "rows">,
    // The parallel loop runs over filter blocks, each walking every output
    // row: a large filter is read from memory once.
    I32EnumAttrCase<"FilterBlocks", 1, "filter_blocks">,
    // As filter_blocks, the reduction cut into chunks outside the row loop:
    // each filter chunk is read once and reused by all rows from L2.
    I32EnumAttrCase<"ChunkedFilterBlocks", 2, "chunked_filter_blocks">,
    // As chunked_filter_blocks, the chunks cut along the filter's rows
    // (reduction_chunk of its KH rows each): a weight gradient's filter is
    // the output gradient, [OH, OW, N, F], whose rows are many and whose
    // channels (the batch) few.
    I32EnumAttrCase<"ChunkedFilterRows", 3, "chunked_filter_rows">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::codegen";
}

def Codegen_ConvScheduleAttr : Codegen_Attr<"ConvSchedule", "conv_schedule"> {
  let summary = "register block, reduction step and loop order of a 2-D convolution";
  let description = [{
    For `linalg.conv_2d_nhwc_hwcf` (loops n, oh, ow, f, kh, kw, c): a
    register block of `batch_tile` images x `width_tile` outputs x
    `channel_tile` output channels of accumulators, a reduction step of
    `reduction_step` input channels per vector contraction, and the loop
    order. `reduction_chunk` is the chunk of input channels of the chunked
    order (0 otherwise). `fuse_epilogue`: the conv's elementwise consumer
    (chosen by cnnc-fuse-conv-epilogues) is tiled by the register block with
    the conv fused in; `fuse_init`: so is the accumulator's initializer.
    `group_chain`: a chain of such convs over the blocks of one filter
    (cnnc-block-conv-filters) becomes one parallel loop over the blocks;
    with `rows_outside`, the parallel loop runs over the output rows
    instead, each row walking every block (the groups of a grouped conv,
    whose input rows each block reads a slice of, then share them in cache).
    `tile_rows`, where nonzero: the block's contraction runs on the CPU's
    matrix tiles (AMX, cnnc-lower-contractions-to-amx), each tile
    `tile_rows` output pixels x 16 output channels, 64 bytes of input
    channels (32 bf16, 64 int8) a step.
    `channel_rest`, where nonzero (rows order only): the conv's last
    `channel_rest` output channels, past its last whole `channel_tile`, are
    a register block of their own in the same iteration of the parallel
    loop, which then runs over images and pixels only, the channel tiles
    walked in sequence inside it.
  }];
  let parameters = (ins
    "int64_t":$batch_tile,
    "int64_t":$width_tile,
    "int64_t":$channel_tile,
    "int64_t":$reduction_step,
    EnumParameter<Codegen_ConvLoopOrder>:$order,
    DefaultValuedParameter<"int64_t", "0">:$reduction_chunk,
    DefaultValuedParameter<"bool", "false">:$fuse_epilogue,
    DefaultValuedParameter<"bool", "false">:$fuse_init,
    DefaultValuedParameter<"bool", "false">:$group_chain,
    DefaultValuedParameter<"int64_t", "0">:$tile_rows,
    DefaultValuedParameter<"bool", "false">:$rows_outside,
    DefaultValuedParameter<"int64_t", "0">:$channel_rest);
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// This schedule with another `group_chain` flag (`rows_outside` only
    /// where it stays a chain).
    ConvScheduleAttr withGroupChain(bool groupChain) const;
    /// This schedule with other channel tiles and rest.
    ConvScheduleAttr withChannels(int64_t channelTile, int64_t channelRest) const;
  }];
}

def Codegen_WindowScheduleAttr : Codegen_Attr<"WindowSchedule", "window_schedule"> {
  let summary = "register block of a depthwise convolution or a pooling window";
  let description = [{
    For depthwise convs and max/sum pools in NHWC (loops n, oh, ow, c, kh,
    kw): blocks of `width_tile` outputs x `channel_tile` channels, kernel
    rows one at a time. The parallel blocks are walked rows first,
    or with `channels_outer` channel blocks first (each thread's blocks then
    share their channels' filter slice). Fusion flags and `channel_rest`
    (not with `channels_outer`) as in `#codegen.conv_schedule`.
  }];
  let parameters = (ins
    "int64_t":$width_tile,
    "int64_t":$channel_tile,
    DefaultValuedParameter<"bool", "false">:$fuse_epilogue,
    DefaultValuedParameter<"bool", "false">:$fuse_init,
    DefaultValuedParameter<"bool", "false">:$channels_outer,
    DefaultValuedParameter<"int64_t", "0">:$channel_rest);
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// This schedule with other channel tiles and rest.
    WindowScheduleAttr withChannels(int64_t channelTile, int64_t channelRest) const;
  }];
}

def Codegen_WinogradScheduleAttr : Codegen_Attr<"WinogradSchedule", "winograd_schedule"> {
  let summary = "tile blocks and channel tiles of a `codegen.winograd_conv2d`";
  let description = [{
    The parallel loop runs over images and rows of output tiles; each
    iteration walks its row in blocks of `tile_block` tiles: it transforms
    the block's input patches into a buffer, then, per `channel_tile`
    output channels, multiplies them with each transform position's filter
    (a register block of `tile_block` x `channel_tile` accumulators over
    the input channels) and transforms the products back into the output,
    with the initializer and the elementwise consumer applied there.
    With `filter_chunk` (an untransformed 3x3 filter): a first parallel
    loop transforms every tile's patches into one buffer; a second runs
    over the channel tiles, each transforming its slice of the filter
    `filter_chunk` input channels at a time into a cache-sized buffer and
    accumulating the products of every tile of `group_images` images over
    them (blocks of `tile_block` tiles), then the output transform of those
    tiles for its channels; its iterations run over image groups and
    channel tiles (`group_images` 0: all images in one group).
  }];
  let parameters = (ins "int64_t":$tile_block, "int64_t":$channel_tile,
                        DefaultValuedParameter<"int64_t", "0">:$filter_chunk,
                        DefaultValuedParameter<"int64_t", "0">:$group_images);
  let genVerifyDecl = 1;
}

def Codegen_MatmulScheduleAttr : Codegen_Attr<"MatmulSchedule", "matmul_schedule"> {
  let summary = "register block and reduction steps of a matmul-like contraction";
  let description = [{
    For a contraction into an [M, N] result (loops m, n, then reductions): a
    parallel `m_tile` x `n_tile` block of accumulators, and one step per
    reduction loop (1 for every one but the innermost).
  }];
  let parameters = (ins
    "int64_t":$m_tile,
    "int64_t":$n_tile,
    ArrayRefParameter<"int64_t">:$reduction_tiles);
  let genVerifyDecl = 1;
}

#endif // CNNC_DIALECT_CODEGEN_ATTRS
