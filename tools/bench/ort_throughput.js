// Throughput of one ONNX Runtime InferenceSession (npm onnxruntime-node) called by
// several concurrent callers, the way tools/bench/throughput.py compares cnnc.
//
//   NODE_PATH=build/bench-peers/node_modules \
//   node ort_throughput.js MODEL.onnx INPUT.f32 N,C,H,W --callers K --threads T --seconds S
//
// One session with T intra-op threads (1 inter-op thread, sequential execution, all
// graph optimizations). K callers each run the session in a loop (await run, again)
// for S seconds after a warm-up; onnxruntime-node runs each call on a worker thread,
// so K calls proceed at once. Prints one JSON line:
// {"engine": "ort", "callers": K, "threads": T, "runs": R, "seconds": s, "images_per_s": x}.
"use strict";
const fs = require("fs");
const ort = require("onnxruntime-node");

function fail(msg) {
  process.stderr.write(`ort_throughput.js: error: ${msg}\n`);
  process.exit(1);
}

async function main() {
  const argv = process.argv.slice(2);
  const a = { callers: 1, threads: 1, seconds: 5, positional: [] };
  for (let i = 0; i < argv.length; ++i) {
    const s = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : fail(`${s} needs a value`));
    if (s === "--callers") a.callers = parseInt(value(), 10);
    else if (s === "--threads") a.threads = parseInt(value(), 10);
    else if (s === "--seconds") a.seconds = parseFloat(value());
    else if (s.startsWith("--")) fail(`unknown option ${s}`);
    else a.positional.push(s);
  }
  if (a.positional.length !== 3) fail("usage: ort_throughput.js MODEL.onnx INPUT.f32 N,C,H,W");
  const [modelPath, inputPath, shapeText] = a.positional;
  const shape = shapeText.split(",").map((d) => parseInt(d, 10));
  const raw = fs.readFileSync(inputPath);
  const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ["cpu"],
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, shape) };
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  let runs = 0;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(a.seconds * 1e9));
  async function caller() {
    while (process.hrtime.bigint() < deadline) {
      await session.run(feeds);
      ++runs;
    }
  }
  await Promise.all(Array.from({ length: a.callers }, caller));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ engine: "ort", callers: a.callers, threads: a.threads, runs,
                               seconds, images_per_s: (runs * shape[0]) / seconds }));
}

main().catch((e) => fail(e.message));
