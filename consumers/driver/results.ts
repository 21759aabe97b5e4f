/** One named check of one app on one axios version. */
export interface CheckResult {
  app: string;
  /** The axios version as installed (e.g. 1.21.1), or the requested spec when the install failed. */
  axios: string;
  name: string;
  ok: boolean;
  /** Why it failed, or a note on how it passed. */
  reason?: string;
}

/** A check before its app and axios version are attached. */
export type Verdict = Omit<CheckResult, 'app' | 'axios'>;

export const pass = (name: string, note?: string): Verdict => ({ name, ok: true, reason: note });
export const fail = (name: string, reason: string): Verdict => ({ name, ok: false, reason });

/** `ok   <app> axios@<v>: <check>` or `FAIL <app> axios@<v>: <check> -- <reason>`, on one line. */
export function formatCheck(check: CheckResult): string {
  const head = `${check.ok ? 'ok  ' : 'FAIL'} ${check.app} axios@${check.axios}: ${check.name}`;
  const reason = check.reason?.replace(/\s+/g, ' ').trim();
  if (!reason) return head;
  return check.ok ? `${head} (${reason})` : `${head} -- ${reason.length > 600 ? `${reason.slice(0, 600)}…` : reason}`;
}
