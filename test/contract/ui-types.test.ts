import { describe, expect, it } from "vitest";
import type * as Server from "../../server/src/modules/runs/contract.js";
import type * as Review from "../../server/src/modules/review/contract.js";
import type * as Team from "../../server/src/modules/review/team-contract.js";
import type * as Audit from "../../server/src/modules/audit/contract.js";
import type { Rates as ServerRates } from "../../server/src/modules/analytics/maths/series.js";
import type { DriftTest } from "../../server/src/modules/analytics/maths/drift.js";
import type * as Golden from "../../server/src/modules/golden/contract.js";
import type { ThresholdChangeView } from "../../server/src/modules/policies/thresholds-store.js";
import type { AlertView } from "../../server/src/modules/analytics/alerts-store.js";
import type * as Auth from "../../server/src/modules/auth/contract.js";
import type * as Jobs from "../../server/src/modules/jobs/contract.js";
import type * as Ui from "../../ui/src/lib/types.js";

/**
 * The dashboard declares the subset of the server's answers it reads (ui/src/lib/types.ts), so
 * its build never type-checks zod or Node. This pins that subset to the server's own types: each
 * line below compiles only while what the server answers still fits what the UI reads, and
 * `npm test` type-checks this file (tsconfig.test.json) before running anything.
 */
type Fits<Answer, Read> = Answer extends Read ? true : false;
const fits = <T extends true>(_: T) => true;

describe("the dashboard's wire types", () => {
  it("are satisfied by what the server answers", () => {
    const checks = [
      fits<Fits<Server.RunSummary, Ui.RunSummary>>(true),
      fits<Fits<Server.RunListResponse, Ui.RunListResponse>>(true),
      fits<Fits<Server.StepView, Ui.StepView>>(true),
      fits<Fits<Server.RunDetailResponse, Ui.RunDetailResponse>>(true),
      fits<Fits<Server.WorkflowListResponse, Ui.WorkflowListResponse>>(true),
      fits<Fits<Review.EscalationSummary, Ui.EscalationSummary>>(true),
      fits<Fits<Review.QueueResponse, Ui.QueueResponse>>(true),
      fits<Fits<Review.QueueCountResponse, Ui.QueueCountResponse>>(true),
      fits<Fits<Review.RunSoFarStep, Ui.RunSoFarStep>>(true),
      fits<Fits<Review.EscalationDetail, Ui.EscalationDetail>>(true),
      fits<Fits<Review.ReviewView, Ui.ReviewView>>(true),
      fits<Fits<Team.ReviewGroupView, Ui.ReviewGroupView>>(true),
      fits<Fits<Team.AssigneesResponse, Ui.AssigneesResponse>>(true),
      fits<Fits<Team.AgreementResponse, Ui.AgreementResponse>>(true),
      fits<Fits<Team.AccuracyResponse, Ui.AccuracyResponse>>(true),
      fits<Fits<Team.AgeingResponse, Ui.AgeingResponse>>(true),
      fits<Fits<Audit.AuditEntryView, Ui.AuditEntry>>(true),
      fits<Fits<Audit.AuditListResponse, Ui.AuditListResponse>>(true),
      fits<Fits<Audit.AuditVerificationView, Ui.AuditVerification>>(true),
      fits<Fits<Audit.AuditVerificationList, Ui.AuditVerificationList>>(true),
      fits<Fits<ServerRates, Ui.Rates>>(true),
      fits<Fits<ThresholdChangeView, Ui.ThresholdChange>>(true),
      fits<Fits<DriftTest, Ui.DriftTestView>>(true),
      fits<Fits<Golden.GoldenResultsResponse, Ui.GoldenResultList>>(true),
      fits<Fits<Golden.GoldenResultDetail, Ui.GoldenResultDetail>>(true),
      fits<Fits<Golden.GoldenSetsResponse, Ui.GoldenSetList>>(true),
      fits<Fits<AlertView, Ui.AlertView>>(true),
      fits<Fits<Auth.PeopleResponse, { items: Ui.Person[] }>>(true),
      fits<Fits<Jobs.JobRunsResponse, Ui.JobRunsResponse>>(true),
      fits<Fits<Jobs.JobListResponse, Ui.JobListResponse>>(true),
    ];
    expect(checks.every(Boolean)).toBe(true);
  });
});
