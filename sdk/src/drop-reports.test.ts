import { expect, it } from "vitest";
import { DropReports } from "./drop-reports.js";

it("coalesces drops per reason until taken, then starts afresh", () => {
  const r = new DropReports();
  let n = 0;
  const id = () => `id-${++n}`;
  r.note("buffer_full", 1, Date.parse("2025-01-01T00:00:00Z"));
  r.note("buffer_full", 2, Date.parse("2025-01-01T00:00:05Z"));
  r.note("http_400", 10, Date.parse("2025-01-01T00:00:03Z"));
  expect(r.size).toBe(2);
  expect(r.take(1, id)).toEqual([
    {
      id: "id-1",
      type: "sdk.dropped",
      time: "2025-01-01T00:00:05.000Z",
      reason: "buffer_full",
      count: 3,
      from: "2025-01-01T00:00:00.000Z",
      to: "2025-01-01T00:00:05.000Z",
    },
  ]);
  r.note("buffer_full", 4, Date.parse("2025-01-01T00:00:09Z"));
  expect(r.take(10, id).map((e) => [e.reason, e.count])).toEqual([
    ["http_400", 10],
    ["buffer_full", 4],
  ]);
  expect(r.size).toBe(0);
});
