import { expect, it } from "vitest";
import { EventQueue } from "./event-queue.js";

it("is first in, first out across compactions", () => {
  const q = new EventQueue<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 300; i++) q.push(next++);
    for (let i = 0; i < 250; i++) expect(q.shift()).toBe(expected++);
  }
  expect(q.length).toBe(next - expected);
  expect(q.peek()).toBe(expected);
  while (q.length > 0) expect(q.shift()).toBe(expected++);
  expect(q.shift()).toBeUndefined();
  expect(q.peek()).toBeUndefined();
});
