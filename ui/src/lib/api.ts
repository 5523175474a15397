import type {
  AccuracyResponse,
  AgeingResponse,
  AgreementResponse,
  AlertView,
  AssigneesResponse,
  AuditListResponse,
  CalibrationResponse,
  DecisionRequest,
  DriftResponse,
  GoldenResultDetail,
  GoldenResultList,
  GoldenSetList,
  PolicyBody,
  JobListResponse,
  JobRunsResponse,
  EscalationDetail,
  EscalationRatesResponse,
  PolicyHistoryEntry,
  MetricsResponse,
  QueueCountResponse,
  QueueResponse,
  ReviewGroupView,
  RunDetailResponse,
  RunListResponse,
  SeriesListResponse,
  ServedPolicy,
  ThresholdChange,
  Person,
  User,
  AuditVerification,
  AuditVerificationList,
  WorkflowListResponse,
} from "./types.js";

/**
 * The dashboard's one door to the server. Every failure becomes an `ApiError` (the server's
 * `{ error: { code, message, details, requestId } }` envelope, or a synthetic one for network
 * trouble), so pages render one kind of error and can branch on `status` / `code`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
  get unauthenticated(): boolean {
    return this.status === 401;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function queryString(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

type Fetch = typeof fetch;

export async function request<T>(method: string, path: string, body?: unknown, fetchImpl: Fetch = fetch): Promise<T> {
  let res: Response;
  try {
    res = await fetchImpl(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, "network", `could not reach the server (${err instanceof Error ? err.message : String(err)})`);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's HTML error page, say: reported with the status below.
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string; details?: unknown; requestId?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? `the server answered ${res.status}`, e?.details, e?.requestId);
  }
  return parsed as T;
}

const get = <T>(path: string, q?: Query) => request<T>("GET", path + queryString(q));
const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body);
const seg = encodeURIComponent;

export const api = {
  me: () => get<{ user: User }>("/v1/auth/me"),
  people: (ids: string[]) => get<{ items: Person[] }>("/v1/people", { ids: ids.join(",") }),
  login: (email: string, password: string) => post<{ user: User }>("/v1/auth/login", { email, password }),
  logout: () => post<void>("/v1/auth/logout"),
  runs: (q: Query) => get<RunListResponse>("/v1/runs", q),
  run: (id: string) => get<RunDetailResponse>(`/v1/runs/${seg(id)}`),
  workflows: (q: Query = {}) => get<WorkflowListResponse>("/v1/workflows", q),
  escalations: (q: Query) => get<QueueResponse>("/v1/escalations", q),
  escalationCount: (q: Query) => get<QueueCountResponse>("/v1/escalations/count", q),
  escalation: (id: string) => get<EscalationDetail>(`/v1/escalations/${seg(id)}`),
  claim: (id: string) => post<{ id: string; claimedBy: string; claimExpiresAt: string }>(`/v1/escalations/${seg(id)}/claim`),
  decide: (id: string, body: DecisionRequest) => post<unknown>(`/v1/escalations/${seg(id)}/decision`, body),
  adjudicate: (id: string, body: DecisionRequest) => post<unknown>(`/v1/escalations/${seg(id)}/adjudication`, body),
  reviewGroups: () => get<{ items: ReviewGroupView[] }>("/v1/review/groups"),
  assignees: (q: Query = {}) => get<AssigneesResponse>("/v1/review/assignees", q),
  agreement: (q: Query = {}) => get<AgreementResponse>("/v1/review/agreement", q),
  accuracy: (q: Query = {}) => get<AccuracyResponse>("/v1/review/accuracy", q),
  ageing: (q: Query = {}) => get<AgeingResponse>("/v1/review/ageing", q),
  audit: (q: Query) => get<AuditListResponse>("/v1/audit", q),
  startAuditVerification: () => post<AuditVerification>("/v1/audit/verifications"),
  auditVerification: (id: string) => get<AuditVerification>(`/v1/audit/verifications/${seg(id)}`),
  auditVerifications: (q: Query = {}) => get<AuditVerificationList>("/v1/audit/verifications", q),
  escalationRates: (q: Query) => get<EscalationRatesResponse>("/v1/analytics/escalations", q),
  calibration: (q: Query) => get<CalibrationResponse>("/v1/analytics/calibration", q),
  series: (q: Query = {}) => get<SeriesListResponse>("/v1/analytics/series", q),
  policies: () => get<{ policies: ServedPolicy[] }>("/v1/policies"),
  policyHistory: (q: Query = {}) => get<{ items: PolicyHistoryEntry[]; nextCursor: string | null }>("/v1/policies/history", q),
  thresholdChanges: (q: Query = {}) => get<{ items: ThresholdChange[] }>("/v1/thresholds/changes", q),
  revertThreshold: (id: string, reason: string) => post<unknown>(`/v1/thresholds/changes/${seg(id)}/revert`, reason ? { reason } : {}),
  alerts: (q: Query = {}) => get<{ items: AlertView[] }>("/v1/alerts", q),
  metrics: (q: Query) => get<MetricsResponse>("/v1/metrics", q),
  drift: (q: Query) => get<DriftResponse>("/v1/analytics/drift", q),
  putPolicy: (workflow: string, step: string | null, body: PolicyBody) =>
    request<ServedPolicy>("PUT", `/v1/policies/${seg(workflow)}${step ? `/steps/${seg(step)}` : ""}`, body),
  jobs: () => get<JobListResponse>("/v1/jobs"),
  jobRuns: (q: Query = {}) => get<JobRunsResponse>("/v1/jobs/runs", q),
  goldenResults: (q: Query = {}) => get<GoldenResultList>("/v1/golden/results", q),
  goldenResult: (id: string) => get<GoldenResultDetail>(`/v1/golden/results/${seg(id)}`),
  goldenSets: () => get<GoldenSetList>("/v1/golden/sets"),
  addGoldenCase: (escalationId: string, set: string) => post<{ id: string; set: string; caseId: string }>("/v1/golden/cases", { escalationId, set }),
};

/** The corrections export's address (a streamed download, so a plain link, not a fetch). */
export const exportUrl = (q: Query) => "/v1/exports/corrections" + queryString(q);
