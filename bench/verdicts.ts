/**
 * A target's verdict: PASS or FAIL when a measure could decide it, INCONCLUSIVE when
 * none could (the figures were within their own noise of the target), always with the
 * measure that decided or, for INCONCLUSIVE, the ones tried. The summary counts each.
 */

export type Outcome = 'PASS' | 'FAIL' | 'INCONCLUSIVE';
export const OUTCOMES: readonly Outcome[] = ['PASS', 'FAIL', 'INCONCLUSIVE'];

export interface Verdict {
  outcome: Outcome;
  /** The target, in a few words: `throughput at concurrency 50`. */
  target: string;
  /** The measure that decided it; for INCONCLUSIVE, what was tried. */
  decidedBy: string;
  /** The figures behind it. */
  line: string;
}

/** PASS or FAIL, from a measure that cannot be in doubt (an exact count, a reading against a wide bar). */
export function decided(pass: boolean, target: string, decidedBy: string, line: string): Verdict {
  return { outcome: pass ? 'PASS' : 'FAIL', target, decidedBy, line };
}

/** `PASS          throughput at concurrency 50 [decided by client CPU time per request]: …`, one line per verdict. */
export function renderVerdicts(list: readonly Verdict[]): string {
  const width = Math.max(...OUTCOMES.map((outcome) => outcome.length)) + 2;
  return list
    .map((verdict) => {
      const by = verdict.outcome === 'INCONCLUSIVE' ? `not decided by ${verdict.decidedBy}` : `decided by ${verdict.decidedBy}`;
      return `${verdict.outcome.padEnd(width)}${verdict.target} [${by}]: ${verdict.line}`;
    })
    .join('\n');
}

/** `SUMMARY: 9 targets: 8 PASS, 0 FAIL, 1 INCONCLUSIVE (inconclusive: throughput at concurrency 1)`. */
export function summarize(list: readonly Verdict[]): string {
  const counts = OUTCOMES.map((outcome) => `${list.filter((verdict) => verdict.outcome === outcome).length} ${outcome}`);
  const named = (['FAIL', 'INCONCLUSIVE'] as const).flatMap((outcome) => {
    const targets = list.filter((verdict) => verdict.outcome === outcome).map((verdict) => verdict.target);
    return targets.length === 0 ? [] : [`${outcome.toLowerCase()}: ${targets.join(', ')}`];
  });
  return `SUMMARY: ${list.length} targets: ${counts.join(', ')}${named.length > 0 ? ` (${named.join('; ')})` : ''}`;
}
