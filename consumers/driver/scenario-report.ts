// The shape of what apps/shared/scenario.cjs reports, step by step.

/** What one request came to, as the app saw it. */
export interface Outcome {
  status: number | null;
  data?: { bodySha256?: string; headers?: Record<string, string> };
  error?: { message: string; code?: string; isAxiosError: boolean };
}

export interface StepBase {
  tokenRequestsBefore: number;
  tokenRequestsAfter: number;
  /** The step threw instead of reporting. */
  crashed?: { message: string };
}

export type OutcomeStep = StepBase & Outcome;

export type ReplayStep = StepBase & { get: Outcome; post: Outcome; sentBodySha256: string; sentBodyLength: number };

export type UrlObjectStep = OutcomeStep & { withoutPlugin: Outcome };

export type FinalErrorStep = StepBase & {
  status: number | null;
  message?: string;
  inspectFile?: string;
  jsonFile?: string;
  jsonStringifyThrew?: string;
  error?: { message: string };
  /** The same request through the plain instance: whether JSON.stringify throws on its error too. */
  withoutPlugin?: { status: number | null; jsonStringifyThrew?: string };
};

export type EjectStep = OutcomeStep & { interceptorsSeen: Array<{ interceptor: string; call: string | null; outcome?: unknown }> };

export interface ScenarioReport {
  steps?: Record<string, unknown>;
  /** The app failed before or outside the steps (an import failed, oauth2() threw). */
  crashed?: { message: string };
}
