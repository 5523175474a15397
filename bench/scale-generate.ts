/**
 * Makes a scale store once, to be measured (again) by test/reliability/scale.test.ts:
 *
 *   node --import tsx bench/scale-generate.ts <dataDir> <stepEvents> [newStepEvents]
 *
 * then `SEAMTRACE_SCALE_LARGE_DIR=<dataDir> npm run test:reliability -- scale` measures it
 * instead of generating one. Needs a build (`npm run build`): the store's first start is a real
 * `seamtrace serve`. See test/support/scale-store.ts.
 */
import { prepareScaleStore } from "../test/support/scale-store.js";

const [dataDir, steps, fresh] = process.argv.slice(2);
if (!dataDir || !steps) throw new Error("usage: bench/scale-generate.ts <dataDir> <stepEvents> [newStepEvents]");
const t0 = performance.now();
const s = await prepareScaleStore({
  dataDir,
  stepEvents: Number(steps),
  newStepEvents: Number(fresh ?? 10_000),
  log: (l) => console.log(new Date().toISOString(), l),
});
console.log(JSON.stringify({ ...s, totalS: Math.round((performance.now() - t0) / 1000) }, null, 2));
