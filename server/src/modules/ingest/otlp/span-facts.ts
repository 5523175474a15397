import type { OtlpSpan } from "./contract.js";
import type { AttrValue } from "./attributes.js";

/** What the mapper reads off one span before it becomes a step event. */
export interface SpanFacts {
  /** Request order, for messages and to keep events in span order. */
  index: number;
  span: OtlpSpan;
  attrs: Map<string, AttrValue>;
  resource: Map<string, AttrValue>;
  runId: string;
  runKey: string | undefined;
  stepId: string;
  parents: string[];
  startMs: number;
  endMs: number;
  durationMs: number;
}
