/**
 * Writes golden/sets/claims.jsonl from the claims generator (its truth at every step).
 * Run: node --conditions=source --import tsx golden/scripts/make-claims-set.ts
 * golden/src/claims-set.test.ts fails when the committed file and the generator disagree.
 */
import { CLAIMS_GOLDEN_SET, goldenCases } from "@seamtrace/example-claims/golden";
import { writeFile } from "node:fs/promises";
import { serializeGoldenSet } from "../src/golden-set.js";

const path = new URL("../sets/claims.jsonl", import.meta.url);
await writeFile(path, serializeGoldenSet(goldenCases(CLAIMS_GOLDEN_SET)));
process.stdout.write(`wrote ${CLAIMS_GOLDEN_SET.count} cases to ${path.pathname}\n`);
