import { z } from "zod";
import { components, operations, type Auth, type Operation } from "./operations.js";

type Json = Record<string, unknown>;

const SECURITY: Record<Auth, Array<Record<string, string[]>>> = {
  apiKey: [{ apiKey: [] }],
  session: [{ session: [] }],
  apiKeyOrSession: [{ apiKey: [] }, { session: [] }],
  metricsToken: [{ metricsToken: [] }, {}],
  none: [],
};

/**
 * The OpenAPI 3.1 document for every route, built once from the zod contracts: components with
 * `z.toJSONSchema` (JSON Schema 2020-12, the dialect OpenAPI 3.1 uses), query and path
 * parameters from the properties of each route's validator schema.
 */
export function openApiDocument(info: { version: string }): Json {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(components)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io: "input", unrepresentable: "any" });
  const schemas: Json = {};
  for (const [id, schema] of Object.entries(generated.schemas)) schemas[id] = clean(schema);

  const paths: Record<string, Json> = {};
  for (const op of operations) (paths[op.path] ??= {})[op.method] = operation(op);

  return {
    openapi: "3.1.0",
    info: {
      title: "Seamtrace API",
      version: info.version,
      description:
        "Collector, query, review and policy API of Seamtrace. Errors are `{ error: { code, message, details, requestId } }`. SDKs and scripts authenticate with a project API key (`Authorization: Bearer st_…`); the UI with a session cookie.",
    },
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "A project API key (`st_…`)." },
        session: { type: "apiKey", in: "cookie", name: "st_session", description: "Session cookie set by `POST /v1/auth/login`." },
        metricsToken: { type: "http", scheme: "bearer", description: "`SEAMTRACE_METRICS_TOKEN`, when set." },
      },
    },
  };
}

function operation(op: Operation): Json {
  const out: Json = { operationId: op.operationId, tags: [op.tag], summary: op.summary };
  if (op.description) out.description = op.description;
  const parameters = [...parametersOf(op.params, "path"), ...parametersOf(op.query, "query")];
  if (parameters.length > 0) out.parameters = parameters;
  if (op.body) {
    const content: Json = {};
    for (const [type, schema] of Object.entries(op.body)) content[type] = { schema: typeof schema === "string" ? ref(schema) : schema };
    out.requestBody = { required: true, content };
  }
  const responses: Json = {};
  for (const [status, r] of Object.entries(op.responses)) {
    if (typeof r === "string") responses[status] = { description: r };
    else
      responses[status] = {
        description: r.description,
        content: Object.fromEntries((r.mediaTypes ?? ["application/json"]).map((t) => [t, { schema: ref(r.schema) }])),
      };
  }
  out.responses = responses;
  out.security = SECURITY[op.auth];
  return out;
}

/** One parameter per property of an object schema (the validator's), required as it says. */
function parametersOf(schema: z.ZodType | undefined, where: "path" | "query"): Json[] {
  if (!schema) return [];
  const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    const p: Json = { name, in: where, required: where === "path" || (js.required ?? []).includes(name), schema: rest };
    if (typeof description === "string") p.description = description;
    return p;
  });
}

function ref(id: string): Json {
  return { $ref: `#/components/schemas/${id}` };
}

/** A component as generated, without the standalone-document keywords. */
function clean(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}
