/**
 * A small validator for JUnit XML, with the rules of the Jenkins xUnit plugin's junit-10.xsd
 * (the schema most JUnit consumers follow: which elements may hold which, which attributes are
 * required or allowed, the pattern of `time`). Written for tests: it parses the XML it checks
 * (well-formedness included) and returns every problem, not only the first.
 */

interface Node {
  name: string;
  attrs: Map<string, string>;
  children: Node[];
  text: string;
  line: number;
}

interface ElementRule {
  required: string[];
  optional: string[];
  /** Allowed child elements; null for text-only content. */
  children: string[] | null;
}

const TEXT_ONLY: ElementRule["children"] = null;
const OUTCOME: ElementRule = { required: [], optional: ["type", "message"], children: TEXT_ONLY };
const RERUN: ElementRule = { required: ["type"], optional: ["message"], children: ["stackTrace", "system-out", "system-err"] };

/** junit-10.xsd, element by element. */
export const JUNIT_10: Record<string, ElementRule> = {
  testsuites: { required: [], optional: ["name", "time", "tests", "failures", "errors"], children: ["testsuite"] },
  testsuite: {
    required: ["name", "tests", "failures", "errors"],
    optional: ["group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url"],
    children: ["testsuite", "properties", "testcase", "system-out", "system-err"],
  },
  testcase: {
    required: ["name"],
    optional: ["time", "classname", "group"],
    children: ["skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure", "flakyError", "system-out", "system-err"],
  },
  failure: OUTCOME,
  error: OUTCOME,
  skipped: OUTCOME,
  properties: { required: [], optional: [], children: ["property"] },
  property: { required: ["name", "value"], optional: [], children: [] },
  "system-out": { required: [], optional: [], children: TEXT_ONLY },
  "system-err": { required: [], optional: [], children: TEXT_ONLY },
  stackTrace: { required: [], optional: [], children: TEXT_ONLY },
  rerunFailure: RERUN,
  rerunError: RERUN,
  flakyFailure: RERUN,
  flakyError: RERUN,
};

/** SUREFIRE_TIME in junit-10.xsd. */
const SUREFIRE_TIME = /^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$/;
/** Characters XML 1.0 allows. */
const XML_CHAR = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** Problems with `xml` as a junit-10.xsd document; empty when it is valid. */
export function junitSchemaProblems(xml: string): string[] {
  const problems: string[] = [];
  let root: Node;
  try {
    root = parse(xml);
  } catch (err) {
    return [`not well-formed XML: ${(err as Error).message}`];
  }
  if (root.name !== "testsuites" && root.name !== "testsuite")
    problems.push(`line ${root.line}: root element <${root.name}> is neither <testsuites> nor <testsuite>`);
  const walk = (n: Node) => {
    const rule = JUNIT_10[n.name];
    if (!rule) return void problems.push(`line ${n.line}: element <${n.name}> is not in the schema`);
    for (const a of rule.required) if (!n.attrs.has(a)) problems.push(`line ${n.line}: <${n.name}> lacks the required attribute ${a}`);
    for (const a of n.attrs.keys())
      if (!rule.required.includes(a) && !rule.optional.includes(a)) problems.push(`line ${n.line}: <${n.name}> may not have the attribute ${a}`);
    const time = n.attrs.get("time");
    if (time !== undefined && (n.name === "testsuite" || n.name === "testsuites") && !SUREFIRE_TIME.test(time))
      problems.push(`line ${n.line}: <${n.name}> time="${time}" does not match SUREFIRE_TIME`);
    const allowed = rule.children;
    if (allowed === null) {
      if (n.children.length > 0) problems.push(`line ${n.line}: <${n.name}> holds text only, not <${n.children[0]!.name}>`);
    } else {
      for (const c of n.children) if (!allowed.includes(c.name)) problems.push(`line ${c.line}: <${c.name}> may not be inside <${n.name}>`);
      if (n.name !== "testcase" && n.text.trim() !== "" && !["failure", "error", "skipped"].includes(n.name))
        problems.push(`line ${n.line}: <${n.name}> may not hold text`);
    }
    n.children.forEach(walk);
  };
  walk(root);
  return problems;
}

const ENTITY = /&(?:#\d+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);/g;

function decode(raw: string, line: number): string {
  if (/&(?!(?:#\d+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);)/.test(raw)) throw new Error(`line ${line}: a bare & or an unknown entity`);
  const out = raw.replace(ENTITY, (e) => {
    if (e.startsWith("&#x")) return String.fromCodePoint(parseInt(e.slice(3, -1), 16));
    if (e.startsWith("&#")) return String.fromCodePoint(Number(e.slice(2, -1)));
    return { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'" }[e]!;
  });
  if (!XML_CHAR.test(out)) throw new Error(`line ${line}: a character XML 1.0 does not allow`);
  return out;
}

/** A minimal XML parser: declaration, comments, elements, attributes, text and character references. */
function parse(xml: string): Node {
  let i = 0;
  const lineAt = (at: number) => xml.slice(0, at).split("\n").length;
  if (!XML_CHAR.test(xml)) throw new Error("the document holds a character XML 1.0 does not allow");
  if (xml.startsWith("<?xml")) i = xml.indexOf("?>") + 2;
  const stack: Node[] = [];
  let root: Node | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    if (stack.length > 0) stack.at(-1)!.text += decode(text, lineAt(i));
    else if (text.trim() !== "") throw new Error(`line ${lineAt(i)}: text outside the root element`);
    if (lt === -1) break;
    if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt);
      if (end === -1) throw new Error("an unclosed comment");
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf(">", lt);
    if (gt === -1) throw new Error(`line ${lineAt(lt)}: an unclosed tag`);
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith("/")) {
      const open = stack.pop();
      if (!open || open.name !== tag.slice(1).trim()) throw new Error(`line ${lineAt(lt)}: </${tag.slice(1)}> closes ${open ? `<${open.name}>` : "nothing"}`);
      continue;
    }
    const selfClosing = tag.endsWith("/");
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([A-Za-z_][\w.-]*)/.exec(body);
    if (!m) throw new Error(`line ${lineAt(lt)}: not a tag: <${tag}>`);
    const node: Node = { name: m[1]!, attrs: new Map(), children: [], text: "", line: lineAt(lt) };
    const attrRe = /\s+([A-Za-z_][\w.:-]*)\s*=\s*"([^"<]*)"/gy;
    attrRe.lastIndex = m[0].length;
    let a: RegExpExecArray | null;
    let at = m[0].length;
    while ((a = attrRe.exec(body))) {
      if (node.attrs.has(a[1]!)) throw new Error(`line ${node.line}: attribute ${a[1]} given twice`);
      node.attrs.set(a[1]!, decode(a[2]!, node.line));
      at = attrRe.lastIndex;
    }
    if (body.slice(at).trim() !== "") throw new Error(`line ${node.line}: cannot read the attributes of <${node.name}>: ${body.slice(at, at + 40)}`);
    if (stack.length > 0) stack.at(-1)!.children.push(node);
    else if (root) throw new Error(`line ${node.line}: a second root element`);
    else root = node;
    if (!selfClosing) stack.push(node);
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (!root) throw new Error("no root element");
  return root;
}
