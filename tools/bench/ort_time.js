// Times one ONNX model in ONNX Runtime (npm onnxruntime-node, its native CPU library)
// the way tools/bench/zoo_bench.py compares it.
//
//   NODE_PATH=build/bench-peers/node_modules \
//   node ort_time.js MODEL.onnx INPUT.f32 N,C,H,W --runs N [--threads T] [--warmup W]
//                    [--output OUT.f32] [--profile PREFIX]
//
// INPUT.f32: the input tensor as raw little-endian float32. The session uses T intra-op
// threads (1 inter-op thread, sequential execution, all graph optimizations), runs W
// times untimed, then N times timed. Prints one JSON line:
// {"engine": "ort", "runs": N, "min_ms": ..., "median_ms": ..., "max_ms": ...}.
// --output writes the first output as raw float32 for the correctness check.
// --profile turns on ONNX Runtime's profiler (per-node kernel times of every run) and
// writes its JSON to PREFIX_<date>.json; the file name is added to the JSON line.
"use strict";
const fs = require("fs");
const ort = require("onnxruntime-node");

function fail(msg) {
  process.stderr.write(`ort_time.js: error: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const a = { threads: 2, warmup: 5, runs: 0, output: null, profile: null, positional: [] };
  for (let i = 0; i < argv.length; ++i) {
    const s = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${s} needs a value`);
      return argv[++i];
    };
    if (s === "--runs") a.runs = parseInt(value(), 10);
    else if (s === "--threads") a.threads = parseInt(value(), 10);
    else if (s === "--warmup") a.warmup = parseInt(value(), 10);
    else if (s === "--output") a.output = value();
    else if (s === "--profile") a.profile = value();
    else if (s.startsWith("--")) fail(`unknown option ${s}`);
    else a.positional.push(s);
  }
  if (a.positional.length !== 3) fail("usage: ort_time.js MODEL.onnx INPUT.f32 N,C,H,W --runs N");
  if (!(a.runs > 0) || !(a.threads > 0) || !(a.warmup >= 0)) fail("--runs, --threads must be positive");
  return a;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const [modelPath, inputPath, shapeText] = a.positional;
  const shape = shapeText.split(",").map((d) => parseInt(d, 10));
  const raw = fs.readFileSync(inputPath);
  const count = shape.reduce((p, d) => p * d, 1);
  if (raw.length !== count * 4) fail(`${inputPath}: ${raw.length} bytes, expected ${count * 4} for ${shapeText}`);
  const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));

  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ["cpu"],
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    ...(a.profile ? { enableProfiling: true, profileFilePrefix: a.profile } : {}),
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, shape) };
  let out = null;
  for (let i = 0; i < a.warmup; ++i) out = await session.run(feeds);
  const ms = [];
  for (let i = 0; i < a.runs; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  if (out === null) out = await session.run(feeds);
  if (a.output) {
    const t = out[session.outputNames[0]];
    fs.writeFileSync(a.output, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  let profile;
  if (a.profile) {
    session.endProfiling(); // writes PREFIX_<date>.json, but does not return its name
    const path = require("path");
    const dir = path.dirname(a.profile), base = path.basename(a.profile) + "_";
    const files = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith(".json"))
      .map((f) => path.join(dir, f)).sort((x, y) => fs.statSync(y).mtimeMs - fs.statSync(x).mtimeMs);
    profile = files[0];
  }
  ms.sort((x, y) => x - y);
  const n = ms.length;
  const median = n % 2 ? ms[(n - 1) / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  const version = require("onnxruntime-node/package.json").version;
  console.log(JSON.stringify({ engine: "ort", runs: n, min_ms: ms[0], median_ms: median, max_ms: ms[n - 1],
                               onnxruntime_node: version, threads: a.threads,
                               ...(profile ? { profile } : {}) }));
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
