/**
 * The preset dictionary event bodies are deflated with (stored-text.ts): the keys and common
 * values of the event wire format, so even a 500-byte body compresses to well under half
 * (a body alone gives deflate little to refer back to). Deflate finds matches anywhere in the
 * dictionary and codes nearer ones a little cheaper, so the most frequent event (a step report)
 * comes last.
 *
 * Part of the storage format: a stored value names the dictionary it was deflated with, and
 * values written with this one must inflate with exactly these bytes forever. Never edit it;
 * add a new dictionary with a new tag instead (stored-text.test.ts pins its SHA-256).
 */
export const EVENT_BODY_DICTIONARY_1 = [
  '{"id":"","type":"sdk.dropped","time":"","reason":"buffer full","count":,"from":"","to":""}',
  '{"name":"Error","message":"","stack":"Error: \\n    at ',
  '"gate":{"outcome":"escalate","kinds":["confidence","cumulative","contract","stale","unscored"],"minConfidence":0.,"minCumulative":0.,"issues":[{"message":"","path":[""]}]},',
  '"gate":{"outcome":"flag","kinds":[]},"gate":{"outcome":"pass","kinds":[]},"spotCheck":{"rate":0.},"contract":{"jsonSchema":{"type":"object","properties":{},"required":[]},"vendor":"zod"},',
  '"golden":{"set":"","case":"","result":"","outcome":"pass"},"outcome":"fail"},"epoch":1,"epochSeq":',
  '"error":{"name":"","message":""},"attemptErrors":[{"name":"","message":""}],"escalationId":"","flagged":true,',
  '"confidenceSource":"self-reported","confidenceSource":"judge","confidenceSource":"consistency","confidenceSource":"rule","confidenceSource":"logprob",',
  '"source":"direct","source":"human","source":"cache","calibrated":0.,"observedAt":"","maxAgeMs":,"stale":true,"call":1,',
  '{"id":"","type":"run.failed","time":"","runId":"","workflow":"","version":"1","error":{"name":"","message":""},"stepId":"","durationMs":}',
  '{"id":"","type":"run.paused","time":"","runId":"","workflow":"","version":"1","stepId":"","escalationId":"","durationMs":}',
  '{"id":"","type":"run.completed","time":"","runId":"","workflow":"","version":"1","output":{},"durationMs":}',
  '{"id":"","type":"run.started","time":"","runId":"","workflow":"","version":"1","epoch":0,"epochSeq":0,"key":"","input":{}}',
  '{"id":"","type":"step.failed","time":"2026-12-06T00:00:00.000Z","runId":"","workflow":"","version":"1","stepId":"","step":"","parents":[],"source":"direct","stale":false,"attempt":1,"durationMs":,"startedAt":"","error":{',
  '{"id":"","type":"step.completed","time":"2026-12-06T00:00:00.000Z","runId":"","workflow":"","version":"1","stepId":"","step":"","parents":["',
  '"],"output":{"value":""},"cumulative":0.8,"source":"inferred","stale":false,"attempt":1,"durationMs":,"startedAt":"2026-12-06T00:00:00.000Z","input":{},"confidence":0.9,"reasoning":"","alternatives":[""],"features":{}}',
].join("");
